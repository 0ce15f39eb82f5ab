#!/usr/bin/env python3
"""Generate the language-router's detection data (offline, reproducible).

Writes lua/kong/plugins/language-router/detect/langdata.lua, romandata.lua and the
synthetic dev set bench/data/roman_dev.tsv. The detector (detect.lua) tells
apart languages that share a script with a naive-Bayes score over character
n-grams. Its data comes from licensed packages that pip and apt install (see
tools/requirements-langdata.txt and lua/kong/plugins/language-router/detect/DATA.md):

* Devanagari (hi, mr, ne): the n-gram profiles shipped in the ``langdetect``
  package (Apache-2.0, Copyright 2010-2014 Cybozu Labs, Inc.; Python port
  Copyright 2014-2015 Michal Danilak), built from Wikipedia abstracts.
* Arabic script (ur, sd): langdetect has no sd, so both sides come from the
  same kind of text, the CLDR locale data shipped in the ``babel`` package
  (Babel: BSD-3-Clause; CLDR data: Unicode License v3, Copyright 1991-2025
  Unicode, Inc.). Those strings carry each orthography's distinctive letters
  (Sindhi U+06AA, U+067D, U+068A, U+064A ... vs Urdu U+06A9, U+0679, U+0688,
  U+06CC ...).
* Bengali-Assamese (bn, as): detect.lua decides by the letter r (Assamese
  U+09F0/U+09F1, Bengali U+09B0); without it, by the marker words below (an
  n-gram model built from CLDR names did worse than that on r-less text).
* Sanskrit and Maithili, and Hindi/Marathi/Nepali and Assamese/Bengali
  function words: short closed-class word lists (pronouns, copulas,
  particles, postpositions) written from standard grammars, in MARKERS below;
  for Sanskrit also the short word forms of Tesseract's Sanskrit word list
  that its Hindi, Marathi and Nepali lists and wordfreq's Hindi list lack.
* Latin script (English, romanized Indic, other Latin-script languages):
  tools/romandata.py (Tesseract word lists and wordfreq, romanized by
  tools/romanize.py; human romanizations of public train splits read by
  tools/humandata.py from git mirrors under ``--sources`` or LANGDATA_SOURCES).

Run from the repository root: ``python tools/gen_langdata.py --sources DIR``
(``--check`` exits 1 when a file on disk differs). The output depends only on
the pinned package versions and source commits, so regenerating it is
byte-identical. Without the mirrors, the files made from them (romandata.lua
and the romanized dev sets) are skipped with one line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import devadata
import humandata
import langdetect  # type: ignore[import-untyped,unused-ignore]
import romandata
from babel import __version__ as babel_version
from babel import localedata
from babel.core import get_cldr_version

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "lua" / "kong" / "plugins" / "language-router" / "detect" / "langdata.lua"

LANGDETECT_VERSION = "1.0.9"

# Bits per character code in an n-gram key; must match detect.lua.
CHAR_BITS = 10
CHAR_MUL = 1 << CHAR_BITS
BOUNDARY = 0

# Precomposed nukta letters, decomposed the same way in detect.lua.
DECOMPOSE: dict[int, tuple[int, int]] = {
    **{
        cp: (base, 0x093C)
        for cp, base in zip(
            range(0x0958, 0x0960),
            (0x0915, 0x0916, 0x0917, 0x091C, 0x0921, 0x0922, 0x092B, 0x092F),
            strict=True,
        )
    },
    0x09DC: (0x09A1, 0x09BC),
    0x09DD: (0x09A2, 0x09BC),
    0x09DF: (0x09AF, 0x09BC),
}


CodeFn = Callable[[int], "int | None"]


@dataclass(frozen=True)
class Block:
    """A script block whose letters get codes ``cp - base + 1``."""

    script: str
    first: int
    last: int

    def code(self, cp: int) -> int | None:
        """The n-gram code of a letter of this block, None for a non-letter."""
        if not self.first <= cp <= self.last:
            return None
        off = cp - self.first
        if self.script == "Arab":
            if (
                0x0660 <= cp <= 0x0669
                or 0x06F0 <= cp <= 0x06F9
                or cp < 0x0610
                or 0x061B <= cp <= 0x061F
                or cp in (0x0640, 0x066A, 0x066B, 0x066C, 0x066D, 0x06D4)
            ):
                return None
            return off + 1
        if 0x64 <= off <= 0x6F:  # danda, double danda, digits
            return None
        if self.script == "Beng" and 0x09F2 <= cp <= 0x09FB:  # currency, fractions
            return None
        return off + 1


DEVA = Block("Deva", 0x0900, 0x097F)
BENG = Block("Beng", 0x0980, 0x09FF)
ARAB = Block("Arab", 0x0600, 0x06FF)


def latin_code(cp: int) -> int | None:
    """Lower-cased Latin letter code (the code point itself), or None."""
    if 0x41 <= cp <= 0x5A or (0xC0 <= cp <= 0xDE and cp != 0xD7):
        cp += 0x20
    if 0x61 <= cp <= 0x7A or (0xDF <= cp <= 0xFF and cp != 0xF7) or 0x100 <= cp < 0x250:
        return cp
    return None


@dataclass
class Group:
    """Languages sharing one script, scored against each other."""

    script: str
    langs: list[str]
    prior: list[float]
    code: CodeFn
    lp: dict[int, list[float]] = field(default_factory=dict)


def codes_of(text: str, code: CodeFn) -> Iterator[int]:
    """Character codes of ``text``; BOUNDARY for anything not a letter of the script."""
    for ch in text:
        cp = ord(ch)
        parts = DECOMPOSE.get(cp, (cp,))
        for p in parts:
            c = code(p)
            yield BOUNDARY if c is None else c


def ngram_key(codes: tuple[int, ...]) -> int:
    """Integer key of an n-gram: n in the top bits, then one code per character."""
    key = len(codes)
    for c in codes:
        key = key * CHAR_MUL + c
    # pad to 3 characters so keys of every order have the same layout
    for _ in range(3 - len(codes)):
        key *= CHAR_MUL
    return key


def extract_ngrams(codes: Iterable[int]) -> Iterator[tuple[int, ...]]:
    """n-grams exactly as langdetect (and detect.lua) emit them.

    A boundary resets the window to a single boundary; boundaries never sit
    inside an n-gram, only first (after a word start) or last (word end).
    """
    win: list[int] = [BOUNDARY]
    for c in [*codes, BOUNDARY]:
        if c == BOUNDARY:
            if win[-1] == BOUNDARY:
                continue
            win = [*win, BOUNDARY][-3:]
            yield tuple(win[-2:])
            if len(win) == 3:
                yield tuple(win)
            win = [BOUNDARY]
            continue
        win = [*win, c][-3:]
        yield (c,)
        yield tuple(win[-2:])
        if len(win) == 3:
            yield tuple(win)


def langdetect_counts(
    lang: str, code: CodeFn
) -> tuple[Counter[int], list[int], list[float]]:
    """Counts per n-gram key from langdetect's profile of ``lang``.

    Returns (counts, totals per order, unseen count per order). An n-gram with a
    character outside the script is dropped; case is folded (counts summed).
    """
    path = Path(langdetect.__file__).parent / "profiles" / lang
    prof = json.loads(path.read_text(encoding="utf-8"))
    counts: Counter[int] = Counter()
    minimum = [math.inf, math.inf, math.inf]
    for gram, n in prof["freq"].items():
        order = len(gram)
        minimum[order - 1] = min(minimum[order - 1], n)
        codes = []
        for i, ch in enumerate(gram):
            if ch == " ":
                if order == 1 or 0 < i < order - 1:
                    break
                codes.append(BOUNDARY)
                continue
            c = code(ord(ch))
            if c is None or ord(ch) in DECOMPOSE:
                break
            codes.append(c)
        else:
            counts[ngram_key(tuple(codes))] += n
    totals = [int(x) for x in prof["n_words"]]
    # langdetect pruned rare n-grams: an unseen one is rarer than the rarest kept
    unseen = [0.5 * m for m in minimum]
    return counts, totals, unseen


def cldr_strings(locale: str) -> list[str]:
    """All strings of one CLDR locale (its own data, not inherited)."""
    out: list[str] = []

    def walk(obj: object) -> None:
        if isinstance(obj, str):
            out.append(obj)
        elif isinstance(obj, Mapping):
            for key in sorted(obj, key=str):
                walk(obj[key])
        elif isinstance(obj, (list, tuple)):
            for item in obj:
                walk(item)

    walk(dict(localedata.load(locale, merge_inherited=False)))
    return out


def cldr_counts(
    locale: str, code: CodeFn
) -> tuple[Counter[int], list[int], list[float]]:
    """n-gram counts over a CLDR locale's strings (add-half smoothing for unseen)."""
    counts: Counter[int] = Counter()
    for text in cldr_strings(locale):
        for gram in extract_ngrams(codes_of(text, code)):
            counts[ngram_key(gram)] += 1
    totals = [0, 0, 0]
    for key, n in counts.items():
        totals[key // CHAR_MUL**3 - 1] += n
    return counts, totals, [0.5, 0.5, 0.5]


def build(
    group: Group,
    sources: list[tuple[Counter[int], list[int], list[float]]],
    min_count: int,
) -> None:
    """Fill group.lp: per kept key, one log-probability per language."""
    keys: set[int] = set()
    for counts, _, _ in sources:
        keys.update(k for k, n in counts.items() if n >= min_count)
    for key in sorted(keys):
        order = key // CHAR_MUL**3
        row = []
        for counts, totals, unseen in sources:
            n = counts.get(key, 0) or unseen[order - 1]
            row.append(round(math.log(n / totals[order - 1]), 3))
        group.lp[key] = row


# Closed-class words (pronouns, copulas, particles, postpositions, conjunctions)
# written from standard grammars; no corpus was used. detect.lua counts the
# tokens of a Devanagari text that are in each list.
MARKERS: dict[str, list[str]] = {
    # Sanskrit: particles, copulas, pronouns, common indeclinables
    "sa": [
        "च",
        "अपि",
        "एव",
        "इति",
        "अस्ति",
        "सन्ति",
        "भवति",
        "भवन्ति",
        "सः",
        "सा",
        "तत्",
        "यत्",
        "तस्य",
        "अस्य",
        "तस्याः",
        "यस्य",
        "यः",
        "वा",
        "अत्र",
        "तत्र",
        "यथा",
        "किम्",
        "अहम्",
        "त्वम्",
        "वयम्",
        "मम",
        "तव",
        "सर्वे",
        "सह",
        "एतत्",
        "इदम्",
        "अयम्",
        "इयम्",
        "कृते",
        "हि",
        "तु",
        "खलु",
        "अथ",
        "तदा",
        "सर्वेषाम्",
        "अस्माकम्",
        "कर्तुम्",
        "स्यात्",
        "भवेत्",
    ],
    # Maithili: copula forms, pronouns, postpositions, conjunction; the polite imperative करू and
    # the auxiliary गेल (Marathi has both: its markers outweigh them), आब (now), बिनु (without)
    "mai": [
        "अछि",
        "छथि",
        "छल",
        "छलाह",
        "छलि",
        "छैक",
        "छनि",
        "छन्हि",
        "सभ",
        "सभक",
        "एहि",
        "ओहि",
        "कोनो",
        "केँ",
        "कें",
        "सँ",
        "जे",
        "ई",
        "ओ",
        "आ",
        "हमर",
        "अहाँ",
        "अपन",
        "होइत",
        "करैत",
        "भेल",
        "कएल",
        "नहि",
        "जाहि",
        "ताहि",
        "लेल",
        "एकर",
        "ओकर",
        "हुनक",
        "कयल",
        "रहैत",
        "मे",
        "छी",
        "छै",
        "केर",
        "आब",
        "बिनु",
        "करू",
        "गेल",
    ],
    # Hindi, Marathi, Nepali: frequent function words of that language that are not
    # (common) words of the other two (nor of Maithili, whose marker counts against
    # them: no हम, बहुत), nor frequent in wordfreq's Hindi list (no तुझे, सर्व, किन)
    "hi": [
        "है",
        "हैं",
        "था",
        "थे",
        "थी",
        "का",
        "की",
        "के",
        "में",
        "से",
        "को",
        "ने",
        "और",
        "यह",
        "वह",
        "पर",
        "भी",
        "नहीं",
        "लिए",
        "किया",
        "कि",
        "जो",
        "इस",
        "उस",
        "होता",
        "होती",
        "गया",
        "जाता",
        "करने",
        "अपने",
        "साथ",
        "द्वारा",
        "या",
        "ही",
        "तो",
        "मैं",
        "तुम",
        "आप",
        "मेरा",
        "मेरी",
        "मेरे",
        "हूँ",
        "हूं",
        "रहा",
        "रही",
        "रहे",
        "क्या",
        "क्यों",
        "कैसे",
        "हुआ",
        "हुई",
        "हुए",
        "वाला",
        "वाले",
        "वाली",
        "लो",
        "दो",
    ],
    "mr": [
        "आहे",
        "आहेत",
        "आणि",
        "व",
        "हे",
        "नाही",
        "त्या",
        "ते",
        "मध्ये",
        "केले",
        "आले",
        "करून",
        "म्हणून",
        "असे",
        "आपल्या",
        "कोणत्याही",
        "किंवा",
        "असेल",
        "झाले",
        "मी",
        "आम्ही",
        "तुम्ही",
        "आपण",
        "माझा",
        "माझी",
        "माझे",
        "माझ्या",
        "तुझा",
        "तुझी",
        "नव्हता",
        "नव्हती",
        "नव्हते",
        "नव्हतो",
        "आहोत",
        "आहेस",
        "आहात",
        "होतो",
        "तिथे",
        "इथे",
        "कुठे",
        "काय",
        "कशी",
        "कधी",
        "पण",
        "खूप",
    ],
    # Assamese and Bengali words that tell them apart without the letter r (which
    # decides first: Assamese U+09F0, Bengali U+09B0). Not here: words common in
    # both, e.g. এটা এখন তাই (as "one", "one", "she"; bn "this", "now", "so") and
    # দিয়ে নিয়ে যে (verb forms and "that" in both)
    "as": [
        "মই",
        "তেওঁ",
        "তেওঁলোক",
        "আপুনি",
        "বুলি",
        "নহয়",
        "এজন",
        "কিয়",
        "কেনেকৈ",
        "লৈ",
        "হৈ",
        "কৈ",
        "গৈ",
        "আছিল",
        "যি",
        "এনে",
        "তেনে",
        "সকলো",
        "মানুহ",
        "পাছত",
        "লগত",
        "বাবে",
        "ইয়াত",
        "তাত",
        "দি",
        "নাছিল",
        "হোৱা",
        "কোৱা",
    ],
    "bn": [
        "এবং",
        "তিনি",
        "একটি",
        "একটা",
        "এটি",
        "হয়েছে",
        "ছিল",
        "কেন",
        "কোথায়",
        "নেই",
        "থেকে",
        "হবে",
        "সাথে",
        "জন্য",
        "মতো",
        "সব",
        "সবাই",
        "গিয়ে",
        "মানুষ",
        "আপনি",
        "এখানে",
        "সেখানে",
        "তুই",
        "হয়ে",
        "হলে",
        "হল",
        "এমন",
    ],
    "ne": [
        "छ",
        "छन्",
        "हो",
        "र",
        "पनि",
        "लाई",
        "भएको",
        "गरेको",
        "हुन्छ",
        "गर्न",
        "यो",
        "त्यो",
        "थियो",
        "हुने",
        "गर्ने",
        "कुनै",
        "सक्ने",
        "हुनेछ",
        "छैन",
        "मा",
        "गरी",
        "तर",
        "भने",
        "हुन्",
        "उनी",
        "उनको",
        "आफ्नो",
        "सबै",
        "हामी",
        "तिमी",
        "तपाईं",
        "मेरो",
        "तिम्रो",
        "हाम्रो",
        "कसरी",
        "गर्छ",
        "गर्छन्",
        "भयो",
        "भए",
        "थिए",
        "गर्नुहोस्",
        "अहिले",
        "धेरै",
    ],
}


TOKEN_MAX = 7


def token_key(word: str) -> int | None:
    """Key of a token of at most TOKEN_MAX codes (as detect.lua computes it)."""
    block = BENG if BENG.first <= ord(word[0]) <= BENG.last else DEVA
    codes = list(codes_of(word, block.code))
    if not codes or len(codes) > TOKEN_MAX or BOUNDARY in codes:
        return None
    key = 0
    for c in codes:
        key = key * 129 + c
    return key


def lua_number(x: float) -> str:
    text = f"{x:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def wrap(items: list[str], indent: str) -> list[str]:
    lines: list[str] = []
    line = indent
    for item in items:
        piece = item + ","
        if len(line) + len(piece) > 100 and line.strip():
            lines.append(line.rstrip())
            line = indent
        line += piece + " "
    if line.strip():
        lines.append(line.rstrip())
    return lines


def groups() -> list[Group]:
    deva = Group("Deva", ["hi", "mr", "ne"], [0.0, -1.0, -1.5], DEVA.code)
    build(deva, [langdetect_counts(lang, DEVA.code) for lang in deva.langs], 1)

    arab = Group("Arab", ["ur", "sd"], [0.0, -1.0], ARAB.code)
    build(arab, [cldr_counts("ur", ARAB.code), cldr_counts("sd", ARAB.code)], 2)
    # Latin script (English, romanized Indic, other languages): romandata.py.
    return [deva, arab]


def sanskrit_words() -> list[int]:
    """Token keys of short Sanskrit word forms that Hindi, Marathi and Nepali lack.

    From the word lists of Tesseract's san, hin, mar and nep models and
    wordfreq's Hindi list (see romandata.py for both sources); detect.lua counts
    such a token as Sanskrit evidence, next to the MARKERS["sa"] words.
    """
    from romandata import tesseract_lexicon

    other: set[str] = set()
    for code in ("hin", "wordfreq-hi", "mar", "nep"):
        other.update(deva_split(code)[0])
    keys = set()
    dev = set(deva_split("san")[1])
    for word in tesseract_lexicon("san"):
        if word.replace("\u200c", "").replace("\u200d", "") in dev:
            continue
        if word in other or not DEVA.first <= ord(word[0]) <= DEVA.last or len(word) < 2:
            continue
        # detect.lua already counts words ending in visarga, virama, or anusvara after a consonant
        if word[-1] in "\u0903\u094d" or (word[-1] == "\u0902" and "\u0915" <= word[-2] <= "\u0939"):
            continue
        key = token_key(word)
        if key is not None:
            keys.add(key)
    return sorted(keys)


# Maithili word endings (written from standard grammars: endings are mined from word lists,
# and there is no Maithili one): the dative/accusative -केँ, the instrumental/ablative -सँ
# and the locative -मे written onto the noun, the verbal noun genitive -बाक,
# and the future/infinitive -एत, -एब after a vowel.
MAI_ENDINGS = ["केँ", "सँ", "मे", "बाक", "एत", "एब"]

# The other endings are mined from word lists: the word endings of 2 to
# ENDING_MAX codes that at least MIN_SHARE of one language's word forms have and
# that are MIN_RATIO times rarer (by share of word forms, add-one) in every list
# of the other languages. For Sanskrit, endings already counted by detect.lua
# (visarga; anusvara right after a consonant) are left out.
ENDING_MAX = 4  # detect.lua's ending() looks at most this many codes
MIN_SHARE = 0.0005
MIN_RATIO = 20
# Word lists per language; detect.lua numbers the ending languages in this order.
ENDING_SOURCES: dict[str, tuple[str, ...]] = {
    "hi": ("hin", "wordfreq-hi"), "mr": ("mar",), "ne": ("nep",), "sa": ("san",), "mai": (),
}
DEV_OUT = ROOT / "bench" / "data" / "deva_dev.tsv"
DEV_ITEMS = 400  # per hi/mr/ne source: this many words and 5-word groups are dev


@cache
def deva_words(source: str) -> tuple[str, ...]:
    """Devanagari word forms of a Tesseract list (code) or of wordfreq ("wordfreq-hi").

    Zero-width (non-)joiners are dropped: detect.lua ends a word at them.
    """
    if source == "wordfreq-hi":
        import wordfreq  # type: ignore[import-untyped,unused-ignore]

        raw: Iterable[str] = wordfreq.get_frequency_dict("hi", wordlist="small")
    else:
        from romandata import tesseract_lexicon

        raw = tesseract_lexicon(source)
    out = set()
    for word in raw:
        word = word.replace("\u200c", "").replace("\u200d", "")
        if word and all(DEVA.code(ord(ch)) is not None for ch in word):
            out.add(word)
    return tuple(sorted(out))


@cache
def deva_split(source: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(train, dev) word forms of a list: the first 6 * DEV_ITEMS in a stable hash
    order are dev (bench/data/deva_dev.tsv), never mined."""
    words = deva_words(source)
    order = sorted(words, key=lambda w: hashlib.md5(f"dev:{source}:{w}".encode()).digest())
    dev = order[: 6 * DEV_ITEMS]
    held = set(dev)
    return tuple(w for w in words if w not in held), tuple(dev)


def _ending_counts(words: tuple[str, ...]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for word in words:
        for k in range(1, ENDING_MAX + 1):
            if len(word) > k:
                counts[word[-k:]] += 1
    return counts


@cache
def mined_endings(lang: str) -> tuple[str, ...]:
    """Word endings typical of one language's word forms and rare in the others'."""
    def stats(src: str) -> tuple[Counter[str], int]:
        train = deva_split(src)[0]
        return _ending_counts(train), len(train)

    mine = [stats(src) for src in ENDING_SOURCES[lang]]
    others = [stats(src) for other, srcs in ENDING_SOURCES.items() if other != lang for src in srcs]
    candidates = {end for counts, _ in mine for end in counts}
    kept: list[str] = []
    for end in sorted(candidates, key=lambda e: (len(e), e)):
        share = max(counts[end] / total for counts, total in mine)
        if share < MIN_SHARE:
            continue
        other = max((counts[end] + 1) / total for counts, total in others)
        if share < MIN_RATIO * other or any(end.endswith(k) for k in kept):
            continue
        kept.append(end)
    out = [e for e in kept if 2 <= len(list(codes_of(e, DEVA.code))) <= ENDING_MAX]
    if lang == "sa":
        out = [
            e for e in out
            if not e.endswith("\u0903") and not (e[-1] == "\u0902" and "\u0915" <= e[-2] <= "\u0939")
        ]
    return tuple(out)


def endings_of(lang: str) -> tuple[str, ...]:
    return tuple(MAI_ENDINGS) if lang == "mai" else mined_endings(lang)


def ending_key(ending: str) -> int:
    """Key of an ending (as a token key of its codes)."""
    key = token_key(ending)
    assert key is not None, ending
    return key


def ending_exceptions() -> dict[int, int]:
    """Token key -> mask (hi 1, mr 2, ne 4) of the hi/mr/ne lists (train) that hold
    the word, for the words that have an ending of another language."""
    bits = {"hi": 1, "mr": 2, "ne": 4}
    ends = {lang: endings_of(lang) for lang in ENDING_SOURCES}
    masks: dict[int, int] = {}
    for lang, bit in bits.items():
        for src in ENDING_SOURCES[lang]:
            for word in deva_split(src)[0]:
                if any(
                    word.endswith(e) and len(word) > len(e)
                    for other, es in ends.items() if other != lang for e in es
                ):
                    key = token_key(word)
                    if key is not None:
                        masks[key] = masks.get(key, 0) | bit
    return masks


def deva_dev() -> str:
    """A dev set for the Devanagari model: single words and 5-word groups.

    The dev words of the Tesseract hin/mar/nep/san word lists and wordfreq's
    Hindi list (deva_split); the n-gram profiles (langdetect, Wikipedia) did not
    see them either. They chose the Deva priors and the ending weights. Content
    words, so harder than running text.
    """
    lines = ["# kind\tlang\tsource\ttext (generated by tools/gen_langdata.py)"]
    for lang in ("hi", "mr", "ne", "sa"):
        for src in ENDING_SOURCES[lang]:
            words = deva_split(src)[1]
            lines += [f"word\t{lang}\t{src}\t{w}" for w in words[:DEV_ITEMS]]
            rest = words[DEV_ITEMS:]
            lines += [
                f"five\t{lang}\t{src}\t{' '.join(rest[i:i + 5])}" for i in range(0, len(rest), 5)
            ]
    return "\n".join(lines) + "\n"


def token_keys(words: Iterable[str]) -> set[int]:
    """The token keys of ``words`` (a word longer than detect.lua's TOKEN_MAX has none)."""
    return {k for k in (token_key(w) for w in words) if k is not None}


def render(mined: Mined) -> str:
    """langdata.lua; ``mined``: the words mined from running text (mined_markers)."""
    out = [
        "-- GENERATED by tools/gen_langdata.py -- do not edit; run `python tools/gen_langdata.py`.",
        "--",
        f"-- Deva (hi mr ne) n-grams: the profiles of the langdetect {LANGDETECT_VERSION}",
        "-- package (Apache-2.0; Copyright 2010-2014 Cybozu Labs, Inc.; Python port",
        "-- Copyright 2014-2015 Michal Danilak), built from Wikipedia abstracts.",
        f"-- Arab (ur sd) n-grams: CLDR {get_cldr_version()} locale data as shipped in Babel {babel_version}",
        "-- (Babel: BSD-3-Clause; CLDR: Unicode License v3, Copyright 1991-2025 Unicode, Inc.).",
        "-- markers (sa mai hi mr ne as bn): closed-class word lists written from standard grammars;",
        "-- sa also the words mined from the train lines of UD_Sanskrit-Vedic (CC BY-SA 4.0) and",
        "-- DharmicData's Valmiki Ramayana (ODbL 1.0); mai also those mined from the train lines of",
        "-- Mozilla Pontoon's Maithili (MPL-2.0) and Project Vakyansh's Maithili (MIT) interface",
        "-- strings, rare in Hindi and Marathi ones (Pontoon, Vakyansh, Aarogya Setu (Apache-2.0)),",
        "-- see tools/devadata.py. shared_markers.mai: the words mined for mai that wordfreq's Hindi",
        "-- list has too (detect.lua counts them half).",
        "-- sanskrit: keys of short word forms of Tesseract's san word list (tessdata_fast,",
        "-- Apache-2.0, Debian tesseract-ocr-san) absent from its hin, mar and nep lists and",
        "-- from wordfreq's Hindi list (data CC BY-SA 4.0).",
        "-- endings.hi/mr/ne/sa: keys of word endings mined from the same lists (common in one",
        "-- language's list, rare in the others'); endings.mai: Maithili endings written from",
        "-- standard grammars; ending_exceptions: pairs of the key of a hin/wordfreq-hi/mar/nep",
        "-- word that has another language's ending and the mask of its lists (hi 1, mr 2, ne 4).",
        "--",
        "-- groups[i].keys: n-gram keys, n * 2^30 + c1 * 2^20 + c2 * 2^10 + c3 (codes are",
        "-- cp - block start + 1 for Indic/Arabic, the lower-cased code point for Latin; 0 is",
        "-- a word boundary); groups[i].lp: #langs log-probabilities per key, in key order.",
        "-- markers[lang]: keys of tokens (at most 7 codes), sum of code * 129^i (i from the end).",
        "return {",
        "  groups = {",
    ]
    for g in groups():
        out.append("    {")
        out.append(f'      script = "{g.script}",')
        out.append("      langs = { " + ", ".join(f'"{x}"' for x in g.langs) + " },")
        out.append(
            "      prior = { " + ", ".join(lua_number(x) for x in g.prior) + " },"
        )
        out.append("      keys = {")
        out.extend(wrap([str(k) for k in g.lp], "        "))
        out.append("      },")
        out.append("      lp = {")
        out.extend(
            wrap([lua_number(x) for row in g.lp.values() for x in row], "        ")
        )
        out.append("      },")
        out.append("    },")
    out.append("  },")
    out.append("  sanskrit = {")
    out.extend(wrap([str(k) for k in sanskrit_words()], "    "))
    out.append("  },")
    out.append("  endings = {")
    seen: set[int] = set()
    for lang in ENDING_SOURCES:
        keys = sorted({ending_key(e) for e in endings_of(lang)})
        assert not seen & set(keys), f"an ending of {lang} is another language's too"
        seen.update(keys)
        out.append(f'    ["{lang}"] = {{')
        out.extend(wrap([str(k) for k in keys], "      "))
        out.append("    },")
    out.append("  },")
    out.append("  ending_exceptions = {")
    masks = ending_exceptions()
    out.extend(wrap([f"{k}, {masks[k]}" for k in sorted(masks)], "    "))
    out.append("  },")
    out.append("  markers = {")
    marker_keys: dict[str, set[int]] = {}
    for lang, words in MARKERS.items():
        words = [*words, *mined.markers.get(lang, [])]
        marker_keys[lang] = token_keys(words)
        out.append(f'    ["{lang}"] = {{')
        out.extend(wrap([str(k) for k in sorted(marker_keys[lang])], "      "))
        out.append("    },")
    out.append("  },")
    out.append("  shared_markers = {")
    for lang, words in mined.shared.items():
        keys = sorted(token_keys(words) - marker_keys[lang])
        out.append(f'    ["{lang}"] = {{')
        out.extend(wrap([str(k) for k in keys], "      "))
        out.append("    },")
    out.append("  },")
    out.append("}")
    return "\n".join(out) + "\n"


TUNE_OUT = ROOT / "bench" / "data" / "deva_tune.tsv"


# Maithili writes Hindi's learned vocabulary, and its running text here is interface strings, where
# प्रमाणपत्र, डाउनलोड or अनुमति are frequent while wordfreq's general Hindi rates them rare: such a
# word is Maithili evidence only next to Maithili grammar. So a mined word of these languages that
# Hindi's word list also has goes to ``shared`` (detect.lua: half weight), the rest are markers
# (अछि, केँ, अहाँ, सकैत). Chosen on the tune split (bench/data/deva_tune.tsv) and on Hindi interface
# labels (lua/spec/detect/detect_spec.lua): mai-ui comes out 79.7% with those words dropped, 83.4% at
# half weight and 89.2% counted whole, hi-ui 96.8% in all three, but counted whole they make
# "सर्वर से कनेक्शन विफल" Maithili.
SHARED_MINED = ("mai",)


@dataclass(frozen=True)
class Mined:
    """Words mined from running text, per language: markers, and words shared with Hindi."""

    markers: dict[str, list[str]]
    shared: dict[str, list[str]]


def mined_markers(root: Path) -> Mined:
    """Sanskrit and Maithili words mined from running text (tools/devadata.py): frequent in
    that language's train lines, rare in wordfreq's Hindi list (by share of tokens) and in the
    other corpora; none that is a marker word of hi, mr or ne (those count against sa and mai).
    For SHARED_MINED, the words in the train part of wordfreq's Hindi list are ``shared``."""
    import wordfreq  # type: ignore[import-untyped,unused-ignore]

    others = {"hi": wordfreq.get_frequency_dict("hi", wordlist="small")}
    taken = {w for lang in ("hi", "mr", "ne") for w in MARKERS[lang]}
    hindi = set(deva_split("wordfreq-hi")[0])
    markers: dict[str, list[str]] = {}
    shared: dict[str, list[str]] = {}
    for lang in sorted({corpus.lang for corpus in devadata.corpora(root).values() if corpus.mined}):
        words = [w for w in devadata.mined_words(root, lang, others) if w not in taken]
        split = lang in SHARED_MINED
        markers[lang] = [w for w in words if not (split and w in hindi)]
        if split:
            shared[lang] = [w for w in words if w in hindi]
    return Mined(markers, shared)


def deva_tune(root: Path) -> str:
    """bench/data/deva_tune.tsv: tune sentences of the running text of tools/devadata.py."""
    lines = [
        "# Tune split of tools/devadata.py (one line in ten of each corpus's train file, never mined),",
        "# written by tools/gen_langdata.py: source<TAB>lang<TAB>text.",
    ]
    lines += [f"{name}\t{lang}\t{text}" for name, lang, text in devadata.tune_items(root)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the file on disk differs"
    )
    parser.add_argument(
        "--sources", help=f"directory of the git mirrors of tools/humandata.py (default: ${humandata.ENV})"
    )
    args = parser.parse_args(argv)
    outputs = {DEV_OUT: deva_dev()}
    deva_root = humandata.sources_root(args.sources, devadata.SOURCES)
    if deva_root is None:
        print(
            f"{OUT.relative_to(ROOT)}, {TUNE_OUT.relative_to(ROOT)}: skipped (the running-text sources of "
            f"tools/devadata.py absent: set {humandata.ENV} or --sources, see DATA.md)"
        )
    else:
        outputs[OUT] = render(mined_markers(deva_root))
        outputs[TUNE_OUT] = deva_tune(deva_root)
    sources = humandata.sources_root(args.sources)
    if sources is None:
        skipped = (romandata.OUT, romandata.DEV_OUT, romandata.HUMAN_DEV_OUT)
        print(
            f"{', '.join(str(p.relative_to(ROOT)) for p in skipped)}: skipped "
            f"(human romanization sources absent: set {humandata.ENV} or --sources, see DATA.md)"
        )
    else:
        outputs.update(romandata.render_all(sources))
    status = 0
    for path, text in outputs.items():
        if args.check:
            same = path.exists() and path.read_text(encoding="utf-8") == text
            print(f"{path.relative_to(ROOT)}: {'up to date' if same else 'differs'}")
            status = status if same else 1
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)} ({len(text)} bytes)")
    return status


if __name__ == "__main__":
    sys.exit(main())

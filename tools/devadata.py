"""Sanskrit running text for the Devanagari detector (tools/gen_langdata.py).

Part of tools/gen_langdata.py (run that). The hi/mr/ne models come from word
lists and n-gram profiles; Sanskrit and Maithili were found by closed-class
words written from grammars, Sanskrit word forms and word endings. Running
text, from the train splits of public corpora, adds the words that are
frequent in that language's text and rare in Hindi and in the other
languages' corpora here (``mined_words``), and a tune split
(``bench/data/deva_tune.tsv``):

* UD_Sanskrit-Vedic (Hellwig et al.), ``sa_vedic-ud-train.conllu``, the
  ``# text`` lines (IAST, written to Devanagari with aksharamukha), CC BY-SA 4.0;
* the Valmiki Ramayana (classical Sanskrit, Devanagari) of DharmicData, one
  line per half-shloka (to the danda), ODbL 1.0;
* Maithili interface strings translated by people: the Maithili side of
  Mozilla's Pontoon translation memory (Firefox and other Mozilla products),
  ``mozilla-l10n/mt-training-data`` ``mai/mai_pontoon.tmx``, MPL-2.0, and the
  Maithili locale of Project Vakyansh's crowdsourcing site, MIT; one line per
  string, placeholders and markup taken out;
* Hindi and Marathi interface strings of the same kind (Pontoon's Hindi, the
  Vakyansh site's Hindi and Marathi, the Aarogya Setu app's Hindi, Apache-2.0):
  not mined; their train lines are what Maithili words must be rare in, their
  tune lines measure that Hindi and Marathi stay themselves.

Only sources whose licence allows commercial use are read: the gateway ships
what is mined from them (a Maithili corpus under CC BY-NC-SA was looked at
and left out, see DATA.md).

Never read (held out by the project's measurement): the UDHR, the dev and test
splits of any UD treebank (UD_Sanskrit-UFAL test, UD_Bhojpuri-BHTB), the
Vedic treebank's dev and test files.

Sources are git mirrors under LANGDATA_SOURCES / ``--sources`` (as for
tools/humandata.py), read at pinned commits with ``git show``.

Tune split: every line (sentence) goes to train or tune by humandata's
``held_out`` hash of (source, line), one in ten tune; only train lines are
mined.
"""

from __future__ import annotations

import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import humandata
from humandata import Source

SA_VEDIC = Source(
    "ud-sanskrit-vedic", "UniversalDependencies/UD_Sanskrit-Vedic", "a371b42d490e6d7fa4aba37d712e88ff695f6836",
    "sa_vedic-ud-train.conllu", "train", "CC BY-SA 4.0 (UD_Sanskrit-Vedic)",
)
RAMAYANA_REPO = "bhavykhatri/DharmicData"
RAMAYANA_COMMIT = "e1767713548e93f00f0d84027e869a51a8e4fa53"
RAMAYANA = Source(
    "dharmicdata-ramayana", RAMAYANA_REPO, RAMAYANA_COMMIT, "ValmikiRamayana", "all (no split)",
    "ODbL 1.0 (DharmicData; text from svenkatreddy/Ramayana_Book)",
)
PONTOON = {
    lang: Source(
        f"pontoon-{lang}", "mozilla-l10n/mt-training-data", "a2c57ad7a1b74949e48697c8e089dd0f284fef59",
        f"{lang}/{lang}_pontoon.tmx", "all (no split: interface strings)",
        "MPL-2.0 (Mozilla Pontoon's translation memory)",
    )
    for lang in ("mai", "hi")
}
VAKYANSH_COMMIT = "062e81f31fe0280bcc7c50c44bcd10edd081e05e"
VAKYANSH = {
    lang: Source(
        f"vakyansh-{lang}", "Open-Speech-EkStep/crowdsource-dataplatform", VAKYANSH_COMMIT,
        f"crowdsource-ui/locales/{lang}.json", "all (no split: interface strings)", "MIT (Project Vakyansh)",
    )
    for lang in ("mai", "hi", "mr")
}
AAROGYA_HI = Source(
    "aarogyasetu-hi", "nic-delhi/AarogyaSetu_Android", "30f8cfcbd6c04dcb386beac595ce6a957f63d5a9",
    "app/src/main/res/values-hi/strings.xml", "all (no split: interface strings)",
    "Apache-2.0 (Government of India)",
)
SOURCES = [SA_VEDIC, RAMAYANA, *PONTOON.values(), *VAKYANSH.values(), AAROGYA_HI]

TUNE_ITEMS = 300        # tune sentences per source
MIN_LETTERS = 12        # a line of fewer Devanagari letters is no tune item
UI_MIN_WORDS = 3        # ... nor an interface string of fewer Devanagari words
MIN_COUNT = 3           # a mined word occurs at least this often in the train lines
MIN_RATIO = 8           # ... and this many times as often (per token) as in every other language
MAX_MINED = 3000        # words per language, the most frequent first (chosen on the tune split)
DEVA_WORD = re.compile(r"[\u0900-\u0963\u0971-\u097F]+")


@dataclass(frozen=True)
class Corpus:
    """Train and tune lines of one language."""

    lang: str
    train: tuple[str, ...]
    tune: tuple[str, ...]
    # words are mined from it (else its train lines are only what the mined words must be rare in)
    mined: bool = True
    # a tune line has at least this many words (interface strings: a label of one or two words is a
    # name or a term, in no language of its own)
    min_words: int = 1


def _lines(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        line = " ".join(unicodedata.normalize("NFC", line.replace("\ufeff", "")).split())
        if line:
            out.append(line)
    return out


def _vedic_lines(root: Path) -> list[str]:
    from aksharamukha import transliterate  # type: ignore[import-untyped,unused-ignore]

    text = humandata.read(root, SA_VEDIC)
    iast = [line[len("# text = "):] for line in text.splitlines() if line.startswith("# text = ")]
    return _lines("\n".join(transliterate.process("IAST", "Devanagari", line) for line in iast))


def _ramayana_lines(root: Path) -> list[str]:
    """One line per half-shloka (up to a danda) of the kaanda files (a JSON list of shlokas each)."""
    names = humandata.git(root, RAMAYANA, "ls-tree", "--name-only", RAMAYANA_COMMIT, f"{RAMAYANA.path}/").split()
    out: list[str] = []
    for name in sorted(names):
        shlokas = json.loads(humandata.git(root, RAMAYANA, "show", f"{RAMAYANA_COMMIT}:{name}"))
        out += _lines("\n".join(
            half for item in shlokas for half in re.split("[\u0964\u0965]", str(item.get("text", "")))
        ))
    return out


# what is no language in an interface string: markup, printf and Fluent placeholders, DTD entities,
# escaped code points, access-key ampersands
PLACEHOLDER = re.compile(
    r"<[^>]*>|%(?:\d+\$)?[A-Za-z@]|\{[^{}]*\}|&[A-Za-z][\w.-]*;|\\u[0-9A-Fa-f]{4}|\$[A-Za-z_]+\$?|&(?=\w)"
)
TMX_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _strings(texts: Iterable[str]) -> list[str]:
    """Interface strings, one line each, without placeholders and markup."""
    return _lines("\n".join(PLACEHOLDER.sub(" ", " ".join(text.split())) for text in texts))


def _pontoon_lines(root: Path, src: Source) -> list[str]:
    """The target-language segments of a Pontoon TMX (its folder names the language)."""
    lang = src.path.split("/")[0]
    tmx = ET.fromstring(humandata.read(root, src))
    return _strings(tuv.findtext("seg") or "" for tuv in tmx.iter("tuv") if tuv.get(TMX_LANG) == lang)


def _json_lines(root: Path, src: Source) -> list[str]:
    """The values of a flat JSON locale file (untranslated English ones have no Devanagari word)."""
    return _strings(str(v) for v in json.loads(humandata.read(root, src)).values())


def _android_lines(root: Path, src: Source) -> list[str]:
    """The ``<string>`` values of an Android strings.xml (its ``\\n`` and ``\\'`` escapes undone)."""
    res = ET.fromstring(humandata.read(root, src))
    texts = ("".join(el.itertext()) for el in res.iter("string"))
    return _strings(re.sub(r"\\(.)", lambda m: " " if m.group(1) == "n" else m.group(1), t) for t in texts)


def _split(name: str, lang: str, lines: Iterable[str], *, mined: bool = True, min_words: int = 1) -> Corpus:
    train: list[str] = []
    tune: list[str] = []
    seen: set[str] = set()
    for line in lines:
        if line in seen:        # repeated lines (repeated verses, formulae) on one side only
            continue
        seen.add(line)
        (tune if humandata.held_out(name, line) else train).append(line)
    return Corpus(lang, tuple(train), tuple(tune), mined, min_words)


@cache
def corpora(root: Path) -> dict[str, Corpus]:
    """Per corpus: its language and train and tune lines (sa twice: Vedic prose and verse, epic verse;
    interface strings of mai, and of hi and mr, which are not mined)."""
    mai_ui = [*_pontoon_lines(root, PONTOON["mai"]), *_json_lines(root, VAKYANSH["mai"])]
    hi_ui = [
        *_pontoon_lines(root, PONTOON["hi"]), *_json_lines(root, VAKYANSH["hi"]), *_android_lines(root, AAROGYA_HI),
    ]
    mr_ui = _json_lines(root, VAKYANSH["mr"])
    return {
        "sa-vedic": _split(SA_VEDIC.name, "sa", _vedic_lines(root)),
        "sa-ramayana": _split(RAMAYANA.name, "sa", _ramayana_lines(root)),
        "mai-ui": _split("mai-ui", "mai", mai_ui, min_words=UI_MIN_WORDS),
        "hi-ui": _split("hi-ui", "hi", hi_ui, mined=False, min_words=UI_MIN_WORDS),
        "mr-ui": _split("mr-ui", "mr", mr_ui, mined=False, min_words=UI_MIN_WORDS),
    }


def words(line: str) -> list[str]:
    return DEVA_WORD.findall(line)


def _counts(lines: Iterable[str]) -> Counter[str]:
    c: Counter[str] = Counter()
    for line in lines:
        c.update(words(line))
    return c


def mined_words(root: Path, lang: str, others: dict[str, dict[str, float]]) -> list[str]:
    """Words frequent in ``lang``'s train lines and MIN_RATIO times rarer (per token) in each of
    ``others`` (name -> word -> share of tokens) and in the other corpora here."""
    out: list[str] = []
    for name, corpus in corpora(root).items():
        if corpus.lang == lang and corpus.mined:
            out += [w for w in _mined(root, name, others) if w not in out]
    return out


def _mined(root: Path, name: str, others: dict[str, dict[str, float]]) -> list[str]:
    """mined_words of one source, against the sources of the other languages."""
    cs = corpora(root)
    lang = cs[name].lang
    mine = _counts(cs[name].train)
    total = sum(mine.values())
    rates = dict(others)
    for other, corpus in cs.items():
        if corpus.lang != lang:
            oc = _counts(corpus.train)
            ot = sum(oc.values()) or 1
            rates[other] = {w: n / ot for w, n in oc.items()}
    out: list[str] = []
    for word, n in mine.most_common():
        if n < MIN_COUNT or len(out) >= MAX_MINED:
            break
        rate = n / total
        if all(rate >= MIN_RATIO * r.get(word, 0.0) for r in rates.values()):
            out.append(word)
    return out


def tune_items(root: Path) -> list[tuple[str, str, str]]:
    """(source, lang, line) tune sentences: up to TUNE_ITEMS per source of at least MIN_LETTERS letters."""
    out: list[tuple[str, str, str]] = []
    for name, corpus in corpora(root).items():
        kept = [
            line for line in corpus.tune
            if sum(len(w) for w in words(line)) >= MIN_LETTERS and len(words(line)) >= corpus.min_words
        ]
        out += [(name, corpus.lang, line) for line in kept[:TUNE_ITEMS]]
    return out

"""Romanized-Indic model of detect.lua: training text, character model, dev sets.

Part of tools/gen_langdata.py (run that). Sources (installed, never
downloaded at run time; versions pinned in tools/requirements-langdata.txt):

* native-script word lists of the Tesseract OCR models ``tessdata_fast`` as
  packaged by Debian (``tesseract-ocr-<lang>``, Apache-2.0, Copyright Google
  Inc.): every language, read with Tesseract's own ``combine_tessdata`` and
  ``dawg2wordlist`` tools;
* word frequencies of the ``wordfreq`` package (data CC BY-SA 4.0, Robyn Speer
  and contributors) for hi, bn, ta, ur and English;
* stop-word lists of the ``stopwordsiso`` package (MIT) for hi, mr, bn, gu, ur
  and English;
* the hand-written Hinglish lexicon of the ``dhvani`` package (MIT, Copyright
  Krishna Badikela): casual Latin spellings of common Hindi words (``nahi``,
  ``aaunga``, ``kyunki``), as people type them, which the rule-based
  romanizer does not all produce.

Each native word goes through tools/romanize.py (casual Latin spellings).
Every word is put in the train or the dev split by a hash of the word (one in
ten is dev); only train words reach the model. The dev split gives the
synthetic sentences of bench/data/roman_dev.tsv.

The model: per language, a character trigram (order-2 Markov) model over
a-z and a word boundary, Witten-Bell smoothed, stored as one flat table of
rounded, scaled negative log-probabilities. It is trained on word types (each
train spelling counts once): it scores the words the lexicon does not know,
which are rare words, and rare words follow the type distribution, not the
token one (a token-weighted model learns mostly ``hai ke se`` and makes the
content words of a language with word frequencies, hi ur bn ta, dearer than
those of a language with a word list only, pa gu mr ...). The whole-word
lexicon keeps the token weights (LEXICON_WORDS per language).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import random
import subprocess
import tempfile
import unicodedata
from collections import defaultdict
from pathlib import Path

import humandata
from romanize import romanize

# Order of the languages in the table: the romanized Indic ones, other Latin-script
# languages (never returned: they make such text nil), en last.
INDIC = ["hi", "ur", "mr", "bn", "pa", "gu", "ta", "te", "kn", "ml", "si", "sd"]
LATIN = ["de", "es", "fr", "it", "nl", "pt", "id", "fil"]
LANGS = [*INDIC, *LATIN, "en"]
TESSERACT = {
    "hi": "hin", "ur": "urd", "mr": "mar", "bn": "ben", "pa": "pan", "gu": "guj", "ta": "tam",
    "te": "tel", "kn": "kan", "ml": "mal", "si": "sin", "sd": "snd",
}
TESSDATA = Path("/usr/share/tesseract-ocr/5/tessdata")
WORDFREQ = {"hi", "ur", "bn", "ta", "en", *LATIN}
LEXICON_WORDS = 4000     # most frequent romanized words per language kept whole
LEXICON_SHARE = 0.5      # P(word) = max(share * P_lexicon, P_characters)
STOPWORDS = {"hi", "mr", "bn", "gu", "ur", "en"}
HINGLISH_FLOOR = 1e-5    # wordfreq-scale weight of a Hinglish spelling of no listed Hindi word
ENGLISH_TOP = 20000      # a Hinglish word among these English words is dropped (unless dhvani marks it Hindi)
# Unicode range of each language's native letters (and joiners).
RANGES = {
    "hi": (0x0900, 0x097F), "mr": (0x0900, 0x097F), "bn": (0x0980, 0x09FF), "pa": (0x0A00, 0x0A7F),
    "gu": (0x0A80, 0x0AFF), "ta": (0x0B80, 0x0BFF), "te": (0x0C00, 0x0C7F), "kn": (0x0C80, 0x0CFF),
    "ml": (0x0D00, 0x0D7F), "si": (0x0D80, 0x0DFF), "ur": (0x0600, 0x06FF), "sd": (0x0600, 0x06FF),
}
MAX_LEXICON = 60000      # words taken from a Tesseract list (by hash order)
MAX_WORDFREQ = 30000
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "lua" / "kong" / "plugins" / "language-router" / "detect" / "romandata.lua"
DEV_OUT = ROOT / "bench" / "data" / "roman_dev.tsv"
HUMAN_DEV_OUT = ROOT / "bench" / "data" / "human_dev.tsv"
# Shares of an Indic language's train corpus (tools/humandata.py): the romanizer's
# spellings of its word lists, Dakshina's human spellings, the words of the real
# code-mixed comments and tweets (ta ml hi; the others split that share between
# the first two). Chosen on the tune split (bench/data/human_dev.tsv).
SYNTHETIC_SHARE = 0.2
HUMAN_SHARE = 0.4
TOKEN_SHARE = 0.4
MIN_TOKENS = 2           # a word of the comments seen fewer times is not trained on
SCALE = 20               # table value = round(-log(p) * SCALE)
ALPHABET = 27            # 0: boundary, 1..26: a..z
DEV_SENTENCES = 200
ENGLISH_INDIC = 25       # dev items per Indic language of English with a few of its words


ALWAYS_TRAIN = 300       # a language's most frequent words (function words) are never dev


def _hash_order(lang: str, word: str) -> bytes:
    return hashlib.md5(f"order:{lang}:{word}".encode()).digest()


def native_ok(lang: str, word: str) -> bool:
    lo, hi = RANGES[lang]
    return bool(word) and all(lo <= ord(ch) <= hi or ch in "\u200c\u200d" for ch in word)


def tesseract_words(lang: str) -> list[str]:
    """Up to MAX_LEXICON words of the list inside Debian's tesseract-ocr-<code> model."""
    words = [w for w in tesseract_lexicon(TESSERACT[lang]) if native_ok(lang, w)]
    return sorted(words, key=lambda w: _hash_order(lang, w))[:MAX_LEXICON]


def tesseract_lexicon(code: str) -> list[str]:
    """Every word of the list inside Debian's tesseract-ocr-<code> model (NFC)."""
    with tempfile.TemporaryDirectory() as tmp:
        prefix = f"{tmp}/{code}."
        subprocess.run(
            ["combine_tessdata", "-u", str(TESSDATA / f"{code}.traineddata"), prefix],
            check=True, capture_output=True,
        )
        out = f"{tmp}/words"
        subprocess.run(
            ["dawg2wordlist", f"{prefix}lstm-unicharset", f"{prefix}lstm-word-dawg", out],
            check=True, capture_output=True,
        )
        words = Path(out).read_text(encoding="utf-8").split()
    return sorted({unicodedata.normalize("NFC", w) for w in words})


def wordfreq_words(lang: str) -> list[tuple[str, float]]:
    import wordfreq  # type: ignore[import-untyped,unused-ignore]

    out = []
    for w in wordfreq.top_n_list(lang, MAX_WORDFREQ * 2, wordlist="small" if lang != "en" else "large"):
        w = unicodedata.normalize("NFC", w)
        if lang in LATIN or lang == "en":
            w = fold(w)
            ok = w.isascii() and w.isalpha()
        else:
            ok = native_ok(lang, w)
        if ok:
            out.append((w, wordfreq.word_frequency(w, lang)))
        if len(out) >= MAX_WORDFREQ:
            break
    return out


def fold(word: str) -> str:
    """Lower case without accents (as detect.lua folds Latin-1 letters)."""
    word = word.lower().replace("ß", "ss")
    return "".join(ch for ch in unicodedata.normalize("NFD", word) if not unicodedata.combining(ch))


def stop_words(lang: str) -> list[str]:
    import stopwordsiso  # type: ignore[import-untyped,unused-ignore]

    words = sorted(stopwordsiso.stopwords(lang))
    if lang == "en":
        return [w for w in words if w.isascii() and w.isalpha()]
    return [unicodedata.normalize("NFC", w) for w in words if native_ok(lang, unicodedata.normalize("NFC", w))]


@functools.cache
def weighted_words(lang: str) -> dict[str, float]:
    """Native (or English) word -> weight: each source brings a fixed share."""
    parts: list[tuple[dict[str, float], float]] = []
    if lang in TESSERACT:
        parts.append(({w: 1.0 for w in tesseract_words(lang)}, 1.0))
    if lang in WORDFREQ:
        freq = dict(wordfreq_words(lang))
        parts.append((freq, 1.0))
        if lang not in TESSERACT:  # the type-weighted half the Indic languages get from Tesseract
            parts.append(({w: 1.0 for w in freq}, 1.0))
    if lang in STOPWORDS:
        parts.append(({w: 1.0 for w in stop_words(lang)}, 0.5))
    total: dict[str, float] = defaultdict(float)
    for words, share in parts:
        mass = sum(words.values())
        for w, x in words.items():
            total[w] += share * x / mass
    return dict(total)


def spellings(lang: str, words: list[str]) -> list[set[str]]:
    if lang not in TESSERACT:
        return [{w} for w in words]
    return romanize(words, lang)


Corpus = dict[str, float]  # romanized word -> weight


def common_words(lang: str) -> set[str]:
    """The language's ALWAYS_TRAIN most frequent native words: never dev."""
    weights = weighted_words(lang)
    return set(sorted(weights, key=lambda w: (-weights[w], w))[:ALWAYS_TRAIN])


def corpora() -> dict[str, tuple[Corpus, Corpus]]:
    """Per language: (train, dev) romanized words with weights."""
    out = {}
    for lang in LANGS:
        weights = weighted_words(lang)
        words = sorted(weights)
        common = common_words(lang)
        train: Corpus = defaultdict(float)
        dev: Corpus = defaultdict(float)
        for word, forms in zip(words, spellings(lang, words), strict=True):
            forms = {f for f in forms if f.isascii() and f.isalpha()}
            if not forms:
                continue
            side = dev if word not in common and humandata.held_out(lang, word) else train
            for form in forms:
                side[form] += weights[word] / len(forms)
        out[lang] = (dict(train), dict(dev))
    return out


def hinglish_words() -> dict[str, str]:
    """dhvani's hand-written Hinglish spellings: romanized word -> Devanagari word ('' if none).

    The curated entries of ``lexicon/hinglish_lexicon.json`` (not its generated
    ``__dev__`` ones) and the ``HINDI_WORDS`` of ``lang_id.py``, through
    keep_hinglish.
    """
    import importlib.util
    import json

    import wordfreq  # type: ignore[import-untyped,unused-ignore]
    from dhvani.lang_id import AMBIGUOUS_WORDS, HINDI_WORDS  # type: ignore[import-untyped,unused-ignore]

    spec = importlib.util.find_spec("dhvani")
    assert spec is not None and spec.origin is not None
    path = Path(spec.origin).parent / "lexicon" / "hinglish_lexicon.json"
    entries = json.loads(path.read_text(encoding="utf-8"))
    lexicon_ = {k: str(v.get("devanagari", "")) for k, v in entries.items()}
    english = set(wordfreq.top_n_list("en", ENGLISH_TOP))
    return keep_hinglish(lexicon_, set(HINDI_WORDS), set(AMBIGUOUS_WORDS), english)


def keep_hinglish(lexicon_: dict[str, str], hindi: set[str], both: set[str], english: set[str]) -> dict[str, str]:
    """The Hinglish spellings worth training on: romanized word -> NFC Devanagari word ('' if none).

    Generated entries (``__dev__...``) and anything but lower-case a-z are
    dropped, and so are English words (``phone``, ``bro``: in ``english``)
    unless listed as Hindi (``hindi``) or as both (``both``: ``main``, ``the``),
    so that an English word does not look Hindi. Words of ``hindi`` missing from
    the lexicon come with no Devanagari word.
    """
    out = {k: unicodedata.normalize("NFC", v) for k, v in lexicon_.items() if not k.startswith("__")}
    for key in sorted(hindi):
        out.setdefault(key, "")
    return {
        k: v
        for k, v in sorted(out.items())
        if k.isascii() and k.isalpha() and k == k.lower() and (k not in english or k in hindi or k in both)
    }


def share_weight(train: Corpus, weight: float, old: set[str], new: set[str]) -> None:
    """Gives new spellings of a word their share of its weight, taken from its old spellings.

    The word's ``weight`` was split evenly over ``old``; after this it is split
    evenly over ``old | new``, and no other word's weight changes.
    """
    new = new - old
    n = len(old) + len(new)
    for f in old:
        train[f] -= weight / len(old) - weight / n
    for f in new:
        train[f] = train.get(f, 0.0) + weight / n


def add_hinglish(train: Corpus) -> Corpus:
    """hi train words with dhvani's Hinglish spellings as more spellings of their Hindi words.

    A Hindi word's weight is shared by its romanizer spellings and its dhvani
    ones alike (``nahin`` and ``nahi``), so the other words keep their weight;
    a spelling whose Hindi word is not in the hi word list, or has none, gets
    HINGLISH_FLOOR (on wordfreq's scale) of extra weight. A Hindi word of the
    dev split brings nothing: no dev word reaches the model through it.
    """
    import wordfreq  # type: ignore[import-untyped,unused-ignore]

    weights = weighted_words("hi")
    common = set(sorted(weights, key=lambda w: (-weights[w], w))[:ALWAYS_TRAIN])
    by_native: dict[str, set[str]] = defaultdict(set)
    for roman, native in hinglish_words().items():
        by_native[native].add(roman)
    out = dict(train)
    floor = HINGLISH_FLOOR * sum(weights.values()) / sum(wordfreq.word_frequency(w, "hi") or 0.0 for w in weights)
    natives = sorted(n for n in by_native if n in weights)
    for native, forms in zip(natives, spellings("hi", natives), strict=True):
        if native not in common and humandata.held_out("hi", native):
            continue
        share_weight(out, weights[native], {f for f in forms if f.isascii() and f.isalpha()}, by_native[native])
    for native, romans in sorted(by_native.items()):
        if native in weights or (native and humandata.held_out("hi", native)):
            continue
        for f in sorted(romans):
            out[f] = out.get(f, 0.0) + floor
    return out


def _codes(word: str) -> list[int]:
    return [0, 0, *(ord(c) - 96 for c in word), 0]


def train_model(train: Corpus) -> list[int]:
    """Witten-Bell smoothed order-2 character model -> SCALE * -log p per trigram index."""
    mass = sum(train.values())
    scale = len(train) / mass  # counts on the scale of word types
    tri: dict[tuple[int, int, int], float] = defaultdict(float)
    for word, w in train.items():
        codes = _codes(word)
        for i in range(2, len(codes)):
            tri[(codes[i - 2], codes[i - 1], codes[i])] += w * scale
    bi: dict[tuple[int, int], float] = defaultdict(float)
    uni: dict[int, float] = defaultdict(float)
    for (_, b, c), n in tri.items():
        bi[(b, c)] += n
        uni[c] += n
    n_uni = sum(uni.values())
    p1 = [(uni.get(c, 0.0) + 0.5) / (n_uni + 0.5 * ALPHABET) for c in range(ALPHABET)]

    def wb(counts: dict[int, float], lower: list[float]) -> list[float]:
        n = sum(counts.values())
        t = len(counts)
        if n == 0:
            return lower
        return [(counts.get(c, 0.0) + t * lower[c]) / (n + t) for c in range(ALPHABET)]

    by_b: dict[int, dict[int, float]] = defaultdict(dict)
    for (b, c), n in bi.items():
        by_b[b][c] = n
    p2 = {b: wb(by_b[b], p1) for b in range(ALPHABET)}
    by_ab: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)
    for (a, b, c), n in tri.items():
        by_ab[(a, b)][c] = n
    table: list[int] = []
    for a in range(ALPHABET):
        for b in range(ALPHABET):
            p3 = wb(by_ab.get((a, b), {}), p2[b])
            table.extend(round(-math.log(p) * SCALE) for p in p3)
    return table


def word_key(word: str) -> int | None:
    """Whole-word key as detect.lua computes it (base 27, at most 11 letters)."""
    if len(word) > 11:
        return None
    key = 0
    for ch in word:
        key = key * ALPHABET + ord(ch) - 96
    return key


def lexicon(corpora_: dict[str, tuple[Corpus, Corpus]]) -> dict[int, list[tuple[int, int]]]:
    """Word key -> [(language index, cost)] for each language's most frequent words."""
    out: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for j, lang in enumerate(LANGS):
        train = corpora_[lang][0]
        mass = sum(train.values())
        top = sorted(train.items(), key=lambda kv: (-kv[1], kv[0]))[:LEXICON_WORDS]
        for word, w in top:
            key = word_key(word)
            if key is not None:
                out[key].append((j + 1, round(-math.log(LEXICON_SHARE * w / mass) * SCALE)))
    return dict(sorted(out.items()))


def dev_sentences(corpora_: dict[str, tuple[Corpus, Corpus]]) -> list[tuple[str, str, str]]:
    """Synthetic dev items (kind, lang, text).

    ``romanized``: 6 to 12 words of one language: two in three from the dev
    split (words no model saw), one in three from the language's
    ALWAYS_TRAIN function words, as running text has them; ``code_mixed``:
    the same with about half of the words English; ``english_indic`` (label
    ``en``): 8 to 14 English words with up to a quarter of them (at least one)
    from an Indic language, English with Indian words in it.
    """
    rng = random.Random(13)
    out = []

    pools: dict[str, tuple[list[str], list[float], list[str], list[float]]] = {}
    for lang in LANGS:
        train, dev = corpora_[lang]
        common = sorted(train.items(), key=lambda kv: (-kv[1], kv[0]))[:ALWAYS_TRAIN]
        rare = sorted(dev.items())
        pools[lang] = (
            [w for w, _ in common], list(itertools.accumulate(x for _, x in common)),
            [w for w, _ in rare], list(itertools.accumulate(x for _, x in rare)),
        )

    def draw(lang: str, k: int) -> list[str]:
        cw, cc, rw, rc = pools[lang]
        return [
            rng.choices(cw, cum_weights=cc)[0] if rng.random() < 1 / 3 else rng.choices(rw, cum_weights=rc)[0]
            for _ in range(k)
        ]

    for lang in LANGS:
        for _ in range(DEV_SENTENCES):
            out.append(("romanized", lang, " ".join(draw(lang, rng.randint(6, 12)))))
        if lang not in INDIC:
            continue
        for _ in range(DEV_SENTENCES // 2):
            n = rng.randint(6, 12)
            mixed = draw(lang, n - n // 2) + draw("en", n // 2)
            rng.shuffle(mixed)
            out.append(("code_mixed", lang, " ".join(mixed)))
    for lang in INDIC:  # after the items above, so that those stay as they were
        for _ in range(ENGLISH_INDIC):
            n = rng.randint(8, 14)
            k = rng.randint(1, n // 4)
            words = draw("en", n - k)
            for word in draw(lang, k):
                words.insert(rng.randint(0, len(words)), word)
            out.append(("english_indic", "en", " ".join(words)))
    return out


def _wrap(numbers: list[int]) -> list[str]:
    lines = []
    line = "    "
    for x in numbers:
        piece = f"{x},"
        if len(line) + len(piece) > 100:
            lines.append(line.rstrip())
            line = "    "
        line += piece
    lines.append(line)
    return lines


def render_lua(tables: dict[str, list[int]], lex: dict[int, list[tuple[int, int]]], header: list[str]) -> str:
    out = [
        *header,
        "return {",
        "  langs = { " + ", ".join(f'"{x}"' for x in LANGS) + " },",
        f"  indic = {len(INDIC)},",
        f"  scale = {SCALE},",
        "  lp = {",
    ]
    flat: list[int] = []
    for idx in range(ALPHABET**3):
        flat.extend(tables[lang][idx] for lang in LANGS)
    out.extend(_wrap(flat))
    out.append("  },")
    out.append("  lexicon = {")
    flat = []
    for key, pairs in lex.items():
        flat.extend([key, len(pairs)])
        for j, cost in pairs:
            flat.extend([j, cost])
    out.extend(_wrap(flat))
    out.append("  },")
    out.append("}")
    return "\n".join(out) + "\n"


HEADER = [
    "-- GENERATED by tools/gen_langdata.py (tools/romandata.py) -- do not edit.",
    "--",
    "-- Latin-script models of detect.lua: romanized hi ur mr bn pa gu ta te kn ml si sd",
    "-- (native words of Debian's tesseract-ocr-<lang> word lists, tessdata_fast, Apache-2.0,",
    "-- Copyright Google Inc.; wordfreq word frequencies for hi ur bn ta, data CC BY-SA 4.0;",
    "-- stopwordsiso lists for hi mr bn gu ur, MIT; romanized by tools/romanize.py with",
    "-- aksharamukha; Hinglish spellings of dhvani, MIT; human romanizations of the train",
    "-- splits of Dakshina v1.0, CC BY-SA 4.0, of DravidianCodeMix ta ml, CC BY 4.0, and of",
    "-- SemEval-2020 SentiMix Hinglish), de es fr it nl pt id fil and en (wordfreq;",
    "-- stopwordsiso for en).",
    "-- See lua/kong/plugins/language-router/detect/DATA.md. Train split only (a hash keeps one",
    "-- word, comment or tweet in ten for bench/data/roman_dev.tsv and human_dev.tsv).",
    "--",
    "-- lp: for trigram index (a * 27 + b) * 27 + c (letters 1..26, 0 a word boundary),",
    "-- one cost per language in langs order: round(scale * -log P(c | a b)), trained on",
    "-- word types.",
    "-- lexicon: key, n, then n pairs (language index, cost of the whole word); key is",
    "-- the word in base 27 (words of at most 11 letters).",
]


def shayari_items() -> list[tuple[str, str, str]]:
    """Real romanized Hindustani text for the dev set: the couplets of ``pyshayari``.

    (MIT; classical couplets of Ghalib, Mir, Zafar, Iqbal, Kabir and Rahim, in
    the public domain, plus the package's own lines.) Labelled ``hi``: bench
    counts hi and ur alike for them, as romanized Hindi and Urdu are one text.
    Never trained on.
    """
    from pyshayari.shayaris import SHAYARIS  # type: ignore[import-untyped,unused-ignore]

    return [("shayari", "hi", " ".join(str(item["text"]).split())) for item in SHAYARIS]


def human_spellings(lang: str, human: humandata.Human, english: set[str]) -> tuple[Corpus, Corpus]:
    """Dakshina's train spellings of lang: (token-weighted, type-weighted).

    A native word's weight (weighted_words; the smallest one for a word of no
    list) is split over its attested romanizations by attestations; type
    weight: each native word 1, split the same way. A spelling that is an
    English word (``english``) is left out unless its native word is one of the
    language's ALWAYS_TRAIN most frequent ones (``hai``, ``to``): the lexicons
    are Wikipedia words, with many English loans and names spelled the English
    way (``france``, ``computer``), which would make English text look Indic.
    """
    weights = weighted_words(lang)
    floor = min(weights.values())
    common = common_words(lang)
    tok: Corpus = defaultdict(float)
    typ: Corpus = defaultdict(float)
    for native, forms in sorted(human.lexicon[lang].items()):
        if native not in common:
            forms = {f: n for f, n in forms.items() if f not in english}
        total = sum(forms.values())
        w = weights.get(native, floor)
        for form, n in sorted(forms.items()):
            tok[form] += w * n / total
            typ[form] += n / total
    return dict(tok), dict(typ)


def comment_words(lang: str, human: humandata.Human, known: set[str], english: set[str], held: set[str]) -> Corpus:
    """Words of lang's train comments/tweets seen MIN_TOKENS times, by count.

    English words (among ENGLISH_TOP) are dropped unless Dakshina attests them
    for one of lang's most frequent words (``known``: ``naan``, ``hai``), and so are spellings Dakshina has
    only for tune words (``held``), so that no tune word reaches the model.
    """
    return {
        w: float(n)
        for w, n in sorted(human.tokens.get(lang, {}).items())
        if n >= MIN_TOKENS and (w not in english or w in known) and w not in held
    }


def mix(parts: list[tuple[Corpus, float]]) -> Corpus:
    """Sum of the corpora, each scaled to its share of the mass (empty ones skipped)."""
    parts = [(c, share) for c, share in parts if c]
    total = sum(share for _, share in parts)
    out: Corpus = defaultdict(float)
    for corpus, share in parts:
        mass = sum(corpus.values())
        for w, x in corpus.items():
            out[w] += x * share / total / mass
    return dict(out)


def add_human(c: dict[str, tuple[Corpus, Corpus]], human: humandata.Human) -> dict[str, Corpus]:
    """Indic train corpora with the human spellings (in place); returns the type corpora of the character models."""
    import wordfreq  # type: ignore[import-untyped,unused-ignore]

    english = set(wordfreq.top_n_list("en", ENGLISH_TOP))
    types: dict[str, Corpus] = {}
    for lang in INDIC:
        synthetic, dev = c[lang]
        tok, typ = human_spellings(lang, human, english)
        held = {f for forms in human.lexicon_tune[lang].values() for f in forms} - set(typ)
        common = common_words(lang)
        known = {f for native, forms in human.lexicon[lang].items() if native in common for f in forms}
        words = comment_words(lang, human, known, english, held)
        c[lang] = (mix([(synthetic, SYNTHETIC_SHARE), (tok, HUMAN_SHARE), (words, TOKEN_SHARE)]), dev)
        types[lang] = mix([
            (dict.fromkeys(synthetic, 1.0), SYNTHETIC_SHARE), (typ, HUMAN_SHARE),
            (dict.fromkeys(words, 1.0), TOKEN_SHARE),
        ])
    return types


def render_all(sources: Path) -> dict[Path, str]:
    """romandata.lua and the dev sets, from the pinned sources (``sources``: the mirrors of humandata)."""
    c = corpora()
    items = dev_sentences(c) + shayari_items()  # from the romanizer's words alone, as before
    c["hi"] = (add_hinglish(c["hi"][0]), c["hi"][1])
    human = humandata.load(sources, {lang: common_words(lang) for lang in INDIC})
    types = add_human(c, human)
    tables = {lang: train_model(types.get(lang) or dict.fromkeys(c[lang][0], 1.0)) for lang in LANGS}
    dev = "".join(f"{kind}\t{lang}\t{text}\n" for kind, lang, text in items)
    dev_header = (
        "# Synthetic dev set of bench/detect_bench.lua, written by tools/gen_langdata.py:\n"
        "# kind<TAB>lang<TAB>text; words of the dev split (never trained on) and each\n"
        "# language's most frequent words; then real romanized couplets (pyshayari);\n"
        "# see lua/kong/plugins/language-router/detect/DATA.md.\n"
    )
    common = {
        lang: sorted(c[lang][0].items(), key=lambda kv: (-kv[1], kv[0]))[:ALWAYS_TRAIN] for lang in INDIC
    }
    tune = humandata.tune_romanized(human, common) + human.mixed_tune
    human_header = (
        "# Tune split of the human romanizations (tools/humandata.py), written by\n"
        "# tools/gen_langdata.py: kind<TAB>lang<TAB>text. human_romanized: Dakshina tune\n"
        "# words in attested spellings (and each language's most frequent train words);\n"
        "# dravidian_cm: DravidianCodeMix train comments of the tune hash; hindi_cm and\n"
        "# hindi_cm_clean (the holdout's selection): SentiMix train tweets of the tune hash.\n"
        "# Never trained on; see DATA.md.\n"
    )
    tune_text = "".join(f"{kind}\t{lang}\t{' '.join(text.split())}\n" for kind, lang, text in tune)
    return {
        OUT: render_lua(tables, lexicon(c), HEADER),
        DEV_OUT: dev_header + dev,
        HUMAN_DEV_OUT: human_header + tune_text,
    }

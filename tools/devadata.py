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
  line per half-shloka (to the danda), ODbL 1.0.

Only sources whose licence allows commercial use are read: the gateway ships
what is mined from them (no Maithili running text under such a licence was
found, see DATA.md).

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
SOURCES = [SA_VEDIC, RAMAYANA]

TUNE_ITEMS = 300        # tune sentences per source
MIN_LETTERS = 12        # a line of fewer Devanagari letters is no tune item
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


def _split(name: str, lang: str, lines: Iterable[str]) -> Corpus:
    train: list[str] = []
    tune: list[str] = []
    seen: set[str] = set()
    for line in lines:
        if line in seen:        # repeated lines (repeated verses, formulae) on one side only
            continue
        seen.add(line)
        (tune if humandata.held_out(name, line) else train).append(line)
    return Corpus(lang, tuple(train), tuple(tune))


@cache
def corpora(root: Path) -> dict[str, Corpus]:
    """Per source: its language and train and tune lines (sa twice: Vedic prose and verse, epic verse)."""
    return {
        "sa-vedic": _split(SA_VEDIC.name, "sa", _vedic_lines(root)),
        "sa-ramayana": _split(RAMAYANA.name, "sa", _ramayana_lines(root)),
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
        if corpus.lang == lang:
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
            if sum(len(w) for w in words(line)) >= MIN_LETTERS
        ]
        out += [(name, corpus.lang, line) for line in kept[:TUNE_ITEMS]]
    return out

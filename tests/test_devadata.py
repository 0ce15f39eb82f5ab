"""tools/devadata.py: running text (Sanskrit), train split only, words mined against the other languages.

The sources (git mirrors) and the generator's packages are generator-only; these tests drive
the split and the mining on small inputs.
"""

from __future__ import annotations

from pathlib import Path

import devadata
import humandata
import pytest
from devadata import Corpus


def test_running_text_tune_split_is_the_held_out_hash() -> None:
    """Issue 25 item 2: a line is tune exactly when humandata's held_out hash says so, a repeated line once."""
    lines = [f"रामो वनं {i} गच्छति" for i in range(200)]
    corpus = devadata._split("ud-sanskrit-vedic", "sa", [*lines, lines[0], lines[1]])
    assert set(corpus.tune) == {line for line in lines if humandata.held_out("ud-sanskrit-vedic", line)}
    assert set(corpus.train) == set(lines) - set(corpus.tune)
    assert len(corpus.train) + len(corpus.tune) == len(lines)
    assert 0 < len(corpus.tune) < len(lines) / 5


def test_mined_words_are_rare_in_the_other_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 25 item 2: a word is mined when frequent in its language's train lines and rare in Hindi
    (wordfreq shares) and in the corpus of every other language (made-up corpora here: the
    generator reads Sanskrit only); tune lines are never mined."""
    corpora = {
        "mai": Corpus("mai", ("अछि सभ घर", "अछि सभ घर", "अछि सभ घर", "अछि घर"), ("तुनशब्द तुनशब्द तुनशब्द",)),
        "bho": Corpus("bho", ("सभ बा घर", "सभ बा घर"), ()),
        "mag": Corpus("mag", ("हइ घर",), ()),
    }
    monkeypatch.setattr(devadata, "corpora", lambda root: corpora)
    monkeypatch.setattr(devadata, "MIN_COUNT", 3)
    hindi = {"घर": 0.01}
    # अछि: 4 of 11 Maithili tokens, absent elsewhere; सभ: as frequent in Bhojpuri; घर: Hindi and all
    assert devadata.mined_words(Path("."), "mai", {"hi": hindi}) == ["अछि"]
    assert devadata.mined_words(Path("."), "sa", {"hi": hindi}) == []


def test_running_text_words_are_detect_lua_tokens() -> None:
    """Issue 25 item 2: words end where detect.lua ends them (danda, digits, joiners, Latin)."""
    assert devadata.words("गाममे।१२ लोक\u200dक abc अछि॥") == ["गाममे", "लोक", "क", "अछि"]

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


def _serve(monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> None:
    """humandata.read answers with ``files`` by the source's path (no mirror needed)."""
    monkeypatch.setattr(humandata, "read", lambda root, src: files[src.path])


def test_interface_strings_lose_placeholders_and_markup(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 25: Maithili (and the Hindi and Marathi contrast) come from interface strings; what
    is no language in them (markup, printf, Fluent and DTD placeholders, escapes, access keys) goes,
    and only the target language's side of a Pontoon TMX is read."""
    tmx = (
        '<?xml version="1.0" encoding="UTF-8"?><tmx version="1.4"><body>'
        '<tu><tuv xml:lang="en-US"><seg>Open %S in { $app }</seg></tuv>'
        '<tuv xml:lang="mai"><seg>%1$S केँ { $app } मे &lt;b&gt;खोलू&lt;/b&gt;</seg></tuv></tu>'
        '<tu><tuv xml:lang="en-US"><seg>Save</seg></tuv>'
        '<tuv xml:lang="mai"><seg>&amp;सहेजू \\u0020 &amp;brandShortName; सँ</seg></tuv></tu>'
        "</body></tmx>"
    )
    locale = '{"a": "अहाँ <a href=\\"x\\">एतय</a> क्लिक करू", "b": "Untranslated"}'
    android = (
        '<resources><string name="a">डेटा सिंक\\n हो रहा है</string>'
        '<string name="b">आप\\\'का खाता</string></resources>'
    )
    _serve(monkeypatch, {
        devadata.PONTOON["mai"].path: tmx,
        devadata.VAKYANSH["mai"].path: locale,
        devadata.AAROGYA_HI.path: android,
    })
    root = Path(".")
    assert devadata._pontoon_lines(root, devadata.PONTOON["mai"]) == ["केँ मे खोलू", "सहेजू सँ"]
    assert devadata._json_lines(root, devadata.VAKYANSH["mai"]) == ["अहाँ एतय क्लिक करू", "Untranslated"]
    assert devadata._android_lines(root, devadata.AAROGYA_HI) == ["डेटा सिंक हो रहा है", "आप'का खाता"]


def test_contrast_corpora_are_not_mined(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 25: the Hindi interface strings are not mined, and a Maithili word as frequent in them
    is not a Maithili word (डाउनलोड), while one they lack is (करू)."""
    corpora = {
        "mai-ui": Corpus("mai", ("डाउनलोड करू",) * 4, ()),
        "hi-ui": Corpus("hi", ("डाउनलोड करें",) * 4, (), mined=False),
    }
    monkeypatch.setattr(devadata, "corpora", lambda root: corpora)
    assert devadata.mined_words(Path("."), "mai", {}) == ["करू"]
    assert devadata.mined_words(Path("."), "hi", {}) == []


def test_interface_tune_lines_have_three_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 25: a label of one or two words (a name, a term) is no tune line of an interface-string
    corpus; running text keeps its short lines."""
    ui = devadata._split("mai-ui", "mai", [], min_words=devadata.UI_MIN_WORDS)
    corpora = {
        "mai-ui": Corpus("mai", (), ("प्रमाणपत्र प्रबंधक", "प्रमाणपत्र एतय अछि"), ui.mined, ui.min_words),
        "sa-vedic": Corpus("sa", (), ("इन्द्रस्य वीर्याणि",)),
    }
    monkeypatch.setattr(devadata, "corpora", lambda root: corpora)
    assert devadata.tune_items(Path(".")) == [
        ("mai-ui", "mai", "प्रमाणपत्र एतय अछि"),
        ("sa-vedic", "sa", "इन्द्रस्य वीर्याणि"),
    ]

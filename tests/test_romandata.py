"""tools/romandata.py: dhvani's Hinglish spellings in the romanized-Hindi train words; the dev set.

The sources themselves (wordfreq, dhvani, Tesseract) are generator-only
(tools/requirements-langdata.txt); these tests drive the pure parts on small inputs.
"""

from __future__ import annotations

import pytest
from romandata import ENGLISH_INDIC, INDIC, LANGS, dev_sentences, keep_hinglish, share_weight


def test_new_spellings_take_their_share_of_the_word_weight_only() -> None:
    train = {"nahin": 1.0, "naheen": 1.0, "ghar": 3.0}
    share_weight(train, 2.0, {"nahin", "naheen"}, {"nahi"})
    assert train["nahin"] == pytest.approx(2 / 3)
    assert train["naheen"] == pytest.approx(2 / 3)
    assert train["nahi"] == pytest.approx(2 / 3)
    assert train["ghar"] == 3.0
    assert sum(train.values()) == pytest.approx(5.0)


def test_a_spelling_the_romanizer_already_gives_changes_nothing() -> None:
    train = {"kal": 1.0}
    share_weight(train, 1.0, {"kal"}, {"kal"})
    assert train == {"kal": 1.0}


def test_a_word_without_romanizer_spellings_gets_its_whole_weight() -> None:
    train: dict[str, float] = {}
    share_weight(train, 0.5, set(), {"aaunga", "aunga"})
    assert train == {"aaunga": 0.25, "aunga": 0.25}


def test_english_words_are_dropped_unless_listed_as_hindi() -> None:
    lexicon = {
        "nahi": "नहीं",
        "phone": "फोन",  # English: dropped
        "main": "मैं",  # English too, but listed as both
        "hai": "है",  # English list has it, listed as Hindi
        "__dev__घर": "घर",  # generated entry: dropped
        "Kya": "क्या",  # not lower case: dropped
    }
    english = {"phone", "main", "hai", "office"}
    kept = keep_hinglish(lexicon, hindi={"hai", "kyunki"}, both={"main"}, english=english)
    assert kept == {"hai": "है", "kyunki": "", "main": "मैं", "nahi": "नहीं"}


def test_devanagari_is_normalized_to_nfc() -> None:
    # U+0958 (qa) is a composition exclusion: NFC writes it ka + nukta, as the word lists are.
    assert keep_hinglish({"qaid": "\u0958\u0948\u0926"}, set(), set(), set())["qaid"] == "\u0915\u093c\u0948\u0926"


def test_dev_set_english_with_indic_words_is_mostly_english() -> None:
    # a toy corpus per language: train and dev words that tell the language
    corpora = {
        lang: ({f"{lang}t{i}": 1.0 for i in range(5)}, {f"{lang}d{i}": 1.0 for i in range(5)}) for lang in LANGS
    }
    items = dev_sentences(corpora)
    english_indic = [text for kind, lang, text in items if kind == "english_indic" and lang == "en"]
    assert len(english_indic) == ENGLISH_INDIC * len(INDIC)
    for text in english_indic:
        words = text.split()
        indic = [w for w in words if not w.startswith("en")]
        assert 8 <= len(words) <= 14
        assert 1 <= len(indic) <= len(words) // 4
        assert len({w[:2] for w in indic}) == 1  # one Indic language per item

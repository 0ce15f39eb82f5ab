"""tools/romanize.py: the casual romanization behind the romanized-Indic training text.

The Brahmic path needs aksharamukha (tools/requirements-langdata.txt only), so these
tests drive the parts that do not: ISO 15919 units, schwa deletion, spellings, and the
Arabic-script (Urdu/Sindhi) reader.
"""

from __future__ import annotations

import pytest
from romanize import _units, casual, drop_schwa, epenthesis, romanize_arabic_word


@pytest.mark.parametrize(
    ("iso", "lang", "expected"),
    [
        ("kala", "hi", {"kal"}),  # final schwa dropped
        ("karatā", "hi", {"kartaa", "karta"}),  # medial V C a C V schwa dropped
        ("nahīṁ", "hi", {"naheen", "nahi", "nahin"}),  # final nasal kept or dropped
        ("āūm̐gā", "hi", {"aaoongaa", "aunga", "aaungaa"}),
        ("kala", "ta", {"kala"}),  # Dravidian: the inherent vowel stays
        ("śānti", "mr", {"shaanti", "santi", "saanti"}),  # mixed: long a only
    ],
)
def test_brahmic_spellings(iso: str, lang: str, expected: set[str]) -> None:
    units = _units(iso)
    if lang in ("hi", "mr"):
        units = drop_schwa(units)
    assert casual(units, lang) == expected


def test_schwa_deletion_keeps_one_syllable_words() -> None:
    assert drop_schwa(["n", "a"]) == ["n", "a"]
    assert drop_schwa(["k", "a", "m", "a", "l", "a"]) == ["k", "a", "m", "a", "l"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("کل", "kal"),  # unwritten short vowel between consonants
        ("کیا", "kya"),  # ye before alif is a consonant
        ("نہیں", "nahin"),
        ("ہے", "hai"),
        ("دفتر", "dafatar"),
    ],
)
def test_arabic_script_spellings(word: str, expected: str) -> None:
    assert expected in romanize_arabic_word(word)


def test_arabic_script_gives_only_ascii_letters() -> None:
    for word in ("میں", "شکریہ", "ڪتاب", "ٻار", "۾"):
        for spelling in romanize_arabic_word(word):
            assert spelling.isascii() and spelling.isalpha()


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        (["dh", "a", "r", "m"], ["dh", "a", "r", "a", "m"]),  # dharm -> dharam
        (["kh", "a", "t", "m"], ["kh", "a", "t", "a", "m"]),  # khatm -> khatam
        (["ph", "i", "k", "r"], ["ph", "i", "k", "a", "r"]),  # fikr -> fikar
        (["b", "a", "n", "d"], None),  # not before m/n/r: band stays
        (["d", "o", "s", "t"], None),
        (["a", "m", "m"], None),  # a geminate is not a cluster
        (["k", "a", "r", "a", "m"], None),  # no cluster
    ],
)
def test_epenthesis_in_final_consonant_clusters(units: list[str], expected: list[str] | None) -> None:
    assert epenthesis(units) == expected

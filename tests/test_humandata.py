"""tools/humandata.py and its use in tools/romandata.py: human romanizations, train split only.

The sources (git mirrors of public repositories) and the generator's packages are
generator-only; these tests drive the parsers and the split on small inputs, and
the generator's ``--check`` when both are present.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import humandata
import pytest
from humandata import DAKSHINA, DCM_ML, DCM_TA, Human, held_out, parse_comments, parse_conll, parse_dakshina
from romandata import comment_words, mix

ROOT = Path(__file__).resolve().parent.parent


def test_learn_romanization_from_people_dakshina_counts_per_spelling() -> None:
    """Issue 25 item 1: Dakshina's attested spellings keep their counts, folded to a-z."""
    text = "நான்\tnaan\t3\nநான்\tNaan\t1\nநான்\tnan\t1\nநான்\tna'an\t2\nbroken line\n"
    assert parse_dakshina(text) == {"நான்": {"naan": 4, "nan": 1}}


def test_learn_romanization_from_people_comment_formats() -> None:
    """Issue 25 item 1: Tamil (label TAB text) and Malayalam (text;label;) train comments, not the other languages'."""
    assert parse_comments("1\tenna  solra nee\n3\t\n0\tyeh toh fake hai\n", DCM_TA) == ["enna solra nee"]
    text = "ente ponno; vere level;Positive;\nno label\nkya baat hai;not-malayalam;\n"
    assert parse_comments(text, DCM_ML) == ["ente ponno; vere level"]


def test_learn_romanization_from_people_sentimix_tags() -> None:
    """Issue 25 item 1: SentiMix tweets keep their per-token language tags."""
    text = "meta\t1\tpositive\nkya\tHin\nbaat\tHin\nhai\tHin\nbro\tEng\n\nmeta\t2\tneutral\nok\tEng\n"
    assert parse_conll(text) == [[("kya", "Hin"), ("baat", "Hin"), ("hai", "Hin"), ("bro", "Eng")], [("ok", "Eng")]]


def test_learn_romanization_from_people_tune_split_is_stable_and_one_in_ten() -> None:
    """Issue 25 item 1: the tune split is a stable hash, about one item in ten."""
    items = [f"word{i}" for i in range(5000)]
    tune = [w for w in items if held_out("ta", w)]
    assert 400 <= len(tune) <= 600
    assert tune == [w for w in items if held_out("ta", w)]


def test_learn_romanization_from_people_no_tune_word_reaches_training() -> None:
    """Issue 25 item 1: comment words seen once, English words and tune-only spellings are not trained on."""
    human = Human(lexicon={}, lexicon_tune={}, tokens={"ta": {"naan": 5, "super": 9, "kadhal": 4, "once": 1}}, mixed_tune=[])
    english = {"super", "naan", "once"}
    words = comment_words("ta", human, known={"naan"}, english=english, held={"kadhal"})
    assert words == {"naan": 5.0}


def test_learn_romanization_from_people_shares_of_the_mixture() -> None:
    """Issue 25 item 1: each part of a train corpus brings its share of the mass, whatever its size."""
    out = mix([({"a": 1.0, "b": 3.0}, 0.3), ({"c": 100.0}, 0.4), ({}, 0.3)])
    assert out == pytest.approx({"a": 0.3 / 0.7 * 0.25, "b": 0.3 / 0.7 * 0.75, "c": 0.4 / 0.7})


def test_sources_absent_means_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 25 item 1: without every mirror the generator skips the files made from them."""
    monkeypatch.delenv(humandata.ENV, raising=False)
    assert humandata.sources_root() is None
    assert humandata.sources_root(str(tmp_path)) is None
    git_dir = humandata.mirror(tmp_path, DAKSHINA["hi"])
    git_dir.mkdir(parents=True)
    (git_dir / "HEAD").write_text("ref: refs/heads/main\n")
    assert humandata.sources_root(str(tmp_path)) is None  # the other mirrors are missing


def test_generated_data_is_up_to_date() -> None:
    """Issue 25 item 1: `gen_langdata.py --check` regenerates romandata.lua byte for byte from the sources."""
    for module in ("langdetect", "babel", "wordfreq", "stopwordsiso", "dhvani", "aksharamukha", "pyshayari"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"generator package {module} not installed (tools/requirements-langdata.txt)")
    if humandata.sources_root() is None:
        pytest.skip(f"human romanization sources absent: set {humandata.ENV} to the mirrors' directory (DATA.md)")
    result = subprocess.run(
        [sys.executable, "tools/gen_langdata.py", "--check"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_mixed_hindi_tune_tweets_drop_handles_links_hashtags() -> None:
    """Issue 25 item 2: hindi_cm_clean tune tweets (the holdout's selection) are counted and written
    without @handles, hashtags, RT and links, whose pieces SentiMix often tags Hin."""
    from humandata import tweet_text

    tweet = [
        ("RT", "Eng"), ("@", "O"), ("kabhiinahiin", "Hin"), ("_", "O"), ("jan", "Hin"), ("great", "Eng"), ("match", "Eng"), ("yaar", "Hin"),
        ("#", "O"), ("IndvsPak", "Hin"), ("…", "O"), ("https", "Eng"), ("//", "O"), ("t", "Eng"), (".", "O"),
        ("co", "Hin"), ("/", "O"), ("HmH8M7PTaK", "Hin"), ("bhai", "Hin"),
    ]
    assert [tok for tok, _ in tweet_text(tweet)] == ["great", "match", "yaar", "…", "bhai"]

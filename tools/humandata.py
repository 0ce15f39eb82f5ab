"""Human romanizations of Indic text for the romanized models (tools/romandata.py).

Part of tools/gen_langdata.py (run that). The synthetic romanizer
(tools/romanize.py) does not spell "naan", "enna", "illa" or "pannunga" the way
people type them; these sources do, and only their train splits are read:

* Dakshina v1.0 lexicons, ``<lang>/lexicons/<lang>.translit.sampled.train.tsv``
  (native word, an attested romanization, how many of the annotators wrote it),
  12 languages, CC BY-SA 4.0, Google;
* DravidianCodeMix (Chakravarthi et al. 2021) train splits, YouTube comments in
  Tamil-English and Malayalam-English, CC BY 4.0: real word frequencies of
  romanized Tamil and Malayalam;
* SemEval-2020 Task 9 SentiMix Hinglish train split: tweets with a language tag
  per token (``Hin``/``Eng``): real word frequencies of romanized Hindi.

Comments the annotators marked as another language (``not-Tamil``,
``not-malayalam``) are not read; a ``hindi_cm`` tune tweet has at least a third
of its words tagged ``Hin`` (SentiMix keeps tweets that are all English, too); a
``hindi_cm_clean`` one is selected as the project's holdout selects its SentiMix
tweets (``tweet_text``, CLEAN_*).

Never read (held out by the project's measurement): any dev or test split of
these, Dakshina's ``romanized/*`` sentence files, the Kannada files of
DravidianCodeMix, the UD Telugu-English treebank.

The data is not in the repository nor downloaded at run time: each source is a
git mirror (``<owner>+<name>/repo``, as the project's fetch tool lays them out,
or a clone at that path) under the directory named by the LANGDATA_SOURCES
environment variable or ``--sources``; files are read at the pinned commit with
``git show``, so a mirror's later commits change nothing.

Tuning split: every Dakshina native word, and every comment or tweet, goes to
train or tune by a stable hash (one in ten is tune, as romandata's dev split); only
train reaches a model. The tune split gives bench/data/human_dev.tsv.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import subprocess
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ENV = "LANGDATA_SOURCES"
DAKSHINA_LANGS = ["hi", "ur", "mr", "bn", "pa", "gu", "ta", "te", "kn", "ml", "si", "sd"]


@dataclass(frozen=True)
class Source:
    """One file of one public repository, at a pinned commit."""

    name: str
    repo: str
    commit: str
    path: str
    split: str
    licence: str


DAKSHINA_REPO = "mathml42/dakshina-seq2seq-transliteration"
DAKSHINA_COMMIT = "73ef9b2fb00413ab103214fa73e67c2d6ff0c66b"
DAKSHINA = {
    lang: Source(
        f"dakshina-{lang}", DAKSHINA_REPO, DAKSHINA_COMMIT,
        f"dakshina_dataset_v1.0/{lang}/lexicons/{lang}.translit.sampled.train.tsv", "train",
        "CC BY-SA 4.0 (Dakshina v1.0, Google)",
    )
    for lang in DAKSHINA_LANGS
}
DCM_ML = Source(
    "dravidiancodemix-ml", "bharathichezhiyan/DravidianCodeMix-Dataset", "ee359bb86c4f1141a9eb8a4b5e6297bf9266d3ab",
    "programs/mal_full_sentiment_train.tsv", "train", "CC BY 4.0 (DravidianCodeMix)",
)
DCM_TA = Source(
    "dravidiancodemix-ta", "MaNu0631/PROJECTS", "36c377584dc7e32efbe81a46fb2b7059868ed322",
    "tamil_sentiment_full_train.csv", "train", "CC BY 4.0 (DravidianCodeMix; a copy of its train file)",
)
SENTIMIX = Source(
    "sentimix-hi", "guptaanuj166/Hinglish-Sentiment-Analysis", "a5ec188b1ee8b809dbef0ef50dd08ca21aa36013",
    "Hinglish_train_14k_split_conll.txt", "train",
    "SemEval-2020 Task 9 data, research use (a copy of its train file; no licence file)",
)
SOURCES = [*DAKSHINA.values(), DCM_TA, DCM_ML, SENTIMIX]

TUNE_ROMANIZED = 100     # tune items per language: 6-12 words of Dakshina tune words
TUNE_MIXED = 300         # tune comments or tweets per code-mixed corpus
MIN_WORDS = 3            # a comment of fewer Latin words is no tune item
HINDI_SHARE = 3          # a tune tweet is code-mixed Hindi: at least 1 word in 3 tagged Hin
# hindi_cm_clean, the selection of the project's holdout: without handles, hashtags, RT and
# links (tweet_text), at least 5 tokens tagged Hin or Eng, at least 60% of them Hin
CLEAN_MIN_TAGGED = 5
CLEAN_HINDI_SHARE = 0.6
WORD = re.compile(r"[a-z]+")


def sources_root(explicit: str | None = None, sources: Sequence[Source] = SOURCES) -> Path | None:
    """The directory of the mirrors of ``sources``, or None when it (or one of them) is missing."""
    value = explicit or os.environ.get(ENV)
    if not value:
        return None
    root = Path(value)
    for src in sources:
        if not (mirror(root, src) / "HEAD").is_file():
            return None
    return root


def mirror(root: Path, src: Source) -> Path:
    return root / src.repo.replace("/", "+") / "repo"


def git(root: Path, src: Source, *args: str) -> str:
    """``git *args`` in the source's mirror, its output as text."""
    out = subprocess.run(
        ["git", "--git-dir", str(mirror(root, src)), *args],
        check=True, capture_output=True,
    ).stdout
    return out.decode("utf-8", errors="replace")


def read(root: Path, src: Source) -> str:
    """The file at the pinned commit (git show), as text."""
    return git(root, src, "show", f"{src.commit}:{src.path}")


def held_out(kind: str, item: str) -> bool:
    """One item in ten is held out, by a stable hash: the tune split here, and romandata's dev split of
    native words (the same hash, so a word is on the same side of both)."""
    return hashlib.md5(f"{kind}:{item}".encode()).digest()[0] % 10 == 0


def fold(text: str) -> str:
    """Lower case, accents dropped (as detect.lua folds Latin-1 letters)."""
    text = text.lower().replace("ß", "ss")
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def latin_words(text: str) -> list[str]:
    return WORD.findall(fold(text))


def parse_dakshina(text: str) -> dict[str, dict[str, int]]:
    """native word (NFC) -> romanization (a-z) -> attestations."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) != 3:
            continue
        native, roman, count = unicodedata.normalize("NFC", parts[0]), fold(parts[1]), parts[2]
        if not (roman.isascii() and roman.isalpha()) or not count.isdigit():
            continue
        forms = out[native]
        forms[roman] = forms.get(roman, 0) + int(count)
    return dict(out)


# The label of the comments the annotators marked as not in the file's language.
NOT_LANGUAGE = {DCM_TA.name: "0", DCM_ML.name: "not-malayalam"}


def parse_comments(text: str, src: Source) -> list[str]:
    """The comments of a DravidianCodeMix file (Tamil: label TAB text; Malayalam: text;label;).

    Comments labelled as another language (NOT_LANGUAGE: Hindi, English ...) are left out.
    """
    out = []
    for line in text.splitlines():
        if src is DCM_TA:
            parts = line.split("\t", 1)
            comment, label = (parts[1], parts[0]) if len(parts) == 2 else ("", "")
        else:
            parts = line.rsplit(";", 2)
            comment, label = (parts[0], parts[1]) if len(parts) == 3 else ("", "")
        if comment.strip() and label.strip() != NOT_LANGUAGE[src.name]:
            out.append(" ".join(comment.split()))
    return out


Tweet = list[tuple[str, str]]   # (token, tag): Hin, Eng, O, EMT


def parse_conll(text: str) -> list[Tweet]:
    """The tweets of a SentiMix CoNLL file: ``meta`` lines start one."""
    tweets: list[Tweet] = []
    for line in text.splitlines():
        parts = line.split("\t")
        if parts[0] == "meta":
            tweets.append([])
        elif len(parts) == 2 and tweets and parts[0]:
            tweets[-1].append((parts[0], parts[1]))
    return tweets


URL_PARTS = {"//", "/", ".", ":", "t", "co", "tco"}


def tweet_text(tweet: Tweet) -> Tweet:
    """The tokens of a tweet without what is no language: @handles, #hashtags, RT, URLs.

    SentiMix tags the pieces of these too (a t.co link's ``co`` and its id are often
    ``Hin``), so a mostly English tweet with a link would count as code-mixed Hindi.
    The project's holdout drops the same before it selects tweets (hindi_cm_clean).
    """
    out: Tweet = []
    skip_next = in_url = in_handle = False
    for tok, tag in tweet:
        if skip_next:           # a handle's or hashtag's name
            skip_next, in_handle = False, True
            continue
        if in_handle and tok == "_":        # the tokenizer splits a name at its underscores
            skip_next = True
            continue
        in_handle = False
        if tok in ("@", "#"):
            skip_next = True
        elif tok.startswith(("@", "#")) or tok == "RT":
            pass
        elif tok.lower().startswith("http"):
            in_url = True
        elif in_url and tok in URL_PARTS:
            pass
        elif in_url:            # the link's id ends it
            in_url = False
        else:
            out.append((tok, tag))
    return out


@dataclass
class Human:
    """Train and tune parts of the human data of one run."""

    # lang -> native word -> romanization -> attestations (train native words only)
    lexicon: dict[str, dict[str, dict[str, int]]]
    # lang -> native word -> romanization -> attestations (tune native words)
    lexicon_tune: dict[str, dict[str, dict[str, int]]]
    # lang -> romanized word -> tokens in train comments/tweets (ta ml hi)
    tokens: dict[str, dict[str, int]]
    # (kind, lang, text) tune items of the code-mixed corpora
    mixed_tune: list[tuple[str, str, str]]


def load(root: Path, always_train: dict[str, set[str]]) -> Human:
    """Reads every source; ``always_train``: per language, native words never tune (function words)."""
    lex: dict[str, dict[str, dict[str, int]]] = {}
    lex_tune: dict[str, dict[str, dict[str, int]]] = {}
    for lang, src in DAKSHINA.items():
        train: dict[str, dict[str, int]] = {}
        tune: dict[str, dict[str, int]] = {}
        for native, forms in parse_dakshina(read(root, src)).items():
            side = tune if native not in always_train.get(lang, set()) and held_out(lang, native) else train
            side[native] = forms
        lex[lang], lex_tune[lang] = train, tune
    tokens: dict[str, dict[str, int]] = {}
    mixed_tune: list[tuple[str, str, str]] = []
    for lang, src in (("ta", DCM_TA), ("ml", DCM_ML)):
        counts: dict[str, int] = defaultdict(int)
        tune_items = []
        for comment in parse_comments(read(root, src), src):
            if held_out(src.name, comment):
                in_script = any(0x0900 <= ord(ch) <= 0x0DFF for ch in comment)
                if not in_script and len(latin_words(comment)) >= MIN_WORDS:
                    tune_items.append(("dravidian_cm", lang, comment))
                continue
            for w in latin_words(comment):
                counts[w] += 1
        tokens[lang] = dict(counts)
        mixed_tune.extend(tune_items[:TUNE_MIXED])
    counts = defaultdict(int)
    tune_items = []
    clean_items: list[tuple[str, str, str]] = []
    for tweet in parse_conll(read(root, SENTIMIX)):
        text = " ".join(tok for tok, _ in tweet)
        if held_out(SENTIMIX.name, text):
            words = [t for t in tweet if WORD.fullmatch(fold(t[0]))]
            hindi = [t for t in words if t[1] == "Hin"]
            if len(words) >= MIN_WORDS and len(hindi) * HINDI_SHARE >= len(words):
                tune_items.append(("hindi_cm", "hi", " ".join(text.split())))
            kept = tweet_text(tweet)
            tagged = [t for t in kept if t[1] in ("Hin", "Eng")]
            hin = sum(1 for t in tagged if t[1] == "Hin")
            if len(tagged) >= CLEAN_MIN_TAGGED and hin >= CLEAN_HINDI_SHARE * len(tagged):
                clean_items.append(("hindi_cm_clean", "hi", " ".join(tok for tok, _ in kept)))
            continue
        for tok, tag in tweet:
            w = fold(tok)
            if tag == "Hin" and WORD.fullmatch(w):
                counts[w] += 1
    tokens["hi"] = dict(counts)
    mixed_tune.extend(tune_items[:TUNE_MIXED])
    mixed_tune.extend(clean_items[:TUNE_MIXED])
    return Human(lex, lex_tune, tokens, mixed_tune)


def tune_romanized(human: Human, common: dict[str, list[tuple[str, float]]]) -> list[tuple[str, str, str]]:
    """Romanized tune items: per language, TUNE_ROMANIZED texts of 6 to 12 words.

    Two words in three are tune native words in one of their attested human
    romanizations (drawn by attestations); one in three is one of the
    language's most frequent train spellings (``common``: spelling, weight),
    as running text has function words.
    """
    rng = random.Random(25)
    out = []
    for lang in DAKSHINA_LANGS:
        rare = sorted(human.lexicon_tune[lang].items())
        cw = [w for w, _ in common[lang]]
        cc = [x for _, x in common[lang]]
        for _ in range(TUNE_ROMANIZED):
            words = []
            for _ in range(rng.randint(6, 12)):
                if rng.random() < 1 / 3 and cw:
                    words.append(rng.choices(cw, weights=cc)[0])
                else:
                    _, forms = rng.choice(rare)
                    spellings = sorted(forms)
                    words.append(rng.choices(spellings, weights=[forms[s] for s in spellings])[0])
            out.append(("human_romanized", lang, " ".join(words)))
    return out

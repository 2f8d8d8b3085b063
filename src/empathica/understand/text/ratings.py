"""Learn from the customers' own ratings: fit the sentiment heads to a store's domain from its rated texts.

A store usually holds texts with a rating beside them: survey comments with NPS or CSAT, reviews with
stars. The rating is the customer's own verdict on what they wrote about, so it labels the text:

- NPS 0–6 (detractor) → negative, 7–8 (passive) → neutral, 9–10 (promoter) → positive;
- CSAT (where no NPS was given) 1–2 → negative, 3 → neutral, 4–5 → positive;
- review stars 1–2 → negative, 3 → neutral, 4–5 → positive.

:func:`adapt_to_ratings` holds out a seeded, stratified 25 % of each language's rated texts, trains a
head on the rest, and keeps it only where it scores the held-out rated texts better than the head in
use (the full analyzer, rules and class balance included, before and after): at least ``MIN_GAIN``
accuracy with no loss of macro-F1, significant by a one-sided McNemar test (p ≤ ``MAX_P``). Where adaptation does not
help (or a language has too few rated texts), the shipped head stays.
"""

from __future__ import annotations

import json

from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd

from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from empathica.understand.text.calibration import TemperatureScaler, log_odds
from empathica.understand.text.heads import NgramHead
from empathica.understand.text.language import LANGUAGES
from empathica.understand.text.normalize import mask_names
from empathica.understand.text.retrain import _stratified_split

#: NPS at or below which a respondent is a detractor, at or above which a promoter (the usual bands).
DETRACTOR, PROMOTER = 6, 9
#: Rated texts a language needs (distinct texts with a label) before a head is fitted to them.
MIN_RATED = 150
#: Held-out accuracy an adapted head must gain over the head in use to replace it (its macro-F1 must not fall).
MIN_GAIN = 0.01
#: Largest one-sided McNemar p-value (:func:`gain_p_value`) at which the gain counts as real.
MAX_P = 0.05
COLUMNS = ["lang", "rated_texts", "train_rows", "test_rows", "accuracy_before", "accuracy_after", "macro_f1_before",
           "macro_f1_after", "p_value", "kept", "reason", "reason_message_id", "reason_values"]


def _band(value, low: float, high: float) -> ibis.Value:
    """negative at or below ``low``, positive at or above ``high``, neutral between, null when missing."""
    return ibis.ifelse(value.isnull(), ibis.null("string"),
                       ibis.ifelse(value <= low, "negative", ibis.ifelse(value >= high, "positive", "neutral")))


def rated_texts(store) -> pd.DataFrame:
    """(text, label, source) of every non-empty comment or review with a rating beside it (Ibis, then one
    pull of the distinct pairs): feedback by NPS, else CSAT; reviews (own and competitors') by stars."""
    fb = store.table("feedback")
    fb_label = ibis.coalesce(_band(fb.nps, DETRACTOR, PROMOTER), _band(fb.csat, 2, 4))
    feedback = fb.select(text=fb.comment, label=fb_label, source=ibis.literal("feedback"))
    rv = store.table("reviews")
    reviews = rv.select(text=rv.text, label=_band(rv.rating, 2, 4), source=ibis.literal("reviews"))
    both = ibis.union(feedback, reviews)
    both = both.filter(both.text.notnull() & (both.text.strip() != "") & both.label.notnull())
    pairs = both.group_by(["text", "label"]).aggregate(n=both.count(), source=both.source.min())
    return pairs.order_by(["text", "label"]).to_pandas()


def one_label_per_text(pairs: pd.DataFrame) -> pd.DataFrame:
    """A text rated several times takes its most frequent label (ties: the first in label order)."""
    pairs = pairs.sort_values(["text", "n", "label"], ascending=[True, False, True])
    return pairs.drop_duplicates("text", keep="first").reset_index(drop=True)


def _scores(analyzer, texts: list[str], labels: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Accuracy and macro-F1 of the analyzer's sentiment on labelled texts, and which texts it got right."""
    predicted = analyzer.analyze(texts)["sentiment"].to_numpy()
    right = predicted == labels
    return float(np.mean(right)), float(f1_score(labels, predicted, average="macro")), right


def gain_p_value(right_before: np.ndarray, right_after: np.ndarray) -> float:
    """One-sided exact McNemar test: how likely the adapted head wins this many of the texts the two heads
    disagree on if neither were better (1.0 when they never disagree)."""
    from scipy.stats import binomtest

    won = int(np.sum(right_after & ~right_before))
    lost = int(np.sum(right_before & ~right_after))
    return 1.0 if won + lost == 0 else float(binomtest(won, won + lost, 0.5, alternative="greater").pvalue)


class RatingsStackHead:
    """The shipped head fitted to a store's domain: a logistic regression over the shipped head's
    log-probabilities and those of an n-gram head trained on the store's rated texts (out-of-fold on the
    training rows, so the meta model learns how far to trust each on texts it did not see), then a
    temperature fitted on out-of-fold meta scores. Its classes are the ratings' (negative/neutral/positive)."""

    def __init__(self, base, *, lang: str = "en", meta_C: float = 1.0, folds: int = 5, seed: int = 7) -> None:
        self.base = base
        self.lang = lang
        self.meta_C = meta_C
        self.folds = folds
        self.seed = seed

    def _meta_model(self) -> LogisticRegression:
        return LogisticRegression(C=self.meta_C, max_iter=3000)

    def _base_features(self, texts: list[str]) -> np.ndarray:
        return np.maximum(log_odds(self.base.predict_proba(texts)), -30.0)

    def fit(self, texts, labels) -> "RatingsStackHead":
        texts = list(texts)
        folds = int(min(self.folds, pd.Series(list(labels)).value_counts().min()))
        self.own_ = NgramHead(lang=self.lang, folds=folds, seed=self.seed).fit(texts, labels)
        y = np.searchsorted(self.own_.classes_, np.asarray([str(v) for v in labels]))
        Z = np.hstack([self._base_features(texts), np.maximum(self.own_.oof_log_proba_, -30.0)])
        cv = StratifiedKFold(folds, shuffle=True, random_state=self.seed + 4)
        oof = cross_val_predict(self._meta_model(), Z, y, cv=cv, method="predict_log_proba")
        self.scaler_ = TemperatureScaler().fit(oof, y)
        self.meta_ = self._meta_model().fit(Z, y)
        self.class_priors_ = self.own_.class_priors_
        return self

    @property
    def classes_(self) -> np.ndarray:
        return self.own_.classes_

    @property
    def features_(self):
        return self.own_.features_

    def predict_proba(self, texts) -> np.ndarray:
        texts = list(texts)
        Z = np.hstack([self._base_features(texts), np.maximum(self.own_.log_proba(texts), -30.0)])
        return self.scaler_.transform(log_odds(self.meta_.predict_proba(Z)))

    def predict(self, texts) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]


@dataclass
class RatingsAdaptation:
    """What :func:`adapt_to_ratings` found: one row per language (``table``) and the heads it kept."""

    table: pd.DataFrame
    heads: dict = field(default_factory=dict)


def adapt_language(analyzer, lang: str, texts: list[str], labels: np.ndarray, *, seed: int = 7) -> tuple[dict, object]:
    """Fit a ``lang`` head to rated texts; (the language's row, the head if kept else ``None``)."""
    row = {"lang": lang, "rated_texts": len(texts), "train_rows": 0, "test_rows": 0,
           "accuracy_before": np.nan, "accuracy_after": np.nan, "macro_f1_before": np.nan, "macro_f1_after": np.nan,
           "p_value": np.nan, "kept": "shipped", "reason": "", "reason_message_id": "", "reason_values": "{}"}
    counts = pd.Series(labels).value_counts()
    if len(texts) < MIN_RATED or len(counts) < 2 or counts.min() < 10:
        row["reason"] = f"fewer than {MIN_RATED} rated texts, or fewer than 10 of a class"
        _said(row, "too_few", min_rated=MIN_RATED)
        return row, None
    train, test = _stratified_split(labels, seed)  # 25 % of each class held out, as `text train` does
    test_texts = [texts[i] for i in test]
    row["train_rows"], row["test_rows"] = len(train), len(test)
    row["accuracy_before"], row["macro_f1_before"], right_before = _scores(analyzer, test_texts, labels[test])
    shipped = analyzer.sentiment_heads_[lang]
    head = RatingsStackHead(shipped, lang=lang, seed=seed).fit([texts[i] for i in train], labels[train].tolist())
    priors = analyzer.target_priors_.pop(lang, None)  # the adapted head learnt the store's own balance
    analyzer.sentiment_heads_[lang] = head
    row["accuracy_after"], row["macro_f1_after"], right_after = _scores(analyzer, test_texts, labels[test])
    row["p_value"] = gain_p_value(right_before, right_after)
    # accuracy alone would reward a head that learnt only the majority class (e.g. from ratings unrelated to
    # the texts), and on a hundred held-out texts a few points are luck: the gain must also be significant
    if (row["accuracy_after"] >= row["accuracy_before"] + MIN_GAIN and row["macro_f1_after"] >= row["macro_f1_before"]
            and row["p_value"] <= MAX_P):
        row.update(kept="adapted", reason=f"held-out accuracy gained {row['accuracy_after'] - row['accuracy_before']:+.3f}, "
                                          f"p = {row['p_value']:.3f}")
        _said(row, "adapted", gain=row["accuracy_after"] - row["accuracy_before"], p=row["p_value"])
        return row, head
    analyzer.sentiment_heads_[lang] = shipped
    if priors is not None:
        analyzer.target_priors_[lang] = priors
    row["reason"] = (f"held-out accuracy changed by {row['accuracy_after'] - row['accuracy_before']:+.3f}, macro-F1 by "
                     f"{row['macro_f1_after'] - row['macro_f1_before']:+.3f}, p = {row['p_value']:.2f} (needs accuracy ≥ {MIN_GAIN:+.2f}, "
                     f"macro-F1 ≥ 0, p ≤ {MAX_P})")
    _said(row, "shipped", gain=row["accuracy_after"] - row["accuracy_before"],
          f1_gain=row["macro_f1_after"] - row["macro_f1_before"], p=row["p_value"], min_gain=MIN_GAIN, max_p=MAX_P)
    return row, None


def _said(row: dict, code: str, **values: float) -> None:
    """The row's reason as a finding (``text.ratings.reason.<code>`` and its values as JSON), which the report says
    in its language; ``reason`` keeps the English line the CLI prints."""
    row["reason_message_id"] = f"text.ratings.reason.{code}"
    row["reason_values"] = json.dumps({k: round(float(v), 4) for k, v in values.items()})


def adapt_to_ratings(analyzer, pairs: pd.DataFrame, *, seed: int = 7) -> RatingsAdaptation:
    """Fit each language's sentiment head of a loaded ``analyzer`` to ``pairs`` (text, label, n — see
    :func:`rated_texts`), in place, where that helps on held-out rated texts; return what was done."""
    if not hasattr(analyzer, "sentiment_heads_"):
        analyzer.load()
    pairs = one_label_per_text(pairs)
    texts = mask_names(pairs["text"].astype(str).tolist(), getattr(analyzer, "names", ()))  # as analyze reads them
    langs = np.asarray(analyzer.languages(texts)) if texts else np.array([], dtype=object)
    labels = pairs["label"].astype(str).to_numpy()
    rows, heads = [], {}
    for lang in LANGUAGES:
        idx = np.flatnonzero(langs == lang)
        row, head = adapt_language(analyzer, lang, [texts[i] for i in idx], labels[idx], seed=seed)
        rows.append(row)
        if head is not None:
            heads[lang] = head
    return RatingsAdaptation(pd.DataFrame(rows, columns=COLUMNS), heads)


def save_adapted(found: RatingsAdaptation, out, *, source: str) -> None:
    """Save the kept heads (``sentiment_<lang>.joblib``) with a model card and the before/after table."""
    from pathlib import Path

    from empathica.understand.text.training import save_head

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for lang, head in found.heads.items():
        save_head(head, out / f"sentiment_{lang}.joblib")
    found.table.to_csv(out / "ratings_adaptation.csv", index=False)
    lines = [f"# Sentiment heads fitted to rated texts of {source}", "",
             "Trained by `empathica text adapt` (src/empathica/understand/text/ratings.py): labels from the customers' own "
             f"ratings (NPS 0–{DETRACTOR} / CSAT 1–2 / 1–2 stars negative, NPS {PROMOTER}–10 / CSAT 4–5 / 4–5 stars positive, "
             f"between neutral); 25 % of each language's rated texts held out; a head is kept only when it "
             f"gains at least {MIN_GAIN} held-out accuracy (one-sided McNemar p ≤ {MAX_P}), with no loss of macro-F1, over the analyzer as configured. The head "
             "stacks the analyzer's own head with an n-gram head trained on the rated texts (RatingsStackHead).", "",
             "| lang | rated texts | train | held out | accuracy before | after | macro-F1 before | after | kept |",
             "|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r.lang} | {r.rated_texts} | {r.train_rows} | {r.test_rows} | {r.accuracy_before:.3f} | "
              f"{r.accuracy_after:.3f} | {r.macro_f1_before:.3f} | {r.macro_f1_after:.3f} | {r.kept} |"
              for r in found.table.itertuples()]
    (out / "MODEL_CARD.md").write_text("\n".join(lines) + "\n", encoding="utf-8")

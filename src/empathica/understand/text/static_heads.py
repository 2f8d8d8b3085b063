"""The cross-domain sentiment head: n-grams and static e5 embeddings, stacked across domains.

Two experts, each a logistic regression: one on the language's character and word n-grams (it learns
the words of its training domains), one on the static e5 sentence embedding
(:func:`~empathica.understand.text.static.static_embed`: what the encoder knows about words in any
domain); English adds VADER's four lexicon scores. A meta logistic regression maps the experts'
log-probabilities to the classes. It is fitted on **domain-out-of-fold** scores: with two or more
training domains, each domain's rows are scored by experts trained on the *other* domains, so the meta
model learns how far to trust each expert on a domain it has not seen (within one domain the n-grams
would always win). The temperature is fitted the same way on the meta model's domain-out-of-fold scores:
calibrated for a new domain, from the training domains only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from empathica.understand.text.calibration import TemperatureScaler, log_odds
from empathica.understand.text.features import ngram_features
from empathica.understand.text.heads import _check_labels, lexicon_features
from empathica.understand.text.priors import class_priors
from empathica.understand.text.static import static_embed

#: Log-probability given to a class an expert's training fold did not contain (and the floor of all).
FLOOR = -12.0


def _folds(y: np.ndarray, domains: np.ndarray | None, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """One fold per domain when there are two or more, else stratified ``k``-fold."""
    if domains is not None and len(np.unique(domains)) >= 2:
        return [(np.flatnonzero(domains != d), np.flatnonzero(domains == d)) for d in np.unique(domains)]
    return list(StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))


def _oof(make, M, y: np.ndarray, folds, n_classes: int) -> np.ndarray:
    """Out-of-fold log-probabilities of ``make()`` on ``M``, a column per class (``FLOOR`` where unseen)."""
    out = np.full((len(y), n_classes), FLOOR)
    for train, test in folds:
        model = make().fit(M[train], y[train])
        out[np.ix_(test, model.classes_)] = np.maximum(log_odds(model.predict_proba(M[test])), FLOOR)
    return out


class StaticStackHead:
    """n-gram expert + static-e5 expert (+ VADER for English), meta LR on domain-out-of-fold scores."""

    def __init__(self, *, lang: str = "en", C: float = 4.0, static_C: float = 4.0, meta_C: float = 1.0,
                 max_char: int = 40_000, max_word: int = 20_000, folds: int = 5, seed: int = 7) -> None:
        self.lang = lang
        self.C = C
        self.static_C = static_C
        self.meta_C = meta_C
        self.max_char = max_char
        self.max_word = max_word
        self.folds = folds
        self.seed = seed

    def _ngram_model(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, max_iter=3000)

    def _static_model(self) -> LogisticRegression:
        return LogisticRegression(C=self.static_C, max_iter=3000)

    def _meta_model(self) -> LogisticRegression:
        return LogisticRegression(C=self.meta_C, max_iter=3000)

    def _meta_inputs(self, ngram_log_p: np.ndarray, static_log_p: np.ndarray, texts: list[str]) -> np.ndarray:
        parts = [np.maximum(ngram_log_p, FLOOR), np.maximum(static_log_p, FLOOR)]
        if self.lang == "en":
            parts.append(lexicon_features(texts))
        return np.hstack(parts)

    def fit(self, texts: Sequence[str], labels: Sequence[str], *, domains: Sequence[str] | None = None) -> "StaticStackHead":
        """Fit on labelled texts; ``domains`` (one name per text) makes the stacking domain-out-of-fold."""
        texts = list(texts)
        self.classes_, y = _check_labels(labels, self.folds)
        groups = None if domains is None else np.asarray([str(d) for d in domains])
        folds = _folds(y, groups, self.folds, self.seed)
        self.features_ = ngram_features(self.lang, max_char=self.max_char, max_word=self.max_word)
        X = self.features_.fit_transform(texts)
        E = static_embed(texts, self.lang)
        k = len(self.classes_)
        ngram_oof, static_oof = _oof(self._ngram_model, X, y, folds, k), _oof(self._static_model, E, y, folds, k)
        Z = self._meta_inputs(ngram_oof, static_oof, texts)
        meta_oof = _oof(self._meta_model, Z, y, folds, k)
        # temperatures from the rows whose fold knew their class (a binary-only domain's experts cannot say
        # neutral; those rows would drive the temperature up and every confidence towards 1/k)
        known = (ngram_oof[np.arange(len(y)), y] > FLOOR) & (static_oof[np.arange(len(y)), y] > FLOOR)
        self.scaler_ = TemperatureScaler().fit(meta_oof[known], y[known])
        # the alternative without a meta model: the experts' log-probabilities averaged, one temperature
        self.mean_scaler_ = TemperatureScaler().fit(((ngram_oof + static_oof) / 2)[known], y[known])
        self.cv_accuracy_ = {"meta": float(np.mean(meta_oof.argmax(axis=1) == y)),
                             "by": "domain" if groups is not None and len(np.unique(groups)) >= 2 else "stratified"}
        self.ngram_model_ = self._ngram_model().fit(X, y)
        self.static_model_ = self._static_model().fit(E, y)
        self.meta_ = self._meta_model().fit(Z, y)
        for model in (self.ngram_model_, self.static_model_):
            model.coef_ = model.coef_.astype(np.float32)
        self.class_priors_ = class_priors(labels, self.classes_)
        return self

    def expert_log_proba(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The two experts' uncalibrated log-probabilities (n-grams, static embedding)."""
        texts = list(texts)
        ngram = log_odds(self.ngram_model_.predict_proba(self.features_.transform(texts)))
        static = log_odds(self.static_model_.predict_proba(static_embed(texts, self.lang)))
        return ngram, static

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, one column per class in ``classes_``."""
        texts = list(texts)
        Z = self._meta_inputs(*self.expert_log_proba(texts), texts)
        return self.scaler_.transform(log_odds(self.meta_.predict_proba(Z)))

    def predict_proba_mean(self, texts: Sequence[str]) -> np.ndarray:
        """The alternative combination: the two experts' log-probabilities averaged, temperature-calibrated."""
        ngram, static = self.expert_log_proba(texts)
        return self.mean_scaler_.transform((np.maximum(ngram, FLOOR) + np.maximum(static, FLOOR)) / 2)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]

"""Calibrated classification heads: logistic regression on character and word n-grams.

Both are scikit-learn shaped: parameters in ``__init__``, ``fit`` returns ``self``, fitted state ends in
``_``. Calibration uses out-of-fold scores on the training rows (stratified k-fold), so no held-out
test row is ever seen while fitting the temperature.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from empathica.errors import NotEnoughDataError
from empathica.understand.text.calibration import TemperatureScaler, log_odds
from empathica.understand.text.features import ngram_features


def _check_labels(labels: Sequence[str], folds: int) -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray([str(v) for v in labels])
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2:
        raise NotEnoughDataError(f"a head needs at least two different labels; got only {list(classes)}.")
    if counts.min() < folds:
        rare = [str(c) for c, n in zip(classes, counts) if n < folds]
        raise NotEnoughDataError(
            f"label(s) {rare} have fewer than {folds} examples; label more texts or drop those labels."
        )
    return classes, np.searchsorted(classes, labels)


class NgramHead:
    """Logistic regression on character + word n-grams of one language, temperature-calibrated."""

    def __init__(
        self,
        *,
        lang: str = "en",
        C: float = 4.0,
        class_weight: str | None = None,
        max_char: int = 40_000,
        max_word: int = 20_000,
        folds: int = 5,
        seed: int = 7,
    ) -> None:
        self.lang = lang
        self.C = C
        self.class_weight = class_weight
        self.max_char = max_char
        self.max_word = max_word
        self.folds = folds
        self.seed = seed

    def _model(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=3000)

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> "NgramHead":
        self.classes_, y = _check_labels(labels, self.folds)
        self.features_ = ngram_features(self.lang, max_char=self.max_char, max_word=self.max_word)
        X = self.features_.fit_transform(list(texts))
        cv = StratifiedKFold(self.folds, shuffle=True, random_state=self.seed)
        self.oof_log_proba_ = cross_val_predict(self._model(), X, y, cv=cv, method="predict_log_proba")
        self.scaler_ = TemperatureScaler().fit(self.oof_log_proba_, y)
        self.model_ = self._model().fit(X, y)
        self.model_.coef_ = self.model_.coef_.astype(np.float32)
        return self

    def log_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Uncalibrated log-probabilities, one column per class in ``classes_``."""
        X = self.features_.transform(list(texts))
        return log_odds(self.model_.predict_proba(X))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, one column per class in ``classes_``."""
        return self.scaler_.transform(self.log_proba(texts))

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]

"""Calibrated classification heads: logistic regression on character and word n-grams, the German
cascade (n-gram experts plus e5 embeddings) and the English lexicon stack (n-grams plus VADER).

All are scikit-learn shaped: parameters in ``__init__``, ``fit`` returns ``self``, fitted state ends in
``_``. Calibration uses out-of-fold scores on the training rows (stratified k-fold), so no held-out
test row is ever seen while fitting the temperature.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from empathica.errors import NotEnoughDataError
from empathica.understand.text.calibration import TemperatureScaler, log_odds, softmax
from empathica.understand.text.features import ngram_features
from empathica.understand.text.priors import class_priors


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
        self.class_priors_ = class_priors(labels, self.classes_)  # base rates, for label-shift adaptation (priors.py)
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


class CascadeHead:
    """A stack of n-gram experts; the texts it is unsure of also get an e5-embedding expert.

    Experts, each trained on the training rows: the :class:`NgramHead` logistic regression, a
    multinomial naive Bayes on its character n-grams and a complement naive Bayes on its words (cheap,
    differently biased views of the same features), and a logistic regression on e5 embeddings. A
    multinomial logistic regression (the *meta* model, ``meta_C``) combines their log-probabilities; it
    and the temperatures are fitted on 5-fold out-of-fold expert scores, so no expert is judged on rows
    it was trained on. Two meta models: one over the n-gram experts, used for every text, and one over
    all four, used where the first's calibrated confidence is below ``below`` (only those texts are
    embedded, which keeps e5's cost to a fraction of the texts).
    """

    def __init__(
        self,
        *,
        lang: str = "de",
        C: float = 4.0,
        embed_C: float = 8.0,
        meta_C: float = 0.1,
        below: float = 0.6,
        mnb_alpha: float = 0.05,
        cnb_alpha: float = 0.3,
        folds: int = 5,
        seed: int = 7,
    ) -> None:
        self.lang = lang
        self.C = C
        self.embed_C = embed_C
        self.meta_C = meta_C
        self.below = below
        self.mnb_alpha = mnb_alpha
        self.cnb_alpha = cnb_alpha
        self.folds = folds
        self.seed = seed

    def _experts(self, X) -> np.ndarray:
        """Log-probabilities of the three n-gram experts, side by side."""
        chars, words = X[:, : self.n_chars_], X[:, self.n_chars_:]
        parts = [log_odds(self.ngram_.model_.predict_proba(X)), self.mnb_.predict_log_proba(chars),
                 self.cnb_.predict_log_proba(words)]
        return np.maximum(np.hstack(parts), -30.0)

    def fit(self, texts: Sequence[str], labels: Sequence[str], *, embeddings: np.ndarray | None = None,
            extra_embeddings: np.ndarray | None = None, extra_labels: Sequence[str] | None = None) -> "CascadeHead":
        """``embeddings``: precomputed e5 rows of ``texts`` (training caches them), else computed.

        ``extra_embeddings``/``extra_labels``: more labelled e5 rows (other languages or domains; e5 is
        multilingual) that the e5 expert trains on in every fold; the n-gram experts and the meta models
        see only ``texts``.
        """
        from empathica.understand.text.embeddings import shared_embedder

        texts = list(texts)
        X, y, cv, oof = self._ngram_oof(texts, labels)
        E = shared_embedder().embed(texts) if embeddings is None else np.asarray(embeddings, dtype=np.float32)
        oof.append(self._embed_oof(E, y, cv, extra_embeddings, extra_labels))
        Z_ngram, Z_full = self._cascade_oof(oof, y)
        self.mnb_.fit(X[:, : self.n_chars_], y)
        self.cnb_.fit(X[:, self.n_chars_:], y)
        E_all, y_all = self._with_extra(E, y, extra_embeddings, extra_labels)
        self.extra_rows_ = len(y_all) - len(y)
        self.embed_model_ = self._embed_model().fit(E_all, y_all)
        self.embed_model_.coef_ = self.embed_model_.coef_.astype(np.float32)
        self.meta_ngram_ = self._meta_model().fit(Z_ngram, y)
        self.meta_full_ = self._meta_model().fit(Z_full, y)
        for nb in (self.mnb_, self.cnb_):  # float32 halves the shipped size; counts are not needed to predict
            nb.feature_log_prob_ = nb.feature_log_prob_.astype(np.float32)
            nb.feature_count_ = None
        self.class_priors_ = class_priors(labels, self.classes_)  # the meta models see only ``texts``
        return self

    def _ngram_oof(self, texts: list[str], labels: Sequence[str]):
        """Fit the n-gram experts' features; their out-of-fold log-probabilities on the training rows."""
        from sklearn.naive_bayes import ComplementNB, MultinomialNB

        self.ngram_ = NgramHead(lang=self.lang, C=self.C, folds=self.folds, seed=self.seed).fit(texts, labels)
        y = np.searchsorted(self.ngram_.classes_, np.asarray([str(v) for v in labels]))
        X = self.ngram_.features_.transform(texts)
        self.n_chars_ = len(self.ngram_.features_.transformer_list[0][1].vocabulary_)
        cv = StratifiedKFold(self.folds, shuffle=True, random_state=self.seed)
        self.mnb_ = MultinomialNB(alpha=self.mnb_alpha)
        self.cnb_ = ComplementNB(alpha=self.cnb_alpha)
        oof = [self.ngram_.oof_log_proba_,
               cross_val_predict(self.mnb_, X[:, : self.n_chars_], y, cv=cv, method="predict_log_proba"),
               cross_val_predict(self.cnb_, X[:, self.n_chars_:], y, cv=cv, method="predict_log_proba")]
        return X, y, cv, oof

    def _cascade_oof(self, oof: list[np.ndarray], y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """From the four experts' out-of-fold scores: the temperatures, the share sent to e5 and the
        cross-validated accuracies (``cv_accuracy_``); returns the meta models' inputs."""
        Z_ngram = np.maximum(np.hstack(oof[:3]), -30.0)
        Z_full = np.maximum(np.hstack(oof), -30.0)
        # out-of-fold meta scores (other folds) for the temperatures and the training-time CV figures
        meta_cv = StratifiedKFold(self.folds, shuffle=True, random_state=self.seed + 4)
        oof_ngram = cross_val_predict(self._meta_model(), Z_ngram, y, cv=meta_cv, method="predict_log_proba")
        oof_full = cross_val_predict(self._meta_model(), Z_full, y, cv=meta_cv, method="predict_log_proba")
        self.ngram_scaler_ = TemperatureScaler().fit(oof_ngram, y)
        p_ngram = self.ngram_scaler_.transform(oof_ngram)
        unsure = p_ngram.max(axis=1) < self.below
        rows = unsure if unsure.sum() >= 20 else np.ones_like(unsure)  # too few unsure rows: fit on all
        self.scaler_ = TemperatureScaler().fit(oof_full[rows], y[rows])
        proba = p_ngram.copy()
        proba[unsure] = self.scaler_.transform(oof_full[unsure])
        self.unsure_share_ = float(unsure.mean())
        self.cv_accuracy_ = {"ngram_lr": float(np.mean(oof[0].argmax(axis=1) == y)),
                             "ngram_stack": float(np.mean(p_ngram.argmax(axis=1) == y)),
                             "cascade": float(np.mean(proba.argmax(axis=1) == y))}
        return Z_ngram, Z_full

    def _embed_model(self) -> LogisticRegression:
        return LogisticRegression(C=self.embed_C, max_iter=3000)

    def _with_extra(self, E, y, extra_embeddings, extra_labels):
        if extra_embeddings is None or extra_labels is None or not len(extra_labels):
            return E, y
        extra_y = np.searchsorted(self.ngram_.classes_, np.asarray([str(v) for v in extra_labels]))
        return np.vstack([E, np.asarray(extra_embeddings, dtype=np.float32)]), np.concatenate([y, extra_y])

    def _embed_oof(self, E, y, cv, extra_embeddings, extra_labels) -> np.ndarray:
        """Out-of-fold e5 log-probabilities of the rows of ``E``; extra rows train in every fold."""
        oof = np.zeros((len(y), len(self.ngram_.classes_)))
        for train, test in cv.split(E, y):
            model = self._embed_model().fit(*self._with_extra(E[train], y[train], extra_embeddings, extra_labels))
            oof[test] = model.predict_log_proba(E[test])
        return oof

    def _meta_model(self) -> LogisticRegression:
        return LogisticRegression(C=self.meta_C, max_iter=3000)

    @property
    def classes_(self) -> np.ndarray:
        return self.ngram_.classes_

    @property
    def features_(self):
        return self.ngram_.features_

    def predict_proba(self, texts: Sequence[str], *, embed: bool = True) -> np.ndarray:
        """Calibrated probabilities; ``embed=False`` gives the n-gram stack's alone (no e5 call)."""
        return self.predict_proba_within(texts, None if embed else 0)[0]

    def predict_proba_within(self, texts: Sequence[str], budget: int | None) -> tuple[np.ndarray, int]:
        """Calibrated probabilities with at most ``budget`` texts sent to e5 (``None``: no cap), and how
        many were. The least sure texts are embedded first; the others keep the n-gram stack's calibrated
        probabilities, which is what bounds the cost of a run over millions of texts."""
        from empathica.understand.text.embeddings import shared_embedder

        texts = list(texts)
        Z = self._experts(self.ngram_.features_.transform(texts))
        proba = self.ngram_scaler_.transform(log_odds(self.meta_ngram_.predict_proba(Z)))
        sureness = proba.max(axis=1)
        unsure = np.flatnonzero(sureness < self.below)
        if budget is not None and len(unsure) > budget:
            unsure = np.sort(unsure[np.argsort(sureness[unsure], kind="stable")[: max(budget, 0)]])
        if len(unsure):
            vectors = shared_embedder().embed([texts[i] for i in unsure])
            loge = np.maximum(log_odds(self.embed_model_.predict_proba(vectors)), -30.0)
            full = np.hstack([Z[unsure], loge])
            proba[unsure] = self.scaler_.transform(log_odds(self.meta_full_.predict_proba(full)))
        return proba, len(unsure)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]


def cascade_cv_grid(texts: Sequence[str], labels: Sequence[str], embeddings: np.ndarray, *,
                    belows: Sequence[float] = (0.6, 0.7, 0.8, 1.01), embed_Cs: Sequence[float] = (2.0, 4.0, 8.0),
                    seeds: Sequence[int] = (7, 11, 23), extra_embeddings: np.ndarray | None = None,
                    extra_labels: Sequence[str] | None = None, **params) -> list[dict]:
    """Cross-validated cascade accuracy on the training rows for every ``below`` × ``embed_C``, each
    averaged over 5-fold splits with several ``seeds`` (one split's figure moves by ~0.5 points with
    the seed). How the shipped German settings are chosen; never sees a held-out row. The experts'
    out-of-fold scores are computed once per seed and shared by the grid."""
    texts = list(texts)
    E = np.asarray(embeddings, dtype=np.float32)
    scores: dict[tuple[float, float], list[tuple[float, float]]] = {}
    for seed in seeds:
        head = CascadeHead(seed=seed, **params)
        _, y, cv, ngram_oof = head._ngram_oof(texts, labels)
        for embed_C in embed_Cs:
            head.embed_C = embed_C
            embed_oof = head._embed_oof(E, y, cv, extra_embeddings, extra_labels)
            for below in belows:
                head.below = below
                head._cascade_oof(ngram_oof + [embed_oof], y)
                scores.setdefault((below, embed_C), []).append((head.cv_accuracy_["cascade"], head.unsure_share_))
    return [{"below": below, "embed_C": embed_C, "cv_accuracy": float(np.mean([a for a, _ in v])),
             "cv_accuracy_by_seed": [round(a, 4) for a, _ in v], "share_sent_to_e5": float(np.mean([s for _, s in v]))}
            for (below, embed_C), v in scores.items()]


@lru_cache(maxsize=1)
def _vader():
    """VADER's analyzer (vaderSentiment, MIT): its lexicon ships inside the wheel, read once, no network."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_valence(word: str) -> float:
    """VADER's valence of one lower-case word (−4 … 4; 0 when the lexicon does not list it)."""
    return float(_vader().lexicon.get(word, 0.0))


def lexicon_features(texts: Sequence[str]) -> np.ndarray:
    """VADER's compound, positive, negative and neutral scores of each English text (4 columns).

    A general-purpose sentiment lexicon with rules for negation, intensifiers, "but" and punctuation,
    written for social-media English of every domain: the part of the English head that does not
    depend on what the training corpus happened to be about.
    """
    analyzer = _vader()
    rows = [analyzer.polarity_scores(str(t)) for t in texts]
    return np.array([[r["compound"], r["pos"], r["neg"], r["neu"]] for r in rows], dtype=float).reshape(-1, 4)


class LexiconStackHead:
    """The n-gram head stacked with a general-purpose sentiment lexicon (English).

    Two experts: the :class:`NgramHead` logistic regression (domain-specific: it learns the words of its
    training corpus) and VADER's scores (:func:`lexicon_features`, domain-general). A multinomial
    logistic regression (``meta_C``) combines the n-gram head's log-probabilities with the four lexicon
    scores; it is fitted on the n-gram head's 5-fold out-of-fold scores, so it learns how far to trust
    the n-grams from rows they were not trained on, and its temperature on out-of-fold meta scores.
    """

    def __init__(self, *, lang: str = "en", C: float = 4.0, meta_C: float = 1.0, folds: int = 5,
                 seed: int = 7) -> None:
        self.lang = lang
        self.C = C
        self.meta_C = meta_C
        self.folds = folds
        self.seed = seed

    def _meta_model(self) -> LogisticRegression:
        return LogisticRegression(C=self.meta_C, max_iter=3000)

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> "LexiconStackHead":
        texts = list(texts)
        self.ngram_ = NgramHead(lang=self.lang, C=self.C, folds=self.folds, seed=self.seed).fit(texts, labels)
        y = np.searchsorted(self.ngram_.classes_, np.asarray([str(v) for v in labels]))
        Z = np.hstack([np.maximum(self.ngram_.oof_log_proba_, -30.0), lexicon_features(texts)])
        cv = StratifiedKFold(self.folds, shuffle=True, random_state=self.seed + 4)
        oof = cross_val_predict(self._meta_model(), Z, y, cv=cv, method="predict_log_proba")
        self.scaler_ = TemperatureScaler().fit(oof, y)
        self.meta_ = self._meta_model().fit(Z, y)
        self.cv_accuracy_ = {"ngram_lr": float(np.mean(self.ngram_.oof_log_proba_.argmax(axis=1) == y)),
                             "lexicon_stack": float(np.mean(oof.argmax(axis=1) == y))}
        self.class_priors_ = self.ngram_.class_priors_
        return self

    @property
    def classes_(self) -> np.ndarray:
        return self.ngram_.classes_

    @property
    def features_(self):
        return self.ngram_.features_

    @property
    def model_(self) -> LogisticRegression:
        """The n-gram expert's logistic regression (as on a plain :class:`NgramHead`)."""
        return self.ngram_.model_

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, one column per class in ``classes_``."""
        texts = list(texts)
        Z = np.hstack([np.maximum(self.ngram_.log_proba(texts), -30.0), lexicon_features(texts)])
        return self.scaler_.transform(log_odds(self.meta_.predict_proba(Z)))

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]

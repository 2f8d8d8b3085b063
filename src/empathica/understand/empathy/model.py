"""The empathy model: three EPITOME mechanisms, each 0/1/2 with a confidence and evidence spans.

For English text each mechanism is a logistic regression over word and character n-grams of the
reply, language-independent cue features, and the pooled output of a *sentence tagger* trained on the
EPITOME rationales (which sentences carry the evidence). The tagger's pooled scores for the training
rows are cross-fitted (out-of-fold), so the classifier learns how much to trust an honest tagger.
Decision offsets per class are tuned for macro-F1 on out-of-fold predictions of the training rows.

For German and Chinese text, each mechanism's probabilities blend (``e5_heads.E5_WEIGHT``) a logistic
regression over the reply's multilingual e5 embedding (``e5_heads``; trained on the English rows, evidence
from its sentences) with a small logistic regression over the cue features alone (``cues.CUE_FEATURES``:
lexicons per language mapped to shared concepts, length, questions, pronoun rates), also trained on the
English rows. Replies beyond the process's e5 budget, or without the e5 encoder, get the cue model alone;
explorations on that path are gated: without a single exploring cue (a question) they stay at level 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from empathica.understand.distinct import score_distinct
from empathica.understand.empathy.cues import CUE_FEATURES, CUES, cue_matrix, guess_language, procedural_only, sentence_spans
from empathica.understand.empathy.e5_heads import E5_REPLY_BUDGET, default_heads, e5_rows
from empathica.understand.empathy.jargon import find_jargon

#: The three mechanisms (Sharma et al. 2020), with the cue concept that evidences each.
MECHANISMS = ("emotional_reactions", "interpretations", "explorations")
_CONCEPT = {"emotional_reactions": "reaction", "interpretations": "understanding", "explorations": "exploring"}
#: Mechanisms whose cue-path level needs at least one cue of its concept (an exploration needs a question).
GATED = ("explorations",)
MODEL_PATH = Path(__file__).with_name("models") / "epitome_empathy.joblib"
#: Multiplicative penalty per unexplained jargon term in the overall score (at most three count).
JARGON_PENALTY = 0.15


def rationale_mask(text: str, rationales: object) -> np.ndarray:
    """Per-character mask of ``text`` covered by the '|'-separated EPITOME rationale spans."""
    mask = np.zeros(len(text), dtype=bool)
    if isinstance(rationales, str):
        for span in rationales.split("|"):
            span = span.strip()
            if len(span) >= 2:
                at = text.find(span)
                if at >= 0:
                    mask[at:at + len(span)] = True
    return mask


def _sentences(texts: Sequence[str]) -> tuple[np.ndarray, list[str], list[tuple[int, int]]]:
    rows, chunks, spans = [], [], []
    for i, text in enumerate(texts):
        for a, b in sentence_spans(text):
            rows.append(i)
            chunks.append(text[a:b])
            spans.append((a, b))
    return np.asarray(rows, dtype=np.int64), chunks, spans


def _pool(rows: np.ndarray, p: np.ndarray, n: int) -> np.ndarray:
    """Max, mean, count above 0.5 and sum of the sentence scores of each text."""
    out = np.zeros((n, 4))
    if len(rows):
        np.maximum.at(out[:, 0], rows, p)
        counts = np.bincount(rows, minlength=n)
        sums = np.bincount(rows, weights=p, minlength=n)
        out[:, 1] = np.divide(sums, counts, out=np.zeros(n), where=counts > 0)
        out[:, 2] = np.bincount(rows, weights=(p > 0.5).astype(float), minlength=n)
        out[:, 3] = sums
    return out


def save_artifact(obj: object, path: str | Path) -> Path:
    """Write a fitted model to ``path`` (joblib, compressed), creating its folder."""
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(obj, path, compress=3)
    return path


def _macro_f1(y: np.ndarray, pred: np.ndarray, k: int) -> float:
    """sklearn's ``f1_score(average="macro")`` for labels 0..k-1 (over the labels in ``y`` or ``pred``), without
    its input checks: the offset search below calls it hundreds of times per mechanism."""
    tp = np.bincount(y[y == pred], minlength=k)
    n_true, n_pred = np.bincount(y, minlength=k), np.bincount(pred, minlength=k)
    present = (n_true + n_pred) > 0
    return float(np.mean(2 * tp[present] / (n_true + n_pred)[present]))


def _tune_offsets(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-class log-offsets (class 0 fixed at 0) that maximise macro-F1 of out-of-fold predictions."""
    logp = np.log(proba + 1e-9)
    y = np.asarray(y, dtype=int)
    k = proba.shape[1]
    best, offsets = _macro_f1(y, logp.argmax(1), k), np.zeros(k)
    grid = np.linspace(-2.0, 3.0, 21)
    for b1 in grid:
        for b2 in grid:
            b = np.array([0.0, b1, b2])
            score = _macro_f1(y, (logp + b).argmax(1), k)
            if score > best + 1e-9:
                best, offsets = score, b
    return offsets


def _softmax_shift(proba: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    z = np.log(proba + 1e-9) + offsets
    z -= z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


class EmpathyModel:
    """Scores replies on the three EPITOME mechanisms (scikit-learn shape: params here, ``fit`` returns self).

    >>> model = EmpathyModel.default()                                      # doctest: +SKIP
    >>> model.score(["I'm so sorry. How are you holding up?"])["explorations"].tolist()  # doctest: +SKIP
    [2]
    """

    #: Cap explorations at 0 when every question of a reply is transactional (``cues.procedural_only``);
    #: a class attribute so that saved models get it too, and so the benchmark can measure without it.
    procedural_rule: bool = True

    def __init__(self, *, C: float = 1.0, sentence_C: float = 2.0, cue_C: float = 1.0, folds: int = 5,
                 max_char_features: int = 60_000, max_word_features: int = 30_000, seed: int = 7) -> None:
        self.C = C
        self.sentence_C = sentence_C
        self.cue_C = cue_C
        self.folds = folds
        self.max_char_features = max_char_features
        self.max_word_features = max_word_features
        self.seed = seed

    # -- features ----------------------------------------------------------------------------------
    def _vectorizers(self) -> tuple[TfidfVectorizer, TfidfVectorizer]:
        return (TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=self.max_word_features),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True,
                                max_features=self.max_char_features))

    def _text_matrix(self, texts: Sequence[str]):
        return hstack([self.word_.transform(texts), self.char_.transform(texts)]).tocsr()

    def _sentence_matrix(self, chunks: Sequence[str]):
        return hstack([self.sent_word_.transform(chunks), self.sent_char_.transform(chunks)]).tocsr()

    def _design(self, T, pooled: np.ndarray, cues: np.ndarray):
        return hstack([T, csr_matrix(3.0 * pooled), csr_matrix(self.cue_scaler_.transform(cues))]).tocsr()

    # -- fitting -----------------------------------------------------------------------------------
    def fit(self, responses: Sequence[str], levels: dict[str, Sequence[int]],
            rationales: dict[str, Sequence[object]]) -> "EmpathyModel":
        """Fit on English replies with their 0/1/2 ``levels`` and rationale spans per mechanism."""
        texts = [str(t) for t in responses]
        n = len(texts)
        rng = np.random.RandomState(self.seed)
        fold_of = rng.permutation(np.arange(n) % self.folds)
        self.word_, self.char_ = self._vectorizers()
        self.word_.fit(texts)
        self.char_.fit(texts)
        rows, chunks, spans = _sentences(texts)
        self.sent_word_, self.sent_char_ = self._vectorizers()
        self.sent_word_.fit(chunks)
        self.sent_char_.fit(chunks)
        for vec in (self.word_, self.char_, self.sent_word_, self.sent_char_):
            vec.stop_words_ = None  # the pruned vocabulary is not needed to transform and bloats the artifact
        T = self._text_matrix(texts)
        Ts = self._sentence_matrix(chunks)
        cues = cue_matrix(texts, ["en"] * n)
        self.cue_scaler_ = StandardScaler().fit(cues)
        cues_std = self.cue_scaler_.transform(cues)
        self.sentence_clf_, self.clf_, self.offsets_, self.cue_clf_, self.cue_offsets_ = {}, {}, {}, {}, {}
        skf = StratifiedKFold(self.folds, shuffle=True, random_state=self.seed)
        for mech in MECHANISMS:
            y = np.asarray(levels[mech], dtype=int)
            ys = np.array([rationale_mask(texts[r], rationales[mech][r])[a:b].mean() > 0.5 if b > a else False
                           for r, (a, b) in zip(rows, spans)])
            # sentence tagger, cross-fitted so the pooled scores of training rows are out-of-fold
            p = np.zeros(len(rows))
            for f in range(self.folds):
                fit, held = fold_of[rows] != f, fold_of[rows] == f
                tagger = LogisticRegression(C=self.sentence_C, max_iter=3000, class_weight="balanced").fit(Ts[fit], ys[fit])
                p[held] = tagger.predict_proba(Ts[held])[:, 1]
            self.sentence_clf_[mech] = LogisticRegression(C=self.sentence_C, max_iter=3000, class_weight="balanced").fit(Ts, ys)
            X = self._design(T, _pool(rows, p, n), cues)
            oof, oof_cue = np.zeros((n, 3)), np.zeros((n, 3))
            for a, b in skf.split(np.zeros(n), y):
                oof[b] = self._main(X[a], y[a]).predict_proba(X[b])
                oof_cue[b] = self._cue(cues_std[a], y[a]).predict_proba(cues_std[b])
            self.offsets_[mech] = _tune_offsets(oof, y)
            self.cue_offsets_[mech] = _tune_offsets(oof_cue, y)
            self.clf_[mech] = self._main(X, y)
            self.cue_clf_[mech] = self._cue(cues_std, y)
        return self

    #: Cue features the overall head does not see: reply length is not evidence of empathy (a long
    #: transactional reply must not outscore a short empathic one), so the head is fitted without it.
    overall_excluded: tuple[str, ...] = ("log_length", "short")

    def overall_features(self, responses: Sequence[str], languages: Sequence[str]) -> np.ndarray:
        """Language-independent inputs of the overall score: the cue path's expected level of each
        mechanism, the cue features but length (``overall_excluded``) and the number of jargon terms."""
        texts = ["" if not isinstance(t, str) else t for t in responses]
        cue = self.predict_proba(texts, languages=languages, cue_only=True)
        expected = np.column_stack([cue[m]["proba"][:, 1] + 2 * cue[m]["proba"][:, 2] for m in MECHANISMS])
        jargon = np.array([[len(find_jargon(t, lang))] for t, lang in zip(texts, languages)])
        keep = [i for i, name in enumerate(CUE_FEATURES) if name not in self.overall_excluded]
        return np.column_stack([expected, cue_matrix(texts, languages)[:, keep], jargon])

    def fit_overall(self, responses: Sequence[str], scores: Sequence[int], *, languages: Sequence[str] | None = None,
                    C: float = 0.03) -> "EmpathyModel":
        """Fit the overall-score head on replies rated 0/1/2 for overall empathy (EmpatheticPersonas).

        C = 0.03 (of 0.03, 0.1, 0.3, 1; bench/results.md "empathy: length controlled"): the strongest
        regularisation kept en↔zh agreement ≥ 0.8 and the partial correlation with length held fixed highest.
        """
        langs = list(languages) if languages is not None else ["en"] * len(responses)
        X = self.overall_features(responses, langs)
        self.overall_scaler_ = StandardScaler().fit(X)
        self.overall_clf_ = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit(
            self.overall_scaler_.transform(X), np.asarray(scores, dtype=int))
        return self

    def overall_proba(self, responses: Sequence[str], languages: Sequence[str]) -> np.ndarray:
        """P(overall empathy = 0, 1, 2) of each reply from the overall head."""
        X = self.overall_features(responses, languages)
        return self.overall_clf_.predict_proba(self.overall_scaler_.transform(X))

    def _main(self, X, y) -> LogisticRegression:
        return LogisticRegression(C=self.C, max_iter=3000, class_weight="balanced").fit(X, y)

    def _cue(self, X, y) -> LogisticRegression:
        return LogisticRegression(C=self.cue_C, max_iter=3000, class_weight="balanced").fit(X, y)

    # -- predicting --------------------------------------------------------------------------------
    def predict_proba(self, responses: Sequence[str], *, languages: Sequence[str] | None = None,
                      cue_only: bool = False, multilingual: bool = False,
                      evidence: bool = True) -> dict[str, dict[str, object]]:
        """Per mechanism: decision-adjusted class probabilities (n×3) and sentence evidence.

        ``cue_only``: every reply takes the cue model; ``multilingual``: English replies too take the
        German/Chinese path (e5 heads + cues), which is how that path is measured on English EPITOME.
        ``evidence=False`` spares the e5 path embedding each sentence (its evidence lists stay empty).
        """
        texts = ["" if not isinstance(t, str) else t for t in responses]
        n = len(texts)
        langs = list(languages) if languages is not None else [guess_language(t) for t in texts]
        english = np.array([(lang == "en") and not cue_only and not multilingual for lang in langs], dtype=bool)
        cues = cue_matrix(texts, langs)
        cues_std = self.cue_scaler_.transform(cues)
        out: dict[str, dict[str, object]] = {}
        en_idx = np.flatnonzero(english)
        en_texts = [texts[i] for i in en_idx]
        rows, chunks, spans = _sentences(en_texts)
        T = self._text_matrix(en_texts) if len(en_idx) else None
        Ts = self._sentence_matrix(chunks) if chunks else None
        other = np.flatnonzero(~english)
        e5_rows, e5 = self._e5_scores([texts[i] for i in other], cue_only, evidence)
        for mech in MECHANISMS:
            proba = np.zeros((n, 3))
            evidence: list[list[str]] = [[] for _ in range(n)]
            if len(other):
                raw = self.cue_clf_[mech].predict_proba(cues_std[other])
                proba[other] = _softmax_shift(raw, self.cue_offsets_[mech])
                pattern = CUES[_CONCEPT[mech]]
                for i in other:
                    lang = langs[i] if langs[i] in pattern else "en"
                    evidence[i] = [texts[i][a:b] for a, b in sentence_spans(texts[i]) if pattern[lang].search(texts[i][a:b])]
                    if not evidence[i] and mech in GATED:
                        # cue gate: without a cue of its concept the mechanism is at level 0 (confidence ≥ 0.6)
                        s = min(proba[i, 1] + proba[i, 2], 0.4)
                        proba[i] = (1 - s, s / 2, s / 2)
                if e5:
                    # the multilingual e5 head, blended with the cue model, for the replies within the budget
                    cue_raw = _softmax_shift(self.cue_clf_[mech].predict_proba(cues_std[other[e5_rows]]), self.cue_offsets_[mech])
                    proba[other[e5_rows]] = default_heads().blend(mech, e5[mech]["proba"], cue_raw)
                    for k, i in enumerate(other[e5_rows]):
                        evidence[i] = e5[mech]["evidence"][k]
            if len(en_idx):
                p = self.sentence_clf_[mech].predict_proba(Ts)[:, 1] if Ts is not None else np.zeros(0)
                X = self._design(T, _pool(rows, p, len(en_idx)), cues[en_idx])
                proba[en_idx] = _softmax_shift(self.clf_[mech].predict_proba(X), self.offsets_[mech])
                for k, (r, (a, b)) in enumerate(zip(rows, spans)):
                    if p[k] >= 0.5:
                        evidence[en_idx[r]].append(en_texts[r][a:b])
            if mech == "explorations" and getattr(self, "procedural_rule", True):
                # rule: a reply whose every question is transactional (order number, email, restart, ...)
                # explores nothing; its level is capped at 0 (confidence ≥ 0.6), in every language
                for i in np.flatnonzero(proba[:, 1:].sum(1) > 0.4):
                    if procedural_only(texts[i], langs[i]):
                        s = min(proba[i, 1] + proba[i, 2], 0.4)
                        proba[i] = (1 - s, s / 2, s / 2)
            level = proba.argmax(1)
            for i in range(n):
                if level[i] == 0:
                    evidence[i] = []
            out[mech] = {"proba": proba, "evidence": evidence}
        return out

    #: Score German and Chinese replies with the multilingual e5 heads (``e5_heads``) when they are installed:
    #: the replies in ``e5_texts`` when a run chose them, else the first ``e5_budget`` distinct ones of a
    #: call. The shipped model sends none (e5 costs seconds: the CLI and Act's live scoring stay fast);
    #: :meth:`with_e5` opts in, as the flywheel does per run (setting ``empathy_e5_replies``).
    use_e5: bool = True
    e5_texts: frozenset[str] | None = None
    e5_budget: int = 0

    def with_e5(self, texts: Sequence[str] | None = None, *, budget: int = E5_REPLY_BUDGET) -> "EmpathyModel":
        """A copy of the model whose e5 path scores exactly ``texts``, or (None) the first ``budget`` of a call."""
        import copy

        model = copy.copy(self)
        model.e5_texts = None if texts is None else frozenset(texts)
        model.e5_budget = budget
        return model

    def cue_proba(self, responses: Sequence[str], languages: Sequence[str]) -> dict[str, np.ndarray]:
        """The cue model's decision-adjusted probabilities per mechanism (before gates and rules): the part of
        the German/Chinese path the e5 heads are blended with."""
        cues_std = self.cue_scaler_.transform(cue_matrix(list(responses), list(languages)))
        return {m: _softmax_shift(self.cue_clf_[m].predict_proba(cues_std), self.cue_offsets_[m]) for m in MECHANISMS}

    def _e5_scores(self, texts: list[str], cue_only: bool, evidence: bool = True) -> tuple[np.ndarray, dict]:
        """Which of the non-English ``texts`` the e5 heads score, and their result for those."""
        heads = default_heads() if self.use_e5 and not cue_only and texts else None
        if heads is None:
            return np.zeros(len(texts), dtype=bool), {}
        rows = e5_rows(texts, allowed=self.e5_texts, budget=self.e5_budget)
        chosen = [texts[i] for i in np.flatnonzero(rows)]
        return rows, (heads.score_texts(chosen, evidence=evidence) if chosen else {})

    def score(self, responses: Sequence[str], *, languages: Sequence[str] | None = None,
              cue_only: bool = False) -> pd.DataFrame:
        """One row per reply: each mechanism's level, ``_confidence`` and ``_evidence``, ``jargon``, ``empathy``.

        ``empathy`` = (P(overall 1) / 2 + P(overall 2)) × (1 − 0.15 · min(jargon terms, 3)): the expected
        overall empathy rating (0/1/2, halved) from the overall head, which is fitted to human overall
        ratings (EmpatheticPersonas) on language-independent features, less a penalty for jargon.
        Without a fitted head it falls back to (E[ER] + E[IP] + E[EX]) / 6 with the same penalty, where
        E[m] = P(level 1) + 2·P(level 2).
        """
        texts = ["" if not isinstance(t, str) else t for t in responses]
        langs = list(languages) if languages is not None else [guess_language(t) for t in texts]
        return score_distinct(
            [f"{lang}\x00{text}" for text, lang in zip(texts, langs)],
            lambda positions: self._score_all([texts[i] for i in positions], [langs[i] for i in positions], cue_only),
        )

    def _score_all(self, texts: list[str], langs: list[str], cue_only: bool) -> pd.DataFrame:
        result = self.predict_proba(texts, languages=langs, cue_only=cue_only)
        frame = pd.DataFrame({"language": langs})
        expected = np.zeros(len(texts))
        for mech in MECHANISMS:
            proba = result[mech]["proba"]
            frame[mech] = proba.argmax(1).astype(int)
            frame[f"{mech}_confidence"] = proba.max(1).round(4)
            frame[f"{mech}_evidence"] = result[mech]["evidence"]
            expected += proba[:, 1] + 2 * proba[:, 2]
        jargon = [find_jargon(t, lang) for t, lang in zip(texts, langs)]
        frame["jargon"] = jargon
        penalty = 1 - JARGON_PENALTY * np.minimum([len(j) for j in jargon], 3)
        if getattr(self, "overall_clf_", None) is not None and len(texts):
            overall = self.overall_proba(texts, langs) @ np.array([0.0, 0.5, 1.0])
        else:
            overall = expected / 6
        frame["empathy"] = np.clip(overall * penalty, 0, 1).round(4)
        return frame

    # -- persistence -------------------------------------------------------------------------------
    def save(self, path: str | Path = MODEL_PATH) -> Path:
        return save_artifact(self, path)

    @staticmethod
    def load(path: str | Path = MODEL_PATH) -> "EmpathyModel":
        import joblib

        from empathica.errors import AnalysisError

        path = Path(path)
        if not path.exists():
            raise AnalysisError(
                f"the empathy model {path} is missing; train it with `python -m empathica.understand.empathy.training`."
            )
        return joblib.load(path)

    @classmethod
    def default(cls) -> "EmpathyModel":
        """The packaged model trained on the EPITOME training split (loaded once per process)."""
        return _default_model()


@lru_cache(maxsize=1)
def _default_model() -> EmpathyModel:
    return EmpathyModel.load(MODEL_PATH)

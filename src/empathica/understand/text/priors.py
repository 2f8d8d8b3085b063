"""Label shift: a sentiment head's class balance adapted to the corpus it scores.

A head learns its classes' base rates from its training data: GermEval's rail feedback is 70 % neutral,
airline tweets are 63 % negative. Scored on a corpus whose balance differs — customer reviews are mostly
praise or complaint — the head's calibrated posteriors carry the wrong prior, and a German review that the
head is unsure of is called neutral because 70 % of its training texts were.

Under label shift (the classes' base rates change, what each class's texts look like does not), the
posterior for the new corpus is the head's posterior re-weighted by the ratio of new to old priors. The
new priors are not known, but they are the maximum-likelihood fixed point of EM on the head's posteriors
over the corpus (Saerens, Latinne & Decaestecker, "Adjusting the outputs of a classifier to new a priori
probabilities", Neural Computation 14, 2002): no label is needed, only the corpus's own texts.
"""

from __future__ import annotations

import numpy as np

#: Fewer texts of a language than this in a corpus: its priors are not estimated (the head's are kept).
MIN_TEXTS = 200
#: No class's corpus prior is set below this, so a class the corpus seems to lack can still be predicted
#: for a text that clearly belongs to it.
PRIOR_FLOOR = 0.02


#: The re-weighting ratio π'/π of a class is kept within [1/MAX_RATIO, MAX_RATIO] when scoring, so a class the
#: corpus seems to lack (a 4 % minority, a templated file) still wins where its text is clear.
MAX_RATIO = 3.0


def shift_priors(proba: np.ndarray, train_priors: np.ndarray, target_priors: np.ndarray, *,
                 max_ratio: float | None = None) -> np.ndarray:
    """Posteriors ``proba`` (rows sum to 1) of a head trained at ``train_priors``, re-weighted for a corpus
    whose class priors are ``target_priors``: p'(y|x) ∝ p(y|x) · π'(y) / π(y), the ratio clipped to
    [1/max_ratio, max_ratio] when ``max_ratio`` is given (scoring; EM itself uses the exact ratio)."""
    ratio = np.asarray(target_priors, dtype=float) / np.asarray(train_priors, dtype=float)
    if max_ratio is not None:
        ratio = np.clip(ratio, 1 / max_ratio, max_ratio)
    weighted = np.asarray(proba, dtype=float) * ratio
    return weighted / weighted.sum(axis=1, keepdims=True)


def estimate_priors(proba: np.ndarray, train_priors: np.ndarray, *, floor: float = PRIOR_FLOOR,
                    max_iter: int = 1000, tol: float = 1e-7) -> np.ndarray:
    """The corpus's class priors, by EM on the head's posteriors ``proba`` (one row per text of the corpus).

    E-step: each text's posterior under the current priors (:func:`shift_priors`); M-step: the priors are
    the mean of those posteriors. Starts from ``train_priors``; the result is floored at ``floor`` and
    renormalised.
    """
    proba = np.asarray(proba, dtype=float)
    train_priors = np.asarray(train_priors, dtype=float)
    if proba.ndim != 2 or proba.shape[1] != len(train_priors) or not len(proba):
        raise ValueError(f"need one row of {len(train_priors)} class probabilities per text, got shape {proba.shape}")
    priors = train_priors.copy()
    for _ in range(max_iter):
        new = shift_priors(proba, train_priors, priors).mean(axis=0)
        done = np.abs(new - priors).max() < tol
        priors = new
        if done:
            break
    low = priors < floor  # those classes are set to the floor, the others share the rest in their proportions
    if low.any() and not low.all():
        priors = np.where(low, floor, priors * (1 - floor * low.sum()) / priors[~low].sum())
    return priors / priors.sum()


def class_priors(labels, classes) -> np.ndarray:
    """Each class's share of ``labels``, in the order of ``classes`` (a head's training base rates)."""
    labels = np.asarray([str(v) for v in labels])
    return np.array([float(np.mean(labels == str(c))) for c in classes])

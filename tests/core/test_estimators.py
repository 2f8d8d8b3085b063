"""Every analyzer follows the scikit-learn estimator shape.

Parameters are keyword-only arguments of ``__init__`` stored unchanged under the same names; an
unfitted analyzer has no fitted state; ``fit`` returns ``self`` and leaves its state in attributes
whose names end in ``_``.
"""

from __future__ import annotations

import inspect

import ibis
import numpy as np
import pandas as pd
import pytest

from empathica.decide.response import ChurnResponse
from empathica.learn.impact import OutcomeChurnLink
from empathica.understand.churn import ChurnModel
from empathica.understand.clv import BetaGeoModel, GammaGammaModel
from empathica.understand.drivers import DriverAnalysis
from empathica.understand.empathy.model import EmpathyModel
from empathica.understand.journeys import JourneyAnalyzer, journey_events
from empathica.understand.text.analyzer import TextAnalyzer
from empathica.understand.text.heads import NgramHead

rng = np.random.default_rng(0)


def _purchases(n=400):
    """A BG/NBD purchase process (with drop-out: the model refuses data in which nobody stops buying)."""
    lam = rng.gamma(0.9, 1 / 4.0, n)
    drop = rng.beta(0.8, 2.5, n)
    T = rng.uniform(20, 52, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = rng.exponential(1 / lam[i])
        while t <= T[i]:
            x[i], t_x[i] = x[i] + 1, t
            if rng.random() < drop[i]:
                break
            t += rng.exponential(1 / lam[i])
    return x, t_x, T


def _fit_beta_geo(model):
    return model.fit(*_purchases())


def _fit_gamma_gamma(model):
    x, _, _ = _purchases()
    spend = rng.gamma(6.0, 10.0, len(x))
    return model.fit(x, spend)


def _fit_drivers(model):
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    y = 2 * X["a"] + X["b"] + rng.normal(size=200)
    return model.fit(X, y)


def _fit_churn(model):
    X = pd.DataFrame({"tenure": rng.uniform(0, 60, 300), "plan": rng.choice(["basic", "plus"], 300)})
    y = (rng.uniform(size=300) < 1 / (1 + np.exp(0.08 * X["tenure"] - 1))).astype(int)
    return model.fit(X, y)


def _fit_link(model):
    nps = rng.integers(0, 11, 400)
    churned = (rng.uniform(size=400) < 0.5 - 0.04 * nps).astype(int)
    return model.fit(nps, churned)


def _fit_response(model):
    X = pd.DataFrame({"friction": rng.integers(0, 2, 400).astype(float), "empathy": rng.uniform(0, 1, 400)})
    churned = (rng.uniform(size=400) < 0.1 + 0.3 * X["friction"] - 0.1 * X["empathy"]).astype(int)
    return model.fit(X, churned)


def _fit_journeys(model):
    frame = pd.DataFrame({
        "case": ["1", "1", "2", "2", "3", "3"],
        "activity": ["web", "buy", "web", "call", "web", "buy"],
        "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:05", "2024-01-01 11:00",
                                     "2024-01-01 12:00", "2024-01-02 09:00", "2024-01-02 09:30"]),
    })
    return model.fit(journey_events(ibis.memtable(frame), case="case", activity="activity", timestamp="timestamp"))


def _fit_head(model):
    pos = ["great service, thank you", "love it, fast delivery", "excellent and friendly staff", "very happy with the order"]
    neg = ["terrible, never again", "late delivery and rude staff", "awful refund process", "broken on arrival, angry"]
    texts = (pos + neg) * 3
    labels = (["positive"] * 4 + ["negative"] * 4) * 3
    return model.fit(texts, labels)


CASES = [
    (BetaGeoModel, {"n_starts": 1}, _fit_beta_geo),
    (GammaGammaModel, {"n_starts": 1}, _fit_gamma_gamma),
    (DriverAnalysis, {"n_bootstrap": 20}, _fit_drivers),
    (ChurnModel, {"cv": 2}, _fit_churn),
    (OutcomeChurnLink, {"n_bootstrap": 20}, _fit_link),
    (ChurnResponse, {"n_bootstrap": 10}, _fit_response),
    (JourneyAnalyzer, {"goal": "buy", "cache": False, "min_transitions": 1}, _fit_journeys),
    (NgramHead, {"folds": 2}, _fit_head),
    (EmpathyModel, {}, None),
    (TextAnalyzer, {}, None),
]


@pytest.mark.parametrize("cls, params, fit", CASES, ids=[c[0].__name__ for c in CASES])
def test_estimator_shape(cls, params, fit):
    signature = inspect.signature(cls.__init__)
    names = [n for n in signature.parameters if n != "self"]
    assert names, f"{cls.__name__} takes no parameters"
    for name, parameter in signature.parameters.items():
        if name == "self":
            continue
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, f"{cls.__name__}({name}) should be keyword-only"
    model = cls(**params)
    for name in names:
        expected = params.get(name, signature.parameters[name].default)
        assert getattr(model, name) is expected or getattr(model, name) == expected, f"{cls.__name__}.{name} not stored as given"
    assert not [a for a in vars(model) if a.endswith("_") and not a.startswith("_")], f"{cls.__name__} has fitted state before fit"
    if fit is None:
        return
    fitted = fit(model)
    assert fitted is model, f"{cls.__name__}.fit must return self"
    assert [a for a in vars(model) if a.endswith("_") and not a.startswith("_")], f"{cls.__name__}.fit left no fitted attributes"

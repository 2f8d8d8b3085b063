"""The churn model's reasons per customer are findings (a reason code and its values), rendered in English, German and
Chinese in the report's at-risk table and the card (issue 19: no English sentence built inside an analysis)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from empathica.report.html import Speaker
from empathica.report.i18n import Finding, render
from empathica.understand.churn import ALREADY_LOST_REASON, ChurnModel, reason_findings

SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
#: Words of the English reasons: one in German or Chinese is English left over.
ENGLISH = re.compile(r"\b(days|since|last|mean|purchase|purchases|answers?|contacts?|unknown|lowest|segment|language|"
                     r"already|lost)\b")


@pytest.fixture(scope="module")
def reasons() -> pd.Series:
    """The reasons of a churn model fitted on customers with the store's feature names (a planted risk)."""
    rng = np.random.default_rng(7)
    n = 400
    X = pd.DataFrame({"tenure_days": rng.uniform(10, 900, n), "days_since_purchase": rng.uniform(0, 300, n),
                      "csat_min": rng.integers(1, 6, n).astype(float), "nps_last": rng.integers(0, 11, n).astype(float),
                      "segment": rng.choice(["app_first", "store_first"], n), "language": rng.choice(["de", "en", "zh"], n)})
    X.loc[X.index[:40], "nps_last"] = np.nan
    logit = -2 + 0.01 * X["days_since_purchase"] - 0.004 * X["tenure_days"] + 0.8 * (X["segment"] == "app_first")
    logit = logit + 1.5 * X["nps_last"].isna()  # customers who never answered leave more: "unknown" is a reason
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return ChurnModel(cv=3).fit(X, y).reasons(X)


def test_every_stored_reason_is_read_back_as_a_finding_with_its_values(reasons):
    texts = [t for t in reasons if t]
    assert len(texts) > 300
    for text in texts[:50]:
        found = reason_findings(text)
        assert len(found) == len(text.split("; "))
        for finding, part in zip(found, text.split("; ")):
            assert finding["id"] in ("churn.reason.int", "churn.reason.number", "churn.reason.level", "churn.reason.missing")
            assert finding["values"]["feature"]["id"] == "churn.feature." + part.split("=")[0]
            assert part.endswith(f"(+{finding['values']['weight']:.2f})")
    assert reason_findings(ALREADY_LOST_REASON) == [{"id": "churn.reason.already_lost", "values": {}}]
    assert reason_findings("something new") == [{"id": "churn.reason.text", "values": {"text": "something new"}}]
    assert reason_findings("") == [] and reason_findings(None) == []


@pytest.mark.parametrize("lang", ["de", "zh"])
def test_the_reasons_render_in_german_and_chinese_without_english_or_internal_names(reasons, lang):
    kinds = set()
    for text in [t for t in reasons if t][:80] + [ALREADY_LOST_REASON]:
        for finding in reason_findings(text):
            kinds.add(finding["id"])
            shown = render(Finding(finding["id"], finding["values"]), lang=lang)
            assert not SNAKE.search(shown) and not ENGLISH.search(shown), shown
        cell = Speaker(lang, "EUR").reasons(text)  # the report's at-risk table: one cell, a list in the language
        assert not SNAKE.search(cell) and not ENGLISH.search(cell), cell
    assert {"churn.reason.number", "churn.reason.level", "churn.reason.missing", "churn.reason.already_lost"} <= kinds
    if lang == "zh":
        assert re.search(r"[\u4e00-\u9fff]", Speaker("zh", "EUR").reasons(reasons[reasons != ""].iloc[0]))


def test_the_card_keeps_its_reasons_and_adds_them_as_findings_said_in_the_readers_language(reasons):
    from empathica.act.card import _value
    from empathica.serve.reasons import card_reasons

    text = reasons[reasons.str.count(";") == 2].iloc[0]
    fact = {"p_churn": 0.4, "churn_reasons": text, "clv": 120.0, "p_alive": 0.8, "expected_purchases": 1.5,
            "clv_segment": "app_first", "clv_status": "active", "p_detractor": None, "detractor_reasons": None,
            "empathy_received": None}
    card = _value(fact)
    assert card["churn"]["reasons"] == text.split("; ")  # the card's shape as before: reasons as stored
    assert card["churn"]["reason_findings"] == reason_findings(text)
    for lang in ("de", "zh"):
        said = card_reasons({k: dict(v) if v else v for k, v in card.items()}, lang)
        assert said["churn"]["reasons_language"] == lang and len(said["churn"]["reasons_shown"]) == 3
        shown = " ".join(said["churn"]["reasons_shown"] + said["clv"]["reasons_shown"])
        assert not SNAKE.search(shown) and not ENGLISH.search(shown), shown
        assert not re.search(r"\b(status|expected|probability|active|weight)\b", shown), shown
    assert re.search(r"[\u4e00-\u9fff]", " ".join(said["clv"]["reasons_shown"]))

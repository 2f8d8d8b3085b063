"""The "diagnose" step: the five-dimension CX scorecard, EX ↔ CX, values-based segments and the maturity stage.

Runs last among the analyses (order 95, after Act), so it reads this run's Learn and Act results; it reads
stored results and canonical tables only (``empathica.diagnose``; docs/diagnose.md) and stores findings, which
the report, the consultant report (``empathica diagnose``) and the API render.
"""

from __future__ import annotations

import pandas as pd

from empathica.diagnose.evidence import (
    COMPANY_METRICS, CUSTOMER_METRICS, company_measures, customer_evidence, employee_experience, maturity_evidence,
    team_engagement,
)
from empathica.diagnose.exlink import ExCxLink, group_table
from empathica.diagnose.maturity import assess, load_questionnaire, next_steps
from empathica.diagnose.rules import load_rules
from empathica.diagnose.scorecard import Scorecard, with_trend
from empathica.flywheel.steps.diagnose_findings import diagnose_section
from empathica.errors import NotEnoughDataError
from empathica.flywheel.registry import RunContext, step
from empathica.report import Section
from empathica.schema.results import (
    ACT_CASES, DIAGNOSE_EVIDENCE, DIAGNOSE_EX_CX, DIAGNOSE_EX_CX_GROUPS, DIAGNOSE_MATURITY, DIAGNOSE_MATURITY_INPUTS,
    DIAGNOSE_NEXT_STEPS, DIAGNOSE_SCORECARD, DIAGNOSE_SELF_ASSESSMENT, EMPATHY_CONVERSATIONS, EMPATHY_CUSTOMER,
    JOURNEY_CUSTOMER_FRICTION, LEARN_BENCHMARK_COMPARISON, LEARN_EFFECTS,
)


@step("diagnose", title="Diagnosis: CX dimensions, maturity, EX ↔ CX and values", order=95,
      reads=(EMPATHY_CUSTOMER, EMPATHY_CONVERSATIONS, JOURNEY_CUSTOMER_FRICTION, LEARN_BENCHMARK_COMPARISON, LEARN_EFFECTS,
             ACT_CASES, DIAGNOSE_SELF_ASSESSMENT, "customers", "feedback", "events", "conversations", "turns",
             "employees", "employee_surveys", "teams", "values_answers", "actions"))
def diagnose(ctx: RunContext) -> Section:
    store, settings = ctx.store, ctx.settings
    if store.count("customers") == 0:
        raise NotEnoughDataError("the customers table is empty; the diagnosis needs customers and their signals.")
    rules = load_rules(settings.diagnose_rules or None, known_metrics=set(CUSTOMER_METRICS) | set(COMPANY_METRICS))
    customers = customer_evidence(store)
    card = Scorecard(rules=rules, random_state=settings.seed).fit(customers, company_measures(store))
    scores = with_trend(card.scores_, _previous(store))
    store.write_result(DIAGNOSE_SCORECARD, scores, step="diagnose")
    store.write_result(DIAGNOSE_EVIDENCE, card.evidence_, step="diagnose")
    links, groups = _ex_cx(store, customers)
    stage, inputs, steps = _maturity(store, settings, links)
    return diagnose_section(scores, card.evidence_, links, stage, inputs, steps, groups)


def _previous(store) -> pd.DataFrame | None:
    """The scorecard of the last published run, when the store keeps one."""
    published = store.runs.published()
    if not published or not store.has_result(DIAGNOSE_SCORECARD):
        return None
    try:
        history = store.runs.history(DIAGNOSE_SCORECARD)
    except Exception:  # noqa: BLE001 - no history kept yet: no trend
        return None
    rows = history.filter(history.run_id == published[0]).to_pandas()
    return rows if len(rows) else None


def _ex_cx(store, customers: pd.DataFrame) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    teams = team_engagement(store)
    if teams.empty:
        return None, None
    sites = store.table("teams").select("team_id", "region").to_pandas().rename(columns={"region": "site"})
    teams = teams.merge(sites, on="team_id", how="left").fillna({"site": "all"})
    frame = customers.assign(retained=1 - customers["churned"])
    links = None
    try:
        links = ExCxLink().fit(frame.drop(columns=["team_id"]), employee_experience(store)).links_
        store.write_result(DIAGNOSE_EX_CX, links, step="diagnose")
    except NotEnoughDataError:
        pass
    groups = group_table(frame, teams)
    store.write_result(DIAGNOSE_EX_CX_GROUPS, groups, step="diagnose")
    return links, groups


def _maturity(store, settings, links):
    questionnaire = load_questionnaire(settings.diagnose_maturity or None)
    answers, assessment_id = latest_answers(store)
    stage, inputs = assess(maturity_evidence(store, links), answers, questionnaire)
    stage["assessment_id"] = assessment_id
    steps = next_steps(inputs, stage)
    store.write_result(DIAGNOSE_MATURITY, pd.DataFrame([stage]), step="diagnose")
    store.write_result(DIAGNOSE_MATURITY_INPUTS, inputs, step="diagnose")
    store.write_result(DIAGNOSE_NEXT_STEPS, steps, step="diagnose")
    return stage, inputs, steps


def latest_answers(store) -> tuple[dict[str, int] | None, str | None]:
    """The answers of the latest stored self-assessment (None when none was given)."""
    if not store.has_result(DIAGNOSE_SELF_ASSESSMENT):
        return None, None
    rows = store.read_result(DIAGNOSE_SELF_ASSESSMENT)
    if rows.empty:
        return None, None
    latest = rows.sort_values("answered_at").iloc[-1]["assessment_id"]
    chosen = rows[rows["assessment_id"] == latest]
    return dict(zip(chosen["question_id"], chosen["answer"].astype(int))), str(latest)

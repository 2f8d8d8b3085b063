"""The "diagnose" step: the five-dimension CX scorecard, EX ↔ CX, values-based segments and the maturity stage.

Runs last among the analyses (order 95, after Act), so it reads this run's Learn and Act results; it reads
stored results and canonical tables only (``empathica.diagnose``; docs/diagnose.md) and stores findings, which
the report, the consultant report (``empathica diagnose``) and the API render.
"""

from __future__ import annotations

import ibis
import pandas as pd

from empathica.diagnose.evidence import (
    COMPANY_METRICS, CUSTOMER_METRICS, alignment_measures, company_measures, customer_evidence, data_end, employee_experience,
    maturity_evidence, site_engagement, team_engagement,
)
from empathica.diagnose.alignment import ValuesAlignment, alignment_table, load_themes, theme_mentions
from empathica.diagnose.competitors import competitor_index
from empathica.diagnose.exlink import MIN_EMPLOYEES, ExCxLink, group_table
from empathica.diagnose.maturity import assess, load_questionnaire, next_steps
from empathica.diagnose.rules import load_rules
from empathica.diagnose.scorecard import MIN_GROUP_CUSTOMERS, Scorecard, with_period_trend, with_scope_keys, with_trend
from empathica.diagnose.segments import ValuesSegments, compare, customer_vectors, describe, stored_embeddings
from empathica.flywheel.steps.diagnose_findings import add_ecosystem, add_segments, diagnose_section
from empathica.listen.redaction import redact
from empathica.errors import NotEnoughDataError
from empathica.flywheel.registry import RunContext, step
from empathica.report import Section
from empathica.understand.text.embeddings import shared_embedder
from empathica.understand.text.topics import topic_tokens
from empathica.schema.results import (
    ACT_CASES, DIAGNOSE_COMPETITOR_INDEX, DIAGNOSE_EVIDENCE, DIAGNOSE_VALUES_ALIGNMENT, DIAGNOSE_VALUES_THEMES, DIAGNOSE_EX_CX, DIAGNOSE_EX_CX_GROUPS, DIAGNOSE_MATURITY, DIAGNOSE_MATURITY_INPUTS,
    DIAGNOSE_NEXT_STEPS, DIAGNOSE_SCORECARD, DIAGNOSE_SEGMENT_COMPARISON, DIAGNOSE_SEGMENTS, DIAGNOSE_SELF_ASSESSMENT,
    EMPATHY_CONVERSATIONS, EMPATHY_CUSTOMER, JOURNEY_CUSTOMER_FRICTION, LEARN_BENCHMARK_COMPARISON, LEARN_EFFECTS, VALUE_CLV,
)


@step("diagnose", title="Diagnosis: CX dimensions, maturity, EX ↔ CX and values", order=95,
      reads=(EMPATHY_CUSTOMER, EMPATHY_CONVERSATIONS, JOURNEY_CUSTOMER_FRICTION, LEARN_BENCHMARK_COMPARISON, LEARN_EFFECTS,
             ACT_CASES, DIAGNOSE_SELF_ASSESSMENT, VALUE_CLV, "customers", "feedback", "events", "conversations", "turns",
             "employees", "employee_surveys", "teams", "values_answers", "actions", "reviews"))
def diagnose(ctx: RunContext) -> Section:
    store, settings = ctx.store, ctx.settings
    if store.count("customers") == 0:
        raise NotEnoughDataError("the customers table is empty; the diagnosis needs customers and their signals.")
    rules = load_rules(settings.diagnose_rules or None, known_metrics=set(CUSTOMER_METRICS) | set(COMPANY_METRICS))
    customers = customer_evidence(store)
    competitors, themes, alignment = _ecosystem(store, settings)
    company = company_measures(store)
    by_group = {("brand", b): {"competitor_rating_index": i} for b, i in zip(competitors["brand"], competitors["index"])}
    # the ecosystem's values_alignment is the CSAT gap: the company's in its rows, a brand's or region's in theirs
    for row in (alignment.itertuples() if alignment is not None else ()):
        if row.outcome == "csat" and row.status == "ok":
            (company if row.scope == "all" else by_group.setdefault((row.scope, row.group), {}))["values_alignment"] = row.gap
    card = Scorecard(rules=rules, random_state=settings.seed).fit(customers, company, by_group)
    scores = with_period_trend(with_trend(card.scores_, _previous(store)), *_period_scores(store, settings, rules))
    teams = store.table("teams").select("team_id", "region").to_pandas()
    store.write_result(DIAGNOSE_SCORECARD, with_scope_keys(scores, teams), step="diagnose")
    store.write_result(DIAGNOSE_EVIDENCE, with_scope_keys(card.evidence_, teams), step="diagnose")
    links, groups = _ex_cx(store, customers)
    segments, comparison = _values_segments(store, settings, customers, ctx)
    stage, inputs, steps = _maturity(store, settings, links)
    section = diagnose_section(scores, card.evidence_, links, stage, inputs, steps, groups)
    add_segments(section, segments, comparison)
    add_ecosystem(section, competitors, themes, alignment)
    return section


def _ecosystem(store, settings) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    """Standing against competitors per own brand, and the alignment with what customers value (both stored)."""
    competitors = pd.DataFrame(columns=["brand", "index"])
    if store.count("reviews"):
        competitors = competitor_index(store.table("reviews").select("brand", "is_own", "rating").to_pandas(),
                                       random_state=settings.seed)
        store.write_result(DIAGNOSE_COMPETITOR_INDEX, competitors, step="diagnose")
    themes, top = load_themes(settings.diagnose_values_alignment or None)
    if not store.count("values_answers") or not store.count("feedback"):
        return competitors, None, None
    mentions = theme_mentions(_values_answers(store), themes)
    measures = alignment_measures(store)
    try:
        fitted = ValuesAlignment(themes=themes, top=top, random_state=settings.seed).fit(mentions, measures["csat"])
    except NotEnoughDataError:
        return competitors, None, None
    store.write_result(DIAGNOSE_VALUES_THEMES, fitted.themes_, step="diagnose")
    cu = store.table("customers")
    groups = cu.select("customer_id", "region", brand=cu.brand if "brand" in cu.columns else ibis.null("string")).to_pandas()
    table = alignment_table(mentions, measures, groups, themes=themes, top=top, random_state=settings.seed)
    teams = store.table("teams").select("team_id", "region").to_pandas()
    store.write_result(DIAGNOSE_VALUES_ALIGNMENT, with_scope_keys(table, teams), step="diagnose")
    return competitors, fitted.themes_, table


def _period_scores(store, settings, rules) -> tuple[pd.DataFrame | None, pd.DataFrame | None, pd.Timestamp | None]:
    """The scorecard on the data's last period and on the period before it (dated customer measures only, so both
    periods are scored on the same metrics), and the end of the last period."""
    end = data_end(store)
    if end is None:
        return None, None, None
    span = pd.Timedelta(days=settings.diagnose_period_days)
    # a period holds fewer answers: a metric counts there only when 30 of the group's customers were measured;
    # each period is bootstrapped so the change between them has an interval
    cards = [Scorecard(rules=rules, random_state=settings.seed, min_measured=MIN_GROUP_CUSTOMERS)
             .fit(customer_evidence(store, window=(stop - span, stop)), {}).scores_ for stop in (end, end - span)]
    return cards[0], cards[1], end


def _previous(store) -> pd.DataFrame | None:
    """The scorecard of the last published run that computed one (none kept yet: no trend)."""
    if not store.has_table("history_" + DIAGNOSE_SCORECARD.name):
        return None
    history = store.runs.history(DIAGNOSE_SCORECARD)
    runs = history.filter(history.run_id != (store.run_id or "")).select("run_id").distinct().to_pandas()["run_id"]
    if runs.empty:
        return None
    return history.filter(history.run_id == max(runs)).to_pandas()


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
    small = set(teams.loc[teams["employees"] < MIN_EMPLOYEES, "team_id"])
    groups = group_table(frame, teams, sites=site_engagement(store, leave_out=small))
    scoped = groups.assign(scope=groups["level"].map({"team": "team_id", "site": "site"}))  # the API's scope columns
    store.write_result(DIAGNOSE_EX_CX_GROUPS, with_scope_keys(scoped, teams.rename(columns={"site": "region"})).drop(columns="scope"), step="diagnose")
    return links, groups


def _values_segments(store, settings, customers: pd.DataFrame, ctx: RunContext):
    """Values-based segments of the customers who answered values questions, and their comparison with demographics."""
    if not store.count("values_answers"):
        return None, None
    answers = _values_answers(store)
    if ctx.progress:
        ctx.console.print(f"  Values segments: embedding up to {settings.diagnose_values_cap:,} distinct answers …", markup=False)
    embed = stored_embeddings(store, shared_embedder().embed)  # a text is embedded once, across runs
    kept, vectors = customer_vectors(answers, embed, cap=settings.diagnose_values_cap, seed=settings.seed)
    try:
        model = ValuesSegments(random_state=settings.seed).fit(vectors)
    except NotEnoughDataError:
        return None, None
    labels = pd.Series(model.labels_, index=kept["customer_id"], name="segment")
    frame = customers.merge(labels.rename("values_segment").reset_index(), on="customer_id")
    if store.has_result(VALUE_CLV):
        frame = frame.merge(store.result(VALUE_CLV).select("customer_id", "clv").to_pandas(), on="customer_id", how="left")
    frame["clv"] = frame["clv"] if "clv" in frame else float("nan")
    segments = describe(answers[answers["customer_id"].isin(labels.index)], labels, tokens=topic_tokens, redact=redact)
    outcome = frame.groupby("values_segment").agg(nps=("nps", "mean"), churn=("churned", "mean"), clv=("clv", "mean"))
    segments = segments.merge(outcome, left_on="segment", right_index=True, how="left")
    segments["share"] = segments["customers"] / segments.groupby("lang")["customers"].transform("sum")
    comparison = compare(frame, {"nps": "r2", "churned": "auc", "clv": "r2"}, seed=settings.seed)
    comparison["outcome"] = comparison["outcome"].replace({"churned": "churn"})
    store.write_result(DIAGNOSE_SEGMENTS, segments, step="diagnose")
    store.write_result(DIAGNOSE_SEGMENT_COMPARISON, comparison, step="diagnose")
    return segments, comparison


def _values_answers(store) -> pd.DataFrame:
    """Every values answer with its customer and the customer's language (en where unknown)."""
    va, cu = store.table("values_answers"), store.table("customers")
    answers = va.left_join(cu.select("customer_id", lang=cu.language), "customer_id").select(
        "customer_id", "answer", "lang").to_pandas()
    answers["lang"] = answers["lang"].fillna("en")
    return answers


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

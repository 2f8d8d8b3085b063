"""The "decide" step: one ranked, monetised, owned list of what to fix first, and the ROI scenarios.

Reads stored results only (``drivers_customer``, ``value_clv``, ``journey_friction``, ``empathy_agents``,
``drivers_teams`` …; docs/decide.md), fits one churn model on the levers (``empathica.decide``) and
values with it every opportunity and every scenario, built-in or user-defined (setting ``scenarios``).
A model validating near chance (ROC AUC < 0.6) produces no money: the section says why.
"""

from __future__ import annotations

import json

import pandas as pd
from threadpoolctl import threadpool_limits

from empathica.decide.at_risk import at_risk_levers, concerned_by_fixes
from empathica.decide.attribution import shapley_valuations
from empathica.decide.competitors import competitor_levers
from empathica.decide.contacts import CONTACT_PREFIX, ContactLeaving, complaint_contacts
from empathica.decide.levers import churn_levers, customer_levers, empathy_levels
from empathica.decide.opportunities import (MIN_CUSTOMERS, Names, all_levers, rank_opportunities, served_customers,
                                            value_lever)
from empathica.decide.response import MIN_AUC, ChurnResponse, ChurnWithContacts
from empathica.errors import NotEnoughDataError
from empathica.decide.scenarios import builtin_levers, parse_scenarios, spec_lever, value_scenarios
from empathica.decide.shares import customer_values
from empathica.decide.trend import data_periods, period_shares
from empathica.flywheel.registry import RunContext, step
from empathica.report import Finding, FindingsTable, Section
from empathica.report.summary import protect_finding
from empathica.schema.results import (
    DECIDE_CUSTOMER_VALUES, DECIDE_MODEL, DECIDE_OPPORTUNITIES, DECIDE_PROTECT, DECIDE_SCENARIOS, DRIVERS_CUSTOMER, DRIVERS_EVERYONE, DRIVERS_LEVER_EVENTS, DRIVERS_TEAMS,
    EMPATHY_AGENTS, EMPATHY_CONVERSATIONS, EMPATHY_GAPS, JOURNEY_FRICTION, LEARN_BENCHMARK_COMPARISON, VALUE_CLV, VALUE_REVENUE_AT_RISK, VALUE_TOTALS,
)

#: Opportunities the executive summary names.
SUMMARY_TOP = 5
RANKING_COLUMNS = {"rank": "int", "message_id": "finding", "customers": "int", "revenue": "money", "revenue_low": "interval",
                   "owner": "text", "confidence": "grade", "trend_message_id": "subfinding", "previous_rank": "trend"}
PROTECT_COLUMNS = {"rank": "int", "message_id": "finding", "customers": "int", "concerned_by_fixes": "int", "revenue": "money",
                   "revenue_low": "interval", "owner": "text", "confidence": "grade"}
SCENARIO_COLUMNS = {"message_id": "finding", "customers": "int", "revenue": "money", "revenue_low": "interval",
                    "churn_change": "pct"}
SCENARIO_HEADERS = {"message_id": "column.scenario_name", "revenue": "column.revenue_kept"}


# order 65: after learn (60), whose competitor benchmark it reads when it exists (not ``after=``: the ranking
# must not be skipped when learn has no reviews to compare)
@step("decide", title="What to fix first", order=65,
      reads=(DRIVERS_CUSTOMER, DRIVERS_EVERYONE, DRIVERS_LEVER_EVENTS, VALUE_CLV, VALUE_REVENUE_AT_RISK, VALUE_TOTALS, LEARN_BENCHMARK_COMPARISON,
             JOURNEY_FRICTION, EMPATHY_AGENTS, EMPATHY_CONVERSATIONS, EMPATHY_GAPS, DRIVERS_TEAMS, "customers", "events", "turns", "conversations", "employees",
             "teams", "touchpoints"))
def decide(ctx: RunContext) -> Section:
    # the valuations are thousands of small matrix products: BLAS threads only spin on them (13× the CPU on a busy
    # machine, bench/results.md "decide"), so one thread does them
    with threadpool_limits(1):
        return _decide(ctx)


def _decide(ctx: RunContext) -> Section:
    store, settings = ctx.store, ctx.settings
    specs = parse_scenarios(settings.scenarios)  # a bad user scenario stops the step before any work
    table = customer_levers(store)
    columns = churn_levers(table)
    model = ChurnResponse(n_bootstrap=100, random_state=settings.seed).fit(table[columns], table["churned"])
    contacts = _contact_model(store, table, model, seed=settings.seed)
    model = contacts or model
    names = Names.from_store(store)
    served = served_customers(store)
    fixes = [*all_levers(store, table, names, served), *competitor_levers(store, table, names)]
    groups = at_risk_levers(store, table, served)  # whom to protect: ranked apart, the same money as the fixes
    periods = data_periods(store)
    shares = period_shares(store, table, [*fixes, *groups], periods) if periods is not None else None
    # overlapping fixes share the churn they both change (Shapley values, docs/decide.md); contained ones stay apart
    shared = shapley_valuations(model, table, [f for f in fixes if f.part_of is None and f.affected.sum() >= MIN_CUSTOMERS],
                                random_state=settings.seed)
    ranking = rank_opportunities(fixes, model, table, names, currency=settings.currency, shares=shares, periods=periods,
                                 previous=_previous(store, DECIDE_OPPORTUNITIES), shared=shared)
    protect = rank_opportunities(groups, model, table, names, currency=settings.currency, shares=shares, periods=periods,
                                 previous=_previous(store, DECIDE_PROTECT))
    protect = _with_fix_overlap(protect, groups, fixes, ranking)
    store.write_result(DECIDE_MODEL, pd.DataFrame([{
        "customers": len(table), "churn_rate": model.churn_rate_, "roc_auc": model.auc_, "min_auc": MIN_AUC,
        "usable": model.usable, "levers": json.dumps(columns), "bootstrap_fits": len(model.draws_),
        **_contact_figures(contacts)}]),
        step="decide", description="The churn model that values opportunities and scenarios: cross-validated ROC AUC.")
    store.write_result(DECIDE_OPPORTUNITIES, ranking, step="decide",
                       description="Opportunities ranked by revenue at stake (95% interval), owner, evidence, confidence.")
    store.write_result(DECIDE_PROTECT, protect, step="decide",
                       description="Whom to protect: at-risk groups ranked apart from the fixes (the same money).")
    order = {key: i for i, key in enumerate(ranking["key"])} if len(ranking) else {}
    levers = builtin_levers(sorted(fixes, key=lambda lever: order.get(lever.key, len(order))), table, names)
    levers += [spec_lever(spec, table, names, served, store) for spec in specs]
    scenarios = value_scenarios(model, table, levers, currency=settings.currency)
    if len(scenarios):
        scenarios.insert(0, "scenario", range(1, len(scenarios) + 1))
        store.write_result(DECIDE_SCENARIOS, scenarios, step="decide", description="ROI scenarios: revenue kept with 95% intervals.")
    store.write_result(DECIDE_CUSTOMER_VALUES, _customer_values(model, table, fixes, ranking, shared, levers), step="decide",
                       description="Each concerned customer's part of the opportunities' and scenarios' revenue.")
    return decide_section(ranking, scenarios, protect, model_auc=model.auc_, usable=model.usable)


def _contact_model(store, table: pd.DataFrame, model: ChurnResponse, *, seed: int) -> ChurnWithContacts | None:
    """The customer model joined with leaving after complaint contacts (empathy valued per contact), or None when the
    store has no complaint contacts to learn it from (empathy then stays a lever of the customer model)."""
    cells = [c for c in table.columns if c.startswith(CONTACT_PREFIX)]
    levels = empathy_levels(store)
    found = complaint_contacts(store, [c[5:] for c in table.columns if c.startswith("pain_")]) if cells and levels is not None else None
    if found is None:
        return None
    try:
        leaving = ContactLeaving(n_bootstrap=len(model.draws_), random_state=seed).fit(found, levels)
    except NotEnoughDataError:
        return None
    return ChurnWithContacts(model, leaving, cells, levels, table)


def _contact_figures(model: ChurnWithContacts | None) -> dict:
    """The complaint-contact model's figures for ``decide_model`` (missing without one)."""
    if model is None:
        return dict.fromkeys(("contacts", "contacts_left", "contact_empathy_coef", "contact_leaving_at_0_2",
                              "contact_leaving_at_0_6"))
    leaving = model.contacts
    at = leaving.leaving_by_fit([0.2, 0.6], [(), ()])[:, 0]
    return {"contacts": leaving.contacts_, "contacts_left": leaving.left_rate_, "contact_empathy_coef": float(leaving.coef_[0]),
            "contact_leaving_at_0_2": float(at[0]), "contact_leaving_at_0_6": float(at[1])}


def _previous(store, result) -> pd.DataFrame | None:
    """The last run's rows of ``result`` (None on the first run)."""
    return store.read_result(result) if store.has_result(result) else None


def _customer_values(model: ChurnResponse, table: pd.DataFrame, fixes, ranking: pd.DataFrame, shared: dict, scenarios) -> pd.DataFrame:
    """Each concerned customer's part of every ranked opportunity's revenue (its Shapley share, or what it keeps alone
    when it is not in the game, as ranked) and of every scenario's (valued alone): a scope's share is their sum."""
    keys = set(ranking["key"]) if len(ranking) else set()
    opportunities = [(f, shared[f.key] if f.key in shared else value_lever(model, table, f)) for f in fixes if f.key in keys]
    valued = [(lever, value_lever(model, table, lever)) for lever in scenarios if lever.affected.any()]
    return pd.concat([customer_values(table, opportunities, result=DECIDE_OPPORTUNITIES.name),
                      customer_values(table, valued, result=DECIDE_SCENARIOS.name)], ignore_index=True)


def _with_fix_overlap(protect: pd.DataFrame, groups, fixes, ranking: pd.DataFrame) -> pd.DataFrame:
    """``protect`` with ``concerned_by_fixes``; an empty frame with the declared columns when no group is ranked."""
    if protect.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in DECIDE_PROTECT.column_names})
    overlap = concerned_by_fixes(groups, fixes, ranking, top=SUMMARY_TOP)
    protect["concerned_by_fixes"] = protect["key"].map(overlap).fillna(0).astype(int)
    return protect


def decide_section(ranking: pd.DataFrame, scenarios: pd.DataFrame, protect: pd.DataFrame, *, model_auc: float,
                   usable: bool) -> Section:
    """The section: headlines from the first rows of the stored ranking and scenarios, and those tables."""
    section = Section(key="decide", title="What to fix first")
    if not usable:
        section.summary.append(Finding("decide.gate.model", {"auc": model_auc, "min_auc": MIN_AUC}, source=DECIDE_MODEL.name,
                                       row={"roc_auc": model_auc}))
    shown = ranking[ranking["money_shown"]] if len(ranking) else ranking
    if usable and len(ranking) and shown.empty:  # quality gate: every interval includes zero
        section.summary.append(Finding("decide.gate.none_shown", {}))
    if usable and len(shown):
        top = shown.iloc[0]
        section.summary.append(Finding("decide.headline.top", {"what": {"id": top["message_id"], "values": json.loads(top["values"])},
                                                               "revenue": top["revenue"], "revenue_low": top["revenue_low"],
                                                               "revenue_high": top["revenue_high"], "owner": top["owner"]},
                                       source=DECIDE_OPPORTUNITIES.name, row={"rank": int(top["rank"])}))
    section.add(FindingsTable(ranking, RANKING_COLUMNS, "caption.opportunities", source=DECIDE_OPPORTUNITIES.name))
    guarded = protect[protect["money_shown"].astype(bool)] if usable and len(protect) else protect.iloc[0:0]
    if len(guarded):  # whom to protect: its own headline, from the first row of its own table
        section.summary.append(protect_finding(guarded.iloc[0]))
    if len(protect):
        section.add(FindingsTable(protect, PROTECT_COLUMNS, "caption.protect", source=DECIDE_PROTECT.name))
    if len(scenarios):
        section.add(FindingsTable(scenarios, SCENARIO_COLUMNS, "caption.scenarios", source=DECIDE_SCENARIOS.name,
                                  headers=SCENARIO_HEADERS))
    return section

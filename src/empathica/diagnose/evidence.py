"""The evidence the diagnosis scores: one row of measures per customer, and company-wide measures.

Per customer (aggregated in the store, one row each): CSAT, NPS, goal conversion of their journeys, channel
switching, friction met, first-contact resolution and hand-offs of their conversations, empathy received and
the gap rate of the replies they got, the engagement of the team that served them; with region, segment,
language and the serving team, so every measure can be scored per group. Company-wide: listening coverage,
neglected touchpoints, SLA attainment of Act's cases, the competitor rating index and the employee NPS.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from empathica.decide.opportunities import served_customers
from empathica.learn.benchmark import company_rows
from empathica.schema.results import (
    ACT_CASES, EMPATHY_CONVERSATIONS, EMPATHY_CUSTOMER, EMPATHY_TURNS, JOURNEY_CUSTOMER_FRICTION,
    LEARN_BENCHMARK_COMPARISON,
)

#: Survey answers a touchpoint needs to count as listened to.
MIN_ANSWERS = 30
#: Mean CSAT (1–5) under which a touchpoint counts as neglected.
NEGLECTED_CSAT = 3.5
#: Measures per customer, and the company-wide ones (the names the rules file may use).
CUSTOMER_METRICS = ("csat", "nps", "goal_conversion", "channel_switch_share", "friction_met", "first_contact_resolution",
                    "handoff_share", "empathy_received", "empathy_gap_rate", "serving_team_engagement")
COMPANY_METRICS = ("touchpoint_coverage", "neglected_touchpoint_share", "sla_attainment", "case_resolution_hours",
                   "competitor_rating_index", "employee_enps", "values_alignment")


#: A period of the data, (start, end]: only records dated inside it are measured (the trend per data period).
Window = tuple[pd.Timestamp, pd.Timestamp]


def customer_evidence(store, *, window: Window | None = None) -> pd.DataFrame:
    """One row per customer: brand, region, segment, language, team_id (serving team) and site (its region),
    churned and every customer measure. With ``window``, the dated measures of that period only (friction, which
    a result holds over all the data, is then left out)."""
    customers = store.table("customers")
    brand = customers.brand if "brand" in customers.columns else ibis.null("string")  # a store from before brands
    frame = customers.select("customer_id", "region", "segment", "language", "attributes", brand=brand,
                             churned=customers.churned_at.notnull().cast("int64")).to_pandas()
    frame["age_band"] = frame.pop("attributes").map(_age_band)
    for part in (_survey_measures(store, window), _journey_measures(store, window), _conversation_measures(store, window),
                 _empathy_measures(store, window), _team_measures(store)):
        if part is not None and len(part):
            frame = frame.merge(part, on="customer_id", how="left")
    for column in CUSTOMER_METRICS + ("team_id", "employee_id"):
        if column not in frame:
            frame[column] = np.nan if column in CUSTOMER_METRICS else None
    sites = employee_sites(store)
    frame = frame.merge(sites[["employee_id", "site"]], on="employee_id", how="left")
    home = store.table("teams").select("team_id", "region").to_pandas()
    region = frame["team_id"].map(dict(zip(home["team_id"], home["region"])))
    frame["site"] = frame["site"].where(frame["site"].notna(), region)  # no site: the team's region
    return frame


def employee_sites(store) -> pd.DataFrame:
    """employee_id, team_id and the site each works from: ``employees.site`` where given, else the team's region."""
    employees, teams = store.table("employees"), store.table("teams")
    site = employees.site if "site" in employees.columns else ibis.null("string")
    joined = employees.select("employee_id", "team_id", own=site).left_join(teams.select("team_id", "region"), "team_id")
    return joined.select("employee_id", "team_id", site=ibis.coalesce(joined.own, joined.region)).to_pandas()


def _age_band(attributes) -> str | None:
    """The ``age_band`` a source row carried among its further fields, when it did."""
    import json

    if isinstance(attributes, str):
        try:
            attributes = json.loads(attributes)
        except ValueError:
            return None
    return attributes.get("age_band") if isinstance(attributes, dict) else None


def _dated(table: ibis.Table, column: str, window: Window | None) -> ibis.Table:
    """The rows of ``table`` whose ``column`` falls in ``window`` (all rows without one)."""
    if window is None:
        return table
    start, end = (ibis.literal(pd.Timestamp(t).to_pydatetime(), type="timestamp('UTC')") for t in window)
    return table.filter((table[column] > start) & (table[column] <= end))


def data_end(store) -> pd.Timestamp | None:
    """The latest date among the survey answers, journey events and conversations (None without any)."""
    ends = [store.table(t)[c].max().execute() for t, c in (("feedback", "timestamp"), ("events", "timestamp"),
                                                           ("conversations", "started_at")) if store.count(t)]
    ends = [pd.Timestamp(e) for e in ends if e is not None and not pd.isna(e)]
    return max(ends) if ends else None


def _survey_measures(store, window: Window | None = None) -> pd.DataFrame | None:
    if not store.count("feedback"):
        return None
    fb = _dated(store.table("feedback"), "timestamp", window)
    return fb.group_by("customer_id").aggregate(csat=fb.csat.mean(), nps=fb.nps.mean()).to_pandas()


def _journey_measures(store, window: Window | None = None) -> pd.DataFrame | None:
    if not store.count("events"):
        return None
    events, tps = _dated(store.table("events"), "timestamp", window), store.table("touchpoints")
    goal = tps.filter(tps.is_goal).select(goal_tp=tps.touchpoint_id)
    ev = events.left_join(goal, events.touchpoint_id == goal.goal_tp)
    journey = ev.journey_id.fill_null(ev.customer_id)
    window = ibis.window(group_by=[ev.customer_id, journey], order_by=ev.timestamp)
    ev = ev.mutate(journey=journey, reached=ev.goal_tp.notnull().cast("int64"),
                   switched=(ev.channel != ev.channel.lag().over(window)).cast("int64"))
    per_journey = ev.group_by(["customer_id", "journey"]).aggregate(reached=ev.reached.max(), switches=ev.switched.sum(),
                                                                   steps=ev.count())
    per = per_journey.group_by("customer_id").aggregate(
        goal_conversion=per_journey.reached.mean(),
        channel_switch_share=per_journey.switches.sum() / (per_journey.steps.sum() - per_journey.count()).nullif(0))
    frame = per.to_pandas()
    if window is None and store.has_result(JOURNEY_CUSTOMER_FRICTION):
        fr = store.result(JOURNEY_CUSTOMER_FRICTION)
        frame = frame.merge(fr.select("customer_id", friction_met=fr.mean_friction).to_pandas(), on="customer_id", how="left")
    return frame


def _conversation_measures(store, window: Window | None = None) -> pd.DataFrame | None:
    if not store.count("conversations"):
        return None
    conv = _dated(store.table("conversations"), "started_at", window)
    resolved = (conv.outcome == "resolved").cast("int64")
    handed = conv.outcome.isin(["transferred", "escalated"]).cast("int64")
    known = conv.filter(conv.outcome.notnull())
    return known.group_by("customer_id").aggregate(first_contact_resolution=resolved.mean(),
                                                   handoff_share=handed.mean()).to_pandas()


def _empathy_measures(store, window: Window | None = None) -> pd.DataFrame | None:
    if not store.has_result(EMPATHY_CUSTOMER):
        return None
    conv = _dated(store.table("conversations"), "started_at", window)
    if window is None:
        frame = store.result(EMPATHY_CUSTOMER).select("customer_id", "empathy_received").to_pandas()
    elif store.has_result(EMPATHY_TURNS):  # the period's replies: the same mean as empathy_customer's
        turns = store.result(EMPATHY_TURNS).select("conversation_id", "empathy")
        j = turns.inner_join(conv.select("conversation_id", "customer_id"), "conversation_id")
        frame = j.group_by("customer_id").aggregate(empathy_received=j.empathy.mean()).to_pandas()
    else:
        return None
    if store.has_result(EMPATHY_CONVERSATIONS):
        ec = store.result(EMPATHY_CONVERSATIONS)
        j = ec.inner_join(conv.select("conversation_id", "customer_id"), "conversation_id")
        gaps = j.group_by("customer_id").aggregate(empathy_gap_rate=j.empathy_gaps.sum() / j.agent_turns.sum().nullif(0))
        frame = frame.merge(gaps.to_pandas(), on="customer_id", how="left")
    return frame


def _team_measures(store) -> pd.DataFrame | None:
    """The employee who served each customer most (by replies in conversations), their team and its engagement."""
    served = served_customers(store).dropna(subset=["team_id"])
    if served.empty:
        return None
    main = (served.groupby(["customer_id", "agent_id", "team_id"]).size().rename("n").reset_index()
            .sort_values(["customer_id", "n", "agent_id"], ascending=[True, False, True]).drop_duplicates("customer_id"))
    team = main[["customer_id", "team_id", "agent_id"]].rename(columns={"agent_id": "employee_id"})
    engagement = team_engagement(store)
    if len(engagement):
        team = team.merge(engagement[["team_id", "engagement"]].rename(columns={"engagement": "serving_team_engagement"}),
                          on="team_id", how="left")
    return team


def team_engagement(store) -> pd.DataFrame:
    """Per team: mean engagement, eNPS (−100…100) and the number of employees who answered."""
    if not store.has_table("employee_surveys") or not store.count("employee_surveys"):
        return pd.DataFrame(columns=["team_id", "engagement", "enps", "employees"])
    es = store.table("employee_surveys")
    promoter = (es.enps >= 9).cast("float64")
    detractor = (es.enps <= 6).cast("float64")
    return es.group_by("team_id").aggregate(
        engagement=es.engagement.mean(), enps=100.0 * (promoter.mean() - detractor.mean()),
        employees=es.employee_id.nunique()).to_pandas()


def employee_experience(store) -> pd.DataFrame:
    """Per employee who answered the survey: team, site (the team's region), mean engagement and mean eNPS answer."""
    if not store.has_table("employee_surveys") or not store.count("employee_surveys"):
        return pd.DataFrame(columns=["employee_id", "team_id", "site", "engagement", "enps"])
    es = store.table("employee_surveys")
    es = es.filter(es.employee_id.notnull())
    staff = es.group_by(["employee_id", "team_id"]).aggregate(engagement=es.engagement.mean(), enps=es.enps.mean()).to_pandas()
    staff = staff.merge(employee_sites(store)[["employee_id", "site"]], on="employee_id", how="left")
    staff["site"] = staff["site"].fillna("all")
    return staff.drop_duplicates("employee_id")


def site_engagement(store, *, leave_out: set[str] = frozenset()) -> pd.DataFrame:
    """Per site (where employees work, :func:`employee_sites`): mean engagement, eNPS (−100…100) and the employees
    who answered; the employees of the teams in ``leave_out`` (too small to show) are not counted."""
    if not store.has_table("employee_surveys") or not store.count("employee_surveys"):
        return pd.DataFrame(columns=["site", "engagement", "enps", "employees"])
    es = store.table("employee_surveys").select("employee_id", "team_id", "engagement", "enps").to_pandas()
    es = es[~es["team_id"].isin(leave_out)].merge(employee_sites(store)[["employee_id", "site"]], on="employee_id")
    g = es.assign(promoter=(es["enps"] >= 9).astype(float), detractor=(es["enps"] <= 6).astype(float)).groupby("site")
    out = g.agg(engagement=("engagement", "mean"), promoter=("promoter", "mean"), detractor=("detractor", "mean"),
                employees=("employee_id", "nunique"))
    out["enps"] = 100.0 * (out.pop("promoter") - out.pop("detractor"))
    return out.reset_index()[["site", "engagement", "enps", "employees"]]


def company_measures(store) -> dict[str, float]:
    """The company-wide measures the store supports (a measure without data is left out)."""
    out: dict[str, float] = {}
    out.update(_touchpoint_coverage(store))
    if store.has_result(ACT_CASES):
        cases = store.read_result(ACT_CASES)
        out.update(sla_attainment(cases))
        out.update(resolution_hours(cases))
    if store.has_result(LEARN_BENCHMARK_COMPARISON):
        comp = company_rows(store.read_result(LEARN_BENCHMARK_COMPARISON))  # the own brands together
        rows = comp[(comp["lang"] == "all") & (comp["metric"] == "rating") & (comp["competitor"] == "competitors' average")]
        if len(rows.dropna(subset=["index"])):
            out["competitor_rating_index"] = float(rows["index"].mean())
    if store.has_table("employee_surveys") and store.count("employee_surveys"):
        es = store.table("employee_surveys")
        out["employee_enps"] = float((100.0 * ((es.enps >= 9).cast("float64").mean() - (es.enps <= 6).cast("float64").mean())).execute())
    return out


def _touchpoint_coverage(store) -> dict[str, float]:
    if not store.count("events") or not store.count("feedback"):
        return {}
    events, fb = store.table("events"), store.table("feedback")
    met = events.group_by("touchpoint_id").aggregate(events=events.count()).to_pandas()
    heard = fb.group_by("touchpoint_id").aggregate(answers=fb.count(), csat=fb.csat.mean()).to_pandas()
    tp = met.merge(heard, on="touchpoint_id", how="left").fillna({"answers": 0})
    covered = tp["answers"] >= MIN_ANSWERS
    rated = tp[covered & tp["csat"].notna()]
    out = {"touchpoint_coverage": float(tp.loc[covered, "events"].sum() / tp["events"].sum())}
    if len(rated):
        out["neglected_touchpoint_share"] = float((rated["csat"] < NEGLECTED_CSAT).mean())
    return out


def sla_attainment(cases: pd.DataFrame, *, now: pd.Timestamp | None = None) -> dict[str, float]:
    """Share of counted cases resolved within their resolution time: resolved (or closed) by ``resolution_due`` is
    met, resolved later or still active past due is missed; still active within due, or done without a recorded
    time (a store from before ``resolved_at`` was kept), is not counted."""
    if cases.empty:
        return {}
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    due = pd.to_datetime(cases["resolution_due"], utc=True)
    done_at = pd.Series(pd.NaT, index=cases.index, dtype="datetime64[ns, UTC]")
    for column in ("closed_at", "resolved_at"):  # the resolution time wins over the closing time
        if column in cases:
            done_at = pd.to_datetime(cases[column], utc=True).fillna(done_at)
    done = cases["status"].isin(["resolved", "closed"]) & done_at.notna()
    met = done & (due.isna() | (done_at <= due))
    missed = (done & ~met) | (~cases["status"].isin(["resolved", "closed"]) & (due < now))
    counted = int(met.sum() + missed.sum())
    return {"sla_attainment": float(met.sum() / counted)} if counted else {}


def resolution_hours(cases: pd.DataFrame) -> dict[str, float]:
    """Median hours from a case's opening to its resolution (or, without one, its closing), over the cases done."""
    if cases.empty or "resolved_at" not in cases:
        return {}
    done_at = pd.to_datetime(cases["resolved_at"], utc=True)
    if "closed_at" in cases:
        done_at = done_at.fillna(pd.to_datetime(cases["closed_at"], utc=True))
    hours = (done_at - pd.to_datetime(cases["opened_at"], utc=True)).dt.total_seconds().dropna() / 3600.0
    return {"case_resolution_hours": float(hours.median())} if len(hours) else {}


def maturity_evidence(store, links: pd.DataFrame | None) -> dict[str, float]:
    """The data evidence of the maturity stage (each 0–1; a measure without data is left out)."""
    from empathica.schema.results import LEARN_EFFECTS

    out: dict[str, float] = {}
    if store.has_result(ACT_CASES):
        cases = store.read_result(ACT_CASES)
        if len(cases):
            out["closed_loop_rate"] = float((cases["status"] == "closed").mean())
    if store.has_result(LEARN_EFFECTS) and store.count("actions"):
        effects = store.read_result(LEARN_EFFECTS)
        actions = store.table("actions").select("action_id", "expected_metric").to_pandas()
        actions["metric"] = actions["expected_metric"].fillna("churn")
        own = effects.merge(actions[["action_id", "metric"]], on=["action_id", "metric"], how="inner")
        if len(actions):
            clear = own[(own["ci_low"] > 0) | (own["ci_high"] < 0)]["action_id"].nunique()
            out["measured_effect_share"] = float(clear / len(actions))
    if store.has_result(EMPATHY_CUSTOMER):
        level = store.result(EMPATHY_CUSTOMER).empathy_received.mean().execute()
        if level is not None and not pd.isna(level):
            out["empathy_level"] = float(level)
    if links is not None and len(links):
        # the employees' link (a site row is the same link between sites, not a further piece of evidence)
        engaged = links[(links["measure"] == "engagement") & (links.get("level", "employee") != "site")]
        if len(engaged):
            out["ex_cx_link"] = float((engaged["ci_low"] > 0).mean())
    return out


def alignment_measures(store) -> dict[str, pd.DataFrame]:
    """What the values alignment is measured on, per outcome: the CSAT answers at each touchpoint, and the mean NPS
    answer and retention of each customer at every touchpoint they were at (their events)."""
    fb, cu, ev = store.table("feedback"), store.table("customers"), store.table("events")
    csat = fb.select("customer_id", "touchpoint_id", "csat").to_pandas()
    nps = fb.filter(fb.nps.notnull()).group_by("customer_id").aggregate(nps=fb.nps.mean())
    visits = ev.select("customer_id", "touchpoint_id").distinct()
    people = cu.select("customer_id", retention=1 - cu.churned_at.notnull().cast("int64")).left_join(nps, "customer_id")
    visited = visits.inner_join(people.select("customer_id", "retention", "nps"), "customer_id").to_pandas()
    return {"csat": csat, "nps": visited[["customer_id", "touchpoint_id", "nps"]],
            "retention": visited[["customer_id", "touchpoint_id", "retention"]]}

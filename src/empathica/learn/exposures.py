"""Exposures and outcomes for measuring an action: one row per moment a customer met what was changed
(or could have), with the outcome that followed — all Ibis expressions over the store.

An exposure is a support contact (a conversation: its agent, the agent's team, its touchpoint) or, for
actions on a touchpoint without conversations, a journey's first visit to a touchpoint. Each carries the
customer's segment, region and language and their prior contacts (0, 1, 2+) for matching, and the
outcome the metric asks for, measured after the exposure:

| metric | outcome of an exposure at time t | horizon |
|---|---|---|
| churn | the customer is lost after it: recorded as churned and starting no journey after t | 180 days |
| revenue | the customer's net spend in (t, t + 180 d] | 180 days |
| nps | the customer's first NPS answer in (t, t + 180 d] | 180 days |
| csat | the customer's first CSAT answer in (t, t + 30 d] | 30 days |
| sentiment | mean sentiment score of the customer's survey comments in (t, t + 90 d] (text step) | 90 days |
| empathy | the agent empathy of the conversation (empathy step) | 0 |
| friction | the customer contacts support again within 30 days | 30 days |

Exposures later than the data's end minus the horizon are left out: their outcome is not known yet.
"""

from __future__ import annotations

import ibis
import pandas as pd

from empathica.errors import NotEnoughDataError

#: Days after an exposure over which each metric's outcome is measured.
HORIZON_DAYS = {"churn": 180, "revenue": 180, "nps": 180, "csat": 30, "sentiment": 90, "empathy": 0, "friction": 30}
METRICS = tuple(HORIZON_DAYS)
MATCH_COLUMNS = ("segment", "region", "language", "prior_contacts")


def _contacts(store) -> ibis.Table:
    cv = store.table("conversations")
    tu = store.table("turns")
    by_turns = tu.filter(tu.speaker == "agent").group_by("conversation_id").aggregate(turn_agent=tu.agent_id.arbitrary())
    rows = cv.left_join(by_turns, cv.conversation_id == by_turns.conversation_id).select(
        unit_id=cv.conversation_id, customer_id=cv.customer_id, at=cv.started_at, touchpoint_id=cv.touchpoint_id,
        agent_id=cv.attributes.cast("json")["agent_id"].unwrap_as("string").fill_null(by_turns.turn_agent))
    emp = store.table("employees").select("employee_id", "team_id")
    rows = rows.view()  # a new relation, so the next join starts its own chain
    return rows.left_join(emp, rows.agent_id == emp.employee_id).select(*[rows[c] for c in rows.columns], team_id=emp.team_id)


def _visits(store) -> ibis.Table:
    ev = store.table("events")
    first = ev.group_by(["customer_id", "journey_id", "touchpoint_id"]).aggregate(at=ev.timestamp.min())
    tp = store.table("touchpoints").select("touchpoint_id", "owner_team_id")
    first = first.left_join(tp, first.touchpoint_id == tp.touchpoint_id)
    return first.select(unit_id=first.journey_id.fill_null(first.customer_id) + ":" + first.touchpoint_id,
                        customer_id=first.customer_id, at=first.at, touchpoint_id=first.touchpoint_id,
                        agent_id=ibis.null("string"), team_id=first.owner_team_id)


def exposures(store, *, unit: str) -> ibis.Table:
    """Exposure rows (unit_id, customer_id, at, touchpoint_id, agent_id, team_id, segment, region,
    language, prior_contacts); ``unit`` is 'contact' (conversations) or 'visit' (events)."""
    rows = _contacts(store) if unit == "contact" else _visits(store)
    cu = store.table("customers").select("customer_id", "segment", "region", "language")
    rows = rows.left_join(cu, "customer_id")
    rows = rows.select(*[c for c in rows.columns if c not in ("segment", "region", "language", "customer_id_right")],
                       segment=rows.segment.fill_null("(none)"), region=rows.region.fill_null("(none)"),
                       language=rows.language.fill_null("(none)"))
    prior = ibis.row_number().over(group_by=rows.customer_id, order_by=rows.at)
    return rows.mutate(prior_contacts=ibis.least(prior, 2).cast("string").replace("2", "2+"))


def _first_answer(x: ibis.Table, fb: ibis.Table, column: str, days: int) -> ibis.Table:
    fb = fb.filter(fb[column].notnull()).select(f_customer=fb.customer_id, f_at=fb.timestamp, f_value=fb[column])
    j = x.join(fb, (x.customer_id == fb.f_customer) & (fb.f_at > x.at) & (fb.f_at <= x.at + ibis.interval(days=days)))
    return j.group_by("unit_id").aggregate(y=j.f_value.argmin(j.f_at).cast("float64"))


def outcome_after(store, x: ibis.Table, metric: str) -> ibis.Table:
    """(unit_id, y) for the exposures ``x``."""
    days = HORIZON_DAYS[metric]
    if metric == "churn":
        ev = store.table("events")
        starts = ev.group_by(["customer_id", "journey_id"]).aggregate(start=ev.timestamp.min())
        last = starts.group_by("customer_id").aggregate(last_start=starts.start.max())
        cu = store.table("customers").select(c_id="customer_id", churned_at="churned_at")
        j = x.left_join(last, x.customer_id == last.customer_id).left_join(cu, x.customer_id == cu.c_id)
        lost = j.churned_at.notnull() & (j.last_start.isnull() | (j.last_start <= j.at))
        return j.select("unit_id", y=lost.cast("float64"))
    if metric == "revenue":
        tx = store.table("transactions").select(t_customer="customer_id", t_at="timestamp", amount="amount")
        j = x.left_join(tx, (x.customer_id == tx.t_customer) & (tx.t_at > x.at) & (tx.t_at <= x.at + ibis.interval(days=days)))
        return j.group_by("unit_id").aggregate(y=j.amount.sum().fill_null(0.0).cast("float64"))
    if metric in ("nps", "csat"):
        return _first_answer(x, store.table("feedback"), metric, days)
    if metric == "friction":
        cv = store.table("conversations").select(c_customer="customer_id", c_at="started_at")
        j = x.left_join(cv, (x.customer_id == cv.c_customer) & (cv.c_at > x.at) & (cv.c_at <= x.at + ibis.interval(days=days)))
        return j.group_by("unit_id").aggregate(y=(j.c_at.count() > 0).cast("float64"))
    if metric == "empathy":
        if not store.has_result("empathy_conversations"):
            raise NotEnoughDataError("the empathy outcome needs the empathy step's scores; run `empathica run` first.")
        ec = store.table("result_empathy_conversations")
        return ec.select(unit_id=ec.conversation_id, y=ec.agent_empathy.cast("float64")).filter(ec.agent_empathy.notnull())
    if metric == "sentiment":
        if not store.has_result("text_scores"):
            raise NotEnoughDataError("the sentiment outcome needs the text step's scores; run `empathica run` first.")
        sc = store.table("result_text_scores")
        sc = sc.filter(sc.source_table == "feedback")
        fb = store.table("feedback")
        s = sc.join(fb, sc.source_id == fb.response_id).select(f_customer=fb.customer_id, f_at=fb.timestamp, score=sc.sentiment_score)
        j = x.join(s, (x.customer_id == s.f_customer) & (s.f_at > x.at) & (s.f_at <= x.at + ibis.interval(days=days)))
        return j.group_by("unit_id").aggregate(y=j.score.mean().cast("float64"))
    raise ValueError(f"unknown metric {metric!r}; the metrics are {', '.join(METRICS)}")


def exposure_outcomes(store, metric: str, *, unit: str) -> pd.DataFrame:
    """Exposures with their outcome ``y`` for ``metric`` (those whose outcome is known), as a DataFrame."""
    if metric not in HORIZON_DAYS:
        raise ValueError(f"unknown metric {metric!r}; the metrics are {', '.join(METRICS)}")
    x = exposures(store, unit=unit)
    ev = store.table("events")
    end = ev.timestamp.max().execute()
    if end is None or pd.isna(end):
        raise NotEnoughDataError("the events table is empty; effects need the customers' journeys over time.")
    x = x.filter(x.at.notnull() & (x.at <= pd.Timestamp(end) - pd.Timedelta(days=HORIZON_DAYS[metric])))
    y = outcome_after(store, x, metric)
    j = x.join(y, x.unit_id == y.unit_id).select(x, y=y.y)
    frame = j.filter(j.y.notnull()).to_pandas()
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame

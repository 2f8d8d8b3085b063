"""The "drivers" step: what drives NPS, from a per-customer driver table built with Ibis.

Drivers per customer (each only when its source holds data):
- ``csat_<touchpoint>``: mean CSAT the customer gave each touchpoint (feedback pivoted by touchpoint);
- ``friction_exposure``, ``friction_met``: traversals of the top friction pathways and the mean friction
  met (result ``journey_customer_friction`` of the journeys step);
- ``empathy_received``: mean empathy of the agent replies the customer received (result
  ``empathy_customer`` of the empathy step);
- ``team_engagement``: mean engagement of the teams whose agents served the customer (turns →
  employees → employee_surveys);
- ``wait_first_reply_minutes``: mean minutes the customer waited for the first agent reply in a
  conversation (turn timestamps);
- ``pain_<aspect>``: the customer's negative survey answers (not those given with the NPS answer
  itself) and conversations naming each of the most frequent pain points (result ``text_scores``, linked to the customer through feedback and
  conversations; 0 for a customer who never complained about it);
- ``attr_tenure_months`` and ``attr_<field>=<level>``: customer attributes (customers table): tenure in
  months at the snapshot (the latest feedback answer), and one 0/1 indicator per level of ``segment``,
  ``region`` and ``language`` (the most common level is the reference and gets no column; levels held by
  fewer than 5 % of the customers are pooled into ``other``). Indicators that other attributes already
  determine (the demo world ties language to region) are kept in ``drivers_customer`` but left out of
  the model, named in the report. Attributes are who the customer is, not a lever: they share the
  explained variance (so touchpoints are not credited with a segment's mood) but stay out of the
  "where to act first" matrix.
The outcome is the customer's mean NPS. Teams are also compared directly: engagement against the NPS
of the customers each team served. For the decide step, the CSAT and pain-point drivers are also stored
for every customer, NPS respondent or not (result ``drivers_everyone``), and each rating and complaint behind them
with its time (result ``drivers_lever_events``).
"""

from __future__ import annotations

import json

import ibis
import numpy as np
import pandas as pd

from empathica.errors import NotEnoughDataError
from empathica.flywheel.registry import RunContext, step
from empathica.schema.results import DRIVERS_CUSTOMER, DRIVERS_EVERYONE, DRIVERS_IMPORTANCE, DRIVERS_LEVER_EVENTS, DRIVERS_MATRIX, DRIVERS_TEAMS, EMPATHY_CUSTOMER, JOURNEY_CUSTOMER_FRICTION, TEXT_SCORES
from empathica.flywheel.steps.text import aspect_of_each_mention, text_context  # how texts link to units and aspects
from empathica.store.names import display_name
from empathica.report import Finding, FindingsTable, Metric, Paragraph, Section, TableBlock
from empathica.report.figures import draw_figure
from empathica.store.names import Names
from empathica.understand.drivers import DriverAnalysis, plot_driver_matrix, plot_importance

#: Touchpoints rated by fewer customers than this are not used as drivers.
MIN_RATERS = 30
#: Pain points used as drivers (the most mentioned first).
TOP_PAIN_POINTS = 5
#: Customer attributes coded as indicator drivers, in this order (segment falls back to attributes JSON).
ATTRIBUTE_FIELDS = ("segment", "region", "language")
#: Attribute levels held by fewer than this share of the customers are pooled into ``other``.
MIN_LEVEL_SHARE = 0.05
#: Source of every customer-attribute driver in ``drivers_importance``.
ATTRIBUTE_SOURCE = "customer attribute"
#: Days per month for tenure (365.25 / 12).
DAYS_PER_MONTH = 30.4375


def customer_driver_table(store) -> tuple[pd.DataFrame, dict[str, str]]:
    """One row per customer with an NPS answer: ``customer_id``, ``nps`` and the driver columns;
    with a dictionary saying where each driver comes from."""
    feedback = store.table("feedback")
    rated = feedback.filter(feedback.customer_id.notnull())
    answered = rated.filter(rated.nps.notnull())
    nps = answered.group_by("customer_id").aggregate(
        nps=answered.nps.cast("float64").mean(), nps_answers=answered.count()
    )
    if int(nps.count().execute()) == 0:
        raise NotEnoughDataError("no feedback row has both a customer_id and an NPS answer; the drivers of NPS need them.")
    sources: dict[str, str] = {}
    table = nps

    wide, usable = _csat_by_touchpoint(rated)
    if usable:
        table = table.left_join(wide, "customer_id").drop("customer_id_right")
        sources.update({f"csat_{tp}": f"feedback: mean CSAT at {tp}" for tp in usable})

    if store.has_result(JOURNEY_CUSTOMER_FRICTION):
        friction = store.result(JOURNEY_CUSTOMER_FRICTION)
        cols = {"top_pathway_traversals": "friction_exposure", "mean_friction": "friction_met"}
        present = {k: v for k, v in cols.items() if k in friction.columns}
        if "customer_id" in friction.columns and present:
            f = friction.select(customer_id=friction.customer_id.cast("string"),
                                **{v: friction[k].cast("float64") for k, v in present.items()})
            table = table.left_join(f, "customer_id").drop("customer_id_right")
            # a customer who never traversed a scored pathway met no friction: 0, not missing
            table = table.mutate(**{v: table[v].fill_null(0.0) for v in present.values()})
            sources.update({v: f"journeys: {k} (result journey_customer_friction)" for k, v in present.items()})

    if store.has_result(EMPATHY_CUSTOMER):
        emp = store.result(EMPATHY_CUSTOMER)
        numeric = [c for c, t in emp.schema().items() if t.is_numeric() and c != "customer_id"]
        prefer = [c for c in numeric if "empathy" in c and "n_" not in c] or numeric
        if "customer_id" in emp.columns and prefer:
            e = emp.select(customer_id=emp.customer_id.cast("string"), empathy_received=emp[prefer[0]].cast("float64"))
            table = table.left_join(e, "customer_id").drop("customer_id_right")
            sources["empathy_received"] = f"empathy: {prefer[0]} (result empathy_customer)"

    served = _customer_teams(store)
    if served is not None:
        surveys = store.table("employee_surveys")
        answered = surveys.filter(surveys.engagement.notnull())
        engagement = answered.group_by("team_id").aggregate(engagement=answered.engagement.mean())
        joined = served.inner_join(engagement, "team_id")
        per_customer = joined.group_by("customer_id").aggregate(team_engagement=joined.engagement.mean())
        if int(per_customer.count().execute()) >= MIN_RATERS:
            table = table.left_join(per_customer, "customer_id").drop("customer_id_right")
            sources["team_engagement"] = "employee_surveys: mean engagement of the teams that served the customer"

    waits = _first_reply_waits(store)
    if waits is not None:
        table = table.left_join(waits, "customer_id").drop("customer_id_right")
        sources["wait_first_reply_minutes"] = "turns: mean minutes from the customer's first turn to the first agent reply"

    if store.has_result(TEXT_SCORES):
        pains = _pain_points(store)
        if pains is not None:
            names = [c for c in pains.columns if c != "customer_id"]
            table = table.left_join(pains, "customer_id").drop("customer_id_right")
            table = table.mutate(**{c: table[c].fill_null(0.0) for c in names})
            sources.update({c: f"text: negative survey answers and conversations naming {c[5:]} (result text_scores)"
                            for c in names})

    attrs = customer_attributes(store, nps.select("customer_id"))
    if attrs is not None:
        attr_table, attr_names = attrs
        table = table.left_join(attr_table, "customer_id").drop("customer_id_right")
        sources.update({c: ATTRIBUTE_SOURCE for c in attr_names})

    frame = table.order_by("customer_id").to_pandas()
    return frame, sources


def _csat_by_touchpoint(rated):
    """(customer_id, csat_<touchpoint> …) of every customer who rated a touchpoint that ``MIN_RATERS``+
    customers rated, and those touchpoints (none: an empty list and no table)."""
    csat = rated.filter(rated.csat.notnull() & rated.touchpoint_id.notnull())
    per_tp = csat.group_by(["customer_id", "touchpoint_id"]).aggregate(csat=csat.csat.cast("float64").mean())
    raters = per_tp.group_by("touchpoint_id").aggregate(n=per_tp.count())
    usable = raters.filter(raters.n >= MIN_RATERS).order_by("touchpoint_id").touchpoint_id.to_pandas().tolist()
    if not usable:
        return None, []
    return per_tp.filter(per_tp.touchpoint_id.isin(usable)).mutate(
        touchpoint_id=ibis.literal("csat_") + per_tp.touchpoint_id
    ).pivot_wider(names_from="touchpoint_id", values_from="csat"), usable


def everyone_levers(store, driver_cols: list[str]) -> pd.DataFrame:
    """The CSAT and pain-point drivers of ``driver_cols`` for EVERY customer, not only NPS respondents.

    Most customers never answer NPS, yet they complain in conversations and rate touchpoints; the decide
    step values a fix on the whole base (docs/decide.md), so it needs their levers too. CSAT stays
    missing for a customer who never rated the touchpoint; a pain point is 0 for one who never complained
    of it (as in ``drivers_customer``), counted the same way (``_pain_points``).
    """
    customers = store.table("customers")
    table = customers.select(customer_id=customers.customer_id.cast("string")).distinct()
    feedback = store.table("feedback")
    wide, usable = _csat_by_touchpoint(feedback.filter(feedback.customer_id.notnull()))
    if usable:
        table = table.left_join(wide, "customer_id").drop("customer_id_right")
    pains = _pain_points(store) if store.has_result(TEXT_SCORES) else None
    pain_cols = [c for c in pains.columns if c != "customer_id"] if pains is not None else []
    if pain_cols:
        table = table.left_join(pains, "customer_id").drop("customer_id_right")
        table = table.mutate(**{c: table[c].fill_null(0.0) for c in pain_cols})
    keep = ["customer_id", *[c for c in driver_cols if c in table.columns]]
    return table.select(keep).order_by("customer_id").to_pandas()


def customer_attributes(store, customers) -> tuple[object, list[str]] | None:
    """Customer-attribute drivers for the customers in ``customers`` (an Ibis table of ``customer_id``).

    Returns an Ibis table (``customer_id``, ``attr_tenure_months``, ``attr_<field>=<level>`` …) and the
    driver names, or None when the customers table is empty. Tenure runs from ``first_seen`` (or, when
    that is empty, the customer's first feedback answer) to the snapshot, the latest feedback answer in
    the store, in months of 30.44 days, never below 0. Each of ``ATTRIBUTE_FIELDS`` is coded over these
    customers: a missing value is the level ``(missing)``, levels below ``MIN_LEVEL_SHARE`` are pooled
    into ``other``, the most common level (ties: alphabetical) is the reference, and every other level
    becomes a 0/1 column ``attr_<field>=<level>``. A field with one level left gives no column.
    """
    if not store.count("customers"):
        return None
    feedback = store.table("feedback")
    snapshot = feedback.timestamp.max()
    firsts = feedback.filter(feedback.customer_id.notnull()).group_by("customer_id").aggregate(
        first_answer=feedback.timestamp.min())
    c = store.table("customers")
    segment = c.segment
    if "attributes" in c.columns:  # a segment given only inside the attributes JSON
        segment = ibis.coalesce(c.segment, c.attributes.cast("json")["segment"].unwrap_as("string"))
    info = c.select(customer_id=c.customer_id.cast("string"), first_seen=c.first_seen,
                    segment=segment, region=c.region, language=c.language)
    base = customers.left_join(info, "customer_id").drop("customer_id_right")
    base = base.left_join(firsts, "customer_id").drop("customer_id_right")
    start = ibis.coalesce(base.first_seen, base.first_answer)
    months = (snapshot.epoch_seconds() - start.epoch_seconds()).cast("float64") / (86_400.0 * DAYS_PER_MONTH)
    base = base.mutate(
        attr_tenure_months=ibis.greatest(months, 0.0),
        **{f: base[f].cast("string").strip().nullif("").fill_null("(missing)") for f in ATTRIBUTE_FIELDS},
    )
    total = int(base.count().execute())
    columns = {"attr_tenure_months": base.attr_tenure_months}
    names = ["attr_tenure_months"] if int(base.attr_tenure_months.count().execute()) else []
    for f in ATTRIBUTE_FIELDS:
        counts = base.group_by(f).aggregate(n=base.count()).to_pandas()
        rare = counts.loc[counts["n"] < MIN_LEVEL_SHARE * total, f].tolist()
        coded = base[f].isin(rare).ifelse("other", base[f]) if rare else base[f]
        pooled = (counts.assign(level=counts[f].where(~counts[f].isin(rare), "other"))
                  .groupby("level", as_index=False)["n"].sum()
                  .sort_values(["n", "level"], ascending=[False, True]))
        for level in pooled["level"].iloc[1:]:  # the first is the reference
            name = f"attr_{f}={level}"
            columns[name] = (coded == level).cast("float64")
            names.append(name)
    if not names:
        return None
    return base.select("customer_id", **{n: columns[n] for n in names}), names


def _first_reply_waits(store):
    """Per customer: mean minutes waited for the first agent reply in their conversations (None when
    fewer than ``MIN_RATERS`` customers have a timed reply)."""
    if not (store.count("turns") and store.count("conversations")):
        return None
    turns = store.table("turns").filter(lambda t: t.timestamp.notnull())
    firsts = turns.group_by("conversation_id").aggregate(
        first_customer=turns.timestamp.min(where=turns.speaker == "customer"),
        first_agent=turns.timestamp.min(where=turns.speaker == "agent"),
    )
    timed = firsts.filter(firsts.first_agent >= firsts.first_customer).mutate(
        wait_minutes=firsts.first_agent.delta(firsts.first_customer, unit="second").cast("float64") / 60.0
    )
    conv = store.table("conversations")
    linked = timed.inner_join(conv.select("conversation_id", "customer_id"), "conversation_id")
    linked = linked.filter(linked.customer_id.notnull())
    per_customer = linked.group_by("customer_id").aggregate(wait_first_reply_minutes=linked.wait_minutes.mean())
    if int(per_customer.count().execute()) < MIN_RATERS:
        return None
    return per_customer


def _customer_teams(store):
    """Distinct (customer_id, team_id) pairs: the teams whose agents spoke with the customer."""
    if not all(store.count(name) for name in ("turns", "conversations", "employees", "employee_surveys")):
        return None
    turns, conv, emp = store.table("turns"), store.table("conversations"), store.table("employees")
    agent_turns = turns.filter(turns.agent_id.notnull()).select("conversation_id", "agent_id").distinct()
    linked = agent_turns.inner_join(conv.select("conversation_id", "customer_id"), "conversation_id")
    linked = linked.inner_join(emp.select(agent_id=emp.employee_id, team_id=emp.team_id), "agent_id")
    return linked.filter(linked.customer_id.notnull() & linked.team_id.notnull()).select("customer_id", "team_id").distinct()


def _pain_points(store):
    """Per customer: how many of their texts complain about each of the most complained-about aspects.

    ``result_text_scores`` (:data:`TEXT_SCORES`) holds one row per scored text (source_table, source_id, sentiment_score,
    aspects as a JSON list). A text is linked back to its customer through its source row: a survey
    comment through ``feedback.customer_id`` (comments given with an NPS answer are left out: they explain
    that very score, the outcome), a customer turn through its conversation's
    ``customer_id`` (reviews carry no customer; agent turns and values answers are not complaints).
    A mention is a pain point when the text leans negative (sentiment_score < 0, as in the text step's
    pain points) and counts once per unit — a survey answer or a whole conversation. The top
    ``TOP_PAIN_POINTS`` aspects become ``pain_<aspect>``; None when no linked text complains.
    """
    found = _complaints(store)
    if found is None:
        return None
    mentions, names = found
    return mentions.group_by("customer_id").aggregate(**{
        f"pain_{a}": (mentions.aspect == a).cast("float64").sum() for a in names
    })


def _complaints(store):
    """(complaints, aspects): one row per complaint — customer_id, unit (a survey answer or a whole conversation),
    aspect, at (its first negative text) — about the ``TOP_PAIN_POINTS`` most complained-about aspects, and those
    aspects (most complained about first); None when no linked text complains (``_pain_points`` says how they count)."""
    scores = store.result(TEXT_SCORES)
    if not {"source_table", "source_id", "sentiment_score", "aspects"} <= set(scores.columns):
        return None
    context = text_context(store, with_time=True)
    link = context.filter((context.speaker == "customer") & context.source_table.isin(("feedback", "turns"))
                          & context.customer_id.notnull())
    # the comment given with an NPS answer explains that very score: as a driver of NPS it would be the
    # outcome read twice, so only comments of the other surveys (CSAT, CES) count
    fb = store.table("feedback")
    nps_answers = fb.filter(fb.nps.notnull()).select(nps_id=fb.response_id.cast("string"))
    link = link.anti_join(nps_answers, (link.source_table == "feedback") & (link.source_id == nps_answers.nps_id))
    link = link.select(l_table=link.source_table, l_id=link.source_id, customer_id=link.customer_id, unit=link.unit, l_at=link.at)
    negative = scores.filter((scores.sentiment_score < 0) & scores.aspects.notnull())
    linked = negative.inner_join(link, (negative.source_table == link.l_table) & (negative.source_id == link.l_id))
    mentions = linked.select("customer_id", "unit", at=linked.l_at, aspect=aspect_of_each_mention(linked.aspects))
    mentions = mentions.filter(mentions.aspect.notnull() & (mentions.aspect != ""))
    mentions = mentions.group_by(["customer_id", "unit", "aspect"]).aggregate(at=mentions.at.min())
    top = mentions.group_by("aspect").aggregate(n=mentions.count()).order_by([ibis.desc("n"), "aspect"]).limit(TOP_PAIN_POINTS)
    names = [str(a) for a in top.aspect.to_pandas()]
    if not names:
        return None
    return mentions.filter(mentions.aspect.isin(names)), names


def lever_events(store, driver_cols: list[str]) -> pd.DataFrame:
    """Every CSAT rating and complaint behind the ``csat_*`` and ``pain_*`` columns of ``driver_cols`` in
    ``drivers_everyone``, with when it was given: (customer_id, lever, value, at); value is the rating, 1 for a
    complaint. The decide step counts a fix's customers per period from it (its trend is then exact)."""
    feedback = store.table("feedback")
    rated = feedback.filter(feedback.customer_id.notnull() & feedback.csat.notnull() & feedback.touchpoint_id.notnull())
    touchpoints = [c[5:] for c in driver_cols if c.startswith("csat_")]
    parts = [rated.filter(rated.touchpoint_id.isin(touchpoints)).select(
        customer_id=rated.customer_id.cast("string"), lever=ibis.literal("csat_") + rated.touchpoint_id,
        value=rated.csat.cast("float64"), at=rated.timestamp.cast("timestamp"))] if touchpoints else []
    found = _complaints(store) if store.has_result(TEXT_SCORES) else None
    aspects = [c[5:] for c in driver_cols if c.startswith("pain_")]
    if found is not None and aspects:
        m = found[0].filter(found[0].aspect.isin(aspects))
        parts.append(m.select(customer_id=m.customer_id.cast("string"), lever=ibis.literal("pain_") + m.aspect,
                              value=ibis.literal(1.0), at=m.at.cast("timestamp")))
    if not parts:
        return pd.DataFrame({"customer_id": pd.Series(dtype=str), "lever": pd.Series(dtype=str),
                             "value": pd.Series(dtype=float), "at": pd.Series(dtype="datetime64[us]")})
    return ibis.union(*parts).order_by(["customer_id", "lever", "at"]).to_pandas()


def team_comparison(store, customers: pd.DataFrame) -> pd.DataFrame | None:
    """Per team: engagement, customers served and their mean NPS against everyone else's."""
    served = _customer_teams(store)
    if served is None:
        return None
    surveys = store.table("employee_surveys")
    answered = surveys.filter(surveys.engagement.notnull())
    engagement = answered.group_by("team_id").aggregate(
        engagement=answered.engagement.mean(), survey_answers=answered.count())
    nps = ibis.memtable(customers[["customer_id", "nps"]])
    joined = served.inner_join(nps, "customer_id")
    per_team = joined.group_by("team_id").aggregate(customers_served=joined.count(), nps_served=joined.nps.mean())
    frame = per_team.inner_join(engagement, "team_id").order_by("engagement").to_pandas()
    if frame.empty:
        return None
    overall = float(customers["nps"].mean())
    frame["nps_gap"] = frame["nps_served"] - overall
    return frame[["team_id", "engagement", "survey_answers", "customers_served", "nps_served", "nps_gap"]]


#: Drivers with a name of their own in the report's catalogues (others: "driver.other" with the column name).
NAMED_DRIVERS = {"friction_exposure": "driver.friction_exposure", "friction_met": "driver.friction_met",
                 "empathy_received": "driver.empathy_received", "team_engagement": "driver.team_engagement",
                 "wait_first_reply_minutes": "driver.wait_first_reply_minutes"}
#: The driver matrix's quadrants (``DriverAnalysis.matrix``) as catalogue messages.
QUADRANTS = {"act first": "quadrant.act_first", "keep": "quadrant.keep", "monitor": "quadrant.monitor",
             "maintain": "quadrant.maintain"}


def driver_label(driver: str, names: Names) -> dict:
    """A driver as a message for the reader (``csat_delivery`` → "CSAT at Delivery"), never its column name."""
    if driver.startswith("csat_"):
        return {"id": "driver.csat", "values": {"touchpoint": names.touchpoint(driver[5:])}}
    if driver.startswith("pain_"):
        return {"id": "driver.pain", "values": {"aspect": display_name("aspect", driver[5:])}}
    if driver.startswith("attr_"):
        field, _, level = driver[5:].partition("=")
        if not level:  # a numeric attribute (tenure): its own name
            return {"id": "driver.numeric_attribute", "values": {"field": display_name("attribute", field)}}
        return {"id": "driver.attribute", "values": {"field": display_name("attribute", field), "level": level.replace("_", " ")}}
    if driver in NAMED_DRIVERS:
        return {"id": NAMED_DRIVERS[driver]}
    return {"id": "driver.other", "values": {"name": driver.replace("_", " ")}}


def _labelled(frame: pd.DataFrame, names: Names) -> pd.DataFrame:
    """``frame`` with each driver as a message (``message_id``, ``values``), for a table in the reader's language."""
    labels = [driver_label(d, names) for d in frame["driver"]]
    return frame.assign(message_id=[label["id"] for label in labels],
                        values=[json.dumps(label.get("values", {}), ensure_ascii=False) for label in labels])


def driver_headlines(importance: pd.DataFrame, matrix: pd.DataFrame, attr_used: pd.DataFrame, teams: pd.DataFrame | None,
                     names: Names, *, r2: float) -> list[Finding]:
    """The section's headlines, each from the first row of the stored table it speaks of."""
    top = importance.iloc[0]
    lines = [Finding("drivers.strongest", {"driver": driver_label(top["driver"], names), "share": float(top["share"]),
                                           "share_low": float(top["share_low"]), "share_high": float(top["share_high"]), "r2": r2},
                     source=DRIVERS_IMPORTANCE.name, row={"driver": top["driver"]})]
    first = matrix[matrix["quadrant"].str.startswith("act first")]
    if len(first):
        lead = first.iloc[0]
        lines.append(Finding("drivers.act_first", {"driver": driver_label(lead["driver"], names), "performance": float(lead["performance"]),
                                                   "act_order": int(lead["act_order"])},
                             source=DRIVERS_MATRIX.name, row={"driver": lead["driver"]}))
    elif len(matrix):  # nothing is both important and under-performing: say so, naming the table's first row as it is labelled
        lead = matrix.iloc[0]
        lines.append(Finding("drivers.no_act_first", {"driver": driver_label(lead["driver"], names),
                                                      "quadrant": {"id": QUADRANTS[lead["quadrant"].split(":")[0]]},
                                                      "performance": float(lead["performance"]), "act_order": int(lead["act_order"])},
                             source=DRIVERS_MATRIX.name, row={"driver": lead["driver"]}))
    if len(attr_used):
        lead = attr_used.iloc[0]
        lines.append(Finding("drivers.attributes", {"total": float(attr_used["share"].sum()), "driver": driver_label(lead["driver"], names),
                                                    "share": float(lead["share"])},
                             source=DRIVERS_IMPORTANCE.name, row={"driver": lead["driver"]}))
    if teams is not None and len(teams):
        low = teams.iloc[0]
        lines.append(Finding("drivers.low_team", {"team": names.team(low["team_id"]), "engagement": float(low["engagement"]),
                                                  "nps_gap": float(low["nps_gap"])},
                             source=DRIVERS_TEAMS.name, row={"team_id": low["team_id"]}))
    return lines


@step("drivers", title="Drivers of satisfaction", after=(), order=40,
      reads=("customers", "feedback", "conversations", "turns", "employees", "employee_surveys",
             TEXT_SCORES, EMPATHY_CUSTOMER, JOURNEY_CUSTOMER_FRICTION))
def drivers(ctx: RunContext) -> Section:
    store = ctx.store
    customers, sources = customer_driver_table(store)
    driver_cols = [c for c in customers.columns if c not in ("customer_id", "nps", "nps_answers")]
    if not driver_cols:
        raise NotEnoughDataError(
            f"no driver could be built: no touchpoint has CSAT answers from {MIN_RATERS}+ customers, and no friction, "
            "empathy, engagement or pain-point result is in the store."
        )
    analysis = DriverAnalysis(method="relative_weights", n_bootstrap=200, random_state=0).fit(
        customers[driver_cols], customers["nps"], outcome="NPS")
    # customer attributes explain NPS but are not levers: they stay out of "where to act first"; so do pain
    # points, whose "performance" (few complaints on average) says nothing (the decide step ranks them)
    matrix = analysis.matrix()
    matrix = matrix[~matrix["driver"].map(sources).eq(ATTRIBUTE_SOURCE) & ~matrix["driver"].str.startswith("pain_")
                    ].reset_index(drop=True)
    matrix["act_order"] = np.arange(1, len(matrix) + 1)
    importance = analysis.importance_.assign(source=lambda f: f["driver"].map(sources))
    store.write_result(DRIVERS_CUSTOMER, customers, step="drivers", description="Per-customer NPS and driver values.")
    store.write_result(DRIVERS_EVERYONE, everyone_levers(store, [c for c in driver_cols if c.startswith(("csat_", "pain_"))]),
                       step="drivers", description="CSAT and pain-point complaints of every customer (for the decide step).")
    store.write_result(DRIVERS_LEVER_EVENTS, lever_events(store, [c for c in driver_cols if c.startswith(("csat_", "pain_"))]),
                       step="drivers", description="When each CSAT rating and complaint was given (for the decide step's trend).")
    store.write_result(DRIVERS_IMPORTANCE, importance, step="drivers",
                       description="Relative weights of each driver of NPS with 95% bootstrap intervals.")
    store.write_result(DRIVERS_MATRIX, matrix, step="drivers", description="Driver matrix: importance against performance.")
    teams = team_comparison(store, customers)
    if teams is not None:
        store.write_result(DRIVERS_TEAMS, teams, step="drivers", description="Team engagement against the NPS of customers served.")

    top = importance.iloc[0]
    section = Section(key="drivers", title="Drivers of satisfaction")
    attr_used = importance[importance["source"] == ATTRIBUTE_SOURCE]
    section.summary.extend(driver_headlines(importance, matrix, attr_used, teams, Names.from_store(store), r2=analysis.r2_))
    names = Names.from_store(store)
    section.add(
        Metric(Finding("drivers.metric.customers"), Finding("value.int", {"v": len(customers)}), "result drivers_customer"),
        Metric(Finding("drivers.metric.r2"), Finding("value.num2", {"v": analysis.r2_}),
               Finding("drivers.metric.r2_interval", {"low": analysis.r2_interval_[0], "high": analysis.r2_interval_[1]})),
        draw_figure(lambda say: plot_driver_matrix(matrix, say=say, outcome="NPS", labels={
            d: say.value(driver_label(d, names)) for d in matrix["driver"]}), Finding("drivers.figure.matrix"),
            languages=ctx.settings.figure_languages, dpi=ctx.settings.report_figure_dpi),
        FindingsTable(_labelled(matrix, names).assign(quadrant_id=matrix["quadrant"].str.split(":").str[0].map(QUADRANTS)),
                      {"act_order": "int", "message_id": "finding", "share": "pct", "performance": "int", "quadrant_id": "message"},
                      "caption.driver_matrix", source=DRIVERS_MATRIX.table_name, headers={"message_id": "column.driver"}),
    )
    if teams is not None:
        section.add(FindingsTable(teams.assign(team=teams["team_id"].map(names.team)),
                                  {"team": "text", "engagement": "num2", "customers_served": "int", "nps_served": "num2",
                                   "nps_gap": "signed"}, "caption.driver_teams", source=DRIVERS_TEAMS.table_name))
    section.appendix.extend([
        Paragraph(Finding("drivers.method")),
        draw_figure(lambda say: plot_importance(analysis, say=say, labels={
            d: say.value(driver_label(d, names)) for d in analysis.importance_["driver"]}), Finding("drivers.figure.importance"),
            languages=ctx.settings.figure_languages, dpi=ctx.settings.report_figure_dpi),
        TableBlock(importance[["driver", "share", "share_low", "share_high", "correlation", "std_coefficient", "rows", "source"]]
                   .round(3), Finding("drivers.caption.importance"), source=DRIVERS_IMPORTANCE.table_name),
    ])
    if any(sources.get(c) == ATTRIBUTE_SOURCE for c in driver_cols):
        section.appendix.append(Paragraph(Finding("drivers.attributes_method", {"min_share": MIN_LEVEL_SHARE})))
    for driver, kind in analysis.dropped_kinds_.items():
        section.appendix.append(Paragraph(Finding(f"drivers.not_used.{kind}", {"driver": driver_label(driver, names)})))
    served = _customer_teams(store)
    section.data = {"analysis": analysis, "customers": customers, "sources": sources,
                    "top_driver": str(top["driver"]), "teams": teams,
                    "customer_teams": served.to_pandas() if served is not None else None}
    return section

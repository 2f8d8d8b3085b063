"""The "empathy" step: every agent turn scored, gaps found, agents and teams set against outcomes."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from empathica.errors import NotEnoughDataError, NothingReadError
from empathica.flywheel.registry import RunContext, step
from empathica.store.names import Names
from empathica.schema.results import (
    EMPATHY_AGENTS, EMPATHY_COACHING, EMPATHY_CONVERSATIONS, EMPATHY_CUSTOMER, EMPATHY_GAPS, EMPATHY_OUTCOMES,
    EMPATHY_QUARANTINE, EMPATHY_RELATIONSHIP_BY_AGENT, EMPATHY_RELATIONSHIP_BY_TEAM, EMPATHY_SCORECARD, EMPATHY_TEAMS,
    EMPATHY_TURNS, SERVICE_OUTCOMES, SERVICE_PATTERNS, TEXT_SCORES,
)
from empathica.report import Finding, Metric, Paragraph, Section, TableBlock
from empathica.report.figures import FigureWords, draw_figure



#: Turns analysed at once: conversations are split into this many-turn buckets so memory stays bounded.
TURNS_PER_BUCKET = 400_000


def _bucket_of(conversation_id, buckets: int):
    """Which of ``buckets`` buckets a conversation falls in (a stable hash of its id)."""
    return (conversation_id.cast("string").hash() % buckets + buckets) % buckets


def _turns_frame(store, bucket: int = 0, buckets: int = 1) -> pd.DataFrame:
    turns = store.table("turns")
    if buckets > 1:
        turns = turns.filter(_bucket_of(turns.conversation_id, buckets) == bucket)
    conv = store.table("conversations").select("conversation_id", "customer_id", "outcome", "started_at")
    joined = turns.left_join(conv, turns.conversation_id == conv.conversation_id).select(
        turns.turn_id, turns.conversation_id, turns.turn_index, turns.speaker, turns.agent_id, turns.text,
        timestamp=ibis.coalesce(turns.timestamp, conv.started_at))
    if store.has_result(TEXT_SCORES):
        scores = store.result(TEXT_SCORES)
        scores = scores.filter(scores.source_table == "turns").select(sid=scores.source_id, sentiment_score=scores.sentiment_score)
        joined = joined.left_join(scores, joined.turn_id == scores.sid).drop("sid")
    return joined.to_pandas()


def _template_keys(store, buckets: int) -> set[str]:
    """The templates across the whole store: normalised agent replies sent in many conversations by several
    agents, counted bucket by bucket (buckets hold disjoint conversations, so their counts add up)."""
    from empathica.understand.empathy.templates import template_keys, template_spread

    spreads = []
    for bucket in range(buckets):
        turns = store.table("turns")
        turns = turns.filter(turns.speaker == "agent")
        if buckets > 1:
            turns = turns.filter(_bucket_of(turns.conversation_id, buckets) == bucket)
        spreads.append(template_spread(turns.select("conversation_id", "agent_id", "text").to_pandas()))
    return template_keys(pd.concat(spreads, ignore_index=True))


def _e5_replies(store, limit: int) -> list[str]:
    """The German and Chinese agent replies whose mechanisms come from the e5 heads this run: the ``limit``
    most frequent distinct ones (ties by text), so the choice does not depend on buckets or order."""
    from empathica.understand.empathy.cues import guess_language

    if limit <= 0:
        return []
    turns = store.table("turns")
    agent = turns.filter(turns.speaker == "agent")
    ranked = agent.group_by("text").aggregate(n=agent.count()).order_by([ibis.desc("n"), "text"])
    # paged: in a mostly English store the first pages may hold fewer than ``limit`` German/Chinese replies
    chosen: list[str] = []
    page, offset = 4 * limit, 0
    while len(chosen) < limit:
        texts = ranked.limit(page, offset=offset).to_pandas()["text"]
        chosen += [t for t in texts if isinstance(t, str) and guess_language(t) != "en"]
        if len(texts) < page:
            break
        offset += page
    return chosen[:limit]


def _conversations_frame(store, bucket: int = 0, buckets: int = 1) -> pd.DataFrame:
    conv = store.table("conversations")
    if buckets > 1:
        conv = conv.filter(_bucket_of(conv.conversation_id, buckets) == bucket)
    return conv.to_pandas()


#: Columns of a scored agent turn that only the stored table and coaching need (long texts).
_TEXT_COLUMNS = ("text", "context", "emotional_reactions_evidence", "interpretations_evidence", "explorations_evidence",
                 "resolution_evidence")


def _analyze_in_buckets(ctx: RunContext, known: set | None):
    """Analyse the conversations bucket by bucket, storing each bucket's turns, conversations, gaps and
    quarantine as it goes. Returns the scored agent turns without their long texts (all), those that
    answer distress with their texts (for coaching), the conversation table, and counts."""
    from empathica.understand.empathy import EmpathyModel, analyze_conversations, validate_transcript
    from empathica.understand.text import TextAnalyzer

    store = ctx.store
    text_analyzer = TextAnalyzer.from_settings(ctx.settings)  # loaded only if a customer turn lacks a text score
    buckets = max(1, -(-store.count("turns") // TURNS_PER_BUCKET))
    templates = _template_keys(store, buckets)
    model = EmpathyModel.default().with_e5(_e5_replies(store, ctx.settings.empathy_e5_replies))
    slim, coach, conversations, quarantined, gaps, errors = [], [], [], 0, 0, []
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=ctx.console, disable=not ctx.progress or buckets == 1) as progress:
        task = progress.add_task("Scoring conversations (buckets)", total=buckets)
        for bucket in range(buckets):
            frame = _turns_frame(store, bucket, buckets)
            try:
                clean, quarantine = validate_transcript(frame, source="table turns", known_agents=known)
            except NothingReadError as exc:
                errors.append(str(exc))
                progress.advance(task)
                continue
            analysis = analyze_conversations(clean, conversations=_conversations_frame(store, bucket, buckets),
                                             quarantine=quarantine, text_analyzer=text_analyzer,
                                             template_keys=templates, model=model)
            save = store.append_result if slim else store.write_result  # the first bucket stored replaces a past run's
            save(EMPATHY_TURNS, analysis.turns, step="empathy",
                 description="Each agent turn: mechanism levels, confidence, evidence, jargon, empathy, gap flag.")
            save(EMPATHY_CONVERSATIONS, analysis.conversations, step="empathy",
                 description="Each conversation: customer sentiment path, distress moments, agent empathy, outcome.")
            save(EMPATHY_GAPS, analysis.gaps, step="empathy",
                 description="Distressed customer turns answered by a purely transactional reply.")
            if len(quarantine):
                (store.append_result if quarantined else store.write_result)(
                    EMPATHY_QUARANTINE, quarantine, step="empathy", description="Turns not scored, with the reason.")
            quarantined += len(quarantine)
            gaps += len(analysis.gaps)
            turns = analysis.turns
            slim.append(turns.drop(columns=[c for c in _TEXT_COLUMNS if c in turns]))
            coach.append(turns[turns["responds_to_distress"]])
            conversations.append(analysis.conversations[["conversation_id", "agent_id", "outcome"]]
                                 if "outcome" in analysis.conversations else analysis.conversations[["conversation_id", "agent_id"]])
            del frame, clean, analysis, turns
            progress.advance(task)
    if not slim:
        raise NotEnoughDataError(errors[0] if errors else "no conversation turns could be analysed.")
    return (pd.concat(slim, ignore_index=True), pd.concat(coach, ignore_index=True),
            pd.concat(conversations, ignore_index=True), quarantined, gaps)


def _customer_outcomes(store) -> pd.DataFrame:
    """Per customer: mean empathy received, replies, retained (not churned), mean CSAT and NPS (Ibis)."""
    turns = store.result(EMPATHY_TURNS).select("conversation_id", "empathy")
    conv = store.table("conversations").select("conversation_id", "customer_id")
    joined = turns.join(conv, "conversation_id")
    received = joined.group_by("customer_id").aggregate(
        empathy_received=joined.empathy.mean(), replies=joined.empathy.count())
    cust = store.table("customers")
    customers = cust.select(cid=cust.customer_id, retained=cust.churned_at.isnull().cast("int64"))
    fb = store.table("feedback")
    sat = fb.group_by("customer_id").aggregate(csat=fb.csat.mean(), nps=fb.nps.mean()).rename(sid="customer_id")
    out = received.left_join(customers, received.customer_id == customers.cid).select(
        received.customer_id, received.empathy_received, received.replies, customers.retained)
    out = out.left_join(sat, out.customer_id == sat.sid).select(out.customer_id, out.empathy_received, out.replies,
                                                                out.retained, sat.csat, sat.nps)
    return out.to_pandas()


#: The per-reply measures set against outcomes in ``service_outcomes``.
SERVICE_MEASURES = ("empathy", "resolution", "service_quality")


def _service_received(store) -> pd.DataFrame:
    """Per customer: mean empathy, resolution and service quality received, the customer's sentiment at the
    end of their conversations (mean over conversations), retained and CSAT (Ibis)."""
    turns = store.table("result_empathy_turns").select("conversation_id", *SERVICE_MEASURES)
    conv = store.table("result_empathy_conversations").select("conversation_id", "customer_sentiment_last")
    ids = store.table("conversations").select(cid="conversation_id", customer_id="customer_id")
    joined = turns.join(ids, turns.conversation_id == ids.cid)
    received = joined.group_by("customer_id").aggregate(**{m: joined[m].mean() for m in SERVICE_MEASURES})
    ended = conv.join(ids, conv.conversation_id == ids.cid)
    ended = ended.group_by("customer_id").aggregate(last_sentiment=ended.customer_sentiment_last.mean()).rename(eid="customer_id")
    cust = store.table("result_empathy_customer").select(oid="customer_id", retained="retained", csat="csat")
    out = received.left_join(ended, received.customer_id == ended.eid).drop("eid")
    out = out.left_join(cust, out.customer_id == cust.oid).drop("oid")
    return out.to_pandas()


def _service_outcomes(store) -> pd.DataFrame:
    """Empathy, resolution and service quality received vs last sentiment, CSAT and retention (customer level,
    r and slope per +0.1 with 95 % bootstrap intervals)."""
    from empathica.understand.empathy.outcomes import Relationship, relationship

    frame = _service_received(store)
    rows = []
    for measure in SERVICE_MEASURES:
        for outcome in ("last_sentiment", "csat", "retained"):
            rel = relationship(frame[measure].to_numpy(float), frame[outcome].to_numpy(float), outcome=outcome)
            if rel is not None:
                rows.append({"measure": measure, **rel.as_row()})
    return pd.DataFrame(rows, columns=["measure", *Relationship.__dataclass_fields__])


def _service_patterns(store) -> pd.DataFrame:
    """Per service pattern of conversations with a distressed customer (empathy and resolution, apology
    without resolution, resolution without empathy, neither): conversations, customers, their retention
    with a 95 % Wilson interval, mean CSAT, and the retention points below "empathy and resolution" with a
    95 % Wald interval of the difference (Ibis over the stored conversations)."""
    from empathica.understand.empathy.outcomes import wilson_interval

    conv = store.table("result_empathy_conversations")
    conv = conv.filter(conv.distress_moments > 0).select("conversation_id", "service_pattern")
    ids = store.table("conversations").select(cid="conversation_id", customer_id="customer_id")
    cust = store.table("result_empathy_customer").select(oid="customer_id", retained="retained", csat="csat")
    joined = conv.join(ids, conv.conversation_id == ids.cid)
    per_customer = joined.group_by(["service_pattern", "customer_id"]).aggregate(conversations=joined.conversation_id.count())
    per_customer = per_customer.join(cust, per_customer.customer_id == cust.oid)
    table = per_customer.group_by("service_pattern").aggregate(
        conversations=per_customer.conversations.sum(), customers=per_customer.customer_id.count(),
        retained=per_customer.retained.sum(), csat=per_customer.csat.mean()).to_pandas()
    low, high = wilson_interval(table["retained"].to_numpy(float), table["customers"].to_numpy(float))
    table["retention"] = (table["retained"] / table["customers"]).round(4)
    table["retention_low"], table["retention_high"] = low.round(4), high.round(4)
    table["csat"] = table["csat"].round(3)
    # retention points below the customers who got both warmth and a way forward, with a 95 % Wald interval
    best = table[table["service_pattern"] == "empathy and resolution"]
    if len(best):
        p0, n0 = float(best["retention"].iloc[0]), float(best["customers"].iloc[0])
        p, n = table["retention"].to_numpy(float), table["customers"].to_numpy(float)
        se = np.sqrt(p * (1 - p) / n + p0 * (1 - p0) / n0)
        table["retention_gap"] = ((p0 - p) * 100).round(2)
        table["retention_gap_low"] = ((p0 - p - 1.959964 * se) * 100).round(2)
        table["retention_gap_high"] = ((p0 - p + 1.959964 * se) * 100).round(2)
        table.loc[table["service_pattern"] == "empathy and resolution", ["retention_gap_low", "retention_gap_high"]] = np.nan
    columns = ["service_pattern", "conversations", "customers", "retention", "retention_low", "retention_high", "csat",
               "retention_gap", "retention_gap_low", "retention_gap_high"]
    return table.sort_values("retention").reset_index(drop=True)[[c for c in columns if c in table]]


def _group_pairs(store, by: str) -> pd.DataFrame:
    """One row per customer and team (``by="team_id"``) or agent: the mean empathy of that group's
    replies to the customer, beside the customer's retained and CSAT (Ibis; keys come back as categories,
    so a million customers cost tens of megabytes)."""
    turns = store.result(EMPATHY_TURNS).select("conversation_id", "agent_id", "empathy")
    conv = store.table("conversations").select("conversation_id", "customer_id")
    joined = turns.join(conv, "conversation_id")
    joined = joined.filter(joined.customer_id.notnull())
    if by == "team_id":
        emp = store.table("employees").select(eid="employee_id", team_id="team_id")
        joined = joined.join(emp, joined.agent_id == emp.eid)
        joined = joined.filter(joined.team_id.notnull())
    received = joined.group_by(["customer_id", by]).aggregate(empathy_received=joined.empathy.mean())
    cust = store.result(EMPATHY_CUSTOMER).select(cid="customer_id", retained="retained", csat="csat")
    out = received.left_join(cust, received.customer_id == cust.cid).select(by, "empathy_received", "retained", "csat")
    return out.to_pyarrow().to_pandas(strings_to_categorical=True)


@step("empathy", title="Empathy in conversations", after=("text",), order=20,
      reads=("turns", "conversations", "customers", "employees", "feedback", TEXT_SCORES))
def empathy(ctx: RunContext) -> Section:
    from empathica.understand.empathy import agent_table
    from empathica.understand.empathy.outcomes import (
        Relationship,
        coaching_pairs,
        monthly_scorecard,
        relationship,
        relationship_by_group,
    )

    store = ctx.store
    if store.count("turns") == 0:
        raise NotEnoughDataError("the store holds no conversation turns; ingest transcripts (table `turns`) with `empathica listen`.")
    employees = store.to_pandas("employees")
    known = set(employees["employee_id"]) if len(employees) else None
    turns, coach, conv_agents, quarantined, gaps = _analyze_in_buckets(ctx, known)

    team_of = employees.set_index("employee_id")["team_id"] if len(employees) else None
    card = monthly_scorecard(turns, team_of=team_of)
    customers = _customer_outcomes(store)
    store.write_result(EMPATHY_CUSTOMER, customers, step="empathy",
                       description="Per customer: mean empathy received, replies, retained, mean CSAT and NPS.")
    rels = [r for r in (relationship(customers["empathy_received"].to_numpy(float), customers[o].to_numpy(float), outcome=o)
                        for o in ("retained", "csat", "nps")) if r is not None]
    rel_frame = pd.DataFrame([r.as_row() for r in rels], columns=list(Relationship.__dataclass_fields__))
    store.write_result(EMPATHY_OUTCOMES, rel_frame, step="empathy",
                       description="Customer-level correlation and slope (per +0.1 empathy) with 95 % bootstrap CIs.")

    conv_customer = conv_agents[["conversation_id", "agent_id"]].merge(
        store.table("conversations").select("conversation_id", "customer_id").to_pandas(), on="conversation_id", how="left")
    agent_outcomes = conv_customer.merge(customers[["customer_id", "retained", "csat"]], on="customer_id", how="left") \
        .groupby("agent_id")[["retained", "csat"]].mean().rename(columns={"retained": "customer_retention", "csat": "customer_csat"})
    agents = agent_table(turns, conv_agents).merge(agent_outcomes.reset_index(), on="agent_id", how="left")
    if team_of is not None:
        agents.insert(1, "team_id", agents["agent_id"].map(team_of))
        card_team = monthly_scorecard(turns.assign(agent_id=turns["agent_id"].map(team_of)))
        card_team = card_team.rename(columns={"agent_id": "team_id"})
        store.write_result(EMPATHY_TEAMS, card_team, step="empathy", description="Per team and month: empathy scorecard.")
    agents = agents.round(4)
    store.write_result(EMPATHY_AGENTS, agents, step="empathy",
                       description="Per agent: empathy scorecard, gaps, jargon, their customers' retention and CSAT.")
    by_team = relationship_by_group(_group_pairs(store, "team_id"), by="team_id") if team_of is not None else None
    if by_team is not None:
        store.write_result(EMPATHY_RELATIONSHIP_BY_TEAM, by_team, step="empathy",
                           description="Per team: empathy its agents showed each customer vs the customer's retention "
                                       "and CSAT (r, slope per +0.1 empathy, 95 % bootstrap intervals over customers).")
    by_agent = relationship_by_group(_group_pairs(store, "agent_id"), by="agent_id")
    if team_of is not None:
        by_agent.insert(1, "team_id", by_agent["agent_id"].astype(str).map(team_of))
    store.write_result(EMPATHY_RELATIONSHIP_BY_AGENT, by_agent, step="empathy",
                       description="Per agent: empathy shown to each customer vs the customer's retention and CSAT "
                                   "(r, slope per +0.1 empathy, 95 % bootstrap intervals; null below 30 customers).")
    store.write_result(EMPATHY_SCORECARD, card, step="empathy", description="Per agent and month: empathy scorecard.")
    service = _service_outcomes(store)
    store.write_result(SERVICE_OUTCOMES, service, step="empathy",
                       description="Empathy, resolution and service quality received vs the customer's last sentiment, "
                                   "CSAT and retention (customer level; r, slope per +0.1, 95 % bootstrap intervals).")
    patterns = _service_patterns(store)
    store.write_result(SERVICE_PATTERNS, patterns, step="empathy",
                       description="Conversations with a distressed customer by how they were handled (empathy and/or "
                                   "resolution): their customers' retention (95 % Wilson interval) and CSAT.")
    pairs = coaching_pairs(coach, score="service_quality")
    if len(pairs):
        store.write_result(EMPATHY_COACHING, pairs, step="empathy",
                           description="Each agent's weakest reply to a distressed customer beside another agent's best in a similar situation.")

    section = Section(key="empathy", title="Empathy in conversations",
                      data={"agents": agents, "relationships": rel_frame, "relationship_by_team": by_team,
                            "relationship_by_agent": by_agent})
    n_distress = int(turns["responds_to_distress"].sum())
    people = Names.from_store(store)  # the report names people, not ids
    top = [people.person(a) for a in agents["agent_id"].head(3)]
    section.summary.append(Finding(f"empathy.headline.{len(top)}", {
        "replies": len(turns), "empathy": float(turns["empathy"].mean()), **{f"agent{i}": n for i, n in enumerate(top, 1)}}))
    section.summary.append(Finding("empathy.gaps", {
        "gaps": gaps, "distressed": n_distress, "template_share": float(turns["template"].mean()),
        "resolution": float(turns["resolution"].mean()), "service_quality": float(turns["service_quality"].mean())}))
    for r in rels:
        if r.outcome == "retained":
            section.summary.append(Finding("empathy.retention", {
                "r": float(r.correlation), "low": float(r.correlation_low), "high": float(r.correlation_high),
                "points": float(r.slope_per_0_1 * 100)}))
    if by_team is not None:
        rated = by_team.dropna(subset=["retention_r"])
        if len(rated):
            section.summary.append(Finding("empathy.within_teams", {
                "up": int((rated["retention_r_low"] > 0).sum()), "teams": len(rated),
                "down": int((rated["retention_r_high"] < 0).sum()),
                "min": float(rated["retention_points_per_0_1"].min()), "max": float(rated["retention_points_per_0_1"].max())}))
    section.add(
        Metric(Finding("empathy.metric.replies"), Finding("value.int", {"v": len(turns)}), f"table `{EMPATHY_TURNS.table_name}`"),
        Metric(Finding("empathy.metric.gaps"), Finding("value.int", {"v": gaps}), f"table `{EMPATHY_GAPS.table_name}`"),
        Metric(Finding("empathy.metric.not_scored"), Finding("value.int", {"v": quarantined}),
               f"table `{EMPATHY_QUARANTINE.table_name}`"),
        Paragraph(Finding("empathy.method")),
    )
    section.add(_scorecard_figure(agents, card, people, ctx.settings))
    cols = ["agent_id", "rank", "empathy", "emotional_reactions", "interpretations", "explorations", "resolution",
            "service_quality", "template_share", "jargon_rate", "gap_rate", "customer_retention", "customer_csat",
            "agent_turns"]
    section.add(TableBlock(agents[[c for c in ["team_id", *cols] if c in agents]], Finding("empathy.caption.agents"),
                           source=EMPATHY_AGENTS.table_name))
    if len(rel_frame):
        section.add(TableBlock(rel_frame, Finding("empathy.caption.outcomes"), source=EMPATHY_OUTCOMES.table_name))
    if len(service):
        section.add(TableBlock(service, Finding("empathy.caption.service"), source=SERVICE_OUTCOMES.table_name))
    if len(patterns):
        section.add(TableBlock(patterns, Finding("empathy.caption.patterns"), source=SERVICE_PATTERNS.table_name))
    _add_group_relationships(section, by_team, by_agent)
    if len(pairs):
        section.add(TableBlock(pairs[["customer_said", "reply", "agent_id", "empathy", "similar_customer_said",
                                      "better_reply", "better_agent_id", "better_empathy"]],
                               Finding("empathy.caption.coaching"),
                               source=EMPATHY_COACHING.table_name, max_rows=10))
    return section


def _interval(frame: pd.DataFrame, point: str, low: str, high: str, fmt: str) -> pd.Series:
    """'+0.21 [+0.14, +0.27]' per row, empty where the figure is null."""
    return pd.Series([("" if pd.isna(p) else f"{p:{fmt}} [{lo:{fmt}}, {hi:{fmt}}]")
                      for p, lo, hi in zip(frame[point], frame[low], frame[high])], index=frame.index, dtype=object)


def _readable(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    return pd.DataFrame({
        **{k: frame[k] for k in key}, "customers": frame["customers"],
        "retention_r_ci": _interval(frame, "retention_r", "retention_r_low", "retention_r_high", "+.2f"),
        "retention_points_ci": _interval(
            frame, "retention_points_per_0_1", "retention_points_low", "retention_points_high", "+.1f"),
        "csat_r_ci": _interval(frame, "csat_r", "csat_r_low", "csat_r_high", "+.2f"),
        "note": frame["note"],
    })


def _add_group_relationships(section: Section, by_team: pd.DataFrame | None, by_agent: pd.DataFrame) -> None:
    """The team table and the agents with the strongest and weakest within-agent relationship."""
    section.add(Paragraph(Finding("empathy.how_to_read")))
    if by_team is not None and len(by_team):
        section.add(TableBlock(_readable(by_team.sort_values("customers", ascending=False), ["team_id"]),
                               Finding("empathy.caption.by_team"), source=EMPATHY_RELATIONSHIP_BY_TEAM.table_name))
    rated = by_agent.dropna(subset=["retention_points_per_0_1"]).sort_values("retention_points_per_0_1", ascending=False)
    if len(rated):
        shown = rated if len(rated) <= 10 else pd.concat([rated.head(5), rated.tail(5)])
        key = ["agent_id", "team_id"] if "team_id" in by_agent else ["agent_id"]
        section.add(TableBlock(_readable(shown, key),
                               Finding("empathy.caption.by_agent_all" if len(rated) <= 10 else "empathy.caption.by_agent",
                                       {"agents": len(rated)}),
                               source=EMPATHY_RELATIONSHIP_BY_AGENT.table_name))


def _scorecard_figure(agents: pd.DataFrame, card: pd.DataFrame, names: Names, settings):
    return draw_figure(lambda say: _draw_scorecard(agents, card, names, say), Finding("empathy.figure.scorecard"),
                       languages=settings.figure_languages, dpi=settings.report_figure_dpi)


def _draw_scorecard(agents: pd.DataFrame, card: pd.DataFrame, names: Names, say: FigureWords):
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4))
    ax1, ax2 = fig.subplots(1, 2)
    a = agents.sort_values("empathy")
    ax1.barh([say.data(names.person(x)) for x in a["agent_id"]], a["empathy"], color="#4C72B0")
    ax1.set_xlabel(say("figure.empathy.agent_axis"))
    ax1.set_title(say("figure.empathy.per_agent"))
    for agent_id in list(agents["agent_id"].head(3)) + list(agents["agent_id"].tail(2)):
        s = card[card["agent_id"] == agent_id].sort_values("month")
        ax2.plot(pd.to_datetime(s["month"] + "-01"), s["empathy"], marker="o", markersize=3,
                 label=say.data(names.person(agent_id)))
    ax2.xaxis.set_major_formatter(DateFormatter("%Y-%m"))  # months (draw_figure writes them per language)
    ax2.set_title(say("figure.empathy.monthly"))
    ax2.set_ylabel(say("figure.empathy.monthly_axis"))
    ax2.tick_params(axis="x", rotation=45, labelsize=7)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    return fig

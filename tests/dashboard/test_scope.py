"""What a team lead and a region user see: results cut to their scope, aggregates over every customer marked as
company-wide with other teams' customers' words left out, and nothing of another region."""

from __future__ import annotations

import io
import json

import ibis
import numpy as np
import pandas as pd
import pytest

from empathica.report.i18n import format_value
from empathica.schema import results as R
from tests.dashboard.conftest import PASSWORDS, log_in
from tests.dashboard.tables import page_tables


@pytest.fixture(scope="module")
def region(dashboard):
    """A viewer scoped to the region with the fewest customers (so that some customers are outside it)."""
    _, server = dashboard
    with server.reading() as store:
        customers, teams = store.to_pandas("customers"), store.to_pandas("teams")
    regions = customers.region.value_counts()
    name = str(regions.index[-1])
    assert len(regions) > 1, "the demo world needs customers in two regions"
    if "rhea" not in {u.username for u in server.ops.users()}:
        server.ops.add_user("rhea", "region-password-1", role="viewer", region=name)
        PASSWORDS["rhea"] = "region-password-1"
    return name, customers, teams


def _panel(html: str, key: str) -> str:
    return html.split(f'id="panel-{key}"', 1)[1].split("</section>", 1)[0]


def _served_customers(store, team_id: str) -> set[str]:
    """The customers a team's agents served (the team scope of customer rows), read from the canonical tables."""
    employees, turns, conversations = store.to_pandas("employees"), store.to_pandas("turns"), store.to_pandas("conversations")
    agents = set(employees[employees.team_id == team_id].employee_id)
    return set(conversations[conversations.conversation_id.isin(turns[turns.agent_id.isin(agents)].conversation_id)].customer_id)


def _customer_texts_by_touchpoint(store, mine: set[str]) -> pd.DataFrame:
    """Scored survey comments and customer turns of ``mine``, with their touchpoint, in pandas (not the page's code)."""
    scores = store.read_result(R.TEXT_SCORES)
    feedback, turns, conversations = store.to_pandas("feedback"), store.to_pandas("turns"), store.to_pandas("conversations")
    fb = feedback[feedback.customer_id.isin(mine)]
    fb = pd.DataFrame({"source_table": "feedback", "source_id": fb.response_id.astype(str),
                       "touchpoint": fb.touchpoint_id.fillna("(unknown)")})
    tu = turns.merge(conversations, on="conversation_id", suffixes=("", "_c"))
    tu = tu[(tu.speaker == "customer") & tu.customer_id.isin(mine)]
    tu = pd.DataFrame({"source_table": "turns", "source_id": tu.turn_id.astype(str),
                       "touchpoint": tu.touchpoint_id.fillna("conversations")})
    return pd.concat([fb, tu]).merge(scores, on=["source_table", "source_id"])


def test_a_team_lead_sees_their_customers_figures_recomputed_and_the_rest_marked_company_wide(dashboard):
    client, server = dashboard
    log_in(client, "root")
    html = client.get("/ui/voice?lang=en").text
    admin = page_tables(html)
    assert 'data-scope="company"' not in html and 'data-scope="recomputed"' not in html
    log_in(client, "lead")
    html = client.get("/ui/voice?lang=en").text
    lead = page_tables(html)
    with server.reading() as store:
        texts = _customer_texts_by_touchpoint(store, _served_customers(store, server.ops.user("lead").team_id))
    expected = texts.groupby("touchpoint").agg(texts=("sentiment", "size"),
                                              negative=("sentiment", lambda s: float((s == "negative").mean())))
    shown = {r[0]: (r[1], r[3]) for r in lead.tables["sentiment_touchpoint"]}
    assert shown == {tp: (format_value(int(row.texts), "int", lang="en"), format_value(row.negative, "pct", lang="en"))
                     for tp, row in expected.iterrows()}
    assert sum(int(r[1].replace(",", "")) for r in admin.tables["sentiment_touchpoint"]) > int(expected.texts.sum())
    assert 'data-scope="recomputed"' in _panel(html, "sentiment_touchpoint")
    # the drill-down behind a bar holds as many of the team's texts as the bar says
    top = lead.tables["sentiment_touchpoint"][0]
    drilled = client.get("/ui/voice/texts", params={"dimension": "touchpoint", "value": top[0], "lang": "en"}).text
    assert f"of {top[1]} customer texts" in drilled
    # pain points from the team's customers' texts (their own words are theirs to read)
    assert any("Quotes" in h for h in lead.headers["pain_points"]) and 'data-scope="recomputed"' in _panel(html, "pain_points")
    admin_pains = {r[0]: int(r[1].replace(",", "")) for r in admin.tables["pain_points"]}
    assert all(int(r[1].replace(",", "")) <= admin_pains.get(r[0], 10**9) for r in lead.tables["pain_points"])
    # topics: the team's negative texts clustered, quoting only the team's customers
    topics = _panel(html, "topics")
    assert 'data-scope="recomputed"' in topics and "Left out for your scope" not in topics
    exported = pd.read_csv(io.BytesIO(client.get("/ui/export/topics.csv").content))
    assert len(exported) == len(lead.tables["topics"]) > 0
    with server.reading() as store:
        negative = texts[texts.sentiment == "negative"].merge(_texts(store), on=["source_table", "source_id"])
        everyones = store.read_result(R.TEXT_TOPICS)
    words = " ".join(" ".join(str(t).split()) for t in negative.text)
    quotes = [q for cell in exported.quotes for q in json.loads(cell)]
    assert quotes and all(" ".join(q.split())[:60] in words for q in quotes)
    per_lang = exported.groupby("lang")["size"].sum()
    assert all(per_lang[lang] <= (negative.lang == lang).sum() for lang in per_lang.index)
    assert per_lang.sum() < everyones["size"].sum()  # fewer texts than everyone's


def _texts(store) -> pd.DataFrame:
    """source_table, source_id, text of the survey comments and turns (read from the canonical tables)."""
    feedback, turns = store.to_pandas("feedback"), store.to_pandas("turns")
    return pd.concat([pd.DataFrame({"source_table": "feedback", "source_id": feedback.response_id.astype(str),
                                    "text": feedback.comment}),
                      pd.DataFrame({"source_table": "turns", "source_id": turns.turn_id.astype(str), "text": turns.text})])


def _journeys_of(store, mine: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per touchpoint (events, customers, starts, ends) and per pathway (transitions, customers) of the journeys
    of ``mine``, computed in pandas from the canonical events (a journey: its journey_id, else its customer)."""
    events = store.to_pandas("events")
    events = events[events.customer_id.isin(mine)].copy()
    events["case"] = events.journey_id.fillna(events.customer_id)
    events = events.sort_values(["case", "timestamp", "event_id"], kind="mergesort")
    events["target"] = events.groupby("case").touchpoint_id.shift(-1)
    first = events.groupby("case").head(1).touchpoint_id.value_counts()
    last = events.groupby("case").tail(1).touchpoint_id.value_counts()
    points = events.groupby("touchpoint_id").agg(events=("event_id", "size"), customers=("customer_id", "nunique"))
    points["starts"], points["ends"] = first.reindex(points.index).fillna(0), last.reindex(points.index).fillna(0)
    moves = events[events.target.notna()]
    pathways = moves.groupby(["touchpoint_id", "target"]).agg(transitions=("event_id", "size"),
                                                               customers=("customer_id", "nunique"))
    return points, pathways


def test_a_team_leads_journey_map_pathways_and_friction_are_their_customers_journeys(dashboard):
    client, server = dashboard
    log_in(client, "lead")
    html = client.get("/ui/journeys?lang=en").text
    for key in ("journey_map", "pathways", "friction", "touchpoints"):
        assert 'data-scope="recomputed"' in _panel(html, key) and 'data-scope="company"' not in _panel(html, key), key
    with server.reading() as store:
        points, pathways = _journeys_of(store, _served_customers(store, server.ops.user("lead").team_id))
        everyone = store.read_result(R.JOURNEY_DFG)
    csv = {k: pd.read_csv(io.BytesIO(client.get(f"/ui/export/{k}.csv").content))
           for k in ("journey_map", "pathways", "friction", "touchpoints")}
    shown = csv["touchpoints"].set_index("touchpoint")
    assert len(shown) == min(30, len(points)) and len(points) > 3
    for column in ("events", "customers", "starts", "ends"):
        assert shown[column].to_dict() == points.loc[shown.index, column].astype(int).to_dict(), column
    mapped = csv["journey_map"].set_index("touchpoint")
    assert set(mapped.index) == set(points.index)
    assert mapped[["events", "customers"]].to_dict() == points[["events", "customers"]].astype(int).to_dict()
    ways = csv["pathways"].set_index(["source", "target"])
    assert len(ways) == min(40, len(pathways))
    assert ways[["transitions", "customers"]].to_dict() == pathways.loc[ways.index, ["transitions", "customers"]].to_dict()
    assert ways.transitions.sum() < everyone.transitions.sum()
    # friction scores the pathways the team's customers took often enough (the step's threshold), and only those
    from empathica.flywheel.steps.journeys import MIN_TRANSITIONS

    friction = csv["friction"].set_index(["source", "target"])
    often = pathways[pathways.transitions >= MIN_TRANSITIONS]
    assert len(friction) == min(15, len(often)) > 0 and set(friction.index) <= set(often.index)
    assert friction.customers.to_dict() == often.loc[friction.index, "customers"].to_dict()
    worst = friction.groupby(level=0).friction_score.max()  # the map colours a touchpoint by its worst pathway
    assert all(abs(mapped.friction_score[tp] - score) < 1e-9 for tp, score in worst.items()
               if len(friction) == len(often))


def test_every_unscoped_result_on_a_panel_is_declared_recomputed_or_company_wide():
    from empathica.serve.web.panels import PANELS, SCOPED_BY
    from empathica.serve.web.scoped import COMPANY_WIDE, RECOMPUTED

    unscoped = {p.result.name for p in PANELS.values() if not set(SCOPED_BY) & set(p.result.column_names)}
    assert unscoped == (RECOMPUTED | COMPANY_WIDE) & unscoped and not RECOMPUTED & COMPANY_WIDE
    assert unscoped - COMPANY_WIDE == RECOMPUTED


def test_a_region_user_sees_only_their_regions_agents_and_customers(dashboard, region):
    client, server = dashboard
    name, customers, teams = region
    log_in(client, "rhea")
    mine = set(customers[customers.region == name].customer_id)
    risk = page_tables(client.get("/ui/value?lang=en").text).tables["revenue_at_risk"]
    with server.reading() as store:
        stored = store.read_result(R.VALUE_REVENUE_AT_RISK)
    expected = stored[stored.customer_id.isin(mine)].sort_values("revenue_at_risk", ascending=False).head(20)
    assert [r[0] for r in risk] == expected.customer_id.tolist() and set(expected.customer_id) <= mine
    agents = page_tables(client.get("/ui/empathy?lang=en").text).tables["agents"]
    assert {r[2] for r in agents} <= set(teams[teams.region == name].team_id)  # the demo's teams are all 'global'
    assert len(mine) < len(customers) and len(risk) > 0
    value = client.get("/ui/value?lang=en").text
    with server.reading() as store:
        store_clv = store.read_result(R.VALUE_CLV)
    clv = store_clv[store_clv.customer_id.isin(mine) & (store_clv.status == "active")]
    expected = clv.groupby("segment").agg(customers=("clv", "size"), total=("clv", "sum"))
    segments = {r[0]: (r[1], r[3]) for r in page_tables(value).tables["clv_segments"]}
    currency = server.settings.currency
    assert {s: c for s, (c, _) in segments.items() if c != "0"} == {
        s: format_value(int(row.customers), "int", lang="en") for s, row in expected.iterrows()}
    assert all(segments[s][1] == format_value(row.total, "money", lang="en", currency=currency) for s, row in expected.iterrows())
    assert 'data-scope="recomputed"' in _panel(value, "clv_segments")
    one = next(iter(expected.index))  # the segment filter applies to the recomputed rows as to the stored ones
    assert [r[0] for r in page_tables(client.get(f"/ui/value?lang=en&segment={one}").text).tables["clv_segments"]] == [one]
    outside = next(c for c in server.act.snapshot.index if c not in mine)
    assert client.get(f"/ui/customers/{outside}").status_code == 403
    log_in(client, "root")
    data = client.get("/ui/data").text
    assert 'data-panel="quarantine"' in data
    log_in(client, "rhea")
    assert 'data-panel="quarantine"' not in client.get("/ui/data").text  # raw rows of every region


def test_the_server_prepares_every_figure_a_team_leads_first_visit_recomputes(dashboard, monkeypatch):
    """What the background preparation keeps is what the lead's pages ask for (the same keys), so their first
    visit after it reads kept figures; users without a scope are not prepared."""
    from empathica.serve.web import panels, scoped

    client, server = dashboard
    asked: list[tuple] = []
    keep = scoped.kept
    for module in (panels, scoped):  # the panels' keys, and the scope's journeys
        monkeypatch.setattr(module, "kept", lambda key, compute: asked.append(key) or keep(key, compute))
    others = [u.username for u in server.ops.users() if (u.team_id or u.region) and u.username != "lead"]
    for name in others:  # a disabled user's scope is not prepared (and this test need not pay for it)
        server.ops.set_disabled(name)
    try:
        preparer = scoped.ScopePreparer(server)
        preparer.start()
        preparer.wait()
    finally:
        for name in others:
            server.ops.set_disabled(name, False)
    prepared, asked[:] = set(asked), []
    panels_kept = [k for k in prepared if k[0] != "journeys"]  # (data version, team, region, result, conditions)
    assert preparer.seconds is not None and {k[3] for k in panels_kept} >= {
        R.TEXT_SENTIMENT_BY.name, R.TEXT_PAIN_POINTS.name, R.TEXT_TOPICS.name, R.JOURNEY_FRICTION.name,
        R.JOURNEY_DFG.name, R.VALUE_CLV_SEGMENTS.name}
    scopes = {(u.team_id, u.region) for u in server.ops.users() if u.username == "lead"}
    assert {k[1:3] for k in panels_kept} == scopes  # no key for an admin or analyst
    log_in(client, "lead")  # with filters too: they apply to the kept rows
    for page in ("/ui/voice", "/ui/journeys", "/ui/value", "/ui/voice?language=de", "/ui/value?segment=loyal"):
        assert client.get(page).status_code == 200
    assert asked and set(asked) <= prepared


def test_a_team_leads_opportunities_and_scenarios_are_their_customers_share_of_the_money(dashboard):
    """The decide step's money cut to the team: per opportunity and scenario, the stored parts of the customers the
    team served (found in pandas from the canonical tables) added up, with as many customers, ranked by that money;
    everyone's parts add up to the company's money."""
    client, server = dashboard
    with server.reading() as store:
        parts = store.read_result(R.DECIDE_CUSTOMER_VALUES)
        stored = {r.name: store.read_result(r) for r in (R.DECIDE_OPPORTUNITIES, R.DECIDE_SCENARIOS)}
        mine = _served_customers(store, server.ops.user("lead").team_id)
    log_in(client, "lead")
    for result, page, panel in ((R.DECIDE_OPPORTUNITIES.name, "/ui/summary", "opportunities"),
                                (R.DECIDE_SCENARIOS.name, "/ui/value", "scenarios")):
        rows, own = stored[result], parts[parts.result == result]
        everyone = own.groupby("key")["revenue"].sum()
        assert [everyone.get(k, 0.0) for k in rows.key] == pytest.approx(rows.revenue.tolist(), rel=1e-9, abs=1e-6)
        theirs = own[own.customer_id.isin(mine)].groupby("key").agg(revenue=("revenue", "sum"), customers=("customer_id", "size"))
        assert 0 < len(theirs) and (theirs.customers < rows.set_index("key").customers[theirs.index]).any()
        html = client.get(f"{page}?lang=en").text
        assert 'data-scope="recomputed"' in _panel(html, panel) and 'data-scope="company"' not in _panel(html, panel)
        assert "Your scope&#39;s share" in _panel(html, panel) or "Your scope's share" in _panel(html, panel)
        exported = pd.read_csv(io.BytesIO(client.get(f"/ui/export/{panel}.csv").content))
        expected = set(zip(theirs.customers, theirs.revenue.round(4)))
        shown = set(zip(exported.customers, exported.revenue.round(4)))
        assert shown <= expected and len(exported) == min(len(expected), 15 if panel == "opportunities" else 20)
    ranked = pd.read_csv(io.BytesIO(client.get("/ui/export/opportunities.csv").content))
    assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1))
    shown = ranked[ranked.confidence != "low"].revenue  # money shown first, by the team's own money
    assert shown.tolist() == sorted(shown, reverse=True) and ranked.confidence.tolist().index("low") == len(shown)


def test_a_team_leads_churned_vs_retained_comparison_is_made_on_their_customers_journeys(dashboard):
    """The stored comparison made again on the team's journeys: the shares equal compare_cohorts run afresh on the
    steps of the journeys of the customers the team served (read from the events, not from the page's fit)."""
    from empathica.flywheel.steps.journeys import store_events
    from empathica.understand.journeys import compare_cohorts, journey_steps

    client, server = dashboard
    with server.reading() as store:
        mine = _served_customers(store, server.ops.user("lead").team_id)
        journey = journey_steps(store_events(store), goal=None)
        cases = journey.select("case", "customer").distinct().to_pandas()
        customers = store.to_pandas("customers")
        everyone = store.read_result(R.JOURNEY_COMPARE_CHURN)
        cases = cases[cases.customer.isin(mine)].merge(customers, left_on="customer", right_on="customer_id")
        labels = ibis.memtable(pd.DataFrame({"case": cases["case"], "cohort": np.where(cases.churned_at.notna(), "churned", "retained")}))
        expected = compare_cohorts(journey.filter(journey.customer.isin(list(mine))), labels, cohort_a="churned", cohort_b="retained")
    log_in(client, "lead")
    html = client.get("/ui/journeys?lang=en&cohort=churn").text
    assert 'data-scope="recomputed"' in _panel(html, "compare_churn")
    exported = pd.read_csv(io.BytesIO(client.get("/ui/export/compare_churn.csv?cohort=churn").content))
    merged = exported.merge(expected, on=["source", "target"], suffixes=("", "_events"))
    assert len(exported) == min(15, len(expected)) > 0 and len(merged) == len(exported)
    assert (merged.share_a - merged.share_a_events).abs().max() < 1e-12 and (merged.share_b - merged.share_b_events).abs().max() < 1e-12
    assert set(zip(exported.source, exported.target, exported.share_a.round(9))) != set(
        zip(everyone.source, everyone.target, everyone.share_a.round(9)))  # not the company's comparison


def test_a_team_leads_chosen_cohorts_are_compared_on_their_customers_journeys(dashboard):
    """Two segments and before / after a date chosen by a team lead: the shares equal compare_cohorts run afresh
    on the journeys of the customers the team served (not the company's counts), marked recomputed."""
    from empathica.flywheel.steps.journeys import store_events
    from empathica.understand.journeys import before_after_cohorts, compare_cohorts, journey_steps

    client, server = dashboard
    with server.reading() as store:
        mine = _served_customers(store, server.ops.user("lead").team_id)
        journey = journey_steps(store_events(store), goal=None)
        journey = journey.filter(journey.customer.isin(list(mine)))
        customers = store.table("customers")
        cases = journey.select("case", "customer").distinct()
        labels = cases.join(customers, cases.customer == customers.customer_id).select("case", cohort="segment")
        sizes = labels.group_by("cohort").aggregate(n=labels.count()).order_by(ibis.desc("n")).to_pandas()
        a, b = sizes.cohort.iloc[0], sizes.cohort.iloc[1]
        at = journey.timestamp.min().to_pandas() + (journey.timestamp.max().to_pandas() - journey.timestamp.min().to_pandas()) / 2
        day = at.date()
        moment = pd.Timestamp(day.isoformat(), tz="UTC").to_pydatetime()
        expected = {"segments": compare_cohorts(journey, labels, cohort_a=a, cohort_b=b),
                    "date": compare_cohorts(journey, before_after_cohorts(journey, moment), cohort_a="before", cohort_b="after")}
    log_in(client, "lead")
    for kind, query in (("segments", f"cohort=segments&a={a}&b={b}"), ("date", f"cohort=date&at={day.isoformat()}")):
        html = client.get(f"/ui/journeys?lang=en&{query}").text
        assert 'data-scope="recomputed"' in _panel(html, "compare_custom")
        assert 'data-scope="company"' not in _panel(html, "compare_custom")
        exported = pd.read_csv(io.BytesIO(client.get(f"/ui/export/compare_custom.csv?{query}").content))
        merged = exported.merge(expected[kind], on=["source", "target"], suffixes=("", "_events"))
        assert len(exported) == min(15, len(expected[kind])) > 0 and len(merged) == len(exported), kind
        assert (merged.share_a - merged.share_a_events).abs().max() < 1e-12, kind
        assert (merged.share_b - merged.share_b_events).abs().max() < 1e-12, kind

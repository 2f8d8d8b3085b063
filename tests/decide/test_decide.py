"""The decide step on a demo world: one ranking with money, owners and evidence; scenarios; the report built
from the store; headlines that agree with their tables; planted truths at the top."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

from empathica.cli import main
from empathica.demo.truths import TRUTHS
from empathica.report import Finding
from empathica.report.archive import load_sections
from empathica.schema.results import DECIDE_OPPORTUNITIES, DECIDE_PROTECT, DECIDE_SCENARIOS
from tests.decide.agreement import disagreements, finding_disagreements


def test_the_planted_friction_pathway_and_delivery_lead_the_ranking(opened):
    ranking = opened.read_result(DECIDE_OPPORTUNITIES)
    top5 = ranking.head(5)
    assert f"pathway:{TRUTHS.friction_pathway[0]}>{TRUTHS.friction_pathway[1]}" in set(top5["key"])
    assert f"touchpoint:{TRUTHS.nps_driver_touchpoint}" in set(top5["key"])


def test_the_unempathic_agents_or_the_low_engagement_team_are_in_the_top_five(opened):
    top5 = opened.read_result(DECIDE_OPPORTUNITIES).head(5)
    people = top5[top5["key"].isin(["agents:least_empathic", f"team_engagement:{TRUTHS.low_engagement_team}",
                                    f"team_empathy:{TRUTHS.low_engagement_team}"])]
    assert len(people), top5[["key", "revenue"]]


def test_the_empathy_opportunity_is_more_than_a_rounding_error(opened):
    ranking = opened.read_result(DECIDE_OPPORTUNITIES)
    empathy = ranking[ranking["key"] == "agents:least_empathic"].iloc[0]
    # the planted least empathic agents are coached in chat from 2024-01 (Learn's planted action), which lifts one of
    # them out of the bottom over the whole window; the one least empathic before it stays named
    assert set(TRUTHS.unempathic_agents) & set(empathy["evidence_key"].split(", "))
    # "worth more than a rounding error" (issue 16), judged on what the ranking credits it — its Shapley share,
    # `revenue`, the amount the ranking and the summary show — never on what it would keep alone (`revenue_alone`):
    # the share's own 95 % interval excludes 0, and the share is at least a tenth of the first opportunity's share
    # (the bench's bar; with empathy valued per complaint contact, bench/results.md "decide")
    assert empathy["money_shown"] and empathy["revenue_low"] > 0
    assert empathy["revenue"] >= 0.1 * ranking["revenue"].iloc[0], (empathy["revenue"], ranking["revenue"].iloc[0])


def test_every_opportunity_has_money_with_an_interval_an_owner_by_name_and_evidence(opened):
    ranking = opened.read_result(DECIDE_OPPORTUNITIES)
    assert ranking["rank"].tolist() == list(range(1, len(ranking) + 1))
    shown = ranking[ranking["money_shown"]]
    assert len(shown) >= 3 and (shown["revenue_low"] > 0).all()
    assert ((shown["revenue_low"] <= shown["revenue"]) & (shown["revenue"] <= shown["revenue_high"])).all()
    assert (ranking.loc[~ranking["money_shown"], "confidence"] == "low").all()
    assert (ranking["currency"] == "EUR").all()
    teams = opened.table("teams").to_pandas().set_index("team_id")["name"]
    owned = ranking[ranking["kind"].isin(["pathway", "touchpoint", "agents", "team_engagement", "team_empathy"])]
    assert owned["owner"].notna().all() and set(owned["owner"]) <= set(teams)  # names, not ids
    assert set(ranking["evidence_section"]) <= {"journeys", "text", "drivers", "empathy", "value", "learn"}
    friction = ranking[ranking["key"].str.startswith("pathway:web_checkout>call_centre")].iloc[0]
    assert friction["owner"] == teams[opened.table("touchpoints").to_pandas().set_index("touchpoint_id").loc["web_checkout", "owner_team_id"]]


def test_scenarios_include_lifting_the_least_empathic_agents_and_the_friction_pathway_with_sign_and_unit(opened):
    scenarios = opened.read_result(DECIDE_SCENARIOS)
    assert {"decide.scenario.agents", "decide.scenario.pathway_half"} <= set(scenarios["message_id"])
    friction = scenarios[scenarios["message_id"] == "decide.scenario.pathway_half"].iloc[0]
    assert json.loads(friction["values"])["source"] and friction["currency"] == "EUR"
    assert friction["revenue"] > 0 and friction["revenue_low"] > 0  # less friction keeps customers: a gain, not −4.5
    assert friction["churn_change"] < 0


def test_every_headline_agrees_with_the_stored_row_under_it(opened):
    sections = load_sections(opened)
    findings = [line for s in sections for line in s.summary if isinstance(line, Finding) and line.source]
    assert {f.message_id for f in findings} >= {"decide.headline.top", "drivers.strongest", "drivers.low_team"}
    assert disagreements(sections, opened.read_result) == []
    # a table that says otherwise is caught: the first opportunity's revenue changed under the headline
    def tampered(name):
        frame = opened.read_result(name)
        if name == DECIDE_OPPORTUNITIES.name:
            frame.loc[frame["rank"] == 1, "revenue"] *= 2
        return frame
    assert any("revenue" in problem for problem in disagreements(sections, tampered))


def test_the_executive_summary_says_what_the_stored_rows_of_both_lists_hold(opened):
    from empathica.report.summary import executive_summary

    summary = executive_summary(opened)
    lines = [item.finding for item in summary.items] + summary.notes
    assert {f.message_id for f in lines} >= {"summary.item", "decide.headline.protect"}
    assert 3 <= len(summary.items) <= 5 and finding_disagreements(lines, opened.read_result) == []
    for name, column in ((DECIDE_OPPORTUNITIES.name, "revenue"), (DECIDE_PROTECT.name, "concerned_by_fixes")):
        def tampered(result, name=name, column=column):  # one list's first row says otherwise than its sentence
            frame = opened.read_result(result)
            if result == name:
                frame[column] = frame[column] + 1
            return frame
        assert any(column in problem for problem in finding_disagreements(lines, tampered)), name


def test_the_drivers_headline_never_calls_a_keep_driver_act_first(opened):
    sections = {s.key: s for s in load_sections(opened)}
    matrix = opened.read_result("drivers_matrix")
    line = next(f for f in sections["drivers"].summary if isinstance(f, Finding) and f.message_id.startswith(("drivers.act_first", "drivers.no_act_first")))
    row = matrix[matrix["driver"] == line.row["driver"]].iloc[0]
    assert row["quadrant"].startswith("act first") == (line.message_id == "drivers.act_first")
    assert not matrix["driver"].str.startswith("pain_").any()  # a complaint has no "performance"


def test_the_report_is_built_from_a_copy_of_the_store_with_no_step_run(demo_store, tmp_path):
    path, _ = demo_store
    copy = tmp_path / "copy.duckdb"
    shutil.copy(path, copy)
    result = CliRunner().invoke(main, ["report", "--db", str(copy), "--out", str(tmp_path / "de"), "--lang", "de"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "de" / "index.html").read_text(encoding="utf-8")
    assert html.index('id="summary"') < html.index('id="journeys"') < html.index('id="appendix"')
    summary = html[html.index('id="summary"'):html.index("</section>", html.index('id="summary"'))]
    assert "Was zuerst zu beheben ist" in summary and " €" in summary and "verantwortlich:" in summary
    assert summary.count("<li>") >= 3 and summary.count("<li>") <= 5 and summary.count('href="#') >= 3
    assert "Digital" in summary and "Daten bis" in summary
    for internal in ("result_", "csat_", "pain_", "team_returns", "agent_0", "attr_"):
        assert internal not in summary, internal
    main_text = html[html.index("<main>"):html.index('id="appendix"')]
    visible = pd.Series([main_text]).str.replace(r'title="[^"]*"', "", regex=True).iloc[0]
    assert "result_decide" not in visible and "result value_" not in visible


def test_user_scenarios_from_the_cli_and_a_bad_one_is_one_clear_line(demo_store, tmp_path):
    path, _ = demo_store
    copy = tmp_path / "copy.duckdb"
    shutil.copy(path, copy)
    runner = CliRunner()
    bad = runner.invoke(main, ["run", "--db", str(copy), "--only", "decide", "--scenario", "touchpoint=delivery+0.5"])
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    assert "--scenario: 'touchpoint=delivery+0.5' is not KIND:TARGET:CHANGE" in bad.output
    # user scenarios on a stored world: the decide step alone re-runs (the value step's re-run is value's own tests')
    good = runner.invoke(main, ["run", "--db", str(copy), "--out", str(tmp_path / "r"), "--only", "decide",
                                "--scenario", "touchpoint:delivery:+0.5", "--scenario", "agents:agent_05,agent_10:median"])
    assert good.exit_code == 0, good.output
    from empathica.store import Store

    with Store.open(copy, read_only=True) as store:
        scenarios = store.read_result(DECIDE_SCENARIOS)
        ranking = store.read_result(DECIDE_OPPORTUNITIES)
    assert {"decide.scenario.agents", "decide.scenario.pathway_half"} <= set(scenarios["message_id"])
    user = scenarios[scenarios["kind"].isin(["touchpoint", "agents"]) & scenarios["key"].str.startswith("user:")]
    assert len(user) == 2 and (user["revenue"] > 0).all() and (user["customers"] > 0).all()
    assert ranking["previous_rank"].notna().any()  # the second run knows the first run's ranking
    html = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "touchpoint:delivery:+0.5" in html and "id=\"journeys\"" in html  # the other steps' sections are kept


def test_a_value_model_near_chance_gives_no_money_and_no_headline(opened):
    value = {s.key: s for s in load_sections(opened)}["value"]
    gate = [f for f in value.summary if isinstance(f, Finding) and f.message_id == "value.gate.detractor"]
    money = [f for f in value.summary if isinstance(f, Finding) and f.message_id == "value.detractor_revenue"]
    lines = [f for f in value.summary if isinstance(f, Finding) and f.message_id == "value.detractor_model"]
    assert len(gate) + len(lines) == 1  # the model is either gated or reported, never both
    if gate:
        assert gate[0].values["auc"] < 0.6 and not money
    else:
        assert lines[0].values["auc"] >= 0.6 and money
    risk = next(f for f in value.summary if isinstance(f, Finding) and f.message_id == "value.revenue_at_risk")
    assert risk.values["revenue_low"] < risk.values["revenue"] < risk.values["revenue_high"]  # money with its interval


def test_at_risk_groups_are_ranked_apart_as_whom_to_protect_never_beside_the_fixes_that_retain_them(opened):
    ranking, protect = opened.read_result(DECIDE_OPPORTUNITIES), opened.read_result(DECIDE_PROTECT)
    assert "at_risk" not in set(ranking["kind"]) and set(protect["kind"]) == {"at_risk"}  # the same money, not counted twice
    assert protect["rank"].tolist() == list(range(1, len(protect) + 1)) and len(protect) >= 2
    assert (protect["evidence"] == "value_revenue_at_risk").all() and protect["owner"].notna().all()
    assert ((protect["revenue_low"] <= protect["revenue"]) & (protect["revenue"] <= protect["revenue_high"])).all()
    assert protect["money_shown"].any()
    # how many of each group the top five fixes concern: counted from the fixes' customers, at most the group
    assert ((protect["concerned_by_fixes"] >= 0) & (protect["concerned_by_fixes"] <= protect["customers"])).all()
    assert protect["concerned_by_fixes"].sum() > 0  # the planted friction and delivery touch customers at risk
    section = {s.key: s for s in load_sections(opened)}["decide"]
    headline = next(f for f in section.summary if isinstance(f, Finding) and f.message_id == "decide.headline.protect")
    assert headline.source == DECIDE_PROTECT.name and headline.row == {"rank": int(protect[protect["money_shown"]]["rank"].iloc[0])}


def test_the_planted_competitor_gap_is_valued_as_part_of_the_delivery_fix_not_beside_it(opened):
    ranking = opened.read_result(DECIDE_OPPORTUNITIES)
    gap = ranking[ranking["kind"] == "competitor"]
    # the world plants Voltera better on delivery: its gap is valued (complaints about delivery cut to its level)
    planted = gap[gap["key"] == f"competitor:delivery:{TRUTHS.competitor_better_on_delivery}"]
    assert len(planted) == 1, gap[["key", "revenue"]]
    row = planted.iloc[0]
    values = json.loads(row["values"])
    assert values["theirs"] > values["own"] and row["revenue"] > 0 and row["revenue_low"] <= row["revenue"] <= row["revenue_high"]
    assert row["owner"] is not None and row["evidence"] == "learn_benchmark_comparison"
    # the same complaints as the delivery opportunity: part of it, ranked after every independent opportunity
    assert row["part_of"] == f"touchpoint:{TRUTHS.nps_driver_touchpoint}"
    delivery = ranking[ranking["key"] == row["part_of"]].iloc[0]
    assert row["revenue"] < delivery["revenue_alone"]  # scaled down, not resolved: less than the fix that contains it
    parts = ranking["part_of"].notna()
    assert parts.any() and ranking.loc[parts, "rank"].min() > ranking.loc[~parts, "rank"].max()
    assert set(ranking.loc[parts, "part_of"]) <= set(ranking.loc[~parts, "key"])


def test_the_trend_is_against_the_previous_period_of_the_data_and_says_how_exact_it_is(opened):
    ranking, protect = opened.read_result(DECIDE_OPPORTUNITIES), opened.read_result(DECIDE_PROTECT)
    # the demo world spans years: quarters inside the data; every fix exactly per period (pathways: a transition made
    # in it; agents/teams: who served whom in it; complaint and rating fixes: complaints and ratings given in it),
    # today's risk (no earlier period) for the at-risk groups
    assert {"pathway", "agents", "touchpoint", "pain_point", "competitor"} <= set(ranking["kind"])
    assert (ranking["trend_basis"] == "period").all()
    assert ranking["trend_message_id"].str.startswith("decide.trend.period_").all()
    assert (protect["trend_basis"] == "run").all() and protect["trend_message_id"].str.startswith("decide.trend.risk_").all()
    for row in ranking.itertuples():
        values = json.loads(row.trend_values)
        assert 0 <= values["now"] <= 1 and 0 <= values["before"] <= 1
        direction = row.trend_message_id.rsplit("_", 1)[1]
        assert direction == ("up" if values["now"] > values["before"] * 1.1 else
                             "down" if values["now"] < values["before"] / 1.1 else "flat")
    friction = ranking[ranking["key"] == f"pathway:{TRUTHS.friction_pathway[0]}>{TRUTHS.friction_pathway[1]}"].iloc[0]
    assert json.loads(friction.trend_values)["now"] > 0  # customers still make the planted transition lately


def test_every_value_total_carries_its_interval_and_its_headline_agrees(opened):
    from empathica.schema.results import VALUE_TOTALS

    totals = opened.read_result(VALUE_TOTALS).set_index("total")
    assert {"clv", "revenue_at_risk"} <= set(totals.index) and (totals["fits"] >= 20).all()
    assert (totals["revenue_low"] < totals["revenue"]).all() and (totals["revenue"] < totals["revenue_high"]).all()
    value = {s.key: s for s in load_sections(opened)}["value"]
    clv = next(f for f in value.summary if isinstance(f, Finding) and f.message_id == "value.clv_total")
    assert clv.source == VALUE_TOTALS.name and clv.values["revenue_low"] < clv.values["revenue"] < clv.values["revenue_high"]


def test_the_ratings_and_complaints_given_over_time_add_up_to_every_customers_levers(opened):
    from empathica.schema.results import DRIVERS_EVERYONE, DRIVERS_LEVER_EVENTS

    events, everyone = opened.read_result(DRIVERS_LEVER_EVENTS), opened.read_result(DRIVERS_EVERYONE).set_index("customer_id")
    assert events["at"].notna().all() and {"csat_delivery", "pain_delivery_delay"} <= set(events["lever"])
    complaints = events[events["lever"].str.startswith("pain_")].pivot_table(index="customer_id", columns="lever",
                                                                              values="value", aggfunc="sum")
    pains = [c for c in everyone.columns if c.startswith("pain_")]
    assert complaints.reindex(index=everyone.index, columns=pains).fillna(0).equals(everyone[pains].astype(float))
    ratings = events[events["lever"].str.startswith("csat_")].pivot_table(index="customer_id", columns="lever", values="value")
    csat = [c for c in everyone.columns if c.startswith("csat_")]
    pd.testing.assert_frame_equal(ratings.reindex(index=everyone.index, columns=csat), everyone[csat].astype(float),
                                  check_names=False)


def test_a_complaint_or_a_low_rating_counts_in_the_period_it_was_given():
    from types import SimpleNamespace

    from empathica.decide.trend import _complained_in

    events = pd.DataFrame({"customer_id": ["a", "b", "b", "c", "d"],
                           "lever": ["pain_delivery_delay", "csat_delivery", "csat_delivery", "pain_refund", "csat_delivery"],
                           "value": [1.0, 2.0, 5.0, 1.0, 4.0], "at": pd.to_datetime(["2024-01-02"] * 5)})
    delivery = SimpleNamespace(extra={"complaints": ["pain_delivery_delay"], "below": {"csat_delivery": 3.0}})
    assert _complained_in(delivery, events) == {"a"}  # b's ratings average 3.5, above par ...
    assert _complained_in(delivery, events.iloc[[0, 1, 3]]) == {"a", "b"}  # ... but in a period with only the 2, below
    assert _complained_in(SimpleNamespace(extra={"complaints": ["pain_refund"]}), events) == {"c"}


@pytest.fixture(scope="module")
def levers_of(demo_store):
    """(store open read-only, per-customer levers, who served whom, the candidate fixes by key), built once."""
    from empathica.decide.levers import customer_levers
    from empathica.decide.opportunities import Names, all_levers, served_customers
    from empathica.store import Store

    with Store.open(demo_store[0], read_only=True) as store:
        table, served = customer_levers(store), served_customers(store)
        yield store, table, served, {lever.key: lever for lever in all_levers(store, table, Names.from_store(store), served)}


def test_resolving_complaints_removes_the_empathy_gaps_met_in_those_complaint_conversations(levers_of):
    from empathica.decide.levers import GAPS, complaint_gaps

    opened, table, _, levers = levers_of
    complaints = complaint_gaps(opened)
    delivery = levers[f"touchpoint:{TRUTHS.nps_driver_touchpoint}"]
    rows = table.loc[delivery.affected]
    after = delivery.change(rows)
    # the customers who met a gap in a conversation complaining of a delivery delay meet fewer; nobody meets more
    met = complaints.loc[complaints["aspect"] == "delivery_delay", "customer_id"].unique()
    inside = rows["customer_id"].isin(met).to_numpy()
    assert inside.sum() >= 10 and (after[GAPS].to_numpy()[inside] < rows[GAPS].to_numpy()[inside]).all()
    assert (after[GAPS] <= rows[GAPS]).all() and (after[GAPS].to_numpy()[~inside] == rows[GAPS].to_numpy()[~inside]).all()
    assert (after.filter(like="pain_delivery").to_numpy() == 0).all()


def test_an_agents_scenario_lifts_the_named_agents_empathy_and_cuts_their_gaps_as_the_opportunity_does(levers_of):
    from empathica.decide.levers import GAPS
    from empathica.decide.opportunities import Names, value_lever
    from empathica.decide.scenarios import parse_scenarios, spec_lever

    opened, table, served, levers = levers_of
    least = levers["agents:least_empathic"]
    spec = parse_scenarios("agents:" + ",".join(least.extra["agent_ids"]) + ":median")[0]
    user = spec_lever(spec, table, Names.from_store(opened), served, opened)
    rows = table.loc[user.affected]
    after = user.change(rows)
    assert (after[GAPS] < rows[GAPS]).any() and (after["empathy_received"] > rows["empathy_received"]).any()
    assert (user.affected == least.affected).all()
    # their complaint contacts are valued at the median agent's level: moved, none lost, the other agents' untouched
    from empathica.decide.contacts import CONTACT_PREFIX, contact_parts

    contacts = [c for c in table.columns if c.startswith(CONTACT_PREFIX)]
    theirs = [c for c in contacts if contact_parts(c)[1] in least.extra["agent_ids"]]
    lifted = [c for c in theirs if contact_parts(c)[0] == "median"]
    assert after[lifted].to_numpy().sum() > 0 and rows[lifted].to_numpy().sum() == 0
    assert after[theirs].to_numpy().sum() == pytest.approx(rows[theirs].to_numpy().sum())
    others = [c for c in contacts if c not in theirs]
    assert (after[others].to_numpy() == rows[others].to_numpy()).all()
    from empathica.decide.response import ChurnResponse
    from empathica.decide.levers import lever_columns

    model = ChurnResponse(n_bootstrap=5).fit(table[lever_columns(table)], table["churned"])
    assert value_lever(model, table, user).revenue == pytest.approx(value_lever(model, table, least).revenue)
    with pytest.raises(Exception, match="agent_nobody served no customer"):
        spec_lever(parse_scenarios("agents:agent_nobody:median")[0], table, Names.from_store(opened), served, opened)

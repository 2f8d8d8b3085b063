"""`empathica journeys discover` on files, including bad input."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from empathica.cli import main

BAD_LOG = """ticket,step,at,segment
1,web,2024-01-01 10:00:00,A
1,call,2024-01-01 10:30:00,A
1,buy,2024-01-01 10:20:00,A
,web,2024-01-01 10:00:00,A
2,web,not a time,B
2,web,2024-01-02 10:00:00,B
2,web,2024-01-02 10:00:00,B
2,buy,2024-01-02 11:00:00,B
3,web,,B
4,web,2024-01-03 09:00:00,A
"""


def _discover(tmp_path, path, *extra):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["journeys", "discover", str(path), "--case", "ticket", "--activity", "step",
                                       "--time", "at", "--out", str(out), *extra])
    return result, out


def test_bad_rows_are_quarantined_and_the_rest_is_analysed(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(BAD_LOG)
    result, out = _discover(tmp_path, path, "--goal", "buy", "--cohort", "segment")
    assert result.exit_code == 0, result.output
    q = pd.read_csv(out / "quarantine.csv")
    got = {(int(r.line), r.reason, r.action) for r in q.itertuples()}
    assert got == {
        (4, "out of order", "kept, ordered by time"),
        (5, "missing case", "dropped"),
        (6, "unparseable timestamp", "dropped"),
        (8, "duplicate event", "dropped"),
        (10, "missing time", "dropped"),
        (11, "single-event journey", "kept, no transitions"),
    }
    assert "6 of 10 events used" in result.output
    assert "unparseable timestamp (dropped): line(s) 6" in result.output
    dfg = pd.read_csv(out / "dfg.csv")
    # journey 1 re-ordered by time: web → buy → call; journey 2: web → buy (duplicate dropped)
    assert sorted(zip(dfg.source, dfg.target, dfg.transitions)) == [("buy", "call", 1), ("web", "buy", 2)]
    assert dfg.set_index(["source", "target"]).loc[("web", "buy"), "median_seconds"] == 2400.0
    for name in ["touchpoints.csv", "variants.csv", "friction.csv", "funnel.csv", "compare.csv"]:
        assert (out / name).exists(), name
    variants = pd.read_csv(out / "variants.csv")
    assert set(variants["variant"]) == {"web", "web → buy", "web → buy → call"}


def test_one_touchpoint_log_still_produces_results(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("ticket,step,at\n1,web,2024-01-01 10:00\n1,web,2024-01-01 10:05\n2,web,2024-01-01 11:00\n")
    result, out = _discover(tmp_path, path)
    assert result.exit_code == 0, result.output
    assert "single touchpoint ('web')" in result.output
    dfg = pd.read_csv(out / "dfg.csv")
    assert dfg[["source", "target", "transitions"]].values.tolist() == [["web", "web", 1]]


def test_parquet_input_and_cohort_pair(tmp_path):
    frame = pd.DataFrame({
        "ticket": ["1", "1", "2", "2", "3", "3"], "step": ["web", "buy", "web", "call", "web", "buy"],
        "at": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:05", "2024-01-01 11:00", "2024-01-01 12:00",
                              "2024-01-02 10:00", "2024-01-02 10:01"], utc=True),
        "segment": ["x", "x", "y", "y", "z", "z"],
    })
    path = tmp_path / "log.parquet"
    frame.to_parquet(path)
    result, out = _discover(tmp_path, path, "--cohort", "segment", "--cohorts", "x,y")
    assert result.exit_code == 0, result.output
    compare = pd.read_csv(out / "compare.csv")
    assert set(compare["cohort_a"]) == {"x"} and set(compare["cohort_b"]) == {"y"}
    assert pd.read_csv(out / "dfg.csv")["transitions"].sum() == 3


@pytest.mark.parametrize("args, message", [
    (["--case", "nope"], "no column 'nope' for --case"),
    (["--cohort", "segment", "--cohorts", "A,Q"], "cohort value(s) ['Q'] do not occur"),
])
def test_wrong_columns_give_one_clear_line(tmp_path, args, message):
    path = tmp_path / "log.csv"
    path.write_text(BAD_LOG)
    base = ["journeys", "discover", str(path), "--case", "ticket", "--activity", "step", "--time", "at", "--out", str(tmp_path / "o")]
    if args[0] == "--case":
        base[base.index("--case") + 1] = args[1]
        args = []
    result = CliRunner().invoke(main, base + args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_nothing_readable_is_a_clear_error(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("ticket,step,at\n1,web,yesterday\n,web,2024-01-01\n")
    result, _ = _discover(tmp_path, path)
    assert result.exit_code == 2
    assert "none of its 2 rows" in result.output


def test_missing_file_is_a_clear_error(tmp_path):
    result, _ = _discover(tmp_path, tmp_path / "nope.csv")
    assert result.exit_code == 2 and "no such file" in result.output


def test_latin1_semicolon_file_is_read(tmp_path):
    path = tmp_path / "klachten.csv"
    path.write_bytes("ticket;step;at\n1;één;2024-01-01 10:00\n1;twee;2024-01-01 11:00\n".encode("latin-1"))
    result, out = _discover(tmp_path, path)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out / "dfg.csv")["transitions"].tolist() == [1]


@pytest.mark.parametrize("touchpoint", ["[/web]", "[web] home", "[bold]x"])
def test_notes_print_touchpoints_and_paths_verbatim(tmp_path, touchpoint):
    folder = tmp_path / "d[" / "x]" / ("long-folder-name-" * 6)
    folder.mkdir(parents=True)
    path = folder / "ev.csv"
    path.write_text(f"ticket,step,at\n1,{touchpoint},2024-01-01 10:00\n1,{touchpoint},2024-01-01 10:05\n2,{touchpoint},bad\n")
    result, out = _discover(tmp_path, path)
    assert result.exit_code == 0, result.output
    # verbatim and on one line (not wrapped at 80 columns)
    assert f"note: {path}: the log has a single touchpoint ({touchpoint!r})" in result.output
    assert f"note: {path}: 1 row(s) unparseable timestamp (dropped): line(s) 4" in result.output


def test_conflicting_and_missing_cohort_labels_are_left_out_and_noted(tmp_path):
    rows = ["ticket,step,at,segment", "0,web,2024-01-01 10:00,A", "0,buy,2024-01-01 10:20,B",  # two labels
            "1,web,2024-01-02 10:00,", "1,buy,2024-01-02 10:20,"]  # none
    for c in range(2, 8):
        rows += [f"{c},web,2024-01-0{c} 10:00,{'A' if c % 2 else 'B'}", f"{c},buy,2024-01-0{c} 10:30,{'A' if c % 2 else 'B'}"]
    path = tmp_path / "cohort.csv"
    path.write_text("\n".join(rows) + "\n")
    result, out = _discover(tmp_path, path, "--cohort", "segment", "--goal", "buy")
    assert result.exit_code == 0, result.output
    assert "1 journey(s) carry more than one 'segment' value; they are left out" in result.output
    assert "1 journey(s) have no 'segment' value" in result.output
    compare = pd.read_csv(out / "compare.csv")
    assert compare[["n_journeys_a", "n_journeys_b"]].iloc[0].tolist() == [3, 3]


def test_goal_line_shows_counts_and_one_decimal(tmp_path):
    rows = ["ticket,step,at"]
    for c in range(1000):
        rows += [f"{c},web,2024-01-01 10:00", f"{c},{'buy' if c else 'call'},2024-01-01 10:05"]
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n")
    result, _ = _discover(tmp_path, path, "--goal", "buy")
    assert result.exit_code == 0, result.output
    assert "goal 'buy' reached by 999 of 1,000 journeys (99.9 %)" in result.output


@pytest.mark.parametrize("extra, message", [
    (["--cohort", "segment", "--cohorts", "A,A"], "--cohorts names 'A' twice"),
    (["--cohorts", "A,B"], "give that column with --cohort"),
    (["--cohort", "segment", "--cohorts", "A,Q"], "cohort value(s) ['Q'] do not occur"),
    (["--goal", "byu"], "the goal touchpoint 'byu' never occurs"),
])
def test_wrong_values_are_errors_before_any_file_is_written(tmp_path, extra, message):
    path = tmp_path / "log.csv"
    path.write_text(BAD_LOG)
    result, out = _discover(tmp_path, path, *extra)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


def test_parquet_dates_are_midnight_utc(tmp_path):
    frame = pd.DataFrame({"ticket": ["1", "1", "2", "2"], "step": ["web", "buy", "web", "buy"],
                          "at": [pd.Timestamp(d).date() for d in ["2024-01-01", "2024-01-03", "2024-01-02", "2024-01-02"]]})
    path = tmp_path / "dates.parquet"
    frame.to_parquet(path)
    result, out = _discover(tmp_path, path, "--goal", "buy")
    assert result.exit_code == 0, result.output
    dfg = pd.read_csv(out / "dfg.csv")
    assert dfg[["source", "target", "transitions", "median_seconds"]].values.tolist() == [["web", "buy", 2, 86400.0]]


def test_revenue_and_score_columns_feed_revenue_touched_and_satisfaction(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("ticket,step,at,cust,amount,csat\n"
                    "1,web,2024-01-01 10:00,u1,,\n1,call,2024-01-01 10:05,u1,,1\n1,buy,2024-01-01 10:10,u1,30,5\n"
                    "2,web,2024-01-01 11:00,u2,,\n2,call,2024-01-01 11:05,u2,,2\n2,buy,2024-01-01 11:10,u2,12.5,x\n"
                    "3,web,2024-01-01 12:00,u1,,9\n3,buy,2024-01-01 12:10,u1,8,4\n")
    result, out = _discover(tmp_path, path, "--goal", "buy", "--customer", "cust", "--revenue", "amount", "--score", "csat",
                            "--min-transitions", "1")
    assert result.exit_code == 0, result.output
    friction = pd.read_csv(out / "friction.csv").set_index(["source", "target"])
    # revenue touched: the customers who traversed the pathway, their amounts summed (u1: 30 + 8, u2: 12.5)
    assert friction.loc[("web", "call"), "revenue"] == 50.5
    assert friction.loc[("web", "buy"), "revenue"] == 38.0
    # sentiment after = mean of (CSAT − 3) / 2 per customer about the target: call ← u1 (1), u2 (2)
    assert friction.loc[("web", "call"), "sentiment_after"] == pytest.approx(((1 - 3) / 2 + (2 - 3) / 2) / 2)
    touchpoints = pd.read_csv(out / "touchpoints.csv").set_index("touchpoint")
    assert touchpoints.loc["buy", "satisfaction"] == pytest.approx(4.5)
    assert touchpoints.loc["buy", "feedback_responses"] == 2
    q = pd.read_csv(out / "quarantine.csv")
    assert {(int(r.line), r.field, r.reason, r.action) for r in q.itertuples()} == {
        (7, "csat", "not a number", "kept, value ignored"), (8, "csat", "score outside 1–5", "kept, value ignored"),
    }


def _before_after_log(path):
    """60 journeys before 2024-03-01 and 60 from it on: before, half of them detour web → call → web → buy;
    after the fix, none does (and web → buy gets faster)."""
    rows = ["ticket,step,at"]
    for j in range(120):
        after = j >= 60
        day = pd.Timestamp("2024-03-01" if after else "2024-02-01") + pd.Timedelta(days=(j - 60 * after) // 4)
        steps = ["web", "buy"] if after or j % 2 else ["web", "call", "web", "buy"]
        for k, step in enumerate(steps):
            rows.append(f"{j},{step},{(day + pd.Timedelta(minutes=(5 if after else 30) * k)).isoformat()}")
    path.write_text("\n".join(rows) + "\n")


def test_change_at_compares_journeys_before_and_after_a_change(tmp_path):
    path = tmp_path / "log.csv"
    _before_after_log(path)
    result, out = _discover(tmp_path, path, "--change-at", "2024-03-01", "--goal", "buy")
    assert result.exit_code == 0, result.output
    compare = pd.read_csv(out / "compare.csv").set_index(["source", "target"])
    assert set(compare["cohort_a"]) == {"before"} and set(compare["cohort_b"]) == {"after"}
    assert (compare["n_journeys_a"] == 60).all() and (compare["n_journeys_b"] == 60).all()
    detour = compare.loc[("web", "call")]
    assert detour["share_a"] == 0.5 and detour["share_b"] == 0.0 and detour["significant_share"]
    assert compare.loc[("web", "buy"), "significant_duration"]  # 30 min before, 5 min after
    assert "Cohorts 'before' vs 'after' (60 vs 60 journeys)" in result.output
    # journeys 56–59 start at 2024-02-15 00:00 UTC: a journey starting exactly at the moment is "after";
    # an offset is honoured (00:30+01:00 is 23:30 UTC the day before: the same split)
    for moment in ("2024-02-15T00:00:00", "2024-02-15T00:30+01:00"):
        result, out = _discover(tmp_path, path, "--change-at", moment)
        assert result.exit_code == 0, result.output
        compare = pd.read_csv(out / "compare.csv")
        assert (int(compare["n_journeys_a"].iloc[0]), int(compare["n_journeys_b"].iloc[0])) == (56, 64), moment
    result, out = _discover(tmp_path, path, "--change-at", "2024-02-15T00:30:00")
    compare = pd.read_csv(out / "compare.csv")
    assert (int(compare["n_journeys_a"].iloc[0]), int(compare["n_journeys_b"].iloc[0])) == (60, 60)


@pytest.mark.parametrize("extra, message", [
    (["--change-at", "next tuesday"], "is not an ISO 8601 date or time"),
    (["--change-at", "2030-01-01"], "leaves 120 journey(s) starting before it and 0 from it on"),
    (["--change-at", "2024-03-01", "--cohort", "step"], "--change-at and --cohort both choose"),
])
def test_change_at_errors_are_clear_and_write_nothing(tmp_path, extra, message):
    path = tmp_path / "log.csv"
    _before_after_log(path)
    result, out = _discover(tmp_path, path, *extra)
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output and not out.exists()


def _many_variants_log(path):
    """20 journeys over 6 distinct paths: a → b (8 journeys), a → c (5), a → b → c (3), then three paths once each
    (a → d, b → a, c → a); the last journey's first row is written twice."""
    paths = [["a", "b"]] * 8 + [["a", "c"]] * 5 + [["a", "b", "c"]] * 3 + [["a", "d"], ["b", "a"], ["c", "a"], ["a", "b"]]
    rows = ["ticket,step,at"]
    for case, steps in enumerate(paths):
        rows += [f"{case},{step},2024-01-01 10:{k:02d}:00" for k, step in enumerate(steps)]
    rows.append(rows[-2])
    path.write_text("\n".join(rows) + "\n")


def test_variants_are_bounded_with_the_rest_summarised_and_complete_on_request(tmp_path):
    path = tmp_path / "log.csv"
    _many_variants_log(path)
    result, out = _discover(tmp_path, path, "--goal", "b", "--max-variants", "2")
    assert result.exit_code == 0, result.output
    variants = pd.read_csv(out / "variants.csv")
    assert variants["variant"].tolist() == ["a → b", "a → c", "(4 other variants)"]
    assert variants["journeys"].tolist() == [9, 5, 6] and variants["journeys"].sum() == 20
    assert variants["share"].iloc[-1] == pytest.approx(6 / 20)
    assert "6 variants" in result.output  # the summary counts every variant, not only those written

    full, out_full = _discover(tmp_path / "all", path, "--goal", "b", "--all-variants")
    assert full.exit_code == 0, full.output
    every = pd.read_csv(out_full / "variants.csv")
    assert len(every) == 6 and every["journeys"].sum() == 20 and every["journeys"].is_monotonic_decreasing
    assert every.set_index("variant").loc["a → b → c", "journeys"] == 3
    # the bounded table's rows are the full table's first rows
    pd.testing.assert_frame_equal(variants.head(2).drop(columns="reaches_goal"), every.head(2).drop(columns="reaches_goal"),
                                  check_dtype=False)


def test_outputs_in_parquet(tmp_path):
    path = tmp_path / "log.csv"
    _many_variants_log(path)
    result, out = _discover(tmp_path, path, "--goal", "b", "--format", "parquet")
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"dfg.parquet", "variants.parquet", "friction.parquet", "friction_ablation.parquet", "quarantine.parquet"} <= names
    dfg = pd.read_parquet(out / "dfg.parquet")
    assert dfg.set_index(["source", "target"]).loc[("a", "b"), "transitions"] == 12
    ablation = pd.read_parquet(out / "friction_ablation.parquet")
    assert ablation["dropped"].iloc[0] == "none"
    quarantine = pd.read_parquet(out / "quarantine.parquet")
    assert quarantine["reason"].tolist() == ["duplicate event"] and quarantine["line"].tolist() == [45]  # header + 43 rows + the copy

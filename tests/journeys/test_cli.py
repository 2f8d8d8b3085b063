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

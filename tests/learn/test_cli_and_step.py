"""What a user runs: `empathica actions …`, `empathica learn …` and the learn step of the flywheel, on a
small demo world ingested through Listen; bad input gives one clear line, not a traceback."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from empathica.cli import main
from empathica.flywheel.registry import run_flywheel
from empathica.report.html import render_report, report_from_store
from empathica.settings import Settings
from empathica.store import Store
from tests.decide.agreement import disagreements
from tests.learn.conftest import EFFECT_TABLES, world_store


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return world_store(tmp_path_factory.mktemp("learn_cli"), seed=3, customers=1500,
                       tables=(*EFFECT_TABLES, "feedback", "transactions", "reviews", "experiments"))


@pytest.fixture
def db(world, tmp_path):
    copy = tmp_path / "store.duckdb"
    shutil.copy(world[0], copy)
    return str(copy)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_actions_are_recorded_listed_and_measured_from_the_cli(db, tmp_path):
    added = run("actions", "add", "--db", db, "--title", "New IVR menu", "--starts", "2024-03-01",
                "--touchpoint", "call_centre", "--metric", "friction", "--direction", "down", "--id", "act_ivr")
    assert added.exit_code == 0 and "recorded action act_ivr" in added.output
    listed = run("actions", "list", "--db", db)
    assert "act_ivr" in listed.output and "act_coaching_2024_01" in listed.output
    effect = run("learn", "effect", "--db", db, "--action", "act_ivr", "--action", "act_coaching_2024_01", "--event-study")
    assert effect.exit_code == 0, effect.output
    assert "act_ivr" in effect.output and "friction" in effect.output and "churn" in effect.output
    assert "observational" in effect.output and "Event study" in effect.output
    cases = tmp_path / "cases.csv"
    pd.DataFrame({"case_id": ["C-1", "C-2"], "status": ["closed", "open"], "root_cause": ["courier misses slots", None],
                  "resolution": ["Switched courier in DE", None], "closed_at": ["2024-02-01", None],
                  "touchpoint_id": ["delivery", None]}).to_csv(cases, index=False)
    converted = run("actions", "from-cases", "--db", db, cases)
    assert converted.exit_code == 0 and "act_case_C-1" in converted.output
    again = run("actions", "from-cases", "--db", db, cases)  # a case becomes an action once
    assert "recorded 0 action(s)" in again.output


@pytest.mark.parametrize("args, message", [
    (["actions", "add", "--title", "x", "--starts", "2024-13-01"], "is not a date"),
    (["actions", "add", "--title", "x", "--starts", "2024-01-01", "--agents", "agent_99"], "unknown employee_id agent_99"),
    (["actions", "add", "--title", "x", "--starts", "2024-01-01", "--metric", "mood"], "expected_metric 'mood'"),
    (["learn", "effect", "--action", "nope"], "no action nope"),
    (["learn", "experiments", "--metric", "churn", "--experiment", "nope"], "no experiment nope"),
])
def test_bad_input_is_one_clear_line(db, args, message):
    result = run(*args[:2], "--db", db, *args[2:])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_stored_experiments_are_analysed_from_the_cli(db):
    result = run("learn", "experiments", "--db", db, "--metric", "revenue")
    assert result.exit_code == 0, result.output
    assert "exp_free_delivery_2023_07" in result.output and "newsletter" in result.output
    assert "exp_home_banner_2024_01" in result.output and "Holm" in result.output


def test_experiment_and_power_commands(tmp_path):
    rng = np.random.default_rng(3)
    n = 4000
    before = rng.normal(7, 2, n)
    arm = np.where(rng.random(n) < 0.5, "treatment", "control")
    after = before + rng.normal(0, 1, n) + 0.3 * (arm == "treatment")
    path = tmp_path / "ab.csv"
    pd.DataFrame({"arm": arm, "csat_after": after.round(3), "csat_before": before.round(3)}).to_csv(path, index=False)
    result = run("learn", "experiment", path, "--arm", "arm", "--outcome", "csat_after", "--pre", "csat_before")
    assert result.exit_code == 0, result.output
    assert "variance_reduction" in result.output and "always_valid_low" in result.output
    power = run("learn", "power", "--mde", "0.02", "--rate", "0.2")
    assert power.exit_code == 0 and "6,280 units per arm" in power.output
    bad = run("learn", "power", "--mde", "0.02", "--rate", "1.5")
    assert bad.exit_code == 2 and "between 0 and 1" in bad.output


def test_the_learn_step_stores_effects_benchmark_and_timeline_and_reports_them(db):
    with Store.open(db) as store:
        (section,) = run_flywheel(store, only=["learn"])
        assert not section.skipped, section.skipped
        effects = store.read_result("learn_effects")
        timeline = store.read_result("learn_timeline")
        comparison = store.read_result("learn_benchmark_comparison")
        experiments = store.read_result("learn_experiments")
        disagree = disagreements([section], store.read_result)  # each headline says what its stored row holds
    assert disagree == [] and any(f.message_id == "learn.effect" for f in section.summary)
    assert {"act_coaching_2024_01", "act_elearning_2023_11"} <= set(effects["action_id"])
    assert {"churn", "csat", "revenue", "friction"} <= set(effects["metric"])  # NPS answers are few at this size
    assert (effects["design"].str.startswith("observational")).all()
    assert {"learn", "cx dimension"} <= set(timeline["stage"])  # only learn ran: its own KPIs, nothing invented
    assert timeline.loc[timeline["kpi"] == "action effects measured", "value"].tolist() == [len(effects)]
    assert {"delivery", "price"} <= set(comparison["area"])
    captions = {getattr(b.caption, "message_id", "") for b in section.blocks if type(b).__name__ == "Figure"}
    assert {"learn.caption.event_study", "learn.caption.index_over_time"} <= captions  # the index per quarter, drawn
    primary = experiments[experiments["primary"]]  # each experiment's declared metric, every arm against control
    assert set(zip(primary["experiment_id"], primary["metric"])) == {("exp_free_delivery_2023_07", "revenue"),
                                                                     ("exp_home_banner_2024_01", "churn")}
    assert {"revenue", "churn", "friction", "csat"} <= set(experiments["metric"])
    headlines = [f for f in section.summary if f.message_id == "learn.experiment"]
    assert len(headlines) == len(primary) == 3  # free delivery and newsletter against control; the banner
    html = render_report([section], title="Learn")
    assert "Observational design" in html and 'title="learn_effects"' in html
    assert 'title="learn_experiments"' in html and "Holm-adjusted over the arms" in html
    german = render_report([section], title="Learn", lang="de")
    assert "Beobachtungsdesign" in german and "Observational design" not in german
    assert "nach Holm über die Varianten korrigiert" in german


def test_the_timeline_takes_one_value_per_kept_run_from_the_run_history_with_actions_marked(db, tmp_path):
    with Store.open(db, settings=Settings.load(db_path=db, runs_kept=2, progress=False)) as store:
        for _ in range(3):  # the third run pushes the first out of the history (runs_kept = 2)
            *_, section = run_flywheel(store, only=["journeys", "learn"])
        timeline = store.read_result("learn_timeline")
        kept = store.runs.published()[:2]
        touchpoints = store.runs.history("journey_touchpoints").to_pandas()
        assert len(store.runs.published()) == 3
        stored_report = report_from_store(store, tmp_path / "report", title="t", lang="de", currency="EUR")
    german = stored_report.read_text(encoding="utf-8")  # findings kept in the store render in another language
    assert "Beobachtungsdesign" in german and "Das Schwungrad im Zeitverlauf" in german
    assert sorted(timeline["source_run"].unique()) == sorted(kept)
    assert {"touchpoints", "pathways", "delivery", "ecosystem"} <= set(timeline["dimension"])
    assert {"listen", "learn", "cx dimension"} <= set(timeline["stage"])
    dropoff = timeline[timeline["kpi"] == "drop-off share of visits"].set_index("source_run")["value"]
    for run_id in kept:  # each run's value is computed from the rows that run stored
        rows = touchpoints[touchpoints["run_id"] == run_id]
        assert dropoff[run_id] == pytest.approx(rows["dropoffs"].sum() / rows["events"].sum(), abs=1e-4)
    assert (timeline["month"] == timeline["run_started_at"].dt.strftime("%Y-%m")).all()
    figures = [b for b in section.blocks if type(b).__name__ == "Figure"]
    assert any(getattr(f.caption, "message_id", "") == "learn.caption.timeline" for f in figures)


def test_the_benchmark_command_reads_a_reviews_file(tmp_path):
    rows = []
    for k in range(12):
        rows.append({"review_id": f"l{k}", "brand": "Lumen", "is_own": "true", "rating": 1 + k % 2,
                     "text": "The delivery was late again, a week late.", "timestamp": f"2024-0{1 + k % 6}-10"})
        rows.append({"review_id": f"v{k}", "brand": "Voltera", "is_own": "false", "rating": 5 - k % 2,
                     "text": "Super fast delivery, at my door within a day.", "timestamp": f"2024-0{1 + k % 6}-12"})
    path = tmp_path / "reviews.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    result = run("learn", "benchmark", path, "--over-time")
    assert result.exit_code == 0, result.output
    line = next(li for li in result.output.splitlines() if "delivery" in li and "rating" in li and "Voltera" in li)
    assert "we are worse" in line
    bad = tmp_path / "bad.csv"
    pd.DataFrame(rows).drop(columns="rating").to_csv(bad, index=False)
    result = run("learn", "benchmark", bad)
    assert result.exit_code == 2 and "missing column(s) rating" in result.output

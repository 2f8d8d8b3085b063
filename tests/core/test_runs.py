"""Runs: recorded in the runs table, published atomically (a failed or killed run leaves the previous results
visible and complete), readers see the last published results while a run goes, the last runs_kept are kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from empathica.flywheel import registered_steps, registry, run_flywheel, step
from empathica.report import Section
from empathica.schema.results import RESULTS, Result
from empathica.settings import Settings
from empathica.store import Store

SCORE = Result("t_score", "t_writer", "one item", "test result", (("item", "string"), ("score", "float")))
NOTE = Result("t_note", "t_writer", "one note", "test result", (("note", "string"),))


@pytest.fixture
def steps(monkeypatch):
    """A step ``t_writer`` writing two declared results; ``behaviour`` says what it does after the first."""
    registered_steps()
    monkeypatch.setattr(registry, "_STEPS", dict(registry._STEPS))
    monkeypatch.setattr(registry, "_discover", lambda: None)
    monkeypatch.setitem(RESULTS, SCORE.name, SCORE)
    monkeypatch.setitem(RESULTS, NOTE.name, NOTE)
    behaviour = {"value": 1.0, "fail": False}

    @step("t_writer", title="Writer", reads=("customers",))
    def writer(ctx):
        ctx.store.write_result(SCORE, pd.DataFrame({"item": ["a", "b"], "score": [behaviour["value"]] * 2}), step="t_writer")
        if behaviour["fail"]:
            raise RuntimeError("a bug half way through the step")
        ctx.store.write_result(NOTE, pd.DataFrame({"note": [f"value {behaviour['value']}"]}), step="t_writer")
        return Section(key="t_writer", title="Writer")

    return behaviour


def test_a_run_is_recorded_and_stamps_its_rows(store, steps):
    run_flywheel(store, only=["t_writer"])
    (run,) = store.runs.list().to_dict("records")
    assert run["status"] == "published" and run["steps"] == "t_writer" and run["finished_at"] >= run["started_at"]
    assert len(run["settings_hash"]) == 16 and run["code_version"]
    assert set(store.read_result(SCORE)["run_id"]) == set(store.read_result(NOTE)["run_id"]) == {run["run_id"]}


def test_a_failed_run_leaves_the_previous_results_complete(store, steps):
    run_flywheel(store, only=["t_writer"])
    steps.update(value=2.0, fail=True)
    with pytest.raises(RuntimeError):
        run_flywheel(store, only=["t_writer"])
    failed, published = store.runs.list().to_dict("records")
    assert failed["status"] == "failed" and "half way" in failed["message"]
    assert store.read_result(SCORE)["score"].tolist() == [1.0, 1.0]  # not the failed run's 2.0
    assert set(store.read_result(SCORE)["run_id"]) == {published["run_id"]}
    assert store.read_result(NOTE)["note"].tolist() == ["value 1.0"]


def test_readers_see_the_published_results_until_the_run_publishes(store, steps):
    run_flywheel(store, only=["t_writer"])
    seen = []

    @step("t_reader_check", title="Check", after=("t_writer",))
    def check(ctx):
        reader = ctx.store.reader()
        try:
            seen.append(reader.read_result(SCORE)["score"].tolist())  # while this run has written 2.0
        finally:
            reader.close()
        return Section(key="t_reader_check", title="Check")

    steps["value"] = 2.0
    run_flywheel(store, only=["t_writer", "t_reader_check"])
    assert seen == [[1.0, 1.0]]
    assert store.read_result(SCORE)["score"].tolist() == [2.0, 2.0]


def test_the_last_runs_kept_stay_in_history(tmp_path, steps):
    settings = Settings.load(config_file=tmp_path / "none.toml", progress=False, runs_kept=2)
    with Store.open(tmp_path / "h.duckdb", settings=settings) as store:
        for value in (1.0, 2.0, 3.0):
            steps["value"] = value
            run_flywheel(store, only=["t_writer"])
        history = store.runs.history(SCORE).to_pandas()
        newest = store.runs.published()[:2]
    assert set(history["run_id"]) == set(newest)
    assert sorted(history["score"].unique()) == [2.0, 3.0]


_KILLED_RUN = """
import sys, time
import pandas as pd
from empathica.flywheel import registry, run_flywheel, step
from empathica.report import Section
from empathica.schema.results import RESULTS, Result
from empathica.settings import Settings
from empathica.store import Store
RESULTS["t_score"] = Result("t_score", "t_writer", "one item", "test", (("item", "string"), ("score", "float")))
registry._discover = lambda: None  # only this script's step
value = float(sys.argv[2])

@step("t_writer", title="Writer")
def writer(ctx):
    ctx.store.write_result("t_score", pd.DataFrame({"item": ["a"], "score": [value]}), step="t_writer")
    if value > 1:
        open(sys.argv[1] + ".written", "w").close()
        time.sleep(120)
    return Section(key="t_writer", title="Writer")

settings = Settings.load(config_file="none.toml", progress=False)
with Store.open(sys.argv[1], settings=settings) as store:
    run_flywheel(store, only=["t_writer"])
"""


def test_a_killed_run_publishes_nothing(tmp_path):
    db = str(tmp_path / "k.duckdb")
    script = tmp_path / "run.py"
    script.write_text(_KILLED_RUN, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    subprocess.run([sys.executable, str(script), db, "1"], check=True, env=env, cwd=tmp_path, timeout=120)
    proc = subprocess.Popen([sys.executable, str(script), db, "2"], env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        while not Path(db + ".written").exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    settings = Settings.load(config_file=tmp_path / "none.toml", progress=False)
    with Store.open(db, settings=settings) as store:
        assert store.con.table("result_t_score").to_pandas()["score"].tolist() == [1.0]
        statuses = store.runs.list()["status"].tolist()
        assert statuses == ["running", "published"]  # until the next run marks it
        store.runs.begin(steps=[])
        store.runs.fail("test over")
        assert store.runs.list()["status"].tolist() == ["failed", "killed", "published"]

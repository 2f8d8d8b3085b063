import pytest

from empathica.errors import EmpathicaError, NotEnoughDataError
from empathica.flywheel import registry
from empathica.flywheel import registered_steps, run_flywheel, step
from empathica.report import Metric, Section
from empathica.report.i18n import render


@pytest.fixture
def isolated_registry(monkeypatch):
    """Steps registered in a test do not leak into the real registry."""
    registered_steps()  # discover the real steps first
    monkeypatch.setattr(registry, "_STEPS", dict(registry._STEPS))
    monkeypatch.setattr(registry, "_discover", lambda: None)
    return registry._STEPS


def test_the_overview_step_is_discovered_and_runs_first(store):
    names = [s.name for s in registered_steps()]
    assert names[0] == "overview"
    sections = run_flywheel(store, only=["overview"])
    assert sections[0].title == "Data overview"
    assert render(sections[0].summary[0]).startswith("0 rows stored")


def test_dependencies_run_first_and_results_flow_between_steps(store, isolated_registry):
    seen = []

    @step("t_late", title="Late", after=("t_early",), order=1)
    def late(ctx):
        seen.append(("late", ctx.sections["t_early"].data["value"]))
        return Section(key="t_late", title="Late", summary=["late ran"])

    @step("t_early", title="Early", order=99)
    def early(ctx):
        seen.append(("early", None))
        return Section(key="t_early", title="Early", data={"value": 42}).add(Metric("answer", "42"))

    sections = run_flywheel(store, only=["t_early", "t_late"])
    assert [s.key for s in sections] == ["t_early", "t_late"]
    assert seen == [("early", None), ("late", 42)]


def test_a_step_without_enough_data_is_skipped_with_its_reason_and_its_dependents_too(store, isolated_registry):
    @step("t_needs_events", title="Needs events", order=1)
    def needs(ctx):
        raise NotEnoughDataError("no events in the store; ingest an event log first.")

    @step("t_after", title="After", after=("t_needs_events",), order=2)
    def after(ctx):  # pragma: no cover - must not run
        raise AssertionError("ran although its dependency was skipped")

    @step("t_independent", title="Independent", order=3)
    def independent(ctx):
        return Section(key="t_independent", title="Independent", summary=["ok"])

    sections = {s.key: s for s in run_flywheel(store, only=["t_needs_events", "t_after", "t_independent"])}
    assert "no events in the store" in sections["t_needs_events"].skipped
    assert sections["t_after"].skipped
    assert sections["t_independent"].summary == ["ok"]


def test_cycles_and_unknown_dependencies_are_refused(isolated_registry):
    @step("t_a", title="A", after=("t_b",))
    def a(ctx):
        return Section(key="t_a", title="A")

    @step("t_b", title="B", after=("t_a",))
    def b(ctx):
        return Section(key="t_b", title="B")

    with pytest.raises(EmpathicaError, match="cycle"):
        registered_steps()
    isolated_registry.pop("t_b")
    with pytest.raises(EmpathicaError, match="unknown step"):
        registered_steps()


def test_each_step_reports_its_time_on_the_console(store, isolated_registry):
    from rich.console import Console

    from empathica.settings import Settings

    @step("t_timed", title="Timed", order=1)
    def timed(ctx):
        return Section(key="t_timed", title="Timed", summary=["ok"])

    @step("t_refuses", title="Refuses", order=2)
    def refuses(ctx):
        raise NotEnoughDataError("nothing to do")

    console = Console(record=True, width=200)
    run_flywheel(store, settings=Settings(progress=True), console=console, only=["t_timed", "t_refuses"])
    text = console.export_text()
    assert "Timed: done in " in text and "Refuses: skipped in " in text
    quiet = Console(record=True, width=200)
    run_flywheel(store, settings=Settings(progress=False), console=quiet, only=["t_timed"])
    assert "done in" not in quiet.export_text()

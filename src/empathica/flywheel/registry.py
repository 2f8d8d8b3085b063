"""The single registration point for analysis steps, and the runner that executes them."""

from __future__ import annotations

import importlib
import pkgutil
import time
from dataclasses import dataclass, field
from typing import Callable

from rich.console import Console

from empathica.errors import AnalysisError, EmpathicaError
from empathica.report import Finding, Section
from empathica.report.archive import save_sections
from empathica.schema.results import results_of
from empathica.settings import Settings
from empathica.store import Store


@dataclass
class RunContext:
    """What a step gets: the store, the settings, a console, and the sections of earlier steps."""

    store: Store
    settings: Settings
    console: Console
    sections: dict[str, Section] = field(default_factory=dict)

    @property
    def progress(self) -> bool:
        return self.settings.progress and self.console.is_terminal


@dataclass(frozen=True)
class Step:
    """An analysis step: computes results into the store and returns its report section."""

    name: str
    title: str
    run: Callable[[RunContext], Section]
    after: tuple[str, ...] = ()
    order: int = 100
    reads: tuple[str, ...] = ()  # canonical tables and declared results it reads

    @property
    def writes(self) -> tuple[str, ...]:
        """The declared results this step writes (``schema/results.py`` names the writer of each)."""
        return tuple(r.name for r in results_of(self.name))


_STEPS: dict[str, Step] = {}


def step(name: str, *, title: str, after: tuple[str, ...] = (), order: int = 100, reads: tuple = ()):
    """Register ``run(ctx) -> Section`` as the analysis step ``name``.

    ``after`` names steps whose results this one reads; ``order`` places the section in the report
    among steps that do not depend on each other (lower first); ``reads`` lists the canonical tables and
    declared results (:mod:`empathica.schema.results`) it reads. What it writes is declared with each result.
    """

    def register(run: Callable[[RunContext], Section]) -> Callable[[RunContext], Section]:
        if name in _STEPS and _STEPS[name].run.__qualname__ != run.__qualname__:
            raise EmpathicaError(f"two analysis steps are both called {name!r}")
        _STEPS[name] = Step(name=name, title=title, run=run, after=tuple(after), order=order,
                            reads=tuple(str(r) for r in reads))
        return run

    return register


def _discover() -> None:
    package = importlib.import_module("empathica.flywheel.steps")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")


def registered_steps() -> list[Step]:
    """Every registered step: each after the steps it reads, otherwise by ``order`` (lowest first)."""
    _discover()
    for s in _STEPS.values():
        unknown = [d for d in s.after if d not in _STEPS]
        if unknown:
            raise EmpathicaError(f"step {s.name} runs after unknown step(s) {unknown}")
    pending = sorted(_STEPS.values(), key=lambda s: (s.order, s.name))
    ordered: list[Step] = []
    done: set[str] = set()
    while pending:
        ready = next((s for s in pending if all(d in done for d in s.after)), None)
        if ready is None:
            names = ", ".join(s.name for s in pending)
            raise EmpathicaError(f"analysis steps depend on each other in a cycle: {names}")
        ordered.append(ready)
        done.add(ready.name)
        pending.remove(ready)
    return ordered


def run_flywheel(
    store: Store,
    *,
    settings: Settings | None = None,
    console: Console | None = None,
    only: list[str] | None = None,
    on_step: Callable[[str, int, int], None] | None = None,
) -> list[Section]:
    """Run every registered step (or those in ``only``) as one run and return their report sections in order.

    The run is recorded in the store's ``runs`` table and publishes its results atomically: when a step
    fails with a bug or the process is interrupted, nothing it wrote becomes visible. A step that finds its
    data unfit raises :class:`AnalysisError`; its section then says why it was skipped and the other steps
    still run. Any other exception is a bug and propagates. ``on_step(name, done, total)`` reports progress.
    """
    steps = [s for s in registered_steps() if only is None or s.name in only]
    store.runs.begin(steps=[s.name for s in steps])
    try:
        sections = _run_steps(store, steps, settings=settings or store.settings,
                              console=console or Console(stderr=True), on_step=on_step)
        save_sections(store, sections, order=[s.name for s in registered_steps()])  # the report is a function of the store
    except BaseException as exc:  # a bug, Ctrl-C, a server shutting down: nothing of this run is published
        store.runs.fail(f"{type(exc).__name__}: {exc}")
        raise
    store.runs.publish()
    return sections


def _run_steps(store: Store, steps: list[Step], *, settings: Settings, console: Console,
               on_step: Callable[[str, int, int], None] | None) -> list[Section]:
    ctx = RunContext(store=store, settings=settings, console=console)
    sections: list[Section] = []
    for done, s in enumerate(steps):
        if on_step is not None:
            on_step(s.name, done, len(steps))
        if any(dep in ctx.sections and ctx.sections[dep].skipped for dep in s.after):
            section = Section(key=s.name, title=s.title, skipped=Finding("report.not_run.dependency"))
        else:
            started = time.perf_counter()
            with console.status(f"[bold]{s.title}[/bold] …", spinner="dots") if ctx.progress else _Null():
                try:
                    section = s.run(ctx)
                except AnalysisError as exc:
                    section = Section(key=s.name, title=s.title,
                                      skipped=Finding(exc.reason_id, exc.reason_values) if exc.reason_id else str(exc))
            if settings.progress:  # also when not a terminal: a log of a long run shows where time went
                outcome = "skipped" if section.skipped else "done"
                console.print(f"  {s.title}: {outcome} in {time.perf_counter() - started:,.1f} s", markup=False)
        ctx.sections[s.name] = section
        sections.append(section)
    if on_step is not None:
        on_step("", len(steps), len(steps))
    return sections


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None

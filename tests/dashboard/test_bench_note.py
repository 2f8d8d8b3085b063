"""The dashboard benchmark says how loaded the machine was from the load it measured, not from a fixed phrase."""

from __future__ import annotations

from bench.bench_dashboard import LoadWatch, machine_note

FIGURES = {"/ui/summary": {"p95": 0.05}, "/ui/voice/texts": {"p95": 0.25}}


def test_the_note_follows_the_measured_load_and_names_the_slowest_page():
    quiet = machine_note((1.7, 1.3, 1.2), FIGURES, cores=2)
    assert "quiet machine" in quiet and "loaded" not in quiet and "1.7 / 1.3 / 1.2" in quiet
    assert "Every page's p95 is under the 1.5 s goal" in quiet and "`/ui/voice/texts`, 0.25 s" in quiet
    loaded = machine_note((12.4, 10.0, 8.1), {**FIGURES, "/ui/journeys": {"p95": 2.3}}, cores=2)
    assert "loaded machine" in loaded and "12.4" in loaded and "1 of 3 pages miss" in loaded


def test_the_load_watch_keeps_the_highest_load_seen():
    with LoadWatch(every=0.01) as watch:
        pass
    assert len(watch.highest) == 3 and all(v >= 0 for v in watch.highest)

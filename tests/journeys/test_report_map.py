"""The journey map in the report: top friction pathways and self-loops are drawn; readable labels and durations."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from empathica.cli import main  # noqa: E402
from empathica.demo import TRUTHS, generate_world  # noqa: E402
from empathica.flywheel import run_flywheel  # noqa: E402
from empathica.report import Figure, TableBlock, figure_from_matplotlib  # noqa: E402
from empathica.understand.journeys._map import MAP_PATHWAY_COLUMNS, journey_map  # noqa: E402
from empathica.report.figures import FigureWords  # noqa: E402
from empathica.report.i18n import render  # noqa: E402

READABLE = re.compile(r"^(\d+ s|-?\d+\.\d (min|h|d))$")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The 2,000-customer demo world (the reviewer's report) after the journeys step."""
    from empathica.listen import ingest_files
    from empathica.settings import Settings
    from empathica.store import Store

    tmp = tmp_path_factory.mktemp("journeys_map")
    world = generate_world(tmp / "world", customers=2000, seed=7)
    settings = Settings.load(config_file=tmp / "none.toml", progress=False)
    with Store.open(tmp / "demo.duckdb", settings=settings) as store:
        ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
        (section,) = run_flywheel(store, only=["journeys"])
        assert not section.skipped, section.skipped
        yield {"section": section, "friction": store.read_result("journey_friction"),
               "dfg": store.read_result("journey_dfg"), "touchpoints": store.read_result("journey_touchpoints"),
               "compare": store.read_result("journey_compare")}


def _pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["source"], frame["target"]))


def test_map_draws_every_top_friction_pathway_and_the_self_loops(demo):
    friction, dfg = demo["friction"], demo["dfg"]
    m = journey_map(demo["touchpoints"], dfg, friction)
    drawn = m.pathways
    assert list(drawn.columns) == MAP_PATHWAY_COLUMNS
    top10 = friction.head(10)
    # the top 10 friction pathways are all drawn, each with its rank
    ranks = {(r.source, r.target): int(r.friction_rank) for r in drawn.dropna(subset=["friction_rank"]).itertuples()}
    assert ranks == {(r.source, r.target): int(r.rank) for r in top10.itertuples()}
    assert ranks[TRUTHS.friction_pathway] == 1
    # the data reproduces the reviewer's case: top-friction pathways outside the busiest 30, and loops
    busiest30 = _pairs(dfg.sort_values(["transitions", "source", "target"], ascending=[False, True, True]).head(30))
    assert _pairs(top10) - busiest30, "the demo world no longer has a rare top-friction pathway"
    assert _pairs(top10) <= _pairs(drawn)
    loops_in_top = {p for p in _pairs(top10) if p[0] == p[1]}
    assert ("call_centre", "call_centre") in loops_in_top  # repeated calls after a failed payment
    assert loops_in_top <= _pairs(drawn[drawn["self_loop"]])
    # the busiest 30 are drawn too; every drawn pathway is busiest or top friction; nothing else
    assert busiest30 <= _pairs(drawn[drawn["busiest"]])
    assert (drawn["busiest"] | drawn["top_friction"]).all()
    assert len(drawn) == len(busiest30 | _pairs(top10))
    # every drawn touchpoint is a node; the counts of what is left out add up
    assert set(drawn["source"]) | set(drawn["target"]) <= set(m.nodes["touchpoint"])
    assert m.left_out_pathways == len(dfg) - len(drawn)
    assert m.left_out_transitions == int(dfg["transitions"].sum()) - int(drawn["transitions"].sum())


def test_report_section_draws_the_map_it_describes(demo):
    section = demo["section"]
    drawn = {(s, t): (rank, loop) for s, t, rank, loop in section.data["map_pathways"]}
    for r in demo["friction"].head(10).itertuples():
        assert drawn[(r.source, r.target)] == (int(r.rank), r.source == r.target)
    (figure,) = [b for b in section.blocks if isinstance(b, Figure)]
    assert figure.png.startswith(b"\x89PNG")
    caption = render(figure.caption)  # a finding, here in English
    assert "10 highest-friction" in caption and "30 busiest" in caption
    assert "Self-loops" in caption and "loops on their node" in caption
    n_left = len(demo["dfg"]) - len(drawn)
    assert f"Left out: {n_left} less busy, lower-friction pathway(s)" in caption


def test_figure_carries_loop_notes_rank_badges_and_non_overlapping_labels(demo):
    m = journey_map(demo["touchpoints"], demo["dfg"], demo["friction"])
    fig = m.figure(FigureWords("en"))
    ax = fig.axes[0]
    texts = [t for t in ax.texts if t.get_text()]
    words = [t.get_text() for t in texts]
    # one rank badge per non-loop top-friction pathway, the loops' ranks in their notes
    badges = sorted(int(w[1:]) for w in words if re.fullmatch(r"#\d+", w))
    loop_ranks = [int(p.friction_rank) for p in m.pathways.itertuples() if p.self_loop and p.top_friction]
    assert sorted(badges + loop_ranks) == list(range(1, 11))
    for loop in m.pathways[m.pathways["self_loop"]].itertuples():
        note = [w for w in words if "↻" in w and f"{loop.transitions:,}×" in w]
        assert note and f"friction {loop.friction_score:.2f}" in note[0], (loop, words)
    # touchpoint names: every node labelled once, no two labels overlap
    renderer = fig.canvas.get_renderer()
    labels = [t for t in texts if t.get_text() in set(m.nodes["touchpoint"])]
    assert sorted(t.get_text() for t in labels) == sorted(m.nodes["touchpoint"])
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in labels]
    clashes = [(a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1:] if ba.overlaps(bb)]
    assert not clashes
    block = figure_from_matplotlib(fig, m.caption)
    assert block.png.startswith(b"\x89PNG") and len(block.png) > 10_000


def test_durations_are_readable_in_the_comparison_and_variants_tables(demo):
    tables = {b.source: b.frame for b in demo["section"].blocks if isinstance(b, TableBlock)}
    compare, variants = tables["result journey_compare"], tables["result journey_variants"]
    assert {"median_promoters", "median_detractors"} <= set(compare.columns)
    assert not [c for c in compare.columns if "seconds" in c] and "median_duration" in variants.columns
    values = list(compare["median_promoters"]) + list(compare["median_detractors"]) + list(variants["median_duration"])
    assert values and all(READABLE.match(v) for v in values), values
    # the stored result keeps the seconds the table shows: 90 s is "1.5 min", 2 days "2.0 d"
    stored = demo["compare"].head(len(compare))
    assert pd.api.types.is_float_dtype(stored["median_seconds_a"])
    for seconds, shown in zip(stored["median_seconds_a"], compare["median_promoters"]):
        number, unit = shown.split()
        size = {"s": 1, "min": 60, "h": 3600, "d": 86400}[unit]
        assert abs(float(number) * size - seconds) <= 0.05 * size + 0.5


def test_small_graph_keeps_a_rare_high_friction_pathway_and_its_loop():
    touchpoints = pd.DataFrame({"touchpoint": ["a", "b", "c", "d"], "events": [100, 90, 20, 5],
                                "mean_relative_position": [0.0, 0.5, 1.0, 1.0]})
    dfg = pd.DataFrame({"source": ["a", "b", "a", "c", "d"], "target": ["b", "c", "c", "c", "b"],
                        "transitions": [80, 60, 10, 4, 2]})
    friction = pd.DataFrame({"rank": [1, 2, 3], "source": ["c", "a", "b"], "target": ["c", "b", "c"],
                             "friction_score": [1.5, 0.1, -0.4]})
    m = journey_map(touchpoints, dfg, friction, max_pathways=2, top_friction=1, max_touchpoints=3)
    assert _pairs(m.pathways) == {("a", "b"), ("b", "c"), ("c", "c")}
    loop = m.pathways.set_index(["source", "target"]).loc[("c", "c")]
    assert loop["self_loop"] and loop["friction_rank"] == 1 and not loop["busiest"]
    assert set(m.nodes["touchpoint"]) == {"a", "b", "c"}
    assert m.left_out_pathways == 2 and m.left_out_transitions == 12
    assert "Left out: 2 less busy, lower-friction pathway(s) (12 traversals, 7.7% of all)" in m.caption
    assert "the 1 least busy touchpoint(s)" in m.caption
    fig = m.figure(FigureWords("en"))
    assert any("↻ 4×" in t.get_text() for t in fig.axes[0].texts)
    figure_from_matplotlib(fig, m.caption)


def test_map_without_scored_pathways_draws_grey_arrows():
    touchpoints = pd.DataFrame({"touchpoint": ["a", "b"], "events": [3, 3], "mean_relative_position": [0.0, 1.0]})
    dfg = pd.DataFrame({"source": ["a", "b"], "target": ["b", "b"], "transitions": [3, 1]})
    friction = pd.DataFrame(columns=["rank", "source", "target", "friction_score"])
    m = journey_map(touchpoints, dfg, friction)
    assert m.pathways["friction_rank"].isna().all() and m.pathways["self_loop"].tolist() == [False, True]
    fig = m.figure(FigureWords("en"))
    assert any("not scored" in t.get_text() for t in fig.axes[0].texts)
    figure_from_matplotlib(fig, m.caption)


LOG = "ticket,step,at,segment\n" + "".join(
    f"{c},web,2024-01-0{1 + c % 9} 10:00, {'A' if c % 2 else 'B'} \n{c}, buy ,2024-01-0{1 + c % 9} 10:30,{'A' if c % 2 else 'B'}\n"
    for c in range(12)
)


def _discover(tmp_path, *extra):
    path = tmp_path / "log.csv"
    path.write_text(LOG)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["journeys", "discover", str(path), "--case", "ticket", "--activity", "step",
                                       "--time", "at", "--out", str(out), *extra])
    return result, out


def test_goal_and_cohort_values_are_trimmed_like_the_data(tmp_path):
    result, out = _discover(tmp_path, "--goal", " buy ", "--cohort", "segment", "--cohorts", " A , B ")
    assert result.exit_code == 0, result.output
    assert "goal 'buy' reached by 12 of 12 journeys (100.0 %)" in result.output
    assert "Cohorts 'A' vs 'B' (6 vs 6 journeys)" in result.output
    assert (out / "compare.csv").exists()


def test_blank_goal_is_an_error_not_a_traceback(tmp_path):
    result, out = _discover(tmp_path, "--goal", "  ")
    assert result.exit_code == 2
    assert "--goal is blank" in result.output and "Traceback" not in result.output
    assert not out.exists()

"""Share: what drawing the report's figures in three languages costs against drawing them once, in CPU seconds.

Usage: ``python -m bench.bench_figures [REPEATS]`` — four of the report's figures (the text step's 2×2 sentiment
breakdowns, the CLV histogram with segments, revenue at risk, the driver matrix) are drawn from synthetic frames of
the shapes the steps hand them, first once in English (``FigureWords("en")``, as before per-language figures), then
through ``draw_figure`` (English, German and Chinese, with the CJK fallback font). The machine is shared (2 cores,
other jobs running): CPU seconds of this process are the figure to read.
"""

from __future__ import annotations

import io
import sys
import time

import numpy as np
import pandas as pd

from bench.results_file import write_section


def _frames() -> dict:
    rng = np.random.default_rng(3)
    dims = [("touchpoint", f"touchpoint_{i}") for i in range(12)] + [("channel", c) for c in ("web", "app", "chat", "email")]
    dims += [("lang", lang) for lang in ("en", "de", "zh")] + [("month", f"2024-{m:02d}") for m in range(1, 13)]
    by = pd.DataFrame([{"dimension": d, "value": v, "texts": int(rng.integers(20, 400)),
                        "negative_share": float(rng.uniform(0.1, 0.4)), "positive_share": float(rng.uniform(0.3, 0.6))}
                       for d, v in dims])
    clv = pd.DataFrame({"clv": rng.gamma(2.0, 60.0, 2000)})
    segments = pd.DataFrame({"segment": ["app_first", "store_first", "bargain"], "clv_mean": [140.0, 90.0, 40.0]})
    risk = pd.DataFrame({"segment": rng.choice(segments["segment"], 2000), "detractor": rng.uniform(size=2000) < 0.3,
                         "revenue_at_risk": rng.gamma(1.5, 10.0, 2000)})
    matrix = pd.DataFrame({"driver": [f"csat_{a}" for a in "abcdefgh"], "share": rng.dirichlet(np.ones(8)),
                           "performance": rng.uniform(0, 100, 8)})
    matrix["quadrant"] = np.where(matrix["performance"] < 50, "act first: important, weak", "keep")
    return {"by": by, "clv": clv, "segments": segments, "risk": risk, "matrix": matrix}


def _draws(f: dict) -> list:
    from empathica.flywheel.steps.text import _draw_breakdowns
    from empathica.flywheel.steps.value import _plot_clv, _plot_risk
    from empathica.understand.drivers import plot_driver_matrix

    return [lambda say: _draw_breakdowns(f["by"], say), lambda say: _plot_clv(f["clv"], f["segments"], say),
            lambda say: _plot_risk(f["risk"], say), lambda say: plot_driver_matrix(f["matrix"], say=say, outcome="NPS")]


def _once_in_english(draw) -> None:
    import matplotlib.pyplot as plt

    from empathica.report.figures import FigureWords, font_families

    with plt.rc_context({"font.family": font_families()}):
        fig = draw(FigureWords("en"))
        fig.savefig(io.BytesIO(), format="png", dpi=110, bbox_inches="tight")
    plt.close(fig) if plt.fignum_exists(getattr(fig, "number", -1)) else None


def main(argv: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from empathica.report.figures import draw_figure

    repeats = int(argv[0]) if argv else 3
    draws = _draws(_frames())
    _once_in_english(draws[0])  # warm-up: imports, font cache
    rows = []
    for label, work in (("once, English", lambda d: _once_in_english(d)), ("three languages", lambda d: draw_figure(d, "c", languages=("en", "de", "zh")))):
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(repeats):
            for draw in draws:
                work(draw)
        rows.append((label, (time.process_time() - cpu) / repeats, (time.perf_counter() - wall) / repeats))
    load = open("/proc/loadavg").read().split()[:3]
    lines = [f"{len(draws)} figures (sentiment 2×2, CLV, revenue at risk, driver matrix), mean of {repeats} repeats; "
             f"load average {' '.join(load)} on 2 shared cores (a loaded machine: CPU seconds are the figure to read).", "",
             "| drawn | CPU s for the 4 figures | wall s |", "|---|---|---|"]
    lines += [f"| {label} | {cpu:.2f} | {wall:.2f} |" for label, cpu, wall in rows]
    lines += ["", f"Three languages cost {rows[1][1] / rows[0][1]:.1f}× the CPU of one."]
    print("\n".join(lines))
    write_section("share: report figures in three languages", "\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])

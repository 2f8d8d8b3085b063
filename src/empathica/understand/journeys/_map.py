"""The journey map: touchpoints as nodes, pathways as arrows (width = volume, colour = friction)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def journey_map_figure(touchpoints: pd.DataFrame, dfg: pd.DataFrame, friction: pd.DataFrame, *,
                       max_pathways: int = 30, max_touchpoints: int = 18) -> Any:
    """A Matplotlib figure of the journey map (call ``matplotlib.use("Agg")`` before, for files).

    Touchpoints are placed left to right by where they typically occur in a journey; only the
    ``max_pathways`` busiest pathways among the ``max_touchpoints`` busiest touchpoints are drawn.
    Pathways not scored for friction are grey.
    """
    import matplotlib.pyplot as plt
    from matplotlib import colormaps
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.patches import FancyArrowPatch

    nodes = touchpoints.nlargest(max_touchpoints, "events").copy()
    keep = set(nodes["touchpoint"])
    edges = dfg[dfg["source"].isin(keep) & dfg["target"].isin(keep) & (dfg["source"] != dfg["target"])]
    edges = edges.nlargest(max_pathways, "transitions").merge(
        friction[["source", "target", "friction_score"]], on=["source", "target"], how="left"
    )
    # x: typical place in the journey; y: spread the nodes that share a column
    nodes["x"] = np.round(nodes["mean_relative_position"].fillna(0.5) * 6) / 6
    nodes = nodes.sort_values(["x", "events"], ascending=[True, False])
    nodes["y"] = nodes.groupby("x").cumcount()
    nodes["y"] = nodes["y"] - nodes.groupby("x")["y"].transform("mean")
    pos = {r.touchpoint: (r.x * 10, r.y * 1.6) for r in nodes.itertuples()}

    fig, ax = plt.subplots(figsize=(12, 6.5))
    cmap = colormaps["RdYlGn_r"]
    scores = edges["friction_score"].dropna()
    bound = max(float(scores.abs().max()) if len(scores) else 1.0, 0.5)
    norm = TwoSlopeNorm(vmin=-bound, vcenter=0.0, vmax=bound)
    top = float(edges["transitions"].max()) if len(edges) else 1.0
    for e in edges.sort_values("transitions").itertuples():
        colour = "#bbbbbb" if pd.isna(e.friction_score) else cmap(norm(e.friction_score))
        width = 0.6 + 7.0 * e.transitions / top
        ax.add_patch(FancyArrowPatch(pos[e.source], pos[e.target], arrowstyle="-|>", mutation_scale=12 + width,
                                     connectionstyle="arc3,rad=0.12", linewidth=width, color=colour, alpha=0.85,
                                     shrinkA=18, shrinkB=18, zorder=1))
    sizes = 300 + 2200 * nodes["events"] / nodes["events"].max()
    ax.scatter([pos[t][0] for t in nodes["touchpoint"]], [pos[t][1] for t in nodes["touchpoint"]], s=sizes,
               color="#2b5d8a", zorder=2, edgecolor="white", linewidth=1.5)
    for t in nodes["touchpoint"]:
        ax.annotate(t, pos[t], xytext=(0, -24), textcoords="offset points", ha="center", va="top", fontsize=9, zorder=3)
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(mappable, ax=ax, shrink=0.6, label="pathway friction score (0 = typical)")
    ax.set_title("Journey map: arrow width = traversals, colour = friction")
    ax.set_xlabel("typical place in the journey (start → end)")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.margins(0.12)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    return fig

"""The journey map: touchpoints as nodes, pathways as arrows (width = volume, colour = friction).

:func:`journey_map` chooses what is drawn (a :class:`JourneyMap`: nodes with their places,
pathways with why each is drawn, and what is left out); :meth:`JourneyMap.figure` draws it.
The busiest pathways alone hide the ones that matter (a costly detour is rarely busy) and a
Sankey cannot draw a touchpoint repeated (a self-loop), so the map always carries the top
friction pathways and draws self-loops as loops on their node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

#: Columns of :attr:`JourneyMap.pathways`.
MAP_PATHWAY_COLUMNS = ["source", "target", "transitions", "friction_score", "friction_rank", "self_loop", "busiest",
                       "top_friction"]


@dataclass
class JourneyMap:
    """What the journey map draws and what it leaves out.

    ``nodes``: ``touchpoint, events, x, y`` (x = typical place in the journey, 0 start … 10 end).
    ``pathways``: :data:`MAP_PATHWAY_COLUMNS`; ``busiest`` marks the ``max_pathways`` busiest,
    ``top_friction`` the ``top_friction`` highest-friction ones (``friction_rank`` 1, 2, …; null
    when the pathway was not scored), ``self_loop`` the repeats of one touchpoint (drawn as loops).
    """

    nodes: pd.DataFrame
    pathways: pd.DataFrame
    max_pathways: int
    top_friction: int
    touchpoints_total: int
    pathways_total: int
    transitions_total: int

    @property
    def left_out_pathways(self) -> int:
        return self.pathways_total - len(self.pathways)

    @property
    def left_out_transitions(self) -> int:
        return self.transitions_total - int(self.pathways["transitions"].sum())

    @property
    def caption(self) -> str:
        """The figure's caption: what is drawn, how, and what is left out."""
        p = self.pathways
        extra = int((p["top_friction"] & ~p["busiest"]).sum())
        loops = int(p["self_loop"].sum())
        drawn = (f"the {int(p['busiest'].sum())} busiest pathways and the {int(p['top_friction'].sum())} highest-friction ones "
                 f"({extra} of them not among the busiest), numbered by friction rank")
        hidden = f"{self.left_out_pathways} less busy, lower-friction pathway(s)"
        if self.left_out_pathways:
            share = self.left_out_transitions / self.transitions_total if self.transitions_total else 0.0
            hidden += f" ({self.left_out_transitions:,} traversals, {share:.1%} of all)"
        if len(self.nodes) < self.touchpoints_total:
            hidden += f" and the {self.touchpoints_total - len(self.nodes)} least busy touchpoint(s) with their pathways"
        return (
            "Journey map: touchpoints placed left to right by where they typically occur in a journey (dot size = events). "
            f"Drawn: {drawn}; arrow width is traversals, colour is pathway friction (grey: too few traversals to score). "
            f"Self-loops (the same touchpoint again) are loops on their node, labelled ↻ traversals and friction ({loops} drawn). "
            f"Left out: {hidden}."
        )

    def figure(self, say: Callable[..., str], name: Callable[[str], str] = str) -> Any:
        """A Matplotlib figure of the map (call ``matplotlib.use("Agg")`` before, for files); ``say``: its words (see
        ``report.figures``), ``name``: a touchpoint's display name."""
        return _draw(self, say, name)


def journey_map(touchpoints: pd.DataFrame, dfg: pd.DataFrame, friction: pd.DataFrame, *, max_pathways: int = 30,
                top_friction: int = 10, max_touchpoints: int = 18) -> JourneyMap:
    """Choose what the journey map draws.

    Nodes: the ``max_touchpoints`` busiest touchpoints plus every touchpoint of a top friction
    pathway. Pathways between them: the ``max_pathways`` busiest (self-loops included) plus the
    ``top_friction`` first of ``friction`` (ranked by ``rank``, else in its order), whatever their
    volume. Ties in volume are broken by name so the same data gives the same map.
    """
    friction = friction.copy()
    if "rank" not in friction:
        friction["rank"] = np.arange(1, len(friction) + 1)
    friction = friction.sort_values("rank")
    top = friction.head(top_friction)
    top_pairs = set(zip(top["source"], top["target"]))

    busiest_tp = touchpoints.sort_values(["events", "touchpoint"], ascending=[False, True]).head(max_touchpoints)
    keep = set(busiest_tp["touchpoint"]) | set(top["source"]) | set(top["target"])
    nodes = touchpoints[touchpoints["touchpoint"].isin(keep)][["touchpoint", "events", "mean_relative_position"]].copy()

    edges = dfg[dfg["source"].isin(keep) & dfg["target"].isin(keep)][["source", "target", "transitions"]]
    edges = edges.sort_values(["transitions", "source", "target"], ascending=[False, True, True]).reset_index(drop=True)
    edges["busiest"] = edges.index < max_pathways
    edges["top_friction"] = [pair in top_pairs for pair in zip(edges["source"], edges["target"])]
    edges = edges[edges["busiest"] | edges["top_friction"]]
    scored = friction[["source", "target", "friction_score", "rank"]].rename(columns={"rank": "friction_rank"})
    edges = edges.merge(scored, on=["source", "target"], how="left")
    edges["friction_rank"] = edges["friction_rank"].where(edges["top_friction"]).astype("Int64")
    edges["self_loop"] = edges["source"] == edges["target"]
    edges["transitions"] = edges["transitions"].astype("int64")

    # x: typical place in the journey (7 columns); y: nodes sharing a column spread around 0, and
    # odd columns shifted half a row so neighbours' labels and straight arrows do not line up
    nodes["x"] = np.round(nodes["mean_relative_position"].fillna(0.5).clip(0, 1) * 6) / 6
    nodes = nodes.sort_values(["x", "events", "touchpoint"], ascending=[True, False, True])
    nodes["y"] = nodes.groupby("x").cumcount().astype(float)
    nodes["y"] = nodes["y"] - nodes.groupby("x")["y"].transform("mean")
    odd = np.round(nodes["x"] * 6).astype(int) % 2 == 1
    nodes["y"] = (nodes["y"] + np.where(odd, 0.5, 0.0)) * 1.6
    nodes["x"] = nodes["x"] * 10
    return JourneyMap(
        nodes=nodes[["touchpoint", "events", "x", "y"]].reset_index(drop=True),
        pathways=edges[MAP_PATHWAY_COLUMNS].reset_index(drop=True),
        max_pathways=max_pathways, top_friction=top_friction,
        touchpoints_total=int(len(touchpoints)), pathways_total=int(len(dfg)),
        transitions_total=int(dfg["transitions"].sum()) if len(dfg) else 0,
    )


def journey_map_figure(touchpoints: pd.DataFrame, dfg: pd.DataFrame, friction: pd.DataFrame, *, say: Callable[..., str],
                       max_pathways: int = 30, top_friction: int = 10, max_touchpoints: int = 18) -> Any:
    """A Matplotlib figure of the journey map; see :func:`journey_map` for what it draws."""
    return journey_map(touchpoints, dfg, friction, max_pathways=max_pathways, top_friction=top_friction,
                       max_touchpoints=max_touchpoints).figure(say)


def _draw(m: JourneyMap, say: Callable[..., str], name: Callable[[str], str]) -> Any:
    import matplotlib.pyplot as plt
    from matplotlib import colormaps
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path
    from matplotlib.transforms import ScaledTranslation

    nodes, edges = m.nodes, m.pathways
    pos = {r.touchpoint: (r.x, r.y) for r in nodes.itertuples()}
    fig, ax = plt.subplots(figsize=(13, 7.5))
    cmap = colormaps["RdYlGn_r"]
    scores = edges["friction_score"].dropna()
    bound = max(float(scores.abs().max()) if len(scores) else 1.0, 0.5)
    norm = TwoSlopeNorm(vmin=-bound, vcenter=0.0, vmax=bound)
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.6, label=say("figure.journeys.friction_axis"))
    # fixed limits (not autoscaling) so positions in points are known before drawing
    xs, ys = nodes["x"].to_numpy(), nodes["y"].to_numpy()
    if len(nodes):
        ax.set_xlim(xs.min() - 1.2, xs.max() + 1.6)
        ax.set_ylim(ys.min() - 1.3, ys.max() + 1.4)
    top = float(edges["transitions"].max()) if len(edges) else 1.0
    radius = {t: float(np.sqrt((300 + 2200 * e / nodes["events"].max()) / np.pi))
              for t, e in zip(nodes["touchpoint"], nodes["events"])}  # marker radius in points

    def colour(score: float) -> Any:
        return "#bbbbbb" if pd.isna(score) else cmap(norm(score))

    def width(e) -> float:
        w = 0.6 + 7.0 * e.transitions / top
        return max(w, 2.0) if e.top_friction else w  # a rare top-friction pathway stays visible

    obstacles: list[Any] = []  # display-space boxes labels must not cover
    badges = []
    for e in edges[~edges["self_loop"]].sort_values(["top_friction", "transitions"]).itertuples():
        w = width(e)
        ax.add_patch(FancyArrowPatch(pos[e.source], pos[e.target], arrowstyle="-|>", mutation_scale=12 + w,
                                     connectionstyle="arc3,rad=0.12", linewidth=w, color=colour(e.friction_score),
                                     alpha=0.9 if e.top_friction else 0.75, shrinkA=radius[e.source] + 2,
                                     shrinkB=radius[e.target] + 2, zorder=1.5 if e.top_friction else 1))
        if e.top_friction:
            badges.append(e)
    sizes = [np.pi * radius[t] ** 2 for t in nodes["touchpoint"]]
    ax.scatter(xs, ys, s=sizes, color="#2b5d8a", zorder=2, edgecolor="white", linewidth=1.5)

    # self-loops: a circle above the node, open where it meets the node, with an arrowhead
    to_display = ax.transData.transform
    for e in edges[edges["self_loop"]].itertuples():
        r, loop_r, w = radius[e.source], 9.0 + min(width(e), 6.0), width(e)
        arc = Path.arc(-50, 230)
        verts = arc.vertices * loop_r + np.array([0.0, r + loop_r * 0.55])
        where = fig.dpi_scale_trans + ScaledTranslation(*pos[e.source], ax.transData)
        ax.add_patch(FancyArrowPatch(path=Path(verts / 72.0, arc.codes), arrowstyle="-|>", mutation_scale=10 + w,
                                     linewidth=w, color=colour(e.friction_score), transform=where, zorder=1.8))
        score = (say("figure.journeys.loop_not_scored", n=e.transitions) if pd.isna(e.friction_score) else
                 say("figure.journeys.loop", n=e.transitions, score=e.friction_score))
        rank = f"#{e.friction_rank} " if e.top_friction else ""
        note = ax.annotate(f"{rank}{score}", pos[e.source], xytext=(loop_r + 3, r + loop_r * 1.2),
                           textcoords="offset points", ha="left", va="center", fontsize=8, color="#222222", zorder=4,
                           bbox=dict(boxstyle="round,pad=0.2", fc="white", ec=colour(e.friction_score), lw=1.0, alpha=0.9))
        obstacles.append(note)

    # friction rank badges at the middle of their (arc3) arrows
    for e in badges:
        (x1, y1), (x2, y2) = to_display(pos[e.source]), to_display(pos[e.target])
        mid = ((x1 + x2) / 2 + 0.06 * (y2 - y1), (y1 + y2) / 2 - 0.06 * (x2 - x1))  # Bézier midpoint, rad 0.12
        badge = ax.annotate(f"#{e.friction_rank}", ax.transData.inverted().transform(mid), ha="center", va="center",
                            fontsize=7.5, fontweight="bold", zorder=4,
                            bbox=dict(boxstyle="round,pad=0.18", fc="white", ec=colour(e.friction_score), lw=1.2))
        obstacles.append(badge)
    _place_labels(fig, ax, nodes, pos, radius, obstacles, name)

    ax.set_title(say("figure.journeys.title"))
    ax.set_xlabel(say("figure.journeys.axis"))
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    return fig


def _place_labels(fig, ax, nodes: pd.DataFrame, pos: dict, radius: dict, obstacles: list, name: Callable[[str], str]) -> None:
    """Put each touchpoint's name below its dot, else above, else further out, where it covers no
    other name, loop note, rank badge or dot (busiest touchpoints choose first)."""
    from matplotlib.transforms import Bbox

    renderer = fig.canvas.get_renderer()
    taken = [o.get_window_extent(renderer) for o in obstacles]
    for t in nodes["touchpoint"]:
        cx, cy = ax.transData.transform(pos[t])
        r = radius[t] * fig.dpi / 72.0
        taken.append(Bbox.from_extents(cx - r, cy - r, cx + r, cy + r))
    order = nodes.sort_values(["events", "touchpoint"], ascending=[False, True])["touchpoint"]
    for t in order:
        r = radius[t]
        candidates = [((0, -r - 3), "top"), ((0, r + 3), "bottom"), ((0, -r - 15), "top"), ((0, r + 15), "bottom"),
                      ((r + 3, 0), "center"), ((-r - 3, 0), "center")]
        best, best_overlap = None, None
        for (dx, dy), va in candidates:
            ha = "left" if dx > 0 else "right" if dx < 0 else "center"
            label = ax.annotate(name(t), pos[t], xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, fontsize=9,
                                zorder=3, bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none", alpha=0.7))
            box = label.get_window_extent(renderer)
            own = Bbox.from_extents(*ax.transData.transform(pos[t]), *ax.transData.transform(pos[t]))
            overlap = sum(_overlap_area(box, other) for other in taken if not _same(other, own, radius[t] * fig.dpi / 72.0))
            if best_overlap is None or overlap < best_overlap:
                if best is not None:
                    best.remove()
                best, best_overlap = label, overlap
            else:
                label.remove()
            if overlap == 0:
                break
        taken.append(best.get_window_extent(renderer))


def _same(box, centre, r: float) -> bool:
    """Whether ``box`` is the dot centred at ``centre`` (a label may touch its own dot)."""
    return abs(box.x0 + r - centre.x0) < 1e-6 and abs(box.y0 + r - centre.y0) < 1e-6


def _overlap_area(a, b) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0

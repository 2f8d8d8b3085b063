"""Goal funnels: how many journeys pass each step, in order, on their way to the goal."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import pandas as pd

if TYPE_CHECKING:
    from ibis.expr.types import Table


def typical_path_to_goal(journeys: "Table", goal: str) -> list[str]:
    """The distinct touchpoints, in order, of the most frequent path among journeys reaching ``goal``."""
    from empathica.understand.journeys._discovery import PATH_SEPARATOR

    reached = journeys.filter(journeys.reached_goal)
    top = (
        reached.group_by("path").aggregate(n=reached.count()).order_by([ibis.desc("n"), "path"]).limit(1).to_pandas()
    )
    if top.empty:
        return [goal]
    steps: list[str] = []
    for touchpoint in top["path"].iloc[0].split(PATH_SEPARATOR):
        if touchpoint not in steps:
            steps.append(touchpoint)
        if touchpoint == goal:
            break
    return steps


def goal_funnel(steps: "Table", funnel: list[str]) -> pd.DataFrame:
    """Journeys reaching each funnel step after the previous ones (not necessarily directly).

    Columns: ``step`` (1-based), ``touchpoint``, ``journeys``, ``conversion_from_start`` (share of
    journeys that reached step 1) and ``conversion_from_previous``.
    """
    reached = None
    for i, touchpoint in enumerate(funnel):
        hits = steps.filter(steps.activity == touchpoint)
        if reached is None:
            reached = hits.group_by("case").aggregate(p0=hits.position.min())
            continue
        joined = hits.inner_join(reached, "case")
        joined = joined.filter(joined.position > joined[f"p{i - 1}"])
        nxt = joined.group_by("case").aggregate(**{f"p{i}": joined.position.min()})
        reached = reached.left_join(nxt, "case").drop("case_right")
    if reached is None:
        return pd.DataFrame(columns=["step", "touchpoint", "journeys", "conversion_from_start", "conversion_from_previous"])
    counts = reached.aggregate(**{f"n{i}": reached[f"p{i}"].count() for i in range(len(funnel))}).to_pandas().iloc[0]
    rows, first, previous = [], None, None
    for i, touchpoint in enumerate(funnel):
        n = int(counts[f"n{i}"])
        first = n if first is None else first
        rows.append({
            "step": i + 1, "touchpoint": touchpoint, "journeys": n,
            "conversion_from_start": n / first if first else 0.0,
            "conversion_from_previous": 1.0 if previous is None else (n / previous if previous else 0.0),
        })
        previous = n
    return pd.DataFrame(rows)

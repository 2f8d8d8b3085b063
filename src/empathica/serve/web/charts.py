"""ECharts options for a panel, built from exactly the rows its table view shows.

Every label on a chart is written here, in the reader's language (numbers by :class:`.formats.Words`), and
sent as data: the page's script only copies ``data.label`` into ECharts' label and tooltip, so no number is
formatted in the browser. Bars carry their value as text and ECharts' decal patterns are on, so colour is
never the only carrier of meaning.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pandas as pd

from empathica.serve.web.formats import Words
from empathica.serve.web.panels import Panel

MAX_LABEL = 42


def chart_option(p: Panel, frame: pd.DataFrame, words: Words, *, drill_query: dict[str, str] | None = None) -> dict | None:
    """The ECharts option of panel ``p`` over ``frame`` (None: the panel has no chart, or no rows)."""
    if p.chart == "none" or frame.empty or p.value not in frame.columns:
        return None
    kind = dict(p.columns).get(p.value, "num2")
    title = words.column(p.value)
    if p.chart == "sankey":
        return _sankey(frame, p, words)
    if p.chart == "heatmap":
        return _stage_map(frame, words)
    common = {"aria": {"enabled": True, "decal": {"show": True}}, "tooltip": {"trigger": "item"}, "valueKind": kind,
              "animation": False,  # a chart is read, not watched (and screenshots show it whole)
              "grid": {"containLabel": True, "left": 8, "right": 48, "top": 24, "bottom": 8}}
    if p.chart == "line":
        groups = frame.groupby(p.series, sort=True) if p.series else [("", frame)]
        months = sorted(frame[p.label].astype(str).unique())
        series = []
        for name, part in groups:
            by = {str(row[p.label]): _point(words, p, row, kind, drill_query) for _, row in part.iterrows()}
            series.append({"type": "line", "name": str(name) or title, "data": [by.get(m, {"value": None, "label": "–"}) for m in months],
                           "showSymbol": True, "connectNulls": True, "label": {"show": len(months) <= 12 and not p.series}})
        legend = {"legend": {"type": "scroll", "top": 0}} if p.series else {}
        dated = {"axisKind": "month"} if dict(p.columns).get(p.label) == "month" else {}  # ticks: the browser's Intl
        return common | legend | {"xAxis": {"type": "category", "data": months, **dated}, "yAxis": {"type": "value"}, "series": series,
                                  "grid": common["grid"] | {"top": 40 if p.series else 24}}
    labels = [_category(words, p, row) for _, row in frame.iterrows()]
    points = [_point(words, p, row, kind, drill_query) | {"name": label} for (_, row), label in zip(frame.iterrows(), labels)]
    return common | {"yAxis": {"type": "category", "data": labels, "inverse": True, "axisLabel": {"width": 260, "overflow": "truncate"}},
                     "xAxis": {"type": "value"},
                     "series": [{"type": "bar", "name": title, "data": points, "label": {"show": True, "position": "right"}}]}


def _point(words: Words, p: Panel, row: pd.Series, kind: str, drill_query: dict[str, str] | None) -> dict:
    """One bar or point: its value, its label in the reader's language, and its drill-down link."""
    if "money_shown" in row and row["money_shown"] is not None and not bool(row["money_shown"]):
        return {"value": 0, "label": words.t("value.withheld")}  # no bar, but the reason is written where it would be
    point = {"value": None if pd.isna(row[p.value]) else float(row[p.value]), "label": words.number(row[p.value], kind)}
    if p.drill and drill_query is not None:
        point["href"] = "/ui/voice/texts?" + urlencode({**drill_query, "dimension": p.drill, "value": str(row[p.label])})
    return point


def _category(words: Words, p: Panel, row: pd.Series) -> str:
    kind = dict(p.columns).get(p.label, "text")
    if kind == "finding":
        text = words.cell(row, p.label, kind)
    else:
        text = str(row[p.label])
    if p.label == "source" and "target" in row:
        text = f"{row['source']} → {row['target']}"
    return text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1] + "…"


def _sankey(frame: pd.DataFrame, p: Panel, words: Words) -> dict | None:
    """A Sankey of pathways; ECharts draws only acyclic flows, so a link that would close a loop (a customer going
    back) is left out of the drawing (the table view lists every pathway)."""
    edges: dict[str, set[str]] = {}
    links = []
    for _, row in frame.sort_values(p.value, ascending=False).iterrows():
        source, target = str(row["source"]), str(row["target"])
        if source == target or _reaches(edges, target, source):
            continue
        edges.setdefault(source, set()).add(target)
        links.append({"source": source, "target": target, "value": float(row[p.value]),
                      "label": words.number(row[p.value], "int")})
    if not links:
        return None
    nodes = sorted({l["source"] for l in links} | {l["target"] for l in links})
    return {"aria": {"enabled": True}, "tooltip": {"trigger": "item"}, "animation": False,
            "series": [{"type": "sankey", "data": [{"name": n} for n in nodes], "links": links, "emphasis": {"focus": "adjacency"},
                        "label": {"show": True, "fontSize": 11}, "nodeGap": 14, "nodeWidth": 14,
                        "left": 8, "right": 110, "top": 12, "bottom": 12}]}


def _stage_map(frame: pd.DataFrame, words: Words) -> dict | None:
    """An ECharts heatmap: stages across, touchpoints down; colour = friction (with its score written in the cell,
    so colour is not the only carrier), and the drop-off rate and dwell time in each cell's label."""
    stages = list(dict.fromkeys(frame["stage"]))
    touchpoints = list(frame["touchpoint"])
    points = []
    for y, row in enumerate(frame.itertuples()):
        score = None if pd.isna(row.friction_score) else round(float(row.friction_score), 3)
        text = " · ".join((words.number(row.friction_score, "num2"), words.number(row.dropoff_rate, "pct"),
                           words.number(row.dwell_minutes, "num") + " min"))
        points.append({"value": [stages.index(row.stage), y, score if score is not None else 0], "label": text,
                       "name": row.touchpoint})
    highest = max((p["value"][2] for p in points), default=1.0) or 1.0
    return {"aria": {"enabled": True}, "tooltip": {"trigger": "item"}, "animation": False,
            "grid": {"containLabel": True, "left": 8, "right": 8, "top": 8, "bottom": 64},
            "xAxis": {"type": "category", "data": stages, "position": "top", "splitArea": {"show": True},
                      "axisLabel": {"interval": 0, "fontSize": 11, "width": 110, "overflow": "break"}},
            "yAxis": {"type": "category", "data": touchpoints, "inverse": True, "splitArea": {"show": True}},
            "visualMap": {"min": 0, "max": highest, "orient": "horizontal", "left": "center", "bottom": 4,
                          "calculable": False, "text": [words.column("friction_score"), ""],
                          "inRange": {"color": ["#e8f4ea", "#f6d55c", "#d9534f"]}},
            "series": [{"type": "heatmap", "name": words.t("dashboard.panel.journey_map"), "data": points,
                        "label": {"show": True, "fontSize": 11}}]}


def _reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, stack = set(), [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(edges.get(node, ()))
    return False


def as_json(option: dict | None) -> str:
    """``option`` as JSON safe inside a <script type="application/json"> element (no '<', '>' or '&' left)."""
    text = json.dumps(option, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

"""Render report sections into one self-contained HTML file (inline CSS, images as data URIs)."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import jinja2
import pandas as pd

from empathica.report.blocks import Figure, Metric, Paragraph, Section, TableBlock


def _env() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(
        lambda name: resources.files("empathica.report").joinpath("templates", name).read_text(encoding="utf-8")
    )
    env = jinja2.Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(kind=_kind, table_html=_table_html)
    return env


def _kind(block: Any) -> str:
    return {Paragraph: "paragraph", Metric: "metric", TableBlock: "table", Figure: "figure"}[type(block)]


def _format_cell(value: Any) -> str:
    if isinstance(value, float):
        if pd.isna(value):
            return ""
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return ""
    return str(value)


def _table_html(block: TableBlock) -> str:
    frame = block.frame.head(block.max_rows)
    return frame.to_html(index=False, border=0, classes="data", na_rep="", formatters={c: _format_cell for c in frame.columns}, escape=True)


def render_report(sections: Iterable[Section], *, title: str, meta: dict[str, Any] | None = None) -> str:
    """The report as one HTML string."""
    return _env().get_template("report.html").render(
        title=title,
        sections=list(sections),
        meta=meta or {},
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def write_report(out_dir: str | Path, sections: Iterable[Section], *, title: str, meta: dict[str, Any] | None = None) -> Path:
    """Write ``out_dir/index.html`` and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "index.html"
    path.write_text(render_report(sections, title=title, meta=meta), encoding="utf-8")
    return path

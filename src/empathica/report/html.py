"""Render report sections into one self-contained HTML file (inline CSS, images as data URIs).

The report opens with the executive summary, then each step's main text (findings, tables, figures),
then the appendix (data overview, methods, model diagnostics). Findings and the tables that hold them
are rendered in the report language through the message catalogues (``report.i18n``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import jinja2
from markupsafe import Markup, escape
import pandas as pd

from empathica.report.blocks import Figure, FindingsTable, Metric, Paragraph, Section, TableBlock
from empathica.report.i18n import Finding, catalogue, check_language, format_value, render
from empathica.store.names import name_list

#: Sections shown whole in the appendix (what the data holds, not what to do).
APPENDIX_SECTIONS = ("overview",)


def _env() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(
        lambda name: resources.files("empathica.report").joinpath("templates", name).read_text(encoding="utf-8")
    )
    env = jinja2.Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(kind=_kind)
    return env


def _kind(block: Any) -> str:
    return {Paragraph: "paragraph", Metric: "metric", TableBlock: "table", Figure: "figure",
            FindingsTable: "findings_table"}[type(block)]


class _Speaker:
    """Renders findings, titles and findings tables in one language and currency."""

    def __init__(self, lang: str, currency: str) -> None:
        self.lang, self.currency = check_language(lang), currency

    def say(self, line: Any) -> str:
        return render(line, lang=self.lang, currency=self.currency) if isinstance(line, Finding) else str(line)

    def html(self, line: Any) -> str:
        """``line`` as escaped HTML, names from the client's data marked ``translate="no"`` (the report's text)."""
        return render(line, lang=self.lang, currency=self.currency, html=True) if isinstance(line, Finding) else str(line)

    def t(self, message_id: str, **values: Any) -> str:
        return self.say(Finding(message_id, values))

    def header(self, column: str) -> str:
        """A column's display name: ``column.<name>`` of the report, else the dashboard's ``dashboard.column.<name>``
        (one name per column in both), else the name as stored (a test fails when one shows in German or Chinese)."""
        for message_id in (f"column.{column}", f"dashboard.column.{column}"):
            if message_id in catalogue("en"):
                return self.t(message_id)
        return str(column)

    def note(self, metric: Metric) -> tuple[str, bool]:
        """A metric's note and whether it only names the stored table the value comes from (shown as a tooltip)."""
        if isinstance(metric.note, Finding):
            return self.html(metric.note), False
        return str(metric.note or ""), str(metric.note).startswith(("result", "table", "canonical"))

    def plain_cell(self, value: Any) -> str:
        """A cell of a table of figures: numbers in the locale's format, text as stored."""
        if isinstance(value, bool) or value is None:
            return "" if value is None else self.t("value.yes" if value else "value.no")
        if isinstance(value, float):
            if pd.isna(value):
                return ""
            return format_value(value, "num3" if abs(value) < 1000 else "int", lang=self.lang, currency=self.currency)
        if not isinstance(value, (list, tuple, dict)) and pd.isna(value):
            return ""
        return str(value)

    def table(self, block: TableBlock) -> dict:
        frame = block.frame.head(block.max_rows)
        return {"caption": self.html(block.caption),
                "headers": [self.t(block.headers[c]) if c in block.headers else self.header(c) for c in frame.columns],
                "rows": [[self.plain_cell(v) for v in row] for row in frame.itertuples(index=False)]}

    @staticmethod
    def not_run_finding(skipped: Any) -> Finding:
        """Why a section did not run: its finding, or the program's own (English) message quoted as such."""
        if isinstance(skipped, Finding):
            return Finding("report.not_run", {"why": {"id": skipped.message_id, "values": skipped.values}})
        return Finding("report.not_run.message")  # followed by the message itself

    def not_run(self, skipped: Any) -> str:
        """The report's line on a section that did not run (the program's message inside ``<code>``)."""
        finding = self.not_run_finding(skipped)
        if finding.message_id == "report.not_run":
            return self.html(finding)
        return Markup(f"{escape(self.say(finding))} <code>{escape(str(skipped))}</code>")  # noqa: S704 (escaped)

    def title(self, section: Section) -> str:
        key = f"section.{section.key}"
        return self.t(key) if key in catalogue(self.lang) else section.title

    def cell(self, row: pd.Series, column: str, kind: str) -> str:
        value = row.get(column)
        if kind == "finding":
            return self.t(row["message_id"], **json.loads(row["values"]))
        if kind == "subfinding":  # a second finding of the row: <prefix>message_id with its <prefix>values (decide's trend)
            values = row.get(column.replace("message_id", "values"))
            return self.t(value, **json.loads(values or "{}")) if isinstance(value, str) else "–"
        if kind in ("money", "interval") and row.get("money_shown") is not None and not bool(row.get("money_shown")):
            return self.t("value.withheld") if kind == "money" else "–"
        if kind == "interval":
            return self.t("value.interval", low=row["revenue_low"], high=row["revenue_high"])
        if kind == "message":
            return self.t(value) if isinstance(value, str) else "–"
        if kind == "grade":
            return self.t(f"grade.{value}")
        if kind == "trend":
            return self._trend(value, row.get("rank"))
        if kind == "churn_reasons":  # the churn model's stored reasons (feature=value (+weight)), each a finding
            return self.reasons(value)
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return "–"
        if kind == "text":
            return str(value)
        return self.say(Finding("value." + kind, {"v": value}))

    def reasons(self, text: Any) -> str:
        """A customer's stored churn (or detractor) reasons in the reader's language, separated as a list."""
        from empathica.understand.churn import reason_findings

        found = reason_findings(text if isinstance(text, str) else "")
        if not found:
            return "–"
        listed = name_list(found)  # "a, b and c" in the reader's language
        return self.t(listed["id"], **(listed.get("values") or {}))

    def _trend(self, previous: Any, rank: Any) -> str:
        if previous is None or pd.isna(previous):
            return self.t("trend.new")
        moved = int(previous) - int(rank)
        return self.t("trend.same") if moved == 0 else self.t("trend.up" if moved > 0 else "trend.down", n=abs(moved))

    def findings_table(self, block: FindingsTable) -> dict:
        frame = block.frame.head(block.max_rows)
        return {"caption": self.t(block.caption_id),
                "headers": [self.t(block.headers[c]) if c in block.headers else self.header(c) for c in block.columns],
                "rows": [[self.cell(row, c, k) for c, k in block.columns.items()] for _, row in frame.iterrows()],
                "source": block.source}


def render_report(sections: Iterable[Section], *, title: str, meta: dict[str, Any] | None = None, lang: str = "en",
                  currency: str = "EUR", summary: Any = None) -> str:
    """The report as one HTML string (``summary``: an ``ExecutiveSummary``, shown first when given)."""
    sections = list(sections)
    speaker = _Speaker(lang, currency)
    main = [s for s in sections if s.key not in APPENDIX_SECTIONS]
    appendix = [s for s in sections if s.key in APPENDIX_SECTIONS]
    return _env().get_template("report.html").render(
        title=title, lang=lang, main=main, appendix=appendix, summary=summary, meta=meta or {}, s=speaker,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def write_report(out_dir: str | Path, sections: Iterable[Section], *, title: str, meta: dict[str, Any] | None = None,
                 lang: str = "en", currency: str = "EUR", summary: Any = None) -> Path:
    """Write ``out_dir/index.html`` and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "index.html"
    path.write_text(render_report(sections, title=title, meta=meta, lang=lang, currency=currency, summary=summary),
                    encoding="utf-8")
    return path


def report_from_store(store, out_dir: str | Path, *, title: str, lang: str, currency: str) -> Path:
    """Write the report of the store's last run (stored sections and ranking), running no analysis."""
    from empathica.report.archive import load_sections
    from empathica.report.summary import executive_summary

    return write_report(out_dir, load_sections(store), title=title, meta={"store": store.location}, lang=lang,
                        currency=currency, summary=executive_summary(store))


#: The dashboard (serve/web) renders findings, intervals, grades and trends in cells the same way as the report.
Speaker = _Speaker

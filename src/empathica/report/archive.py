"""The report as stored results: each step's section is kept in the store, so the report (in any
language) is a function of the store alone — ``empathica report`` renders it without running a step.

Result ``report_sections``: one row per section (key, title, position, skipped, summary, blocks,
appendix), the summary a JSON list of findings (message id + values) or plain lines, the blocks JSON
(tables as column/row lists, figures as base64 PNG).
"""

from __future__ import annotations

import base64
import json
from dataclasses import fields
from typing import Any

import pandas as pd

from empathica.report.blocks import Figure, FindingsTable, Metric, Paragraph, Section, TableBlock
from empathica.report.i18n import Finding
from empathica.schema.results import REPORT_SECTIONS



def save_sections(store, sections: list[Section], *, order: list[str] | None = None) -> list[Section]:
    """Store ``sections`` as result ``report_sections``, keeping the stored sections of steps not in this run
    (``order``: the step names in report order); returns the report's sections."""
    fresh = {s.key for s in sections}
    sections = [s for s in load_sections(store) if s.key not in fresh] + list(sections)
    position = {name: i for i, name in enumerate(order or [])}
    sections.sort(key=lambda s: position.get(s.key, len(position)))
    rows = [{
        "position": i, "key": s.key, "title": s.title,
        "skipped": json.dumps(_line(s.skipped), ensure_ascii=False) if isinstance(s.skipped, Finding) else s.skipped,
        "summary": json.dumps([_line(line) for line in s.summary], ensure_ascii=False),
        "blocks": json.dumps([_block(b) for b in s.blocks], ensure_ascii=False),
        "appendix": json.dumps([_block(b) for b in s.appendix], ensure_ascii=False),
    } for i, s in enumerate(sections)]
    store.write_result(REPORT_SECTIONS, pd.DataFrame(rows), step="report",
                       description="Each analysis step's report section: findings, tables and figures.")
    return sections


def load_sections(store) -> list[Section]:
    """The sections stored by the last run (empty when no run stored any)."""
    if not store.has_result(REPORT_SECTIONS):
        return []
    frame = store.read_result(REPORT_SECTIONS).sort_values("position")
    return [Section(key=r.key, title=r.title, skipped=_skipped(r.skipped),
                    summary=[_unline(x) for x in json.loads(r.summary)],
                    blocks=[_unblock(b) for b in json.loads(r.blocks)],
                    appendix=[_unblock(b) for b in json.loads(r.appendix)]) for r in frame.itertuples()]


def _skipped(text: Any) -> Any:
    """Why a section did not run: a finding (stored as JSON) or the code's message."""
    if isinstance(text, str) and text.startswith('{"finding"'):
        return _unline(json.loads(text))
    return text or ""


def _line(line: Any) -> dict:
    return {"finding": line.to_dict()} if isinstance(line, Finding) else {"text": str(line)}


def _unline(payload: dict) -> Any:
    return Finding.from_dict(payload["finding"]) if "finding" in payload else payload["text"]


def _text(value: Any) -> Any:
    """A block's text: plain, or a finding (rendered in the report's language)."""
    return {"finding": value.to_dict()} if isinstance(value, Finding) else value


def _untext(value: Any) -> Any:
    return Finding.from_dict(value["finding"]) if isinstance(value, dict) and "finding" in value else value


def _frame(frame: pd.DataFrame) -> str:
    return frame.to_json(orient="split", date_format="iso", index=False, default_handler=str)


def _unframe(text: str) -> pd.DataFrame:
    payload = json.loads(text)
    return pd.DataFrame(payload["data"], columns=payload["columns"])


def _block(b: Any) -> dict:
    if isinstance(b, Paragraph):
        return {"kind": "paragraph", "text": _text(b.text)}
    if isinstance(b, Metric):
        return {"kind": "metric", "label": _text(b.label), "value": _text(b.value), "note": _text(b.note)}
    if isinstance(b, TableBlock):
        return {"kind": "table", "frame": _frame(b.frame), "caption": _text(b.caption), "source": b.source, "max_rows": b.max_rows,
                "headers": b.headers}
    if isinstance(b, FindingsTable):
        return {"kind": "findings_table", "frame": _frame(b.frame), "columns": b.columns, "caption_id": b.caption_id,
                "source": b.source, "max_rows": b.max_rows, "headers": b.headers}
    if isinstance(b, Figure):
        return {"kind": "figure", "png": base64.b64encode(b.png).decode("ascii"), "caption": _text(b.caption),
                "localized": {lang: base64.b64encode(png).decode("ascii") for lang, png in b.localized.items() if lang != "en"},
                "words": b.words, "names": b.names}
    raise TypeError(f"a report block of type {type(b).__name__} cannot be stored")


def _unblock(d: dict) -> Any:
    kind = d.pop("kind")
    if kind in ("table", "findings_table"):
        d["frame"] = _unframe(d["frame"])
    if kind == "figure":
        d["png"] = base64.b64decode(d["png"])
        d["localized"] = {"en": d["png"], **{lang: base64.b64decode(png) for lang, png in d.get("localized", {}).items()}}
    for key in ("text", "label", "value", "note", "caption"):
        if key in d:
            d[key] = _untext(d[key])
    cls = {"paragraph": Paragraph, "metric": Metric, "table": TableBlock, "findings_table": FindingsTable, "figure": Figure}[kind]
    known = {f.name for f in fields(cls)}  # a section stored by another version keeps what this one knows
    return cls(**{k: v for k, v in d.items() if k in known})

"""XES event logs (IEEE 1849), read as a stream: one trace at a time, never the whole tree.

Each trace's ``concept:name`` becomes the ``journey_id`` and the ``customer_id`` (an XES case is one
customer's journey), ``<case>#<n>`` (the n-th event of the trace) the ``event_id``, each event's ``concept:name`` the ``touchpoint_id`` and ``time:timestamp`` the
``timestamp``; ``org:resource``, ``lifecycle:transition`` and every other event or trace attribute go
into ``attributes``.
"""

from __future__ import annotations

import gzip
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from empathica.errors import InputError

__all__ = ["XES_COLUMNS", "xes_batches"]

XES_COLUMNS = ("event_id", "journey_id", "customer_id", "touchpoint_id", "timestamp", "attributes")
_SCALARS = {"string", "date", "int", "float", "boolean", "id"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attributes(elem: ET.Element) -> dict[str, str]:
    return {child.get("key"): child.get("value") for child in elem if _local(child.tag) in _SCALARS and child.get("key")}


def xes_batches(path: Path, *, batch_rows: int, compressed: bool | None = None) -> Iterator[pa.Table]:
    """Arrow tables of at most ``batch_rows`` events with ``XES_COLUMNS``, ``_line`` and ``_error``."""
    if compressed is None:
        compressed = path.suffix.lower() == ".gz"
    opener = gzip.open if compressed else open
    cols: dict[str, list] = {c: [] for c in (*XES_COLUMNS, "_line")}
    line = 0
    trace_attrs: dict[str, str] = {}
    in_event = False
    position = 0
    root: ET.Element | None = None

    def flush() -> pa.Table:
        tbl = pa.table({
            **{c: pa.array(cols[c], type=pa.string()) for c in XES_COLUMNS},
            "_line": pa.array(cols["_line"], type=pa.int64()),
            "_error": pa.nulls(len(cols["_line"]), type=pa.string()),
        })
        for values in cols.values():
            values.clear()
        return tbl

    try:
        with opener(path, "rb") as fh:
            for action, elem in ET.iterparse(fh, events=("start", "end")):
                tag = _local(elem.tag)
                if action == "start":
                    if root is None:
                        root = elem
                    if tag == "event":
                        in_event = True
                    elif tag == "trace":
                        trace_attrs = {}
                        position = 0
                    continue
                if tag == "event":
                    in_event = False
                    line += 1
                    attrs = _attributes(elem)
                    case = trace_attrs.get("concept:name")
                    extra = {k: v for k, v in attrs.items() if k not in ("concept:name", "time:timestamp")}
                    extra.update({f"trace:{k}": v for k, v in trace_attrs.items() if k != "concept:name"})
                    position += 1
                    # the case and the event's position in it identify an XES event: a log may
                    # hold two events alike in every attribute (the helpdesk log has 127)
                    cols["event_id"].append(f"{case}#{position}" if case is not None else None)
                    cols["journey_id"].append(case)
                    cols["customer_id"].append(case)
                    cols["touchpoint_id"].append(attrs.get("concept:name"))
                    cols["timestamp"].append(attrs.get("time:timestamp"))
                    cols["attributes"].append(json.dumps(extra, ensure_ascii=False) if extra else None)
                    cols["_line"].append(line)
                    elem.clear()
                    if len(cols["_line"]) >= batch_rows:
                        yield flush()
                elif tag in _SCALARS and not in_event:
                    parent_is_trace = elem.get("key") is not None
                    if parent_is_trace:
                        trace_attrs[elem.get("key")] = elem.get("value")
                elif tag == "trace":
                    root.clear()  # drop finished traces so memory stays bounded
    except (ET.ParseError, OSError, EOFError) as exc:
        raise InputError(f"{path}: not a readable XES event log ({exc}); XES files are XML, plain or gzip.") from None
    if cols["_line"]:
        yield flush()

"""Generated input files with known bad rows, and the check that Listen accounts for every row.

Shared by the property tests (tests/listen/test_fuzz_properties.py, a bounded number of examples in
`make test`) and the longer fuzz campaign (bench/bench_fuzz.py). A case is a feedback file — CSV in
one of several encodings, delimiters, line ends and header oddities, or JSON Lines — whose rows are
good, duplicated, without id, with a bad timestamp, with a field too many or too few, with a quote
that never closes, or not JSON; its expectation says which rows must be stored (with which comment)
and how many quarantined.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

#: Characters comments are drawn from: quotes, delimiters, line breaks, NUL, RTL, CJK, emoji, formula and SQL bits.
_ALPHABET = st.sampled_from(list("abcXYZ019 ,;|\t\"'\n=+-@/\\%_") + ["\r\n", "\x00", "ä", "ß", "€", "中", "文", "ש", "ل", "😀", "DROP", "=SUM(A1)"])
_BLANKS = " \t\r\n\u00a0\u3000"
#: Windows-1252 files hold Western text: its encoding is judged on words like these, not on random bytes.
_CP1252_WORDS = st.sampled_from(["Größe", "mäßig", "Grüße", "für", "Bestellung", "5 €", "„gut“", "Ärger", "schön", "café",
                                 "naïve", "Übergröße", "–", "ok", "Preis: 12,50 €"])
ROW_KINDS = ("good", "good", "good", "duplicate", "no_id", "bad_time", "extra_field", "missing_field", "unclosed_quote")
JSON_KINDS = ("good", "good", "good", "duplicate", "no_id", "bad_time", "not_json", "blank_line", "key_case")


@dataclass
class Case:
    """A generated file and what Listen must make of it."""

    name: str
    data: bytes
    records: int  # rows the file holds (what `rows_read` must say)
    stored: dict[str, str | None] = field(default_factory=dict)  # response_id → comment as stored
    quarantined: int = 0
    description: str = ""

    def write(self, folder: Path) -> Path:
        path = Path(tempfile.mkdtemp(dir=folder)) / self.name
        path.write_bytes(self.data)
        return path


def _stored_text(text: str) -> str | None:
    clean = text.replace("\x00", "").strip(_BLANKS)
    return clean or None


@st.composite
def comments(draw) -> str:
    return "".join(draw(st.lists(_ALPHABET, max_size=12)))


@st.composite
def csv_cases(draw, prefix: str = "") -> Case:
    """A feedback CSV: random encoding, delimiter, line end, header oddity and row kinds."""
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    line_end = draw(st.sampled_from(["\n", "\r\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    blank_lines = draw(st.integers(0, 2))
    trailing = draw(st.booleans())  # a delimiter after the last header cell (and after every row)
    kinds = draw(st.lists(st.sampled_from(ROW_KINDS), min_size=1, max_size=14))
    if kinds[-1] == "unclosed_quote":
        kinds.append("good")
    out = io.StringIO()
    out.write(line_end * blank_lines)
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end, quoting=csv.QUOTE_MINIMAL)
    header = ["response_id", "timestamp", "comment"] + ([""] if trailing else [])
    writer.writerow(header)
    case = Case(f"feedback_{len(kinds)}.csv", b"", records=len(kinds))
    ids: list[str] = []
    runaway = False
    for i, kind in enumerate(kinds):
        text = " ".join(draw(st.lists(_CP1252_WORDS, max_size=4))) if encoding == "cp1252" else draw(comments())
        if runaway:
            # After a quote that never closes, a later quoted field may pair with it into a valid, longer
            # field, which no CSV reader can tell apart (docs/listen.md): no quotes or line breaks after it.
            text = text.replace('"', "'").replace("\r", " ").replace("\n", " ")
        rid = f"{prefix}r{i}"
        row = [rid, "2024-01-02 03:04:05", text]
        if kind == "duplicate" and not ids:
            kind = "good"
        if kind == "duplicate":
            row[0] = draw(st.sampled_from(ids))
            case.quarantined += 1
        elif kind == "no_id":
            row[0] = draw(st.sampled_from(["", " ", "\t"]))
            case.quarantined += 1
        elif kind == "bad_time":
            row[1] = draw(st.sampled_from(["yesterday", "2024-13-45", "99999-01-01"]))
            case.quarantined += 1
        elif kind in ("extra_field", "missing_field"):
            # (a record with a line break and the wrong number of fields is quarantined line by line)
            row[2] = row[2].replace("\r", " ").replace("\n", " ")
            # (two more: DuckDB reads one extra empty field at a line's end as a trailing delimiter)
            row = row + ["extra", "more"] if kind == "extra_field" else row[:2]
            case.quarantined += 1
        elif kind == "unclosed_quote":
            runaway = True
            case.quarantined += 1
            out.write(delimiter.join([rid, "2024-01-02 03:04:05", '"never closed']) + (delimiter if trailing else "") + line_end)
            continue
        else:
            ids.append(rid)
            case.stored[rid] = _stored_text(text)
        writer.writerow(row + ([""] if trailing else []))
    case.data = out.getvalue().encode(encoding)
    case.description = f"csv {encoding} {delimiter!r} {line_end!r} blank={blank_lines} trailing={trailing} {kinds}"
    return case


@st.composite
def jsonl_cases(draw, prefix: str = "") -> Case:
    """A feedback JSON Lines file: row kinds include non-JSON lines, blank lines and a key in other case."""
    kinds = draw(st.lists(st.sampled_from(JSON_KINDS), min_size=1, max_size=14)) + ["good"]  # a file of no object is refused
    lines, ids = [], []
    case = Case("feedback.jsonl", b"", records=0)
    for i, kind in enumerate(kinds):
        text = draw(comments())
        rid = f"{prefix}r{i}"
        row = {"response_id": rid, "timestamp": "2024-01-02T03:04:05", "comment": text}
        if kind == "blank_line":
            lines.append("")
            continue
        case.records += 1
        if kind == "not_json":
            lines.append('{"response_id": "' + rid + '", "comment": ')
            case.quarantined += 1
            continue
        if kind == "duplicate" and not ids:
            kind = "good"
        if kind == "duplicate":
            row["response_id"] = draw(st.sampled_from(ids))
            case.quarantined += 1
        elif kind == "no_id":
            row["response_id"] = draw(st.sampled_from(["", " ", None]))
            case.quarantined += 1
        elif kind == "bad_time":
            row["timestamp"] = "not a time"
            case.quarantined += 1
        else:
            if kind == "key_case":
                row = {"Response_ID": rid, "timestamp": row["timestamp"], "Comment": text}
            ids.append(rid)
            case.stored[rid] = _stored_text(text)
        lines.append(json.dumps(row, ensure_ascii=draw(st.booleans())))
    case.data = ("\n".join(lines) + "\n").encode("utf-8")
    case.description = f"jsonl {kinds}"
    return case


def check(store, case: Case, folder: Path) -> list[str]:
    """Ingest ``case`` into ``store`` (redaction off) and return what went wrong (empty: nothing)."""
    from empathica.listen import ingest_files

    path = case.write(folder)
    try:
        (r,) = ingest_files(store, [path], kind="feedback")
    except Exception as exc:  # noqa: BLE001 - any refusal of the file is a finding
        return [f"refused: {exc}"]
    problems = []
    if r.rows_read != r.rows_stored + r.rows_already_stored + r.rows_quarantined:
        problems.append(f"unbalanced: {r}")
    if (r.rows_read, r.rows_quarantined) != (case.records, case.quarantined):
        problems.append(f"read {r.rows_read} (expected {case.records}), quarantined {r.rows_quarantined} (expected {case.quarantined})")
    ids = list(case.stored)
    stored = dict(store.con.con.execute(
        "SELECT response_id, comment FROM feedback WHERE response_id IN (SELECT unnest(?))", [ids]).fetchall()) if ids else {}
    for rid, comment in case.stored.items():
        if rid not in stored:
            problems.append(f"{rid} not stored")
        elif stored[rid] != comment:
            problems.append(f"{rid}: stored {stored[rid]!r}, input {comment!r}")
    return problems

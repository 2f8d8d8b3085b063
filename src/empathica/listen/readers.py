"""Readers: recognise a file's format, encoding and delimiter, and stream it as Arrow batches.

Every reader yields ``pyarrow.Table`` batches with the source columns (under their own names) plus
``_line``, the row's number in the source file, and ``_error``, a reason when the row could not even
be parsed (a malformed JSON line). CSV and JSON Lines are read by DuckDB's native readers; Parquet by
pyarrow row group by row group; XES event logs by a streaming XML parser (see ``xes.py``). Ingestion
reads Parquet faster, without Arrow batches in Python: ``parquet_slices`` gives row-number ranges that
DuckDB's ``read_parquet`` scans itself.

Row numbers: CSV row 1 is the first data row after the header (a record whose quoted field spans
several lines counts once); JSON Lines row N is line N of the file; Parquet row 1 is the first row;
XES row N is the N-th ``<event>`` of the log.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from empathica.errors import InputError

__all__ = ["ParquetSlice", "SourceFile", "detect_encoding", "inspect_file", "iter_batches", "parquet_slices", "sniff_delimiter",
           "transcode_to_utf8", "csv_relation", "csv_rejects"]

_SAMPLE_BYTES = 1 << 20
_SCAN_CHUNK_ROWS = 32_768
_DELIMITERS = (",", ";", "\t", "|")
_FORMATS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".tab": "csv",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".parquet": "parquet", ".pq": "parquet",
    ".xes": "xes",
}


@dataclass
class SourceFile:
    """What Listen found out about a file before reading it."""

    path: Path
    format: str  # csv, jsonl, parquet, xes
    columns: list[str]
    encoding: str | None = None  # utf-8, utf-16, gb18030, cp950 (Big5), cp1252, latin-1, utf-8+cp1252 ... (text formats)
    delimiter: str | None = None  # CSV only
    estimated_rows: int | None = None
    compressed: bool = False
    skip_lines: int = 0  # CSV only: blank lines before the header
    python_csv: bool = False  # CSV only: DuckDB's parser cannot read the file at all; Python's csv module reads it
    json_keys: dict[str, list[str]] = field(default_factory=dict)  # JSON Lines: column → the keys it is read from
    #: CSV only: records whose quoted field spans lines, one of which looks like a whole row of the file (a
    #: quote that never closes, closed by a later field's quote, reads the same): their row numbers
    suspect_rows: list[int] = field(default_factory=list)
    _cleanup: list[Path] = field(default_factory=list, repr=False)

    @property
    def readable(self) -> tuple[Path, bool]:
        """The file DuckDB reads (a temporary UTF-8 copy when the file is in another encoding, or one
        without the lines whose quote never closes) and whether it is gzip-compressed."""
        return (self._cleanup[-1], False) if self._cleanup else (self.path, self.compressed)

    def close(self) -> None:
        """Remove temporary files (a transcoded copy)."""
        for p in self._cleanup:
            p.unlink(missing_ok=True)
        self._cleanup.clear()


def _format_of(path: Path) -> tuple[str, bool]:
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    if compressed:
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    if ext not in _FORMATS:
        raise InputError(
            f"{path}: unknown file type {''.join(path.suffixes) or '(no extension)'}; "
            "Listen reads .csv/.tsv/.txt, .jsonl/.ndjson, .parquet and .xes (optionally .gz)."
        )
    return _FORMATS[ext], compressed


def _open_binary(path: Path, compressed: bool):
    return gzip.open(path, "rb") if compressed else open(path, "rb")


#: Bytes 0x80–0x9F that Windows-1252 maps to characters (€ „ “ ” – …); 0x81 0x8D 0x8F 0x90 0x9D it leaves undefined.
_CP1252_C1 = frozenset(range(0x80, 0xA0)) - {0x81, 0x8D, 0x8F, 0x90, 0x9D}
_NOT_C1 = bytes(b for b in range(256) if not 0x80 <= b <= 0x9F)
_EVIDENCE_BYTES = 256 << 10  # lines holding non-ASCII bytes kept to judge GB18030 against Latin-1
_EVIDENCE_LINE = 4096  # at most this much of one such line


#: A file that is not strictly UTF-8 is read as UTF-8 line by line when more than this share of its
#: lines holding non-ASCII bytes are valid UTF-8 (the rest are decoded in the legacy encoding).
MIXED_UTF8_SHARE = 0.5


def detect_encoding(path: Path, *, compressed: bool = False) -> str:
    """``utf-16`` / ``utf-32`` when the file starts with their byte-order mark (Excel's "Unicode Text"
    export is UTF-16 with one), ``utf-16-le`` / ``utf-16-be`` when its first bytes are mostly text with a
    zero byte in every other position (UTF-16 without a mark); ``utf-8`` when the whole file decodes
    strictly as UTF-8. Otherwise the lines holding non-ASCII bytes are sorted into those that are valid
    UTF-8 and those that are not, and the legacy encoding is judged on the latter, wherever in the file
    they are: ``gb18030`` when they decode as plausible Simplified Chinese (GBK/GB2312 exports),
    ``cp950`` when they decode as plausible Traditional Chinese (Big5 exports from Taiwan and Hong
    Kong), ``cp1252`` when bytes 0x80–0x9F occur and all are Windows-1252 characters (€ „ “ …), else
    ``latin-1`` (which decodes any byte). When more than half (:data:`MIXED_UTF8_SHARE`) of the
    non-ASCII lines are valid UTF-8, the file is UTF-8 with a few lines pasted from a legacy source,
    and the answer is the mixed codec ``utf-8+<legacy>`` (e.g. ``utf-8+cp1252``), registered with
    Python's codecs: it reads every line as UTF-8 and only the lines that are not valid UTF-8 in the
    legacy encoding, so ``open()``, pandas and :func:`transcode_to_utf8` all take it by name.

    The file is streamed in chunks (bounded memory): first the strict UTF-8 check (all of a UTF-8
    file, nothing more); when it fails, a second pass sorts the non-ASCII lines and keeps up to 256 KiB
    of the invalid ones as evidence. A file that is plain ASCII for its first megabytes and Chinese
    further down is therefore still recognised. The second pass stops early once the evidence is full
    and the invalid lines outnumber the valid ones tenfold (a legacy file, not a mixed one).
    """
    wide = _wide_unicode(path, compressed)
    if wide:
        return wide
    if _strictly_utf8(path, compressed):
        return "utf-8"
    census = _census(path, compressed)
    sample = b"\n".join(census.evidence)
    if _plausible_chinese(sample):
        legacy = "gb18030"
    elif _plausible_traditional_chinese(sample):
        legacy = "cp950"
    elif census.c1 and census.c1 <= _CP1252_C1:
        legacy = "cp1252"
    else:
        legacy = "latin-1"
    if census.valid > MIXED_UTF8_SHARE * (census.valid + census.invalid):
        return _MIXED_PREFIX + legacy
    return legacy


def _strictly_utf8(path: Path, compressed: bool) -> bool:
    """Whether the whole file decodes strictly as UTF-8 (streamed; stops at the first invalid byte)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        with _open_binary(path, compressed) as fh:
            while True:
                chunk = fh.read(_SAMPLE_BYTES * 8)
                decoder.decode(chunk, final=not chunk)
                if not chunk:
                    return True
    except UnicodeDecodeError:
        return False
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot be read ({exc}).") from None


@dataclass
class _Census:
    valid: int = 0  # lines holding non-ASCII bytes that are valid UTF-8
    invalid: int = 0  # ... that are not
    evidence: list[bytes] = field(default_factory=list)  # the invalid lines (each cut to 4 KiB), up to 256 KiB
    kept: int = 0
    c1: set[int] = field(default_factory=set)  # bytes 0x80–0x9F of the invalid lines


def _census(path: Path, compressed: bool) -> _Census:
    """Sort the lines of a file that is not strictly UTF-8: count the non-ASCII lines that are valid
    UTF-8 and those that are not, keeping the latter as evidence (bounded). Each chunk is decoded as
    UTF-8 in one go; only where that fails is the failing line cut out and the rest decoded again."""
    census = _Census()
    carry = b""
    try:
        with _open_binary(path, compressed) as fh:
            while True:
                chunk = fh.read(_SAMPLE_BYTES * 8)
                data = carry + chunk
                cut = len(data) if not chunk else data.rfind(b"\n") + 1
                if chunk and cut == 0 and len(data) < _SAMPLE_BYTES * 16:
                    carry = data  # no line end yet: wait for it (bounded)
                    continue
                cut = cut or len(data)
                _sort_lines(data[:cut], census)
                carry = data[cut:]
                if not chunk:
                    break
                if census.kept >= _EVIDENCE_BYTES and census.invalid > 10 * census.valid:
                    break
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot be read ({exc}).") from None
    return census


def _non_ascii_lines(data: bytes) -> int:
    if data.isascii():
        return 0
    return sum(not line.isascii() for line in data.split(b"\n"))


def _sort_lines(data: bytes, census: _Census) -> None:
    view = memoryview(data)
    pos = 0
    while pos < len(data):
        try:
            codecs.utf_8_decode(view[pos:], "strict", True)
        except UnicodeDecodeError as exc:
            at = pos + exc.start
            start = max(pos, data.rfind(b"\n", pos, at) + 1)  # pos starts a line: the previous one may be bad too
            end = data.find(b"\n", at)
            end = len(data) if end < 0 else end
            census.valid += _non_ascii_lines(data[pos:start])
            census.invalid += 1
            line = data[start:end]
            census.c1.update(line.translate(None, _NOT_C1))
            if census.kept < _EVIDENCE_BYTES:
                first = max(start, at - _EVIDENCE_LINE // 2)
                piece = data[first:min(end, first + _EVIDENCE_LINE)]
                census.evidence.append(piece)
                census.kept += len(piece) + 1
            pos = end + 1
        else:
            census.valid += _non_ascii_lines(data[pos:])
            return


# -- the mixed codec: UTF-8, with the lines that are not UTF-8 in a legacy encoding --------------------

_MIXED_PREFIX = "utf-8+"
#: Legacy encodings the mixed codec falls back to, by the name Python's codec registry hands a search
#: function (lower case, other characters as "_").
_MIXED_LEGACY = {"gb18030": "gb18030", "cp950": "cp950", "cp1252": "cp1252", "latin_1": "latin-1"}


def _decode_mixed(data: bytes, legacy: str, errors: str) -> str:
    """``data`` (whole lines) decoded as UTF-8, except each line that is not valid UTF-8, which is decoded
    in ``legacy`` (with ``errors``)."""
    try:
        return codecs.utf_8_decode(data, "strict", True)[0]
    except UnicodeDecodeError:
        pass
    view = memoryview(data)
    parts: list[str] = []
    pos = 0
    while pos < len(data):
        try:
            parts.append(codecs.utf_8_decode(view[pos:], "strict", True)[0])
            break
        except UnicodeDecodeError as exc:
            at = pos + exc.start
            start = max(pos, data.rfind(b"\n", pos, at) + 1)  # pos starts a line: the previous one may be bad too
            end = data.find(b"\n", at)
            end = len(data) if end < 0 else end + 1
            if start > pos:
                parts.append(codecs.utf_8_decode(view[pos:start], "strict", True)[0])
            parts.append(data[start:end].decode(legacy, errors))
            pos = end
    return "".join(parts)


class _MixedDecoder(codecs.IncrementalDecoder):
    """Incremental decoder of the mixed codec: holds back the last unfinished line of each input."""

    legacy = "latin-1"

    def __init__(self, errors: str = "strict") -> None:
        super().__init__(errors)
        self.reset()

    def reset(self) -> None:
        self._pending: list[bytes] = []  # input since the last line end (a list: no quadratic joins on long lines)
        self._started = False

    def getstate(self) -> tuple[bytes, int]:
        return b"".join(self._pending), int(self._started)

    def setstate(self, state: tuple[bytes, int]) -> None:
        self._pending, self._started = ([state[0]] if state[0] else []), bool(state[1])

    def decode(self, input: bytes, final: bool = False) -> str:  # noqa: A002 (the codecs API's name)
        input = bytes(input)
        if not final and b"\n" not in input:
            if input:
                self._pending.append(input)
            return ""
        data = b"".join(self._pending) + input
        cut = len(data) if final else data.rfind(b"\n") + 1
        self._pending = [data[cut:]] if cut < len(data) else []
        data = data[:cut]
        if data and not self._started:
            self._started = True
            if data.startswith(codecs.BOM_UTF8):  # like utf-8-sig: a byte-order mark is not text
                data = data[3:]
        return _decode_mixed(data, self.legacy, self.errors)


def _mixed_codec(name: str) -> codecs.CodecInfo | None:
    """Search function for Python's codec registry: ``utf-8+cp1252`` and the like (see :func:`detect_encoding`)."""
    if not name.startswith("utf_8_") or name[6:] not in _MIXED_LEGACY:
        return None
    legacy = _MIXED_LEGACY[name[6:]]

    def decode(data, errors: str = "strict") -> tuple[str, int]:
        data = bytes(data)
        text = _decode_mixed(data[3:] if data.startswith(codecs.BOM_UTF8) else data, legacy, errors)
        return text, len(data)

    decoder = type("MixedDecoder", (_MixedDecoder,), {"legacy": legacy})
    utf8 = codecs.lookup("utf-8")
    return codecs.CodecInfo(
        name=_MIXED_PREFIX + legacy, encode=utf8.encode, decode=decode,
        incrementalencoder=utf8.incrementalencoder, incrementaldecoder=decoder,
        streamreader=None, streamwriter=utf8.streamwriter,
    )


codecs.register(_mixed_codec)


#: Byte-order marks, longest first (UTF-32's little-endian mark starts like UTF-16's).
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def _wide_unicode(path: Path, compressed: bool) -> str | None:
    """The UTF-16/UTF-32 codec of a file, from its byte-order mark or, without one, from zero bytes in
    every other position of its first 4 KiB (ASCII text in UTF-16); ``None`` for byte-wise encodings."""
    try:
        with _open_binary(path, compressed) as fh:
            head = fh.read(4096)
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot be read ({exc}).") from None
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    head = head[: len(head) // 2 * 2]
    if len(head) < 16:
        return None
    even, odd = head[0::2].count(0) / (len(head) / 2), head[1::2].count(0) / (len(head) / 2)
    if odd >= 0.3 and even <= 0.02:
        return "utf-16-le"
    if even >= 0.3 and odd <= 0.02:
        return "utf-16-be"
    return None


def _plausible_chinese(sample: bytes) -> bool:
    """True when the non-ASCII bytes decode as GB18030 into mostly common (GB2312) Chinese characters.

    Latin-1 text also decodes as GB18030 (an accented letter plus the next ASCII letter forms a rare
    two-byte character), but then the characters are rare ones outside GB2312, which real Chinese text
    seldom uses.
    """
    if _latin_shaped(sample):
        return False
    # bytes that are no GB18030 at all (a Windows-1252 dash 0x96 before a line end) count against it
    text = sample.decode("gb18030", errors="replace")
    wide = [ch for ch in text if ord(ch) > 127]
    if not wide:
        return False
    common = 0
    for ch in wide:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(wide) >= 0.9


_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]+")


def _latin_shaped(sample: bytes) -> bool:
    """True when most runs of non-ASCII bytes are one or two bytes right after an ASCII letter, as
    accented letters inside Latin words are ("Gr\xf6\xdfe", "m\xe4\xdfig"). Such pairs also decode as
    common GB2312 characters, but Chinese text has its characters in longer runs, rarely glued to a
    Latin letter."""
    runs = list(_NON_ASCII_RUN.finditer(sample))
    latin = sum(len(m.group()) <= 2 and sample[m.start() - 1:m.start()].isalpha() for m in runs)
    return bool(runs) and latin >= 0.6 * len(runs)


def _glued_to_latin(text: str) -> bool:
    """True when most of the wide characters of ``text`` (a legacy sample decoded as Chinese) stand alone, glued
    to a Latin letter. Big5 and GBK take ASCII bytes 0x40–0x7E as a character's second byte, so an accented
    letter at a word's start decodes with the next letter into one character and leaves the rest of the word
    behind ("\xc4rger", Windows-1252 "Ärger", is Big5 "礪ger"); Chinese text has its characters side by side."""
    wide = [i for i, ch in enumerate(text) if ord(ch) > 127]
    glued = sum(not _is_wide(text, i - 1) and not _is_wide(text, i + 1)
                and (_is_latin_letter(text, i - 1) or _is_latin_letter(text, i + 1)) for i in wide)
    return bool(wide) and glued >= 0.6 * len(wide)


def _is_wide(text: str, i: int) -> bool:
    return 0 <= i < len(text) and ord(text[i]) > 127


def _is_latin_letter(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i].isascii() and text[i].isalpha()


def _plausible_traditional_chinese(sample: bytes) -> bool:
    """True when the non-ASCII bytes decode strictly as Big5 (Microsoft's code page 950) into mostly
    symbols and frequent characters (Big5 lead bytes 0xA1–0xC6: punctuation and the 5,401 characters of
    its first level). Checked after :func:`_plausible_chinese`: GBK text also decodes as Big5, but then
    about a third of its characters land in Big5's rarer second level."""
    try:
        text = sample.decode("cp950")
    except UnicodeDecodeError:
        return False
    wide = [ch for ch in text if ord(ch) > 127]
    if not wide or _glued_to_latin(text):
        return False
    frequent = 0
    for ch in wide:
        encoded = ch.encode("cp950")
        frequent += len(encoded) == 2 and 0xA1 <= encoded[0] <= 0xC6
    return frequent / len(wide) >= 0.9


def sniff_delimiter(text: str) -> str:
    """The delimiter among , ; tab | that splits the first lines into the same number (> 1) of fields."""
    lines = text.splitlines()[:50]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may end mid-line
    best, best_score = ",", (0, 0)
    for delim in _DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistent = sum(len(r) == width for r in rows)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def transcode_to_utf8(path: Path, encoding: str, compressed: bool) -> Path:
    """Copy a file into a temporary UTF-8 file, chunk by chunk (every text file that is not UTF-8 is read
    from such a copy; a byte ``encoding`` leaves undefined becomes U+FFFD)."""
    fd, tmp = tempfile.mkstemp(prefix="empathica-", suffix=".csv")
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    with _open_binary(path, compressed) as src, os.fdopen(fd, "wb") as dst:
        while chunk := src.read(_SAMPLE_BYTES * 8):
            dst.write(decoder.decode(chunk).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    return Path(tmp)


def inspect_file(path: str | Path, *, duck=None) -> SourceFile:
    """Recognise format, encoding, delimiter and columns of ``path`` without loading it.

    ``duck`` is a DuckDB connection, needed for JSON Lines (whose keys are collected over the whole
    file); an in-memory one is used when not given.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file.")
    fmt, compressed = _format_of(path)
    size = path.stat().st_size
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            meta = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise InputError(f"{path}: not a readable Parquet file ({exc}).") from None
        return SourceFile(path, fmt, list(meta.schema_arrow.names), estimated_rows=meta.metadata.num_rows)
    if fmt == "xes":
        from empathica.listen.xes import XES_COLUMNS

        return SourceFile(path, fmt, list(XES_COLUMNS), compressed=compressed, estimated_rows=None)
    encoding = detect_encoding(path, compressed=compressed)
    with _open_binary(path, compressed) as fh:
        raw = fh.read(_SAMPLE_BYTES)
    text = raw.decode(encoding, errors="replace").lstrip("\ufeff")
    if not text.strip():
        raise InputError(f"{path}: the file is empty; nothing to read.")
    lines = text.count("\n") or 1
    estimate = int(size / max(len(raw), 1) * lines) if not compressed else None
    source = SourceFile(path, fmt, [], encoding=encoding, compressed=compressed, estimated_rows=estimate)
    if encoding != "utf-8":
        # DuckDB's own Latin-1 reader refuses bytes 0x80–0x9F (Windows-1252's € „ “), and it has no
        # GB18030 reader: every file that is not UTF-8 is transcoded into a temporary UTF-8 copy.
        source._cleanup.append(transcode_to_utf8(path, encoding, compressed))
    if fmt == "jsonl":
        _escape_lone_returns(source)
        if duck is None:
            import duckdb

            duck = duckdb.connect()
        try:
            source.columns = _jsonl_keys(source, duck)
        except BaseException:
            source.close()
            raise
        return source
    lines = text.splitlines(keepends=True)
    while lines and not lines[0].strip():  # blank lines before the header
        source.skip_lines += 1
        lines.pop(0)
    text = "".join(lines)
    source.delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else sniff_delimiter(text)
    # The header is the first CSV record (a quoted header cell may hold a line break); an empty cell
    # (a trailing delimiter) gets DuckDB's own name for it, column<N>.
    header = next(csv.reader(io.StringIO(text, newline=""), delimiter=source.delimiter), [])
    source.columns = [" ".join(h.split()) or f"column{i}" for i, h in enumerate(header, start=1)]
    _check_unique_header(source)
    return source


_LONE_CR = re.compile(rb"\r(?!\n)")


def _escape_lone_returns(source: SourceFile) -> None:
    """Read a JSON Lines file from a copy in which a carriage return not followed by a line feed is
    written as the JSON escape ``\\r``: DuckDB would end the line there, splitting one object in two."""
    path, compressed = source.readable
    with _open_binary(path, compressed) as fh:
        if not any(_LONE_CR.search(chunk) for chunk in iter(lambda: fh.read(_SAMPLE_BYTES * 8), b"")):
            return
    fd, tmp = tempfile.mkstemp(prefix="empathica-", suffix=".jsonl")
    with _open_binary(path, compressed) as src, os.fdopen(fd, "wb") as dst:
        carry = b""
        while chunk := src.read(_SAMPLE_BYTES * 8):
            data = carry + chunk
            data, carry = (data[:-1], b"\r") if data.endswith(b"\r") else (data, b"")
            dst.write(_LONE_CR.sub(rb"\\r", data))
        dst.write(_LONE_CR.sub(rb"\\r", carry))
    source._cleanup.append(Path(tmp))


def _check_unique_header(source: SourceFile) -> None:
    """Refuse a header that names a column twice (DuckDB compares column names ignoring case)."""
    seen: dict[str, str] = {}
    for name in source.columns:
        first = seen.get(name.lower())
        seen.setdefault(name.lower(), name)
        if first is not None:
            source.close()
            twice = f"column {name!r} twice" if first == name else f"columns {first!r} and {name!r} (the same name but for case)"
            raise InputError(f"{source.path}: the header names {twice}; rename one.")


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _readable_path(source: SourceFile) -> tuple[str, str]:
    return str(source.readable[0]), "utf-8"


def _with_line(batch: pa.RecordBatch | pa.Table, start: int) -> pa.Table:
    tbl = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
    lines = pa.array(range(start, start + tbl.num_rows), type=pa.int64())
    tbl = tbl.append_column("_line", lines)
    # Several chunks (zero-copy slices), so that DuckDB scans the batch on all its threads.
    return pa.Table.from_batches(tbl.to_batches(max_chunksize=_SCAN_CHUNK_ROWS), schema=tbl.schema)


def iter_batches(source: SourceFile, duck, *, batch_rows: int, rejects: list | None = None) -> Iterator[pa.Table]:
    """Stream ``source`` as Arrow tables of at most ``batch_rows`` rows (plus ``_line`` and ``_error``).

    ``duck`` is a DuckDB connection used only for reading (a cursor of the store's connection).
    CSV rows DuckDB cannot split into the header's number of fields are appended to ``rejects`` as
    ``(row, raw line, reason)`` once the file has been read.
    """
    if source.format == "parquet":
        yield from _parquet_batches(source, batch_rows)
    elif source.format == "xes":
        from empathica.listen.xes import xes_batches

        yield from xes_batches(source.path, batch_rows=batch_rows, compressed=source.compressed)
    elif source.format == "jsonl":
        yield from _jsonl_batches(source, duck, batch_rows)
    else:
        yield from _csv_batches(source, duck, batch_rows, rejects)


def _null_errors(tbl: pa.Table) -> pa.Table:
    return tbl.append_column("_error", pa.nulls(tbl.num_rows, type=pa.string()))


def _parquet_batches(source: SourceFile, batch_rows: int) -> Iterator[pa.Table]:
    import pyarrow.parquet as pq

    start = 1
    for batch in pq.ParquetFile(source.path).iter_batches(batch_size=batch_rows):
        yield _null_errors(_with_line(batch, start))
        start += batch.num_rows


@dataclass
class ParquetSlice:
    """Rows ``[start, stop)`` of a Parquet file, read by DuckDB itself (no Arrow batch in Python).

    ``sql()`` is a query with the file's columns plus ``_line`` (``file_row_number + 1``) and
    ``_error``; DuckDB pushes the row-number range down into the scan, so a slice reads only its row
    groups, decoding them on all threads. ``schema`` is the Arrow schema of that query.
    """

    path: Path
    start: int
    stop: int
    schema: pa.Schema

    @property
    def num_rows(self) -> int:
        return self.stop - self.start

    def sql(self, *, whole_file: bool = False) -> str:
        where = "" if whole_file else f" WHERE file_row_number >= {self.start} AND file_row_number < {self.stop}"
        return (f"SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _line, CAST(NULL AS VARCHAR) AS _error "
                f"FROM read_parquet({_sql_str(str(self.path))}, file_row_number = true){where}")


def parquet_slices(source: SourceFile, slice_rows: int) -> Iterator[ParquetSlice] | None:
    """The file as :class:`ParquetSlice` ranges of about ``slice_rows`` rows, cut at row-group ends where
    row groups are smaller; None when DuckDB cannot read it this way (a column named ``file_row_number``)."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(source.path)
    names = meta.schema_arrow.names
    if "file_row_number" in names or "_line" in names or "_error" in names or len(set(names)) != len(names):
        return None
    schema = meta.schema_arrow.append(pa.field("_line", pa.int64())).append(pa.field("_error", pa.string()))
    ends, total = [], 0
    for i in range(meta.metadata.num_row_groups):
        total += meta.metadata.row_group(i).num_rows
        ends.append(total)

    def slices() -> Iterator[ParquetSlice]:
        start = 0
        while start < total:
            stop = min(start + slice_rows, total)
            aligned = [e for e in ends if start < e <= stop]  # end on a row group's end when one is near
            if aligned and aligned[-1] != stop and aligned[-1] - start >= slice_rows // 2:
                stop = aligned[-1]
            yield ParquetSlice(source.path, start, stop, schema)
            start = stop

    return slices()


def csv_relation(source: SourceFile, rejects: str, *, header: bool = True) -> str:
    """DuckDB's ``read_csv`` of a CSV ``source`` as Listen reads it: the detected delimiter and encoding
    (a transcoded copy when not UTF-8), ``"`` quoting, every header column as text. Rows it cannot split
    into the header's number of fields are left out and recorded in the temporary tables
    ``{rejects}_errors`` / ``{rejects}_scans`` (read them with :func:`csv_rejects`)."""
    path, encoding = _readable_path(source)
    columns = "{" + ", ".join(f"{_sql_str(c)}: 'VARCHAR'" for c in source.columns) + "}"
    return (
        f"read_csv({_sql_str(path)}, delim={_sql_str(source.delimiter or ',')}, quote='\"', "
        f"escape='\"', header={str(header).lower()}, skip={source.skip_lines}, columns={columns}, auto_detect=false, "
        f"encoding={_sql_str(encoding)}, max_line_size={MAX_LINE_BYTES}, "
        f"store_rejects=true, rejects_table='{rejects}_errors', rejects_scan='{rejects}_scans')"
    )


def csv_rejects(duck, rejects: str) -> list[tuple[int, str, str]]:
    """``(physical line, the line's text, reason)`` of every row the latest :func:`csv_relation` scan
    named ``rejects`` left out, one per line (DuckDB reports a row missing two fields twice)."""
    rows = duck.execute(
        f"SELECT line, any_value(csv_line), string_agg(DISTINCT lower(error_type::VARCHAR), ', ' ORDER BY lower(error_type::VARCHAR)) "
        f"FROM {rejects}_errors WHERE scan_id = (SELECT max(scan_id) FROM {rejects}_scans) GROUP BY line ORDER BY line"
    ).fetchall()
    return [(int(line), raw, kind) for line, raw, kind in rows]


#: Longest line (or quoted record) DuckDB reads from a CSV or JSON Lines file; longer ones are quarantined.
MAX_LINE_BYTES = 8 << 20


def _csv_batches(source: SourceFile, duck, batch_rows: int, rejects: list | None) -> Iterator[pa.Table]:
    from empathica.listen.runaway_quotes import drop_runaway_quotes, original_line, python_csv_batches

    try:
        removed = drop_runaway_quotes(source, duck)
        if source.python_csv:
            found: list = []
            yield from python_csv_batches(source, batch_rows, found)
            if rejects is not None:
                rejects.extend((original_line(row + 1 + source.skip_lines, removed) - 1 - source.skip_lines, raw, kind)
                               for row, raw, kind in found)
                rejects.extend((line - 1 - source.skip_lines, raw, "unclosed quote") for line, raw in removed)
                rejects.sort()
            return
        reader = duck.execute(f"SELECT * FROM {csv_relation(source, '_listen_reject')}").to_arrow_reader(batch_rows)
        start = 1
        for batch in reader:
            yield _null_errors(_with_line(batch, start))
            start += batch.num_rows
        if rejects is not None:
            found = [(original_line(line, removed), raw, kind) for line, raw, kind in csv_rejects(duck, "_listen_reject")]
            found += [(line, raw, "unclosed quote") for line, raw in removed]
            rejects.extend((line - 1 - source.skip_lines, raw, kind) for line, raw, kind in sorted(found))
    except InputError:
        raise
    except Exception as exc:  # duckdb.Error subclasses
        raise InputError(f"{source.path}: cannot be read as CSV ({str(exc).splitlines()[0]}).") from None


_IS_OBJECT = "(coalesce(json_valid(_raw), false) AND starts_with(ltrim(_raw), '{'))"


#: JSON Lines are read as CSV of one column: a delimiter no JSON text holds (four control characters, which
#: JSON escapes). DuckDB takes a delimiter literally: '\\0' would be the two characters backslash and 0.
_NO_DELIMITER = "\x1f\x1e\x1d\x1c"


def _jsonl_lines(source: SourceFile) -> str:
    path, encoding = _readable_path(source)
    # Lines end at \n only: a raw carriage return inside a line (invalid JSON) quarantines that line.
    return (
        f"read_csv({_sql_str(path)}, columns={{'_raw': 'VARCHAR'}}, delim={_sql_str(_NO_DELIMITER)}, quote='', escape='', "
        f"header=false, auto_detect=false, encoding={_sql_str(encoding)}, new_line='\\n', "
        f"max_line_size={MAX_LINE_BYTES}, strict_mode=false)"
    )


def _jsonl_keys(source: SourceFile, duck) -> list[str]:
    """The file's columns: its keys, those differing only in letter case ("customer_id", "Customer_ID")
    read as one column (the most frequent spelling names it), an empty key as ``empty_key``."""
    try:
        counted = duck.execute(
            f"SELECT k, count(*) FROM (SELECT unnest(json_keys(_raw)) AS k FROM {_jsonl_lines(source)} WHERE {_IS_OBJECT}) "
            "GROUP BY k ORDER BY count(*) DESC, k"
        ).fetchall()
    except Exception as exc:  # duckdb.Error subclasses
        raise InputError(f"{source.path}: cannot be read as JSON Lines ({str(exc).splitlines()[0]}).") from None
    if not counted:
        raise InputError(f"{source.path}: no line holds a JSON object; JSON Lines files have one object per line.")
    by_name: dict[str, str] = {}
    for key, _ in counted:
        name = by_name.setdefault(key.strip().lower(), key.strip() or "empty_key")
        source.json_keys.setdefault(name, []).append(key)
    return sorted(source.json_keys)


def _jsonl_batches(source: SourceFile, duck, batch_rows: int) -> Iterator[pa.Table]:
    lines = _jsonl_lines(source)
    is_object = _IS_OBJECT

    def pick(name: str) -> str:
        keys = source.json_keys.get(name, [name])
        values = [f"json_extract_string(_raw, {_sql_str(_json_pointer(k))})" for k in keys]
        return values[0] if len(values) == 1 else f"coalesce({', '.join(values)})"

    picks = ", ".join(f"CASE WHEN {is_object} THEN {pick(k)} END AS {_ident(k)}" for k in source.columns)
    sql = (f"SELECT {picks}, _raw, CASE WHEN NOT {is_object} THEN 'not a JSON object' END AS _error "
           f"FROM {lines}")
    reader = duck.execute(sql).to_arrow_reader(batch_rows)
    start = 1
    for batch in reader:
        tbl = _with_line(batch, start)
        start += batch.num_rows
        keep = pc.invert(pc.or_kleene(pc.is_null(tbl["_raw"]), pc.equal(pc.utf8_trim_whitespace(tbl["_raw"]), "")))
        tbl = tbl.filter(pc.fill_null(keep, False))
        if tbl.num_rows:
            yield tbl


def _json_pointer(key: str) -> str:
    """The JSON pointer (RFC 6901) of a top-level key; unlike a JSONPath it can name the empty key."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'

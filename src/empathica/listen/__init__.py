"""Listen: read users' files (CSV, JSON Lines, Parquet, XES) into the canonical tables.

Every row is converted to the schema's types and checked (required fields, ranges, allowed values,
references, duplicate keys); rows that fail go to the ``quarantine`` table with their file, row,
field and reason. Re-ingesting a file adds nothing. See docs/listen.md.
"""

from empathica.listen.ingest import IngestResult, file_sha256, ingest_files
from empathica.listen.kinds import COLUMN_ALIASES, detect_kind, normalise, resolve_columns
from empathica.listen.mapping import Mapping, TableMapping, load_mapping, parse_mapping
from empathica.listen.readers import SourceFile, detect_encoding, inspect_file, iter_batches, sniff_delimiter, transcode_to_utf8
from empathica.listen.redaction import redact, redact_array, redact_many

__all__ = [
    "COLUMN_ALIASES",
    "IngestResult",
    "Mapping",
    "SourceFile",
    "TableMapping",
    "detect_encoding",
    "detect_kind",
    "file_sha256",
    "ingest_files",
    "inspect_file",
    "iter_batches",
    "load_mapping",
    "normalise",
    "parse_mapping",
    "redact",
    "redact_array",
    "redact_many",
    "resolve_columns",
    "sniff_delimiter",
    "transcode_to_utf8",
]

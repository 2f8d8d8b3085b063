"""The public API of empathica.listen: __all__ complete, IngestResult shaped as docs/architecture.md says."""

from __future__ import annotations

import dataclasses
import importlib

import empathica.listen as listen


def test_all_is_complete_and_importable():
    public = {n for n in dir(listen) if not n.startswith("_") and not isinstance(getattr(listen, n), type(importlib))}
    assert public <= set(listen.__all__), public - set(listen.__all__)
    for name in listen.__all__:
        assert hasattr(listen, name)


def test_ingest_result_fields():
    names = [f.name for f in dataclasses.fields(listen.IngestResult)]
    assert names[:7] == ["source_file", "table", "rows_read", "rows_stored", "rows_already_stored",
                         "rows_quarantined", "skipped_identical"]

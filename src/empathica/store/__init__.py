"""The one place that opens database connections (Ibis over embedded DuckDB by default)."""

from empathica.store.database import Store, QUARANTINE, INGESTIONS, RESULT_PREFIX

__all__ = ["Store", "QUARANTINE", "INGESTIONS", "RESULT_PREFIX"]

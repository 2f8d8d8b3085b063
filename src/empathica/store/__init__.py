"""The one place that opens database connections (Ibis over embedded DuckDB by default)."""

from empathica.schema.results import RESULT_PREFIX
from empathica.store.database import Store, QUARANTINE, INGESTIONS
from empathica.store.runs import HISTORY_PREFIX, RUNS

__all__ = ["Store", "QUARANTINE", "INGESTIONS", "RESULT_PREFIX", "RUNS", "HISTORY_PREFIX"]

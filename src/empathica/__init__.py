"""Empathica: self-hosted, empathy-driven customer experience analytics.

The package mirrors the Force-Multiplier Flywheel: ``listen`` (ingest), ``understand`` (text,
empathy, journeys, drivers, value), ``act`` and ``learn``; ``flywheel`` runs every analysis and
``report`` writes the HTML report.
"""

from empathica.errors import (
    AnalysisError,
    EmpathicaError,
    InputError,
    MappingError,
    NotEnoughDataError,
    NothingReadError,
    SchemaError,
    SettingsError,
    StoreError,
    StoreLockedError,
)
from empathica.settings import Settings
from empathica.store import Store

__version__ = "0.1.0"

__all__ = [
    "AnalysisError",
    "EmpathicaError",
    "InputError",
    "MappingError",
    "NotEnoughDataError",
    "NothingReadError",
    "SchemaError",
    "Settings",
    "SettingsError",
    "Store",
    "StoreError",
    "StoreLockedError",
    "__version__",
]

"""Every error Empathica raises on purpose, rooted in one class.

The tree::

    EmpathicaError                 anything Empathica reports to a user (the CLI prints it, no traceback)
    ├── SettingsError              a setting has an unknown name or a value of the wrong kind
    ├── SchemaError                a table or column name that the data model does not know
    ├── StoreError                 the database cannot be opened or used
    │   ├── StoreLockedError       another process holds the DuckDB file for writing
    │   └── OutdatedResultError    a stored result lacks columns an upgrade declared (a run stores it again)
    ├── InputError                 a file a user gave us cannot be read as asked
    │   ├── MappingError           a mapping file (TOML) is malformed or names unknown fields
    │   ├── NothingReadError       not a single row of the input could be read
    │   └── RuleError              an Act rule file or rule is malformed (file, line and field named)
    └── AnalysisError              an analysis cannot produce a sound result from the data it was given
        └── NotEnoughDataError     too few rows, or no variation, for the model asked for

Each message names the file, row or field at fault and says what would fix it.
"""

from __future__ import annotations


class EmpathicaError(Exception):
    """Root of every error Empathica raises on purpose."""


class SettingsError(EmpathicaError):
    """A setting has an unknown name or an invalid value."""


class SchemaError(EmpathicaError):
    """A table or column that the data model does not know."""


class StoreError(EmpathicaError):
    """The database cannot be opened or used."""


class StoreLockedError(StoreError):
    """Another process holds the database file open for writing."""


class OutdatedResultError(StoreError):
    """A stored result lacks columns its declaration now has: an older Empathica stored it; a run stores it again."""


class InputError(EmpathicaError):
    """A file a user gave us cannot be read as asked."""


class MappingError(InputError):
    """A mapping file is malformed or names unknown fields."""


class NothingReadError(InputError):
    """Not a single row of the input could be read."""


class RuleError(InputError):
    """An Act rule file or rule that cannot be used, with the file, line and field concerned."""


class AnalysisError(EmpathicaError):
    """An analysis cannot produce a sound result from the data it was given.

    ``reason_id``: the report's message id saying why, in the reader's language (the message itself, English,
    is for logs and the CLI); ``values``: what that message needs."""

    def __init__(self, message: str = "", *, reason_id: str = "", values: dict | None = None) -> None:
        super().__init__(message)
        self.reason_id, self.reason_values = reason_id, dict(values or {})


class NotEnoughDataError(AnalysisError):
    """Too few rows, or no variation, for the model asked for."""

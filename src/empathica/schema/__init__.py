"""The canonical tables of Empathica's data model.

Every signal a user gives us is stored in one of these tables; ``docs/schema.md`` documents them
field by field (a test keeps the two in step).
"""

from empathica.schema.tables import (
    Column,
    Table,
    TABLES,
    SIGNAL_TABLES,
    table,
)

__all__ = ["Column", "Table", "TABLES", "SIGNAL_TABLES", "table"]

"""The shape of an exported table, shared by every programme kind's export: columns with a
type and a meaning, tables, and the keyed ids every row holds instead of stored ids."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal
from uuid import UUID

import attrs

from caseload.domain.keys import export_id

__all__ = ["Column", "ColumnType", "Table", "Value", "keyed_id"]

ColumnType = Literal["id", "text", "date", "integer", "decimal", "boolean"]
Value = str | int | bool | date | Decimal | None


@attrs.frozen
class Column:
    """One column of an exported table: its name, type and plain-language meaning."""

    name: str
    type: ColumnType
    meaning: str
    nullable: bool = False
    """Whether the column can be empty (missing in CSV, null in Parquet)."""


@attrs.frozen
class Table:
    """One exported table: its name, what one row is, and its columns in file order."""

    name: str
    row: str
    """What one row of the table stands for."""
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names in file order."""
        return tuple(column.name for column in self.columns)


def keyed_id(key: bytes, stored: UUID | str) -> str:
    """The export pseudonym of a stored id: hex HMAC-SHA-256 of its text under `key`."""
    return export_id(key, stored)

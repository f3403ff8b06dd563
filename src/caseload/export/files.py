"""How an export reaches the disk: rows in a stable order, CSV or Parquet bytes, and files
made owner-only in a private directory that is renamed into place."""

from __future__ import annotations

import csv
import importlib
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from caseload.domain.errors import ExportTargetNotEmpty
from caseload.programmes.tables import Table, Value

__all__ = ["check_target", "csv_bytes", "number", "parquet_writer", "publish", "sorted_rows"]


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _order(value: Value) -> tuple[int, Any]:
    """A sort key that orders numbers as numbers and dates as dates (empty first)."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | Decimal):
        return (2, Decimal(value))
    if isinstance(value, date):
        return (3, value.toordinal())
    return (4, str(value))


def sorted_rows(rows: list[tuple[Value, ...]]) -> list[tuple[Value, ...]]:
    """Rows in a deterministic order: by their values column by column, keyed ids first."""
    return sorted(rows, key=lambda row: tuple(_order(value) for value in row))


def csv_bytes(table: Table, rows: Sequence[tuple[Value, ...]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.column_names)
    writer.writerows([_text(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def number(value: Value) -> float:
    return float(value) if isinstance(value, Decimal | int) else float("nan")


def _plain(value: Value) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def parquet_writer(pyarrow: ModuleType) -> Callable[[Table, Sequence[tuple[Value, ...]]], bytes]:
    parquet = importlib.import_module("pyarrow.parquet")
    types = {
        "id": pyarrow.string(),
        "text": pyarrow.string(),
        "date": pyarrow.date32(),
        "integer": pyarrow.int64(),
        "decimal": pyarrow.float64(),
        "boolean": pyarrow.bool_(),
    }

    def write(table: Table, rows: Sequence[tuple[Value, ...]]) -> bytes:
        schema = pyarrow.schema(
            [pyarrow.field(c.name, types[c.type], nullable=c.nullable) for c in table.columns]
        )
        arrays = [
            pyarrow.array([_plain(row[index]) for row in rows], type=types[column.type])
            for index, column in enumerate(table.columns)
        ]
        buffer = pyarrow.BufferOutputStream()
        parquet.write_table(
            pyarrow.Table.from_arrays(arrays, schema=schema),
            buffer,
            compression="snappy",
            use_dictionary=True,
            write_statistics=True,
        )
        return bytes(buffer.getvalue().to_pybytes())

    return write


def check_target(out: Path) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise ExportTargetNotEmpty(
            f"{out} exists and is not a directory; an export is written into a new or "
            "empty directory"
        )
    entries = sum(1 for _ in out.iterdir())
    if entries:
        raise ExportTargetNotEmpty(
            f"{out} holds {entries} entries; an export is written only into a new or empty "
            "directory, so no file of another export is mixed in or overwritten"
        )


def _write_new(directory: Path, name: str, content: bytes) -> None:
    """Create `name` in `directory`, owner-only: never through a link, never over a file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(directory / name, flags, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)


def publish(target: Path, files: Sequence[tuple[str, bytes]]) -> None:
    """Write every file into a private directory beside `target`, then rename it into place.

    Nothing is written through a name someone else could have planted in `target` meanwhile
    (a symlink to another file, say): the files are created in a directory only this user
    can enter, and the rename fails rather than merge into a `target` that is no longer
    empty. Readers see no export or a whole one.
    """
    target = Path(os.path.abspath(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for name, content in files:
            _write_new(staging, name, content)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise

"""The evaluator dataset: the log as pseudonymised tables, a data dictionary and a manifest.

Every table is computed in one pass over the same log prefix, with no clock, so two
exports of the same log with the same options are byte for byte the same. Identifiers are
re-keyed under a key the caller gives for this export: datasets exported under different
keys cannot be joined, and those exported under the same key can.
"""

from __future__ import annotations

import errno
import hashlib
import importlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import attrs
from eventsourcing.domain import DomainEvent

from caseload.application.caseload import Caseload
from caseload.audit.anchor import require_unaltered
from caseload.domain.dates import check_date
from caseload.domain.errors import (
    ConfigurationError,
    ExportTargetNotEmpty,
    InvalidExportKey,
    InvalidValue,
    MissingExtra,
)
from caseload.domain.events import is_true_on
from caseload.domain.keys import MIN_KEY_BYTES, export_key_check, secret_bytes
from caseload.export.files import (
    check_target,
    csv_bytes,
    number,
    parquet_writer,
    publish,
    sorted_rows,
)
from caseload.programmes.education import export_tables as education
from caseload.programmes.resource_pathway.export_fold import Dataset, fold_dataset
from caseload.programmes.resource_pathway.export_tables import TABLES
from caseload.programmes.tables import Table, Value

__all__ = [
    "DATASET_VERSION",
    "DICTIONARY_FILE",
    "EXPORT_KEY_VARIABLE",
    "FORMATS",
    "MANIFEST_FILE",
    "Manifest",
    "TableFile",
    "data_dictionary",
    "export_dataset",
    "export_key",
    "key_check",
    "to_pandas",
]


EXPORT_KEY_VARIABLE = "CASELOAD_EXPORT_KEY"
"""The environment variable an export key is read from when none is passed."""
FORMATS: tuple[str, ...] = ("csv", "parquet")
MANIFEST_FILE = "manifest.json"
DICTIONARY_FILE = "data_dictionary.md"
DATASET_VERSION = 4
"""The version of the tables' shape; it changes whenever a table or column changes.
3: the education logbook's tables. 4: the `colleagues` and `employer_activities` tables,
and `contacts.colleague_id` (a contact by a colleague has an empty `broker_id`)."""

Format = Literal["csv", "parquet"]

ALL_TABLES: tuple[Table, ...] = (*TABLES, *education.TABLES)
"""Every table of the dataset: each programme's, in registry order."""


@attrs.frozen
class TableFile:
    """One written table: its file, row count and the sha256 of the file's bytes."""

    name: str
    file: str
    rows: int
    sha256: str
    columns: tuple[str, ...]


@attrs.frozen
class Manifest:
    """What an export wrote and which log prefix it describes; `manifest.json` holds it."""

    format: str
    log_position: int
    """The position of the last event exported (0 for an empty log)."""
    as_known_at: datetime | None
    """The `as_known_at` option, in UTC, or None for the whole log."""
    reference_date: date | None
    """The latest business date in the exported events; after-exit statuses and the
    monthly caseload are counted up to it."""
    key_check: str
    """HMAC-SHA-256 of a fixed text under the export key: equal for exports that can be
    joined, without revealing the key."""
    tables: tuple[TableFile, ...]
    dictionary_sha256: str
    writer: str = "csv"
    """What wrote the files: Parquet bytes are the same only for the same pyarrow version."""
    as_true_on: date | None = None
    """The `as_true_on` option (only events that had happened by this day), or None."""
    log_chain: str = "verified"
    """`verified` when the log's hash chain was checked intact before the export,
    `unverified` when the export was asked to skip that check."""

    def as_dict(self) -> dict[str, Any]:
        """The manifest as JSON-able data, as written to `manifest.json`."""
        return {
            "dataset": "caseload evaluator export",
            "dataset_version": DATASET_VERSION,
            "format": self.format,
            "log_position": self.log_position,
            "as_known_at": None if self.as_known_at is None else self.as_known_at.isoformat(),
            "as_true_on": None if self.as_true_on is None else self.as_true_on.isoformat(),
            "log_chain": self.log_chain,
            "reference_date": None
            if self.reference_date is None
            else self.reference_date.isoformat(),
            "key_check": self.key_check,
            "writer": self.writer,
            "tables": {
                table.name: {
                    "file": table.file,
                    "rows": table.rows,
                    "sha256": table.sha256,
                    "columns": list(table.columns),
                }
                for table in self.tables
            },
            "data_dictionary": {"file": DICTIONARY_FILE, "sha256": self.dictionary_sha256},
        }


def export_key(key: str | bytes | None) -> bytes:
    """The export key as bytes: the given one or `CASELOAD_EXPORT_KEY`, at least 16 bytes."""
    if key is None:
        key = os.environ.get(EXPORT_KEY_VARIABLE) or None
    if key is None or key in ("", b""):
        raise InvalidExportKey(
            f"an export needs a key of at least {MIN_KEY_BYTES} bytes to re-key its "
            f"pseudonyms: pass --key / key=... or set {EXPORT_KEY_VARIABLE}"
        )
    return secret_bytes(key, "export key", InvalidExportKey)


def key_check(key: bytes) -> str:
    """A value that tells export keys apart without revealing them."""
    return export_key_check(key)


def _optional(module: str, extra: str, purpose: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(
            f"{purpose} needs {module}, which is not installed: pip install 'caseload[{extra}]'"
        ) from None


def _moment(as_known_at: object) -> datetime | None:
    if as_known_at is None:
        return None
    if not isinstance(as_known_at, datetime):
        raise InvalidValue(
            f"as_known_at must be a timezone-aware datetime, not {type(as_known_at).__name__}"
        )
    if as_known_at.tzinfo is None or as_known_at.utcoffset() is None:
        raise InvalidValue("as_known_at must be timezone-aware: a naive datetime is ambiguous")
    try:
        return as_known_at.astimezone(UTC)
    except OverflowError:
        raise InvalidValue(
            "as_known_at lies outside the years 1 to 9999 once turned into UTC"
        ) from None


def _collect(app: Caseload, key: bytes, moment: datetime | None, day: date | None) -> Dataset:
    # One pass over the log feeds both programmes' folds.
    logbook = education.EducationFold(key)

    def events() -> Iterator[tuple[int, DomainEvent]]:
        for position, event in app.history(as_known_at=moment):
            if day is not None and not is_true_on(event, day):
                continue
            logbook(position, event)
            yield position, event

    dataset = fold_dataset(events(), key)
    return attrs.evolve(dataset, rows={**dataset.rows, **logbook.rows()})


def export_dataset(
    app: Caseload,
    out: str | os.PathLike[str],
    *,
    key: str | bytes | None = None,
    format: Format = "csv",
    as_known_at: datetime | None = None,
    as_true_on: date | None = None,
    check_chain: bool = True,
) -> Manifest:
    """Write the evaluator dataset of `app`'s log into the new or empty directory `out`.

    One file per table of the programmes' export tables (`ALL_TABLES`: the
    resource-pathway and the education programme's; CSV, or Parquet with the
    `parquet` extra), `data_dictionary.md`, and `manifest.json` last, so a directory
    with a manifest holds every file it lists. `key` (or `CASELOAD_EXPORT_KEY`, at least
    16 bytes) re-keys every identifier. With `as_known_at`, only the log as recorded by
    that moment is exported; with `as_true_on`, only the events that had happened by that
    day (a business-date cut: late registrations of earlier facts included, and the
    decisions that hold on every day).

    First the log's hash chain is checked up to what is exported, and an altered log is
    refused with `LogAltered` naming where it breaks; `check_chain=False` skips the check,
    and the manifest's `log_chain` then says `unverified`.
    """
    if format not in FORMATS:
        raise InvalidValue(f"the export format is one of {', '.join(FORMATS)}")
    raw_key = export_key(key)
    moment = _moment(as_known_at)
    day = None if as_true_on is None else check_date(as_true_on, "as_true_on")
    writer: Callable[[Table, Sequence[tuple[Value, ...]]], bytes] = csv_bytes
    if format == "parquet":
        writer = parquet_writer(_optional("pyarrow", "parquet", "a Parquet export"))
    target = Path(out)
    check_target(target)
    if check_chain:
        require_unaltered(app)
    dataset = _collect(app, raw_key, moment, day)
    files: list[tuple[str, bytes]] = []
    tables = []
    for table in ALL_TABLES:
        rows = sorted_rows(dataset.rows[table.name])
        content = writer(table, rows)
        name = f"{table.name}.{format}"
        files.append((name, content))
        tables.append(
            TableFile(
                name=table.name,
                file=name,
                rows=len(rows),
                sha256=hashlib.sha256(content).hexdigest(),
                columns=table.column_names,
            )
        )
    dictionary = data_dictionary().encode("utf-8")
    files.append((DICTIONARY_FILE, dictionary))
    manifest = Manifest(
        format=format,
        log_position=dataset.log_position,
        as_known_at=moment,
        as_true_on=day,
        log_chain="verified" if check_chain else "unverified",
        reference_date=dataset.reference_date,
        key_check=key_check(raw_key),
        tables=tuple(tables),
        dictionary_sha256=hashlib.sha256(dictionary).hexdigest(),
        writer="csv"
        if format == "csv"
        else f"pyarrow {_optional('pyarrow', 'parquet', 'a Parquet export').__version__}",
    )
    manifest_bytes = (json.dumps(manifest.as_dict(), indent=2, sort_keys=True) + "\n").encode()
    files.append((MANIFEST_FILE, manifest_bytes))
    try:
        publish(target, files)
    except OSError as error:
        if error.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            raise ExportTargetNotEmpty(
                f"{target} changed while the export was computed (something was put there); "
                "nothing was written into it"
            ) from None
        raise ConfigurationError(
            f"cannot write the export into {target}: {error.strerror or type(error).__name__}; "
            f"without {MANIFEST_FILE} the directory is not a complete export"
        ) from None
    return manifest


def to_pandas(
    app: Caseload,
    *,
    key: str | bytes | None = None,
    as_known_at: datetime | None = None,
    as_true_on: date | None = None,
) -> dict[str, Any]:
    """The evaluator dataset as pandas DataFrames, one per table, in the files' row order.

    Needs the `pandas` extra. Columns are typed: ids and text as pandas strings, dates as
    datetime64, integers as int64, decimals as float64, booleans as bool; empty cells are
    missing values. `as_known_at` and `as_true_on` cut the log as `export_dataset` does.
    """
    pandas = _optional("pandas", "pandas", "to_pandas")
    raw_key = export_key(key)
    day = None if as_true_on is None else check_date(as_true_on, "as_true_on")
    dataset = _collect(app, raw_key, _moment(as_known_at), day)
    frames = {}
    for table in ALL_TABLES:
        rows = sorted_rows(dataset.rows[table.name])
        columns = {}
        for index, column in enumerate(table.columns):
            values = [row[index] for row in rows]
            if column.type == "date":
                series = pandas.Series(pandas.to_datetime(values), dtype="datetime64[ns]")
            elif column.type == "decimal":
                series = pandas.Series([number(v) for v in values], dtype="float64")
            else:
                dtype = {"integer": "int64", "boolean": "bool"}.get(column.type, "string")
                series = pandas.Series(values, dtype=dtype)
            columns[column.name] = series
        frames[table.name] = pandas.DataFrame(columns)
    return frames


_INTRODUCTION = """\
# Data dictionary: caseload evaluator export

This dataset describes a caseload-capped employment programme at a Danish jobcentre, as
kept in its event log: every row comes from facts recorded in the log up to the position
given in `manifest.json` (`log_position`).

**Identifiers.** Every identifier (`*_id`) is an export pseudonym: 64 hexadecimal
characters, HMAC-SHA-256 of the id kept in the log, under a key chosen for the export.
Ids of the same thing are equal across tables and across exports made with the same key
(their `key_check` in `manifest.json` is equal), and unrelated across exports made with
different keys. No CPR number (the Danish personal identification number), no stored
citizen pseudonym and no broker's name is in the dataset.

**Dates.** Dates are business dates (the day a thing happened) as YYYY-MM-DD, except
`recorded_on`, the day it was entered in the log. The `reference_date` in `manifest.json`
is the latest business date of the exported citizens' and brokers' facts; after-exit
statuses and the monthly caseload are counted up to it.

**Types.** `id` and `text` are strings; `date` is a date; `integer` a whole number;
`decimal` a number with a fractional part (a float in Parquet); `boolean` is `true` or
`false` in CSV and a boolean in Parquet. A column marked *may be empty* has an empty cell
in CSV and a null in Parquet where there is no value. CSV files are UTF-8 with a header
row and `\\n` line ends.

**Terms.** A *broker* (jobformidler) is the citizen's one personal caseworker, holding at
most a limit of cases (30 per full-time post under the default policy). A *trajectory*
(borgerforløb) is one citizen's course through the programme. A *resource pathway*
(ressourceforløb) is a municipal pathway of one to five years for citizens with complex
problems beyond unemployment, meant to build up their capacity for work; the programme's
brokers hold only trajectories of that kind. The broker covers four *roles* for each
citizen: authority, employer liaison, mentor-like support and coach.
"""


def data_dictionary() -> str:
    """The data dictionary (Markdown): every column of every table, in plain language."""
    parts = [_INTRODUCTION, education.INTRODUCTION]
    for table in ALL_TABLES:
        parts.append(f"\n## `{table.name}`\n\nOne row is {table.row}.\n\n")
        parts.append("| column | type | may be empty | meaning |\n| --- | --- | --- | --- |\n")
        for column in table.columns:
            empty = "yes" if column.nullable else "no"
            parts.append(f"| `{column.name}` | {column.type} | {empty} | {column.meaning} |\n")
    return "".join(parts)

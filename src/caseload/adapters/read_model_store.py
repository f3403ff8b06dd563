"""Where read models live: state, tracking position, checkpoints and the log's time indexes.

Everything is kept in the database that holds the events (a SQLite file, or the store's
PostgreSQL schema), so one transaction writes a read model's new state together with the
log position it has reached: a worker killed at any point leaves a consistent pair behind,
and resumes without losing or double-counting an event. `memory://` keeps it in a dict.

Tables (prefixed `caseload_`):

- `read_models`: per read model its version, position, compressed canonical state, digest;
- `checkpoints`: the state of each read model every N events, for as-of queries;
- `log_index`: at positions along the log, the running maximum of recorded timestamps and
  of business dates up to there (monotone, so a moment or a day maps to a log prefix);
- `late_events`: positions of events dated before the running maximum business date, and
  of programme events, which an as-true-on query must add after its prefix.
"""

from __future__ import annotations

import sqlite3
import threading
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

import attrs

from caseload.adapters.storage import Store
from caseload.domain.errors import StoreUnavailable

__all__ = [
    "COMPRESSION_LEVEL",
    "IndexRow",
    "LateEvent",
    "MemoryProjectionStore",
    "ProjectionStore",
    "SQLProjectionStore",
    "StoredState",
    "compress",
    "decompress",
    "projection_store",
]


COMPRESSION_LEVEL = 1
"""zlib's level for stored states: a fast one, since states are rewritten often."""


def compress(data: bytes) -> bytes:
    """Compress a canonical state for storage."""
    return zlib.compress(data, COMPRESSION_LEVEL)


def decompress(data: bytes) -> bytes:
    """Inflate a stored state: one zlib stream, or several one after another (a state
    whose unchanged chunks kept their compressed form)."""
    parts = []
    while True:
        inflater = zlib.decompressobj()
        parts.append(inflater.decompress(data))
        parts.append(inflater.flush())
        if not inflater.eof:
            raise zlib.error("the stored state ends inside a compressed stream")
        data = inflater.unused_data
        if not data:
            return b"".join(parts)


@attrs.frozen
class StoredState:
    """A read model's persisted state and the log position it reflects."""

    version: int
    position: int
    state: bytes
    """Compressed canonical JSON."""
    digest: str


class IndexRow(NamedTuple):
    """At log position `position`: the latest recorded moment and business date so far."""

    position: int
    max_recorded: str
    """ISO UTC timestamp with microseconds (compares as text)."""
    max_occurred: str
    """ISO date (compares as text)."""


class LateEvent(NamedTuple):
    """An event an as-true-on query must add after its log prefix.

    A named tuple rather than an attrs class: a rebuild may make one for most events of
    the log, and a tuple is made in a fiftieth of the time."""

    position: int
    occurred_on: str
    always: bool
    """Programme events count for every date (their policies say when they apply)."""


class _Moved(Exception):
    """Another worker moved a read model on since it was loaded."""


class ProjectionStore(ABC):
    """Persistence for read models, with compare-and-set on their positions."""

    @abstractmethod
    def load(self, names: Sequence[str]) -> dict[str, StoredState]:
        """The stored states of these read models (missing ones are left out)."""

    @abstractmethod
    def commit(
        self,
        expected: dict[str, int],
        states: dict[str, StoredState],
        index: Sequence[IndexRow] = (),
        late: Sequence[LateEvent] = (),
        checkpoints: Sequence[tuple[str, StoredState]] = (),
    ) -> bool:
        """Write states (and index rows) in one transaction, if every read model is still
        at the position `expected` says (0 for none yet). Returns False, writing nothing,
        when another worker moved one of them first."""

    @abstractmethod
    def checkpoint(self, name: str, version: int, at_most: int) -> StoredState | None:
        """The latest checkpoint of a read model at or before a log position."""

    @abstractmethod
    def index_rows(self) -> list[IndexRow]:
        """Every log index row, by position."""

    @abstractmethod
    def late_events(self, after: int, until: int, on: str) -> list[int]:
        """Positions in (after, until] of late events dated on or before `on`, or always."""

    @abstractmethod
    def delete(self, names: Sequence[str]) -> None:
        """Forget the stored states of read models (their checkpoints stay: a checkpoint
        of one version at one position is the same however it was made)."""

    def close(self) -> None:  # noqa: B027  (stores without connections need nothing)
        """Release connections."""


class MemoryProjectionStore(ProjectionStore):
    """Read models of a `memory://` store, kept beside its events in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, StoredState] = {}
        self._checkpoints: dict[str, list[StoredState]] = {}
        self._index: list[IndexRow] = []
        self._late: list[LateEvent] = []

    def load(self, names: Sequence[str]) -> dict[str, StoredState]:
        with self._lock:
            return {name: self._states[name] for name in names if name in self._states}

    def commit(
        self,
        expected: dict[str, int],
        states: dict[str, StoredState],
        index: Sequence[IndexRow] = (),
        late: Sequence[LateEvent] = (),
        checkpoints: Sequence[tuple[str, StoredState]] = (),
    ) -> bool:
        with self._lock:
            for name, position in expected.items():
                current = self._states.get(name)
                if (current.position if current else 0) != position:
                    return False
            self._states.update(states)
            known = {row.position for row in self._index}
            self._index.extend(row for row in index if row.position not in known)
            self._index.sort(key=lambda row: row.position)
            seen = {event.position for event in self._late}
            self._late.extend(event for event in late if event.position not in seen)
            self._late.sort(key=lambda event: event.position)
            for name, checkpoint in checkpoints:
                self._checkpoints.setdefault(name, []).append(checkpoint)
            return True

    def checkpoint(self, name: str, version: int, at_most: int) -> StoredState | None:
        with self._lock:
            fitting = [
                c
                for c in self._checkpoints.get(name, [])
                if c.version == version and c.position <= at_most
            ]
            return max(fitting, key=lambda c: c.position) if fitting else None

    def index_rows(self) -> list[IndexRow]:
        with self._lock:
            return list(self._index)

    def late_events(self, after: int, until: int, on: str) -> list[int]:
        with self._lock:
            return [
                e.position
                for e in self._late
                if after < e.position <= until and (e.always or e.occurred_on <= on)
            ]

    def delete(self, names: Sequence[str]) -> None:
        with self._lock:
            for name in names:
                self._states.pop(name, None)


_TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}read_models (name TEXT PRIMARY KEY, version INTEGER NOT NULL,"
    " position BIGINT NOT NULL, state {blob} NOT NULL, digest TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {p}checkpoints (name TEXT NOT NULL, version INTEGER NOT NULL,"
    " position BIGINT NOT NULL, state {blob} NOT NULL, digest TEXT NOT NULL,"
    " PRIMARY KEY (name, version, position))",
    "CREATE TABLE IF NOT EXISTS {p}log_index (position BIGINT PRIMARY KEY,"
    " max_recorded TEXT NOT NULL, max_occurred TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {p}late_events (position BIGINT PRIMARY KEY,"
    " occurred_on TEXT NOT NULL, always_counts INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS {i}late_events_by_day ON {p}late_events (occurred_on, position)",
)


class SQLProjectionStore(ProjectionStore):
    """Read models in the events' own SQLite file or PostgreSQL schema."""

    def __init__(self, store: Store, *, read_only: bool = False) -> None:
        self._kind = store.kind
        self._lock = threading.Lock()
        self._connection: Any = store.connect(read_only=read_only)
        prefix = store.table("caseload_")
        index_prefix, blob = "caseload_", "BLOB" if store.kind == "sqlite" else "BYTEA"
        self._p = prefix
        if read_only:
            return
        # Workers starting together would race on CREATE TABLE (PostgreSQL then fails on
        # its catalogue's unique index): create the tables under the store's setup lock.
        with store.setup_lock(), self._transaction() as cursor:
            for statement in _TABLES:
                cursor.execute(statement.format(p=prefix, i=index_prefix, blob=blob))

    def _sql(self, statement: str) -> str:
        statement = statement.replace("{p}", self._p)
        return statement if self._kind == "sqlite" else statement.replace("?", "%s")

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._lock, self._store_errors():
            cursor = self._connection.cursor()
            cursor.execute("BEGIN IMMEDIATE" if self._kind == "sqlite" else "BEGIN")
            try:
                yield cursor
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            else:
                cursor.execute("COMMIT")
            finally:
                cursor.close()

    def _query(self, statement: str, parameters: Sequence[Any] = ()) -> list[Any]:
        with self._lock, self._store_errors():
            cursor = self._connection.cursor()
            try:
                cursor.execute(self._sql(statement), tuple(parameters))
                return list(cursor.fetchall())
            finally:
                cursor.close()

    @contextmanager
    def _store_errors(self) -> Iterator[None]:
        """Database failures become StoreUnavailable, like the event store's."""
        try:
            yield
        except sqlite3.Error as error:
            raise StoreUnavailable(f"the read models' tables failed: {error}") from None
        except Exception as error:
            if type(error).__module__.startswith("psycopg"):
                raise StoreUnavailable(f"the read models' tables failed: {error}") from None
            raise

    def load(self, names: Sequence[str]) -> dict[str, StoredState]:
        found = {}
        for name in names:
            rows = self._query(
                "SELECT version, position, state, digest FROM {p}read_models WHERE name = ?",
                (name,),
            )
            if rows:
                version, position, state, digest = rows[0]
                found[name] = StoredState(int(version), int(position), bytes(state), digest)
        return found

    def commit(
        self,
        expected: dict[str, int],
        states: dict[str, StoredState],
        index: Sequence[IndexRow] = (),
        late: Sequence[LateEvent] = (),
        checkpoints: Sequence[tuple[str, StoredState]] = (),
    ) -> bool:
        lock = "" if self._kind == "sqlite" else " FOR UPDATE"
        try:
            self._write(lock, expected, states, index, late, checkpoints)
        except _Moved:
            return False
        return True

    def _write(
        self,
        lock: str,
        expected: dict[str, int],
        states: dict[str, StoredState],
        index: Sequence[IndexRow],
        late: Sequence[LateEvent],
        checkpoints: Sequence[tuple[str, StoredState]],
    ) -> None:
        with self._transaction() as cursor:
            for name, position in expected.items():
                cursor.execute(
                    self._sql("SELECT position FROM {p}read_models WHERE name = ?" + lock), (name,)
                )
                row = cursor.fetchone()
                if (int(row[0]) if row else 0) != position:
                    raise _Moved(name)
            for name, s in states.items():
                cursor.execute(
                    self._sql(
                        "INSERT INTO {p}read_models (name, version, position, state, digest)"
                        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                        " version = excluded.version, position = excluded.position,"
                        " state = excluded.state, digest = excluded.digest"
                    ),
                    (name, s.version, s.position, s.state, s.digest),
                )
            if index:
                cursor.executemany(
                    self._sql(
                        "INSERT INTO {p}log_index (position, max_recorded, max_occurred)"
                        " VALUES (?, ?, ?) ON CONFLICT (position) DO NOTHING"
                    ),
                    [tuple(row) for row in index],
                )
            if late:
                cursor.executemany(
                    self._sql(
                        "INSERT INTO {p}late_events (position, occurred_on, always_counts)"
                        " VALUES (?, ?, ?) ON CONFLICT (position) DO NOTHING"
                    ),
                    [(event.position, event.occurred_on, int(event.always)) for event in late],
                )
            if checkpoints:
                cursor.executemany(
                    self._sql(
                        "INSERT INTO {p}checkpoints (name, version, position, state, digest)"
                        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (name, version, position) DO NOTHING"
                    ),
                    [(name, c.version, c.position, c.state, c.digest) for name, c in checkpoints],
                )

    def checkpoint(self, name: str, version: int, at_most: int) -> StoredState | None:
        rows = self._query(
            "SELECT version, position, state, digest FROM {p}checkpoints"
            " WHERE name = ? AND version = ? AND position <= ? ORDER BY position DESC LIMIT 1",
            (name, version, at_most),
        )
        if not rows:
            return None
        version_, position, state, digest = rows[0]
        return StoredState(int(version_), int(position), bytes(state), digest)

    def index_rows(self) -> list[IndexRow]:
        rows = self._query(
            "SELECT position, max_recorded, max_occurred FROM {p}log_index ORDER BY position"
        )
        return [IndexRow(int(p), r, o) for p, r, o in rows]

    def late_events(self, after: int, until: int, on: str) -> list[int]:
        rows = self._query(
            "SELECT position FROM {p}late_events WHERE position > ? AND position <= ?"
            " AND (always_counts = 1 OR occurred_on <= ?) ORDER BY position",
            (after, until, on),
        )
        return [int(row[0]) for row in rows]

    def delete(self, names: Sequence[str]) -> None:
        with self._transaction() as cursor:
            for name in names:
                cursor.execute(self._sql("DELETE FROM {p}read_models WHERE name = ?"), (name,))

    def close(self) -> None:
        with self._lock:
            self._connection.close()


TABLES = (
    "caseload_read_models",
    "caseload_checkpoints",
    "caseload_log_index",
    "caseload_late_events",
)


def projection_store(store: Store, *, read_only: bool = False) -> ProjectionStore:
    """The projection store that sits beside a store's events.

    `read_only` opens it without creating or writing anything (for a pinned replay
    session, which keeps whatever it folds in memory); a store whose read models were never
    written gets an empty in-memory one.
    """
    if store.kind == "memory" or store.env.get("SQLITE_DBNAME") == ":memory:":
        return MemoryProjectionStore()
    if read_only and store.missing_tables(*TABLES):
        return MemoryProjectionStore()
    return SQLProjectionStore(store, read_only=read_only)

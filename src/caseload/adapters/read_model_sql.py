"""Read models in the events' own SQLite file or PostgreSQL schema: the tables, the SQL
store, the migration from the earlier layout (one whole state per read model) and the
choice of store for a URL. What the tables hold is described in
`caseload.adapters.read_model_store`, beside the store's interface and the in-memory store.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from caseload.adapters.checkpoint_sql import (
    CHECKPOINT_TABLES,
    read_checkpoint,
    write_checkpoints,
)
from caseload.adapters.read_model_store import (
    IndexRow,
    LateEvent,
    MemoryProjectionStore,
    ProjectionStore,
    StoredState,
    StoredVersion,
    _Moved,
    chunk_missing,
)
from caseload.adapters.storage import Store
from caseload.domain.errors import CheckpointChunkMissing, StoreUnavailable

__all__ = ["TABLES", "SQLProjectionStore", "projection_store"]


_TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}read_model_states (name TEXT NOT NULL,"
    " version INTEGER NOT NULL, position BIGINT NOT NULL, header {blob} NOT NULL,"
    " digest TEXT NOT NULL, PRIMARY KEY (name, version))",
    "CREATE TABLE IF NOT EXISTS {p}read_model_chunks (name TEXT NOT NULL,"
    " version INTEGER NOT NULL, chunk TEXT NOT NULL, body {blob} NOT NULL,"
    " digest {blob} NOT NULL, PRIMARY KEY (name, version, chunk))",
    "CREATE TABLE IF NOT EXISTS {p}checkpoints (name TEXT NOT NULL, version INTEGER NOT NULL,"
    " position BIGINT NOT NULL, state {blob} NOT NULL, digest TEXT NOT NULL,"
    " PRIMARY KEY (name, version, position))",
    "CREATE TABLE IF NOT EXISTS {p}log_index (position BIGINT PRIMARY KEY,"
    " max_recorded TEXT NOT NULL, max_occurred TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {p}late_events (position BIGINT PRIMARY KEY,"
    " occurred_on TEXT NOT NULL, always_counts INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS {i}late_events_by_day ON {p}late_events (occurred_on, position)",
    *CHECKPOINT_TABLES,
)

_EARLIER = "caseload_read_models"
"""The table of one whole state per read model, of stores written by 0.1."""

_MIGRATE = (
    "INSERT INTO {p}read_model_states (name, version, position, header, digest)"
    " SELECT name, version, position, state, '' FROM {p}read_models WHERE true"
    " ON CONFLICT (name, version) DO NOTHING"
)


class SQLProjectionStore(ProjectionStore):
    """Read models in the events' own SQLite file or PostgreSQL schema."""

    def __init__(self, store: Store, *, read_only: bool = False) -> None:
        self._kind = store.kind
        self._lock = threading.Lock()
        prefix = store.table("caseload_")
        index_prefix, blob = "caseload_", "BLOB" if store.kind == "sqlite" else "BYTEA"
        self._p = prefix
        self.rows_written = 0
        """How many state and chunk rows commits have written."""
        missing = store.missing_tables(
            "caseload_read_model_states", _EARLIER, "caseload_checkpoint_heads"
        )
        self._earlier = "caseload_read_model_states" in missing and _EARLIER not in missing
        """Whether the states are read from the earlier layout's table (read-only)."""
        self._chunked = "caseload_checkpoint_heads" not in missing or not read_only
        """Whether the store has the tables of checkpoints in chunks (a store of an earlier
        release, opened read-only, has whole checkpoints only)."""
        self._connection: Any = store.connect(read_only=read_only)
        self.waits_for_disk = True
        """Whether a commit returns only once the disk holds it (see `_relax_sync`)."""
        if read_only:
            return
        if self._kind == "sqlite":
            self.waits_for_disk = not self._relax_sync()
        # Workers starting together would race on CREATE TABLE (PostgreSQL then fails on
        # its catalogue's unique index): create the tables under the store's setup lock.
        with store.setup_lock(), self._transaction() as cursor:
            for statement in _TABLES:
                cursor.execute(statement.format(p=prefix, i=index_prefix, blob=blob))
            if self._earlier:
                cursor.execute(self._sql(_MIGRATE))
        self._earlier = False

    def _relax_sync(self) -> bool:
        """Let this connection's commits skip the wait for the disk, where that is safe.

        Everything this store writes is derived from the log and rebuilt from it, and each
        state carries the log position it reflects: a state write lost to a power cut
        leaves the previous state at its own position, and the next catch-up folds on from
        there. In WAL mode `synchronous = NORMAL` keeps every commit durable against a
        crash of the process and the database consistent against a power cut (only the
        last commits can be lost). The setting is this connection's alone: the events are
        written on the event store's own connection, which keeps waiting for the disk on
        every commit. Outside WAL mode NORMAL could corrupt the file on a power cut, so a
        store that is not in WAL mode keeps the default. Returns whether it was relaxed.
        """
        with self._store_errors():
            (mode,) = self._connection.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() != "wal":
                return False
            self._connection.execute("PRAGMA synchronous = NORMAL")
            return True

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

    def load(
        self, names: Sequence[str], versions: Mapping[str, int] | None = None
    ) -> dict[str, StoredState]:
        versions = versions or {}
        table, header, digest = (
            ("read_models", "state", "''")
            if self._earlier
            else ("read_model_states", "header", "digest")
        )
        found = {}
        for name in names:
            select = (
                f"SELECT version, position, {header}, {digest} FROM {{p}}{table} WHERE name = ?"
            )
            if name in versions:
                rows = self._query(select + " AND version = ?", (name, versions[name]))
            else:
                rows = self._query(select + " ORDER BY version DESC LIMIT 1", (name,))
            if not rows:
                continue
            version, position, state, digest_ = rows[0]
            chunks = {}
            if not self._earlier:
                chunks = {
                    key: (bytes(body), bytes(chunk_digest))
                    for key, body, chunk_digest in self._query(
                        "SELECT chunk, body, digest FROM {p}read_model_chunks"
                        " WHERE name = ? AND version = ?",
                        (name, version),
                    )
                }
            found[name] = StoredState(int(version), int(position), bytes(state), digest_, chunks)
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
            written = self._write(lock, expected, states, index, late, checkpoints)
        except _Moved:
            return False
        self.rows_written += written
        return True

    def _write(
        self,
        lock: str,
        expected: dict[str, int],
        states: dict[str, StoredState],
        index: Sequence[IndexRow],
        late: Sequence[LateEvent],
        checkpoints: Sequence[tuple[str, StoredState]],
    ) -> int:
        written = 0
        with self._transaction() as cursor:
            for name, position in expected.items():
                version = states[name].version if name in states else 1
                cursor.execute(
                    self._sql(
                        "SELECT position FROM {p}read_model_states WHERE name = ? AND version = ?"
                        + lock
                    ),
                    (name, version),
                )
                row = cursor.fetchone()
                if (int(row[0]) if row else 0) != position:
                    raise _Moved(name)
            for name, s in states.items():
                cursor.execute(
                    self._sql(
                        "INSERT INTO {p}read_model_states (name, version, position, header, digest)"
                        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (name, version) DO UPDATE SET"
                        " position = excluded.position, header = excluded.header,"
                        " digest = excluded.digest"
                    ),
                    (name, s.version, s.position, s.state, s.digest),
                )
                written += 1 + self._write_chunks(cursor, name, s)
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
            write_checkpoints(cursor, self._sql, checkpoints)
        return written

    def _write_chunks(self, cursor: Any, name: str, state: StoredState) -> int:
        """Write a state's chunk rows (the changed ones only where it says which); return
        how many rows were written or deleted."""
        if state.rewrite is None:
            cursor.execute(
                self._sql("DELETE FROM {p}read_model_chunks WHERE name = ? AND version = ?"),
                (name, state.version),
            )
            keys: Sequence[str] = list(state.chunks)
        else:
            gone = [key for key in state.rewrite if key not in state.chunks]
            if gone:
                cursor.executemany(
                    self._sql(
                        "DELETE FROM {p}read_model_chunks"
                        " WHERE name = ? AND version = ? AND chunk = ?"
                    ),
                    [(name, state.version, key) for key in gone],
                )
            keys = [key for key in state.rewrite if key in state.chunks]
        if keys:
            cursor.executemany(
                self._sql(
                    "INSERT INTO {p}read_model_chunks (name, version, chunk, body, digest)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (name, version, chunk) DO UPDATE SET"
                    " body = excluded.body, digest = excluded.digest"
                ),
                [(name, state.version, key, state.body(key), state.chunks[key][1]) for key in keys],
            )
        return len(keys) if state.rewrite is None else len(state.rewrite)

    def checkpoint(self, name: str, version: int, at_most: int) -> StoredState | None:
        return read_checkpoint(self._query, name, version, at_most, chunked=self._chunked)

    def checkpoint_chunk(self, name: str, version: int, digest: bytes) -> bytes:
        rows = (
            self._query(
                "SELECT body FROM {p}checkpoint_chunks"
                " WHERE name = ? AND version = ? AND digest = ?",
                (name, version, digest),
            )
            if self._chunked
            else []
        )
        if not rows:
            raise CheckpointChunkMissing(chunk_missing(name, version, digest))
        return bytes(rows[0][0])

    def checkpoint_chunks(self, name: str, version: int) -> int:
        if not self._chunked:
            return 0
        rows = self._query(
            "SELECT COUNT(*) FROM {p}checkpoint_chunks WHERE name = ? AND version = ?",
            (name, version),
        )
        return int(rows[0][0])

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

    def delete(self, names: Sequence[str], versions: Mapping[str, int] | None = None) -> None:
        versions = versions or {}
        with self._transaction() as cursor:
            for name in names:
                for table in ("read_model_states", "read_model_chunks"):
                    if name in versions:
                        cursor.execute(
                            self._sql(f"DELETE FROM {{p}}{table} WHERE name = ? AND version = ?"),
                            (name, versions[name]),
                        )
                    else:
                        cursor.execute(
                            self._sql(f"DELETE FROM {{p}}{table} WHERE name = ?"), (name,)
                        )

    def stored_versions(self) -> list[StoredVersion]:
        table = "read_models" if self._earlier else "read_model_states"
        rows = self._query(
            f"SELECT name, version, position FROM {{p}}{table} ORDER BY name, version"
        )
        return [
            StoredVersion(name, int(version), int(position)) for name, version, position in rows
        ]

    def _drop(self, name: str, version: int) -> None:
        with self._transaction() as cursor:
            for table in (
                "read_model_states",
                "read_model_chunks",
                "checkpoints",
                "checkpoint_heads",
                "checkpoint_chunks",
            ):
                cursor.execute(
                    self._sql(f"DELETE FROM {{p}}{table} WHERE name = ? AND version = ?"),
                    (name, version),
                )

    def close(self) -> None:
        with self._lock:
            self._connection.close()


_NEEDED = (
    "caseload_read_model_states",
    "caseload_read_model_chunks",
    "caseload_checkpoints",
    "caseload_log_index",
    "caseload_late_events",
)
"""The read-model tables that a store opened read-only must have to be read as it is (one
of the earlier layout stands in for the first two; one written before checkpoints were
stored in chunks lacks the tables of those, and has its whole checkpoints read)."""

TABLES = (*_NEEDED, "caseload_checkpoint_heads", "caseload_checkpoint_chunks")
"""Every table of the read models."""


def projection_store(store: Store, *, read_only: bool = False) -> ProjectionStore:
    """The projection store that sits beside a store's events.

    `read_only` opens it without creating or writing anything (for a pinned replay
    session, which keeps whatever it folds in memory); a store whose read models were never
    written gets an empty in-memory one, and one of the earlier layout is read as it is.
    """
    if store.kind == "memory" or store.env.get("SQLITE_DBNAME") == ":memory:":
        return MemoryProjectionStore()
    if read_only:
        # The tables of checkpoints in chunks are new in 0.2: a store without them is read
        # with its whole checkpoints.
        missing = set(store.missing_tables(*_NEEDED)) - {_EARLIER}
        layout = {"caseload_read_model_states", "caseload_read_model_chunks"}
        earlier_layout = missing <= layout and not store.missing_tables(_EARLIER)
        if missing and not earlier_layout:
            return MemoryProjectionStore()
    return SQLProjectionStore(store, read_only=read_only)

"""Raw read access to a store's event rows, chain links and seals, for checking and sealing.

`chain_source` opens it for any store: for the in-memory store it reads the chained
recorder; for a SQLite file or a PostgreSQL schema it queries the tables over its own
connection (read-only when asked), so verify sees rows exactly as stored, even rows
altered by hand.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

import attrs
from eventsourcing.persistence import StoredEvent

from caseload.adapters.hashes import GENESIS, id_text
from caseload.adapters.recorders import CHAIN_TABLE, SEALS_TABLE, ChainedPOPORecorder
from caseload.adapters.seals import Seal, as_seal, new_seal, seal_chain_break
from caseload.adapters.storage import Store
from caseload.domain.errors import ConfigurationError, LogAltered, StoreUnavailable

__all__ = ["ChainSource", "StoredRow", "chain_source", "iter_links", "iter_rows"]


@attrs.frozen
class StoredRow:
    """An event row exactly as stored (a row altered by hand may hold other types)."""

    position: int
    originator_id: Any
    version: Any
    topic: Any
    state: Any

    def well_formed(self) -> bool:
        """Whether every column holds the type the recorder writes."""
        return (
            isinstance(self.originator_id, str)
            and type(self.version) is int
            and -(2**63) <= self.version < 2**63
            and isinstance(self.topic, str)
            and type(self.state) is bytes
        )


class ChainSource(Protocol):
    """Raw access to a store's event rows, chain links and seals, for checking and sealing."""

    def rows(self, after: int, last: int, limit: int) -> list[StoredRow]:
        """Event rows at positions in (after, last], by position, at most `limit`."""

    def links(self, after: int, last: int, limit: int) -> list[tuple[int, bytes]]:
        """Chain links at positions in (after, last], by position, at most `limit`."""

    def head(self) -> int:
        """The highest position of an event row or a chain link (0 when empty)."""

    def seals(self) -> list[tuple[int, int, bytes, str, bytes]]:
        """Every seal row: number, position, head, sealed_at, digest; by number."""

    def version_at(self, originator_id: UUID, last: int) -> int | None:
        """The latest version of an aggregate among the events up to position `last`."""

    def snapshot_rows(self) -> list[StoredEvent]:
        """Every stored aggregate snapshot (none when the store keeps no snapshot table)."""

    def containing(self, topics: Sequence[str], needle: str, after: int = 0) -> list[StoredRow]:
        """The events under any of `topics`, after position `after`, whose stored state
        contains `needle` (a prefilter: the caller decodes them and checks what it needs),
        in log order."""

    def seal(self, now: datetime) -> Seal:
        """Record a seal of the current chain head, atomically."""

    def close(self) -> None:
        """Release connections."""


class _MemorySource:
    def __init__(self, recorder: ChainedPOPORecorder, snapshots: Sequence[StoredEvent]) -> None:
        self._recorder = recorder
        self._snapshots = snapshots

    def rows(self, after: int, last: int, limit: int) -> list[StoredRow]:
        notifications = self._recorder.select_notifications(start=after + 1, limit=limit, stop=last)
        return [
            StoredRow(n.id, id_text(n.originator_id), n.originator_version, n.topic, n.state)
            for n in notifications
        ]

    def links(self, after: int, last: int, limit: int) -> list[tuple[int, bytes]]:
        with self._recorder._database_lock:
            chosen = self._recorder.links[after : min(last, after + limit)]
        return [(after + 1 + i, hash_) for i, hash_ in enumerate(chosen)]

    def head(self) -> int:
        return max(self._recorder.max_notification_id() or 0, len(self._recorder.links))

    def seals(self) -> list[tuple[int, int, bytes, str, bytes]]:
        return list(self._recorder.seals)

    def snapshot_rows(self) -> list[StoredEvent]:
        return list(self._snapshots)

    def containing(self, topics: Sequence[str], needle: str, after: int = 0) -> list[StoredRow]:
        found = needle.encode()
        notifications = self._recorder.select_notifications(
            start=after + 1,
            limit=(self._recorder.max_notification_id() or 0) + 1,
            topics=list(topics),
        )
        return [
            StoredRow(n.id, id_text(n.originator_id), n.originator_version, n.topic, n.state)
            for n in notifications
            if found in n.state
        ]

    def version_at(self, originator_id: UUID, last: int) -> int | None:
        versions = [
            n.originator_version
            for n in self._recorder.select_notifications(start=1, limit=last, stop=last)
            if n.originator_id == originator_id
        ]
        return max(versions) if versions else None

    def seal(self, now: datetime) -> Seal:
        with self._recorder._database_lock:
            if seal_chain_break(self._recorder.seals) is not None:
                raise LogAltered("cannot seal: the seals already recorded were altered")
            links = self._recorder.links
            row = new_seal(self._recorder.seals, len(links), links[-1] if links else GENESIS, now)
            self._recorder.seals.append(row)
        return as_seal(row)

    def close(self) -> None:
        pass


class _SQLSource:
    """Event rows, links and seals read straight from a SQLite file or PostgreSQL schema."""

    def __init__(self, store: Store, *, read_only: bool = False) -> None:
        self._lock = threading.Lock()
        self._sqlite = store.kind == "sqlite"
        self._description = store.description
        self._database_errors: tuple[type[Exception], ...] = ()
        if not self._sqlite:
            import psycopg

            self._database_errors = (psycopg.Error,)
        self._connection: Any = store.connect(read_only=read_only)
        self._p = "?" if self._sqlite else "%s"
        position = "rowid" if self._sqlite else "notification_id"
        events = store.table(store.events_table)
        chain, seals = store.table(CHAIN_TABLE), store.table(SEALS_TABLE)
        p = self._p
        self._select_rows = (
            f"SELECT {position}, originator_id, originator_version, topic, state FROM {events} "
            f"WHERE {position} > {p} AND {position} <= {p} ORDER BY {position} LIMIT {p}"
        )
        self._select_links = (
            f"SELECT position, hash FROM {chain} WHERE position > {p} AND position <= {p} "
            f"ORDER BY position LIMIT {p}"
        )
        self._select_head = (
            f"SELECT (SELECT COALESCE(MAX({position}), 0) FROM {events}), "
            f"(SELECT COALESCE(MAX(position), 0) FROM {chain})"
        )
        self._chain_head = f"SELECT position, hash FROM {chain} ORDER BY position DESC LIMIT 1"
        self._select_seals = (
            f"SELECT number, position, head, sealed_at, digest FROM {seals} ORDER BY number"
        )
        self._insert_seal = f"INSERT INTO {seals} VALUES ({p}, {p}, {p}, {p}, {p})"
        snapshots_table = "stored_snapshots" if self._sqlite else "caseload_snapshots"
        self._has_snapshots = not store.missing_tables(snapshots_table)
        self._select_snapshots = (
            "SELECT originator_id, originator_version, topic, state FROM "
            + store.table(snapshots_table)
        )
        self._select_containing = (
            f"SELECT {position}, originator_id, originator_version, topic, state FROM {events} "
            f"WHERE {position} > {p} AND topic IN ({{topics}}) AND "
            + ("instr(state, ?) > 0" if self._sqlite else "position(%s in state) > 0")
            + f" ORDER BY {position}"
        )
        self._select_version = (
            f"SELECT MAX(originator_version) FROM {events} "
            f"WHERE originator_id = {p} AND {position} <= {p}"
        )
        self._lock_seals = (
            "BEGIN IMMEDIATE" if self._sqlite else f"LOCK TABLE {seals} IN EXCLUSIVE MODE"
        )

    def _query(self, statement: str, parameters: Sequence[Any] = ()) -> list[Any]:
        with self._lock, self._errors():
            return list(self._connection.execute(statement, parameters).fetchall())

    def rows(self, after: int, last: int, limit: int) -> list[StoredRow]:
        # SQLite keeps whatever type a column was given, so values are passed on as stored
        # and checked by the chain walk; PostgreSQL's columns are typed (uuid, bytea).
        if self._sqlite:
            return [
                StoredRow(row[0], row[1], row[2], row[3], row[4])
                for row in self._query(self._select_rows, (after, last, limit))
            ]
        return [
            StoredRow(row[0], id_text(row[1]), row[2], row[3], bytes(row[4]))
            for row in self._query(self._select_rows, (after, last, limit))
        ]

    def links(self, after: int, last: int, limit: int) -> list[tuple[int, Any]]:
        return [
            (row[0], row[1] if self._sqlite else bytes(row[1]))
            for row in self._query(self._select_links, (after, last, limit))
        ]

    def head(self) -> int:
        events, links = self._query(self._select_head)[0]
        return max(int(events), int(links))

    def seals(self) -> list[tuple[int, int, bytes, str, bytes]]:
        return [self._seal_row(row) for row in self._query(self._select_seals)]

    def _seal_row(self, row: Any) -> tuple[Any, Any, Any, Any, Any]:
        if self._sqlite:
            return (row[0], row[1], row[2], row[3], row[4])
        return (row[0], row[1], bytes(row[2]), row[3], bytes(row[4]))

    def snapshot_rows(self) -> list[StoredEvent]:
        if not self._has_snapshots:
            return []
        return [
            StoredEvent(
                originator_id=UUID(row[0]) if isinstance(row[0], str) else row[0],
                originator_version=row[1],
                topic=row[2],
                state=bytes(row[3]),
            )
            for row in self._query(self._select_snapshots)
        ]

    def containing(self, topics: Sequence[str], needle: str, after: int = 0) -> list[StoredRow]:
        if not topics:
            return []
        statement = self._select_containing.format(topics=", ".join([self._p] * len(topics)))
        rows = self._query(statement, (after, *topics, needle.encode()))
        return [
            StoredRow(row[0], id_text(row[1]), row[2], row[3], bytes(row[4]))
            for row in rows
            if isinstance(row[4], bytes | memoryview)
        ]

    def version_at(self, originator_id: UUID, last: int) -> int | None:
        key: object = originator_id.hex if self._sqlite else originator_id
        found = self._query(self._select_version, (key, last))[0][0]
        return None if found is None else int(found)

    def seal(self, now: datetime) -> Seal:
        with self._lock, self._errors():
            if not self._sqlite:
                with self._connection.transaction():
                    return self._seal(now)
            connection = self._connection
            connection.execute("BEGIN IMMEDIATE")  # the write lock, held to the commit
            try:
                sealed = self._seal(now)
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return sealed

    def _seal(self, now: datetime) -> Seal:
        connection = self._connection
        if not self._sqlite:
            connection.execute(self._lock_seals)
        found = connection.execute(self._chain_head).fetchone()
        seals = [self._seal_row(r) for r in connection.execute(self._select_seals).fetchall()]
        head = GENESIS if found is None else found[1]
        if seal_chain_break(seals) is not None or type(head) not in (bytes, memoryview):
            raise LogAltered(
                "cannot seal: the chain's head or the seals already recorded were altered; "
                "run `caseload verify`"
            )
        row = new_seal(seals, 0 if found is None else int(found[0]), bytes(head), now)
        connection.execute(self._insert_seal, row)
        return as_seal(row)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        errors: tuple[type[Exception], ...] = (sqlite3.Error, *self._database_errors)
        try:
            yield
        except errors as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
            raise StoreUnavailable(f"{self._description} failed: {reason}") from None

    def close(self) -> None:
        with self._lock:
            self._connection.close()


def chain_source(
    store: Store,
    recorder: object,
    *,
    read_only: bool = False,
    snapshots: Sequence[StoredEvent] = (),
) -> ChainSource:
    """Raw access to the chain of a store (the memory store's comes from its recorder)."""
    if store.kind == "memory":
        if not isinstance(recorder, ChainedPOPORecorder):
            raise ConfigurationError("this in-memory store keeps no hash chain")
        return _MemorySource(recorder, snapshots)
    if store.env.get("SQLITE_DBNAME") == ":memory:":
        raise ConfigurationError(
            "a SQLite :memory: database cannot be audited: use memory:// or a SQLite file"
        )
    return _SQLSource(store, read_only=read_only)


T = TypeVar("T")


def _paged(
    fetch: Callable[[int, int, int], list[T]],
    position: Callable[[T], int],
    last: int,
    batch: int,
    progress: Callable[[int], None] | None = None,
    after: int = 0,
) -> Iterator[T]:
    """Everything `fetch(after, last, limit)` gives, batch after batch, from after
    position `after` up to `last`."""
    while items := fetch(after, last, batch):
        yield from items
        after = position(items[-1])
        if progress is not None:
            progress(after)


def iter_rows(
    source: ChainSource,
    last: int,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
    after: int = 0,
) -> Iterator[StoredRow]:
    """Every event row after position `after` up to `last`, in position order;
    `progress` hears the position reached after each batch."""
    return _paged(source.rows, lambda row: row.position, last, batch, progress, after)


def iter_links(
    source: ChainSource, last: int, batch: int = 5000, after: int = 0
) -> Iterator[tuple[int, bytes]]:
    """Every chain link after position `after` up to `last`, in position order."""
    return _paged(source.links, lambda link: link[0], last, batch, after=after)

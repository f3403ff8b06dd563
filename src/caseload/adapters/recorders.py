"""The chained recorders: each event's hash-chain link is written in the event's own transaction.

The link (see `caseload.adapters.hashes`) is written by the recorder **in the same
transaction as the event**, while the writer holds the log's write lock (SQLite's single
writer; PostgreSQL's EXCLUSIVE lock on the events table, which eventsourcing takes to keep
positions in commit order). So no event can be recorded without its link, and links follow
commit order exactly. A process that chains after the fact could be bypassed by a writer
that stops before it runs; this cannot. Store settings name these classes by topic
(`caseload.adapters.storage`); the PostgreSQL one lives in `caseload.adapters.postgres`,
so that a store on SQLite never imports the PostgreSQL driver.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import InternalError, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteConnection, SQLiteCursor

from caseload.adapters.hashes import GENESIS, id_text, link

__all__ = [
    "BULK_CACHE_KIB",
    "CHAIN_TABLE",
    "SEALS_TABLE",
    "ChainedPOPOFactory",
    "ChainedPOPORecorder",
    "ChainedSQLiteRecorder",
    "EventRow",
    "chain_links",
    "event_row",
    "larger_cache",
    "relaxed_sync",
    "row_links",
]

CHAIN_TABLE = "caseload_chain"
SEALS_TABLE = "caseload_seals"


def chain_links(
    previous: bytes, positions: Sequence[int], stored_events: Sequence[StoredEvent]
) -> list[tuple[int, bytes]]:
    """The (position, link) rows of events just stored at `positions`, after `previous`."""
    return row_links(previous, positions, [event_row(stored) for stored in stored_events])


EventRow = tuple[str, int, str, bytes]
"""A stored event as the SQLite recorder inserts it: (aggregate id as hex, version, topic,
state)."""


def event_row(stored: StoredEvent) -> EventRow:
    """The row of a stored event."""
    return (id_text(stored.originator_id), stored.originator_version, stored.topic, stored.state)


def row_links(
    previous: bytes, positions: Sequence[int], rows: Sequence[EventRow]
) -> list[tuple[int, bytes]]:
    """The (position, link) rows of event rows just stored at `positions`, after `previous`."""
    links = []
    for position, (originator_id, version, topic, state) in zip(positions, rows, strict=True):
        previous = link(previous, position, originator_id, version, topic, state)
        links.append((position, previous))
    return links


@contextmanager
def relaxed_sync(connection: SQLiteConnection, *, relax: bool) -> Iterator[None]:
    """While the block runs, commits on `connection` do not wait for the disk, if `relax`
    and the database is in write-ahead-log mode; the connection's setting comes back after.

    In WAL mode `synchronous = NORMAL` keeps the database consistent through a power cut
    (SQLite syncs the log at every checkpoint) but may lose the last commits made under
    it; the next commit under `FULL` syncs the log, and with it every commit before. In
    any other journal mode the setting could corrupt the file, so it is left alone.
    """
    if not relax:
        yield
        return
    cursor = connection.cursor().sqlite_cursor
    (mode,) = cursor.execute("PRAGMA journal_mode").fetchone()
    if str(mode).lower() != "wal":
        yield
        return
    (setting,) = cursor.execute("PRAGMA synchronous").fetchone()
    cursor.execute("PRAGMA synchronous = NORMAL")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA synchronous = {int(setting)}")
        cursor.close()


BULK_CACHE_KIB = 64 * 1024
"""SQLite's page cache while a bulk writer's rows go in (SQLite's own default is 2 MiB)."""


@contextmanager
def larger_cache(connection: SQLiteConnection, kib: int) -> Iterator[None]:
    """While the block runs, `connection` caches up to `kib` KiB of pages, if that is more
    than its setting; the setting comes back after, and the cache shrinks with it.

    The events' index is keyed by random aggregate ids, so a write of thousands of events
    changes pages all over it. In SQLite's default cache of 2 MiB those pages are read
    again and again from the operating system, and dirty ones are spilled into the log
    before the commit, where one changed again is written again.
    """
    cursor = connection.cursor().sqlite_cursor
    (setting,) = cursor.execute("PRAGMA cache_size").fetchone()
    # A negative setting is in KiB, a positive one in pages.
    (page_size,) = cursor.execute("PRAGMA page_size").fetchone()
    current = -int(setting) if setting < 0 else int(setting) * int(page_size) // 1024
    if current >= kib:
        cursor.close()
        yield
        return
    cursor.execute(f"PRAGMA cache_size = {-int(kib)}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {int(setting)}")
        cursor.close()


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    """eventsourcing's SQLite recorder, writing each event's chain link in its transaction."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} "
            "(position INTEGER PRIMARY KEY, hash BLOB NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {SEALS_TABLE} (number INTEGER PRIMARY KEY, "
            "position INTEGER NOT NULL, head BLOB NOT NULL, sealed_at TEXT NOT NULL, "
            "digest BLOB NOT NULL)",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if len(stored_events) < 2:
            positions = super()._insert_events(c, stored_events, **kwargs)
            assert positions is not None
            self._insert_links(c, positions, [event_row(s) for s in stored_events])
            return positions
        return self._insert_rows(c, [event_row(s) for s in stored_events])

    def insert_rows(
        self, rows: Sequence[EventRow], *, durable: bool = True, cache_kib: int = BULK_CACHE_KIB
    ) -> Sequence[int]:
        """Record events given as rows (`EventRow`, the bytes `Mapper.to_stored_event`
        gives) in one transaction, each with its chain link; returns their positions.

        For a writer that encodes many events itself (`Caseload.batch`): the same rows and
        links as `insert_events`, without a `StoredEvent` for each. With `durable=False`
        the commit does not wait for the disk (see `relaxed_sync`): a writer that commits
        many transactions in a row makes its last one durable, and with it all before.
        The write runs with a page cache of at least `cache_kib` KiB (`larger_cache`).
        """
        if not rows:
            return []
        with (
            self.datastore.get_connection(commit=True) as connection,
            relaxed_sync(connection, relax=not durable),
            larger_cache(connection, cache_kib),
            connection.transaction(commit=True) as c,
        ):
            return self._insert_rows(c, rows)

    def sync(self) -> None:
        """Make every commit so far durable, those made with `durable=False` included: a
        full checkpoint syncs the write-ahead log before it copies the log into the file."""
        with self.datastore.get_connection(commit=True) as connection:
            cursor = connection.cursor().sqlite_cursor
            try:
                cursor.execute("PRAGMA wal_checkpoint(FULL)").fetchall()
            finally:
                cursor.close()

    def _insert_rows(self, c: SQLiteCursor, rows: Sequence[EventRow]) -> Sequence[int]:
        positions = self._insert_event_rows(c, rows)
        self._insert_links(c, positions, rows)
        return positions

    def _insert_links(
        self, c: SQLiteCursor, positions: Sequence[int], rows: Sequence[EventRow]
    ) -> None:
        # The inserts before took the write lock, so the head read here is the latest.
        c.execute(f"SELECT hash FROM {CHAIN_TABLE} ORDER BY position DESC LIMIT 1")
        row = c.fetchone()
        previous = GENESIS if row is None else bytes(row[0])
        c.executemany(
            f"INSERT INTO {CHAIN_TABLE} VALUES (?, ?)", row_links(previous, positions, rows)
        )

    def _insert_event_rows(self, c: SQLiteCursor, rows: Sequence[EventRow]) -> Sequence[int]:
        # eventsourcing inserts row by row to learn each row's position; under the write
        # lock the positions of consecutive inserts are consecutive, so the first insert
        # gives them all, and the rest go in one statement.
        c.execute(self.insert_events_statement, rows[0])
        first = c.lastrowid
        c.executemany(self.insert_events_statement, rows[1:])
        c.execute(f"SELECT MAX(rowid) FROM {self.events_table_name}")
        last = c.fetchone()[0]
        if first is None or last != first + len(rows) - 1:
            raise InternalError(
                f"events took positions {first} to {last}, not {len(rows)} in a row"
            )
        return list(range(first, last + 1))


class ChainedPOPORecorder(POPOApplicationRecorder):
    """The in-memory recorder with a chain link per event."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[bytes] = []
        self.seals: list[tuple[int, int, bytes, str, bytes]] = []

    def _update_table(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        positions = super()._update_table(stored_events, **kwargs)
        assert positions is not None
        previous = self.links[-1] if self.links else GENESIS
        self.links.extend(hash_ for _, hash_ in chain_links(previous, positions, stored_events))
        return positions


class ChainedPOPOFactory(POPOFactory):
    """The in-memory store, with the chained recorder."""

    def application_recorder(self) -> ChainedPOPORecorder:
        return ChainedPOPORecorder()

"""The composition root: one place where a store URL becomes the parts that work on it.

`Wiring` holds the store, the eventsourcing application that writes its events through
the chained recorder, and (opened on first use) the fast log reader, the read-model store
and raw access to the chain. The `Caseload` facade, the unit of work, `verify`, export
and tests get these collaborators here instead of building their own.
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate, DomainEvent
from eventsourcing.persistence import (
    JSONTranscoder,
    Mapper,
    PersistenceError,
    Transcoder,
)
from eventsourcing.utils import Environment, EnvType

from caseload.adapters.chain import ChainSource, chain_source
from caseload.adapters.data_keys import DataKeyTable, data_key_table
from caseload.adapters.fast_transcoder import FastJSONTranscoder
from caseload.adapters.log import EventDecoder, LogReader, StoredTopicsMapper, log_reader
from caseload.adapters.read_model_sql import projection_store
from caseload.adapters.read_model_store import ProjectionStore
from caseload.adapters.storage import Store, parse_store_url
from caseload.adapters.transcodings import register_transcodings
from caseload.domain.errors import StoreUnavailable
from caseload.programmes import ProgrammeKind, event_topics, programme_kinds

__all__ = ["EventStore", "Wiring", "bootstrap"]

_SNAPSHOTS = "CASELOAD_SNAPSHOTS"

logger = logging.getLogger("caseload.store")


class _SnapshotIntervals(Mapping[type[Aggregate], int]):
    """Every aggregate class of every programme kind, snapshotted every 50 events: read
    when the application first saves, so that opening a store loads no kind."""

    @functools.cached_property
    def _intervals(self) -> dict[type[Aggregate], int]:
        return {aggregate: 50 for kind in programme_kinds() for aggregate in kind.aggregates}

    def __bool__(self) -> bool:
        return True  # every kind has aggregates: said without loading them

    def __getitem__(self, aggregate: type[Aggregate]) -> int:
        return self._intervals[aggregate]

    def __iter__(self) -> Iterator[type[Aggregate]]:
        return iter(self._intervals)

    def __len__(self) -> int:
        return len(self._intervals)


class EventStore(Application[UUID]):
    """The eventsourcing application underneath the facade: repository, recorder, mapper."""

    name = "Caseload"
    # Snapshots keep a cold load of a long-lived aggregate short; the aggregate cache
    # (fast-forwarded from the store on every get) keeps warm loads short.
    snapshotting_intervals = _SnapshotIntervals()  # type: ignore[assignment]  # a Mapping

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=StoredTopicsMapper
        )

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only the settings the store URL gave: eventsourcing would also read the process
        # environment, where a stray CASELOAD_APPLICATION_RECORDER_TOPIC could drop the
        # hash chain or a POSTGRES_SCHEMA move the events away from the rest of the store.
        settings = dict(env or {})
        if settings.pop(_SNAPSHOTS, "yes") == "yes":
            settings["IS_SNAPSHOTTING_ENABLED"] = "y"
        return Environment(name, settings)

    def construct_transcoder(self) -> Transcoder:
        # The same transcodings and stored bytes as eventsourcing's JSON transcoder, written
        # by orjson: encoding was the largest single cost of writing events.
        transcoder = FastJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_transcodings(transcoder)

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        # Snapshots are taken after the events are committed: a failure here must not
        # report a command that succeeded as failed. The next load replays the events.
        try:
            super()._take_snapshots(processing_event)
        except Exception as error:
            logger.warning(
                "a snapshot was not taken (%s); loads replay the events instead",
                type(error).__name__,
            )


class Wiring:
    """The collaborators that work on one store, made once and shared."""

    def __init__(self, store: Store, *, read_only: bool) -> None:
        self.store = store
        self.read_only = read_only
        env = {**store.env, "AGGREGATE_CACHE_MAXSIZE": "10000"}
        if store.immutable:
            env["SQLITE_DBNAME"] = store.sqlite_uri()
        try:
            if read_only:
                # Replay only: create nothing, and rebuild aggregates from their events,
                # not from snapshots (which verify does not cover).
                env.update({"CREATE_TABLE": "no", _SNAPSHOTS: "no"})
                self.events = EventStore(env=env)
            else:
                with store.setup_lock():
                    self.events = EventStore(env=env)
        except (PersistenceError, sqlite3.Error, OSError) as error:
            reason = str(error).strip() or type(error).__name__
            raise StoreUnavailable(f"cannot open {store.description}: {reason}") from None
        self._lock = threading.Lock()
        self._reader: LogReader | None = None
        self._read_models: ProjectionStore | None = None
        self._chain: ChainSource | None = None
        self._data_keys: DataKeyTable | None = None
        self._programmes: dict[str, UUID] = {}
        self._programmes_seen_to = 0

    @property
    def description(self) -> str:
        """The store's kind and location, without passwords."""
        return self.store.description

    def decoder(self) -> EventDecoder:
        """A decoder of stored rows into the events the mapper would make."""
        transcoder = self.events.mapper.transcoder
        assert isinstance(transcoder, JSONTranscoder)
        return EventDecoder(transcoder)

    def log_reader(self) -> LogReader:
        """The fast reader of the event log (opened on first use)."""
        with self._lock:
            if self._reader is None:
                # The topics are looked up when a read first selects rows by class.
                self._reader = log_reader(self.events, self.store, event_topics)
            return self._reader

    def read_models(self) -> ProjectionStore:
        """The store's own read-model store (opened on first use)."""
        with self._lock:
            if self._read_models is None:
                self._read_models = projection_store(self.store, read_only=self.read_only)
            return self._read_models

    def chain(self) -> ChainSource:
        """Raw access to the events, their hash chain and the seals (opened on first use)."""
        with self._lock:
            if self._chain is None:
                snapshots = self.events.snapshots
                stored = getattr(snapshots.recorder, "_stored_events", []) if snapshots else []
                self._chain = chain_source(
                    self.store,
                    self.events.recorder,
                    read_only=self.read_only,
                    snapshots=stored,
                )
            return self._chain

    def data_keys(self) -> DataKeyTable:
        """The store's table of wrapped per-citizen data keys (opened on first use)."""
        with self._lock:
            if self._data_keys is None:
                self._data_keys = data_key_table(self.store, read_only=self.read_only)
            return self._data_keys

    def head(self) -> int:
        """The position of the latest event in the log (0 when empty)."""
        return self.events.recorder.max_notification_id() or 0

    def programme_id(self, kind: ProgrammeKind, last: int | None = None) -> UUID | None:
        """The id of the store's programme of `kind`, found by the event that configured it
        (programmes are never removed, so what was found once stays found)."""
        found = self._programmes.get(kind.key)
        if found is not None:
            return found
        head = self.head() if last is None else last
        if head > self._programmes_seen_to:
            kinds = programme_kinds()
            topics = [t for k in kinds for t in k.topics_of(k.configured_event)]
            for row in self.chain().containing(topics, "", after=self._programmes_seen_to):
                if row.position > head:
                    break
                owner = next(k for k in kinds if row.topic in k.topics_of(k.configured_event))
                self._programmes.setdefault(owner.key, UUID(row.originator_id))
            self._programmes_seen_to = head
        return self._programmes.get(kind.key)

    def events_containing(
        self, event_class: type[DomainEvent], needle: str, kind: ProgrammeKind
    ) -> Sequence[DomainEvent]:
        """Stored events of one class whose state contains `needle`, decoded."""
        decoder = self.decoder()
        return [
            decoder.decode(row.originator_id, row.version, row.topic, row.state)
            for row in self.chain().containing(kind.topics_of(event_class), needle)
        ]

    def close(self) -> None:
        """Release every connection."""
        for part in (self._read_models, self._reader, self._chain, self._data_keys):
            if part is not None:
                part.close()
        self.events.close()


def bootstrap(store: str | os.PathLike[str] | None, *, read_only: bool = False) -> Wiring:
    """Open the store a URL names (`memory://`, a SQLite file, PostgreSQL) and wire it up."""
    parsed = parse_store_url(store)
    # A read-only wiring reads a SQLite file on read-only media as immutable.
    return Wiring(parsed.for_reading() if read_only else parsed, read_only=read_only)

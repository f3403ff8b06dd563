"""Running many commands as one write: the batch's unit of work and the `Batch` handle.

Inside `with app.batch():` every command runs its usual handler with the usual checks, but
its events are kept in memory and the aggregates it changed stay loaded, so the next
command of the batch sees them without a round trip to the store. The accepted commands'
events are written together, in one transaction of the chained recorder (the same events,
in the same order, with the same hash chain as one write per command would give), when the
batch is flushed: every `size` commands, on `flush()`, and when the block ends.

A command the rules refuse raises as always and leaves nothing of itself behind: the
aggregates it touched are dropped from memory and rebuilt, when next needed, from the
store and the batch's accepted events. The batch keeps the commands accepted before it.

This is the bulk path, built for one writer: on a SQLite file the events are encoded
straight to the recorder's rows and their chain links hashed in the same pass, and a batch
opened on an empty store asks the store nothing about aggregates it never made. What it
skips and what it keeps is in docs/simulation.md.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEvent
from eventsourcing.persistence import PersistenceError, RecordConflictError

from caseload.adapters.event_rows import EventRows
from caseload.adapters.recorders import ChainedSQLiteRecorder
from caseload.application.bootstrap import Wiring
from caseload.application.unit_of_work import StoreUnitOfWork, kind_of_aggregate
from caseload.domain.errors import ConcurrencyConflict, InvalidValue, StoreUnavailable
from caseload.privacy.keyring import Keyring
from caseload.programmes import programme_kinds
from caseload.programmes.kind import Handler

__all__ = ["DEFAULT_BATCH_SIZE", "Batch", "BatchUnitOfWork"]

DEFAULT_BATCH_SIZE = 20_000
"""Accepted commands after which a batch writes what it holds, bounding its memory (some
tens of MB of events at this size). A write's cost is not proportional to its events
alone: on a SQLite file each write rewrites every page of the events' index that its
events touch, and those are spread over the whole index by the random aggregate ids, so
fewer, larger writes keep the cost of an event from growing with the log."""

logger = logging.getLogger("caseload.commands")


@functools.cache
def _programme_kinds() -> dict[type[Aggregate], str]:
    """The key of the programme kind each kind's programme aggregate configures."""
    return {kind.programme_aggregate: kind.key for kind in programme_kinds()}


class BatchUnitOfWork(StoreUnitOfWork):
    """The unit of work of a batch: aggregates kept in memory across commands, events
    held until the batch writes them in one transaction."""

    def __init__(
        self,
        wiring: Wiring,
        *,
        clock: Callable[[], date],
        pseudonym_key: bytes | None,
        size: int,
        keyring: Keyring | None = None,
    ) -> None:
        super().__init__(wiring, clock=clock, pseudonym_key=pseudonym_key, keyring=keyring)
        self.size = size
        # Aggregates are kept by their ids' numbers: a UUID hashes in Python, its number
        # in C, and every command looks up two or three aggregates.
        self._aggregates: dict[int, Aggregate] = {}
        self._unwritten: list[DomainEvent] = []
        self._accepted = 0
        self._written_events = 0
        self._written_commands = 0
        self._programmes: dict[str, UUID] = {}
        self._dropped: set[int] = set()
        # What the command now running has loaded and saved.
        self._handed_out: list[int] = []
        self._staged: dict[int, Aggregate] = {}
        self._staged_events: list[DomainEvent] = []
        # A batch opened on an empty store knows every aggregate of it: those it made. One
        # that another writer makes meanwhile conflicts with the batch's at its write,
        # as any aggregate the batch holds in memory does.
        self._store_was_empty = wiring.head() == 0
        self._ever_dropped: set[int] = set()
        recorder = wiring.events.recorder
        self._rows = (
            EventRows.for_mapper(wiring.events.mapper)
            if isinstance(recorder, ChainedSQLiteRecorder)
            else None
        )
        # Citizens whose data keys go once their erasure events are written: an erasure
        # is recorded before its key is deleted, in a batch as in one write per command.
        self._staged_forgets: list[str] = []
        self._forgets: list[str] = []
        self._written_forgets: list[str] = []
        # Whether a write of the batch's own has not waited for the disk (see `flush`).
        self._unsynced = False

    # ------------------------------------------------------------ what handlers use

    def find(self, aggregate_id: UUID) -> Aggregate | None:
        """The aggregate as the batch's accepted commands left it."""
        number = aggregate_id.int
        self._handed_out.append(number)
        found = self._staged.get(number)
        if found is None:
            found = self._aggregates.get(number)
        if found is not None:
            return found
        if number not in self._dropped and not self._stored(aggregate_id):
            # Not in the batch, nor in the store (a new citizen, say): one query says so,
            # where loading through the repository would look for snapshots and events.
            return None
        found = super().find(aggregate_id)
        if number in self._dropped:
            # Dropped after a refused command: the store, then the batch's accepted events.
            for event in self._unwritten:
                if event.originator_id == aggregate_id:
                    found = event.mutate(found)  # type: ignore[attr-defined]
            self._dropped.discard(number)
        if found is not None:
            self._aggregates[number] = found
        return found

    def _stored(self, aggregate_id: UUID) -> bool:
        """Whether the store holds an event of the aggregate."""
        if self._store_was_empty and aggregate_id.int not in self._ever_dropped:
            # Nothing of this batch's own is missing from memory but what a refused
            # command dropped (which may have been written since).
            return False
        recorder = self._wiring.events.recorder
        return bool(recorder.select_events(aggregate_id, desc=True, limit=1))

    def programme_id(self, programme_class: type[Aggregate]) -> UUID | None:
        """The programme's id, including one configured earlier in the batch."""
        found = self._programmes.get(kind_of_aggregate(programme_class).key)
        return found if found is not None else super().programme_id(programme_class)

    def events_containing(
        self, event_class: type[DomainEvent], needle: str
    ) -> Sequence[DomainEvent]:
        """Stored events of a class containing `needle`, the batch's accepted commands
        included: they are written first, and the store searched (a rare question, such as
        whether a leaving broker made a later contact, that the database answers faster
        than encoding every held event to search it)."""
        self.flush(durable=False)
        return super().events_containing(event_class, needle)

    def save(self, *aggregates: Aggregate) -> None:
        """Hold the aggregates' new events until the command is accepted and written."""
        for aggregate in aggregates:
            # What `collect_events` gives, taken at once rather than one `pop(0)` each.
            pending = aggregate.pending_events
            if pending:
                self._staged_events.extend(pending)  # type: ignore[arg-type]
                pending.clear()
            self._staged[aggregate.id.int] = aggregate

    def forget_personal(self, pseudonym: str) -> None:
        """Delete the citizen's data key once the command's events are written."""
        self._staged_forgets.append(pseudonym)

    # ------------------------------------------------------------ running commands

    def run(self, handler: Handler, command: object) -> Any:
        """Run one command's handler in the batch; keep its events if it is accepted."""
        try:
            result = handler(command, self)
        except PersistenceError as error:
            self._refused()
            raise StoreUnavailable(
                f"{self.store} failed: {str(error).strip() or type(error).__name__}"
            ) from None
        except BaseException:
            self._refused()
            raise
        self._accept()
        if self._accepted >= self.size:
            self.flush(durable=False)
        return result

    def _accept(self) -> None:
        self._aggregates.update(self._staged)
        kinds = _programme_kinds()
        for aggregate in self._staged.values():
            kind = kinds.get(type(aggregate))
            if kind is not None:
                self._programmes.setdefault(kind, aggregate.id)
        self._unwritten.extend(self._staged_events)
        self._forgets.extend(self._staged_forgets)
        self._accepted += 1
        self._next_command()

    def _refused(self) -> None:
        # Whatever the command touched may hold its half-made changes: drop it, to be
        # rebuilt from the store and the accepted events when next needed.
        for number in {*self._handed_out, *self._staged}:
            self._aggregates.pop(number, None)
            self._dropped.add(number)
            self._ever_dropped.add(number)
        self._next_command()

    def _next_command(self) -> None:
        self._handed_out = []
        self._staged = {}
        self._staged_events = []
        self._staged_forgets = []

    # ------------------------------------------------------------ writing

    @property
    def unwritten_events(self) -> int:
        """Events of accepted commands not yet written."""
        return len(self._unwritten)

    @property
    def unwritten_commands(self) -> int:
        """Accepted commands whose events are not yet written."""
        return self._accepted

    @property
    def written(self) -> tuple[int, int]:
        """(commands, events) the batch has written so far."""
        return self._written_commands, self._written_events

    def flush(self, *, durable: bool = True) -> int:
        """Write the accepted commands' events in one transaction; returns how many.

        When the write fails (another writer changed an aggregate the batch changed, or
        the store failed), nothing since the last write is kept, and the error says so.
        The writes the batch makes on its own (every `size` commands, before a search of
        the log) are not `durable` on a SQLite file: their commits do not wait for the
        disk, and the next durable one (`Batch.flush()`, the end of the block) makes them
        durable with it.
        """
        events = self._unwritten
        if not events:
            if durable and self._unsynced:
                self._sync()
            self._forget_keys(durable=durable)
            return 0
        commands = self._accepted
        try:
            if self._rows is None:
                self._wiring.events.events.put(events)
            else:
                recorder = self._wiring.events.recorder
                assert isinstance(recorder, ChainedSQLiteRecorder)
                recorder.insert_rows(self._rows.rows(events), durable=durable)
                # A durable commit syncs the write-ahead log, and the earlier ones with it.
                self._unsynced = not durable
        except RecordConflictError:
            self.discard()
            logger.warning("a batch of %d commands lost a write race", commands)
            raise ConcurrencyConflict(
                f"another writer changed a broker or trajectory this batch changed: none of "
                f"its {commands} commands since the last write ({len(events)} events) "
                "were written; run them again"
            ) from None
        except PersistenceError as error:
            self.discard()
            raise StoreUnavailable(
                f"{self.store} failed: {str(error).strip() or type(error).__name__}; none "
                f"of the batch's {commands} commands since the last write were written"
            ) from None
        self._written_events += len(events)
        self._written_commands += commands
        self._unwritten = []
        self._accepted = 0
        self._dropped.clear()
        self._take_snapshots(events)
        self._forget_keys(durable=durable)
        return len(events)

    def _sync(self) -> None:
        recorder = self._wiring.events.recorder
        assert isinstance(recorder, ChainedSQLiteRecorder)
        try:
            recorder.sync()
        except PersistenceError as error:
            raise StoreUnavailable(
                f"{self.store} failed: {str(error).strip() or type(error).__name__}; the "
                "batch's writes may not survive a power cut"
            ) from None
        self._unsynced = False

    def _forget_keys(self, *, durable: bool) -> None:
        # The written commands' keys go once their erasures are durable, not before.
        self._written_forgets.extend(self._forgets)
        self._forgets = []
        if not durable:
            return
        forgets, self._written_forgets = self._written_forgets, []
        for pseudonym in forgets:
            super().forget_personal(pseudonym)

    def discard(self) -> None:
        """Forget every accepted command not yet written, and every loaded aggregate."""
        # What the batch wrote before is now in the store alone.
        self._store_was_empty = False
        self._aggregates.clear()
        self._programmes.clear()
        self._dropped.clear()
        self._unwritten = []
        self._forgets = []
        self._accepted = 0
        self._next_command()

    def _take_snapshots(self, events: Sequence[DomainEvent]) -> None:
        # The per-command path snapshots an aggregate whenever a save reaches a multiple of
        # its interval; here the aggregate in memory, which the write just made current,
        # is snapshotted once for every such crossing in the batch.
        application = self._wiring.events
        snapshots = application.snapshots
        if snapshots is None:
            return
        intervals = application.snapshotting_intervals
        # Only a version that is a multiple of some interval can be due: of their greatest
        # common divisor first, without looking the aggregate up.
        divisor = math.gcd(*intervals.values())
        due: dict[int, Aggregate] = {}
        for event in events:
            if divisor > 1 and event.originator_version % divisor:
                continue
            number = event.originator_id.int
            aggregate = self._aggregates.get(number)
            interval = None if aggregate is None else intervals.get(type(aggregate))
            if aggregate is not None and interval and event.originator_version % interval == 0:
                due[number] = aggregate
        if not due:
            return
        try:
            snapshots.put([type(a).Snapshot.take(a) for a in due.values()])
        except Exception as error:
            logger.warning(
                "snapshots were not taken (%s); loads replay the events instead",
                type(error).__name__,
            )


class Batch:
    """An open batch of commands (see `Caseload.batch`): write it now, or ask what it holds."""

    def __init__(self, unit_of_work: BatchUnitOfWork) -> None:
        self._uow = unit_of_work

    def flush(self) -> int:
        """Write the accepted commands now, in one transaction; returns the events written."""
        return self._uow.flush()

    @property
    def unwritten_commands(self) -> int:
        """Accepted commands not yet written."""
        return self._uow.unwritten_commands

    @property
    def unwritten_events(self) -> int:
        """Events of accepted commands not yet written."""
        return self._uow.unwritten_events

    @property
    def written_events(self) -> int:
        """Events this batch has written so far."""
        return self._uow.written[1]

    @property
    def written_commands(self) -> int:
        """Commands whose events this batch has written so far."""
        return self._uow.written[0]


def checked_size(size: object) -> int:
    """A batch size: a whole number of at least 1."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InvalidValue("a batch size is a whole number of commands, at least 1")
    return size

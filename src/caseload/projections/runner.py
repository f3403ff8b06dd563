"""The projection runner: keeps read models up to date and rebuilds them.

Read models are folded in memory and persisted with their log position in one transaction
(compare-and-set on the position, so two workers never double-count: the loser reloads and
goes on from the winner's state). The in-memory state may run ahead of the stored one; it
is only a cache of the log, so a crash loses nothing: the next run resumes from the stored
position. Along the way the runner keeps the log's time indexes and checkpoints, which let
`state_as_of` see the log as known at a moment, or the world as true on a day, with a short
replay.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

import attrs
from eventsourcing.domain import DomainEvent

from caseload.adapters.read_model_store import (
    ProjectionStore,
    StoredState,
    StoredVersion,
    compress,
)
from caseload.domain.errors import InvalidValue, ReadModelVersionInUse
from caseload.projections.as_of import AsOf, check_aware
from caseload.projections.base import ReadModel
from caseload.projections.checkpointing import CheckpointSchedule
from caseload.projections.entities import evicting
from caseload.projections.folding import Live, collector_paused, fold, fold_sparse
from caseload.projections.settings import Progress, ProjectionSettings, RebuildResult
from caseload.projections.source import EventSource, read_range, read_to_fold, read_wanted
from caseload.projections.time_index import INDEX, TimeIndex
from caseload.projections.writing import StateWriter

__all__ = ["Progress", "ProjectionSettings", "Projections", "RebuildResult"]

_REBUILD = "#rebuild"

logger = logging.getLogger("caseload.projections")


P = ParamSpec("P")
T = TypeVar("T")


def _serialised(
    method: Callable[Concatenate[Projections, P], T],
) -> Callable[Concatenate[Projections, P], T]:
    """One thread at a time folds, persists or reads the models' states: the states in
    memory are shared, and a catch-up changes them in place."""

    @functools.wraps(method)
    def locked(self: Projections, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with self._lock:
            return method(self, *args, **kwargs)

    return locked


def _no_class(kind: type[Any]) -> bool:
    """Decode no event in full: the time index alone reads what every event stands in
    for (`Unread`)."""
    return False


class Projections:
    """The read models of one store, kept beside its events."""

    def __init__(
        self,
        source: EventSource,
        store: ProjectionStore,
        models: Sequence[ReadModel[Any]],
        settings: ProjectionSettings | None = None,
        **overrides: int,
    ) -> None:
        chosen = attrs.evolve(settings or ProjectionSettings(), **overrides)
        self._source = source
        self._store = store
        self._models = {model.name: model for model in models}
        self._batch_size = chosen.batch_size
        self._persist_every = chosen.persist_every
        self._checkpoints = CheckpointSchedule(
            chosen.checkpoint_every, chosen.checkpoints_per_doubling
        )
        self._index_every = chosen.index_every
        self._writer = StateWriter(
            store, seconds=chosen.persist_seconds, work_ratio=chosen.persist_work_ratio
        )
        self._live: dict[str, Live] | None = None
        self._index = TimeIndex()
        self._as_of = AsOf(
            source, store, batch_size=chosen.batch_size, index_every=chosen.index_every
        )
        self._lock = threading.RLock()
        self._handled: Callable[[type[Any]], bool] | None = None
        if all(type(model).apply is ReadModel.apply for model in models):
            tables = list(self._models.values())
            self._handled = lambda kind: any(m.handler(kind) is not None for m in tables)

    @property
    def models(self) -> dict[str, ReadModel[Any]]:
        """The read models, by name."""
        return dict(self._models)

    @property
    def names(self) -> tuple[str, ...]:
        """The names of the read models, in registration order."""
        return tuple(self._models)

    # --------------------------------------------------------------- state

    def _load(self) -> dict[str, Live]:
        stored = self._store.load([*self._models, INDEX], self._versions())
        self._live = {
            name: Live.from_stored(model, stored.get(name)) for name, model in self._models.items()
        }
        index = stored.get(INDEX)
        self._index = TimeIndex() if index is None else TimeIndex.from_stored(index)
        self._writer.pending = []
        return self._live

    def _versions(self, names: Sequence[str] | None = None) -> dict[str, int]:
        """The version of each read model (and of its rebuild marker) this process uses."""
        chosen = self._models if names is None else names
        versions = {name: self._models[name].version for name in chosen}
        versions.update({name + _REBUILD: version for name, version in versions.items()})
        return versions

    def _fold(self, live: dict[str, Live], events: Sequence[tuple[int, DomainEvent]]) -> None:
        fold(
            live,
            self._index,
            events,
            self._writer.pending,
            index_every=self._index_every,
            schedule=self._checkpoints,
        )

    def _lagging(self, live: dict[str, Live], bound: int | None = None) -> list[Live]:
        """The read models behind the time index (being rebuilt, or of a new version), or
        behind `bound`: up to there they need only the rows of the classes they fold.
        Empty when a model folds every event in its own `apply`."""
        if self._handled is None:
            return []
        last = self._index.position if bound is None else bound
        return [entry for entry in live.values() if entry.position < last]

    def _fold_lagging(self, lagging: list[Live], batch_size: int, last: int | None = None) -> int:
        """Fold the next stretch of the log, up to the time index (or `last`), into the
        lagging read models, reading only the rows of the classes they fold; return the
        position they reached."""
        start = min(entry.position for entry in lagging) + 1
        models = [entry.model for entry in lagging]
        reached, events = read_wanted(
            self._source,
            start,
            self._index.position if last is None else last,
            batch_size,
            lambda kind: any(model.handler(kind) is not None for model in models),
        )
        fold_sparse(
            lagging,
            events,
            reached,
            self._writer.pending,
            schedule=self._checkpoints,
        )
        return reached

    def _unsaved(self, live: dict[str, Live]) -> int:
        """How far the furthest state (or the index) has run ahead of its stored one."""
        index = self._index
        ahead = [entry.position - entry.stored_position for entry in live.values()]
        return max([index.position - index.stored_position, *ahead])

    def _persist(self, live: dict[str, Live]) -> bool:
        return self._writer.write(live, self._index)

    @_serialised
    def catch_up(self, *, persist: bool | None = None) -> int:
        """Fold every event recorded since the read models' positions; return how many.

        The states are written with their positions, in one transaction, when it is due
        (`persist_every` events or `persist_seconds` since the last write): the state in
        memory is a cache of the log, so writing less often loses nothing. `persist=True`
        writes now (a worker that is about to stop does so); `persist=False` never writes.
        If another worker wrote first, its states are loaded and folding goes on from them.
        """
        with collector_paused():
            return self._catch_up(persist)

    def _catch_up(self, persist: bool | None) -> int:
        live = self._live if self._live is not None else self._load()
        applied = 0
        while True:
            lagging = self._lagging(live)
            if lagging:
                start = min(entry.position for entry in lagging)
                reached = self._fold_lagging(lagging, self._batch_size)
                applied += max(0, reached - start)
                if persist is not False and self._due(live) and not self._persist(live):
                    live = self._load()
                if reached > start:
                    continue
            start = min([entry.position for entry in live.values()] + [self._index.position]) + 1
            batch = read_to_fold(self._source, start, self._batch_size, self._handled)
            if not batch:
                break
            self._fold(live, batch)
            applied += len(batch)
            if persist is not False and self._due(live) and not self._persist(live):
                live = self._load()
        if (persist or (persist is None and self._due(live))) and not self._persist(live):
            self._load()
            return applied + self._catch_up(persist)
        return applied

    def _due(self, live: dict[str, Live]) -> bool:
        unsaved = self._unsaved(live)
        if unsaved <= 0:
            return False
        return unsaved >= self._persist_every or self._writer.late()

    def _persist_index(self) -> None:
        """Write the time indexes alone (cheap), so as-of queries see the whole log."""
        index = self._index
        while index.position != index.stored_position:
            if self._writer.write_index(index):
                return
            self._load()
            self.catch_up(persist=False)
            index = self._index

    @_serialised
    def state(self, name: str) -> Any:
        """The current state of a read model (caught up with the log first)."""
        self.catch_up()
        assert self._live is not None
        return self._live[name].state

    @_serialised
    def position(self, name: str | None = None) -> int:
        """The stored log position of a read model (the lowest of all without a name)."""
        stored = self._store.load([name] if name else list(self._models), self._versions())
        if name is not None:
            return stored[name].position if name in stored else 0
        return min((stored[n].position if n in stored else 0) for n in self._models)

    @_serialised
    def digests(self) -> dict[str, str]:
        """The digest of every read model's current state."""
        return self._digests(list(self._models))

    def _digests(self, names: Sequence[str], *, catch_up: bool = True) -> dict[str, str]:
        """The digests of the states `names`, caught up first (or as they stand)."""
        if catch_up or self._live is None:
            self.catch_up()
        assert self._live is not None
        chosen = {name: self._live[name] for name in names}
        return {
            name: entry.digest
            if entry.digest is not None and not entry.dirty
            else entry.model.digest(entry.state)
            for name, entry in chosen.items()
        }

    # --------------------------------------------------------------- versions

    @_serialised
    def stored_versions(self) -> list[StoredVersion]:
        """Every read-model state the store holds, by name and version (a new version
        built beside the one being served shows as a second row)."""
        return [
            stored
            for stored in self._store.stored_versions()
            if stored.name != INDEX and not stored.name.endswith(_REBUILD)
        ]

    @_serialised
    def drop_version(self, name: str, version: int) -> StoredVersion:
        """Delete one stored version of a read model, its state and checkpoints: the old
        version, once every process serves the new one. The version this library serves is
        refused (`ReadModelVersionInUse`: rebuild it instead), as is a version the store
        does not hold (`UnknownReadModelVersion`)."""
        model = self._models.get(name)
        if model is not None and model.version == version:
            raise ReadModelVersionInUse(
                f"version {version} of read model {name!r} is the one this library serves; "
                "only another version can be dropped (`caseload rebuild` rebuilds this one)"
            )
        dropped = self._store.drop_version(name, version)
        self._store.delete([name + _REBUILD], {name + _REBUILD: version})
        return dropped

    # --------------------------------------------------------------- rebuild

    @_serialised
    def rebuild(
        self,
        name: str | None = None,
        *,
        progress: Callable[[Progress], None] | None = None,
        batch_size: int = 5_000,
        persist_every: int | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> RebuildResult:
        """Rebuild read models from the start of the log, resumably.

        The chosen read models start over from an empty state and fold the whole log in
        batches of `batch_size` events (larger batches are no faster, and a batch of
        decoded events is most of a rebuild's memory besides the states), writing state and
        position every `persist_every` events (by default at each checkpoint, whose
        encoding the write reuses), whenever `persist_seconds` of work went by since the
        last write, and at the end. A model rebuilt alone (`name`) reads only the rows of
        the classes it folds, so a write costs more than the folding between two
        checkpoints: by default it is written by time and at the end only, and its
        checkpoints go with those writes. A rebuild killed at any point resumes from its last
        write when called again (so it loses at most a few seconds of work): a marker says
        a rebuild is under way, so the next call goes on instead of starting over.
        `stop()`, asked after every batch, ends the rebuild early with its progress
        written (a Ctrl-C handler sets it): the result is then not `complete`.
        Meanwhile readers stay correct: a stored state at position p is the fold of the log
        up to p, and they catch up from there.
        """
        names = [name] if name is not None else list(self._models)
        for chosen in names:
            if chosen not in self._models:
                raise InvalidValue(
                    f"no read model has the name given; there are {', '.join(self.names)}"
                )
        # Other versions' states are left alone: they serve the processes of those versions.
        versions = self._versions(names)
        markers = [n + _REBUILD for n in names]
        under_way = self._store.load(markers, versions)
        fresh = [n for n in names if n + _REBUILD not in under_way]
        if fresh:
            self._store.delete(fresh, versions)
            self._store.commit(
                {},
                {n + _REBUILD: StoredState(versions[n], 0, compress(b"{}"), "") for n in fresh},
            )
        self._live = None
        started = time.perf_counter()
        with collector_paused(), evicting():
            done, resumed_from, saved, stopped = self._fold_to_head(
                batch_size, persist_every, progress, started, stop, None if name is None else names
            )
        if stopped:
            return RebuildResult(
                events=done,
                seconds=time.perf_counter() - started,
                digests=(),
                resumed_from=resumed_from,
                complete=False,
                saved=saved,
            )
        self._store.delete(markers, versions)
        # The models rebuilt stand at the head; the others are left where they were.
        digests = self._digests(names, catch_up=name is None)
        return RebuildResult(
            events=done,
            seconds=time.perf_counter() - started,
            digests=tuple((n, digests[n]) for n in names),
            resumed_from=resumed_from,
            saved=saved,
        )

    def _fold_to_head(
        self,
        batch_size: int,
        persist_every: int | None,
        progress: Callable[[Progress], None] | None,
        started: float,
        stop: Callable[[], bool] | None = None,
        names: Sequence[str] | None = None,
    ) -> tuple[int, int, int, bool]:
        """Fold the read models `names` (all by default) batch by batch up to the head,
        persisting every `persist_every` events (at each checkpoint if None), when a write
        is due by time and at the end,
        and reporting progress after every batch. Returns the events folded, the position
        resumed from, the position saved, and whether `stop` ended it early."""

        def load() -> dict[str, Live]:
            every_model = self._load()
            return every_model if names is None else {n: every_model[n] for n in names}

        # Some read models alone read only the rows of the classes they fold, up to the
        # head, and leave the time index (which reads every row) and the other models
        # where they stand: they catch up when next used.
        alone = names is not None and self._handled is not None
        live = load()
        first = saved = self._reached(live, alone=alone)
        if first:
            logger.info("rebuild resumed from position %d", first)
        self._writer.restart_clock()
        total = max(0, self._source.head() - first)
        done = 0
        while True:
            head = self._source.head() if alone else None
            lagging = self._lagging(live, head)
            at_head = False
            if lagging:
                # The models being rebuilt read only their own rows up to the index.
                start = min(entry.position for entry in lagging)
                reached = self._fold_lagging(lagging, batch_size, head)
                done += max(0, reached - start)
                at_head = alone and reached >= (head or 0)
            elif alone:
                if self._unsaved(live) > 0 and not self._persist(live):
                    live = load()
                    continue
                saved = self._reached(live, stored=True, alone=True)
                break
            if not alone and (not lagging or reached <= start):
                start = min([e.position for e in live.values()] + [self._index.position]) + 1
                # A batch ends at a checkpoint, so that the write after it finds every
                # chunk as the checkpoint encoded it.
                limit = min(batch_size, self._checkpoints.after(start - 1) - start + 1)
                batch = read_to_fold(self._source, start, limit, self._handled)
                if not batch:
                    # The head fell on a batch's end: what that batch folded is unwritten.
                    if self._unsaved(live) > 0:
                        if not self._persist(live):
                            live = load()
                            continue
                        saved = self._reached(live, stored=True)
                        if progress is not None:
                            elapsed = time.perf_counter() - started
                            progress(Progress(done, total, elapsed, first, saved, saved))
                    break
                self._fold(live, batch)
                done += len(batch)
                at_head = len(batch) < limit
                reached = batch[-1][0]
            # The models' positions, not the index's: a rebuild starts the models over
            # while the time index, still valid, may already stand at the head.
            unsaved = self._reached(live, alone=alone) - saved
            stopping = stop is not None and stop()
            # By default the states are written at each checkpoint, whose encoding the
            # write reuses; models rebuilt alone only by time and at the end (see `rebuild`).
            if persist_every is None:
                counted = bool(self._writer.pending) and not alone
            else:
                counted = unsaved >= persist_every
            if counted or at_head or self._writer.late() or stopping:
                if not self._persist(live):
                    live = load()
                    continue
                saved = self._reached(live, stored=True, alone=alone)
                logger.debug("rebuild: read models written up to position %d", saved)
            total = max(total, done + self._source.head() - reached)
            if progress is not None:
                elapsed = time.perf_counter() - started
                reached = self._reached(live, alone=alone)
                progress(Progress(done, total, elapsed, first, saved, reached))
            if stopping:
                logger.info("rebuild stopped at position %d; its progress is written", saved)
                return done, first, saved, True
        return done, first, saved, False

    def _reached(self, live: dict[str, Live], *, stored: bool = False, alone: bool = False) -> int:
        """The position every state (and the time index, unless the states are folded
        `alone`) has folded, or written, up to."""
        index = self._index
        if stored:
            own = [e.stored_position for e in live.values()]
            return min(own if alone else [*own, index.stored_position])
        own = [e.position for e in live.values()]
        return min(own if alone else [*own, index.position])

    # --------------------------------------------------------------- as of

    @_serialised
    def known_position(self, as_known_at: datetime) -> int:
        """The last log position known at a moment: the longest prefix of the log whose
        running maximum recorded moment is at most `as_known_at`."""
        check_aware(as_known_at)
        self._index_to_head()
        return self._as_of.known_position(as_known_at)

    def history(self, last: int) -> Iterator[tuple[int, DomainEvent]]:
        """The events at positions 1 to `last`, with their positions, read in batches."""
        return read_range(self._source, 1, last, self._batch_size)

    @_serialised
    def state_as_of(
        self, name: str, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> Any:
        """A read model's state as known at a moment, as true on a day, or both.

        As known at T: the log up to the last position whose running maximum recorded
        moment is at most T (event clocks of several processes need not agree; the running
        maximum makes the cut a prefix of the log that really existed). As true on D: every
        event recorded so far (up to that cut) that happened on or before D, including late
        registrations. Both come from the nearest checkpoint plus a short replay.
        """
        return self._states_as_of([name], as_known_at, as_true_on)[name]

    @_serialised
    def states_as_of(
        self,
        names: Sequence[str],
        *,
        as_known_at: datetime | None = None,
        as_true_on: date | None = None,
    ) -> dict[str, Any]:
        """Several read models' states as of the same cut (see `state_as_of`), by name,
        replayed in one pass over the log from the earliest of their checkpoints."""
        return self._states_as_of(names, as_known_at, as_true_on)

    def _states_as_of(
        self, names: Sequence[str], as_known_at: datetime | None, as_true_on: date | None
    ) -> dict[str, Any]:
        for name in names:
            if name not in self._models:
                raise InvalidValue(
                    f"no read model has the name given; there are {', '.join(self.names)}"
                )
        if as_known_at is not None:
            check_aware(as_known_at)
        self._index_to_head()
        return self._as_of.states(
            [self._models[name] for name in dict.fromkeys(names)],
            self._index.position,
            as_known_at=as_known_at,
            as_true_on=as_true_on,
        )

    def _index_to_head(self) -> None:
        """Bring the time index up to the head of the log and store it: all an as-of
        replay needs (it starts from checkpoints). The live states are neither loaded nor
        caught up unless they are in memory already, in which case they fold along."""
        if self._live is not None:
            self.catch_up()
        else:
            stored = self._store.load([INDEX])
            index = stored.get(INDEX)
            self._index = TimeIndex() if index is None else TimeIndex.from_stored(index)
            with collector_paused():
                while True:
                    start = self._index.position + 1
                    # The index reads an event's class, moment and date, no other data.
                    batch = read_to_fold(self._source, start, self._batch_size, _no_class)
                    if not batch:
                        break
                    self._index.see_all(batch, self._index_every)
        self._persist_index()

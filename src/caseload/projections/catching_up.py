"""Catching read models up with the log: the runner's state in memory, its reads, folds
and writes, shared by the rebuild (`rebuilding`) and the as-of queries (`as_of_queries`).

Read models are folded in memory and persisted with their log position in one transaction
(compare-and-set on the position, so two workers never double-count: the loser reloads and
goes on from the winner's state). The in-memory state may run ahead of the stored one; it
is only a cache of the log, so a crash loses nothing: the next run resumes from the stored
position.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

import attrs
from eventsourcing.domain import DomainEvent

from caseload.adapters.read_model_store import ProjectionStore
from caseload.projections.as_of import AsOf
from caseload.projections.base import ReadModel
from caseload.projections.checkpointing import CheckpointSchedule
from caseload.projections.folding import Live, collector_paused, fold, fold_sparse
from caseload.projections.settings import ProjectionSettings
from caseload.projections.source import EventSource, read_to_fold, read_wanted
from caseload.projections.time_index import INDEX, TimeIndex
from caseload.projections.writing import StateWriter

__all__ = ["REBUILDING", "CatchingUp", "serialised"]

REBUILDING = "#rebuild"
"""The suffix of the name of a read model's rebuild marker (a rebuild is under way)."""

logger = logging.getLogger("caseload.projections")


P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R", bound="CatchingUp")


def serialised(
    method: Callable[Concatenate[R, P], T],
) -> Callable[Concatenate[R, P], T]:
    """One thread at a time folds, persists or reads the models' states: the states in
    memory are shared, and a catch-up changes them in place."""

    @functools.wraps(method)
    def locked(self: R, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with self._lock:
            return method(self, *args, **kwargs)

    return locked


class CatchingUp:
    """The read models of one store in memory, caught up with the log and written."""

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
        versions.update({name + REBUILDING: version for name, version in versions.items()})
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

    @serialised
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

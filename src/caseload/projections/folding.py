"""Folding batches of the log into read models' states in memory, each event only where it counts.

The runner decides when to read and when to write; here a batch of events reaches every
state (and the time index) that has not seen it yet, taking checkpoints on the way.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import attrs
from eventsourcing.domain import DomainEvent

from caseload.adapters.read_model_store import StoredState
from caseload.projections import stored_state
from caseload.projections.base import Handler, ReadModel
from caseload.projections.checkpointing import CheckpointSchedule
from caseload.projections.entities import folding
from caseload.projections.time_index import TimeIndex

__all__ = ["Live", "collector_paused", "fold", "fold_sparse", "handled_by"]


class Live:
    """A read model's state in memory, the log position it has reached, and how it stands
    to the stored one.

    A state loaded from the store is decoded when it is first asked for: a query, a
    catch-up that brings an event it folds, or a rebuild of other models never pays for
    decoding the states it does not touch.
    """

    __slots__ = (
        "_state",
        "_unread",
        "digest",
        "dirty",
        "model",
        "position",
        "stored",
        "stored_position",
        "written",
    )

    def __init__(
        self,
        model: ReadModel[Any],
        state: Any,
        position: int,
        stored_position: int,
        *,
        dirty: bool = False,
        stored: StoredState | None = None,
    ) -> None:
        self.model = model
        self._state = state
        self._unread: StoredState | None = None
        self.position = position
        self.stored_position = stored_position
        self.dirty = dirty
        """The state differs from the stored one (new events, or a stored state of
        another version)."""
        self.stored = stored
        """The state as last written or read, kept while the state is unchanged: a write
        that only moves the position (no event for this model since) reuses it."""
        self.digest: str | None = None if stored is None or not stored.digest else stored.digest
        """The digest of the state as stored (valid while not dirty)."""
        self.written = stored
        """What the store holds of this model's version, as last read or written: a write
        sends only the chunks that differ from it."""

    @property
    def state(self) -> Any:
        """The state, decoded from the stored one on first use."""
        unread = self._unread
        if unread is not None:
            self._state = stored_state.restore(self.model, unread)
            self._unread = None
        return self._state

    @property
    def decoded(self) -> bool:
        """Whether the state is in memory (not waiting to be decoded)."""
        return self._unread is None

    @classmethod
    def from_stored(cls, model: ReadModel[Any], stored: StoredState | None) -> Live:
        """The state to fold on from, given what the store holds for the model (if anything)."""
        if stored is None:
            return cls(model, model.initial(), 0, 0)
        if stored.version != model.version:
            # Another version's state (the store keeps each version apart, so this one
            # has none yet): fold this one from the beginning of the log.
            entry = cls(model, model.initial(), 0, 0, dirty=True)
            entry.written = None
            return entry
        if not stored.digest:
            # Stored by an earlier layout (whole, digest of another kind): rewritten in
            # chunks, with its digest, by the next write.
            entry = cls(model, None, stored.position, stored.position, dirty=True)
            entry.written = stored
            entry._unread = stored
            return entry
        entry = cls(model, None, stored.position, stored.position, stored=stored)
        entry._unread = stored
        return entry


def fold(
    live: dict[str, Live],
    index: TimeIndex,
    events: Sequence[tuple[int, DomainEvent]],
    checkpoints: list[tuple[str, StoredState]],
    *,
    index_every: int,
    schedule: CheckpointSchedule,
) -> None:
    """Fold a batch of events (in log order) into every state and the index that has not
    seen them yet, appending to `checkpoints` each state at a position of `schedule`."""
    entries = list(live.values())
    first = events[0][0] if events else 0
    if all(entry.position < first for entry in entries) and index.position < first:
        _fold_all(entries, index, events, checkpoints, index_every, schedule)
        return
    for position, event in events:
        if position > index.position:
            index.see(position, event, index_every)
        for entry in entries:
            if position > entry.position:
                _step(entry, position, event, checkpoints, schedule)


def fold_sparse(
    entries: Sequence[Live],
    events: Sequence[tuple[int, DomainEvent]],
    reached: int,
    checkpoints: list[tuple[str, StoredState]],
    *,
    schedule: CheckpointSchedule,
) -> None:
    """Fold the events of a stretch of the log up to `reached` that these models have a
    handler for (the others were never read: they change none of these states) into every
    state that has not seen them, then move every state on to `reached`. A checkpoint
    falls on each position of `schedule` whether or not an event is there: the state at a
    position with no event of interest is the state after the last one before it."""
    if entries and all(entry.position == entries[0].position for entry in entries):
        _fold_sparse_together(entries, events, reached, checkpoints, schedule)
        return
    for position, event in events:
        for entry in entries:
            if position > entry.position:
                _advance(entry, position - 1, checkpoints, schedule)
                _step(entry, position, event, checkpoints, schedule)
    for entry in entries:
        if reached > entry.position:
            _advance(entry, reached, checkpoints, schedule)


def _fold_sparse_together(
    entries: Sequence[Live],
    events: Sequence[tuple[int, DomainEvent]],
    reached: int,
    checkpoints: list[tuple[str, StoredState]],
    schedule: CheckpointSchedule,
) -> None:
    """`fold_sparse` for models at one position (a rebuild): each event goes only to the
    models with a handler for its class, found once per class."""
    due = schedule.after(entries[0].position)
    routes: dict[type[Any], list[tuple[Handler, Any]]] = {}
    entries = list(entries)
    for position, event in events:
        while due < position:
            _checkpoint(entries, due, checkpoints)
            due = schedule.after(due)
        kind = type(event)
        route = routes.get(kind)
        if route is None:
            route = routes[kind] = _route(entries, kind)
        for handle, state in route:
            handle(state, event)
        if position == due:
            _checkpoint(entries, due, checkpoints)
            due = schedule.after(due)
    while due <= reached:
        _checkpoint(entries, due, checkpoints)
        due = schedule.after(due)
    touched = {id(state) for route in routes.values() for _, state in route}
    for entry in entries:
        entry.position = max(entry.position, reached)
        if entry.decoded and id(entry.state) in touched:
            entry.dirty = True
            entry.stored = None


def _checkpoint(
    entries: list[Live], position: int, checkpoints: list[tuple[str, StoredState]]
) -> None:
    """Every state, as a checkpoint at `position`."""
    for entry in entries:
        checkpoints.append(
            (entry.model.name, stored_state.freeze(entry.model, entry.state, position))
        )


def _concerns(entry: Live, event: Any) -> bool:
    """Whether an event may change a model's state (a state not yet decoded is left so
    by the events it has no handler for)."""
    model = entry.model
    return type(model).apply is not ReadModel.apply or model.handler(type(event)) is not None


def _advance(
    entry: Live, to: int, checkpoints: list[tuple[str, StoredState]], schedule: CheckpointSchedule
) -> None:
    """Move a state on to position `to` with no event in between, taking the checkpoints
    that fall in that stretch (one encoding serves them all)."""
    frozen: StoredState | None = None
    for at in schedule.between(entry.position + 1, to):
        if frozen is None:
            frozen = stored_state.freeze(entry.model, entry.state, at)
        checkpoints.append((entry.model.name, attrs.evolve(frozen, position=at)))
    entry.position = max(entry.position, to)


def _fold_all(
    entries: list[Live],
    index: TimeIndex,
    events: Sequence[tuple[int, DomainEvent]],
    checkpoints: list[tuple[str, StoredState]],
    index_every: int,
    schedule: CheckpointSchedule,
) -> None:
    """The common case: every read model and the index take every event of the batch.

    Each event goes only to the models with a handler for its class (found once per
    class), so an event no model uses costs a dictionary lookup."""
    index.see_all(events, index_every)
    routes: dict[type[Any], list[tuple[Handler, Any]]] = {}
    due = schedule.after(events[0][0] - 1)
    for position, event in events:
        kind = type(event)
        route = routes.get(kind)
        if route is None:
            route = routes[kind] = _route(entries, kind)
        for handle, state in route:
            handle(state, event)
        if position >= due:
            if position == due:
                for entry in entries:
                    frozen = stored_state.freeze(entry.model, entry.state, position)
                    checkpoints.append((entry.model.name, frozen))
            due = schedule.after(position)
    last = events[-1][0]
    touched = {id(state) for route in routes.values() for _, state in route}
    for entry in entries:
        entry.position = last
        if entry.decoded and id(entry.state) in touched:
            entry.dirty = True
            entry.stored = None


def _route(entries: list[Live], kind: type[Any]) -> list[tuple[Handler, Any]]:
    """The (handler, state) pairs that an event of class `kind` goes to."""
    route: list[tuple[Handler, Any]] = []
    for entry in entries:
        model = entry.model
        if type(model).apply is not ReadModel.apply:
            # A model that folds in its own `apply` sees every event.
            route.append((model.apply, entry.state))
        elif (handle := model.handler(kind)) is not None:
            route.append((handle, entry.state))
    return route


def handled_by(model: ReadModel[Any]) -> Callable[[type[Any]], bool]:
    """Whether `model` has a handler for events of a class."""
    return lambda kind: model.handler(kind) is not None


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while folding.

    Folding makes and drops objects by the million (events, their fields), all freed by
    reference counting; the cyclic collector, started by that allocation, would meanwhile
    walk the ever larger states again and again: more than half of a million-event
    rebuild's time went there. States and events hold no reference cycles, so nothing
    waits for the collector meanwhile; it is switched back on afterwards (unless it was
    off already)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        with folding():
            yield
    finally:
        if enabled:
            gc.enable()


def _step(
    entry: Live,
    position: int,
    event: DomainEvent,
    checkpoints: list[tuple[str, StoredState]],
    schedule: CheckpointSchedule,
) -> None:
    """Fold the event at `position` into one model's state (if it concerns the model) and
    keep a checkpoint when the position falls on one."""
    if _concerns(entry, event):
        entry.model.apply(entry.state, event)
        entry.dirty = True
        entry.stored = None
    entry.position = position
    if schedule.at(position):
        checkpoints.append(
            (entry.model.name, stored_state.freeze(entry.model, entry.state, position))
        )

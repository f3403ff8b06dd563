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
from caseload.projections.time_index import TimeIndex

__all__ = ["Live", "collector_paused", "fold", "handled_by"]


@attrs.define
class Live:
    """A read model's state in memory, the log position it has reached, and how it stands
    to the stored one."""

    model: ReadModel[Any]
    state: Any
    position: int
    stored_position: int
    dirty: bool = False
    """The state differs from the stored one (new events, or a stored state of another version)."""
    digest: str | None = None
    """The digest of the state as this process last wrote it (valid while not dirty)."""
    stored: StoredState | None = None
    """The state as this process last wrote it, kept while the state is unchanged: a write
    that only moves the position (no event for this model since) reuses it. (A state
    loaded from the store is encoded afresh on its first write, not trusted as read.)"""

    @classmethod
    def from_stored(cls, model: ReadModel[Any], stored: StoredState | None) -> Live:
        """The state to fold on from, given what the store holds for the model (if anything)."""
        if stored is None:
            return cls(model, model.initial(), 0, 0)
        if stored.version != model.version:
            # Another version's state: fold this one from the beginning of the log.
            return cls(model, model.initial(), 0, stored.position, dirty=True)
        state = model.decode(stored_state.thaw(stored.state))
        return cls(model, state, stored.position, stored.position)


def fold(
    live: dict[str, Live],
    index: TimeIndex,
    events: Sequence[tuple[int, DomainEvent]],
    checkpoints: list[tuple[str, StoredState]],
    *,
    index_every: int,
    checkpoint_every: int,
) -> None:
    """Fold a batch of events (in log order) into every state and the index that has not
    seen them yet, appending to `checkpoints` each state at a multiple of
    `checkpoint_every`."""
    entries = list(live.values())
    first = events[0][0] if events else 0
    if all(entry.position < first for entry in entries) and index.position < first:
        _fold_all(entries, index, events, checkpoints, index_every, checkpoint_every)
        return
    for position, event in events:
        if position > index.position:
            index.see(position, event, index_every)
        for entry in entries:
            if position > entry.position:
                entry.model.apply(entry.state, event)
                entry.position = position
                entry.dirty = True
                entry.stored = None
                if position % checkpoint_every == 0:
                    checkpoints.append(
                        (entry.model.name, stored_state.freeze(entry.model, entry.state, position))
                    )


def _fold_all(
    entries: list[Live],
    index: TimeIndex,
    events: Sequence[tuple[int, DomainEvent]],
    checkpoints: list[tuple[str, StoredState]],
    index_every: int,
    checkpoint_every: int,
) -> None:
    """The common case: every read model and the index take every event of the batch.

    Each event goes only to the models with a handler for its class (found once per
    class), so an event no model uses costs a dictionary lookup."""
    index.see_all(events, index_every)
    routes: dict[type[Any], list[tuple[Handler, Any]]] = {}
    for position, event in events:
        kind = type(event)
        route = routes.get(kind)
        if route is None:
            route = routes[kind] = _route(entries, kind)
        for handle, state in route:
            handle(state, event)
        if position % checkpoint_every == 0:
            for entry in entries:
                frozen = stored_state.freeze(entry.model, entry.state, position)
                checkpoints.append((entry.model.name, frozen))
    last = events[-1][0]
    touched = {id(state) for route in routes.values() for _, state in route}
    for entry in entries:
        entry.position = last
        if id(entry.state) in touched:
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
        yield
    finally:
        if enabled:
            gc.enable()

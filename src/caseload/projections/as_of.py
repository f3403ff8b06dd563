"""As-of replays: a read model's state as known at a moment or as true on a day, from a checkpoint.

The time indexes cut the log to the prefix that was known at the moment (or that holds
every event dated up to the day); the replay starts at the read model's nearest checkpoint
before the cut and folds on to it, then adds the late registrations recorded after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

from eventsourcing.domain import DomainEvent

from caseload.adapters.read_model_store import IndexRow, ProjectionStore
from caseload.domain.errors import InvalidValue
from caseload.projections import stored_state
from caseload.projections.base import ReadModel, is_true_on
from caseload.projections.folding import collector_paused, handled_by
from caseload.projections.source import EventSource, read_range
from caseload.projections.time_index import business_day, stamp

__all__ = ["AsOf", "check_aware"]


class AsOf:
    """Replays of read models up to where the stored time indexes cut the log."""

    def __init__(
        self, source: EventSource, store: ProjectionStore, *, batch_size: int, index_every: int
    ) -> None:
        self._source = source
        self._store = store
        self._batch_size = batch_size
        self._index_every = index_every

    def known_position(self, as_known_at: datetime) -> int:
        """The last log position known at a moment (by the stored index rows)."""
        return self._cut(
            stamp(as_known_at), lambda row: row.max_recorded, lambda e: stamp(e.timestamp)
        )

    def state(
        self,
        model: ReadModel[Any],
        head: int,
        *,
        as_known_at: datetime | None = None,
        as_true_on: date | None = None,
    ) -> Any:
        """The model's state as known at a moment, as true on a day, or both, over the log
        up to `head` (which the stored index rows must reach)."""
        return self.states([model], head, as_known_at=as_known_at, as_true_on=as_true_on)[
            model.name
        ]

    def states(
        self,
        models: Sequence[ReadModel[Any]],
        head: int,
        *,
        as_known_at: datetime | None = None,
        as_true_on: date | None = None,
    ) -> dict[str, Any]:
        """Several models' states as of the same cut, by name, from ONE pass over the log:
        each model starts at its own nearest checkpoint, and the pass starts at the
        earliest of them; an event goes to every model past whose checkpoint it lies."""
        known = head
        if as_known_at is not None:
            known = self.known_position(as_known_at)
        prefix = known
        if as_true_on is not None:
            prefix = min(
                known,
                self._cut(as_true_on.isoformat(), lambda row: row.max_occurred, business_day),
            )
        with collector_paused():
            replays: list[tuple[ReadModel[Any], Any, int]] = []
            for model in models:
                checkpoint = self._store.checkpoint(model.name, model.version, prefix)
                state = stored_state.restore(model, checkpoint) if checkpoint else model.initial()
                replays.append((model, state, checkpoint.position if checkpoint else 0))
            wanted = _wanted([model for model, _, _ in replays])
            first = min((start for _, _, start in replays), default=prefix) + 1
            concerned = _Concerned(replays)
            for position, event in self._events(first, prefix, wanted):
                for model, state, start in concerned[type(event)]:
                    if position > start:
                        model.apply(state, event)
            if as_true_on is not None:
                late = self._store.late_events(prefix, known, as_true_on.isoformat())
                for _position, event in self._late_events(late, wanted):
                    if is_true_on(event, as_true_on):
                        for model, state, _start in concerned[type(event)]:
                            model.apply(state, event)
        return {model.name: state for model, state, _ in replays}

    def _cut(
        self, bound: str, key: Callable[[IndexRow], str], scan: Callable[[DomainEvent], str]
    ) -> int:
        """The last log position whose running maximum (by `key`/`scan`) is at most `bound`."""
        rows = self._store.index_rows()
        previous = IndexRow(0, "", "")
        for row in rows:
            if key(row) > bound:
                running = key(previous)
                cut = previous.position
                for position, event in self._events(previous.position + 1, row.position):
                    running = max(running, scan(event))
                    if running > bound:
                        break
                    cut = position
                return cut
            previous = row
        return previous.position

    def _events(
        self, first: int, last: int, wanted: Callable[[type[Any]], bool] | None = None
    ) -> Iterator[tuple[int, DomainEvent]]:
        return read_range(self._source, first, last, self._batch_size, wanted)

    def _late_events(
        self, positions: list[int], kinds: Callable[[type[Any]], bool] | None = None
    ) -> Iterator[tuple[int, DomainEvent]]:
        """The events at `positions` (ascending; of the classes `kinds` accepts, if given),
        read in runs: late registrations cluster just after the prefix, so reading ranges
        beats one read per event."""
        wanted = set(positions)
        run = 0
        while run < len(positions):
            first = last = positions[run]
            while run + 1 < len(positions) and positions[run + 1] - last <= self._index_every:
                run += 1
                last = positions[run]
            for position, event in self._events(first, last, kinds):
                if position in wanted:
                    yield position, event
            run += 1


def _wanted(models: Sequence[ReadModel[Any]]) -> Callable[[type[Any]], bool] | None:
    """The event classes any of `models` has a handler for (the others need not be
    decoded: most of the log, for most models); None when a model folds every event."""
    if any(type(model).apply is not ReadModel.apply for model in models):
        return None
    kinds = [handled_by(model) for model in models]
    return lambda kind: any(handles(kind) for handles in kinds)


def _concerns(model: ReadModel[Any], kind: type[DomainEvent]) -> bool:
    """Whether an event of class `kind` can change `model`'s state (one that folds every
    event in its own `apply` is given all of them)."""
    return type(model).apply is not ReadModel.apply or model.handler(kind) is not None


class _Concerned(dict[type[DomainEvent], list[tuple[ReadModel[Any], Any, int]]]):
    """The replays an event class concerns, by class, worked out at its first event."""

    def __init__(self, replays: list[tuple[ReadModel[Any], Any, int]]) -> None:
        super().__init__()
        self._replays = replays

    def __missing__(self, kind: type[DomainEvent]) -> list[tuple[ReadModel[Any], Any, int]]:
        found = self[kind] = [replay for replay in self._replays if _concerns(replay[0], kind)]
        return found


def check_aware(moment: datetime) -> None:
    """Refuse an `as_known_at` without a timezone, or outside the years 1 to 9999 in UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue(
            "as_known_at must be a timezone-aware datetime (e.g. in UTC); got one without"
        )
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise InvalidValue(
            "as_known_at lies outside the years 1 to 9999 once turned into UTC"
        ) from None

"""Read models as of a cut of the log (as known at a moment, as true on a day): the time
index brought up to the head, then a replay from the nearest checkpoints (`as_of`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from eventsourcing.domain import DomainEvent

from caseload.domain.errors import InvalidValue
from caseload.projections.as_of import check_aware
from caseload.projections.catching_up import CatchingUp, serialised
from caseload.projections.folding import collector_paused
from caseload.projections.source import read_range, read_to_fold
from caseload.projections.time_index import INDEX, TimeIndex

__all__ = ["AsOfQueries"]


def _no_class(kind: type[Any]) -> bool:
    """Decode no event in full: the time index alone reads what every event stands in
    for (`Unread`)."""
    return False


class AsOfQueries(CatchingUp):
    """Read models' states as known at a moment or as true on a day."""

    @serialised
    def known_position(self, as_known_at: datetime) -> int:
        """The last log position known at a moment: the longest prefix of the log whose
        running maximum recorded moment is at most `as_known_at`."""
        check_aware(as_known_at)
        self._index_to_head()
        return self._as_of.known_position(as_known_at)

    def history(self, last: int) -> Iterator[tuple[int, DomainEvent]]:
        """The events at positions 1 to `last`, with their positions, read in batches."""
        return read_range(self._source, 1, last, self._batch_size)

    @serialised
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

    @serialised
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

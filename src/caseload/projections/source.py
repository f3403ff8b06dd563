"""The log as the projections read it, through a source's faster reads where it offers them.

A source needs only `head` and `read`. One that can do better offers `read_for` (events of
classes nobody folds come as undecoded `Unread` stand-ins) and `read_kinds` (only the events
of wanted classes, the others skipped undecoded); they are looked up by name here, and
nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from eventsourcing.domain import DomainEvent

__all__ = ["EventSource", "read_range", "read_to_fold"]


class EventSource(Protocol):
    """The log, as the runner reads it."""

    def head(self) -> int:
        """The latest position."""

    def read(self, start: int, limit: int) -> list[tuple[int, DomainEvent]]:
        """Up to `limit` events from position `start` on, with their positions."""


def read_to_fold(
    source: EventSource, start: int, limit: int, handled: Callable[[type[Any]], bool] | None
) -> list[tuple[int, DomainEvent]]:
    """A batch of events to fold: events of classes `handled` rejects (no read model has a
    handler for them) come as `Unread` stand-ins when the source offers them (their
    decoding would be wasted); without `handled` (a read model folds every event in its
    own `apply`) every event is decoded."""
    read_for = getattr(source, "read_for", None)
    if read_for is None or handled is None:
        return source.read(start, limit)
    return read_for(start, limit, handled)  # type: ignore[no-any-return]


def read_range(
    source: EventSource,
    first: int,
    last: int,
    batch_size: int,
    wanted: Callable[[type[Any]], bool] | None = None,
) -> Iterator[tuple[int, DomainEvent]]:
    """The events at positions `first` to `last`, read `batch_size` at a time; with
    `wanted`, only those of the classes it accepts (a source that can skip the others
    undecoded does so)."""
    read_kinds = getattr(source, "read_kinds", None) if wanted is not None else None
    position = first
    while position <= last:
        limit = min(batch_size, last - position + 1)
        if read_kinds is not None:
            reached, batch = read_kinds(position, limit, wanted)
            if not reached:
                return
        else:
            batch = source.read(position, limit)
            if not batch:
                return
            reached = batch[-1][0]
        for item in batch:
            if item[0] > last:
                return
            if wanted is None or wanted(type(item[1])):
                yield item
        position = reached + 1

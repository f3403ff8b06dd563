"""The log as the projections read it, through a source's faster reads where it offers them.

A source needs only `head` and `read`. One that can do better offers `read_for` (events of
classes nobody folds come as undecoded `Unread` stand-ins), `read_kinds` (only the events
of wanted classes, the others skipped undecoded) and `read_topics` (only the rows of wanted
classes, selected by topic in the database); they are looked up by name here, and nowhere
else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from eventsourcing.domain import DomainEvent

__all__ = ["EventSource", "read_range", "read_to_fold", "read_wanted"]


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


def read_wanted(
    source: EventSource, start: int, last: int, limit: int, wanted: Callable[[type[Any]], bool]
) -> tuple[int, list[tuple[int, DomainEvent]]]:
    """The events at positions `start` to `last` of the classes `wanted` accepts: the
    position up to which the log has been searched (at most `last`, which must not lie
    past the log's head: a source that selects by topic counts every position up to it as
    searched), and the events. A source that selects rows by topic reads only the wanted
    rows (at most `limit` events); otherwise at most `limit` positions are read."""
    if start > last:
        return start - 1, []
    read_topics = getattr(source, "read_topics", None)
    if read_topics is not None:
        return read_topics(start, last, limit, wanted)  # type: ignore[no-any-return]
    limit = min(limit, last - start + 1)
    read_kinds = getattr(source, "read_kinds", None)
    if read_kinds is not None:
        reached, batch = read_kinds(start, limit, wanted)
    else:
        batch = source.read(start, limit)
        reached = batch[-1][0] if batch else 0
        batch = [item for item in batch if wanted(type(item[1]))]
    if not reached:
        return start - 1, []
    return min(reached, last), [item for item in batch if item[0] <= last]


def read_range(
    source: EventSource,
    first: int,
    last: int,
    batch_size: int,
    wanted: Callable[[type[Any]], bool] | None = None,
) -> Iterator[tuple[int, DomainEvent]]:
    """The events at positions `first` to `last`, read `batch_size` at a time; with
    `wanted`, only those of the classes it accepts (a source that can skip the others
    undecoded, or not read them at all, does so)."""
    if wanted is not None:
        while first <= last:
            reached, events = read_wanted(source, first, last, batch_size, wanted)
            yield from events
            if reached < first:
                return
            first = reached + 1
        return
    position = first
    while position <= last:
        limit = min(batch_size, last - position + 1)
        batch = source.read(position, limit)
        if not batch:
            return
        for item in batch:
            if item[0] > last:
                return
            yield item
        position = batch[-1][0] + 1

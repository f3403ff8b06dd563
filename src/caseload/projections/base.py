"""The read-model protocol: a pure fold of events into a state with a canonical encoding.

A read model says how to start (`initial`), how each kind of event changes the state
(`handlers`, which `apply` dispatches to), and how to write the state as canonical
JSON-able data (`encode`) and read it back (`decode`).
The runner persists the encoded state with its log position; the digest of the canonical
form (`caseload.projections.canonical`) proves that a rebuild and an incremental catch-up
reached the same state. The decoders of ids and dates that read models share are here too.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID, SafeUUID

from eventsourcing.domain import DomainEvent

from caseload.domain.events import is_true_on
from caseload.projections.canonical import (
    DIGEST_FORMAT,
    Entries,
    Segment,
    canonical_bytes,
    canonical_chunks,
    canonical_pieces,
    digest_of,
    plain_bytes,
    reference_bytes,
    segments,
    segments_digest,
)

__all__ = [
    "DIGEST_FORMAT",
    "Entries",
    "Handler",
    "ReadModel",
    "Segment",
    "canonical_bytes",
    "canonical_chunks",
    "canonical_pieces",
    "day",
    "digest_of",
    "hex_of",
    "is_true_on",
    "person_uid",
    "plain_bytes",
    "reference_bytes",
    "segments",
    "segments_digest",
    "uid",
]


S = TypeVar("S")

Handler = Callable[[Any, Any], None]
"""How one kind of event changes a read model's state: `handler(state, event)`."""


class ReadModel(ABC, Generic[S]):
    """A read model: a pure function of the event stream over a state object of type S.

    A model says how each kind of event changes its state in `handlers()`, a table from
    event class to function; `apply` looks the event's class up there (a subclass of a
    listed class takes its handler), and ignores an event of no listed class. The runner
    reads the same table to send each event only to the models that use it.
    """

    name: ClassVar[str]
    """Stable name under which the runner stores the state. Never rename."""
    version: ClassVar[int] = 1
    """Bump when the state's shape or meaning changes: stored states of another version are
    rebuilt from the log instead of being read."""

    @abstractmethod
    def initial(self) -> S:
        """The state before any event."""

    @abstractmethod
    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        """Per event class, the function that folds such an event into the state."""

    def handler(self, kind: type[DomainEvent]) -> Handler | None:
        """The handler for events of class `kind` (None when the model ignores them)."""
        routes: dict[type[DomainEvent], Handler | None] | None = self.__dict__.get("_routes")
        if routes is None:
            routes = self.__dict__["_routes"] = {}
        if kind not in routes:
            table = self.handlers()
            routes[kind] = next((table[base] for base in kind.__mro__ if base in table), None)
        return routes[kind]

    def apply(self, state: S, event: DomainEvent) -> None:
        """Change `state` by one event. Events of no interest are ignored."""
        handler = self.handler(type(event))
        if handler is not None:
            handler(state, event)

    @abstractmethod
    def encode(self, state: S) -> Any:
        """The state as JSON-able data in a canonical order (sets sorted, ids as hex); a
        large map of entities may be given as `Entries`, written entry by entry."""

    @abstractmethod
    def decode(self, data: Any) -> S:
        """The state back from `encode`'s data."""

    def digest(self, state: S) -> str:
        """The digest of the state's canonical form (see `segments_digest`)."""
        return digest_of(self.encode(state))

    def project(self, events: Iterable[DomainEvent], *, as_true_on: date | None = None) -> S:
        """Fold events into a new state, keeping only facts true on `as_true_on` if given."""
        state = self.initial()
        for event in events:
            if as_true_on is None or is_true_on(event, as_true_on):
                self.apply(state, event)
        return state


def hex_of(value: UUID) -> str:
    """A UUID's canonical form: its hex digits (what `UUID.hex` gives, formatted here
    without that property's extra call: every entry's key text is made this way)."""
    # printf-style: a third faster than an f-string's format spec here.
    return "%032x" % value.int  # noqa: UP031


_new_object = object.__new__
_set_slot = object.__setattr__


def uid(value: str) -> UUID:
    """A UUID back from its canonical hex form.

    Decoding a stored state makes one for most entries: 32 characters go straight to the
    integer `UUID(hex=...)` would compute (the same `int(value, 16)`, refusing the same
    text), without `UUID.__init__`'s other forms, six times faster."""
    if len(value) == 32:
        made = _new_object(UUID)
        _set_slot(made, "int", int(value, 16))
        _set_slot(made, "is_safe", SafeUUID.unknown)
        return made
    return UUID(hex=value)


@functools.lru_cache(maxsize=8192)
def person_uid(value: str) -> UUID:
    """The UUID of a broker or colleague from its hex form, as `uid`, made once for all the
    entries that name the same person (a few thousand people recur in tens of thousands of
    trajectories' entries): decoding is faster, and the state holds one object per person."""
    return uid(value)


def day(value: str | None) -> date | None:
    """A date back from its canonical ISO form (None stays None)."""
    return None if value is None else date.fromisoformat(value)

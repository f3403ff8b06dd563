"""The read-model protocol: a pure fold of events into a state with a canonical encoding.

A read model says how to start (`initial`), how one event changes the state (`apply`), and
how to write the state as canonical JSON-able data (`encode`) and read it back (`decode`).
The runner persists the encoded state with its log position; the digest of the canonical
bytes proves that a rebuild and an incremental catch-up reached the same state.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

from eventsourcing.domain import DomainEvent

from caseload.domain.programme import Programme

__all__ = [
    "ReadModel",
    "canonical_bytes",
    "day",
    "digest_of",
    "is_true_on",
    "uid",
]

S = TypeVar("S")


class ReadModel(ABC, Generic[S]):
    """A read model: a pure function of the event stream over a state object of type S."""

    name: ClassVar[str]
    """Stable name under which the runner stores the state. Never rename."""
    version: ClassVar[int] = 1
    """Bump when the state's shape or meaning changes: stored states of another version are
    rebuilt from the log instead of being read."""

    @abstractmethod
    def initial(self) -> S:
        """The state before any event."""

    @abstractmethod
    def apply(self, state: S, event: DomainEvent) -> None:
        """Change `state` by one event. Events of no interest are ignored."""

    @abstractmethod
    def encode(self, state: S) -> Any:
        """The state as JSON-able data in a canonical order (sets sorted, ids as hex)."""

    @abstractmethod
    def decode(self, data: Any) -> S:
        """The state back from `encode`'s data."""

    def digest(self, state: S) -> str:
        """sha256 of the canonical serialisation of the state."""
        return digest_of(self.encode(state))

    def project(self, events: Iterable[DomainEvent], *, as_true_on: date | None = None) -> S:
        """Fold events into a new state, keeping only facts true on `as_true_on` if given."""
        state = self.initial()
        for event in events:
            if as_true_on is None or is_true_on(event, as_true_on):
                self.apply(state, event)
        return state


def _default(value: object) -> object:
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__} canonically")


def canonical_bytes(data: Any) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    ).encode("utf-8")


def digest_of(data: Any) -> str:
    """sha256 hex digest of the canonical JSON of `data`."""
    return hashlib.sha256(canonical_bytes(data)).hexdigest()


def uid(value: str) -> UUID:
    """A UUID back from its canonical hex form."""
    return UUID(hex=value)


def day(value: str | None) -> date | None:
    """A date back from its canonical ISO form (None stays None)."""
    return None if value is None else date.fromisoformat(value)


def is_true_on(event: DomainEvent, on: date) -> bool:
    """Whether `event` belongs to the world as true on business date `on`.

    Facts count when they happened on or before `on`, whenever they were recorded (late
    registrations included). Programme events always count: a policy says itself, through
    `effective_from`, from when it applies.
    """
    if isinstance(event, Programme.Event):
        return True
    occurred_on: date = getattr(event, "occurred_on", date.min)
    return occurred_on <= on

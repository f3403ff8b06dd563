"""What a programme kind brings to the registry, and what its command handlers are given.

A programme kind is a package: its aggregates and events, its commands (frozen values)
with one handler each, its read models, rule checks, export tables and simulation. The
application, the projection runner, `verify`, export and the command line find them
through `caseload.programmes.PROGRAMMES`; none of them names a programme's classes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from uuid import UUID

import attrs
from eventsourcing.domain import Aggregate, DomainEvent

from caseload.domain.errors import CaseloadError
from caseload.domain.personal import Sealed
from caseload.projections.base import ReadModel

if TYPE_CHECKING:
    from caseload.application.caseload import Caseload
    from caseload.audit.rules import RuleBook

__all__ = ["Handler", "ProgrammeKind", "UnitOfWork"]

A = TypeVar("A", bound=Aggregate)


class UnitOfWork(Protocol):
    """What a command handler works with: aggregates in, one atomic save out.

    The application runs a handler inside a unit of work and, when another writer changed
    an aggregate it loaded, runs it again on fresh state; so a handler only loads, asks the
    domain, and saves, and keeps nothing between calls.
    """

    @property
    def store(self) -> str:
        """A description of the store, for messages."""

    @property
    def pseudonym_key(self) -> bytes:
        """The key citizen pseudonyms are made with (`MissingPseudonymKey` when unset)."""

    def today(self) -> date:
        """Today by the application's clock: the latest business date accepted."""

    def business_date(self, on: object) -> date:
        """`on` checked as a business date: a plain date, not after today."""

    def load(self, kind: type[A], aggregate_id: UUID, error: type[CaseloadError]) -> A:
        """The aggregate with this id, which must be of class `kind` (`error` if not)."""

    def find(self, aggregate_id: UUID) -> Aggregate | None:
        """The aggregate with this id, or None when the log holds none."""

    def programme_id(self, programme_class: type[Aggregate]) -> UUID | None:
        """The id of the store's programme whose aggregate is of `programme_class` (None
        when it has none yet)."""

    def events_containing(
        self, event_class: type[DomainEvent], needle: str
    ) -> Sequence[DomainEvent]:
        """The stored events of one class whose stored state contains `needle` (a text
        search in the database; the caller checks what it needs on the decoded events)."""

    def save(self, *aggregates: Aggregate) -> None:
        """Write every pending event of `aggregates` in one atomic write."""

    def seal_personal(self, pseudonym: str, field: str, value: object) -> Sealed:
        """`value` (JSON-able) encrypted under the citizen's data key, for an event's
        personal field (`MissingMasterKey` when the application holds no master key)."""

    def forget_personal(self, pseudonym: str) -> None:
        """Delete the citizen's data key: every field sealed under it becomes unreadable."""


Handler = Callable[[Any, UnitOfWork], Any]
"""Runs one command: `handler(command, unit_of_work)`, returning an id, a value or None."""


@attrs.frozen
class ProgrammeKind:
    """One kind of programme, as the application, runner, audit, export and CLI find it."""

    key: str
    """Stable identifier of the kind (`resource_pathway`); never renamed."""
    title: str
    """The programme's name in English and Danish, for people."""
    aggregates: tuple[type[Aggregate], ...]
    """Every aggregate class of the kind; their nested event classes are its events."""
    programme_aggregate: type[Aggregate]
    """The aggregate that configures one programme of this kind (one per kind per store)."""
    configured_event: type[DomainEvent]
    """The event that creates `programme_aggregate`: the application finds a store's
    programme of this kind by it."""
    handlers: Mapping[type[Any], Handler]
    """Per command class, the function that runs it."""
    read_models: Callable[[], tuple[ReadModel[Any], ...]]
    """A fresh instance of every read model the kind keeps."""
    rules: RuleBook
    """The kind's rules as `verify` checks them: rule families with handlers by event
    class, the event classes to which no rule applies, and a checker for one log."""
    export: Mapping[type[DomainEvent], tuple[str, ...]]
    """Per event class, the evaluator dataset's tables it is read into; an empty tuple
    says explicitly that the class is not exported."""
    simulation: Callable[[Caseload], object]
    """Runs a small simulated programme of the kind through an application whose today
    lies after it; every event class of the kind occurs in it."""
    moved_topics: tuple[tuple[str, type[Any]], ...] = ()
    """Topics under which earlier versions stored events or snapshots, with the class each
    now resolves to, so stores written before a move still read."""

    def topics_of(self, event_class: type[Any]) -> tuple[str, ...]:
        """Every topic events of `event_class` may be stored under: today's first, then
        those of earlier versions (a nested class keeps its name under its moved parent)."""
        from eventsourcing.utils import get_topic

        topics = [get_topic(event_class)]
        name = event_class.__qualname__
        for old, moved_to in self.moved_topics:
            parent = moved_to.__qualname__
            if moved_to.__module__ == event_class.__module__ and (
                name == parent or name.startswith(parent + ".")
            ):
                topics.append(old + name[len(parent) :])
        return tuple(topics)

    def event_topics(self) -> dict[str, type[DomainEvent]]:
        """Every topic the kind's events may be stored under, with the class it names:
        the event classes nested in its aggregates, under today's and earlier topics."""
        found: dict[str, type[DomainEvent]] = {}
        for aggregate in self.aggregates:
            for member in vars(aggregate).values():
                if isinstance(member, type) and issubclass(member, DomainEvent):
                    found.update(dict.fromkeys(self.topics_of(member), member))
        return found

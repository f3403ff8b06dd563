"""What a programme kind brings to the registry: its aggregates, read models and the rest."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
from eventsourcing.domain import Aggregate, DomainEvent

from caseload.projections.base import ReadModel

if TYPE_CHECKING:
    from caseload.application.caseload import Caseload
    from caseload.audit.rules import RuleBook

__all__ = ["ProgrammeKind"]


@attrs.frozen
class ProgrammeKind:
    """One kind of programme, as the application, runner, audit, export and CLI find it."""

    key: str
    """Stable identifier of the kind (`resource_pathway`); never renamed."""
    title: str
    """The programme's name in English and Danish, for people."""
    aggregates: tuple[type[Aggregate], ...]
    """Every aggregate class of the kind; their nested event classes are its events."""
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
    """Topics under which earlier versions stored events or snapshots, with the class (or
    module) each now resolves to, so stores written before a move still read."""

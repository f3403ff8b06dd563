"""What every programme's events share: the business date, and which events hold on every day."""

from __future__ import annotations

from datetime import date

from eventsourcing.domain import DomainEvent

__all__ = ["HoldsOnEveryDay", "holds_on_every_day", "is_true_on"]


class HoldsOnEveryDay:
    """Mixed into an event class whose facts hold on every business date.

    A programme's configuration and its policy decisions say themselves from when they
    apply (a policy through its `effective_from`), so a replay "as true on" any day takes
    them whatever their own date, and their date does not count as the history's reach.
    Every other event is a fact of the day it happened on (`occurred_on`).
    """

    __slots__ = ()


def holds_on_every_day(kind: type[object]) -> bool:
    """Whether events of class `kind` hold on every business date."""
    return issubclass(kind, HoldsOnEveryDay)


def is_true_on(event: DomainEvent, on: date) -> bool:
    """Whether `event` belongs to the world as true on business date `on`.

    Facts count when they happened on or before `on`, whenever they were recorded (late
    registrations included); events that hold on every day always count.
    """
    if isinstance(event, HoldsOnEveryDay):
        return True
    occurred_on: date = getattr(event, "occurred_on", date.min)
    return occurred_on <= on

"""What every programme's events share: the business date, which events hold on every day,
and the `@event` decorator their aggregates use."""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar, cast

from eventsourcing.domain import (
    BoundCommandMethodDecorator,
    CanMutateAggregate,
    CommandMethodDecorator,
    DecoratedFuncCaller,
    DomainEvent,
    decorated_func_callers,
)

__all__ = ["HoldsOnEveryDay", "event", "holds_on_every_day", "is_true_on"]


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


class _EventMethod(CommandMethodDecorator):
    """eventsourcing's `@event` method, bound to its aggregate without per-call work.

    eventsourcing binds the method anew on every access and, on every call, matches the
    arguments to the method's signature and again to the event class's. Both signatures
    are fixed, so here they are read once, and a call with keyword arguments (how every
    aggregate of ours calls its `@event` methods) triggers the same event class with the
    same values directly. Anything else (positional arguments, a missing or unknown
    argument) takes eventsourcing's own way, with its own errors. Applying an event (when
    it is triggered and on replay) calls the undecorated method with the event's values,
    as eventsourcing does, by the names read once.
    """

    _plan: _Plan | None
    _direct: bool

    def __get__(self, instance: Any, owner: type[Any]) -> Any:
        # Whether calls can take the direct way, worked out on the first access: this
        # runs for every event an aggregate triggers.
        direct = self.__dict__.get("_direct")
        if direct is None:
            direct = self._direct = (
                self.decorated_property is None
                and self.decorated_func.__name__ not in ("__init__", "_")
            )
        if instance is None or not direct:
            return super().__get__(instance, owner)
        return functools.partial(self._trigger, instance)

    def _trigger(self, aggregate: Any, /, *args: Any, **kwargs: Any) -> None:
        plan = self.__dict__.get("_plan")
        if plan is None and "_plan" not in self.__dict__:
            plan = self._plan = self._planned(type(aggregate))
        if plan is None or args:
            BoundCommandMethodDecorator(self, aggregate).trigger(*args, **kwargs)
            return
        event_class, defaults, required, accepted, fields = plan
        if not required <= kwargs.keys() <= accepted:
            BoundCommandMethodDecorator(self, aggregate).trigger(*args, **kwargs)
            return
        for name, default in defaults:
            kwargs.setdefault(name, default)
        if fields is None:
            aggregate.trigger_event(event_class, **kwargs)
            return
        # What `trigger_event` does, without its per-call copies and checks that cannot
        # fail here: the values in the order of the event class's fields (the order the
        # dataclass's own __init__ would set them in, and so the stored JSON's order), the
        # event applied to the aggregate, the aggregate's version and time moved on.
        version = aggregate.version + 1
        timestamp = event_class.create_timestamp()
        values = {"originator_id": aggregate.id, "originator_version": version}
        values["timestamp"] = timestamp
        for name in fields:
            values[name] = kwargs[name]
        new_event = object.__new__(event_class)
        object.__setattr__(new_event, "__dict__", values)
        self.decorated_func(aggregate, **kwargs)
        aggregate.version = version
        aggregate.modified_on = timestamp
        aggregate.pending_events.append(new_event)

    def _planned(self, aggregate_class: type[Any]) -> _Plan | None:
        event_class = decorated_func_callers.get(self)
        if event_class is None:
            return None
        parameters = list(inspect.signature(self.decorated_func).parameters.values())[1:]
        if any(p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in parameters):
            return None
        fields = set(inspect.signature(event_class).parameters)
        names = {p.name for p in parameters}
        if not names <= fields:
            # eventsourcing would drop the arguments the event class has no field for.
            return None
        defaults = tuple((p.name, p.default) for p in parameters if p.default is not p.empty)
        required = frozenset(p.name for p in parameters if p.default is p.empty)
        applied_directly = self._apply_directly(event_class, tuple(p.name for p in parameters))
        return (
            event_class,
            defaults,
            required,
            frozenset(names),
            # eventsourcing checks the topic of an event of an aggregate with an explicit
            # TOPIC on every trigger; those go its way.
            None
            if not applied_directly or getattr(aggregate_class, "TOPIC", None)
            else _fields_after_the_common_ones(event_class, names),
        )

    def _apply_directly(self, event_class: type[Any], names: tuple[str, ...]) -> bool:
        """Give the event class an `apply` that calls the method with the event's values
        by the names read once, instead of eventsourcing's, which matches the event's
        values to the method's signature on every event (the same call either way).
        Returns whether it did."""
        mro = event_class.__mro__
        if DecoratedFuncCaller not in mro:
            return False
        after = mro[mro.index(DecoratedFuncCaller) + 1 :]
        inherited = next((k.__dict__["apply"] for k in after if "apply" in k.__dict__), None)
        if inherited is not CanMutateAggregate.apply:
            return False  # an apply of our own to chain to: eventsourcing's way keeps it
        method = self.decorated_func

        def apply(event: Any, aggregate: Any) -> None:
            values = event.__dict__
            method(aggregate, **{name: values[name] for name in names if name in values})

        event_class.apply = apply
        return True


_Plan = tuple[
    type[Any],
    tuple[tuple[str, Any], ...],
    frozenset[str],
    frozenset[str],
    tuple[str, ...] | None,
]
"""An `@event` method's event class, its defaults, required and accepted arguments, and
the event's own fields in order when an event can be built without `trigger_event`."""

_COMMON_FIELDS = ("originator_id", "originator_version", "timestamp")


def _fields_after_the_common_ones(
    event_class: type[Any], names: set[str]
) -> tuple[str, ...] | None:
    """The event class's fields after the three every aggregate event starts with, when
    the method's arguments give exactly those and nothing else of eventsourcing's event
    construction (a topic check, another `__post_init__`, defaults) could differ; else
    None, and `trigger_event` builds the event."""
    fields = dataclasses.fields(event_class)
    own = tuple(field.name for field in fields[len(_COMMON_FIELDS) :])
    if (
        tuple(field.name for field in fields[: len(_COMMON_FIELDS)]) != _COMMON_FIELDS
        or not all(field.init for field in fields)
        or set(own) != names
        or event_class.__post_init__ is not DomainEvent.__post_init__
        or event_class.mutate is not CanMutateAggregate.mutate
    ):
        return None
    return own


F = TypeVar("F", bound=Callable[..., None])


def event(event_spec: type[Any] | str) -> Callable[[F], F]:
    """eventsourcing's `@event(EventClass)` (or `@event("Name")`): the decorated method
    triggers the event, and replay applies the event to it; calls cost less (see
    `_EventMethod`), the events, topics and stored bytes are the same."""

    def decorate(method: F) -> F:
        return cast("F", _EventMethod(event_spec, decorated_obj=method))

    return decorate

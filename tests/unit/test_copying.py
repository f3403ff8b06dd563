"""Aggregates copy cheaply because everything inside their containers is immutable."""

from __future__ import annotations

import copy
import enum
from datetime import date
from decimal import Decimal
from uuid import UUID

import attrs

from caseload import Caseload
from caseload.programmes.resource_pathway.domain.broker import Broker
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from tests.conftest import KEY, fixed_clock

IMMUTABLE = (UUID, date, Decimal, str, int, float, bool, type(None), enum.Enum, tuple, frozenset)


def immutable(value: object) -> bool:
    """True for values that cannot change after they are made."""
    if attrs.has(type(value)):
        return bool(getattr(type(value), "__attrs_attrs__", None)) and (
            type(value).__setattr__ is not object.__setattr__
        )
    return isinstance(value, IMMUTABLE)


def test_every_container_in_every_aggregate_holds_immutable_values() -> None:
    """The fast copy is complete only if aggregates keep immutable values in their lists,
    sets and dicts; check every aggregate of a simulated programme."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        simulate(app, SimulationConfig(brokers=3, citizens=30, months=2, seed=2))
        ids = {event.originator_id for event in app.events()}
        checked = 0
        for aggregate_id in ids:
            aggregate = app.wiring.events.repository.get(aggregate_id)
            for name, value in vars(aggregate).items():
                if name == "_pending_events":
                    continue
                if isinstance(value, list | set | dict):
                    members = [*value.keys(), *value.values()] if isinstance(value, dict) else value
                    assert all(immutable(member) for member in members), (type(aggregate), name)
                    checked += 1
                else:
                    assert immutable(value), (type(aggregate), name, type(value))
        assert checked > 0


def test_a_copy_is_independent_of_the_original() -> None:
    """Changing a copied broker (a case assigned) leaves the original as it was."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        broker_id = app.register_broker(name="B", team="T", on=date(2025, 1, 6))
        original = app.wiring.events.repository.get(broker_id)
        assert isinstance(original, Broker)
        copied = copy.deepcopy(original)
        policy = app.limit_in_force()
        copied.assign(UUID(int=1), original.pathway, date(2025, 1, 6), policy)
        assert copied.active_cases == {UUID(int=1)}
        assert original.active_cases == set()
        assert len(copied.pending_events) == 1
        assert original.pending_events == []

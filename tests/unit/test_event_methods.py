"""Aggregates' `@event` methods (caseload.domain.events.event) trigger the events
eventsourcing's own decorator would, refuse the calls it refuses, and replay alike."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest
from eventsourcing.domain import BoundCommandMethodDecorator

from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.programmes.resource_pathway.domain.values import Channel, PathwayKind, Role

BROKER = UUID(int=7)
MOMENT = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def opened() -> Trajectory:
    trajectory = Trajectory(
        citizen="pseudonym", pathway=PathwayKind.RESOURCE_PATHWAY, occurred_on=date(2025, 1, 6)
    )
    trajectory.collect_events()
    return trajectory


def state(event: object) -> dict[str, object]:
    """An event's values without the moment it was made."""
    return {name: value for name, value in vars(event).items() if name != "timestamp"}


def test_a_keyword_call_triggers_what_eventsourcing_would() -> None:
    ours, theirs = opened(), opened()
    object.__setattr__(theirs, "_id", ours.id)  # the same aggregate, twice
    arguments = {
        "roles": frozenset({Role.COACH}),
        "channel": Channel.PHONE,
        "by": BROKER,
        "occurred_on": date(2025, 1, 7),
    }
    ours._contact_recorded(**arguments)
    decorator = Trajectory.__dict__["_contact_recorded"]
    BoundCommandMethodDecorator(decorator, theirs).trigger(**arguments)
    [mine], [reference] = ours.collect_events(), theirs.collect_events()
    assert type(mine) is type(reference)
    assert state(mine) == state(reference)
    # In the same order: the stored JSON, and so the hash chain, follows it.
    assert list(vars(mine)) == list(vars(reference))
    assert ours.version == theirs.version == 2
    assert ours.modified_on == mine.timestamp
    assert mine.note is None  # the default was filled in
    assert ours.latest_on == theirs.latest_on == date(2025, 1, 7)


def test_calls_eventsourcing_refuses_are_refused_alike() -> None:
    trajectory = opened()
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        trajectory._assigned(broker_id=BROKER, occurred_on=date(2025, 1, 7), bogus=1)
    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        trajectory._assigned(broker_id=BROKER)
    assert trajectory.version == 1
    assert trajectory.collect_events() == []


def test_positional_arguments_take_eventsourcing_s_way() -> None:
    trajectory = opened()
    trajectory._assigned(BROKER, date(2025, 1, 7))
    [assigned] = trajectory.collect_events()
    assert isinstance(assigned, Trajectory.Assigned)
    assert (assigned.broker_id, assigned.occurred_on) == (BROKER, date(2025, 1, 7))
    assert trajectory.broker_id == BROKER


def test_replaying_the_events_rebuilds_the_aggregate() -> None:
    trajectory = Trajectory(
        citizen="pseudonym", pathway=PathwayKind.RESOURCE_PATHWAY, occurred_on=date(2025, 1, 6)
    )
    trajectory.assign(BROKER, date(2025, 1, 6))
    trajectory.record_contact(frozenset({Role.AUTHORITY}), Channel.MEETING, BROKER, MOMENT.date())
    rebuilt = None
    for event in trajectory.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert rebuilt == trajectory

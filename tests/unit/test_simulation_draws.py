"""The simulation's weighted draws are `random.choices`' draws: the same seed, the same
numbers drawn and the same members picked, so the same commands."""

from __future__ import annotations

import random
import uuid

from hypothesis import given
from hypothesis import strategies as st

from caseload.programmes.resource_pathway.simulation_work import (
    CHANNEL_WEIGHTS,
    ROLE_WEIGHTS,
    Staff,
    pick,
)


@given(seed=st.integers(0, 2**32), tables=st.lists(st.booleans(), min_size=1, max_size=30))
def test_a_pick_draws_what_random_choices_draws(seed: int, tables: list[bool]) -> None:
    ours, theirs = random.Random(seed), random.Random(seed)
    for roles in tables:
        weights = ROLE_WEIGHTS if roles else CHANNEL_WEIGHTS
        expected = theirs.choices(list(weights), weights=list(weights.values()))
        assert pick(ours, weights) == expected
    # Both generators drew the same numbers: they stand at the same place.
    assert ours.random() == theirs.random()


@given(
    limits=st.lists(st.integers(0, 3), min_size=1, max_size=12),
    moves=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 11)), max_size=80),
    asked=st.integers(0, 11),
)
def test_the_other_brokers_with_room_are_those_the_plain_filter_gives(
    limits: list[int], moves: list[tuple[int, int]], asked: int
) -> None:
    """After any run of assignments, transfers and closures, the brokers a transfer picks
    from are the brokers with room, in order, less the one asked about."""
    brokers = [uuid.UUID(int=n + 1) for n in range(len(limits))]
    staff = Staff(brokers, dict(zip(brokers, limits, strict=True)), lambda: None)
    for case_number, broker_number in moves:
        case = uuid.UUID(int=1000 + case_number)
        broker = brokers[broker_number % len(brokers)]
        if case in staff.holder and broker == staff.holder[case]:
            staff.release(case)
        elif staff.has_room(broker):
            staff.take(case, broker)
    broker = brokers[asked % len(brokers)]
    with_room = [b for b in brokers if len(staff.held[b]) < staff.limits[b]]
    assert staff.with_room() == with_room
    assert staff.others_with_room(broker) == [b for b in with_room if b != broker]

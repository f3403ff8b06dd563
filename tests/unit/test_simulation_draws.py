"""The simulation's weighted draws are `random.choices`' draws: the same seed, the same
numbers drawn and the same members picked, so the same commands."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from caseload.programmes.resource_pathway.simulation_work import (
    CHANNEL_WEIGHTS,
    ROLE_WEIGHTS,
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

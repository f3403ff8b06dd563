"""Checkpoints thin out as the log grows, and writes due by time keep to a share of the work."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from caseload.adapters.read_model_store import IndexRow, LateEvent, MemoryProjectionStore
from caseload.adapters.read_model_store import StoredState as Stored
from caseload.programmes.resource_pathway.read_models.caseload_counts import CaseloadCounts
from caseload.projections.checkpointing import CheckpointSchedule
from caseload.projections.folding import Live
from caseload.projections.time_index import TimeIndex
from caseload.projections.writing import StateWriter

schedules = st.builds(CheckpointSchedule, every=st.integers(1, 50), per_doubling=st.integers(0, 6))


def _by_hand(schedule: CheckpointSchedule, last: int) -> list[int]:
    """The checkpoint positions up to `last`, by the rule as the settings state it: a
    multiple of the widest spacing `every` × 2^k that fits `per_doubling` times into the
    position."""
    found = []
    for position in range(1, last + 1):
        spacing = schedule.every
        while schedule.per_doubling and spacing * 2 * schedule.per_doubling <= position:
            spacing *= 2
        if position % spacing == 0:
            found.append(position)
    return found


@given(schedule=schedules, last=st.integers(0, 3_000))
def test_the_positions_are_those_of_the_rule(schedule: CheckpointSchedule, last: int) -> None:
    """`at`, `after` and `between` all give the rule's positions."""
    expected = _by_hand(schedule, last)
    assert [p for p in range(1, last + 1) if schedule.at(p)] == expected
    assert list(schedule.between(1, last)) == expected
    walked, at = [], schedule.after(0)
    while at <= last:
        walked.append(at)
        at = schedule.after(at)
    assert walked == expected


@given(schedule=schedules, first=st.integers(0, 2_000), length=st.integers(0, 1_000))
def test_after_is_the_first_checkpoint_past_a_position(
    schedule: CheckpointSchedule, first: int, length: int
) -> None:
    found = schedule.after(first)
    assert found > first
    assert schedule.at(found)
    assert not any(schedule.at(p) for p in range(first + 1, found))
    assert list(schedule.between(first + 1, first + length)) == [
        p for p in range(first + 1, first + length + 1) if schedule.at(p)
    ]


@given(schedule=schedules, checkpoints=st.integers(1, 60))
def test_an_as_of_replay_folds_at_most_a_share_of_the_log(
    schedule: CheckpointSchedule, checkpoints: int
) -> None:
    """Between two checkpoints lie at least `every` positions and at most `every` or a
    `per_doubling`-th of the log before the later one: the replay from the nearest
    checkpoint is bounded by that share of the log."""
    at = [schedule.after(0)]
    while len(at) < checkpoints:
        at.append(schedule.after(at[-1]))
    assert at[0] == schedule.every
    for earlier, later in itertools.pairwise(at):
        gap = later - earlier
        assert gap >= schedule.every
        assert gap % schedule.every == 0
        if schedule.per_doubling:
            assert gap <= max(schedule.every, later // schedule.per_doubling)
        else:
            assert gap == schedule.every


@given(
    every=st.integers(1, 1_000),
    per_doubling=st.integers(1, 8),
    doublings=st.integers(0, 12),
)
def test_the_number_of_checkpoints_grows_with_the_logarithm_of_the_log(
    every: int, per_doubling: int, doublings: int
) -> None:
    """Up to `every` × 2^d × `per_doubling` positions there are (d + 1) × `per_doubling`
    checkpoints: `per_doubling` a doubling of the log, however long."""
    schedule = CheckpointSchedule(every, per_doubling)
    last = every * 2**doublings * per_doubling
    count = sum(1 for _ in schedule.between(1, last))
    assert count == (doublings + 1) * per_doubling


class _Clock:
    """A clock that moves only when told, or when the store writes."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _SlowStore(MemoryProjectionStore):
    """A store whose every commit takes `cost` seconds of the clock."""

    def __init__(self, clock: _Clock, cost: float) -> None:
        super().__init__()
        self._clock, self._cost = clock, cost

    def commit(
        self,
        expected: dict[str, int],
        states: dict[str, Stored],
        index: Sequence[IndexRow] = (),
        late: Sequence[LateEvent] = (),
        checkpoints: Sequence[tuple[str, Stored]] = (),
    ) -> bool:
        self._clock.now += self._cost
        return super().commit(expected, states, index, late, checkpoints)


@given(
    seconds=st.integers(0, 100),
    ratio=st.integers(0, 50),
    cost=st.integers(0, 10),
    waits=st.lists(st.integers(0, 1_000), min_size=1, max_size=5),
)
def test_a_write_due_by_time_waits_a_multiple_of_what_the_last_one_took(
    seconds: int, ratio: int, cost: int, waits: list[int]
) -> None:
    """Before any write, a write is due once `seconds` went by; after one, once both
    `seconds` and `ratio` times what it took went by. (Whole seconds, so that the clock's
    sums are exact.)"""
    clock = _Clock()
    writer = StateWriter(_SlowStore(clock, cost), seconds=seconds, work_ratio=ratio, clock=clock)
    model = CaseloadCounts()
    index = TimeIndex()
    took = None
    for position, wait in enumerate(waits, start=1):
        clock.now += wait
        bound = seconds if took is None else max(seconds, ratio * took)
        assert writer.late() == (wait >= bound)
        live = {model.name: Live(model, model.initial(), position, position - 1, dirty=True)}
        assert writer.write(live, index)
        took = cost
        assert live[model.name].stored_position == position

"""What the caseload read model keeps of a broker reads the same whether its cases and
series were decoded or are still as stored."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from caseload.programmes.resource_pathway.read_models.broker_cases import BrokerCases
from caseload.programmes.resource_pathway.read_models.caseload_counts import CaseloadCounts

START = date(2024, 1, 1)

series = st.lists(
    st.tuples(st.integers(0, 400), st.integers(0, 40)), unique_by=lambda point: point[0]
).map(lambda points: sorted((START + timedelta(days=day), count) for day, count in points))
cases = st.sets(st.integers(1, 10**6).map(lambda n: UUID(int=n)), max_size=30)


def stored(points: list[tuple[date, int]], active: set[UUID]) -> BrokerCases:
    """A broker as decoded from the store: cases and series still as stored."""
    return BrokerCases(
        name="A",
        team="T",
        registered_on=START,
        fte=[(START, Decimal("1.00"))],
        active=None,
        series=None,
        stored_active=[case.hex for case in sorted(active)],
        stored_series=[[day.isoformat(), count] for day, count in points],
    )


def decoded(points: list[tuple[date, int]], active: set[UUID]) -> BrokerCases:
    return BrokerCases(
        name="A",
        team="T",
        registered_on=START,
        fte=[(START, Decimal("1.00"))],
        active=set(active),
        series=list(points),
    )


@given(points=series, active=cases, day=st.integers(-5, 410))
def test_the_count_on_a_day_is_the_same_from_the_stored_series(
    points: list[tuple[date, int]], active: set[UUID], day: int
) -> None:
    on = START + timedelta(days=day)
    assert stored(points, active).count_on(on) == decoded(points, active).count_on(on)


@given(points=series, active=cases)
def test_a_broker_as_stored_equals_and_encodes_as_the_decoded_one(
    points: list[tuple[date, int]], active: set[UUID]
) -> None:
    """Equal, and encoded alike, whether or not its fields were decoded; once used, the
    stored forms are decoded (and changes to them kept)."""
    lazy, eager = stored(points, active), decoded(points, active)
    assert lazy == eager
    model = CaseloadCounts()
    state = model.initial()
    state.brokers[UUID(int=1)] = lazy
    other = model.initial()
    other.brokers[UUID(int=1)] = eager
    assert model.digest(state) == model.digest(other)
    lazy.active.add(UUID(int=7))
    lazy.record(START + timedelta(days=500))
    assert lazy.count_on(START + timedelta(days=500)) == len(active | {UUID(int=7)})
    assert lazy != eager

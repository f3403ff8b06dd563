"""The education programme's values round-trip through the real JSON transcoder, and its
stored events decode with their types."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from caseload import (
    NOT_RELEVANT,
    BaselineCount,
    DropOutReason,
    EligibilityRule,
    EligibilityTable,
    Financing,
    GroupSize,
    NotRelevant,
    Scheme,
    SessionKind,
    TargetGroup,
    TargetRow,
)
from caseload.adapters.transcodings import ENUMS, VALUES
from caseload.programmes.education.domain.values import TargetDecision
from tests.unit._education import DECIDED, education_app
from tests.unit.test_transcoding import assert_same, round_trip

EDUCATION_ENUMS = (DropOutReason, Financing, NotRelevant, Scheme, SessionKind, TargetGroup)
EDUCATION_VALUES = (
    BaselineCount,
    EligibilityRule,
    EligibilityTable,
    GroupSize,
    TargetDecision,
    TargetRow,
)

groups = st.frozensets(st.sampled_from(TargetGroup), min_size=1)
eligibility_rules = st.builds(
    EligibilityRule,
    name=st.text(max_size=10),
    scheme=st.sampled_from(Scheme),
    groups=groups,
    valid_from=st.dates(),
    valid_to=st.none() | st.dates(),
    min_age=st.none() | st.integers(0, 130),
    max_age=st.none() | st.integers(0, 130),
    positive_list=st.booleans(),
    source=st.text(max_size=20),
)
values = st.one_of(
    st.sampled_from(DropOutReason),
    st.sampled_from(Financing),
    st.just(NOT_RELEVANT),
    st.sampled_from(SessionKind),
    st.builds(TargetRow, st.sampled_from(Scheme), groups),
    st.builds(GroupSize, st.sampled_from(TargetGroup), st.integers(0, 10**6), st.text()),
    st.builds(BaselineCount, st.integers(1900, 2200), st.sampled_from(Scheme), st.integers(0)),
    eligibility_rules,
    st.builds(EligibilityTable, st.text(), st.lists(eligibility_rules, max_size=3)),
    st.builds(
        TargetDecision,
        st.builds(TargetRow, st.sampled_from(Scheme), groups),
        st.integers(1900, 2200),
        st.integers(0, 10**5) | st.just(NOT_RELEVANT),
        st.dates(),
    ),
)


def test_every_education_value_type_has_a_transcoding() -> None:
    """Each enum and value class stored in education events is registered."""
    assert set(EDUCATION_ENUMS) <= set(ENUMS)
    assert set(EDUCATION_VALUES) <= set(VALUES)


@given(value=values)
def test_education_values_round_trip_with_their_types(value: Any) -> None:
    """Enums come back as members, rows with frozensets of groups, tables with tuples."""
    assert_same(round_trip(value), value)


def test_stored_education_events_decode_with_their_types() -> None:
    """A target "not relevant" comes back as NOT_RELEVANT and a count as an int; the
    eligibility table as a table of rules; the gross groups as values."""
    app = education_app()
    app.set_target(
        Scheme.EDUCATION_LIFT_110, TargetGroup.INSURED_UNEMPLOYED, 2022, NOT_RELEVANT, on=DECIDED
    )
    app.set_target(Scheme.EDUCATION_LIFT, TargetGroup.INSURED_UNEMPLOYED, 2022, 25, on=DECIDED)
    events = list(app.events())
    configured, not_relevant, count = events
    assert type(configured.eligibility) is EligibilityTable  # type: ignore[attr-defined]
    assert type(configured.eligibility.rules) is tuple  # type: ignore[attr-defined]
    assert type(configured.period_start) is date  # type: ignore[attr-defined]
    assert not_relevant.value is NOT_RELEVANT  # type: ignore[attr-defined]
    assert_same(
        not_relevant.row, TargetRow(Scheme.EDUCATION_LIFT_110, TargetGroup.INSURED_UNEMPLOYED)
    )  # type: ignore[attr-defined]
    assert_same(count.value, 25)  # type: ignore[attr-defined]

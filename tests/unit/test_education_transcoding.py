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
one_line = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=10
).filter(str.strip)
"""Names the free-text rule accepts (a value class refuses any other when it is made)."""


@st.composite
def eligibility_rule(draw: st.DrawFn) -> EligibilityRule:
    """Any rule that can be made: its dates run forwards and its ages do not cross."""
    valid_from = draw(st.dates())
    min_age = draw(st.none() | st.integers(0, 130))
    return EligibilityRule(
        name=draw(one_line),
        scheme=draw(st.sampled_from(Scheme)),
        groups=draw(groups),
        valid_from=valid_from,
        valid_to=draw(st.none() | st.dates(min_value=valid_from)),
        min_age=min_age,
        max_age=draw(st.none() | st.integers(min_age or 0, 130)),
        positive_list=draw(st.booleans()),
        source=draw(
            st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20)
        ),
    )


eligibility_rules = eligibility_rule()
values = st.one_of(
    st.sampled_from(DropOutReason),
    st.sampled_from(Financing),
    st.just(NOT_RELEVANT),
    st.sampled_from(SessionKind),
    st.builds(TargetRow, st.sampled_from(Scheme), groups),
    st.builds(GroupSize, st.sampled_from(TargetGroup), st.integers(0, 10**6), one_line),
    st.builds(
        BaselineCount, st.integers(1900, 2200), st.sampled_from(Scheme), st.integers(0, 10**7)
    ),
    eligibility_rules,
    st.builds(
        EligibilityTable,
        one_line,
        st.lists(eligibility_rules, max_size=3, unique_by=lambda rule: rule.name),
    ),
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

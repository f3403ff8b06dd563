"""Dates outside the range a programme can span are refused, by commands and queries alike,
and answered at once (a year-9999 query must not walk nine thousand years of months)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseload import Caseload, DateOutOfRange
from caseload.domain.dates import EARLIEST_DATE, LATEST_DATE
from tests.conftest import KEY, fixed_clock

QUERIES = (
    "caseload",
    "caseload_report",
    "role_coverage",
    "outcomes",
    "progression",
    "attention_list",
    "staffing",
)


@pytest.fixture(scope="module")
def app() -> Caseload:
    """A store with one broker registered on the earliest accepted day."""
    application = Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)
    application.register_broker(name="B", team="T", on=EARLIEST_DATE)
    return application


def test_the_range_is_the_documented_one() -> None:
    """The bounds are 1970-01-01 and 2199-12-31."""
    assert (date(1970, 1, 1), date(2199, 12, 31)) == (EARLIEST_DATE, LATEST_DATE)


@given(day=st.dates(max_value=date(1969, 12, 31)))
def test_a_business_date_before_the_range_is_refused(day: date) -> None:
    """A command dated before 1970 is refused, naming the range and not the date itself."""
    fresh = Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)
    with pytest.raises(DateOutOfRange, match="between 1970-01-01 and 2199-12-31"):
        fresh.register_broker(name="B", team="T", on=day)
    assert fresh.head() == 0


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("day", [date.min, date(1969, 12, 31), date(2200, 1, 1), date.max])
def test_a_query_outside_the_range_is_refused(app: Caseload, query: str, day: date) -> None:
    """Every report refuses an as-true-on day outside the range with DateOutOfRange."""
    with pytest.raises(DateOutOfRange, match="as_true_on must lie between"):
        getattr(app, query)(as_true_on=day)


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("day", [EARLIEST_DATE, LATEST_DATE])
def test_a_query_at_either_end_of_the_range_answers(app: Caseload, query: str, day: date) -> None:
    """The ends of the range are answered (staffing walks months, from 1970 to 2199 here)."""
    assert getattr(app, query)(as_true_on=day) is not None


def test_a_policy_starting_after_the_range_is_refused(app: Caseload) -> None:
    """A policy's start is a date in the range too."""
    with pytest.raises(DateOutOfRange, match="effective_from must lie between"):
        app.set_caseload_policy(limit_per_fte=20, effective_from=date(2300, 1, 1))

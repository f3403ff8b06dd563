"""Hypothesis strategies for the caseload domain: CPR numbers, values, and command histories."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from caseload.programmes.resource_pathway.domain.values import (
    Channel,
    ClosureReason,
    EmployerActivityKind,
    IndicatorSet,
    PlacementKind,
    ReviewOutcome,
    Role,
)

__all__ = [
    "business_dates",
    "channels",
    "closure_reasons",
    "cprs",
    "employer_activity_kinds",
    "ftes",
    "invalid_cprs",
    "placements",
    "review_outcomes",
    "role_sets",
    "scores",
]

# For each 7th digit, the birth years it encodes (CPR office century rule).
_CENTURY_RULE: dict[int, tuple[tuple[int, int], ...]] = {
    **dict.fromkeys((0, 1, 2, 3), ((1900, 1999),)),
    **dict.fromkeys((4, 9), ((2000, 2036), (1937, 1999))),
    **dict.fromkeys((5, 6, 7, 8), ((2000, 2057), (1858, 1899))),
}


@st.composite
def cprs(
    draw: st.DrawFn, *, hyphen: bool | None = False, born_until: date = date(2009, 12, 31)
) -> str:
    """Valid CPR numbers: a real birth date up to `born_until` (the programmes serve
    adults), and a 7th digit whose century rule fits the year.

    With `hyphen=None` both the `DDMMYYSSSS` and `DDMMYY-SSSS` forms are drawn.
    """
    seventh = draw(st.integers(0, 9))
    ranges = [(f, min(last, born_until.year)) for f, last in _CENTURY_RULE[seventh]]
    first, last = draw(st.sampled_from([(f, last) for f, last in ranges if f <= last]))
    last_day = min(date(last, 12, 31), born_until)
    born = draw(st.dates(min_value=date(first, 1, 1), max_value=last_day))
    serial = draw(st.integers(0, 999))
    digits = f"{born:%d%m}{born.year % 100:02d}{seventh}{serial:03d}"
    with_hyphen = draw(st.booleans()) if hyphen is None else hyphen
    return f"{digits[:6]}-{digits[6:]}" if with_hyphen else digits


def invalid_cprs() -> st.SearchStrategy[str]:
    """Strings that are not CPR numbers: wrong length, non-digits, or impossible dates."""
    wrong_length = st.text("0123456789", min_size=0, max_size=14).filter(lambda s: len(s) != 10)
    not_digits = st.text(min_size=10, max_size=10).filter(lambda s: not s.isdigit())
    impossible_day = st.builds(
        lambda month, rest: f"{32 + (month % 60):02d}{month % 12 + 1:02d}{rest}",
        st.integers(0, 59),
        st.from_regex(r"\A[0-9]{6}\Z"),
    )
    return st.one_of(wrong_length, not_digits, impossible_day)


def business_dates(
    min_value: date = date(2020, 1, 1), max_value: date = date(2025, 6, 30)
) -> st.SearchStrategy[date]:
    """Business dates in a range (default: the tests' years)."""
    return st.dates(min_value=min_value, max_value=max_value)


def ftes() -> st.SearchStrategy[Decimal]:
    """FTEs a broker may have: hundredths of a post from 0.01 to 1.00."""
    return st.integers(1, 100).map(lambda hundredths: Decimal(hundredths) / 100)


def role_sets() -> st.SearchStrategy[frozenset[Role]]:
    """Non-empty sets of the four roles, as a contact names them."""
    return st.frozensets(st.sampled_from(Role), min_size=1)


def channels() -> st.SearchStrategy[Channel]:
    """Contact channels a new contact may name (not UNKNOWN, which only old events carry)."""
    return st.sampled_from([channel for channel in Channel if channel is not Channel.UNKNOWN])


def closure_reasons() -> st.SearchStrategy[ClosureReason]:
    """Closure reasons."""
    return st.sampled_from(ClosureReason)


def employer_activity_kinds() -> st.SearchStrategy[EmployerActivityKind]:
    """Kinds of employer-directed activity."""
    return st.sampled_from(EmployerActivityKind)


def review_outcomes() -> st.SearchStrategy[ReviewOutcome]:
    """Case review outcomes."""
    return st.sampled_from(ReviewOutcome)


def placements() -> st.SearchStrategy[tuple[PlacementKind, int | None]]:
    """Valid (kind, paid hours per week) pairs for `record_job_placement`."""
    return st.one_of(
        st.tuples(st.just(PlacementKind.ORDINARY_JOB), st.integers(1, 37)),
        st.tuples(st.just(PlacementKind.FLEX_JOB), st.none() | st.integers(1, 37)),
        st.tuples(st.just(PlacementKind.EDUCATION), st.none()),
    )


def scores(indicators: IndicatorSet | None = None) -> st.SearchStrategy[dict[str, int]]:
    """Valid progression scores on some of the programme's indicators."""
    indicator_set = IndicatorSet() if indicators is None else indicators
    return st.dictionaries(
        st.sampled_from(indicator_set.names),
        st.integers(indicator_set.min_score, indicator_set.max_score),
        min_size=1,
    )


def days_after(start: date, max_days: int = 30) -> st.SearchStrategy[date]:
    """A date from `start` to `max_days` later."""
    return st.integers(0, max_days).map(lambda days: start + timedelta(days=days))

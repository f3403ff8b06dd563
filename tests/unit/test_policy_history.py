"""`PolicyHistory` answers every question about dated policies as a plain list, scanned day by
day, answers it: the policy in force, the strictest from a day on and between two days, and
which decisions may replace a policy."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseload.domain.errors import InvalidPolicy
from caseload.domain.policy import DEFAULT_POLICY, CaseloadPolicy, PolicyHistory

BASE = date(2025, 1, 1)
D = timedelta(days=1)
HORIZON = 45
"""Policies take effect within this many days of BASE, so scanning a few days past it
covers every change."""


def day(offset: int) -> date:
    """BASE moved by `offset` days."""
    return BASE + offset * D


# ----------------------------------------------------------------- the oracle


def by_date(decided: list[CaseloadPolicy]) -> dict[date, CaseloadPolicy]:
    """The policies as decided, in order: a later one for a date replaces the earlier."""
    kept: dict[date, CaseloadPolicy] = {}
    for policy in decided:
        kept[policy.effective_from] = policy
    return kept


def in_force(decided: list[CaseloadPolicy], on: date) -> CaseloadPolicy:
    """The latest policy to take effect by `on`; before any, the first to take effect."""
    kept = by_date(decided)
    started = [since for since in kept if since <= on]
    return kept[max(started)] if started else kept[min(kept)]


def limit(policy: CaseloadPolicy, fte: Decimal | None) -> int:
    """A policy's limit per FTE, or for a broker of `fte`, as floor(per FTE × FTE)."""
    return policy.limit_per_fte if fte is None else int(policy.limit_per_fte * fte // 1)


def strictest(
    decided: list[CaseloadPolicy], first: date, last: date | None, fte: Decimal | None
) -> CaseloadPolicy:
    """Scan every day from `first` to `last` (past every effective date when None) and keep
    the policy with the lowest limit, the first one seen of equals."""
    end = day(HORIZON + 2) if last is None else last
    best = in_force(decided, first)
    on = first
    while on <= end:
        candidate = in_force(decided, on)
        if limit(candidate, fte) < limit(best, fte):
            best = candidate
        on += D
    return best


# ----------------------------------------------------------------- strategies

policies = st.builds(
    lambda offset, per_fte, serial: CaseloadPolicy(day(offset), per_fte, f"p{serial}"),
    st.integers(0, HORIZON),
    st.integers(1, 40),
    st.integers(0, 9),
)
first_policies = st.one_of(
    st.just(DEFAULT_POLICY),
    st.builds(lambda p: CaseloadPolicy(date.min, p, "configured"), st.integers(1, 40)),
    policies,  # a history that starts on a real date: before it, the first policy holds
)
query_days = st.integers(-5, HORIZON + 5).map(day)
fte_values = st.none() | st.sampled_from(
    [Decimal("0.01"), Decimal("0.05"), Decimal("0.33"), Decimal("0.5"), Decimal("1.00")]
)


def build(first: CaseloadPolicy, later: list[CaseloadPolicy]) -> PolicyHistory:
    """A history of `first`, then each of `later` as recorded."""
    history = PolicyHistory.starting_with(first)
    for policy in later:
        history = history.including(policy)
    return history


# ----------------------------------------------------------------- properties


@given(first=first_policies, later=st.lists(policies, max_size=8), on=query_days)
def test_the_policy_in_force_is_the_latest_to_take_effect(
    first: CaseloadPolicy, later: list[CaseloadPolicy], on: date
) -> None:
    """On any day, the policy in force is the oracle's, and the history keeps one policy per
    date, in date order."""
    history = build(first, later)
    assert history.in_force(on) == in_force([first, *later], on)
    assert history.in_force_on_ordinal(on.toordinal()) == history.in_force(on)
    assert list(history.policies) == [p for _, p in sorted(by_date([first, *later]).items())]


@given(
    first=first_policies,
    later=st.lists(policies, max_size=8),
    on=query_days,
    fte=fte_values,
)
def test_the_strictest_from_a_day_covers_every_later_day(
    first: CaseloadPolicy, later: list[CaseloadPolicy], on: date, fte: Decimal | None
) -> None:
    """From a day on, open-ended: the lowest limit on any later day, policies for days
    still to come included, and of equal limits the one in force first."""
    history = build(first, later)
    assert history.strictest_from(on, fte) == strictest([first, *later], on, None, fte)


@given(
    first=first_policies,
    later=st.lists(policies, max_size=8),
    ends=st.tuples(query_days, query_days).map(sorted),
    fte=fte_values,
)
def test_the_strictest_between_two_days_looks_no_further(
    first: CaseloadPolicy, later: list[CaseloadPolicy], ends: list[date], fte: Decimal | None
) -> None:
    """Between two days (both included), the lowest limit on any of them."""
    history = build(first, later)
    low, high = ends
    assert history.strictest_between(low, high, fte) == strictest([first, *later], low, high, fte)


@given(
    later=st.lists(policies, max_size=6),
    decided=policies,
    decided_on=query_days,
    today=query_days,
)
def test_a_decision_replaces_only_a_policy_not_yet_in_force(
    later: list[CaseloadPolicy], decided: CaseloadPolicy, decided_on: date, today: date
) -> None:
    """A decision may not take effect before it is decided, nor replace a policy in force
    by today; otherwise it is recorded as the log would record it."""
    history = build(DEFAULT_POLICY, later)
    before = history.policies
    kept = by_date([DEFAULT_POLICY, *later])
    refused = decided.effective_from < decided_on or (
        decided.effective_from in kept and decided.effective_from <= today
    )
    if refused:
        with pytest.raises(InvalidPolicy):
            history.with_policy(decided, decided_on=decided_on, today=today)
    else:
        after = history.with_policy(decided, decided_on=decided_on, today=today)
        assert after == history.including(decided)
        assert after.in_force(decided.effective_from) == decided
    assert history.policies == before, "a history is a value: deciding changes no history"


def test_an_empty_history_is_refused() -> None:
    """A history holds at least the programme's first policy."""
    with pytest.raises(InvalidPolicy, match="at least one policy"):
        PolicyHistory(())


def test_a_policy_decided_for_later_binds_from_its_day() -> None:
    """The strictest policy from a day may take effect later: the day it binds from is its
    own effective date."""
    lower = CaseloadPolicy(day(20), 10, "lower-from-day-20")
    history = PolicyHistory.starting_with(DEFAULT_POLICY).including(lower)
    assert history.in_force(day(5)) == DEFAULT_POLICY
    assert history.strictest_from(day(5)) == lower
    assert history.strictest_between(day(5), day(19)) == DEFAULT_POLICY
    assert history.strictest_between(day(5), day(20)) == lower

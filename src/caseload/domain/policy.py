"""Caseload policies and their history: the one answer to "which limit holds on this day".

A programme decides dated policies (krav om lave sagsstammer); `PolicyHistory` holds every
one decided so far and answers for the aggregate that refuses commands, the read models
that report, and the rule checker that audits, so the three cannot disagree.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import attrs

from caseload.domain.errors import DateOutOfRange, InvalidPolicy
from caseload.domain.text import text_problem

__all__ = [
    "DEFAULT_HISTORY",
    "DEFAULT_POLICY",
    "MAX_LIMIT_PER_FTE",
    "CaseloadPolicy",
    "PolicyHistory",
    "validated_policy",
]


MAX_LIMIT_PER_FTE = 1_000
"""No caseload policy allows more cases per full-time broker than this."""


def _check_limit_per_fte(limit_per_fte: object) -> None:
    if (
        isinstance(limit_per_fte, bool)
        or not isinstance(limit_per_fte, int)
        or not 1 <= limit_per_fte <= MAX_LIMIT_PER_FTE
    ):
        raise InvalidPolicy(
            f"a caseload limit per FTE must be a whole number from 1 to {MAX_LIMIT_PER_FTE}; "
            f"got a {type(limit_per_fte).__name__}"
            f"{' outside that range' if type(limit_per_fte) is int else ''}"
        )


def _check_name(name: object) -> None:
    problem = text_problem(name, "caseload policy's name")
    if problem is not None:
        raise InvalidPolicy(problem)


def _check_effective_from(effective_from: object) -> None:
    if isinstance(effective_from, datetime) or not isinstance(effective_from, date):
        raise DateOutOfRange(
            "a policy's effective_from must be a datetime.date, not "
            f"{type(effective_from).__name__}"
        )


@attrs.frozen(order=True)
class CaseloadPolicy:
    """The caseload limit per full-time broker, in force from a business date on.

    Stored in events under the transcoding name `CaseloadPolicy`: never rename the class.
    """

    effective_from: date = attrs.field(validator=lambda _i, _a, v: _check_effective_from(v))
    limit_per_fte: int = attrs.field(validator=lambda _i, _a, v: _check_limit_per_fte(v))
    """A whole number from 1 to `MAX_LIMIT_PER_FTE`; else `InvalidPolicy` on construction."""
    name: str = attrs.field(validator=lambda _i, _a, v: _check_name(v))
    """One line of free text (`caseload.domain.text`); else `InvalidPolicy` on construction."""

    def limit_for(self, fte: Decimal) -> int:
        """The number of cases a broker with this FTE may hold: floor(limit_per_fte × fte).

        FTEs are kept in hundredths, so the product is computed exactly in integers.
        """
        return self.limit_per_fte * int(fte * 100) // 100


DEFAULT_POLICY = CaseloadPolicy(effective_from=date.min, limit_per_fte=30, name="default")
"""At most 30 cases per full-time broker, in force from the beginning of time."""


def validated_policy(limit_per_fte: object, effective_from: object, name: object) -> CaseloadPolicy:
    """Build a `CaseloadPolicy` or raise `InvalidPolicy` naming the bad part."""
    _check_limit_per_fte(limit_per_fte)
    _check_name(name)
    _check_effective_from(effective_from)
    assert isinstance(limit_per_fte, int)
    assert isinstance(name, str)
    assert isinstance(effective_from, date)
    return CaseloadPolicy(
        effective_from=date(effective_from.year, effective_from.month, effective_from.day),
        limit_per_fte=limit_per_fte,
        name=name.strip(),
    )


def _by_date(policies: Iterable[CaseloadPolicy]) -> tuple[CaseloadPolicy, ...]:
    """Policies in date order, the later given of two for one date replacing the other."""
    by_date = {policy.effective_from: policy for policy in policies}
    if not by_date:
        raise InvalidPolicy("a policy history holds at least one policy")
    return tuple(by_date[day] for day in sorted(by_date))


@attrs.frozen
class PolicyHistory:
    """Every caseload policy decided so far, one per effective date, in date order.

    The policy in force on a day is the latest to take effect by then; before the first
    policy takes effect, the first is in force (a programme's first policy takes effect on
    `date.min`, so that day never comes). A policy decided for a later date is part of the
    history from the day it is decided: a case taken today is still held that day.
    """

    policies: tuple[CaseloadPolicy, ...] = attrs.field(converter=_by_date)
    """The policies, in the order of their `effective_from` dates (all different)."""
    starts: tuple[int, ...] = attrs.field(init=False, eq=False, repr=False)
    """The ordinals of the effective dates, for callers that keep days as ordinals."""

    @starts.default
    def _starts(self) -> tuple[int, ...]:
        return tuple(policy.effective_from.toordinal() for policy in self.policies)

    @classmethod
    def starting_with(cls, policy: CaseloadPolicy) -> PolicyHistory:
        """The history of a programme configured with `policy`."""
        return cls((policy,))

    def in_force(self, on: date) -> CaseloadPolicy:
        """The policy in force on business date `on`."""
        return self.in_force_on_ordinal(on.toordinal())

    def in_force_on_ordinal(self, day: int) -> CaseloadPolicy:
        """The policy in force on the business date whose `date.toordinal()` is `day`."""
        return self.policies[max(bisect_right(self.starts, day) - 1, 0)]

    def _strictest(self, first: date, last: date | None, fte: Decimal | None) -> CaseloadPolicy:
        start = bisect_right(self.starts, first.toordinal())
        stop = len(self.starts) if last is None else bisect_right(self.starts, last.toordinal())
        candidates = [self.in_force(first), *self.policies[start:stop]]
        # min() keeps the first of equals: the earliest day the lowest limit holds.
        if fte is None:
            return min(candidates, key=lambda policy: policy.limit_per_fte)
        return min(candidates, key=lambda policy: policy.limit_for(fte))

    def strictest_from(self, on: date, fte: Decimal | None = None) -> CaseloadPolicy:
        """The policy with the lowest limit in force on any day from `on` on, policies
        decided for later dates included; of equal limits, the one in force first.

        With `fte`, limits are compared for a broker of that FTE (floor(per FTE × FTE)),
        else per FTE. A case taken on `on` is held on every later day, so it must fit this
        policy's limit, from `max(on, policy.effective_from)`.
        """
        return self._strictest(on, None, fte)

    def strictest_between(
        self, first: date, last: date, fte: Decimal | None = None
    ) -> CaseloadPolicy:
        """The policy with the lowest limit in force on any day from `first` to `last`
        (both included), as `strictest_from` compares them."""
        return self._strictest(first, last, fte)

    def including(self, policy: CaseloadPolicy) -> PolicyHistory:
        """The history with `policy` added as the log records it: a policy for the same
        date is replaced. Replays take the log as it is; decisions use `with_policy`."""
        return PolicyHistory((*self.policies, policy))

    def with_policy(
        self, policy: CaseloadPolicy, *, decided_on: date, today: date
    ) -> PolicyHistory:
        """The history after management decides `policy` on `decided_on`, or `InvalidPolicy`.

        A policy takes effect on or after the day it is decided, and a policy in force by
        `today` is history: only one that has not yet taken effect may be replaced.
        """
        if policy.effective_from < decided_on:
            raise InvalidPolicy(
                f"policy {policy.name!r} would take effect on {policy.effective_from}, before it "
                f"was decided on {decided_on}; a policy takes effect on or after the day it is "
                "decided"
            )
        for existing in self.policies:
            if existing.effective_from == policy.effective_from <= today:
                raise InvalidPolicy(
                    f"policy {existing.name!r} has been in force since {existing.effective_from}; "
                    "a policy in force is history and is not replaced: set a new one from a "
                    "later date"
                )
        return self.including(policy)


DEFAULT_HISTORY = PolicyHistory.starting_with(DEFAULT_POLICY)
"""The history of a programme before it is configured: the default policy alone."""

"""What a rule check finds: each violation, the report, and the tally that collects them."""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from datetime import date
from uuid import UUID

import attrs

__all__ = ["Cause", "Findings", "RulesReport", "Tally", "Violation"]

Cause = tuple[int, UUID, str]
"""The event a finding points at: (log position, aggregate id, event type)."""


@attrs.frozen
class Violation:
    """One broken rule, at the first event that broke it."""

    rule: str
    """The rule's stable name, a key of the programme's rules (`RuleBook.rules`)."""
    position: int
    """The log position of the offending event."""
    aggregate_id: UUID
    """The aggregate the offending event belongs to."""
    event_type: str
    """The offending event's class, e.g. `Broker.CaseAssigned`."""
    on: date
    """The business date on which the rule was broken (a breach's first day)."""
    broker: UUID | None
    """The broker concerned, if any."""
    message: str
    """One line naming the rule and the numbers."""
    through: date | None = None
    """For a caseload breach, its last day if it ended by the last day checked (None while
    it lasts, and for the rules about single events)."""


@attrs.frozen
class RulesReport:
    """What `check_rules` found: counts of what it checked and the violations."""

    checked_events: int
    brokers: int
    trajectories: int
    first_day: date | None
    """The earliest business date in the log (None for an empty log)."""
    last_day: date | None
    """The last business date checked: `today` if given, else the latest business date in
    the log (a day that has passed, since no event is dated after the day it is recorded)."""
    checked_broker_days: int
    """Days on which a broker's caseload was checked against the limit, summed over brokers."""
    violations: tuple[Violation, ...]
    """The first violations by log position (at most `keep` of them)."""
    total_violations: int
    by_rule: tuple[tuple[str, int], ...]
    """How many violations each broken rule has, by rule name."""

    @property
    def ok(self) -> bool:
        """True when no rule was broken."""
        return self.total_violations == 0

    @property
    def summary(self) -> str:
        """One line: what was checked, and what was found."""
        span = (
            "no business dates"
            if self.first_day is None
            else f"business dates {self.first_day} to {self.last_day}"
        )
        checked = (
            f"{self.checked_events} events, {self.brokers} brokers, {self.trajectories} "
            f"trajectories, {span}, {self.checked_broker_days} broker-days"
        )
        if self.ok:
            return f"{checked}: no rule broken"
        counts = ", ".join(f"{rule} {count}" for rule, count in self.by_rule)
        return f"{checked}: {self.total_violations} violations ({counts})"


@attrs.frozen
class Tally:
    """What one programme's checker went through, for the report's counts."""

    brokers: int = 0
    trajectories: int = 0
    broker_days: int = 0
    """Days on which a broker's caseload was checked, summed over brokers."""


class Findings:
    """The violations found while one log is checked: the first `keep` by log position are
    kept (of one event's, in the order found), and every one is counted."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.total = 0
        self.by_rule: Counter[str] = Counter()
        self._kept: list[tuple[int, int, Violation]] = []
        self._serial = itertools.count()

    def report(
        self,
        rule: str,
        cause: Cause,
        on: int,
        broker: UUID | None,
        text: str,
        through: date | None = None,
    ) -> None:
        """Note that `cause` broke `rule` on the day whose ordinal is `on`."""
        position, aggregate_id, event_type = cause
        violation = Violation(
            rule, position, aggregate_id, event_type, date.fromordinal(on), broker, text, through
        )
        self.total += 1
        self.by_rule[rule] += 1
        heapq.heappush(self._kept, (-position, -next(self._serial), violation))
        if len(self._kept) > self.keep:
            heapq.heappop(self._kept)

    def kept(self) -> tuple[Violation, ...]:
        """The violations kept, by log position."""
        ordered = sorted(self._kept, key=lambda item: (-item[0], -item[1]))
        return tuple(violation for _, _, violation in ordered)

"""The education programme (Uddannelsesambassadør): its period, gross target groups,
eligibility table, yearly targets as decided, the history before it, and the pseudonym key."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from caseload.domain.copying import ImmutableMembers
from caseload.domain.errors import InvalidTarget
from caseload.domain.events import HoldsOnEveryDay, event
from caseload.programmes.education.domain.eligibility import EligibilityTable
from caseload.programmes.education.domain.values import (
    NOT_RELEVANT,
    BaselineCount,
    BaselineCounts,
    GroupSizes,
    TargetDecision,
    TargetRow,
    TargetValue,
)

__all__ = ["MAX_TARGET", "EducationProgramme", "education_programme_id"]

_NAMESPACE = UUID("3d0c2b8e-6a51-4f7e-b1d4-8e2f6c9a7b30")

MAX_TARGET = 100_000
"""No yearly target counts more starts than this."""


def education_programme_id(name: str) -> UUID:
    """The id of the education programme called `name`: derived from the name (with the
    kind in it), so every writer that names the same programme reaches the same aggregate."""
    return uuid5(_NAMESPACE, f"education:{name}")


class EducationProgramme(ImmutableMembers, Aggregate):
    """The store's education programme: what it serves, by which rules, towards which targets.

    Its events hold on every day: each says itself which days or years it is about (the
    period, a rule's date range, a target's year and decision date), so a replay as true
    on any day sees them all and reports pick what was in force on their reference date.
    """

    class Event(HoldsOnEveryDay, Aggregate.Event):
        """Base of education programme events: each carries its decision date."""

        occurred_on: date

    class Configured(Event, Aggregate.Created):
        """The programme was set up for a period, with its gross target groups and the
        eligibility table it checks starts against."""

        name: str
        period_start: date
        period_end: date
        group_sizes: GroupSizes
        eligibility: EligibilityTable

    class EligibilityReplaced(Event):
        """The service replaced the eligibility table; later starts are checked against it."""

        eligibility: EligibilityTable

    class TargetSet(Event):
        """Management decided a yearly target (måltal) for a scheme and target groups, on
        the event's date; a later decision for the same row and year replaces it from then."""

        row: TargetRow
        year: int
        value: TargetValue

    class BaselineRecorded(Event):
        """Yearly counts of starts before the programme (the history line); a later record
        of the same year and scheme replaces it."""

        counts: BaselineCounts
        source: str

    class PseudonymKeyRegistered(Event):
        """The programme's pseudonyms are made with the key whose check value this is."""

        key_check: str

    @staticmethod
    def create_id(name: str, **_: Any) -> UUID:
        """A programme's id is derived from its name (see `education_programme_id`)."""
        return education_programme_id(name)

    @event(Configured)
    def __init__(
        self,
        name: str,
        period_start: date,
        period_end: date,
        group_sizes: GroupSizes,
        eligibility: EligibilityTable,
        occurred_on: date,
    ) -> None:
        self.name = name
        self.period_start = period_start
        self.period_end = period_end
        # Lists, not tuples: a snapshot reads its containers back as lists, and must equal
        # the aggregate replayed from its events.
        self.group_sizes = list(group_sizes.sizes)
        self.eligibility = eligibility
        self.configured_on = occurred_on
        self.targets: list[TargetDecision] = []
        self.key_check: str | None = None

    @property
    def years(self) -> tuple[int, ...]:
        """The calendar years the period touches."""
        return tuple(range(self.period_start.year, self.period_end.year + 1))

    def replace_eligibility(self, table: EligibilityTable, on: date) -> None:
        """Check later starts against `table` (checked for shape by the command)."""
        self._eligibility_replaced(eligibility=table, occurred_on=on)

    @event(EligibilityReplaced)
    def _eligibility_replaced(self, eligibility: EligibilityTable, occurred_on: date) -> None:
        self.eligibility = eligibility

    def set_target(self, row: TargetRow, year: int, value: TargetValue, on: date) -> None:
        """Decide the target for `row` in `year` on `on`: a year of the programme's period,
        a whole number of starts from 0 to `MAX_TARGET`, or `NOT_RELEVANT`."""
        if year not in self.years:
            raise InvalidTarget(
                f"a target is set for a year of the programme's period, {self.period_start} to "
                f"{self.period_end} ({', '.join(map(str, self.years))}); got another year"
            )
        if value is not NOT_RELEVANT and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TARGET
        ):
            raise InvalidTarget(
                f"a target is a whole number of starts from 0 to {MAX_TARGET}, or NOT_RELEVANT"
            )
        self._target_set(row=row, year=year, value=value, occurred_on=on)

    @event(TargetSet)
    def _target_set(self, row: TargetRow, year: int, value: TargetValue, occurred_on: date) -> None:
        self.targets.append(TargetDecision(row, year, value, occurred_on))

    def target_in_force(self, row: TargetRow, year: int, on: date) -> TargetValue | None:
        """The target for `row` in `year` as decided by `on` (None when none was)."""
        found: TargetValue | None = None
        for decision in self.targets:
            if decision.row == row and decision.year == year and decision.decided_on <= on:
                found = decision.value
        return found

    def record_baseline(self, counts: tuple[BaselineCount, ...], source: str, on: date) -> None:
        """Record yearly counts from before the period (years before its first year)."""
        first = self.period_start.year
        if any(count.year >= first for count in counts):
            raise InvalidTarget(
                f"historical figures are for years before the programme's first year, {first}"
            )
        self._baseline_recorded(counts=BaselineCounts(counts), source=source, occurred_on=on)

    @event(BaselineRecorded)
    def _baseline_recorded(self, counts: BaselineCounts, source: str, occurred_on: date) -> None:
        pass

    def register_key(self, key_check: str, on: date) -> None:
        """Pin the pseudonym key (by its check value) the first time a citizen is stored."""
        if self.key_check is not None:
            raise AssertionError("the pseudonym key is registered once")
        self._key_registered(key_check=key_check, occurred_on=on)

    @event(PseudonymKeyRegistered)
    def _key_registered(self, key_check: str, occurred_on: date) -> None:
        self.key_check = key_check

"""The half-year status for the national agency and the monthly status for management."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import attrs

from caseload.programmes.education.domain.values import (
    Scheme,
    SessionKind,
    TargetGroup,
    TargetRow,
)
from caseload.programmes.education.pace import (
    YearStatus,
    count_starts,
    parse_half_year,
    parse_month,
    report_rows,
    row_label,
    windows,
    within_programme,
    year_status,
)
from caseload.programmes.education.read_models.plans import Ending, PlansState
from caseload.programmes.education.read_models.sessions import SessionsState
from caseload.programmes.education.read_models.targets import TargetsState

__all__ = [
    "Activity",
    "HalfYearRow",
    "HalfYearStatus",
    "MonthlyRow",
    "MonthlyStatus",
    "Override",
    "half_year_status",
    "monthly_status",
]


@attrs.frozen
class Activity:
    """What the ambassador's work looked like in a stretch of days."""

    drop_in_sessions: int
    booked_sessions: int
    anonymous_visits: int
    known_visits: int
    plans_drafted: int
    completions: int
    drop_outs: int


@attrs.frozen
class Override:
    """A start that no eligibility rule admitted, recorded with the service's reason."""

    plan_id: UUID
    started_on: date
    scheme: Scheme
    target_group: TargetGroup
    reason: str


@attrs.frozen
class HalfYearRow:
    """One row of the half-year status: targets and actual starts per year of the programme."""

    row: TargetRow
    label: str
    years: tuple[YearStatus, ...]
    in_period: int
    """Starts in the half-year itself."""
    period_year: int

    @property
    def share(self) -> float | None:
        """Actual starts of the half-year's year as a share of that year's target."""
        return next((y.share for y in self.years if y.year == self.period_year), None)


@attrs.frozen
class HalfYearStatus:
    """The half-year status (halvårsstatus) in the layout of the application's target table."""

    period: str
    first: date
    last: date
    reference: date
    """The day the numbers are counted to: the half-year's last day, or an earlier
    `as_true_on` or today."""
    programme: str | None
    rows: tuple[HalfYearRow, ...]
    activity: Activity
    overrides: tuple[Override, ...]
    """Starts in the half-year admitted by override, by date."""


@attrs.frozen
class MonthlyRow:
    """One row of the monthly status: the month, the year to date, and the pace."""

    row: TargetRow
    label: str
    in_month: int
    year: YearStatus
    """The month's year: target, starts to date, pace and forecast."""

    @property
    def behind(self) -> bool:
        """Whether the row is behind its linear pace at the end of the month."""
        return self.year.behind


@attrs.frozen
class MonthlyStatus:
    """The monthly status (månedlig status) for jobcentre and unemployment-fund management."""

    month: str
    first: date
    last: date
    reference: date
    programme: str | None
    rows: tuple[MonthlyRow, ...]
    activity: Activity
    overrides: tuple[Override, ...]

    @property
    def behind(self) -> tuple[str, ...]:
        """The labels of the rows behind their pace."""
        return tuple(row.label for row in self.rows if row.behind)


def activity(plans: PlansState, sessions: SessionsState, first: date, last: date) -> Activity:
    """Sessions, visits, plans drafted, completions and drop-outs from `first` to `last`."""
    held = [s for s in sessions.sessions.values() if first <= s.held_on <= last]
    ended = [
        start
        for _plan_id, _plan, start in plans.starts()
        if start.ended_on is not None and first <= start.ended_on <= last
    ]
    return Activity(
        drop_in_sessions=sum(1 for s in held if s.kind is SessionKind.DROP_IN),
        booked_sessions=sum(1 for s in held if s.kind is SessionKind.BOOKED),
        anonymous_visits=sum(s.anonymous for s in held),
        known_visits=sum(s.known for s in held),
        plans_drafted=sum(1 for p in plans.plans.values() if first <= p.drafted_on <= last),
        completions=sum(1 for s in ended if s.ending is Ending.COMPLETED),
        drop_outs=sum(1 for s in ended if s.ending is Ending.DROPPED_OUT),
    )


def _overrides(plans: PlansState, first: date, last: date) -> tuple[Override, ...]:
    found = [
        Override(plan_id, start.started_on, start.scheme, start.group, start.override)
        for plan_id, _plan, start in plans.starts()
        if start.override is not None and first <= start.started_on <= last
    ]
    return tuple(sorted(found, key=lambda o: (o.started_on, str(o.plan_id))))


def half_year_status(
    plans: PlansState, targets: TargetsState, sessions: SessionsState, period: str, on: date
) -> HalfYearStatus:
    """The status of half-year `period` ("2021H2") counted to the end of `on` at the latest.

    Each row shows, per year of the programme, the target in force on the reference day and
    the starts of that year (within the programme's period) up to it; the share is of the
    half-year's own year.
    """
    label, first, last = parse_half_year(period)
    within_programme(targets, first, last, f"half-year {label}")
    reference = min(last, on)
    spans = windows(targets)
    rows = []
    for row in report_rows(targets):
        start, end = max(first, spans[0].first), min(reference, spans[-1].last)
        in_period = count_starts(plans, row, start, end)[0] if start <= end else 0
        rows.append(
            HalfYearRow(
                row=row,
                label=row_label(row),
                years=tuple(year_status(plans, targets, row, w, reference) for w in spans),
                in_period=in_period,
                period_year=first.year,
            )
        )
    return HalfYearStatus(
        period=label,
        first=first,
        last=last,
        reference=reference,
        programme=targets.name,
        rows=tuple(rows),
        activity=activity(plans, sessions, first, reference),
        overrides=_overrides(plans, first, reference),
    )


def monthly_status(
    plans: PlansState, targets: TargetsState, sessions: SessionsState, month: str, on: date
) -> MonthlyStatus:
    """The status of `month` ("2022-03") counted to the end of `on` at the latest: starts in
    the month and in its year to date against the year's target and its linear pace."""
    label, first, last = parse_month(month)
    within_programme(targets, first, last, f"month {label}")
    reference = min(last, on)
    window = next(w for w in windows(targets) if w.year == first.year)
    rows = []
    for row in report_rows(targets):
        start, end = max(first, window.first), min(reference, window.last)
        in_month = count_starts(plans, row, start, end)[0] if start <= end else 0
        status = year_status(plans, targets, row, window, reference)
        rows.append(MonthlyRow(row=row, label=row_label(row), in_month=in_month, year=status))
    return MonthlyStatus(
        month=label,
        first=first,
        last=last,
        reference=reference,
        programme=targets.name,
        rows=tuple(rows),
        activity=activity(plans, sessions, first, reference),
        overrides=_overrides(plans, first, reference),
    )

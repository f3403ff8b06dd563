"""Outcomes: placements and closures by month, the monthly share in work or education, and
where citizens stand 1, 3, 6 and 12 months after they left."""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
from eventsourcing.domain import DomainEvent

from caseload.programmes.resource_pathway.domain.values import (
    ClosureReason,
    Placement,
    PlacementKind,
)
from caseload.projections.base import Entries, Handler, ReadModel, day, hex_of, uid
from caseload.projections.entities import EntityMap, as_entity_map, closed_month
from caseload.projections.stored_entries import entities

if TYPE_CHECKING:
    from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

__all__ = [
    "EXIT_HORIZONS",
    "AfterExit",
    "ClosureCount",
    "ExitCheck",
    "ExitStatus",
    "MonthlyOutcome",
    "OutcomesModel",
    "OutcomesReport",
    "OutcomesState",
    "PlacementCount",
    "TrajectoryOutcome",
    "add_months",
    "month_of",
    "outcome_totals",
    "outcomes_report",
    "project_outcomes",
]

EXIT_HORIZONS: tuple[int, ...] = (1, 3, 6, 12)
"""The months after exit at which a closed trajectory's citizen is looked up."""


class ExitStatus(enum.Enum):
    """Where a citizen stands a number of months after their trajectory closed."""

    RETURNED = "returned"
    """The citizen had an open trajectory in the programme again on that day."""
    OUT = "out"
    """The citizen had no open trajectory in the programme on that day."""
    UNKNOWN = "unknown"
    """The day lies after the report's reference date: not known yet."""


@attrs.frozen
class PlacementCount:
    """How many placements of one kind were dated in one month."""

    month: str
    """The month as "YYYY-MM"."""
    kind: PlacementKind
    count: int


@attrs.frozen
class ClosureCount:
    """How many trajectories closed for one reason in one month."""

    month: str
    """The month as "YYYY-MM"."""
    reason: ClosureReason
    count: int


@attrs.frozen
class MonthlyOutcome:
    """Among the trajectories open at any time in a month, those with paid hours or education.

    A trajectory counts from the date of its first ordinary job with paid hours, flex job or
    education placement until it closes (the placement persists until then); the month's
    cut-off is its last day, or the reference date in the reference month.
    """

    month: str
    """The month as "YYYY-MM"."""
    active: int
    """Trajectories open on at least one day of the month (opening and closure days count)."""
    with_paid_hours_or_education: int
    share: float
    """`with_paid_hours_or_education / active`, 0.0 when no trajectory was open."""


@attrs.frozen
class ExitCheck:
    """A closed trajectory's citizen looked up `months` calendar months after exit."""

    months: int
    on: date
    """Exit date plus `months` calendar months (clamped to the end of a shorter month)."""
    status: ExitStatus


@attrs.frozen
class AfterExit:
    """Where a closed trajectory's citizen stood at each horizon after exit."""

    trajectory_id: UUID
    closed_on: date
    reason: ClosureReason
    checks: tuple[ExitCheck, ...]
    """One check per horizon in `EXIT_HORIZONS`, in that order."""

    def status(self, months: int) -> ExitStatus:
        """The status `months` months after exit (one of `EXIT_HORIZONS`)."""
        for check in self.checks:
            if check.months == months:
                return check.status
        raise KeyError(f"no check {months} months after exit; horizons are {EXIT_HORIZONS}")


@attrs.frozen
class OutcomesReport:
    """Placements and closures by month, the monthly outcome shares, and after-exit status."""

    on: date
    placements: tuple[PlacementCount, ...]
    """By month, then kind, for months up to the reference month."""
    closures: tuple[ClosureCount, ...]
    """By month, then reason, for months up to the reference month."""
    monthly: tuple[MonthlyOutcome, ...]
    """From the first trajectory's opening month through the reference month."""
    after_exit: tuple[AfterExit, ...]
    """Trajectories closed by the reference date, by closure date then id."""


@attrs.define
class TrajectoryOutcome:
    """What the outcomes read model keeps of one trajectory."""

    citizen: str
    """The citizen's pseudonym."""
    opened_on: date
    closed_on: date | None = None
    reason: ClosureReason | None = None
    working_from: date | None = None
    """The earliest date of a placement giving paid hours or education."""


@attrs.define
class OutcomesState:
    """Trajectories with their dates, and placement and closure counts by month."""

    trajectories: dict[UUID, TrajectoryOutcome] = attrs.field(
        factory=EntityMap, converter=as_entity_map
    )
    placements: dict[tuple[str, PlacementKind], int] = attrs.Factory(dict)
    closures: dict[tuple[str, ClosureReason], int] = attrs.Factory(dict)


def month_of(on: date) -> str:
    """The month of a date as "YYYY-MM"."""
    return f"{on.year:04d}-{on.month:02d}"


def add_months(on: date, months: int) -> date:
    """`on` plus calendar months, clamped to the last day of a shorter month."""
    years, index = divmod(on.month - 1 + months, 12)
    year, month = on.year + years, index + 1
    return date(year, month, min(on.day, calendar.monthrange(year, month)[1]))


def _months(first: date, last: date) -> Iterator[tuple[date, date]]:
    """(first day, last day) of each month from `first`'s through `last`'s."""
    start = first.replace(day=1)
    while start <= last:
        following = add_months(start, 1)
        yield start, following - timedelta(days=1)
        start = following


def _gives_work_or_education(placement: Placement) -> bool:
    if placement.kind is PlacementKind.ORDINARY_JOB:
        return placement.hours_per_week is not None and placement.hours_per_week > 0
    return placement.kind in (PlacementKind.FLEX_JOB, PlacementKind.EDUCATION)


def _opened(state: OutcomesState, event: Trajectory.Opened) -> None:
    state.trajectories[event.originator_id] = TrajectoryOutcome(
        citizen=event.citizen, opened_on=event.occurred_on
    )


def _placed(state: OutcomesState, event: Trajectory.JobPlaced) -> None:
    key = (month_of(event.occurred_on), event.placement.kind)
    state.placements[key] = state.placements.get(key, 0) + 1
    if _gives_work_or_education(event.placement):
        trajectory = state.trajectories[event.originator_id]
        since = trajectory.working_from
        if since is None or event.occurred_on < since:
            trajectory.working_from = event.occurred_on


def _closed(state: OutcomesState, event: Trajectory.Closed) -> None:
    reason_key = (month_of(event.occurred_on), event.reason)
    state.closures[reason_key] = state.closures.get(reason_key, 0) + 1
    trajectory = state.trajectories[event.originator_id]
    trajectory.closed_on = event.occurred_on
    trajectory.reason = event.reason


def _retired(t: TrajectoryOutcome) -> str | None:
    return closed_month(t.closed_on)


def _encode_trajectory(t: TrajectoryOutcome) -> Any:
    return [
        t.citizen,
        t.opened_on,
        t.closed_on,
        t.reason,
        t.working_from,
    ]


def _decode_trajectory(value: Any) -> TrajectoryOutcome:
    citizen, opened, closed, reason, working = value
    return TrajectoryOutcome(
        citizen=citizen,
        opened_on=date.fromisoformat(opened),
        closed_on=day(closed),
        reason=None if reason is None else ClosureReason(reason),
        working_from=day(working),
    )


class OutcomesModel(ReadModel[OutcomesState]):
    """The outcomes read model."""

    name = "outcomes"
    version = 2
    """2: closed trajectories are kept in chunks by the month they closed (`closed_month`),
    which stop changing once the month is over, so that a checkpoint or a write encodes only
    the open trajectories and the newly closed; the canonical form (and digest) changed."""

    def initial(self) -> OutcomesState:
        return OutcomesState()

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        # The aggregates are imported when events are first folded: reading a stored
        # state needs none of them.
        from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

        return {
            Trajectory.Opened: _opened,
            Trajectory.JobPlaced: _placed,
            Trajectory.Closed: _closed,
        }

    def encode(self, state: OutcomesState) -> Any:
        return {
            "trajectories": Entries(
                state.trajectories,
                hex_of,
                _encode_trajectory,
                _retired,
                restore=(uid, _decode_trajectory),
            ),
            "placements": sorted(
                [month, kind.value, count] for (month, kind), count in state.placements.items()
            ),
            "closures": sorted(
                [month, reason.value, count] for (month, reason), count in state.closures.items()
            ),
        }

    def decode(self, data: Any) -> OutcomesState:
        return OutcomesState(
            trajectories=entities(data["trajectories"], uid, _decode_trajectory, _retired),
            placements={
                (month, PlacementKind(kind)): int(count)
                for month, kind, count in data["placements"]
            },
            closures={
                (month, ClosureReason(reason)): int(count)
                for month, reason, count in data["closures"]
            },
        )


def project_outcomes(
    events: Iterable[DomainEvent], *, as_true_on: date | None = None
) -> OutcomesState:
    """Fold events into an outcomes state, keeping only facts true on `as_true_on` if given."""
    return OutcomesModel().project(events, as_true_on=as_true_on)


def _open_during(t: TrajectoryOutcome, first: date, last: date) -> bool:
    """Open on at least one day from `first` to `last` (opening and closure days count)."""
    return t.opened_on <= last and (t.closed_on is None or t.closed_on >= first)


def _monthly(state: OutcomesState, on: date) -> tuple[MonthlyOutcome, ...]:
    if not state.trajectories:
        return ()
    first = min(t.opened_on for t in state.trajectories.values())
    rows = []
    for start, end in _months(first, on):
        cut = min(end, on)
        active = [t for t in state.trajectories.values() if _open_during(t, start, cut)]
        working = sum(1 for t in active if t.working_from is not None and t.working_from <= cut)
        rows.append(
            MonthlyOutcome(
                month=month_of(start),
                active=len(active),
                with_paid_hours_or_education=working,
                share=working / len(active) if active else 0.0,
            )
        )
    return tuple(rows)


def _after_exit(state: OutcomesState, on: date) -> tuple[AfterExit, ...]:
    by_citizen: dict[str, list[TrajectoryOutcome]] = {}
    for t in state.trajectories.values():
        by_citizen.setdefault(t.citizen, []).append(t)
    rows = []
    for trajectory_id, t in state.trajectories.items():
        if t.closed_on is None or t.reason is None or t.closed_on > on:
            continue
        checks = []
        for months in EXIT_HORIZONS:
            then = add_months(t.closed_on, months)
            if then > on:
                status = ExitStatus.UNKNOWN
            elif any(_open_during(other, then, then) for other in by_citizen[t.citizen]):
                status = ExitStatus.RETURNED
            else:
                status = ExitStatus.OUT
            checks.append(ExitCheck(months=months, on=then, status=status))
        rows.append(
            AfterExit(
                trajectory_id=trajectory_id,
                closed_on=t.closed_on,
                reason=t.reason,
                checks=tuple(checks),
            )
        )
    return tuple(sorted(rows, key=lambda row: (row.closed_on, str(row.trajectory_id))))


def outcomes_report(state: OutcomesState, on: date) -> OutcomesReport:
    """The outcomes report with reference date `on`.

    The state should hold the facts true on `on` (fold it with `as_true_on=on` for a past
    date); placement and closure counts are kept by month, so those of `on`'s month count
    in full. A citizen "returned" when they had an open trajectory on the day looked up
    (opening and closure days count as open).
    """
    month = month_of(on)
    return OutcomesReport(
        on=on,
        placements=tuple(
            PlacementCount(month=m, kind=kind, count=count)
            for (m, kind), count in sorted(
                state.placements.items(), key=lambda item: (item[0][0], item[0][1].value)
            )
            if m <= month
        ),
        closures=tuple(
            ClosureCount(month=m, reason=reason, count=count)
            for (m, reason), count in sorted(
                state.closures.items(), key=lambda item: (item[0][0], item[0][1].value)
            )
            if m <= month
        ),
        monthly=_monthly(state, on),
        after_exit=_after_exit(state, on),
    )


def outcome_totals(state: OutcomesState, on: date) -> tuple[int, int]:
    """Placements and closures counted up to `on`'s month, in full: the totals of the
    report's `placements` and `closures`, without its monthly shares and after-exit checks."""
    month = month_of(on)
    return (
        sum(count for (m, _), count in state.placements.items() if m <= month),
        sum(count for (m, _), count in state.closures.items() if m <= month),
    )

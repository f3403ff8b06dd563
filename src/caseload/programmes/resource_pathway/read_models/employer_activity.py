"""Employer-directed activity (virksomhedsrettet indsats): which open trajectories had a company
internship, a wage-subsidy job or another activity at a company in the last N days."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
from eventsourcing.domain import DomainEvent

from caseload.domain.dates import check_days
from caseload.programmes.resource_pathway.domain.values import EmployerActivityKind
from caseload.programmes.resource_pathway.read_models.flow import month_spans
from caseload.programmes.resource_pathway.read_models.outcomes import month_of
from caseload.projections.base import Entries, Handler, ReadModel, day, hex_of, uid
from caseload.projections.entities import EntityMap, as_entity_map, closed_month
from caseload.projections.stored_entries import entities

if TYPE_CHECKING:
    from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

__all__ = [
    "DEFAULT_WITHIN_DAYS",
    "MAX_WITHIN_DAYS",
    "ActivityShare",
    "EmployerActivity",
    "EmployerActivityModel",
    "EmployerActivityReport",
    "EmployerActivityState",
    "TrajectoryActivities",
    "employer_activity_report",
    "project_employer_activity",
]

DEFAULT_WITHIN_DAYS = 90
"""The look-back window of the report unless another is asked for: about a quarter."""
MAX_WITHIN_DAYS = 1826
"""The longest look-back window accepted: a resource pathway's maximum length (5 years)."""


@attrs.frozen
class EmployerActivity:
    """One employer-directed activity of a trajectory."""

    trajectory_id: UUID
    kind: EmployerActivityKind
    started_on: date
    ends_on: date | None
    """The planned last day, None when open-ended (it then runs until the closure)."""


@attrs.frozen
class ActivityShare:
    """Among the trajectories open on one day, those with employer-directed activity in the
    `within_days` days up to that day."""

    month: str
    """The month as "YYYY-MM"."""
    counted_on: date
    """The month's last day, or the reference date in the reference month."""
    open_trajectories: int
    with_activity: int
    share: float
    """`with_activity / open_trajectories`, 0.0 when none was open."""


@attrs.frozen
class EmployerActivityReport:
    """Employer-directed activity on a reference date and at the end of each month."""

    on: date
    within_days: int
    """An activity counts when it ran on at least one day from `within_days` days before
    the day counted up to that day (started by then, and not ended before the window)."""
    open_trajectories: int
    """Trajectories open on the reference date (opened by then, not closed on or before)."""
    with_activity: int
    share: float
    """`with_activity / open_trajectories`, 0.0 when none was open."""
    by_kind: tuple[tuple[EmployerActivityKind, int], ...]
    """Per kind (every kind, in declaration order), the open trajectories with an activity
    of that kind in the window; a trajectory with two kinds counts under both."""
    monthly: tuple[ActivityShare, ...]
    """From the first trajectory's opening month through the reference month."""
    activities: tuple[EmployerActivity, ...]
    """Every activity started by the reference date, by start date, trajectory id, kind."""


@attrs.define
class TrajectoryActivities:
    """What the employer-activity read model keeps of one trajectory."""

    opened_on: date
    closed_on: date | None = None
    activities: list[tuple[date, date | None, EmployerActivityKind]] = attrs.Factory(list)
    """Each activity as (start, planned end or None, kind), in recording order."""


@attrs.define
class EmployerActivityState:
    """Per trajectory, its opening and closure dates and its employer-directed activities."""

    trajectories: dict[UUID, TrajectoryActivities] = attrs.field(
        factory=EntityMap, converter=as_entity_map
    )


def _opened(state: EmployerActivityState, event: Trajectory.Opened) -> None:
    state.trajectories[event.originator_id] = TrajectoryActivities(opened_on=event.occurred_on)


def _started(state: EmployerActivityState, event: Trajectory.EmployerActivityStarted) -> None:
    activity = (event.occurred_on, event.ends_on, event.kind)
    state.trajectories[event.originator_id].activities.append(activity)


def _closed(state: EmployerActivityState, event: Trajectory.Closed) -> None:
    state.trajectories[event.originator_id].closed_on = event.occurred_on


def _retired(t: TrajectoryActivities) -> str | None:
    return closed_month(t.closed_on)


def _encode(t: TrajectoryActivities) -> Any:
    return [t.opened_on, t.closed_on, [[start, end, kind] for start, end, kind in t.activities]]


class EmployerActivityModel(ReadModel[EmployerActivityState]):
    """The employer-directed activity read model."""

    name = "employer_activity"
    version = 2
    """2: closed trajectories are kept in chunks by the month they closed (`closed_month`),
    which stop changing once the month is over, so that a checkpoint or a write encodes only
    the open trajectories and the newly closed; the canonical form (and digest) changed."""

    def initial(self) -> EmployerActivityState:
        return EmployerActivityState()

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        # The aggregates are imported when events are first folded: reading a stored
        # state needs none of them.
        from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

        return {
            Trajectory.Opened: _opened,
            Trajectory.EmployerActivityStarted: _started,
            Trajectory.Closed: _closed,
        }

    def encode(self, state: EmployerActivityState) -> Any:
        return Entries(state.trajectories, hex_of, _encode, _retired, restore=(uid, _decode))

    def decode(self, data: Any) -> EmployerActivityState:
        return EmployerActivityState(trajectories=entities(data, uid, _decode, _retired))


def _decode(value: Any) -> TrajectoryActivities:
    opened, closed, activities = value
    return TrajectoryActivities(
        opened_on=date.fromisoformat(opened),
        closed_on=day(closed),
        activities=[
            (date.fromisoformat(start), day(end), EmployerActivityKind(kind))
            for start, end, kind in activities
        ],
    )


def project_employer_activity(
    events: Iterable[DomainEvent], *, as_true_on: date | None = None
) -> EmployerActivityState:
    """Fold events into an employer-activity state, keeping only facts true on `as_true_on`."""
    return EmployerActivityModel().project(events, as_true_on=as_true_on)


def _open_on(t: TrajectoryActivities, on: date) -> bool:
    return t.opened_on <= on and (t.closed_on is None or t.closed_on > on)


def _kinds_within(t: TrajectoryActivities, on: date, within_days: int) -> set[EmployerActivityKind]:
    """The kinds of the activities that ran on a day from `within_days` days before `on`
    up to `on`."""
    first = on - timedelta(days=within_days)
    return {
        kind for start, end, kind in t.activities if start <= on and (end is None or end >= first)
    }


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def employer_activity_report(
    state: EmployerActivityState, on: date, within_days: int = DEFAULT_WITHIN_DAYS
) -> EmployerActivityReport:
    """The employer-directed activity of open trajectories on `on` and at each month's end.

    `within_days` is a whole number from 1 to `MAX_WITHIN_DAYS` (else `InvalidThreshold`).
    Every fact is dated, so the month-end counts of a past month need no other fold; the
    state should hold the facts true on `on` (fold it with `as_true_on=on` for a past date).
    """
    within_days = check_days(within_days, "within_days", maximum=MAX_WITHIN_DAYS)
    trajectories = state.trajectories
    open_now = [t for t in trajectories.values() if _open_on(t, on)]
    kinds_now = [_kinds_within(t, on, within_days) for t in open_now]
    with_activity = sum(1 for kinds in kinds_now if kinds)
    monthly = []
    if trajectories:
        first = min(t.opened_on for t in trajectories.values())
        for start, cut in month_spans(first, on):
            open_then = [t for t in trajectories.values() if _open_on(t, cut)]
            active = sum(1 for t in open_then if _kinds_within(t, cut, within_days))
            monthly.append(
                ActivityShare(
                    month=month_of(start),
                    counted_on=cut,
                    open_trajectories=len(open_then),
                    with_activity=active,
                    share=_share(active, len(open_then)),
                )
            )
    activities = sorted(
        (
            EmployerActivity(trajectory_id, kind, start, end)
            for trajectory_id, t in trajectories.items()
            for start, end, kind in t.activities
            if start <= on
        ),
        key=lambda a: (a.started_on, a.trajectory_id.hex, a.kind.value, a.ends_on or date.max),
    )
    return EmployerActivityReport(
        on=on,
        within_days=within_days,
        open_trajectories=len(open_now),
        with_activity=with_activity,
        share=_share(with_activity, len(open_now)),
        by_kind=tuple(
            (kind, sum(1 for kinds in kinds_now if kind in kinds)) for kind in EmployerActivityKind
        ),
        monthly=tuple(monthly),
        activities=tuple(activities),
    )

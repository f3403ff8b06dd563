"""Flow through the programme: trajectories opened, closed and open per month, and the time
from a trajectory's opening to its first placement."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
from eventsourcing.domain import DomainEvent

from caseload.programmes.resource_pathway.read_models.outcomes import add_months, month_of
from caseload.projections.base import Entries, Handler, ReadModel, day, hex_of, uid
from caseload.projections.entities import EntityMap, as_entity_map, closed_month
from caseload.projections.stored_entries import entities

if TYPE_CHECKING:
    from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

__all__ = [
    "FirstPlacement",
    "FlowModel",
    "FlowReport",
    "FlowState",
    "MonthlyFlow",
    "PlacementTime",
    "TrajectoryFlow",
    "flow_report",
    "month_spans",
    "project_flow",
]


@attrs.frozen
class MonthlyFlow:
    """One month's flow: trajectories opened and closed in it, and open at its end."""

    month: str
    """The month as "YYYY-MM"."""
    opened: int
    """Trajectories opened on a day of the month (up to the reference date)."""
    closed: int
    """Trajectories closed on a day of the month (up to the reference date)."""
    open_at_end: int
    """Trajectories open at the end of the month's last day (the reference date in the
    reference month): opened by then and not closed on or before it."""


@attrs.frozen
class FirstPlacement:
    """A trajectory's first placement (job, flex job or education) and how long it took."""

    trajectory_id: UUID
    opened_on: date
    placed_on: date
    """The date of the earliest placement recorded for the trajectory."""
    days: int
    """Days from the opening to the first placement (0 when placed on the opening day)."""


@attrs.frozen
class PlacementTime:
    """Time to first placement for the trajectories first placed in one month."""

    month: str
    """The month of the first placement, as "YYYY-MM"."""
    placements: int
    median_days: float
    mean_days: float


@attrs.frozen
class FlowReport:
    """Openings, closures and open trajectories per month, and time to first placement."""

    on: date
    months: tuple[MonthlyFlow, ...]
    """From the first trajectory's opening month through the reference month."""
    first_placements: tuple[FirstPlacement, ...]
    """Trajectories first placed by the reference date, by placement date then id."""
    time_to_placement: tuple[PlacementTime, ...]
    """Per month with at least one first placement, in month order."""


@attrs.define
class TrajectoryFlow:
    """What the flow read model keeps of one trajectory."""

    opened_on: date
    closed_on: date | None = None
    first_placed_on: date | None = None


@attrs.define
class FlowState:
    """Per trajectory, its opening, closure and first placement dates."""

    trajectories: dict[UUID, TrajectoryFlow] = attrs.field(
        factory=EntityMap, converter=as_entity_map
    )


def _opened(state: FlowState, event: Trajectory.Opened) -> None:
    state.trajectories[event.originator_id] = TrajectoryFlow(opened_on=event.occurred_on)


def _placed(state: FlowState, event: Trajectory.JobPlaced) -> None:
    trajectory = state.trajectories[event.originator_id]
    first = trajectory.first_placed_on
    if first is None or event.occurred_on < first:
        trajectory.first_placed_on = event.occurred_on


def _closed(state: FlowState, event: Trajectory.Closed) -> None:
    state.trajectories[event.originator_id].closed_on = event.occurred_on


def _retired(t: TrajectoryFlow) -> str | None:
    return closed_month(t.closed_on)


def _encode(t: TrajectoryFlow) -> Any:
    return [t.opened_on, t.closed_on, t.first_placed_on]


class FlowModel(ReadModel[FlowState]):
    """The flow read model."""

    name = "flow"
    version = 2
    """2: closed trajectories are kept in chunks by the month they closed (`closed_month`),
    which stop changing once the month is over, so that a checkpoint or a write encodes only
    the open trajectories and the newly closed; the canonical form (and digest) changed."""

    def initial(self) -> FlowState:
        return FlowState()

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        # The aggregates are imported when events are first folded: reading a stored
        # state needs none of them.
        from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

        return {
            Trajectory.Opened: _opened,
            Trajectory.JobPlaced: _placed,
            Trajectory.Closed: _closed,
        }

    def encode(self, state: FlowState) -> Any:
        return Entries(state.trajectories, hex_of, _encode, _retired, restore=(uid, _decode))

    def decode(self, data: Any) -> FlowState:
        return FlowState(trajectories=entities(data, uid, _decode, _retired))


def _decode(value: Any) -> TrajectoryFlow:
    opened, closed, placed = value
    return TrajectoryFlow(
        opened_on=date.fromisoformat(opened), closed_on=day(closed), first_placed_on=day(placed)
    )


def project_flow(events: Iterable[DomainEvent], *, as_true_on: date | None = None) -> FlowState:
    """Fold events into a flow state, keeping only facts true on `as_true_on` if given."""
    return FlowModel().project(events, as_true_on=as_true_on)


def month_spans(first: date, last: date) -> Iterator[tuple[date, date]]:
    """(first day, cut-off) of each month from `first`'s through `last`'s: the cut-off is the
    month's last day, or `last` in its own month."""
    start = first.replace(day=1)
    while start <= last:
        following = add_months(start, 1)
        yield start, min(following - timedelta(days=1), last)
        start = following


def _open_at(t: TrajectoryFlow, cut: date) -> bool:
    return t.opened_on <= cut and (t.closed_on is None or t.closed_on > cut)


def _months(state: FlowState, on: date) -> tuple[MonthlyFlow, ...]:
    trajectories = state.trajectories.values()
    if not trajectories:
        return ()
    first = min(t.opened_on for t in trajectories)
    return tuple(
        MonthlyFlow(
            month=month_of(start),
            opened=sum(1 for t in trajectories if start <= t.opened_on <= cut),
            closed=sum(
                1 for t in trajectories if t.closed_on is not None and start <= t.closed_on <= cut
            ),
            open_at_end=sum(1 for t in trajectories if _open_at(t, cut)),
        )
        for start, cut in month_spans(first, on)
    )


def flow_report(state: FlowState, on: date) -> FlowReport:
    """The flow report with reference date `on`.

    The state should hold the facts true on `on` (fold it with `as_true_on=on` for a past
    date): a placement registered late with an earlier date is the first placement from
    then on, and a first placement dated after `on` does not count.
    """
    placements = sorted(
        (
            FirstPlacement(
                trajectory_id=trajectory_id,
                opened_on=t.opened_on,
                placed_on=t.first_placed_on,
                days=(t.first_placed_on - t.opened_on).days,
            )
            for trajectory_id, t in state.trajectories.items()
            if t.first_placed_on is not None and t.first_placed_on <= on
        ),
        key=lambda row: (row.placed_on, row.trajectory_id.hex),
    )
    days_by_month: dict[str, list[int]] = {}
    for row in placements:
        days_by_month.setdefault(month_of(row.placed_on), []).append(row.days)
    return FlowReport(
        on=on,
        months=_months(state, on),
        first_placements=tuple(placements),
        time_to_placement=tuple(
            PlacementTime(
                month=month,
                placements=len(days),
                median_days=float(statistics.median(days)),
                mean_days=statistics.fmean(days),
            )
            for month, days in sorted(days_by_month.items())
        ),
    )

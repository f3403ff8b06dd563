"""Case reviews (sagssparring): each trajectory's latest review, and reviews per broker and month.

A review is counted for the broker who held the trajectory on the review's business date:
the spell of each broker is kept by date, so a transfer or review registered late is
attributed as it happened, not as it was recorded. A review dated on the day of a transfer
counts for the receiving broker; one dated before the first assignment counts for no broker.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
from eventsourcing.domain import DomainEvent

from caseload.programmes.resource_pathway.domain.values import ReviewOutcome
from caseload.programmes.resource_pathway.read_models.outcomes import month_of
from caseload.projections.base import Entries, Handler, ReadModel, hex_of, uid
from caseload.projections.entities import EntityMap, as_entity_map, closed_month
from caseload.projections.stored_entries import entities

if TYPE_CHECKING:
    from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

__all__ = [
    "CaseReviews",
    "ReviewCount",
    "ReviewReport",
    "ReviewsModel",
    "ReviewsState",
    "TrajectoryReviews",
    "project_reviews",
    "review_report",
]


@attrs.frozen
class TrajectoryReviews:
    """One trajectory's case reviews up to the reference date."""

    trajectory_id: UUID
    opened_on: date
    reviews: int
    """How many reviews are dated up to the reference date."""
    last_reviewed_on: date | None
    """The latest review's date, None if never reviewed."""
    last_outcome: ReviewOutcome | None
    """The latest review's outcome (of reviews on the same day, the one recorded last)."""


@attrs.frozen
class ReviewCount:
    """How many reviews one broker's cases had in one month."""

    month: str
    """The month as "YYYY-MM"."""
    broker_id: UUID | None
    """The broker holding the trajectory on the review day; None when it had no broker."""
    count: int


@attrs.frozen
class ReviewReport:
    """Case reviews on a reference date: per trajectory, and per broker and month."""

    on: date
    trajectories: tuple[TrajectoryReviews, ...]
    """Every trajectory opened by the reference date (closed ones too), by id."""
    by_broker_month: tuple[ReviewCount, ...]
    """By month, then broker id (reviews of unassigned trajectories first)."""
    total: int
    """Reviews dated up to the reference date."""


@attrs.define
class CaseReviews:
    """What the reviews read model keeps of one trajectory."""

    opened_on: date
    holders: list[tuple[date, UUID]] = attrs.Factory(list)
    """Each broker's spell as (first day, broker), by first day."""
    reviews: list[tuple[date, ReviewOutcome]] = attrs.Factory(list)
    """Every review as (date, outcome), in recording order."""
    closed_on: date | None = None
    """When the trajectory closed (None while open): what keeps a closed case's entry in
    the chunk of its month (`closed_month`)."""

    def holder_on(self, on: date) -> UUID | None:
        """The broker holding the trajectory on `on` (the later spell on a transfer day)."""
        index = bisect_right(self.holders, on, key=lambda spell: spell[0]) - 1
        return self.holders[index][1] if index >= 0 else None


@attrs.define
class ReviewsState:
    """Per trajectory, its opening date, broker spells and reviews."""

    trajectories: dict[UUID, CaseReviews] = attrs.field(factory=EntityMap, converter=as_entity_map)


def _opened(state: ReviewsState, event: Trajectory.Opened) -> None:
    state.trajectories[event.originator_id] = CaseReviews(opened_on=event.occurred_on)


def _took(state: ReviewsState, trajectory_id: UUID, broker_id: UUID, on: date) -> None:
    insort(state.trajectories[trajectory_id].holders, (on, broker_id), key=lambda s: s[0])


def _assigned(state: ReviewsState, event: Trajectory.Assigned) -> None:
    _took(state, event.originator_id, event.broker_id, event.occurred_on)


def _transferred(state: ReviewsState, event: Trajectory.Transferred) -> None:
    _took(state, event.originator_id, event.to_broker_id, event.occurred_on)


def _reviewed(state: ReviewsState, event: Trajectory.Reviewed) -> None:
    state.trajectories[event.originator_id].reviews.append((event.occurred_on, event.outcome))


def _closed(state: ReviewsState, event: Trajectory.Closed) -> None:
    state.trajectories[event.originator_id].closed_on = event.occurred_on


def _retired(case: CaseReviews) -> str | None:
    return closed_month(case.closed_on)


def _encode_case(case: CaseReviews) -> Any:
    return [
        case.opened_on,
        [[on, broker.hex] for on, broker in case.holders],
        [[on, outcome] for on, outcome in case.reviews],
        case.closed_on,
    ]


class ReviewsModel(ReadModel[ReviewsState]):
    """The case-review read model."""

    name = "reviews"
    version = 2
    """2: a case keeps the day its trajectory closed, and closed cases are kept in chunks
    by the month they closed (`closed_month`), which stop changing once the month is over,
    so that a checkpoint or a write encodes only the open cases and the newly closed; the
    canonical form (and digest) changed."""

    def initial(self) -> ReviewsState:
        return ReviewsState()

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        # The aggregates are imported when events are first folded: reading a stored
        # state needs none of them.
        from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

        return {
            Trajectory.Opened: _opened,
            Trajectory.Assigned: _assigned,
            Trajectory.Transferred: _transferred,
            Trajectory.Reviewed: _reviewed,
            Trajectory.Closed: _closed,
        }

    def encode(self, state: ReviewsState) -> Any:
        return Entries(state.trajectories, hex_of, _encode_case, _retired, restore=(uid, _decode))

    def decode(self, data: Any) -> ReviewsState:
        return ReviewsState(trajectories=entities(data, uid, _decode, _retired))


def _decode(value: Any) -> CaseReviews:
    opened, holders, reviews, closed = value
    return CaseReviews(
        closed_on=None if closed is None else date.fromisoformat(closed),
        opened_on=date.fromisoformat(opened),
        holders=[(date.fromisoformat(on), uid(broker)) for on, broker in holders],
        reviews=[(date.fromisoformat(on), ReviewOutcome(outcome)) for on, outcome in reviews],
    )


def project_reviews(
    events: Iterable[DomainEvent], *, as_true_on: date | None = None
) -> ReviewsState:
    """Fold events into a reviews state, keeping only facts true on `as_true_on` if given."""
    return ReviewsModel().project(events, as_true_on=as_true_on)


def _trajectory_row(trajectory_id: UUID, case: CaseReviews, on: date) -> TrajectoryReviews:
    dated = [(day, outcome) for day, outcome in case.reviews if day <= on]
    latest = None
    for day, outcome in dated:  # recording order: a later one on the same day wins
        if latest is None or day >= latest[0]:
            latest = (day, outcome)
    return TrajectoryReviews(
        trajectory_id=trajectory_id,
        opened_on=case.opened_on,
        reviews=len(dated),
        last_reviewed_on=None if latest is None else latest[0],
        last_outcome=None if latest is None else latest[1],
    )


def _month_then_broker(key: tuple[str, UUID | None]) -> tuple[str, str]:
    month, broker = key
    return month, "" if broker is None else broker.hex


def review_report(state: ReviewsState, on: date) -> ReviewReport:
    """The case reviews dated up to `on`, per trajectory and per broker and month."""
    counts: dict[tuple[str, UUID | None], int] = {}
    rows = []
    for trajectory_id, case in sorted(state.trajectories.items(), key=lambda item: item[0].hex):
        if case.opened_on > on:
            continue
        rows.append(_trajectory_row(trajectory_id, case, on))
        for day, _ in case.reviews:
            if day <= on:
                key = (month_of(day), case.holder_on(day))
                counts[key] = counts.get(key, 0) + 1
    by_broker_month = tuple(
        ReviewCount(month=month, broker_id=broker, count=counts[month, broker])
        for month, broker in sorted(counts, key=_month_then_broker)
    )
    return ReviewReport(
        on=on,
        trajectories=tuple(rows),
        by_broker_month=by_broker_month,
        total=sum(counts.values()),
    )

"""Staffing: brokers needed at the caseload limit versus FTE available, per team and month."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
from eventsourcing.domain import DomainEvent

from caseload.domain.policy import DEFAULT_HISTORY, CaseloadPolicy, PolicyHistory
from caseload.programmes.resource_pathway.domain.values import PathwayKind
from caseload.programmes.resource_pathway.read_models.broker_cases import (
    BrokerCases,
    decode_brokers,
    encode_brokers,
)
from caseload.programmes.resource_pathway.read_models.caseload_counts import (
    broker_handlers,
    decode_policies,
    encode_policies,
    fold_policy_event,
    policy_handlers,
)
from caseload.projections.base import Entries, Handler, ReadModel, day, hex_of, uid
from caseload.projections.entities import EntityMap, as_entity_map, closed_month
from caseload.projections.stored_entries import entities

if TYPE_CHECKING:
    from caseload.programmes.resource_pathway.domain.programme import Programme
    from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

__all__ = [
    "OpenSpan",
    "ProgrammeStaffingRow",
    "StaffingModel",
    "StaffingReport",
    "StaffingRow",
    "StaffingState",
    "brokers_needed",
    "project_staffing",
    "staffing_report",
]

_HUNDREDTHS = Decimal("0.01")


@attrs.frozen
class StaffingRow:
    """A team at the end of a month: the FTE its cases need at the limit, and what it has."""

    month: str
    """The month as "YYYY-MM"."""
    on: date
    """The day counted: the month's last day, or the reference date in the reference month."""
    team: str
    brokers: int
    """The team's brokers registered by `on` and not left by then."""
    active_cases: int
    """Cases held by the team's brokers at the end of `on`."""
    limit_per_fte: int
    """The limit per full-time broker in force on `on`."""
    brokers_needed: Decimal
    """`active_cases / limit_per_fte`, rounded half up to hundredths of a post."""
    fte_available: Decimal
    gap: Decimal
    """`brokers_needed - fte_available`: above 0 is a shortfall, below 0 spare capacity."""


@attrs.frozen
class ProgrammeStaffingRow:
    """The whole programme at the end of a month; unassigned open trajectories need a broker
    too, so they count in the demand."""

    month: str
    """The month as "YYYY-MM"."""
    on: date
    """The day counted: the month's last day, or the reference date in the reference month."""
    brokers: int
    active_cases: int
    """Cases held by brokers at the end of `on`."""
    unassigned: int
    """Open trajectories of the programme's pathway kind that no broker held."""
    limit_per_fte: int
    brokers_needed: Decimal
    """`(active_cases + unassigned) / limit_per_fte`, rounded half up to hundredths."""
    fte_available: Decimal
    gap: Decimal
    """`brokers_needed - fte_available`: above 0 is a shortfall, below 0 spare capacity."""


@attrs.frozen
class StaffingReport:
    """Staffing per team and month, and for the programme as a whole."""

    on: date
    teams: tuple[StaffingRow, ...]
    """From the first broker's registration month through the reference month, by month then
    team; a team appears once one of its brokers is registered."""
    programme: tuple[ProgrammeStaffingRow, ...]
    """One row per month of the same range."""


@attrs.define
class OpenSpan:
    """A trajectory's pathway kind and the dates it opened and closed."""

    pathway: PathwayKind
    opened_on: date
    closed_on: date | None = None

    def open_at_end_of(self, on: date) -> bool:
        """Open at the end of `on` (a trajectory closed on `on` is not)."""
        return self.opened_on <= on and (self.closed_on is None or self.closed_on > on)


@attrs.define
class StaffingState:
    """Brokers with FTE and caseload change points, trajectory spans, and dated policies."""

    brokers: dict[UUID, BrokerCases] = attrs.field(factory=EntityMap, converter=as_entity_map)
    trajectories: dict[UUID, OpenSpan] = attrs.field(factory=EntityMap, converter=as_entity_map)
    policies: PolicyHistory = DEFAULT_HISTORY
    pathway: PathwayKind = PathwayKind.RESOURCE_PATHWAY
    """The programme's pathway kind: only such trajectories need one of its brokers."""

    def policy_on(self, on: date) -> CaseloadPolicy:
        """The policy in force on business date `on`."""
        return self.policies.in_force(on)


def _retired(t: OpenSpan) -> str | None:
    return closed_month(t.closed_on)


def _encode_span(t: OpenSpan) -> Any:
    return [
        t.pathway,
        t.opened_on,
        t.closed_on,
    ]


def _decode_span(value: Any) -> OpenSpan:
    pathway, opened, closed = value
    return OpenSpan(
        pathway=PathwayKind(pathway), opened_on=date.fromisoformat(opened), closed_on=day(closed)
    )


class StaffingModel(ReadModel[StaffingState]):
    """The staffing read model."""

    name = "staffing"
    version = 3
    """3: closed trajectories are kept in chunks by the month they closed (`closed_month`),
    which stop changing once the month is over, so that a checkpoint or a write encodes only
    the open trajectories and the newly closed; the canonical form (and digest) changed."""

    def initial(self) -> StaffingState:
        return StaffingState()

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        # The aggregates are imported when events are first folded: reading a stored
        # state needs none of them.
        from caseload.programmes.resource_pathway.domain.programme import Programme
        from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

        return {
            **broker_handlers(),
            **policy_handlers(),
            Programme.Configured: _configured,
            Trajectory.Opened: _opened,
            Trajectory.Closed: _closed,
        }

    def encode(self, state: StaffingState) -> Any:
        return {
            "brokers": encode_brokers(state.brokers),
            "trajectories": Entries(
                state.trajectories, hex_of, _encode_span, _retired, restore=(uid, _decode_span)
            ),
            "policies": encode_policies(state.policies),
            "pathway": state.pathway.value,
        }

    def decode(self, data: Any) -> StaffingState:
        return StaffingState(
            brokers=decode_brokers(data["brokers"]),
            trajectories=entities(data["trajectories"], uid, _decode_span, _retired),
            policies=decode_policies(data["policies"]),
            pathway=PathwayKind(data["pathway"]),
        )


def _configured(state: StaffingState, event: Programme.Configured) -> None:
    state.policies = fold_policy_event(state.policies, event)
    state.pathway = event.pathway


def _opened(state: StaffingState, event: Trajectory.Opened) -> None:
    state.trajectories[event.originator_id] = OpenSpan(
        pathway=event.pathway, opened_on=event.occurred_on
    )


def _closed(state: StaffingState, event: Trajectory.Closed) -> None:
    state.trajectories[event.originator_id].closed_on = event.occurred_on


def project_staffing(
    events: Iterable[DomainEvent], *, as_true_on: date | None = None
) -> StaffingState:
    """Fold events into a staffing state, keeping only facts true on `as_true_on` if given."""
    return StaffingModel().project(events, as_true_on=as_true_on)


def brokers_needed(cases: int, limit_per_fte: int) -> Decimal:
    """The FTE needed to hold `cases` at `limit_per_fte`, rounded half up to hundredths."""
    return (Decimal(cases) / Decimal(limit_per_fte)).quantize(_HUNDREDTHS, rounding=ROUND_HALF_UP)


def _month_ends(first: date, on: date) -> Iterator[date]:
    """The last day of each month from `first`'s through the one before `on`'s, then `on`."""
    start = first.replace(day=1)
    while start <= on:
        following = (start + timedelta(days=31)).replace(day=1)
        yield min(following - timedelta(days=1), on)
        start = following


def staffing_report(state: StaffingState, on: date) -> StaffingReport:
    """The staffing report for each month up to `on`'s, counted at month ends (and on `on`).

    Everything is read from dated change points (caseloads, FTE, registrations, leaving,
    openings, closures, policies), so a state holding facts dated after `on` gives the same
    report as one folded with `as_true_on=on`.
    """
    if not state.brokers:
        return StaffingReport(on=on, teams=(), programme=())
    teams: list[StaffingRow] = []
    programme: list[ProgrammeStaffingRow] = []
    first = min(b.registered_on for b in state.brokers.values())
    for end in _month_ends(first, on):
        month = f"{end.year:04d}-{end.month:02d}"
        limit = state.policy_on(end).limit_per_fte
        registered = [b for b in state.brokers.values() if b.registered_on <= end]
        for team in sorted({b.team for b in registered}):
            members = [b for b in registered if b.team == team]
            staff = [b for b in members if b.on_staff(end)]
            held = sum(b.count_on(end) for b in members)
            available = sum((b.fte_on(end) for b in staff), Decimal("0.00"))
            needed = brokers_needed(held, limit)
            teams.append(
                StaffingRow(
                    month=month,
                    on=end,
                    team=team,
                    brokers=len(staff),
                    active_cases=held,
                    limit_per_fte=limit,
                    brokers_needed=needed,
                    fte_available=available,
                    gap=needed - available,
                )
            )
        staff = [b for b in registered if b.on_staff(end)]
        held = sum(b.count_on(end) for b in registered)
        open_cases = sum(
            1
            for t in state.trajectories.values()
            if t.pathway is state.pathway and t.open_at_end_of(end)
        )
        available = sum((b.fte_on(end) for b in staff), Decimal("0.00"))
        needed = brokers_needed(max(open_cases, held), limit)
        programme.append(
            ProgrammeStaffingRow(
                month=month,
                on=end,
                brokers=len(staff),
                active_cases=held,
                unassigned=max(open_cases - held, 0),
                limit_per_fte=limit,
                brokers_needed=needed,
                fte_available=available,
                gap=needed - available,
            )
        )
    return StaffingReport(on=on, teams=tuple(teams), programme=tuple(programme))

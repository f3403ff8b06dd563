"""Caseload counts: active cases per broker and team against the limit in force, by day.

The state keeps, per broker, the cases held now and the change points of their caseload
and FTE, so the count and the limit on any business date, the peaks, and every breach
(a day on which a broker held more than the limit then in force) follow from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
from eventsourcing.domain import DomainEvent

from caseload.domain.policy import DEFAULT_HISTORY, CaseloadPolicy, PolicyHistory
from caseload.programmes.resource_pathway.read_models.broker_cases import (
    BrokerCases,
    decode_brokers,
    encode_brokers,
)
from caseload.projections.base import Handler, ReadModel
from caseload.projections.entities import EntityMap, as_entity_map

if TYPE_CHECKING:
    from caseload.programmes.resource_pathway.domain.broker import Broker
    from caseload.programmes.resource_pathway.domain.programme import Programme

__all__ = [
    "Breach",
    "BrokerCases",
    "CaseloadCounts",
    "CaseloadReport",
    "CaseloadRow",
    "CaseloadState",
    "Peak",
    "TeamRow",
    "broker_handlers",
    "caseload_report",
    "caseload_rows",
    "decode_brokers",
    "decode_policies",
    "encode_brokers",
    "encode_policies",
    "fold_policy_event",
    "policy_handlers",
    "project_caseload",
]


@attrs.frozen
class CaseloadRow:
    """One broker's caseload on a day: active cases against the limit in force."""

    broker_id: UUID
    name: str
    team: str
    fte: Decimal
    active_cases: int
    limit: int
    utilisation: float
    """Active cases as a share of the limit (0.0 when the limit is 0 and no case is held)."""
    policy: str
    left_on: date | None


@attrs.frozen
class TeamRow:
    """A team's caseload on a day: its brokers' cases against their summed limits."""

    team: str
    brokers: int
    fte: Decimal
    active_cases: int
    limit: int
    utilisation: float


@attrs.frozen
class Peak:
    """A broker's highest caseload, and the first day they reached it."""

    broker_id: UUID
    name: str
    active_cases: int
    on: date


@attrs.frozen
class Breach:
    """A run of days on which a broker held more cases than the limit then in force.

    Commands refuse to create one; a breach comes from history written outside the rules,
    such as a policy lowered below a broker's caseload. Reports show it, never hide it.
    """

    broker_id: UUID
    name: str
    first_day: date
    last_day: date | None
    """The last day of the breach, or None while it lasts."""
    active_cases: int
    limit: int
    policy: str


@attrs.frozen
class CaseloadReport:
    """Caseload per broker and team on a day, with daily series, peaks and breaches."""

    on: date
    brokers: tuple[CaseloadRow, ...]
    teams: tuple[TeamRow, ...]
    series: tuple[tuple[UUID, tuple[tuple[date, int], ...]], ...]
    """Per broker, the days their caseload changed and the count after that day's events."""
    peaks: tuple[Peak, ...]
    breaches: tuple[Breach, ...]


@attrs.define
class CaseloadState:
    """Brokers with their cases and change points, and the dated policies."""

    brokers: dict[UUID, BrokerCases] = attrs.field(factory=EntityMap, converter=as_entity_map)
    policies: PolicyHistory = DEFAULT_HISTORY

    def policy_on(self, on: date) -> CaseloadPolicy:
        """The policy in force on business date `on`."""
        return self.policies.in_force(on)

    def limit_on(self, broker: BrokerCases, on: date) -> int:
        """A broker's limit on a day: the policy then in force at their FTE then."""
        return self.policy_on(on).limit_for(broker.fte_on(on))


class CaseloadCounts(ReadModel[CaseloadState]):
    """The caseload read model."""

    name = "caseload"
    version = 1

    def initial(self) -> CaseloadState:
        return CaseloadState()

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return {**broker_handlers(), **policy_handlers()}

    def encode(self, state: CaseloadState) -> Any:
        return {
            "brokers": encode_brokers(state.brokers),
            "policies": encode_policies(state.policies),
        }

    def decode(self, data: Any) -> CaseloadState:
        return CaseloadState(
            brokers=decode_brokers(data["brokers"]), policies=decode_policies(data["policies"])
        )


def _registered(state: Any, event: Broker.Registered) -> None:
    state.brokers[event.originator_id] = BrokerCases(
        name=event.name,
        team=event.team,
        registered_on=event.occurred_on,
        fte=[(event.occurred_on, event.fte)],
    )


def _case_assigned(state: Any, event: Broker.CaseAssigned) -> None:
    broker: BrokerCases = state.brokers[event.originator_id]
    broker.active.add(event.trajectory_id)
    broker.record(event.occurred_on)


def _case_released(state: Any, event: Broker.CaseReleased) -> None:
    broker: BrokerCases = state.brokers[event.originator_id]
    broker.active.discard(event.trajectory_id)
    broker.record(event.occurred_on)


def _fte_changed(state: Any, event: Broker.FteChanged) -> None:
    state.brokers[event.originator_id].fte.append((event.occurred_on, event.fte))


def _left(state: Any, event: Broker.Left) -> None:
    state.brokers[event.originator_id].left_on = event.occurred_on


def broker_handlers() -> dict[type[DomainEvent], Handler]:
    """Handlers for broker events over any state with `brokers: dict[UUID, BrokerCases]`
    (the aggregate is imported here, when events are first folded)."""
    from caseload.programmes.resource_pathway.domain.broker import Broker

    return {
        Broker.Registered: _registered,
        Broker.CaseAssigned: _case_assigned,
        Broker.CaseReleased: _case_released,
        Broker.FteChanged: _fte_changed,
        Broker.Left: _left,
    }


def _configured(state: Any, event: Programme.Configured) -> None:
    state.policies = fold_policy_event(state.policies, event)


def policy_handlers() -> dict[type[DomainEvent], Handler]:
    """Handlers for programme events over any state with `policies: PolicyHistory`."""
    from caseload.programmes.resource_pathway.domain.programme import Programme

    return {Programme.Configured: _configured, Programme.PolicyChanged: _configured}


def fold_policy_event(policies: PolicyHistory, event: DomainEvent) -> PolicyHistory:
    """The dated policies after a programme event (unchanged for other events)."""
    from caseload.programmes.resource_pathway.domain.programme import Programme

    match event:
        case Programme.Configured():
            return PolicyHistory.starting_with(event.policy)
        case Programme.PolicyChanged():
            return policies.including(event.policy)
        case _:
            return policies


def encode_policies(policies: PolicyHistory) -> Any:
    """Dated policies, canonically."""
    return [[p.effective_from.isoformat(), p.limit_per_fte, p.name] for p in policies.policies]


def decode_policies(data: Any) -> PolicyHistory:
    """Dated policies back from `encode_policies`."""
    return PolicyHistory(
        CaseloadPolicy(effective_from=date.fromisoformat(e), limit_per_fte=n, name=name)
        for e, n, name in data
    )


def project_caseload(
    events: Iterable[DomainEvent], *, as_true_on: date | None = None
) -> CaseloadState:
    """Fold events into a caseload state, keeping only facts true on `as_true_on` if given."""
    return CaseloadCounts().project(events, as_true_on=as_true_on)


def _utilisation(active: int, limit: int) -> float:
    return active / limit if limit else (0.0 if not active else float("inf"))


def caseload_rows(state: CaseloadState, on: date) -> tuple[CaseloadRow, ...]:
    """Rows per broker registered by `on`, ordered by team and name, as they stood that day."""
    policy = state.policy_on(on)
    rows = []
    for broker_id, broker in state.brokers.items():
        if broker.registered_on > on:
            continue
        limit = state.limit_on(broker, on)
        active = broker.count_on(on)
        rows.append(
            CaseloadRow(
                broker_id=broker_id,
                name=broker.name,
                team=broker.team,
                fte=broker.fte_on(on),
                active_cases=active,
                limit=limit,
                utilisation=_utilisation(active, limit),
                policy=policy.name,
                left_on=broker.left_on if broker.left_on and broker.left_on <= on else None,
            )
        )
    return tuple(sorted(rows, key=lambda row: (row.team, row.name, str(row.broker_id))))


def _team_rows(rows: tuple[CaseloadRow, ...]) -> tuple[TeamRow, ...]:
    teams: dict[str, list[CaseloadRow]] = {}
    for row in rows:
        if row.left_on is None:
            teams.setdefault(row.team, []).append(row)
    result = []
    for team, members in sorted(teams.items()):
        active = sum(row.active_cases for row in members)
        limit = sum(row.limit for row in members)
        result.append(
            TeamRow(
                team=team,
                brokers=len(members),
                fte=sum((row.fte for row in members), Decimal(0)),
                active_cases=active,
                limit=limit,
                utilisation=_utilisation(active, limit),
            )
        )
    return tuple(result)


def _peaks(state: CaseloadState, on: date) -> tuple[Peak, ...]:
    peaks = []
    for broker_id, broker in state.brokers.items():
        best = (0, broker.registered_on)
        for since, count in broker.series:
            if since <= on and count > best[0]:
                best = (count, since)
        peaks.append(Peak(broker_id=broker_id, name=broker.name, active_cases=best[0], on=best[1]))
    return tuple(sorted(peaks, key=lambda peak: (peak.name, str(peak.broker_id))))


def _breaches(state: CaseloadState, on: date) -> tuple[Breach, ...]:
    """Every run of days up to `on` on which a broker held more than the limit in force."""
    found = []
    for broker_id, broker in state.brokers.items():
        change_days = sorted(
            {since for since, _ in broker.series}
            | {since for since, _ in broker.fte}
            | {
                p.effective_from
                for p in state.policies.policies
                if p.effective_from >= broker.registered_on
            }
        )
        open_breach: Breach | None = None
        for change in (d for d in change_days if d <= on):
            count, limit = broker.count_on(change), state.limit_on(broker, change)
            if count > limit and open_breach is None:
                open_breach = Breach(
                    broker_id=broker_id,
                    name=broker.name,
                    first_day=change,
                    last_day=None,
                    active_cases=count,
                    limit=limit,
                    policy=state.policy_on(change).name,
                )
            elif count <= limit and open_breach is not None:
                found.append(attrs.evolve(open_breach, last_day=change - timedelta(days=1)))
                open_breach = None
        if open_breach is not None:
            found.append(open_breach)
    return tuple(sorted(found, key=lambda b: (b.first_day, b.name, str(b.broker_id))))


def caseload_report(state: CaseloadState, on: date) -> CaseloadReport:
    """The full caseload report as it stood on `on`."""
    rows = caseload_rows(state, on)
    return CaseloadReport(
        on=on,
        brokers=rows,
        teams=_team_rows(rows),
        series=tuple(
            (broker_id, tuple((d, n) for d, n in broker.series if d <= on))
            for broker_id, broker in sorted(state.brokers.items(), key=lambda i: str(i[0]))
        ),
        peaks=_peaks(state, on),
        breaches=_breaches(state, on),
    )

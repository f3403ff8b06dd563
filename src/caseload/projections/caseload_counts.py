"""Caseload counts: active cases per broker against the limit in force, rebuilt from events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from uuid import UUID

import attrs
from eventsourcing.domain import DomainEvent

from caseload.domain.broker import Broker
from caseload.domain.programme import DEFAULT_POLICY, Programme
from caseload.domain.values import CaseloadPolicy

__all__ = ["CaseloadRow", "CaseloadState", "caseload_rows", "project_caseload"]


@attrs.frozen
class CaseloadRow:
    """One broker's caseload: active cases against the limit in force."""

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


@attrs.define
class _BrokerCases:
    name: str
    team: str
    fte: Decimal
    active: set[UUID] = attrs.Factory(set)
    left_on: date | None = None


@attrs.define
class CaseloadState:
    """What the caseload projection keeps: brokers, their open cases, and dated policies."""

    brokers: dict[UUID, _BrokerCases] = attrs.Factory(dict)
    policies: list[CaseloadPolicy] = attrs.Factory(lambda: [DEFAULT_POLICY])

    def apply(self, event: DomainEvent) -> None:
        """Fold one event into the state; events of no interest are ignored."""
        match event:
            case Broker.Registered():
                self.brokers[event.originator_id] = _BrokerCases(
                    name=event.name, team=event.team, fte=event.fte
                )
            case Broker.CaseAssigned():
                self.brokers[event.originator_id].active.add(event.trajectory_id)
            case Broker.CaseReleased():
                self.brokers[event.originator_id].active.discard(event.trajectory_id)
            case Broker.FteChanged():
                self.brokers[event.originator_id].fte = event.fte
            case Broker.Left():
                self.brokers[event.originator_id].left_on = event.occurred_on
            case Programme.Configured():
                self.policies = [event.policy]
            case Programme.PolicyChanged():
                kept = [p for p in self.policies if p.effective_from != event.policy.effective_from]
                self.policies = sorted([*kept, event.policy], key=lambda p: p.effective_from)
            case _:
                pass

    def policy_on(self, on: date) -> CaseloadPolicy:
        """The policy in force on business date `on`."""
        in_force = self.policies[0]
        for policy in self.policies:
            if policy.effective_from <= on:
                in_force = policy
        return in_force


def project_caseload(
    events: Iterable[DomainEvent], *, as_true_on: date | None = None
) -> CaseloadState:
    """Rebuild the caseload state from a stream of events.

    With `as_true_on`, broker events that happened after that business date are left out,
    so the state is the caseload as it stood that day (a broker's events are in date order).
    Policies are kept whatever their decision date: their `effective_from` says when they
    apply.
    """
    state = CaseloadState()
    for event in events:
        if (
            as_true_on is not None
            and isinstance(event, Broker.Event)
            and event.occurred_on > as_true_on
        ):
            continue
        state.apply(event)
    return state


def caseload_rows(state: CaseloadState, on: date) -> tuple[CaseloadRow, ...]:
    """Rows per broker, ordered by team and name, with the limit in force on `on`."""
    policy = state.policy_on(on)
    rows = []
    for broker_id, broker in state.brokers.items():
        limit = policy.limit_for(broker.fte)
        active = len(broker.active)
        utilisation = active / limit if limit else (0.0 if not active else float("inf"))
        rows.append(
            CaseloadRow(
                broker_id=broker_id,
                name=broker.name,
                team=broker.team,
                fte=broker.fte,
                active_cases=active,
                limit=limit,
                utilisation=utilisation,
                policy=policy.name,
                left_on=broker.left_on,
            )
        )
    return tuple(sorted(rows, key=lambda row: (row.team, row.name, str(row.broker_id))))

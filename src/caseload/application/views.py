"""Frozen query results that describe one broker, colleague or trajectory."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import attrs

from caseload.programmes.resource_pathway.domain.values import ClosureReason, PathwayKind

__all__ = ["BrokerView", "ColleagueView", "ProgrammeView", "TrajectoryView"]


@attrs.frozen
class BrokerView:
    """A broker as the log knows them now."""

    broker_id: UUID
    name: str
    team: str
    fte: Decimal
    pathway: PathwayKind
    registered_on: date
    left_on: date | None
    active_cases: frozenset[UUID]
    limit: int
    """The number of cases they may hold under the policy in force today."""


@attrs.frozen
class ColleagueView:
    """A colleague (kollega) as the log knows them now: no cases, no limit, no FTE."""

    colleague_id: UUID
    name: str
    team: str
    registered_on: date
    left_on: date | None


@attrs.frozen
class TrajectoryView:
    """A trajectory as the log knows it now (the citizen by pseudonym only)."""

    trajectory_id: UUID
    citizen: str
    pathway: PathwayKind
    broker_id: UUID | None
    opened_on: date
    closed_on: date | None
    closure_reason: ClosureReason | None


@attrs.frozen
class ProgrammeView:
    """One programme a store holds: its kind (`resource_pathway`, ...), id and name."""

    kind: str
    programme_id: UUID
    name: str

"""What the resource pathway's rule families keep while one log is read, and what they share.

Memory grows with brokers and trajectories, not with events: per broker the cases held now
and one caseload count per business day on which it changed (a policy may be decided late,
with an `effective_from` before days already counted, so past days must stay checkable);
per trajectory a few dates; per citizen the open trajectory. Days are kept as ordinals.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from datetime import date
from decimal import Decimal
from uuid import UUID

import attrs

from caseload.audit.rules import Cause, Findings, RuleFamily
from caseload.domain.policy import DEFAULT_HISTORY, PolicyHistory
from caseload.programmes.resource_pathway.domain.values import PathwayKind
from caseload.programmes.resource_pathway.rules.colleagues import ColleagueChecks

__all__ = [
    "END",
    "RECORDS",
    "BrokerState",
    "CitizenState",
    "Fact",
    "PathwayState",
    "TrajectoryState",
    "d",
    "hundredths",
]

END = date.max.toordinal() + 1
"""A day after every business date: the open end of a breach that still lasts."""

Fact = tuple[int, UUID, int]
"""One side's record of a case changing hands: (+1 taken / -1 given up, broker, day)."""


def d(day: int) -> date:
    """The date of an ordinal day."""
    return date.fromordinal(day)


def hundredths(fte: Decimal) -> int:
    """An FTE in hundredths of a post."""
    return int(fte * 100)


@attrs.define
class BrokerState:
    """A broker as the rules follow them."""

    pathway: PathwayKind
    registered_on: int
    latest_on: int
    days: array[int]
    """Days on which the caseload changed; `counts` holds the count at the end of each."""
    counts: array[int]
    fte_days: list[int]
    fte: list[int]
    """Hundredths of a post from each of `fte_days` on."""
    active: set[UUID] = attrs.Factory(set)
    left_on: int | None = None
    last_contact_on: int = 0
    breaches: list[tuple[int, int, Cause]] = attrs.Factory(list)
    """Runs of days [first, end) over the limit, each with the event since which it is."""

    def count_at(self, day: int) -> int:
        """Cases held at the end of `day`."""
        index = bisect_right(self.days, day) - 1
        return self.counts[index] if index >= 0 else 0

    def fte_at(self, day: int) -> int:
        """Hundredths of a post on `day`."""
        index = bisect_right(self.fte_days, day) - 1
        return self.fte[max(index, 0)]


@attrs.define
class TrajectoryState:
    """A trajectory as the rules follow it."""

    citizen: str
    pathway: PathwayKind
    opened_on: int
    latest_on: int
    latest_assignment_on: int
    holder: UUID | None = None
    closed_on: int | None = None
    held_by: list[UUID] = attrs.Factory(list)
    """Brokers holding the case by their own events."""
    released: tuple[UUID, int] | None = None
    """The broker who last gave the case up by their own events, and the day."""
    overlap: tuple[UUID, int, Cause] | None = None
    """A broker who took the case while another held it: fine only if the other gives it
    up the same day, in the very next broker event about the case."""


@attrs.define
class CitizenState:
    """A citizen's open trajectory, and when their last one closed."""

    open_trajectory: UUID | None
    last_closed_on: int | None = None


RECORDS = RuleFamily(
    "records",
    rules={
        "known-aggregate": "every event is about, and refers to, brokers and trajectories "
        "created once, earlier in the log",
        "date-order": "a broker's case facts and a trajectory's broker changes are recorded "
        "in date order",
    },
    handlers={},
)
"""The rules about the records themselves, reported by every family through the lookups
and date checks here."""


class PathwayState:
    """Everything the families keep while one log is read, and the lookups they share."""

    def __init__(self, findings: Findings) -> None:
        self.findings = findings
        self.report = findings.report
        self.brokers: dict[UUID, BrokerState] = {}
        self.trajectories: dict[UUID, TrajectoryState] = {}
        self.citizens: dict[str, CitizenState] = {}
        self.pending: dict[UUID, tuple[list[tuple[Fact, Cause]], ...]] = {}
        self.policies: PolicyHistory = DEFAULT_HISTORY
        self.colleagues = ColleagueChecks(self.report)

    def broker(self, cause: Cause, broker_id: UUID, on: int) -> BrokerState | None:
        """The broker an event refers to; `known-aggregate` if the log has none yet."""
        broker = self.brokers.get(broker_id)
        if broker is None:
            self.report(
                "known-aggregate",
                cause,
                on,
                broker_id,
                f"known-aggregate: {cause[2]} refers to broker {broker_id}, whom the log "
                "has not registered before it",
            )
        return broker

    def trajectory(self, cause: Cause, trajectory_id: UUID, on: int) -> TrajectoryState | None:
        """The trajectory an event refers to; `known-aggregate` if the log has none yet."""
        trajectory = self.trajectories.get(trajectory_id)
        if trajectory is None:
            self.report(
                "known-aggregate",
                cause,
                on,
                None,
                f"known-aggregate: {cause[2]} refers to trajectory {trajectory_id}, which the "
                "log has not opened before it",
            )
        return trajectory

    def broker_in_order(self, cause: Cause, broker_id: UUID, broker: BrokerState, day: int) -> None:
        """`date-order` if a broker's case fact is dated before their latest one."""
        if day < broker.latest_on:
            self.report(
                "date-order",
                cause,
                day,
                broker_id,
                f"date-order: {cause[2]} of broker {broker_id} is dated {d(day)}, before "
                f"their case facts up to {d(broker.latest_on)}",
            )
        broker.latest_on = max(broker.latest_on, day)

    def hands_in_order(
        self, cause: Cause, case_id: UUID, case: TrajectoryState, day: int, broker: UUID
    ) -> None:
        """`date-order` if a trajectory changes broker before its latest change of broker."""
        if day < case.latest_assignment_on:
            self.report(
                "date-order",
                cause,
                day,
                broker,
                f"date-order: trajectory {case_id} changes broker on {d(day)}, before its "
                f"change of broker on {d(case.latest_assignment_on)}",
            )
        case.latest_assignment_on = max(case.latest_assignment_on, day)

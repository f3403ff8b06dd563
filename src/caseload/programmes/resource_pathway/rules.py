"""The rules part of `caseload verify`: one pass over the log that finds every broken rule.

`check_rules` replays the log in position order and proves, for every business date, that
no broker held more cases than the limit then in force, that no trajectory had two brokers
at once, that nothing lay outside its trajectory's life, and the other rules in `RULES`.
Each violation names the event that broke the rule (log position, aggregate id, event
type), the business date and the broker: ids and numbers only, never a name or pseudonym.

Memory grows with brokers and trajectories, not with events: per broker the cases held now
and one caseload count per business day on which it changed (a policy may be decided late,
with an `effective_from` before days already counted, so past days must stay checkable);
per trajectory a few dates; per citizen the open trajectory.
"""

from __future__ import annotations

import heapq
import itertools
import types
from array import array
from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.domain import DomainEvent

from caseload.programmes.resource_pathway.colleague_rules import COLLEAGUE_RULES, ColleagueChecks
from caseload.programmes.resource_pathway.domain.broker import Broker
from caseload.programmes.resource_pathway.domain.citizen import Citizen
from caseload.programmes.resource_pathway.domain.colleague import Colleague
from caseload.programmes.resource_pathway.domain.programme import DEFAULT_POLICY, Programme
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.programmes.resource_pathway.domain.values import CaseloadPolicy, PathwayKind

__all__ = [
    "NOT_CHECKED",
    "RULES",
    "RulesReport",
    "Violation",
    "check_rules",
    "checked_event_classes",
]

RULES: Mapping[str, str] = types.MappingProxyType(
    {
        "caseload-limit": "no broker ends a day holding more cases than the limit in force "
        "that day (the policy then in force at their FTE then)",
        "one-broker": "a trajectory has at most one broker at a time, and a broker holds a "
        "case once",
        "assignment-agreement": "every assignment, transfer and release is recorded alike, "
        "on the same day, by the trajectory and by the broker",
        "within-trajectory-life": "nothing is recorded on a trajectory before it opened or "
        "after it closed, and a closed trajectory gets no broker",
        "one-open-trajectory": "a citizen has at most one open trajectory, and a citizen's "
        "trajectories do not overlap",
        "broker-left": "a broker leaves holding no case, and after leaving takes no case and "
        "changes nothing",
        "broker-in-service": "a contact is made by a broker in the programme that day (or "
        "by a colleague: see colleague-in-service)",
        **COLLEAGUE_RULES,
        "exclusivity": "a broker holds only trajectories of the programme's pathway kind",
        "date-order": "a broker's case facts and a trajectory's broker changes are recorded "
        "in date order",
        "known-aggregate": "every event is about, and refers to, brokers, colleagues and "
        "trajectories created once, earlier in the log",
        "future-date": "no business date lies after the last day checked",
    }
)
"""Every rule `check_rules` checks: its stable name and what it says."""

NOT_CHECKED: frozenset[type[DomainEvent]] = frozenset(
    {
        # A citizen's record of a trajectory starting and ending mirrors the trajectory's
        # own opening and closure, which one-open-trajectory checks.
        Citizen.Registered,
        Citizen.TrajectoryStarted,
        Citizen.TrajectoryEnded,
        # The programme's list of brokers mirrors Broker.Registered, which is checked.
        Programme.BrokerJoined,
        # The check value of the pseudonym key is no business fact.
        Programme.PseudonymKeyRegistered,
        # A broker's notice of a policy mirrors Programme.PolicyChanged, which is checked.
        Broker.LimitChanged,
    }
)
"""Event classes `check_rules` reads past (each only mirrors an event it checks, or holds
no business fact); every other event class has a check. future-date applies to all."""

_END = date.max.toordinal() + 1
"""A day after every business date: the open end of a breach that still lasts."""

_Cause = tuple[int, UUID, str]
"""The event a finding points at: (log position, aggregate id, event type)."""

_Fact = tuple[int, UUID, int]
"""One side's record of a case changing hands: (+1 taken / -1 given up, broker, day)."""


@attrs.frozen
class Violation:
    """One broken rule, at the first event that broke it."""

    rule: str
    """The rule's stable name, a key of `RULES`."""
    position: int
    """The log position of the offending event."""
    aggregate_id: UUID
    """The aggregate the offending event belongs to."""
    event_type: str
    """The offending event's class, e.g. `Broker.CaseAssigned`."""
    on: date
    """The business date on which the rule was broken (a breach's first day)."""
    broker: UUID | None
    """The broker concerned, if any."""
    message: str
    """One line naming the rule and the numbers."""
    through: date | None = None
    """For a caseload breach, its last day if it ended by the last day checked (None while
    it lasts, and for the rules about single events)."""


@attrs.frozen
class RulesReport:
    """What `check_rules` found: counts of what it checked and the violations."""

    checked_events: int
    brokers: int
    trajectories: int
    first_day: date | None
    """The earliest business date in the log (None for an empty log)."""
    last_day: date | None
    """The last business date checked: `today` if given, else the latest business date in
    the log (a day that has passed, since no event is dated after the day it is recorded)."""
    checked_broker_days: int
    """Days on which a broker's caseload was checked against the limit, summed over brokers."""
    violations: tuple[Violation, ...]
    """The first violations by log position (at most `keep` of them)."""
    total_violations: int
    by_rule: tuple[tuple[str, int], ...]
    """How many violations each broken rule has, by rule name."""

    @property
    def ok(self) -> bool:
        """True when no rule was broken."""
        return self.total_violations == 0

    @property
    def summary(self) -> str:
        """One line: what was checked, and what was found."""
        span = (
            "no business dates"
            if self.first_day is None
            else f"business dates {self.first_day} to {self.last_day}"
        )
        checked = (
            f"{self.checked_events} events, {self.brokers} brokers, {self.trajectories} "
            f"trajectories, {span}, {self.checked_broker_days} broker-days"
        )
        if self.ok:
            return f"{checked}: no rule broken"
        counts = ", ".join(f"{rule} {count}" for rule, count in self.by_rule)
        return f"{checked}: {self.total_violations} violations ({counts})"


@attrs.define
class _BrokerState:
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
    breaches: list[tuple[int, int, _Cause]] = attrs.Factory(list)
    """Runs of days [first, end) over the limit, each with the event since which it is."""

    def count_at(self, day: int) -> int:
        index = bisect_right(self.days, day) - 1
        return self.counts[index] if index >= 0 else 0

    def fte_at(self, day: int) -> int:
        index = bisect_right(self.fte_days, day) - 1
        return self.fte[max(index, 0)]


@attrs.define
class _TrajectoryState:
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
    overlap: tuple[UUID, int, _Cause] | None = None
    """A broker who took the case while another held it: fine only if the other gives it
    up the same day, in the very next broker event about the case."""


@attrs.define
class _CitizenState:
    open_trajectory: UUID | None
    last_closed_on: int | None = None


def _d(day: int) -> date:
    return date.fromordinal(day)


def _hundredths(fte: Decimal) -> int:
    return int(fte * 100)


class _Checker:
    """The rules checker's state while it reads one log."""

    def __init__(self, today: date | None, keep: int) -> None:
        self.today = None if today is None else today.toordinal()
        self.keep = keep
        self.brokers: dict[UUID, _BrokerState] = {}
        self.trajectories: dict[UUID, _TrajectoryState] = {}
        self.citizens: dict[str, _CitizenState] = {}
        self.pending: dict[UUID, tuple[list[tuple[_Fact, _Cause]], ...]] = {}
        self.policy_days: list[int] = [DEFAULT_POLICY.effective_from.toordinal()]
        self.policies: list[CaseloadPolicy] = [DEFAULT_POLICY]
        self.kept: list[tuple[int, int, Violation]] = []
        self.serial = itertools.count()
        self.total = 0
        self.by_rule: Counter[str] = Counter()
        self.colleagues = ColleagueChecks(self.report)
        self.handlers: dict[type[Any], Callable[[_Cause, Any, int], None]] = {
            Broker.Registered: self.broker_registered,
            Broker.CaseAssigned: self.case_assigned,
            Broker.CaseReleased: self.case_released,
            Broker.FteChanged: self.fte_changed,
            Broker.Left: self.broker_left,
            Trajectory.Opened: self.opened,
            Trajectory.Assigned: self.assigned,
            Trajectory.Transferred: self.transferred,
            Trajectory.Closed: self.closed,
            Trajectory.ContactRecorded: self.contact,
            Trajectory.ProgressMeasured: self.fact,
            Trajectory.JobPlaced: self.fact,
            Trajectory.Reviewed: self.fact,
            Trajectory.EmployerActivityStarted: self.fact,
            Colleague.Registered: self.colleagues.registered,
            Colleague.Left: self.colleagues.left,
            Programme.Configured: self.configured,
            Programme.PolicyChanged: self.policy_changed,
        }

    # ------------------------------------------------------------- reporting

    def report(
        self,
        rule: str,
        cause: _Cause,
        on: int,
        broker: UUID | None,
        text: str,
        through: date | None = None,
    ) -> None:
        position, aggregate_id, event_type = cause
        violation = Violation(
            rule, position, aggregate_id, event_type, _d(on), broker, text, through
        )
        self.total += 1
        self.by_rule[rule] += 1
        heapq.heappush(self.kept, (-position, -next(self.serial), violation))
        if len(self.kept) > self.keep:
            heapq.heappop(self.kept)

    def broker(self, cause: _Cause, broker_id: UUID, on: int) -> _BrokerState | None:
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

    def trajectory(self, cause: _Cause, trajectory_id: UUID, on: int) -> _TrajectoryState | None:
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

    # ------------------------------------------------------------- the caseload limit

    def limit_at(self, broker: _BrokerState, day: int) -> int:
        policy = self.policies[bisect_right(self.policy_days, day) - 1]
        return policy.limit_per_fte * broker.fte_at(day) // 100

    def recheck(self, broker: _BrokerState, first: int, end: int, cause: _Cause) -> None:
        """Recompute which days in [first, end) are over the limit, after `cause`."""
        points = {first}
        for days in (broker.days, broker.fte_days, self.policy_days):
            points.update(days[bisect_right(days, first) : bisect_left(days, end)])
        starts = sorted(points)
        over: list[tuple[int, int]] = []
        for index, start in enumerate(starts):
            stop = starts[index + 1] if index + 1 < len(starts) else end
            if broker.count_at(start) > self.limit_at(broker, start):
                if over and over[-1][1] == start:
                    over[-1] = (over[-1][0], stop)
                else:
                    over.append((start, stop))
        if over or broker.breaches:
            broker.breaches = _merged(broker.breaches, first, end, over, cause)

    def count_changed(self, broker: _BrokerState, day: int, delta: int, cause: _Cause) -> None:
        days, counts = broker.days, broker.counts
        if day > days[-1]:
            days.append(day)
            counts.append(counts[-1] + delta)
        elif day == days[-1]:
            counts[-1] += delta
        else:  # dated before the broker's latest change (reported as date-order)
            index = bisect_left(days, day)
            if index == len(days) or days[index] != day:
                days.insert(index, day)
                counts.insert(index, counts[index - 1] if index else 0)
            for later in range(index, len(days)):
                counts[later] += delta
        if delta > 0 or broker.breaches:
            self.recheck(broker, day, _END, cause)

    # ------------------------------------------------------------- broker events

    def in_order(self, cause: _Cause, broker_id: UUID, broker: _BrokerState, day: int) -> None:
        if day < broker.latest_on:
            self.report(
                "date-order",
                cause,
                day,
                broker_id,
                f"date-order: {cause[2]} of broker {broker_id} is dated {_d(day)}, before "
                f"their case facts up to {_d(broker.latest_on)}",
            )
        broker.latest_on = max(broker.latest_on, day)

    def not_left(self, cause: _Cause, broker_id: UUID, broker: _BrokerState, day: int) -> None:
        if broker.left_on is not None:
            self.report(
                "broker-left",
                cause,
                day,
                broker_id,
                f"broker-left: {cause[2]} on {_d(day)} for broker {broker_id}, who left on "
                f"{_d(broker.left_on)}",
            )

    def broker_registered(self, cause: _Cause, event: Broker.Registered, day: int) -> None:
        broker_id = event.originator_id
        if broker_id in self.brokers:
            self.report(
                "known-aggregate",
                cause,
                day,
                broker_id,
                f"known-aggregate: broker {broker_id} is registered a second time",
            )
            return
        self.brokers[broker_id] = _BrokerState(
            pathway=event.pathway,
            registered_on=day,
            latest_on=day,
            days=array("l", [day]),
            counts=array("l", [0]),
            fte_days=[day],
            fte=[_hundredths(event.fte)],
        )

    def case_assigned(self, cause: _Cause, event: Broker.CaseAssigned, day: int) -> None:
        broker_id, case_id = event.originator_id, event.trajectory_id
        broker = self.broker(cause, broker_id, day)
        if broker is None:
            return
        self.not_left(cause, broker_id, broker, day)
        self.in_order(cause, broker_id, broker, day)
        trajectory = self.trajectory(cause, case_id, day)
        if trajectory is not None:
            if trajectory.pathway is not broker.pathway:
                self.report(
                    "exclusivity",
                    cause,
                    day,
                    broker_id,
                    f"exclusivity: broker {broker_id} holds only {broker.pathway.value} "
                    f"trajectories but took {case_id}, a {trajectory.pathway.value} one",
                )
            self.settle_overlap(case_id, trajectory, None)
            self.took(cause, broker_id, case_id, trajectory, day)
            self.agree(case_id, 1, (1, broker_id, day), cause)
        if case_id not in broker.active:
            broker.active.add(case_id)
            self.count_changed(broker, day, 1, cause)

    def took(
        self, cause: _Cause, broker_id: UUID, case_id: UUID, case: _TrajectoryState, day: int
    ) -> None:
        if broker_id in case.held_by:
            self.report(
                "one-broker",
                cause,
                day,
                broker_id,
                f"one-broker: broker {broker_id} took trajectory {case_id} on {_d(day)} while "
                "already holding it",
            )
            return
        if case.held_by:
            case.overlap = (broker_id, day, cause)
        elif case.released is not None and day < case.released[1]:
            self.report(
                "one-broker",
                cause,
                day,
                broker_id,
                f"one-broker: trajectory {case_id} was held by broker {case.released[0]} "
                f"until {_d(case.released[1])} and by broker {broker_id} from {_d(day)}",
            )
        case.held_by.append(broker_id)

    def settle_overlap(
        self, case_id: UUID, case: _TrajectoryState, release: tuple[UUID, int] | None
    ) -> None:
        """A pending overlap is fine if this release hands the case over that same day."""
        if case.overlap is None:
            return
        taker, day, cause = case.overlap
        case.overlap = None
        if release is not None and release[1] == day and release[0] != taker:
            return
        others = ", ".join(str(b) for b in case.held_by if b != taker)
        self.report(
            "one-broker",
            cause,
            day,
            taker,
            f"one-broker: broker {taker} took trajectory {case_id} on {_d(day)} while broker "
            f"{others} held it",
        )

    def case_released(self, cause: _Cause, event: Broker.CaseReleased, day: int) -> None:
        broker_id, case_id = event.originator_id, event.trajectory_id
        broker = self.broker(cause, broker_id, day)
        if broker is None:
            return
        self.in_order(cause, broker_id, broker, day)
        trajectory = self.trajectories.get(case_id)
        if trajectory is not None:
            self.settle_overlap(case_id, trajectory, (broker_id, day))
            if broker_id in trajectory.held_by:
                trajectory.held_by.remove(broker_id)
                trajectory.released = (broker_id, day)
        if case_id not in broker.active:
            self.report(
                "assignment-agreement",
                cause,
                day,
                broker_id,
                f"assignment-agreement: broker {broker_id} released trajectory {case_id} on "
                f"{_d(day)} without holding it",
            )
            return
        if trajectory is not None:
            self.agree(case_id, 1, (-1, broker_id, day), cause)
        broker.active.remove(case_id)
        self.count_changed(broker, day, -1, cause)

    def fte_changed(self, cause: _Cause, event: Broker.FteChanged, day: int) -> None:
        broker_id = event.originator_id
        broker = self.broker(cause, broker_id, day)
        if broker is None:
            return
        self.not_left(cause, broker_id, broker, day)
        self.in_order(cause, broker_id, broker, day)
        index = bisect_left(broker.fte_days, day)
        if index < len(broker.fte_days) and broker.fte_days[index] == day:
            broker.fte[index] = _hundredths(event.fte)
        else:
            broker.fte_days.insert(index, day)
            broker.fte.insert(index, _hundredths(event.fte))
        self.recheck(broker, day, _END, cause)

    def broker_left(self, cause: _Cause, event: Broker.Left, day: int) -> None:
        broker_id = event.originator_id
        broker = self.broker(cause, broker_id, day)
        if broker is None:
            return
        self.not_left(cause, broker_id, broker, day)
        self.in_order(cause, broker_id, broker, day)
        if broker.active:
            self.report(
                "broker-left",
                cause,
                day,
                broker_id,
                f"broker-left: broker {broker_id} left on {_d(day)} holding "
                f"{len(broker.active)} cases",
            )
        if broker.last_contact_on > day:
            self.report(
                "broker-in-service",
                cause,
                day,
                broker_id,
                f"broker-in-service: broker {broker_id} left on {_d(day)}, but a contact by "
                f"them is recorded on {_d(broker.last_contact_on)}",
            )
        if broker.left_on is None:
            broker.left_on = day

    # ------------------------------------------------------------- trajectory events

    def agree(self, case_id: UUID, side: int, fact: _Fact, cause: _Cause) -> None:
        """Match one side's record of a change of hands with the other side's (side 0 is the
        trajectory, 1 the broker); one write may put either side first."""
        sides = self.pending.get(case_id)
        if sides is None:
            sides = self.pending[case_id] = ([], [])
        mine, other = sides[side], sides[1 - side]
        for index, (recorded, _) in enumerate(other):
            if recorded == fact:
                del other[index]
                break
        else:
            mine.append((fact, cause))
            if len(mine) > 2:  # a write records at most two changes of hands per side
                self.unmatched(case_id, side, *mine.pop(0))
        if not sides[0] and not sides[1]:
            del self.pending[case_id]

    def unmatched(self, case_id: UUID, side: int, fact: _Fact, cause: _Cause) -> None:
        sign, broker_id, day = fact
        change = "took" if sign > 0 else "gave up"
        if side == 0:
            text = (
                f"assignment-agreement: trajectory {case_id} records that broker {broker_id} "
                f"{change} the case on {_d(day)}, but the broker's events do not"
            )
        else:
            text = (
                f"assignment-agreement: broker {broker_id} {change} trajectory {case_id} on "
                f"{_d(day)}, but the trajectory's events do not record it"
            )
        self.report("assignment-agreement", cause, day, broker_id, text)

    def opened(self, cause: _Cause, event: Trajectory.Opened, day: int) -> None:
        case_id = event.originator_id
        if case_id in self.trajectories:
            self.report(
                "known-aggregate",
                cause,
                day,
                None,
                f"known-aggregate: trajectory {case_id} is opened a second time",
            )
            return
        citizen = self.citizens.get(event.citizen)
        if citizen is None:
            self.citizens[event.citizen] = _CitizenState(case_id)
        else:
            if citizen.open_trajectory is not None:
                self.report(
                    "one-open-trajectory",
                    cause,
                    day,
                    None,
                    f"one-open-trajectory: trajectory {case_id} opened on {_d(day)} for a "
                    f"citizen whose trajectory {citizen.open_trajectory} is open",
                )
            elif citizen.last_closed_on is not None and day < citizen.last_closed_on:
                self.report(
                    "one-open-trajectory",
                    cause,
                    day,
                    None,
                    f"one-open-trajectory: trajectory {case_id} opened on {_d(day)} for a "
                    f"citizen whose previous trajectory closed later, on "
                    f"{_d(citizen.last_closed_on)}",
                )
            citizen.open_trajectory = case_id
        self.trajectories[case_id] = _TrajectoryState(
            citizen=event.citizen,
            pathway=event.pathway,
            opened_on=day,
            latest_on=day,
            latest_assignment_on=day,
        )

    def in_life(self, cause: _Cause, case: _TrajectoryState, day: int, broker: UUID | None) -> None:
        """Facts may come late, but must lie from the opening to the closure day."""
        if day < case.opened_on:
            where = f"before it opened on {_d(case.opened_on)}"
        elif case.closed_on is not None and day > case.closed_on:
            where = f"after it closed on {_d(case.closed_on)}"
        else:
            case.latest_on = max(case.latest_on, day)
            return
        self.report(
            "within-trajectory-life",
            cause,
            day,
            broker,
            f"within-trajectory-life: {cause[2]} on trajectory {cause[1]} is dated {_d(day)}, "
            f"{where}",
        )

    def fact(self, cause: _Cause, event: DomainEvent, day: int) -> None:
        case = self.trajectory(cause, event.originator_id, day)
        if case is not None:
            self.in_life(cause, case, day, None)

    def contact(self, cause: _Cause, event: Trajectory.ContactRecorded, day: int) -> None:
        self.fact(cause, event, day)
        if self.colleagues.knows(event.by):
            self.colleagues.contact(cause, event, day)
            return
        broker = self.broker(cause, event.by, day)
        if broker is None:
            return
        broker.last_contact_on = max(broker.last_contact_on, day)
        if day < broker.registered_on or (broker.left_on is not None and day > broker.left_on):
            when = (
                f"registered on {_d(broker.registered_on)}"
                if day < broker.registered_on
                else f"left on {_d(broker.left_on or day)}"
            )
            self.report(
                "broker-in-service",
                cause,
                day,
                event.by,
                f"broker-in-service: a contact on {_d(day)} by broker {event.by}, who {when}",
            )

    def changing_hands(
        self, cause: _Cause, case_id: UUID, day: int, broker: UUID
    ) -> _TrajectoryState | None:
        """Checks shared by assignment and transfer: the trajectory is open, in date order."""
        case = self.trajectory(cause, case_id, day)
        if case is None:
            return None
        if case.closed_on is not None:
            self.report(
                "within-trajectory-life",
                cause,
                day,
                broker,
                f"within-trajectory-life: trajectory {case_id} changes broker on {_d(day)} "
                f"after it closed on {_d(case.closed_on)}",
            )
        else:
            self.in_life(cause, case, day, broker)
        if day < case.latest_assignment_on:
            self.report(
                "date-order",
                cause,
                day,
                broker,
                f"date-order: trajectory {case_id} changes broker on {_d(day)}, before its "
                f"change of broker on {_d(case.latest_assignment_on)}",
            )
        case.latest_assignment_on = max(case.latest_assignment_on, day)
        return case

    def assigned(self, cause: _Cause, event: Trajectory.Assigned, day: int) -> None:
        case_id, broker_id = event.originator_id, event.broker_id
        case = self.changing_hands(cause, case_id, day, broker_id)
        if case is None:
            return
        if case.holder is not None:
            self.report(
                "one-broker",
                cause,
                day,
                broker_id,
                f"one-broker: trajectory {case_id} was assigned to broker {broker_id} on "
                f"{_d(day)} while broker {case.holder} had it",
            )
        if self.broker(cause, broker_id, day) is not None:
            self.agree(case_id, 0, (1, broker_id, day), cause)
        case.holder = broker_id

    def transferred(self, cause: _Cause, event: Trajectory.Transferred, day: int) -> None:
        case_id, giver, taker = event.originator_id, event.from_broker_id, event.to_broker_id
        case = self.changing_hands(cause, case_id, day, taker)
        if case is None:
            return
        if case.holder != giver or giver == taker:
            had = "no broker" if case.holder is None else f"broker {case.holder}"
            self.report(
                "one-broker",
                cause,
                day,
                taker,
                f"one-broker: trajectory {case_id} was transferred on {_d(day)} from broker "
                f"{giver} to broker {taker} while it had {had}",
            )
        if self.broker(cause, giver, day) is not None:
            self.agree(case_id, 0, (-1, giver, day), cause)
        if self.broker(cause, taker, day) is not None:
            self.agree(case_id, 0, (1, taker, day), cause)
        case.holder = taker

    def closed(self, cause: _Cause, event: Trajectory.Closed, day: int) -> None:
        case_id = event.originator_id
        case = self.trajectory(cause, case_id, day)
        if case is None:
            return
        if case.closed_on is not None:
            self.report(
                "within-trajectory-life",
                cause,
                day,
                None,
                f"within-trajectory-life: trajectory {case_id} closed on {_d(day)} after it "
                f"had closed on {_d(case.closed_on)}",
            )
            return
        if case.opened_on <= day < case.latest_on:
            self.report(
                "within-trajectory-life",
                cause,
                day,
                case.holder,
                f"within-trajectory-life: trajectory {case_id} closed on {_d(day)} but has a "
                f"fact dated {_d(case.latest_on)}, after its closure",
            )
        else:
            self.in_life(cause, case, day, case.holder)
        if case.holder is not None:
            if case.holder in self.brokers:
                self.agree(case_id, 0, (-1, case.holder, day), cause)
            case.holder = None
        case.closed_on = day
        citizen = self.citizens[case.citizen]
        if citizen.open_trajectory == case_id:
            citizen.open_trajectory = None
        citizen.last_closed_on = max(citizen.last_closed_on or day, day)

    # ------------------------------------------------------------- programme events

    def configured(self, cause: _Cause, event: Programme.Configured, day: int) -> None:
        self.policy_days = [event.policy.effective_from.toordinal()]
        self.policies = [event.policy]
        for broker in self.brokers.values():
            self.recheck(broker, 1, _END, cause)

    def policy_changed(self, cause: _Cause, event: Programme.PolicyChanged, day: int) -> None:
        policy = event.policy
        effective = policy.effective_from.toordinal()
        index = bisect_left(self.policy_days, effective)
        if index < len(self.policy_days) and self.policy_days[index] == effective:
            self.policies[index] = policy
        else:
            insort(self.policy_days, effective)
            self.policies.insert(index, policy)
        end = self.policy_days[index + 1] if index + 1 < len(self.policy_days) else _END
        for broker in self.brokers.values():
            self.recheck(broker, effective, end, cause)

    # ------------------------------------------------------------- the end

    def finish(self, last_day: int) -> None:
        for case_id, case in self.trajectories.items():
            self.settle_overlap(case_id, case, None)
        for case_id, sides in self.pending.items():
            for side, facts in enumerate(sides):
                for fact, cause in facts:
                    self.unmatched(case_id, side, fact, cause)
        for broker_id, broker in self.brokers.items():
            for first, end, cause in broker.breaches:
                if first <= last_day:
                    self.breach(broker_id, broker, first, end, cause, last_day)

    def breach(
        self,
        broker_id: UUID,
        broker: _BrokerState,
        first: int,
        end: int,
        cause: _Cause,
        last_day: int,
    ) -> None:
        policy = self.policies[bisect_right(self.policy_days, first) - 1]
        fte = Decimal(broker.fte_at(first)) / 100
        lasted = f"through {_d(end - 1)}" if end - 1 < last_day else f"still on {_d(last_day)}"
        self.report(
            "caseload-limit",
            cause,
            first,
            broker_id,
            f"caseload-limit: broker {broker_id} held {broker.count_at(first)} cases on "
            f"{_d(first)}, over the limit of {self.limit_at(broker, first)} in force that day "
            f"(policy {policy.name!r}: {policy.limit_per_fte} per FTE × {fte:.2f} FTE), "
            f"{lasted}",
            _d(end - 1) if end - 1 < last_day else None,
        )


def _merged(
    old: list[tuple[int, int, _Cause]],
    first: int,
    end: int,
    over: list[tuple[int, int]],
    cause: _Cause,
) -> list[tuple[int, int, _Cause]]:
    """Breach runs after [first, end) was recomputed as `over`: days that stay over the
    limit keep the event since which they are; days newly over it get `cause`."""
    runs: list[tuple[int, int, _Cause]] = []
    for start, stop, since in old:
        if stop <= first or start >= end:
            runs.append((start, stop, since))
            continue
        if start < first:
            runs.append((start, first, since))
        if stop > end:
            runs.append((end, stop, since))
        for low, high in over:
            low, high = max(low, start, first), min(high, stop, end)
            if low < high:
                runs.append((low, high, since))
    for low, high in over:
        cursor = low
        for start, stop, _ in old:
            if stop <= cursor or start >= high:
                continue
            if start > cursor:
                runs.append((cursor, start, cause))
            cursor = max(cursor, stop)
        if cursor < high:
            runs.append((cursor, high, cause))
    runs.sort(key=lambda run: run[0])
    joined: list[tuple[int, int, _Cause]] = []
    for run in runs:
        if joined and joined[-1][1] == run[0] and joined[-1][2] == run[2]:
            joined[-1] = (joined[-1][0], run[1], run[2])
        else:
            joined.append(run)
    return joined


def checked_event_classes() -> frozenset[type[DomainEvent]]:
    """The event classes `check_rules` has a check for."""
    return frozenset(_Checker(None, 0).handlers)


def check_rules(
    events: Iterable[tuple[int, DomainEvent]], *, today: date | None = None, keep: int = 100
) -> RulesReport:
    """Check every rule on every business date, in one pass over the log.

    `events` is the log in position order, as `Caseload.history()` yields it. Days are
    checked up to `today` if given (events dated after it break `future-date`), else up to
    the latest business date in the log; a verifier passes today, so that a breach that
    began after the log's latest business date (a lower limit taking effect) is found.
    The report keeps the first `keep` violations by position and counts them all.
    """
    checker = _Checker(today, keep)
    handlers = checker.handlers
    checked = 0
    first_day = last_day = None
    for position, event in events:
        checked += 1
        on = getattr(event, "occurred_on", None)
        if not isinstance(on, date):
            continue
        day = on.toordinal()
        if first_day is None or day < first_day:
            first_day = day
        if last_day is None or day > last_day:
            last_day = day
        cause = (position, event.originator_id, type(event).__qualname__)
        if checker.today is not None and day > checker.today:
            checker.report(
                "future-date",
                cause,
                day,
                None,
                f"future-date: {cause[2]} is dated {on}, after the last day checked, "
                f"{_d(checker.today)}",
            )
        handler = handlers.get(type(event))
        if handler is not None:
            handler(cause, event, day)
    if checker.today is not None:
        last_day = checker.today
    if last_day is not None:
        checker.finish(last_day)
    broker_days = (
        0
        if last_day is None
        else sum(max(0, last_day - b.registered_on + 1) for b in checker.brokers.values())
    )
    kept = sorted(checker.kept, key=lambda item: (-item[0], -item[1]))
    return RulesReport(
        checked_events=checked,
        brokers=len(checker.brokers),
        trajectories=len(checker.trajectories),
        first_day=None if first_day is None else _d(first_day),
        last_day=None if last_day is None else _d(last_day),
        checked_broker_days=broker_days,
        violations=tuple(violation for _, _, violation in kept),
        total_violations=checker.total,
        by_rule=tuple(sorted(checker.by_rule.items())),
    )

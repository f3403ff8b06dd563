"""Rules within a trajectory's life: nothing before it opened or after it closed, one broker
at a time, both sides of every change of hands recorded alike, contacts by brokers in
service.

The broker's side of a change of hands (`Broker.CaseAssigned`, `Broker.CaseReleased`) is
handled by `caseload_limits`, which calls `took`, `settle_overlap` and `agree` here.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import DomainEvent

from caseload.audit.rules import Cause, RuleFamily
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.programmes.resource_pathway.rules import citizens
from caseload.programmes.resource_pathway.rules.state import (
    Fact,
    PathwayState,
    TrajectoryState,
    d,
)

__all__ = ["TRAJECTORY_LIFE", "agree", "finish", "settle_overlap", "took"]


# ----------------------------------------------------------------- one broker at a time


def took(
    check: PathwayState,
    cause: Cause,
    broker_id: UUID,
    case_id: UUID,
    case: TrajectoryState,
    day: int,
) -> None:
    """A broker's own event says they took the case on `day`."""
    if broker_id in case.held_by:
        check.report(
            "one-broker",
            cause,
            day,
            broker_id,
            f"one-broker: broker {broker_id} took trajectory {case_id} on {d(day)} while "
            "already holding it",
        )
        return
    if case.held_by:
        case.overlap = (broker_id, day, cause)
    elif case.released is not None and day < case.released[1]:
        check.report(
            "one-broker",
            cause,
            day,
            broker_id,
            f"one-broker: trajectory {case_id} was held by broker {case.released[0]} "
            f"until {d(case.released[1])} and by broker {broker_id} from {d(day)}",
        )
    case.held_by.append(broker_id)


def settle_overlap(
    check: PathwayState, case_id: UUID, case: TrajectoryState, release: tuple[UUID, int] | None
) -> None:
    """A pending overlap is fine if this release hands the case over that same day."""
    if case.overlap is None:
        return
    taker, day, cause = case.overlap
    case.overlap = None
    if release is not None and release[1] == day and release[0] != taker:
        return
    others = ", ".join(str(b) for b in case.held_by if b != taker)
    check.report(
        "one-broker",
        cause,
        day,
        taker,
        f"one-broker: broker {taker} took trajectory {case_id} on {d(day)} while broker "
        f"{others} held it",
    )


# ----------------------------------------------------------------- both sides agree


def agree(check: PathwayState, case_id: UUID, side: int, fact: Fact, cause: Cause) -> None:
    """Match one side's record of a change of hands with the other side's (side 0 is the
    trajectory, 1 the broker); one write may put either side first."""
    sides = check.pending.get(case_id)
    if sides is None:
        sides = check.pending[case_id] = ([], [])
    mine, other = sides[side], sides[1 - side]
    for index, (recorded, _) in enumerate(other):
        if recorded == fact:
            del other[index]
            break
    else:
        mine.append((fact, cause))
        if len(mine) > 2:  # a write records at most two changes of hands per side
            _unmatched(check, case_id, side, *mine.pop(0))
    if not sides[0] and not sides[1]:
        del check.pending[case_id]


def _unmatched(check: PathwayState, case_id: UUID, side: int, fact: Fact, cause: Cause) -> None:
    sign, broker_id, day = fact
    change = "took" if sign > 0 else "gave up"
    if side == 0:
        text = (
            f"assignment-agreement: trajectory {case_id} records that broker {broker_id} "
            f"{change} the case on {d(day)}, but the broker's events do not"
        )
    else:
        text = (
            f"assignment-agreement: broker {broker_id} {change} trajectory {case_id} on "
            f"{d(day)}, but the trajectory's events do not record it"
        )
    check.report("assignment-agreement", cause, day, broker_id, text)


# ----------------------------------------------------------------- trajectory events


def _opened(check: PathwayState, cause: Cause, event: Trajectory.Opened, day: int) -> None:
    case_id = event.originator_id
    if case_id in check.trajectories:
        check.report(
            "known-aggregate",
            cause,
            day,
            None,
            f"known-aggregate: trajectory {case_id} is opened a second time",
        )
        return
    citizens.opened(check, cause, event, day)
    check.trajectories[case_id] = TrajectoryState(
        citizen=event.citizen,
        pathway=event.pathway,
        opened_on=day,
        latest_on=day,
        latest_assignment_on=day,
    )


def _in_life(
    check: PathwayState, cause: Cause, case: TrajectoryState, day: int, broker: UUID | None
) -> None:
    """Facts may come late, but must lie from the opening to the closure day."""
    if day < case.opened_on:
        where = f"before it opened on {d(case.opened_on)}"
    elif case.closed_on is not None and day > case.closed_on:
        where = f"after it closed on {d(case.closed_on)}"
    else:
        case.latest_on = max(case.latest_on, day)
        return
    check.report(
        "within-trajectory-life",
        cause,
        day,
        broker,
        f"within-trajectory-life: {cause[2]} on trajectory {cause[1]} is dated {d(day)}, {where}",
    )


def _fact(check: PathwayState, cause: Cause, event: DomainEvent, day: int) -> None:
    case = check.trajectory(cause, event.originator_id, day)
    if case is not None:
        _in_life(check, cause, case, day, None)


def _contact(
    check: PathwayState, cause: Cause, event: Trajectory.ContactRecorded, day: int
) -> None:
    _fact(check, cause, event, day)
    if check.colleagues.knows(event.by):
        check.colleagues.contact(cause, event, day)
        return
    broker = check.broker(cause, event.by, day)
    if broker is None:
        return
    broker.last_contact_on = max(broker.last_contact_on, day)
    if day < broker.registered_on or (broker.left_on is not None and day > broker.left_on):
        when = (
            f"registered on {d(broker.registered_on)}"
            if day < broker.registered_on
            else f"left on {d(broker.left_on or day)}"
        )
        check.report(
            "broker-in-service",
            cause,
            day,
            event.by,
            f"broker-in-service: a contact on {d(day)} by broker {event.by}, who {when}",
        )


def _changing_hands(
    check: PathwayState, cause: Cause, case_id: UUID, day: int, broker: UUID
) -> TrajectoryState | None:
    """Checks shared by assignment and transfer: the trajectory is open, in date order."""
    case = check.trajectory(cause, case_id, day)
    if case is None:
        return None
    if case.closed_on is not None:
        check.report(
            "within-trajectory-life",
            cause,
            day,
            broker,
            f"within-trajectory-life: trajectory {case_id} changes broker on {d(day)} "
            f"after it closed on {d(case.closed_on)}",
        )
    else:
        _in_life(check, cause, case, day, broker)
    check.hands_in_order(cause, case_id, case, day, broker)
    return case


def _assigned(check: PathwayState, cause: Cause, event: Trajectory.Assigned, day: int) -> None:
    case_id, broker_id = event.originator_id, event.broker_id
    case = _changing_hands(check, cause, case_id, day, broker_id)
    if case is None:
        return
    if case.holder is not None:
        check.report(
            "one-broker",
            cause,
            day,
            broker_id,
            f"one-broker: trajectory {case_id} was assigned to broker {broker_id} on "
            f"{d(day)} while broker {case.holder} had it",
        )
    if check.broker(cause, broker_id, day) is not None:
        agree(check, case_id, 0, (1, broker_id, day), cause)
    case.holder = broker_id


def _transferred(
    check: PathwayState, cause: Cause, event: Trajectory.Transferred, day: int
) -> None:
    case_id, giver, taker = event.originator_id, event.from_broker_id, event.to_broker_id
    case = _changing_hands(check, cause, case_id, day, taker)
    if case is None:
        return
    if case.holder != giver or giver == taker:
        had = "no broker" if case.holder is None else f"broker {case.holder}"
        check.report(
            "one-broker",
            cause,
            day,
            taker,
            f"one-broker: trajectory {case_id} was transferred on {d(day)} from broker "
            f"{giver} to broker {taker} while it had {had}",
        )
    if check.broker(cause, giver, day) is not None:
        agree(check, case_id, 0, (-1, giver, day), cause)
    if check.broker(cause, taker, day) is not None:
        agree(check, case_id, 0, (1, taker, day), cause)
    case.holder = taker


def _closed(check: PathwayState, cause: Cause, event: Trajectory.Closed, day: int) -> None:
    case_id = event.originator_id
    case = check.trajectory(cause, case_id, day)
    if case is None:
        return
    if case.closed_on is not None:
        check.report(
            "within-trajectory-life",
            cause,
            day,
            None,
            f"within-trajectory-life: trajectory {case_id} closed on {d(day)} after it "
            f"had closed on {d(case.closed_on)}",
        )
        return
    if case.opened_on <= day < case.latest_on:
        check.report(
            "within-trajectory-life",
            cause,
            day,
            case.holder,
            f"within-trajectory-life: trajectory {case_id} closed on {d(day)} but has a "
            f"fact dated {d(case.latest_on)}, after its closure",
        )
    else:
        _in_life(check, cause, case, day, case.holder)
    if case.holder is not None:
        if case.holder in check.brokers:
            agree(check, case_id, 0, (-1, case.holder, day), cause)
        case.holder = None
    case.closed_on = day
    citizens.closed(check, case_id, case, day)


def finish(check: PathwayState) -> None:
    """At the end of the log: overlaps never handed over, and changes of hands one side
    recorded and the other did not."""
    for case_id, case in check.trajectories.items():
        settle_overlap(check, case_id, case, None)
    for case_id, sides in check.pending.items():
        for side, facts in enumerate(sides):
            for fact, cause in facts:
                _unmatched(check, case_id, side, fact, cause)


TRAJECTORY_LIFE = RuleFamily(
    "trajectory life",
    rules={
        "one-broker": "a trajectory has at most one broker at a time, and a broker holds a "
        "case once",
        "assignment-agreement": "every assignment, transfer and release is recorded alike, "
        "on the same day, by the trajectory and by the broker",
        "within-trajectory-life": "nothing is recorded on a trajectory before it opened or "
        "after it closed, and a closed trajectory gets no broker",
        "broker-in-service": "a contact is made by a broker in the programme that day (a "
        "contact by a colleague: see colleague-in-service)",
    },
    handlers={
        Trajectory.Opened: _opened,
        Trajectory.Assigned: _assigned,
        Trajectory.Transferred: _transferred,
        Trajectory.Closed: _closed,
        Trajectory.ContactRecorded: _contact,
        Trajectory.ProgressMeasured: _fact,
        Trajectory.JobPlaced: _fact,
        Trajectory.Reviewed: _fact,
        Trajectory.EmployerActivityStarted: _fact,
    },
)
"""The trajectory-life family: every trajectory event."""

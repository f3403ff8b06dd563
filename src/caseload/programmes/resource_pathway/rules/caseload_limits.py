"""Rules about brokers' caseloads: the limit in force every day, FTE, exclusivity, leaving.

A broker's caseload is counted per business day on which it changed; whenever a count, an
FTE or a policy changes, the days it touches are checked again against the limit then in
force (`PolicyHistory`), so a policy decided late or an FTE cut written past the checks is
found on exactly the days it breaks. Each run of days over the limit is blamed on the event
since which those days are over it, and reported once the whole log is read.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from datetime import date
from decimal import Decimal
from uuid import UUID

from caseload.audit.rules import Cause, RuleFamily
from caseload.domain.policy import PolicyHistory
from caseload.programmes.resource_pathway.domain.broker import Broker
from caseload.programmes.resource_pathway.domain.programme import Programme
from caseload.programmes.resource_pathway.rules import trajectory_life
from caseload.programmes.resource_pathway.rules.state import (
    END,
    BrokerState,
    PathwayState,
    d,
    hundredths,
)

__all__ = ["CASELOAD_LIMITS", "finish"]


# ----------------------------------------------------------------- the limit, day by day


def _limit_at(check: PathwayState, broker: BrokerState, day: int) -> int:
    policy = check.policies.in_force_on_ordinal(day)
    return policy.limit_per_fte * broker.fte_at(day) // 100


def _recheck(check: PathwayState, broker: BrokerState, first: int, end: int, cause: Cause) -> None:
    """Recompute which days in [first, end) are over the limit, after `cause`."""
    points = {first}
    for days in (broker.days, broker.fte_days, check.policies.starts):
        points.update(days[bisect_right(days, first) : bisect_left(days, end)])
    starts = sorted(points)
    over: list[tuple[int, int]] = []
    for index, start in enumerate(starts):
        stop = starts[index + 1] if index + 1 < len(starts) else end
        if broker.count_at(start) > _limit_at(check, broker, start):
            if over and over[-1][1] == start:
                over[-1] = (over[-1][0], stop)
            else:
                over.append((start, stop))
    if over or broker.breaches:
        broker.breaches = _merged(broker.breaches, first, end, over, cause)


def _count_changed(
    check: PathwayState, broker: BrokerState, day: int, delta: int, cause: Cause
) -> None:
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
        _recheck(check, broker, day, END, cause)


def _merged(
    old: list[tuple[int, int, Cause]],
    first: int,
    end: int,
    over: list[tuple[int, int]],
    cause: Cause,
) -> list[tuple[int, int, Cause]]:
    """Breach runs after [first, end) was recomputed as `over`: days that stay over the
    limit keep the event since which they are; days newly over it get `cause`."""
    runs: list[tuple[int, int, Cause]] = []
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
    joined: list[tuple[int, int, Cause]] = []
    for run in runs:
        if joined and joined[-1][1] == run[0] and joined[-1][2] == run[2]:
            joined[-1] = (joined[-1][0], run[1], run[2])
        else:
            joined.append(run)
    return joined


# ----------------------------------------------------------------- broker events


def _not_left(
    check: PathwayState, cause: Cause, broker_id: UUID, broker: BrokerState, day: int
) -> None:
    if broker.left_on is not None:
        check.report(
            "broker-left",
            cause,
            day,
            broker_id,
            f"broker-left: {cause[2]} on {d(day)} for broker {broker_id}, who left on "
            f"{d(broker.left_on)}",
        )


def _registered(check: PathwayState, cause: Cause, event: Broker.Registered, day: int) -> None:
    broker_id = event.originator_id
    if broker_id in check.brokers:
        check.report(
            "known-aggregate",
            cause,
            day,
            broker_id,
            f"known-aggregate: broker {broker_id} is registered a second time",
        )
        return
    check.brokers[broker_id] = BrokerState(
        pathway=event.pathway,
        registered_on=day,
        latest_on=day,
        days=array("l", [day]),
        counts=array("l", [0]),
        fte_days=[day],
        fte=[hundredths(event.fte)],
    )


def _case_assigned(check: PathwayState, cause: Cause, event: Broker.CaseAssigned, day: int) -> None:
    broker_id, case_id = event.originator_id, event.trajectory_id
    broker = check.broker(cause, broker_id, day)
    if broker is None:
        return
    _not_left(check, cause, broker_id, broker, day)
    check.broker_in_order(cause, broker_id, broker, day)
    trajectory = check.trajectory(cause, case_id, day)
    if trajectory is not None:
        if trajectory.pathway is not broker.pathway:
            check.report(
                "exclusivity",
                cause,
                day,
                broker_id,
                f"exclusivity: broker {broker_id} holds only {broker.pathway.value} "
                f"trajectories but took {case_id}, a {trajectory.pathway.value} one",
            )
        trajectory_life.settle_overlap(check, case_id, trajectory, None)
        trajectory_life.took(check, cause, broker_id, case_id, trajectory, day)
        trajectory_life.agree(check, case_id, 1, (1, broker_id, day), cause)
    if case_id not in broker.active:
        broker.active.add(case_id)
        _count_changed(check, broker, day, 1, cause)


def _case_released(check: PathwayState, cause: Cause, event: Broker.CaseReleased, day: int) -> None:
    broker_id, case_id = event.originator_id, event.trajectory_id
    broker = check.broker(cause, broker_id, day)
    if broker is None:
        return
    check.broker_in_order(cause, broker_id, broker, day)
    trajectory = check.trajectories.get(case_id)
    if trajectory is not None:
        trajectory_life.settle_overlap(check, case_id, trajectory, (broker_id, day))
        if broker_id in trajectory.held_by:
            trajectory.held_by.remove(broker_id)
            trajectory.released = (broker_id, day)
    if case_id not in broker.active:
        check.report(
            "assignment-agreement",
            cause,
            day,
            broker_id,
            f"assignment-agreement: broker {broker_id} released trajectory {case_id} on "
            f"{d(day)} without holding it",
        )
        return
    if trajectory is not None:
        trajectory_life.agree(check, case_id, 1, (-1, broker_id, day), cause)
    broker.active.remove(case_id)
    _count_changed(check, broker, day, -1, cause)


def _fte_changed(check: PathwayState, cause: Cause, event: Broker.FteChanged, day: int) -> None:
    broker_id = event.originator_id
    broker = check.broker(cause, broker_id, day)
    if broker is None:
        return
    _not_left(check, cause, broker_id, broker, day)
    check.broker_in_order(cause, broker_id, broker, day)
    index = bisect_left(broker.fte_days, day)
    if index < len(broker.fte_days) and broker.fte_days[index] == day:
        broker.fte[index] = hundredths(event.fte)
    else:
        broker.fte_days.insert(index, day)
        broker.fte.insert(index, hundredths(event.fte))
    _recheck(check, broker, day, END, cause)


def _left(check: PathwayState, cause: Cause, event: Broker.Left, day: int) -> None:
    broker_id = event.originator_id
    broker = check.broker(cause, broker_id, day)
    if broker is None:
        return
    _not_left(check, cause, broker_id, broker, day)
    check.broker_in_order(cause, broker_id, broker, day)
    if broker.active:
        check.report(
            "broker-left",
            cause,
            day,
            broker_id,
            f"broker-left: broker {broker_id} left on {d(day)} holding {len(broker.active)} cases",
        )
    if broker.last_contact_on > day:
        check.report(
            "broker-in-service",
            cause,
            day,
            broker_id,
            f"broker-in-service: broker {broker_id} left on {d(day)}, but a contact by "
            f"them is recorded on {d(broker.last_contact_on)}",
        )
    if broker.left_on is None:
        broker.left_on = day


# ----------------------------------------------------------------- programme events


def _configured(check: PathwayState, cause: Cause, event: Programme.Configured, day: int) -> None:
    check.policies = PolicyHistory.starting_with(event.policy)
    for broker in check.brokers.values():
        _recheck(check, broker, 1, END, cause)


def _policy_changed(
    check: PathwayState, cause: Cause, event: Programme.PolicyChanged, day: int
) -> None:
    check.policies = check.policies.including(event.policy)
    starts = check.policies.starts
    effective = event.policy.effective_from.toordinal()
    index = bisect_left(starts, effective)
    end = starts[index + 1] if index + 1 < len(starts) else END
    for broker in check.brokers.values():
        _recheck(check, broker, effective, end, cause)


# ----------------------------------------------------------------- the end


def finish(check: PathwayState, last_day: int) -> None:
    """Report every run of days over the limit that began by `last_day`."""
    for broker_id, broker in check.brokers.items():
        for first, end, cause in broker.breaches:
            if first <= last_day:
                _breach(check, broker_id, broker, first, end, cause, last_day)


def _breach(
    check: PathwayState,
    broker_id: UUID,
    broker: BrokerState,
    first: int,
    end: int,
    cause: Cause,
    last_day: int,
) -> None:
    policy = check.policies.in_force_on_ordinal(first)
    fte = Decimal(broker.fte_at(first)) / 100
    lasted = f"through {d(end - 1)}" if end - 1 < last_day else f"still on {d(last_day)}"
    through: date | None = d(end - 1) if end - 1 < last_day else None
    check.report(
        "caseload-limit",
        cause,
        first,
        broker_id,
        f"caseload-limit: broker {broker_id} held {broker.count_at(first)} cases on "
        f"{d(first)}, over the limit of {_limit_at(check, broker, first)} in force that day "
        f"(policy {policy.name!r}: {policy.limit_per_fte} per FTE × {fte:.2f} FTE), "
        f"{lasted}",
        through,
    )


CASELOAD_LIMITS = RuleFamily(
    "caseload limits",
    rules={
        "caseload-limit": "no broker ends a day holding more cases than the limit in force "
        "that day (the policy then in force at their FTE then)",
        "broker-left": "a broker leaves holding no case, and after leaving takes no case and "
        "changes nothing",
        "exclusivity": "a broker holds only trajectories of the programme's pathway kind",
    },
    handlers={
        Broker.Registered: _registered,
        Broker.CaseAssigned: _case_assigned,
        Broker.CaseReleased: _case_released,
        Broker.FteChanged: _fte_changed,
        Broker.Left: _left,
        Programme.Configured: _configured,
        Programme.PolicyChanged: _policy_changed,
    },
)
"""The caseload family: every broker event about cases and FTE, and the policies."""

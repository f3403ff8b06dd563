"""The education programme's other reports: starts by period, endings, time from first
contact to start, sessions per week, and the history line."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date
from typing import Literal

import attrs

from caseload.domain.errors import InvalidValue
from caseload.programmes.education.domain.values import (
    DropOutReason,
    Scheme,
    SessionKind,
    TargetGroup,
)
from caseload.programmes.education.pace import windows
from caseload.programmes.education.read_models.plans import Ending, PlansState
from caseload.programmes.education.read_models.sessions import SessionsState, week_of
from caseload.programmes.education.read_models.targets import TargetsState

__all__ = [
    "GRAINS",
    "ContactToStart",
    "EndingCount",
    "Grain",
    "HistoryPoint",
    "StartCount",
    "WeekActivity",
    "contact_to_start",
    "endings",
    "history",
    "period_of",
    "starts_by",
    "weekly_sessions",
]

Grain = Literal["month", "half-year", "year"]
GRAINS: tuple[Grain, ...] = ("month", "half-year", "year")


def period_of(on: date, grain: Grain) -> str:
    """The month ("2021-05"), half-year ("2021H1") or year ("2021") a date falls in."""
    if grain == "month":
        return f"{on:%Y-%m}"
    if grain == "half-year":
        return f"{on.year}H{1 if on.month <= 6 else 2}"
    return str(on.year)


@attrs.frozen
class StartCount:
    """How many starts of one scheme by one target group fell in one period."""

    period: str
    scheme: Scheme
    target_group: TargetGroup
    count: int
    overrides: int
    """How many of them were admitted by override."""


def starts_by(plans: PlansState, grain: Grain, on: date) -> tuple[StartCount, ...]:
    """Starts by period (of `grain`), scheme and target group, up to the end of `on`."""
    if grain not in GRAINS:
        raise InvalidValue(f"a grain is one of {', '.join(GRAINS)}")
    counts: Counter[tuple[str, Scheme, TargetGroup]] = Counter()
    overrides: Counter[tuple[str, Scheme, TargetGroup]] = Counter()
    for _plan_id, _plan, start in plans.starts():
        if start.started_on <= on:
            key = (period_of(start.started_on, grain), start.scheme, start.group)
            counts[key] += 1
            overrides[key] += start.override is not None
    return tuple(
        StartCount(period, scheme, group, count, overrides[(period, scheme, group)])
        for (period, scheme, group), count in sorted(
            counts.items(), key=lambda item: (item[0][0], item[0][1].value, item[0][2].value)
        )
    )


@attrs.frozen
class EndingCount:
    """How many started schemes of one kind ended one way in one month."""

    month: str
    scheme: Scheme
    target_group: TargetGroup
    ending: Ending
    reason: DropOutReason | None
    """For a drop-out, why."""
    count: int


def endings(plans: PlansState, on: date) -> tuple[EndingCount, ...]:
    """Completions and drop-outs by month, scheme, target group (and reason), to `on`."""
    counts: Counter[tuple[str, Scheme, TargetGroup, Ending, DropOutReason | None]] = Counter()
    for _plan_id, _plan, start in plans.starts():
        if start.ending is not None and start.ended_on is not None and start.ended_on <= on:
            key = (f"{start.ended_on:%Y-%m}", start.scheme, start.group, start.ending, start.reason)
            counts[key] += 1
    return tuple(
        EndingCount(*key, count)
        for key, count in sorted(
            counts.items(),
            key=lambda item: (
                item[0][0],
                item[0][1].value,
                item[0][2].value,
                item[0][3].value,
                "" if item[0][4] is None else item[0][4].value,
            ),
        )
    )


@attrs.frozen
class ContactToStart:
    """Days from a citizen's first contact to the start of a scheme, per scheme."""

    scheme: Scheme
    starts: int
    median_days: float
    shortest_days: int
    longest_days: int


def contact_to_start(plans: PlansState, on: date) -> tuple[ContactToStart, ...]:
    """For each scheme started by `on`: the days from the plan's first contact to each start."""
    days: dict[Scheme, list[int]] = {}
    for _plan_id, plan, start in plans.starts():
        if start.started_on <= on:
            days.setdefault(start.scheme, []).append(
                (start.started_on - plan.first_contact_on).days
            )
    return tuple(
        ContactToStart(
            scheme=scheme,
            starts=len(days[scheme]),
            median_days=float(statistics.median(days[scheme])),
            shortest_days=min(days[scheme]),
            longest_days=max(days[scheme]),
        )
        for scheme in Scheme
        if scheme in days
    )


@attrs.frozen
class WeekActivity:
    """Sessions held and visits counted in one ISO week."""

    week: str
    """The ISO week, "YYYY-Www"."""
    drop_in_sessions: int
    booked_sessions: int
    anonymous_visits: int
    known_visits: int


def weekly_sessions(sessions: SessionsState, on: date) -> tuple[WeekActivity, ...]:
    """Per ISO week with a session held by `on`: sessions by kind and visits."""
    weeks: dict[str, list[int]] = {}
    for session in sessions.sessions.values():
        if session.held_on <= on:
            tally = weeks.setdefault(week_of(session.held_on), [0, 0, 0, 0])
            tally[0 if session.kind is SessionKind.DROP_IN else 1] += 1
            tally[2] += session.anonymous
            tally[3] += session.known
    return tuple(WeekActivity(week, *weeks[week]) for week in sorted(weeks))


@attrs.frozen
class HistoryPoint:
    """Starts of one scheme in one year: from the baseline before the programme, or counted
    in the programme's own log (its period's days of the year, up to the reference day)."""

    year: int
    scheme: Scheme
    count: int
    source: Literal["baseline", "programme"]
    partial: bool
    """The year was not over (within the period) on the reference day."""


def history(plans: PlansState, targets: TargetsState, on: date) -> tuple[HistoryPoint, ...]:
    """The history line: the baseline years, then each year of the programme, per scheme
    (the programme's years for every scheme that has a baseline or a start)."""
    points = [
        HistoryPoint(year, scheme, count, "baseline", False)
        for (year, scheme), count in sorted(
            targets.baseline.items(), key=lambda item: (item[0][0], item[0][1].value)
        )
    ]
    counted: Counter[tuple[int, Scheme]] = Counter()
    spans = windows(targets)
    for _plan_id, _plan, start in plans.starts():
        for window in spans:
            if window.first <= start.started_on <= min(window.last, on):
                counted[(window.year, start.scheme)] += 1
    schemes = {scheme for _, scheme in targets.baseline} | {s for _, s in counted}
    for window in spans:
        if on < window.first:
            continue
        points.extend(
            HistoryPoint(
                window.year, scheme, counted[(window.year, scheme)], "programme", on < window.last
            )
            for scheme in Scheme
            if scheme in schemes
        )
    return tuple(points)

"""The parts of the simulated programme's week: who holds which case, staffing decisions,
and the draws for contacts and employer-directed activities (used by `simulation.py`)."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Callable
from datetime import date, timedelta
from uuid import UUID

import attrs

from caseload.application.caseload import Caseload
from caseload.programmes.resource_pathway.domain.values import (
    Channel,
    ClosureReason,
    EmployerActivityKind,
    PlacementKind,
    Role,
)

__all__ = [
    "ACTIVITY_WEEKS",
    "CHANNEL_WEIGHTS",
    "OTHER_CLOSURES",
    "PLACEMENT_CLOSURE",
    "ROLE_WEIGHTS",
    "Staff",
    "colleague_contact",
    "employer_activity",
    "pick",
    "team_names",
]

ROLE_WEIGHTS = {
    Role.COACH: 5,
    Role.MENTOR_LIKE: 4,
    Role.AUTHORITY: 3,
    Role.EMPLOYER_LIAISON: 2,
}
CHANNEL_WEIGHTS = {
    Channel.MEETING: 5,
    Channel.PHONE: 4,
    Channel.DIGITAL: 3,
    Channel.COMPANY_VISIT: 2,
    Channel.DROP_IN: 1,
}
PLACEMENT_CLOSURE = {
    PlacementKind.ORDINARY_JOB: ClosureReason.JOB,
    PlacementKind.FLEX_JOB: ClosureReason.FLEX_JOB,
    PlacementKind.EDUCATION: ClosureReason.EDUCATION,
}
OTHER_CLOSURES = (
    ClosureReason.DISABILITY_PENSION,
    ClosureReason.FLEX_JOB_WAITING_BENEFIT,
    ClosureReason.MOVED,
    ClosureReason.OTHER,
)
ACTIVITY_WEEKS: dict[EmployerActivityKind, tuple[int | None, ...]] = {
    EmployerActivityKind.COMPANY_INTERNSHIP: (4, 8, 13),
    EmployerActivityKind.WAGE_SUBSIDY_JOB: (13, 26),
    EmployerActivityKind.OTHER_COMPANY_BASED: (6, None),
}
"""Planned lengths of each kind of employer-directed activity, in weeks (None: open-ended)."""


def team_names(teams: int) -> tuple[str, ...]:
    """Names for `teams` teams: Team A, Team B, … (Team 1, Team 2, … past 26)."""
    if teams <= 26:
        return tuple(f"Team {chr(ord('A') + n)}" for n in range(teams))
    return tuple(f"Team {n + 1}" for n in range(teams))


@attrs.define
class Staff:
    """Who holds which case, and each broker's limit, as the simulation tracks them.

    `written` is called before every query: a simulation that writes in batches makes its
    commands visible to the queries first.
    """

    brokers: list[UUID]
    limits: dict[UUID, int]
    written: Callable[[], object]
    held: dict[UUID, dict[UUID, None]] = attrs.field(init=False)
    """Each broker's cases in the order they got them (ids are random: a set would order
    them differently in every run)."""
    holder: dict[UUID, UUID] = attrs.Factory(dict)
    _index: dict[UUID, int] = attrs.field(init=False)
    _roomy: list[bool] = attrs.field(init=False)
    """Per broker, in order, whether they have room: the first with room is found by a
    scan of this list rather than a count of every broker's cases for every intake."""

    def __attrs_post_init__(self) -> None:
        self.held = {broker: {} for broker in self.brokers}
        self._index = {broker: n for n, broker in enumerate(self.brokers)}
        self._roomy = [True] * len(self.brokers)
        self._recount()

    def has_room(self, broker: UUID) -> bool:
        return len(self.held[broker]) < self.limits[broker]

    def first_with_room(self) -> UUID | None:
        """The first broker, in order, with room for another case (None when all are full)."""
        try:
            return self.brokers[self._roomy.index(True)]
        except ValueError:
            return None

    def with_room(self) -> list[UUID]:
        """The brokers with room for another case, in order."""
        return list(itertools.compress(self.brokers, self._roomy))

    def others_with_room(self, broker: UUID) -> list[UUID]:
        """The brokers other than `broker` with room for another case, in order.

        Asked for every transfer: the flags are filtered in C, and `broker` is found among
        them by its place rather than by comparing ids (each comparison a Python call, for
        every broker of a national programme)."""
        others = self.with_room()
        index = self._index[broker]
        if self._roomy[index]:
            del others[self._roomy[:index].count(True)]
        return others

    def _recount(self, *brokers: UUID) -> None:
        for broker in brokers or self.brokers:
            self._roomy[self._index[broker]] = self.has_room(broker)

    def take(self, trajectory: UUID, broker: UUID) -> None:
        """`broker` now holds `trajectory` (assigned, or moved from its holder)."""
        giver = self.holder.get(trajectory)
        if giver is not None:
            del self.held[giver][trajectory]
            self._recount(giver)
        self.held[broker][trajectory] = None
        self.holder[trajectory] = broker
        self._recount(broker)

    def release(self, trajectory: UUID) -> None:
        """The trajectory closed: nobody holds it."""
        giver = self.holder.pop(trajectory)
        del self.held[giver][trajectory]
        self._recount(giver)

    def staffing_decisions(self, app: Caseload, week: int, weeks: int, monday: date) -> int:
        """On a Monday, before the week's work: midway the last broker goes down to 0.8
        FTE; two thirds in, management decides the limit again (28 per FTE if every
        caseload fits, else 30). Returns the number of commands."""
        last = self.brokers[-1]
        commands = 0
        if week == weeks // 2 and len(self.held[last]) <= 24:
            app.change_fte(last, fte=0.8, on=monday)
            self.written()
            self.limits[last] = app.broker(last).limit
            self._recount(last)
            commands += 1
        if week == (2 * weeks) // 3:
            self.written()
            fits = all(len(self.held[b]) <= app.broker(b).fte * 28 for b in self.brokers)
            app.set_caseload_policy(
                limit_per_fte=28 if fits else 30, effective_from=monday, on=monday
            )
            self.written()
            self.limits.update({b: app.broker(b).limit for b in self.brokers})
            self._recount()
            commands += 1
        return commands

    def handover(self, app: Caseload, week: int, weeks: int, monday: date) -> int:
        """On the last Sunday, the last broker hands their cases to the other brokers with
        room and leaves (if they have room for all). Returns the number of commands."""
        last, others = self.brokers[-1], self.brokers[:-1]
        sunday = monday + timedelta(days=6)
        if week != weeks - 1 or not others:
            return 0
        if sum(self.limits[b] - len(self.held[b]) for b in others) < len(self.held[last]):
            return 0
        commands = 0
        for trajectory in list(self.held[last]):
            to = next(b for b in others if self.has_room(b))
            app.transfer(trajectory, to_broker=to, on=sunday)
            self.take(trajectory, to)
            commands += 1
        app.broker_left(last, on=sunday)
        return commands + 1


_CUMULATIVE: dict[int, tuple[list[object], list[int], float]] = {
    id(table): (
        list(table),
        cumulative := list(itertools.accumulate(table.values())),
        cumulative[-1] + 0.0,
    )
    for table in (ROLE_WEIGHTS, CHANNEL_WEIGHTS)
}
"""The members, cumulative weights and total of the simulation's weight tables, worked out
once rather than for every draw (one or more draws a contact)."""


def pick(rng: random.Random, weights: dict[Role, int] | dict[Channel, int]) -> list[object]:
    """One weighted draw of a role or a channel."""
    found = _CUMULATIVE.get(id(weights))
    if found is None:
        return rng.choices(list(weights), weights=list(weights.values()))
    # The draw `rng.choices(members, cum_weights=cumulative)` makes, written out (it is
    # most of the simulation's own time): one `random()` scaled to the total, bisected
    # into the cumulative weights. The same numbers are drawn, so the same commands.
    members, cumulative, total = found
    return [members[bisect.bisect(cumulative, rng.random() * total, 0, len(members) - 1)]]


def colleague_contact(
    app: Caseload, rng: random.Random, trajectory: UUID, on: date, colleagues: list[UUID]
) -> None:
    """A colleague exercises the authority role (now and then coaching too) for a citizen."""
    roles = {Role.AUTHORITY} | ({Role.COACH} if rng.random() < 0.3 else set())
    channel = Channel.MEETING if rng.random() < 0.6 else Channel.PHONE
    app.record_contact(trajectory, on=on, roles=roles, channel=channel, by=rng.choice(colleagues))


def employer_activity(
    app: Caseload, rng: random.Random, trajectory: UUID, on: date, kind: EmployerActivityKind
) -> date:
    """Start an employer-directed activity of `kind` on `on`; returns its last day (the
    far future when open-ended)."""
    weeks = rng.choice(ACTIVITY_WEEKS[kind])
    ends_on = None if weeks is None else on + timedelta(weeks=weeks, days=-1)
    app.record_employer_activity(trajectory, on=on, kind=kind, ends_on=ends_on)
    return date.max if ends_on is None else ends_on

"""A realistic synthetic programme, written through the public API (demo, benchmarks, tests).

Deterministic for a given seed: the same configuration always issues the same commands in
the same order, so two runs produce logs with the same events. Every kind of event occurs
in a run of a few months: all four roles, late registrations, transfers, placements of
every kind and closures for every reason, an FTE change, a policy decision, a broker who
hands over their cases and leaves, case reviews at a rough quarterly cadence, employer-
directed activities of every kind, and colleagues without a caseload who cover the
authority role early in trajectories (less so as the programme goes on, as the roles
gather with the broker), one of whom leaves.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import attrs

from caseload.application.caseload import Caseload
from caseload.domain.errors import CaseloadLimitExceeded, ConfigurationError, InvalidValue
from caseload.domain.personal import ErasureReason
from caseload.programmes.resource_pathway.domain.values import (
    DEFAULT_INDICATORS,
    Channel,
    EmployerActivityKind,
    PlacementKind,
    ReviewOutcome,
    Role,
)
from caseload.programmes.resource_pathway.simulated_people import (
    synthetic_note,
    synthetic_person,
)
from caseload.programmes.resource_pathway.simulation_work import (
    CHANNEL_WEIGHTS,
    OTHER_CLOSURES,
    PLACEMENT_CLOSURE,
    ROLE_WEIGHTS,
    Staff,
    colleague_contact,
    employer_activity,
    pick,
    team_names,
)

__all__ = [
    "SAMPLE",
    "SIMULATION_VERSION",
    "SimulationConfig",
    "SimulationReport",
    "default_start",
    "simulate",
    "synthetic_cpr",
]

SIMULATION_VERSION = 4
"""Bumped whenever the same configuration would issue different commands (caches of
simulated logs are keyed by it). 3: colleagues, employer-directed activities and case
reviews at a cadence. 4: the leaving broker hands over their cases in the order they got
them (before, in the order of their random ids, so differently in every run)."""


@attrs.frozen
class SimulationConfig:
    """The size and shape of a simulated programme."""

    brokers: int = 3
    citizens: int = 70
    months: int = 6
    seed: int = 1
    start: date = date(2024, 1, 1)
    intake_weeks: int = 12
    """Citizens join during the first `intake_weeks` weeks."""
    colleagues: int = 2
    """Colleagues without a caseload (employment caseworkers) who cover the authority role
    early in trajectories; with two or more, the last one leaves three quarters in."""
    teams: int = 2
    """Teams the brokers and colleagues are spread over in turn (a national run makes
    each municipality a team)."""
    personal: bool = False
    """Attach invented personal data: name, phone and address at each opening, a note
    with about a third of the contacts (the application needs a master key)."""
    erasures: int = 0
    """At the end, erase this many citizens whose trajectories closed (`forget_citizen`)."""

    def __attrs_post_init__(self) -> None:
        if self.teams < 1 or self.brokers < 1:
            raise InvalidValue(
                f"a simulation needs at least 1 broker and 1 team; got {self.brokers} "
                f"broker(s) and {self.teams} team(s)"
            )

    @property
    def weeks(self) -> int:
        """How many weeks the simulation runs."""
        return max(1, round(self.months * 52 / 12))

    @property
    def end(self) -> date:
        """The last business day the simulation may write."""
        return self.start + timedelta(weeks=self.weeks) - timedelta(days=1)

    def check_ends_by(self, today: date) -> None:
        """Refuse, before anything is written, a simulation that would run past today."""
        if self.end > today:
            raise ConfigurationError(
                f"a simulation of {self.months} months from {self.start} would run to "
                f"{self.end}, after today ({today}); simulate fewer months"
            )


def default_start(months: int, today: date) -> date:
    """The first day of the month `months` months before `today`: a simulation of
    `months` months from there ends by today (a month earlier in the rare case where the
    weeks of `months` months would not)."""
    months_back = today.year * 12 + today.month - 1 - months
    start = date(months_back // 12, months_back % 12 + 1, 1)
    while SimulationConfig(months=months, start=start).end > today:
        months_back -= 1
        start = date(months_back // 12, months_back % 12 + 1, 1)
    return start


SAMPLE = SimulationConfig(brokers=3, citizens=40, months=3)
"""A small run that still holds every kind of event (the registry's tests rely on it)."""


@attrs.frozen
class SimulationReport:
    """What a simulation did: the ids it created and the commands the rules refused."""

    brokers: tuple[UUID, ...]
    trajectories: tuple[UUID, ...]
    commands: int
    refused: tuple[str, ...]
    """The messages of commands the rules refused (the deliberate 31st assignment)."""
    end: date
    colleagues: tuple[UUID, ...] = ()
    erased: tuple[UUID, ...] = ()
    """The trajectories whose citizens were erased at the end."""


@attrs.define(slots=True)
class _Case:
    """What the simulation remembers of one trajectory."""

    opened_on: date
    reviewed_on: date | None = None
    """The day of its latest case review (None before the first)."""
    placed: PlacementKind | None = None
    in_activity_until: date = date.min
    """The last day of its latest employer-directed activity (the far future when open)."""


def synthetic_cpr(rng: random.Random, taken: set[str]) -> str:
    """A valid, unique, made-up CPR number for a person born 1960–1999."""
    while True:
        born = date(1960, 1, 1) + timedelta(days=rng.randrange(40 * 365))
        seventh = rng.randrange(4)  # 0-3: born in the 1900s
        cpr = f"{born:%d%m%y}{seventh}{rng.randrange(1000):03d}"
        if cpr not in taken:
            taken.add(cpr)
            return cpr


def simulate(
    app: Caseload,
    config: SimulationConfig = SimulationConfig(),
    *,
    progress: Callable[[int, int], None] | None = None,
    bulk: bool = True,
) -> SimulationReport:
    """Run a programme week by week: intake, contacts, progression, placements, closures.

    The first broker is filled to their limit, and one more assignment to them is tried
    and refused by the caseload rule, as happens when a team leader over-allocates.

    With `bulk` (the default) the commands run in a batch (`Caseload.batch`), written
    in one transaction per few thousand commands; without it, in one write per command.
    Either way the same commands meet the same checks and leave the same events.
    """
    config.check_ends_by(app.today())
    if not bulk:
        return _simulate(app, config, progress, written=lambda: 0)
    with app.batch() as batch:
        return _simulate(app, config, progress, written=batch.flush)


def _simulate(
    app: Caseload,
    config: SimulationConfig,
    progress: Callable[[int, int], None] | None,
    *,
    written: Callable[[], int],
) -> SimulationReport:
    rng = random.Random(config.seed)
    # Personal data draws from its own generator: the commands stay the same without it.
    people = random.Random(f"personal {config.seed}") if config.personal else None
    cprs: dict[UUID, str] = {}
    closed: list[UUID] = []
    weeks, end = config.weeks, config.end
    commands = 0
    refused: list[str] = []
    teams = team_names(config.teams)
    brokers = [
        app.register_broker(
            name=f"Broker {n + 1}", team=teams[n % len(teams)], fte=1.0, on=config.start
        )
        for n in range(config.brokers)
    ]
    commands += len(brokers)
    colleagues = [
        app.register_colleague(
            name=f"Colleague {n + 1}", team=teams[n % len(teams)], on=config.start
        )
        for n in range(config.colleagues)
    ]
    commands += len(colleagues)
    in_service = list(colleagues)
    written()
    staff = Staff(brokers, {b: app.broker(b).limit for b in brokers}, written)
    # What the simulation remembers of each trajectory, in one record: ids hash slowly,
    # and every open trajectory is looked at every week.
    cases: dict[UUID, _Case] = {}
    trajectories: list[UUID] = []
    taken: set[str] = set()
    tried_over_limit = False
    intake = sorted(rng.randrange(config.intake_weeks) for _ in range(config.citizens))
    # Rotations rather than draws, so that even a short run meets every kind.
    placement_kinds = itertools.cycle(PlacementKind)
    other_closures = itertools.cycle(OTHER_CLOSURES)
    activity_kinds = itertools.cycle(EmployerActivityKind)
    outcomes = list(ReviewOutcome)
    # Days back of a contact registered late, made once: the case work's loop below runs
    # for every open case every week, so its dates are taken from these rather than made.
    days_back = {back: timedelta(days=back) for back in range(3, 8)}

    def assign(trajectory: UUID, broker: UUID, day: date) -> None:
        app.assign(trajectory, broker, on=day)
        staff.take(trajectory, broker)

    for week in range(weeks):
        monday = config.start + timedelta(weeks=week)
        workdays = tuple(monday + timedelta(days=n) for n in range(5))
        sunday = monday + timedelta(days=6)
        colleague_chance = 0.4 * (1 - week / weeks)
        commands += staff.staffing_decisions(app, week, weeks, monday)
        # Intake: open and assign, filling brokers in order.
        for day in sorted(
            monday + timedelta(days=rng.randrange(5)) for _ in range(intake.count(week))
        ):
            cpr = synthetic_cpr(rng, taken)
            # Personal arguments only when asked for, so that an application wrapped
            # around the named methods without them still runs the simulation.
            personal: dict[str, Any] = (
                {} if people is None else {"personal": synthetic_person(people)}
            )
            trajectory = app.open_trajectory(cpr=cpr, on=day, **personal)
            cprs[trajectory] = cpr
            trajectories.append(trajectory)
            cases[trajectory] = _Case(opened_on=day)
            commands += 1
            to = staff.first_with_room()
            if to is None:
                continue
            first = brokers[0]
            if not tried_over_limit and not staff.has_room(first):
                tried_over_limit = True
                commands += 1
                try:
                    app.assign(trajectory, first, on=day)
                except CaseloadLimitExceeded as refusal:
                    refused.append(str(refusal))
            assign(trajectory, to, day)
            commands += 1
        # Case work for every open, assigned trajectory.
        # The assigned, open trajectories in the order they opened: a trajectory gets its
        # first broker the day it opens or never, leaves the holders only when it closes,
        # and a transfer keeps its place, so the holders' own order is the opening order
        # (and the ids, which hash slowly, need not be looked up in every week's loop).
        for trajectory, broker in list(staff.holder.items()):
            # Looked up once: ids hash slowly, and this loop runs for every case every week.
            case = cases[trajectory]
            opened_on = case.opened_on
            if rng.random() < 0.6:
                day = workdays[rng.randrange(5)]
                if rng.random() < 0.15:  # registered late: it happened last week
                    day -= days_back[rng.randrange(3, 8)]
                day = max(day, opened_on)
                by = broker if rng.random() < 0.85 else rng.choice(brokers)
                roles = set(pick(rng, ROLE_WEIGHTS) + pick(rng, ROLE_WEIGHTS))
                app.record_contact(
                    trajectory,
                    on=day,
                    roles={r for r in roles if isinstance(r, Role)},
                    channel=Channel.COMPANY_VISIT
                    if Role.EMPLOYER_LIAISON in roles
                    else next(c for c in pick(rng, CHANNEL_WEIGHTS) if isinstance(c, Channel)),
                    by=by,
                    **(
                        {"note": synthetic_note(people)}
                        if people is not None and people.random() < 0.3
                        else {}
                    ),
                )
                commands += 1
            # While the roles are split, colleagues cover authority in a trajectory's first
            # eight weeks; ever less often as the roles gather with the broker.
            days_open = (monday - opened_on).days
            weeks_open = days_open // 7
            if in_service and weeks_open < 8 and rng.random() < colleague_chance:
                day = max(workdays[rng.randrange(5)], opened_on)
                colleague_contact(app, rng, trajectory, day, in_service)
                commands += 1
            if weeks_open >= 4 and case.in_activity_until < monday and rng.random() < 0.03:
                day = workdays[rng.randrange(5)]
                activity = next(activity_kinds)
                case.in_activity_until = employer_activity(app, rng, trajectory, day, activity)
                commands += 1
            if days_open % 91 < 7:
                scores = {name: rng.randint(1, 5) for name in rng.sample(DEFAULT_INDICATORS, 5)}
                app.record_progress(trajectory, on=max(monday, opened_on), scores=scores)
                commands += 1
            # Case reviews (sagssparring): a first one some five weeks in, then about
            # quarterly; a busy week sometimes pushes one past the 90-day cadence.
            due = 35 if case.reviewed_on is None else 77
            since = opened_on if case.reviewed_on is None else case.reviewed_on
            if (monday - since).days >= due and rng.random() < 0.5:
                outcome = rng.choice(outcomes)
                day = max(monday, opened_on)
                app.record_review(trajectory, on=day, outcome=outcome)
                case.reviewed_on = day
                commands += 1
            if case.placed is None and rng.random() < 0.02:
                kind = next(placement_kinds)
                hours = None if kind is PlacementKind.EDUCATION else rng.choice((8, 12, 15, 20))
                app.record_job_placement(
                    trajectory, on=workdays[4], kind=kind, hours_per_week=hours
                )
                case.placed = kind
                commands += 1
            if case.placed is not None and rng.random() < 0.3:
                reason = PLACEMENT_CLOSURE[case.placed]
            elif rng.random() < 0.012:
                reason = next(other_closures)
            else:
                reason = None
            if reason is not None:
                app.close_trajectory(trajectory, on=sunday, reason=reason)
                staff.release(trajectory)
                closed.append(trajectory)
                commands += 1
            elif rng.random() < 0.01 and len(brokers) > 1:
                others = staff.others_with_room(broker)
                if others:
                    to = rng.choice(others)
                    app.transfer(trajectory, to_broker=to, on=sunday)
                    staff.take(trajectory, to)
                    commands += 1
        commands += staff.handover(app, week, weeks, monday)
        if len(colleagues) > 1 and week == (3 * weeks) // 4 and colleagues[-1] in in_service:
            app.colleague_left(colleagues[-1], on=sunday)
            in_service.remove(colleagues[-1])
            commands += 1
        if progress is not None:
            progress(week + 1, weeks)
    erased = tuple(closed[: config.erasures])
    for trajectory in erased:
        app.forget_citizen(cpr=cprs[trajectory], on=end, reason=ErasureReason.CITIZEN_REQUEST)
        commands += 1
    return SimulationReport(
        brokers=tuple(brokers),
        trajectories=tuple(trajectories),
        commands=commands,
        refused=tuple(refused),
        end=end,
        colleagues=tuple(colleagues),
        erased=erased,
    )

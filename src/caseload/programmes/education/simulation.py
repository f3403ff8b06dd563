"""A realistic synthetic education programme, written through the public API.

Deterministic for a given seed. Week by week over the period (the seed programme's by
default): citizens come to the Thursday drop-in hours and to booked sessions, ambassadors
draft their plans, and plans start, complete and drop out of schemes, across every target
group and scheme, with late registrations, a start granted by override, and rows that keep
pace with their targets beside rows that fall behind.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import date, timedelta
from uuid import UUID

import attrs

from caseload.application.caseload import Caseload
from caseload.domain.errors import ConfigurationError, NotEligible
from caseload.programmes.education.domain.eligibility import DEFAULT_ELIGIBILITY
from caseload.programmes.education.domain.values import (
    DropOutReason,
    Financing,
    Scheme,
    SessionKind,
    TargetGroup,
)
from caseload.programmes.education.seed import (
    SEED_DECIDED_ON,
    SEED_PERIOD,
    configure_seed_programme,
)

__all__ = [
    "SAMPLE",
    "EducationSimulationConfig",
    "EducationSimulationReport",
    "simulate_education",
]

_GROUPS = {
    TargetGroup.INSURED_UNEMPLOYED: 40,
    TargetGroup.JOB_READY_CASH_BENEFIT: 15,
    TargetGroup.EMPLOYED_UNSKILLED: 35,
    TargetGroup.YOUTH: 10,
}
_SCHEMES = {
    TargetGroup.INSURED_UNEMPLOYED: {
        Scheme.EDUCATION_LIFT_110: 8,
        Scheme.EDUCATION_LIFT: 3,
        Scheme.ADULT_APPRENTICESHIP: 3,
        Scheme.BASIC_SKILLS: 1,
        Scheme.PRIOR_LEARNING: 1,
    },
    TargetGroup.JOB_READY_CASH_BENEFIT: {
        Scheme.EDUCATION_LIFT: 3,
        Scheme.ADULT_APPRENTICESHIP: 2,
        Scheme.BASIC_SKILLS: 2,
    },
    TargetGroup.EMPLOYED_UNSKILLED: {
        Scheme.ADULT_APPRENTICESHIP: 6,
        Scheme.BASIC_SKILLS: 2,
        Scheme.PRIOR_LEARNING: 1,
    },
    TargetGroup.YOUTH: {Scheme.ADULT_APPRENTICESHIP: 3, Scheme.BASIC_SKILLS: 1},
}
_FINANCING = {
    Scheme.EDUCATION_LIFT: Financing.UNEMPLOYMENT_BENEFIT,
    Scheme.EDUCATION_LIFT_110: Financing.UNEMPLOYMENT_BENEFIT_110,
    Scheme.ADULT_APPRENTICESHIP: Financing.APPRENTICE_WAGE,
    Scheme.BASIC_SKILLS: Financing.ADULT_EDUCATION_GRANT,
    Scheme.PRIOR_LEARNING: Financing.OTHER,
}
_WEEKS = {
    Scheme.EDUCATION_LIFT: (20, 100),
    Scheme.EDUCATION_LIFT_110: (40, 150),
    Scheme.ADULT_APPRENTICESHIP: (52, 200),
    Scheme.BASIC_SKILLS: (6, 14),
    Scheme.PRIOR_LEARNING: (1, 4),
}
"""How long each scheme runs for those who complete it, in weeks (from, to)."""
_EDUCATIONS = (
    ("Social- og sundhedshjælper", True, "SOSU STV"),
    ("Smed", True, "Mercantec"),
    ("Elektriker", True, "Mercantec"),
    ("Ernæringsassistent", True, "Mercantec"),
    ("Kontorassistent", False, "Mercantec"),
    ("Detailhandelsuddannelse", False, "Mercantec"),
)


@attrs.frozen
class EducationSimulationConfig:
    """The size and shape of a simulated education programme."""

    seed: int = 1
    start: date = SEED_PERIOD[0]
    end: date = SEED_PERIOD[1]
    ambassadors: int = 2
    plans_per_week: float = 4.5
    """Plans drafted per week on average."""

    def check_ends_by(self, today: date) -> None:
        """Refuse, before anything is written, a simulation that would run past today."""
        if self.end > today:
            raise ConfigurationError(
                f"an education simulation to {self.end} runs after today ({today})"
            )


SAMPLE = EducationSimulationConfig(seed=1, start=date(2021, 4, 1), end=date(2021, 9, 30))
"""A small run (half a year of the seed period) in which every kind of fact occurs."""


@attrs.frozen
class EducationSimulationReport:
    """What a simulation did."""

    programme: UUID
    ambassadors: tuple[UUID, ...]
    plans: tuple[UUID, ...]
    sessions: int
    starts: int
    commands: int
    end: date


def _cpr(rng: random.Random, taken: set[str], group: TargetGroup, on: date) -> str:
    """A made-up CPR number of someone of an age that fits the group on `on`."""
    low, high = (19, 29) if group is TargetGroup.YOUTH else (22, 60)
    while True:
        born = on - timedelta(days=rng.randrange(low * 365, high * 365))
        seventh = rng.randrange(4) if born.year < 2000 else 4
        cpr = f"{born:%d%m%y}{seventh}{rng.randrange(1000):03d}"
        if cpr not in taken:
            taken.add(cpr)
            return cpr


@attrs.define
class _Citizen:
    cpr: str
    plan: UUID
    first_contact_on: date
    start_on: date | None
    scheme: Scheme
    weeks: int
    """How long the scheme runs until it is completed or dropped, in weeks."""
    outcome: DropOutReason | None
    """A drop-out reason, or None to complete."""
    started: bool = False
    sessions: set[UUID] = attrs.Factory(set)


def _group(rng: random.Random) -> TargetGroup:
    return rng.choices(list(_GROUPS), weights=list(_GROUPS.values()))[0]


def _scheme(rng: random.Random, group: TargetGroup) -> Scheme:
    weights = _SCHEMES[group]
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@attrs.define
class _Run:
    """One simulation's state: the application, the draws, and what was done."""

    app: Caseload
    config: EducationSimulationConfig
    rng: random.Random
    ambassadors: tuple[UUID, ...] = ()
    citizens: list[_Citizen] = attrs.Factory(list)
    taken: set[str] = attrs.Factory(set)
    late: list[tuple[date, _Citizen]] = attrs.Factory(list)
    commands: int = 0
    sessions: int = 0
    starts: int = 0
    overridden: bool = False

    def within(self, day: date) -> bool:
        return self.config.start <= day <= self.config.end

    def visit(self, session: UUID, day: date, candidates: list[_Citizen]) -> None:
        """A known citizen's visit, by one whose first contact came by `day`."""
        eligible = [
            c for c in candidates if c.first_contact_on <= day and session not in c.sessions
        ]
        if eligible:
            visitor = self.rng.choice(eligible)
            self.app.record_visit(session, plan=visitor.plan)
            visitor.sessions.add(session)
            self.commands += 1

    def sessions_of(self, monday: date) -> None:
        """Thursday drop-in hours with anonymous and known visitors, and a few bookings."""
        thursday = monday + timedelta(days=3)
        if self.within(thursday):
            drop_in = self.app.hold_session(
                kind=SessionKind.DROP_IN,
                on=thursday,
                place="Jobcentret, fronten",
                ambassador=self.ambassadors[0],
            )
            self.app.record_visit(drop_in, count=self.rng.randint(1, 6))
            self.sessions += 1
            self.commands += 2
            for _ in range(2):
                self.visit(drop_in, thursday, self.citizens[-20:])
        for _ in range(self.rng.randint(0, 3)):
            day = monday + timedelta(days=self.rng.randrange(5))
            if self.within(day):
                booked = self.app.hold_session(
                    kind=SessionKind.BOOKED,
                    on=day,
                    place="Jobcentret",
                    ambassador=self.rng.choice(self.ambassadors),
                )
                self.sessions += 1
                self.commands += 1
                self.visit(booked, day, self.citizens[-30:])

    def intake(self, monday: date) -> None:
        """New citizens: a plan drafted some days after a first contact."""
        rng = self.rng
        for _ in range(_poisson(rng, self.config.plans_per_week)):
            day = monday + timedelta(days=rng.randrange(5))
            if not self.within(day):
                continue
            group = _group(rng)
            scheme = _scheme(rng, group)
            shortage = _EDUCATIONS[:4] if scheme is Scheme.EDUCATION_LIFT_110 else _EDUCATIONS
            education, positive, place = rng.choice(shortage)
            cpr = _cpr(rng, self.taken, group, day)
            first_contact = max(day - timedelta(days=rng.randrange(0, 15)), self.config.start)
            plan = self.app.draft_education_plan(
                cpr=cpr,
                on=day,
                ambassador=rng.choice(self.ambassadors),
                target_group=group,
                job_prospect="a job in a shortage area" if positive else "a job in the region",
                education=education,
                on_positive_list=positive,
                planned_start=day + timedelta(weeks=4),
                planned_end=day + timedelta(weeks=100),
                place=place,
                financing=_FINANCING[scheme],
                first_contact_on=first_contact,
            )
            self.commands += 1
            start_on = day + timedelta(days=rng.randrange(7, 70))
            wanted = rng.random() < 0.75 and start_on <= self.config.end
            drops_out = rng.random() < 0.18
            self.citizens.append(
                _Citizen(
                    cpr=cpr,
                    plan=plan,
                    first_contact_on=first_contact,
                    start_on=start_on if wanted else None,
                    scheme=scheme,
                    weeks=rng.randint(2, 20) if drops_out else rng.randint(*_WEEKS[scheme]),
                    outcome=rng.choice(list(DropOutReason)) if drops_out else None,
                )
            )

    def start(self, citizen: _Citizen) -> None:
        """The citizen's start: as planned if eligible; once, an ineligible one granted by
        override (a dispensation); otherwise basic skills instead, or nothing."""
        assert citizen.start_on is not None
        self.commands += 1
        try:
            self.app.start_scheme(
                citizen.plan,
                cpr=citizen.cpr,
                scheme=citizen.scheme,
                on=citizen.start_on,
                provider="Mercantec",
            )
            self.starts += 1
            return
        except NotEligible:
            pass
        if not self.overridden:
            self.overridden = True
            self.app.start_scheme(
                citizen.plan,
                cpr=citizen.cpr,
                scheme=citizen.scheme,
                on=citizen.start_on,
                provider="Mercantec",
                override="dispensation granted by the team leader",
            )
            self.starts += 1
            return
        try:
            self.app.start_scheme(
                citizen.plan,
                cpr=citizen.cpr,
                scheme=Scheme.BASIC_SKILLS,
                on=citizen.start_on,
                provider="VUC Viborg",
            )
            citizen.scheme = Scheme.BASIC_SKILLS
            self.starts += 1
        except NotEligible:
            citizen.start_on = None

    def progress_of(self, monday: date) -> None:
        """Starts and endings due this week; one start in ten is registered a week late."""
        sunday = monday + timedelta(days=6)
        for citizen in self.citizens:
            if citizen.start_on is None:
                continue
            if not citizen.started:
                if citizen.start_on <= sunday:
                    citizen.started = True
                    if self.rng.random() < 0.1:
                        self.late.append((sunday + timedelta(days=7), citizen))
                    else:
                        self.start(citizen)
                continue
            ends = citizen.start_on + timedelta(weeks=citizen.weeks)
            if monday <= ends <= sunday and self.within(ends):
                if citizen.outcome is None:
                    self.app.complete_scheme(citizen.plan, on=ends)
                else:
                    self.app.record_drop_out(citizen.plan, on=ends, reason=citizen.outcome)
                self.commands += 1
        for due, citizen in [item for item in self.late if item[0] <= sunday]:
            self.late.remove((due, citizen))
            self.start(citizen)


def simulate_education(
    app: Caseload,
    config: EducationSimulationConfig = EducationSimulationConfig(),
    *,
    progress: Callable[[int, int], None] | None = None,
    bulk: bool = True,
) -> EducationSimulationReport:
    """Run an education programme week by week into `app`, which must hold no education
    programme yet: the seed's programme is configured first (period, targets, history).

    With `bulk` (the default) the commands run in a batch (`Caseload.batch`); without it,
    in one write per command. Either way the same commands meet the same checks and
    leave the same events.
    """
    config.check_ends_by(app.today())
    if not bulk:
        return _simulate_education(app, config, progress)
    with app.batch():
        return _simulate_education(app, config, progress)


def _simulate_education(
    app: Caseload,
    config: EducationSimulationConfig,
    progress: Callable[[int, int], None] | None,
) -> EducationSimulationReport:
    run = _Run(app, config, random.Random(config.seed))
    programme = configure_seed_programme(app, on=min(config.start, SEED_DECIDED_ON))
    run.commands += 12
    run.ambassadors = tuple(
        app.register_ambassador(
            name=f"Ambassador {n + 1}",
            team=("Team A-dagpenge", "Team Kontanthjælp")[n % 2],
            on=config.start - timedelta(days=90),
        )
        for n in range(config.ambassadors)
    )
    run.commands += len(run.ambassadors)
    # A colleague who covered the first weeks and then left, and the eligibility rules
    # decided again half-way (the same public rules, re-affirmed): facts a real programme has.
    cover = app.register_ambassador(
        name="Ambassador (cover)", team="Team A-dagpenge", on=config.start - timedelta(days=90)
    )
    first_monday = config.start - timedelta(days=config.start.weekday())
    weeks = (config.end - first_monday).days // 7 + 1
    run.commands += 1
    for week in range(weeks):
        monday = first_monday + timedelta(weeks=week)
        if week == min(4, weeks - 1):
            app.ambassador_left(cover, on=max(monday, config.start))
            run.commands += 1
        if week == weeks // 2:
            app.replace_eligibility(DEFAULT_ELIGIBILITY, on=max(monday, config.start))
            run.commands += 1
        run.intake(monday)
        run.sessions_of(monday)
        run.progress_of(monday)
        if progress is not None:
            progress(week + 1, weeks)
    for _due, citizen in run.late:
        run.start(citizen)
    return EducationSimulationReport(
        programme=programme,
        ambassadors=run.ambassadors,
        plans=tuple(citizen.plan for citizen in run.citizens),
        sessions=run.sessions,
        starts=run.starts,
        commands=run.commands,
        end=config.end,
    )


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson-distributed count (Knuth's method: fine for small means)."""
    limit, product, count = math.exp(-mean), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count

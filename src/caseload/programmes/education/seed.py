"""The seed programme: "Uddannelsesambassadør i Viborg" as its application describes it.

The application (Pulje til uddannelsesambassadører III, Jobcenter Viborg) gives the period
(April 2021 to December 2022), the gross target groups, the yearly targets and the education
lifts of the years before. `configure_seed_programme` writes them into a store, for tests,
demonstrations and the simulation.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol
from uuid import UUID

from caseload.programmes.education.domain.values import (
    EMPLOYED,
    NOT_RELEVANT,
    UNEMPLOYED,
    BaselineCount,
    GroupSize,
    Scheme,
    TargetGroup,
    TargetValue,
)

__all__ = [
    "SEED_DECIDED_ON",
    "SEED_GROUP_SIZES",
    "SEED_HISTORY",
    "SEED_NAME",
    "SEED_PERIOD",
    "SEED_TARGETS",
    "configure_seed_programme",
]

SEED_NAME = "Uddannelsesambassadør i Viborg"
SEED_PERIOD = (date(2021, 4, 1), date(2022, 12, 31))
"""April 2021 – December 2022: "Gennemførelse af projektet"."""
SEED_DECIDED_ON = date(2020, 11, 30)
"""The targets count from the grant ("November 2020: Svar på puljeansøgningen")."""

SEED_GROUP_SIZES: tuple[GroupSize, ...] = (
    GroupSize(TargetGroup.INSURED_UNEMPLOYED, 700, "unskilled insured unemployed, over 1 year"),
    GroupSize(
        TargetGroup.INSURED_UNEMPLOYED,
        100,
        "insured unemployed with outdated education, over 1 year",
    ),
    GroupSize(
        TargetGroup.JOB_READY_CASH_BENEFIT,
        170,
        "unskilled job-ready cash-benefit recipients, over 1 year",
    ),
)
"""The gross target groups ("Bruttomålgruppen over 1 år")."""

SEED_TARGETS: tuple[tuple[Scheme, frozenset[TargetGroup], dict[int, TargetValue]], ...] = (
    (
        Scheme.EDUCATION_LIFT,
        frozenset({TargetGroup.INSURED_UNEMPLOYED}),
        {2021: 5, 2022: 25},
    ),
    (
        Scheme.EDUCATION_LIFT,
        frozenset({TargetGroup.JOB_READY_CASH_BENEFIT}),
        {2021: 10, 2022: 10},
    ),
    (
        Scheme.EDUCATION_LIFT_110,
        frozenset({TargetGroup.INSURED_UNEMPLOYED}),
        {2021: 40, 2022: NOT_RELEVANT},
    ),
    (Scheme.ADULT_APPRENTICESHIP, UNEMPLOYED, {2021: 30, 2022: 30}),
    (Scheme.ADULT_APPRENTICESHIP, EMPLOYED, {2021: 75, 2022: 75}),
)
"""The target table ("Udfyld skema med måltal"), per scheme, target groups and year."""

SEED_HISTORY: tuple[BaselineCount, ...] = (
    BaselineCount(2017, Scheme.EDUCATION_LIFT, 9),
    BaselineCount(2018, Scheme.EDUCATION_LIFT, 4),
    BaselineCount(2019, Scheme.EDUCATION_LIFT, 2),
    BaselineCount(2020, Scheme.EDUCATION_LIFT, 2),
    BaselineCount(2020, Scheme.EDUCATION_LIFT_110, 12),
)
"""Education lifts in Viborg the years before ("2020: 2 + 12 med 110% dagpengesats")."""


class _Writes(Protocol):
    def configure_education_programme(
        self,
        *,
        name: str,
        on: date,
        period_start: date,
        period_end: date,
        group_sizes: tuple[GroupSize, ...],
    ) -> UUID: ...

    def set_target(
        self,
        scheme: Scheme,
        target_group: frozenset[TargetGroup],
        year: int,
        count: TargetValue,
        *,
        on: date,
    ) -> None: ...

    def record_baseline(
        self, counts: tuple[BaselineCount, ...], *, on: date, source: str
    ) -> None: ...


def configure_seed_programme(app: _Writes, *, on: date = SEED_DECIDED_ON) -> UUID:
    """Configure the seed's education programme in `app` (a `Caseload`): its period and
    gross target groups, its targets for 2021 and 2022 and its history; returns its id.

    >>> from caseload import Caseload
    >>> app = Caseload("memory://", clock=lambda: date(2023, 1, 31))
    >>> programme = configure_seed_programme(app)
    >>> app.education_target(Scheme.EDUCATION_LIFT, TargetGroup.INSURED_UNEMPLOYED, 2022)
    25
    """
    programme = app.configure_education_programme(
        name=SEED_NAME,
        on=on,
        period_start=SEED_PERIOD[0],
        period_end=SEED_PERIOD[1],
        group_sizes=SEED_GROUP_SIZES,
    )
    for scheme, groups, years in SEED_TARGETS:
        for year, count in years.items():
            app.set_target(scheme, groups, year, count, on=on)
    app.record_baseline(
        SEED_HISTORY, on=on, source="the application: education lifts in Viborg 2017-2020"
    )
    return programme

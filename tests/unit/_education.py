"""Helpers for the education programme's tests: a configured store, CPR numbers of a given
birth date, and plans drafted with ordinary details."""

from __future__ import annotations

import itertools
from datetime import date
from uuid import UUID

from caseload import Caseload, Financing, TargetGroup
from tests.conftest import KEY, fixed_clock

PERIOD = (date(2021, 4, 1), date(2022, 12, 31))
DECIDED = date(2020, 11, 30)

_serials = itertools.count(1)


def cpr_born(born: date) -> str:
    """A valid CPR number of someone born on `born` (1900-1999 or 2000-2036), new each call."""
    serial = next(_serials) % 1000
    seventh = 0 if born.year < 2000 else 4
    return f"{born:%d%m%y}{seventh}{serial:03d}"


def education_app(*, configure: bool = True) -> Caseload:
    """A fresh in-memory application with an education programme over PERIOD."""
    app = Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)
    if configure:
        app.configure_education_programme(
            name="Education test", on=DECIDED, period_start=PERIOD[0], period_end=PERIOD[1]
        )
    return app


def ambassador(app: Caseload, on: date = date(2021, 1, 4)) -> UUID:
    """Register an ambassador."""
    return app.register_ambassador(name="Ambassador", team="Team A-dagpenge", on=on)


def draft(
    app: Caseload,
    cpr: str,
    by: UUID,
    on: date,
    group: TargetGroup = TargetGroup.INSURED_UNEMPLOYED,
    *,
    positive: bool = True,
    first_contact_on: date | None = None,
) -> UUID:
    """Draft a plan with ordinary details."""
    return app.draft_education_plan(
        cpr=cpr,
        on=on,
        ambassador=by,
        target_group=group,
        job_prospect="welder",
        education="Smed",
        on_positive_list=positive,
        planned_start=on,
        planned_end=date(on.year + 2, on.month, 1),
        place="Mercantec",
        financing=Financing.UNEMPLOYMENT_BENEFIT,
        first_contact_on=first_contact_on,
    )

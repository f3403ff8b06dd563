"""The staffing read model: brokers needed at the limit in force versus FTE available."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from caseload import Caseload, ClosureReason, PathwayKind
from caseload.commands import (
    Assign,
    BrokerLeaves,
    ChangeFte,
    CloseTrajectory,
    OpenTrajectory,
    RegisterBroker,
    Transfer,
)
from caseload.programmes.resource_pathway.read_models.staffing import (
    StaffingModel,
    StaffingReport,
    brokers_needed,
    project_staffing,
    staffing_report,
)
from caseload.testing import Plan, Step, histories, run_history
from tests.conftest import KEY, TODAY, fixed_clock
from tests.unit._support import assert_round_trip

START = date(2024, 1, 1)
HISTORIES = histories(min_size=25, max_size=60)
"""Histories long enough to register brokers and move cases between them."""
ON = date(2025, 6, 25)


def new_app() -> Caseload:
    """A fresh in-memory application on the tests' key and clock."""
    return Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)


def build(app: Caseload) -> None:
    """Two teams over four months, three policies, an FTE change, a transfer, a leaver, an
    unassigned case, and a trajectory of another pathway kind."""
    a1 = app.register_broker(name="A1", team="North", fte=1.0, on=date(2025, 3, 10))
    a2 = app.register_broker(name="A2", team="North", fte=0.5, on=date(2025, 3, 10))
    app.set_caseload_policy(limit_per_fte=40, effective_from=date(2025, 5, 1), on=date(2025, 3, 10))
    app.set_caseload_policy(limit_per_fte=3, effective_from=date(2025, 6, 1), on=date(2025, 3, 10))
    cases = [app.open_trajectory(cpr=f"0{n}0190000{n}", on=date(2025, 3, 12)) for n in range(1, 5)]
    for case in cases[:3]:
        app.assign(case, a1, on=date(2025, 3, 12))
    app.assign(cases[3], a2, on=date(2025, 3, 20))
    b1 = app.register_broker(name="B1", team="South", fte=0.8, on=date(2025, 4, 1))
    c5 = app.open_trajectory(cpr="0501900005", on=date(2025, 4, 2))
    app.assign(c5, b1, on=date(2025, 4, 2))
    app.open_trajectory(cpr="0601900006", on=date(2025, 4, 15))
    app.close_trajectory(cases[0], on=date(2025, 4, 30), reason=ClosureReason.JOB)
    app.change_fte(a2, fte=0.4, on=date(2025, 5, 15))
    app.open_trajectory(
        cpr="0701900007", on=date(2025, 6, 1), pathway=PathwayKind.JOB_CLARIFICATION
    )
    app.transfer(cases[3], to_broker=b1, on=date(2025, 6, 5))
    app.broker_left(a2, on=date(2025, 6, 10))
    app.open_trajectory(cpr="0801900008", on=date(2025, 6, 20))


def team_rows(report: StaffingReport) -> list[tuple[Any, ...]]:
    """(month, day, team, brokers, cases, limit, needed, available, gap) per team row."""
    return [
        (
            *(r.month, r.on, r.team, r.brokers, r.active_cases, r.limit_per_fte),
            *(r.brokers_needed, r.fte_available, r.gap),
        )
        for r in report.teams
    ]


def programme_rows(report: StaffingReport) -> list[tuple[Any, ...]]:
    """(month, day, brokers, cases, unassigned, limit, needed, available, gap) per month."""
    return [
        (
            *(r.month, r.on, r.brokers, r.active_cases, r.unassigned, r.limit_per_fte),
            *(r.brokers_needed, r.fte_available, r.gap),
        )
        for r in report.programme
    ]


D = Decimal


def test_a_hand_written_history_gives_the_hand_computed_staffing() -> None:
    """Per team and month end (the reference date in its month): cases held, the limit then
    in force, FTE needed rounded half up, FTE of brokers on staff, and the gap; the programme
    row adds open unassigned trajectories of the programme's kind."""
    with new_app() as app:
        build(app)
        report = staffing_report(project_staffing(list(app.events())), ON)
    assert team_rows(report) == [
        ("2025-03", date(2025, 3, 31), "North", 2, 4, 30, D("0.13"), D("1.50"), D("-1.37")),
        ("2025-04", date(2025, 4, 30), "North", 2, 3, 30, D("0.10"), D("1.50"), D("-1.40")),
        ("2025-04", date(2025, 4, 30), "South", 1, 1, 30, D("0.03"), D("0.80"), D("-0.77")),
        ("2025-05", date(2025, 5, 31), "North", 2, 3, 40, D("0.08"), D("1.40"), D("-1.32")),
        ("2025-05", date(2025, 5, 31), "South", 1, 1, 40, D("0.03"), D("0.80"), D("-0.77")),
        ("2025-06", date(2025, 6, 25), "North", 1, 2, 3, D("0.67"), D("1.00"), D("-0.33")),
        ("2025-06", date(2025, 6, 25), "South", 1, 2, 3, D("0.67"), D("0.80"), D("-0.13")),
    ]
    assert programme_rows(report) == [
        ("2025-03", date(2025, 3, 31), 2, 4, 0, 30, D("0.13"), D("1.50"), D("-1.37")),
        ("2025-04", date(2025, 4, 30), 3, 4, 1, 30, D("0.17"), D("2.30"), D("-2.13")),
        ("2025-05", date(2025, 5, 31), 3, 4, 1, 40, D("0.13"), D("2.20"), D("-2.07")),
        ("2025-06", date(2025, 6, 25), 2, 4, 2, 3, D("2.00"), D("1.80"), D("0.20")),
    ]


def test_brokers_needed_rounds_half_up_to_hundredths() -> None:
    """Needed FTE is cases over the limit per FTE, with halves rounded up."""
    assert brokers_needed(1, 40) == D("0.03")
    assert brokers_needed(5, 40) == D("0.13")
    assert brokers_needed(1, 30) == D("0.03")
    assert brokers_needed(0, 30) == D("0.00")
    assert brokers_needed(31, 30) == D("1.03")


def test_as_true_on_a_past_date_gives_the_same_report() -> None:
    """Staffing reads dated change points, so the report for 20 May from the whole log equals
    the one from the facts true on 20 May, and ends with May counted on the 20th."""
    on = date(2025, 5, 20)
    with new_app() as app:
        build(app)
        events = list(app.events())
    past = staffing_report(project_staffing(events, as_true_on=on), on)
    assert staffing_report(project_staffing(events), on) == past
    assert programme_rows(past)[-1] == (
        *("2025-05", on, 3, 4, 1, 40),
        *(D("0.13"), D("2.20"), D("-2.07")),
    )


def test_an_empty_log_has_no_rows() -> None:
    """Before any broker is registered there is nothing to report."""
    assert staffing_report(project_staffing([]), TODAY) == StaffingReport(TODAY, (), ())


# --------------------------------------------------------------------------- model


def _half_up(cases: int, limit: int) -> Decimal:
    return Decimal((cases * 200 + limit) // (2 * limit)) / 100


def _month_days(first: date, on: date) -> list[date]:
    days = []
    year, month = first.year, first.month
    while (year, month) <= (on.year, on.month):
        days.append(min(date(year, month, calendar.monthrange(year, month)[1]), on))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


def expected_staffing(steps: Sequence[Step], on: date) -> tuple[list[Any], list[Any]]:
    """Team and programme rows computed by replaying the accepted steps up to each day."""
    registered = [s for s in steps if isinstance(s.command, RegisterBroker)]
    if not registered:
        return [], []
    teams, programme = [], []
    for day in _month_days(registered[0].on, on):
        team: dict[UUID, str] = {}
        fte: dict[UUID, Decimal] = {}
        left: set[UUID] = set()
        holder: dict[UUID, UUID] = {}
        open_cases: set[UUID] = set()
        for step in steps:
            if step.on > day:
                continue
            match step.command:
                case RegisterBroker(team=name, fte=value):
                    assert step.broker is not None
                    team[step.broker], fte[step.broker] = name, value
                case ChangeFte(fte=value):
                    assert step.broker is not None
                    fte[step.broker] = value
                case BrokerLeaves():
                    assert step.broker is not None
                    left.add(step.broker)
                case OpenTrajectory():
                    assert step.trajectory is not None
                    open_cases.add(step.trajectory)
                case Assign() | Transfer():
                    assert step.trajectory is not None
                    assert step.broker is not None
                    holder[step.trajectory] = step.broker
                case CloseTrajectory():
                    assert step.trajectory is not None
                    open_cases.discard(step.trajectory)
                    holder.pop(step.trajectory, None)
        month = f"{day:%Y-%m}"
        for name in sorted(set(team.values())):
            members = [b for b in team if team[b] == name]
            staff = [b for b in members if b not in left]
            cases = sum(1 for b in holder.values() if b in members)
            needed, available = _half_up(cases, 30), sum((fte[b] for b in staff), Decimal(0))
            teams.append(
                (month, day, name, len(staff), cases, 30, needed, available, needed - available)
            )
        staff = [b for b in team if b not in left]
        needed, available = _half_up(len(open_cases), 30), sum((fte[b] for b in staff), Decimal(0))
        programme.append(
            (
                *(month, day, len(staff), len(holder), len(open_cases) - len(holder), 30),
                *(needed, available, needed - available),
            )
        )
    return teams, programme


@given(history=HISTORIES, extra=st.integers(0, 120))
def test_staffing_equals_a_model_of_the_accepted_commands(history: list[Plan], extra: int) -> None:
    """For any history, every month's team and programme rows equal a model that replays
    the accepted commands dated up to the month's counting day."""
    with new_app() as app:
        result = run_history(app, history, start=START)
        on = START + timedelta(days=len(history) + extra)
        report = staffing_report(project_staffing(list(app.events())), on)
    assert (team_rows(report), programme_rows(report)) == expected_staffing(result.accepted, on)


@given(history=HISTORIES, back=st.integers(0, 60))
def test_as_true_on_equals_the_model_of_the_facts_dated_up_to_then(
    history: list[Plan], back: int
) -> None:
    """Folding with `as_true_on=D` gives the model of the accepted facts dated up to D, and
    the same report as the whole log read for D."""
    with new_app() as app:
        result = run_history(app, history, start=START)
        cut = START + timedelta(days=max(0, len(history) - back))
        events = list(app.events())
    report = staffing_report(project_staffing(events, as_true_on=cut), cut)
    assert (team_rows(report), programme_rows(report)) == expected_staffing(result.accepted, cut)
    assert staffing_report(project_staffing(events), cut) == report


@given(history=HISTORIES)
def test_encode_decode_round_trip(history: list[Plan]) -> None:
    """Encoding, decoding (through JSON) and encoding again gives the same canonical bytes,
    digest and report."""
    model = StaffingModel()
    with new_app() as app:
        run_history(app, history, start=START)
        state = project_staffing(list(app.events()))
    on = START + timedelta(days=len(history))
    assert_round_trip(model, state, staffing_report, on)

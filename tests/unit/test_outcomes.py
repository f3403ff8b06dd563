"""The outcomes read model: placements and closures by month, monthly shares, after-exit status."""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from uuid import UUID

import attrs
from hypothesis import given
from hypothesis import strategies as st

from caseload import Caseload, ClosureReason, PlacementKind
from caseload.commands import CloseTrajectory, OpenTrajectory, RecordJobPlacement
from caseload.programmes.resource_pathway.read_models.outcomes import (
    ExitStatus,
    OutcomesModel,
    OutcomesReport,
    add_months,
    outcome_totals,
    outcomes_report,
    project_outcomes,
)
from caseload.testing import Plan, Step, histories, run_history
from tests.conftest import KEY, TODAY, fixed_clock
from tests.unit._support import assert_round_trip, renamed, run_script

START = date(2024, 1, 1)
CITIZENS = [f"{n:02d}0190{n:04d}" for n in range(1, 5)]
"""A small pool of CPR numbers, so random histories reopen trajectories for a citizen."""
HISTORIES = histories(min_size=25, max_size=60, citizens=CITIZENS)
"""Histories long enough to open, place and close trajectories and reopen some."""

Action = Callable[[Caseload, dict[str, UUID], date], None]


def new_app() -> Caseload:
    """A fresh in-memory application on the tests' key and clock."""
    return Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)


def opens(name: str, cpr: str) -> Action:
    """Open a trajectory called `name` for `cpr`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        ids[name] = app.open_trajectory(cpr=cpr, on=on)

    return action


def places(name: str, kind: PlacementKind, hours: float | None = None) -> Action:
    """Record a placement on trajectory `name`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        app.record_job_placement(ids[name], on=on, kind=kind, hours_per_week=hours)

    return action


def closes(name: str, reason: ClosureReason) -> Action:
    """Close trajectory `name`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        app.close_trajectory(ids[name], on=on, reason=reason)

    return action


# In recording order. T2's education placement (dated 25 January) is recorded late, after
# T1's closure in March: a late registration.
SCRIPT: list[tuple[date, Action]] = [
    (date(2024, 11, 30), opens("T5", "0401901004")),
    (date(2024, 12, 31), places("T5", PlacementKind.FLEX_JOB)),
    (date(2025, 1, 10), opens("T1", "0101901001")),
    (date(2025, 1, 20), opens("T2", "0201901002")),
    (date(2025, 1, 31), closes("T5", ClosureReason.FLEX_JOB)),
    (date(2025, 2, 1), opens("T3", "0301901003")),
    (date(2025, 2, 10), closes("T3", ClosureReason.MOVED)),
    (date(2025, 2, 15), places("T1", PlacementKind.ORDINARY_JOB, 20)),
    (date(2025, 3, 5), closes("T1", ClosureReason.JOB)),
    (date(2025, 1, 25), places("T2", PlacementKind.EDUCATION)),
    (date(2025, 4, 15), opens("T4", "0301901003")),
    (date(2025, 5, 2), places("T2", PlacementKind.ORDINARY_JOB, 10)),
]


def statuses(report: OutcomesReport) -> dict[UUID, tuple[ClosureReason, tuple[str, ...]]]:
    """Per closed trajectory, its closure reason and its status at 1, 3, 6 and 12 months."""
    return {
        row.trajectory_id: (row.reason, tuple(check.status.value for check in row.checks))
        for row in report.after_exit
    }


def monthly(report: OutcomesReport) -> list[tuple[str, int, int, float]]:
    """The monthly rows as plain tuples."""
    return [
        (row.month, row.active, row.with_paid_hours_or_education, row.share)
        for row in report.monthly
    ]


def test_a_hand_written_history_gives_the_hand_counted_outcomes() -> None:
    """Placements and closures are counted by month and kind; the monthly share counts a
    placement from its date until closure; after exit, a citizen with a new open trajectory
    has returned, one without is out, and days after the reference date are unknown."""
    with new_app() as app:
        ids = run_script(SCRIPT, app)
        report = outcomes_report(project_outcomes(list(app.events())), TODAY)
    assert [(p.month, p.kind, p.count) for p in report.placements] == [
        ("2024-12", PlacementKind.FLEX_JOB, 1),
        ("2025-01", PlacementKind.EDUCATION, 1),
        ("2025-02", PlacementKind.ORDINARY_JOB, 1),
        ("2025-05", PlacementKind.ORDINARY_JOB, 1),
    ]
    assert [(c.month, c.reason, c.count) for c in report.closures] == [
        ("2025-01", ClosureReason.FLEX_JOB, 1),
        ("2025-02", ClosureReason.MOVED, 1),
        ("2025-03", ClosureReason.JOB, 1),
    ]
    assert monthly(report) == [
        ("2024-11", 1, 0, 0.0),
        ("2024-12", 1, 1, 1.0),
        ("2025-01", 3, 2, 2 / 3),
        ("2025-02", 3, 2, 2 / 3),
        ("2025-03", 2, 2, 1.0),
        ("2025-04", 2, 1, 0.5),
        ("2025-05", 2, 1, 0.5),
        ("2025-06", 2, 1, 0.5),
    ]
    assert [row.trajectory_id for row in report.after_exit] == [ids["T5"], ids["T3"], ids["T1"]]
    assert statuses(report) == {
        ids["T5"]: (ClosureReason.FLEX_JOB, ("out", "out", "unknown", "unknown")),
        ids["T3"]: (ClosureReason.MOVED, ("out", "returned", "unknown", "unknown")),
        ids["T1"]: (ClosureReason.JOB, ("out", "out", "unknown", "unknown")),
    }
    # Exit on 31 January: one month later is 28 February, three months later 30 April.
    assert [check.on for check in report.after_exit[0].checks] == [
        date(2025, 2, 28),
        date(2025, 4, 30),
        date(2025, 7, 31),
        date(2026, 1, 31),
    ]
    assert report.after_exit[1].status(3) is ExitStatus.RETURNED


def test_add_months_clamps_to_the_end_of_a_shorter_month() -> None:
    """Adding calendar months keeps the day of month where it exists, else the month's last."""
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 3, 15), 12) == date(2026, 3, 15)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


def test_as_true_on_a_past_date_equals_the_history_cut_there() -> None:
    """Folding only facts true on 12 February (including T2's education placement, recorded
    late) gives the report of a store that only ever saw the facts dated up to that day."""
    cut = date(2025, 2, 12)
    with new_app() as full, new_app() as short:
        full_ids = run_script(SCRIPT, full)
        short_ids = run_script(SCRIPT, short, cut)
        past = outcomes_report(project_outcomes(list(full.events()), as_true_on=cut), cut)
        cut_report = outcomes_report(project_outcomes(list(short.events())), cut)
    assert renamed(past, {v: k for k, v in full_ids.items()}) == renamed(
        cut_report, {v: k for k, v in short_ids.items()}
    )
    assert monthly(past) == [
        ("2024-11", 1, 0, 0.0),
        ("2024-12", 1, 1, 1.0),
        ("2025-01", 3, 2, 2 / 3),
        ("2025-02", 3, 1, 1 / 3),
    ]
    assert [(p.month, p.kind) for p in past.placements] == [
        ("2024-12", PlacementKind.FLEX_JOB),
        ("2025-01", PlacementKind.EDUCATION),
    ]
    assert statuses(past) == {
        full_ids["T5"]: (ClosureReason.FLEX_JOB, ("unknown",) * 4),
        full_ids["T3"]: (ClosureReason.MOVED, ("unknown",) * 4),
    }


# --------------------------------------------------------------------------- model


def _month(on: date) -> str:
    return f"{on.year}-{on.month:02d}"


def _plus_months(on: date, months: int) -> date:
    total = on.year * 12 + on.month - 1 + months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(on.day, calendar.monthrange(year, month + 1)[1]))


@attrs.frozen
class Expected:
    """The outcomes computed directly from accepted commands."""

    placements: dict[tuple[str, PlacementKind], int]
    closures: dict[tuple[str, ClosureReason], int]
    monthly: list[tuple[str, int, int, float]]
    after_exit: dict[UUID, tuple[ClosureReason, tuple[str, ...]]]


def expected_outcomes(steps: Sequence[Step], on: date) -> Expected:
    """A day-by-day model of the outcomes of the accepted steps dated up to `on`."""
    opened: dict[UUID, tuple[str, date]] = {}
    closed: dict[UUID, tuple[date, ClosureReason]] = {}
    placed: dict[UUID, list[date]] = defaultdict(list)
    placements: Counter[tuple[str, PlacementKind]] = Counter()
    closures: Counter[tuple[str, ClosureReason]] = Counter()
    for step in steps:
        if step.on > on:
            continue
        match step.command:
            case OpenTrajectory(cpr=cpr):
                assert step.trajectory is not None
                opened[step.trajectory] = (cpr, step.on)
            case CloseTrajectory(reason=reason):
                assert step.trajectory is not None
                closed[step.trajectory] = (step.on, reason)
                closures[(_month(step.on), reason)] += 1
            case RecordJobPlacement(kind=kind, hours_per_week=hours):
                assert step.trajectory is not None
                placements[(_month(step.on), kind)] += 1
                if kind is not PlacementKind.ORDINARY_JOB or (hours or 0) > 0:
                    placed[step.trajectory].append(step.on)

    def open_on(t: UUID, d: date) -> bool:
        end = closed[t][0] if t in closed else date.max
        return opened[t][1] <= d <= end

    active: dict[str, set[UUID]] = {}
    working: dict[str, set[UUID]] = {}
    if opened:
        d = min(o for _, o in opened.values())
        while d <= on:
            active.setdefault(_month(d), set())
            working.setdefault(_month(d), set())
            for t in opened:
                if open_on(t, d):
                    active[_month(d)].add(t)
                    if any(p <= d for p in placed[t]):
                        working[_month(d)].add(t)
            d += timedelta(days=1)
    rows = [
        (m, len(active[m]), len(working[m]), len(working[m]) / len(active[m]) if active[m] else 0.0)
        for m in active
    ]
    after: dict[UUID, tuple[ClosureReason, tuple[str, ...]]] = {}
    for t, (exit_on, reason) in closed.items():
        found = []
        for months in (1, 3, 6, 12):
            then = _plus_months(exit_on, months)
            same = [u for u in opened if opened[u][0] == opened[t][0]]
            if then > on:
                found.append("unknown")
            elif any(open_on(u, then) for u in same):
                found.append("returned")
            else:
                found.append("out")
        after[t] = (reason, tuple(found))
    return Expected(dict(placements), dict(closures), rows, after)


def assert_matches(report: OutcomesReport, expected: Expected) -> None:
    """The report says what the model says."""
    assert {(p.month, p.kind): p.count for p in report.placements} == expected.placements
    assert {(c.month, c.reason): c.count for c in report.closures} == expected.closures
    assert monthly(report) == expected.monthly
    assert statuses(report) == expected.after_exit


@given(
    history=HISTORIES,
    extra=st.integers(0, 540),
)
def test_outcomes_equal_a_model_of_the_accepted_commands(history: list[Plan], extra: int) -> None:
    """For any history, the report equals a day-by-day model of the accepted commands."""
    with new_app() as app:
        result = run_history(app, history, start=START)
        on = min(START + timedelta(days=len(history) + extra), TODAY)
        report = outcomes_report(project_outcomes(list(app.events())), on)
    assert_matches(report, expected_outcomes(result.accepted, on))


@given(history=HISTORIES, back=st.integers(0, 60))
def test_as_true_on_equals_the_model_of_the_facts_dated_up_to_then(
    history: list[Plan], back: int
) -> None:
    """Folding with `as_true_on=D` gives the model of the accepted facts dated up to D,
    late-registered placements included."""
    with new_app() as app:
        result = run_history(app, history, start=START)
        cut = START + timedelta(days=max(0, len(history) - back))
        report = outcomes_report(project_outcomes(list(app.events()), as_true_on=cut), cut)
    assert_matches(report, expected_outcomes(result.accepted, cut))


@given(history=HISTORIES)
def test_encode_decode_round_trip(history: list[Plan]) -> None:
    """Encoding, decoding (through JSON) and encoding again gives the same canonical bytes,
    digest and report."""
    model = OutcomesModel()
    with new_app() as app:
        run_history(app, history, start=START)
        state = project_outcomes(list(app.events()))
    assert_round_trip(model, state, outcomes_report, TODAY)


@given(history=HISTORIES, extra=st.integers(-60, 540))
def test_the_totals_equal_the_reports_placements_and_closures(
    history: list[Plan], extra: int
) -> None:
    """`outcome_totals` (what `caseload status` shows) counts what the report's monthly
    placements and closures add up to, for any reference day."""
    with new_app() as app:
        run_history(app, history, start=START)
        state = project_outcomes(list(app.events()))
    on = min(START + timedelta(days=max(0, len(history) + extra)), TODAY)
    report = outcomes_report(state, on)
    assert outcome_totals(state, on) == (
        sum(p.count for p in report.placements),
        sum(c.count for c in report.closures),
    )

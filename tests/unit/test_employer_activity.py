"""Employer-directed activity (virksomhedsrettet indsats): the share of open trajectories with
a company internship, wage-subsidy job or other company-based activity in the last N days."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseload import Caseload, ClosureReason, EmployerActivityKind, InvalidThreshold
from caseload.commands import CloseTrajectory, OpenTrajectory, RecordEmployerActivity
from caseload.programmes.resource_pathway.read_models.employer_activity import (
    MAX_WITHIN_DAYS,
    EmployerActivityModel,
    EmployerActivityReport,
    employer_activity_report,
    project_employer_activity,
)
from caseload.testing import Plan, Step, histories, run_history
from tests.conftest import TODAY
from tests.unit._support import assert_round_trip, new_app, run_script

START = date(2024, 1, 1)
HISTORIES = histories(min_size=25, max_size=60)
Action = Callable[[Caseload, dict[str, UUID], date], None]
INTERNSHIP = EmployerActivityKind.COMPANY_INTERNSHIP
WAGE_SUBSIDY = EmployerActivityKind.WAGE_SUBSIDY_JOB
OTHER = EmployerActivityKind.OTHER_COMPANY_BASED


def opens(name: str, cpr: str) -> Action:
    """Open trajectory `name` for `cpr`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        ids[name] = app.open_trajectory(cpr=cpr, on=on)

    return action


def starts(name: str, kind: EmployerActivityKind, ends_on: date | None) -> Action:
    """An employer-directed activity of trajectory `name`, planned to end on `ends_on`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        app.record_employer_activity(ids[name], on=on, kind=kind, ends_on=ends_on)

    return action


def closes(name: str) -> Action:
    """Close trajectory `name`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        app.close_trajectory(ids[name], on=on, reason=ClosureReason.OTHER)

    return action


# On 30 June, 90 days back is 1 April: T2's one-day activity on 1 April counts, T3's ending
# 31 March does not; T5 closed on 30 May; T3's internship is registered last.
SCRIPT: list[tuple[date, Action]] = [
    (date(2025, 1, 6), opens("T1", "0101900001")),
    (date(2025, 1, 6), opens("T2", "0201900002")),
    (date(2025, 1, 6), opens("T3", "0301900003")),
    (date(2025, 1, 6), opens("T4", "0401900004")),
    (date(2025, 1, 13), starts("T4", OTHER, None)),
    (date(2025, 2, 3), opens("T5", "0501900005")),
    (date(2025, 2, 3), starts("T1", INTERNSHIP, date(2025, 3, 28))),
    (date(2025, 3, 3), starts("T5", INTERNSHIP, date(2025, 5, 30))),
    (date(2025, 4, 1), starts("T2", OTHER, date(2025, 4, 1))),
    (date(2025, 5, 30), closes("T5")),
    (date(2025, 6, 2), opens("T6", "0601900006")),
    (date(2025, 6, 2), starts("T1", WAGE_SUBSIDY, date(2025, 11, 30))),
    (date(2025, 3, 3), starts("T3", INTERNSHIP, date(2025, 3, 31))),
]


def test_a_hand_written_history_gives_the_hand_computed_shares() -> None:
    """On 30 June with 90 days: T1 (wage subsidy since 2 June), T2 (1 April, the window's
    first day) and T4 (open-ended since January) of the five open trajectories; by kind,
    one wage subsidy and two others. With 30 days, only T1 and T4."""
    with new_app() as app:
        ids = run_script(SCRIPT, app)
        report = app.employer_activity()
        month = app.employer_activity(within_days=30)
    assert (report.on, report.within_days) == (TODAY, 90)
    assert (report.open_trajectories, report.with_activity, report.share) == (5, 3, 3 / 5)
    assert report.by_kind == ((INTERNSHIP, 0), (WAGE_SUBSIDY, 1), (OTHER, 2))
    assert (month.within_days, month.with_activity, month.share) == (30, 2, 2 / 5)
    assert month.by_kind == ((INTERNSHIP, 0), (WAGE_SUBSIDY, 1), (OTHER, 1))
    assert [
        (m.month, m.counted_on, m.open_trajectories, m.with_activity) for m in report.monthly
    ] == [
        ("2025-01", date(2025, 1, 31), 4, 1),
        ("2025-02", date(2025, 2, 28), 5, 2),
        ("2025-03", date(2025, 3, 31), 5, 4),
        ("2025-04", date(2025, 4, 30), 5, 5),
        ("2025-05", date(2025, 5, 31), 4, 4),
        ("2025-06", date(2025, 6, 30), 5, 3),
    ]
    assert [m.share for m in report.monthly] == [1 / 4, 2 / 5, 4 / 5, 5 / 5, 4 / 4, 3 / 5]
    names = {v: k for k, v in ids.items()}
    assert [(names[a.trajectory_id], a.kind, a.started_on) for a in report.activities] == [
        ("T4", OTHER, date(2025, 1, 13)),
        ("T1", INTERNSHIP, date(2025, 2, 3)),
        *sorted(
            [("T3", INTERNSHIP, date(2025, 3, 3)), ("T5", INTERNSHIP, date(2025, 3, 3))],
            key=lambda row: ids[row[0]].hex,
        ),
        ("T2", OTHER, date(2025, 4, 1)),
        ("T1", WAGE_SUBSIDY, date(2025, 6, 2)),
    ]
    assert report.activities[0].ends_on is None


def test_as_true_on_a_past_day_sees_what_had_started_by_then() -> None:
    """As true on 31 March, T1's wage subsidy has not started, T5 is open and in internship:
    all five open trajectories but T2 had an activity within 90 days."""
    with new_app() as app:
        run_script(SCRIPT, app)
        report = app.employer_activity(as_true_on=date(2025, 3, 31))
    assert (report.open_trajectories, report.with_activity) == (5, 4)
    assert report.by_kind == ((INTERNSHIP, 3), (WAGE_SUBSIDY, 0), (OTHER, 1))
    assert len(report.activities) == 4


BAD_DAYS = st.one_of(
    st.integers(max_value=0),
    st.integers(min_value=MAX_WITHIN_DAYS + 1),
    st.booleans(),
    st.floats(allow_nan=False),
    st.text(max_size=5),
)


@given(days=BAD_DAYS)
def test_a_window_outside_1_to_the_maximum_is_refused(days: Any) -> None:
    """The look-back window is a whole number of days from 1 to MAX_WITHIN_DAYS; anything
    else is InvalidThreshold, from the query and from the report function alike."""
    rule = f"within_days .* from 1 to {MAX_WITHIN_DAYS}"
    with new_app() as app, pytest.raises(InvalidThreshold, match=rule):
        app.employer_activity(within_days=days)
    with pytest.raises(InvalidThreshold):
        employer_activity_report(project_employer_activity([]), TODAY, days)


# --------------------------------------------------------------------------- model


def expected_activity(
    steps: Sequence[Step], on: date, within: int
) -> tuple[int, int, list[Any], list[Any]]:
    """Open trajectories on `on`, those with an activity in the window, counts by kind, and
    the month-end rows, from the accepted commands (activities dated by their start)."""
    opened: dict[UUID, date] = {}
    closed: dict[UUID, date] = {}
    activities: dict[UUID, list[tuple[date, date | None, EmployerActivityKind]]] = {}
    for step in steps:
        t = step.trajectory
        if t is None or step.on > on:
            continue
        match step.command:
            case OpenTrajectory():
                opened[t], activities[t] = step.on, []
            case CloseTrajectory():
                closed[t] = step.on
            case RecordEmployerActivity(kind=kind, ends_on=end):
                activities[t].append((step.on, end, kind))

    def counted(day: date) -> tuple[int, list[set[EmployerActivityKind]]]:
        open_then = [t for t in opened if opened[t] <= day and not closed.get(t, date.max) <= day]
        kinds = [
            {
                kind
                for start, end, kind in activities[t]
                if start <= day and (end is None or (day - end).days <= within)
            }
            for t in open_then
        ]
        return len(open_then), kinds

    total, kinds = counted(on)
    monthly = []
    if opened:
        first = min(opened.values())
        year, month = first.year, first.month
        while (year, month) <= (on.year, on.month):
            following = date(year + month // 12, month % 12 + 1, 1)
            cut = min(following - timedelta(days=1), on)
            then, then_kinds = counted(cut)
            monthly.append((cut, then, sum(1 for k in then_kinds if k)))
            year, month = following.year, following.month
    by_kind = [(kind, sum(kind in k for k in kinds)) for kind in EmployerActivityKind]
    return total, sum(1 for k in kinds if k), by_kind, monthly


def as_found(report: EmployerActivityReport) -> tuple[int, int, list[Any], list[Any]]:
    """The report in the model's shape."""
    return (
        report.open_trajectories,
        report.with_activity,
        list(report.by_kind),
        [(m.counted_on, m.open_trajectories, m.with_activity) for m in report.monthly],
    )


@given(history=HISTORIES, within=st.integers(1, 60), back=st.integers(0, 60))
def test_employer_activity_equals_a_model_of_the_accepted_commands(
    history: list[Plan], within: int, back: int
) -> None:
    """For any history and window, now and as true on an earlier day, the report equals a
    model of the accepted commands (late-registered activities included)."""
    with new_app() as app:
        result = run_history(app, history, start=START)
        events = list(app.events())
    end = START + timedelta(days=len(history))
    cut = START + timedelta(days=max(0, len(history) - back))
    now = employer_activity_report(project_employer_activity(events), end, within)
    then = employer_activity_report(project_employer_activity(events, as_true_on=cut), cut, within)
    assert as_found(now) == expected_activity(result.accepted, end, within)
    assert as_found(then) == expected_activity(result.accepted, cut, within)
    assert now.share == (now.with_activity / now.open_trajectories if now.open_trajectories else 0)


@given(history=HISTORIES)
def test_encode_decode_round_trip(history: list[Plan]) -> None:
    """Encoding, decoding (through JSON) and encoding again gives the same canonical bytes,
    digest and report."""
    with new_app() as app:
        run_history(app, history, start=START)
        state = project_employer_activity(list(app.events()))
    assert_round_trip(
        EmployerActivityModel(), state, employer_activity_report, START + timedelta(days=60)
    )

"""Flow through the programme: trajectories opened, closed and open per month, and the time
from opening to the first placement."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from caseload import Caseload, ClosureReason, PlacementKind
from caseload.commands import CloseTrajectory, OpenTrajectory, RecordJobPlacement
from caseload.programmes.resource_pathway.read_models.flow import (
    FlowModel,
    FlowReport,
    flow_report,
    project_flow,
)
from caseload.testing import Plan, Step, histories, run_history
from tests.unit._support import assert_round_trip, new_app, run_script

START = date(2024, 1, 1)
CITIZENS = [f"{n:02d}0190{n:04d}" for n in range(1, 5)]
HISTORIES = histories(min_size=25, max_size=60, citizens=CITIZENS)
Action = Callable[[Caseload, dict[str, UUID], date], None]


def opens(name: str, cpr: str) -> Action:
    """Open trajectory `name` for `cpr`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        ids[name] = app.open_trajectory(cpr=cpr, on=on)

    return action


def places(name: str, kind: PlacementKind = PlacementKind.FLEX_JOB) -> Action:
    """A placement of trajectory `name`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        hours = 20 if kind is PlacementKind.ORDINARY_JOB else None
        app.record_job_placement(ids[name], on=on, kind=kind, hours_per_week=hours)

    return action


def closes(name: str) -> Action:
    """Close trajectory `name`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        app.close_trajectory(ids[name], on=on, reason=ClosureReason.JOB)

    return action


# In recording order; T2's placement of 26 February is registered after its placement of
# 3 March, and becomes its first.
SCRIPT: list[tuple[date, Action]] = [
    (date(2025, 1, 6), opens("T1", "0101900001")),
    (date(2025, 1, 6), opens("T5", "0501900005")),
    (date(2025, 1, 20), opens("T2", "0201900002")),
    (date(2025, 2, 3), opens("T3", "0301900003")),
    (date(2025, 2, 10), places("T1")),
    (date(2025, 2, 28), places("T5", PlacementKind.EDUCATION)),
    (date(2025, 3, 3), places("T2")),
    (date(2025, 3, 17), closes("T1")),
    (date(2025, 3, 24), places("T3", PlacementKind.ORDINARY_JOB)),
    (date(2025, 2, 26), places("T2", PlacementKind.EDUCATION)),
    (date(2025, 4, 7), opens("T4", "0401900004")),
    (date(2025, 4, 7), places("T4")),
    (date(2025, 5, 5), closes("T2")),
]


def placements(report: FlowReport, ids: dict[str, UUID]) -> list[tuple[str, date, int]]:
    """The first placements as (trajectory name, date, days)."""
    names = {v: k for k, v in ids.items()}
    return [(names[r.trajectory_id], r.placed_on, r.days) for r in report.first_placements]


def test_a_hand_written_history_gives_the_hand_computed_flow() -> None:
    """Per month: openings, closures and trajectories open at the month's end; each
    trajectory's first placement (the late one of 26 February for T2) and the median and
    mean days to it per month of placement."""
    with new_app() as app:
        ids = run_script(SCRIPT, app)
        report = app.flow()
    assert [(m.month, m.opened, m.closed, m.open_at_end) for m in report.months] == [
        ("2025-01", 3, 0, 3),
        ("2025-02", 1, 0, 4),
        ("2025-03", 0, 1, 3),
        ("2025-04", 1, 0, 4),
        ("2025-05", 0, 1, 3),
        ("2025-06", 0, 0, 3),
    ]
    assert placements(report, ids) == [
        ("T1", date(2025, 2, 10), 35),  # 6 January to 10 February
        ("T2", date(2025, 2, 26), 37),  # 20 January to 26 February
        ("T5", date(2025, 2, 28), 53),  # 6 January to 28 February
        ("T3", date(2025, 3, 24), 49),  # 3 February to 24 March
        ("T4", date(2025, 4, 7), 0),
    ]
    assert [
        (p.month, p.placements, p.median_days, p.mean_days) for p in report.time_to_placement
    ] == [
        ("2025-02", 3, 37.0, (35 + 37 + 53) / 3),
        ("2025-03", 1, 49.0, 49.0),
        ("2025-04", 1, 0.0, 0.0),
    ]


def test_as_true_on_a_past_day_counts_what_was_true_then() -> None:
    """As true on 27 February, T5's placement of the 28th has not happened: February has two
    first placements, whose median and mean are both 36 days; the months stop at the day."""
    with new_app() as app:
        ids = run_script(SCRIPT, app)
        report = app.flow(as_true_on=date(2025, 2, 27))
    assert [(m.month, m.opened, m.closed, m.open_at_end) for m in report.months] == [
        ("2025-01", 3, 0, 3),
        ("2025-02", 1, 0, 4),
    ]
    assert [name for name, _, _ in placements(report, ids)] == ["T1", "T2"]
    assert [
        (p.month, p.placements, p.median_days, p.mean_days) for p in report.time_to_placement
    ] == [("2025-02", 2, 36.0, 36.0)]


# --------------------------------------------------------------------------- model


def _median(values: list[int]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def expected_flow(steps: Sequence[Step], on: date) -> tuple[list[Any], list[Any], list[Any]]:
    """Months, first placements and times to placement from the accepted commands dated up
    to `on`."""
    opened: dict[UUID, date] = {}
    closed: dict[UUID, date] = {}
    placed: dict[UUID, date] = {}
    for step in steps:
        t = step.trajectory
        if t is None or step.on > on:
            continue
        match step.command:
            case OpenTrajectory():
                opened[t] = step.on
            case CloseTrajectory():
                closed[t] = step.on
            case RecordJobPlacement():
                placed[t] = min(placed.get(t, step.on), step.on)
    months = []
    if opened:
        first = min(opened.values())
        year, month = first.year, first.month
        while (year, month) <= (on.year, on.month):
            start = date(year, month, 1)
            following = date(year + month // 12, month % 12 + 1, 1)
            cut = min(following - timedelta(days=1), on)
            months.append(
                (
                    f"{year:04d}-{month:02d}",
                    sum(start <= d <= cut for d in opened.values()),
                    sum(start <= d <= cut for d in closed.values()),
                    sum(
                        opened[t] <= cut and not (t in closed and closed[t] <= cut) for t in opened
                    ),
                )
            )
            year, month = following.year, following.month
    firsts = sorted(
        ((t, opened[t], d, (d - opened[t]).days) for t, d in placed.items()),
        key=lambda row: (row[2], row[0].hex),
    )
    by_month: dict[str, list[int]] = {}
    for _, _, d, days in firsts:
        by_month.setdefault(f"{d:%Y-%m}", []).append(days)
    times = [
        (month, len(days), _median(days), sum(days) / len(days))
        for month, days in sorted(by_month.items())
    ]
    return months, firsts, times


def as_found(report: FlowReport) -> tuple[list[Any], list[Any], list[Any]]:
    """The report in the model's shape."""
    return (
        [(m.month, m.opened, m.closed, m.open_at_end) for m in report.months],
        [(r.trajectory_id, r.opened_on, r.placed_on, r.days) for r in report.first_placements],
        [(p.month, p.placements, p.median_days, p.mean_days) for p in report.time_to_placement],
    )


@given(history=HISTORIES, back=st.integers(0, 60), extra=st.integers(0, 400))
def test_flow_equals_a_model_of_the_accepted_commands(
    history: list[Plan], back: int, extra: int
) -> None:
    """For any history (citizens coming back, late placements), now and as true on an
    earlier day, the report equals a model of the accepted commands dated up to then."""
    with new_app() as app:
        result = run_history(app, history, start=START)
        events = list(app.events())
    later = START + timedelta(days=len(history) + extra)
    cut = START + timedelta(days=max(0, len(history) - back))
    assert as_found(flow_report(project_flow(events), later)) == expected_flow(
        result.accepted, later
    )
    assert as_found(flow_report(project_flow(events, as_true_on=cut), cut)) == expected_flow(
        result.accepted, cut
    )


@given(history=HISTORIES)
def test_encode_decode_round_trip(history: list[Plan]) -> None:
    """Encoding, decoding (through JSON) and encoding again gives the same canonical bytes,
    digest and report."""
    with new_app() as app:
        run_history(app, history, start=START)
        state = project_flow(list(app.events()))
    assert_round_trip(FlowModel(), state, flow_report, START + timedelta(days=60))

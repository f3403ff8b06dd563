"""Case reviews (sagssparring): each trajectory's latest review, and reviews per broker and
month, counted for the broker who held the case on the review day."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from caseload import Caseload, ClosureReason, ReviewOutcome
from caseload.commands import Assign, OpenTrajectory, RecordReview, Transfer
from caseload.programmes.resource_pathway.read_models.reviews import (
    ReviewReport,
    ReviewsModel,
    project_reviews,
    review_report,
)
from caseload.testing import Plan, Step, histories, run_history
from tests.conftest import TODAY
from tests.unit._support import assert_round_trip, new_app, run_script

START = date(2024, 1, 1)
HISTORIES = histories(min_size=25, max_size=60)
Action = Callable[[Caseload, dict[str, UUID], date], None]
CONTINUE = ReviewOutcome.CONTINUE
ADJUST_PLAN = ReviewOutcome.ADJUST_PLAN
REFER = ReviewOutcome.REFER_REHABILITATION_TEAM
PREPARE_CLOSURE = ReviewOutcome.PREPARE_CLOSURE


def broker(name: str) -> Action:
    """Register broker `name`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        ids[name] = app.register_broker(name=name, team="T", on=on)

    return action


def opens(name: str, cpr: str) -> Action:
    """Open trajectory `name` for `cpr`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        ids[name] = app.open_trajectory(cpr=cpr, on=on)

    return action


def assigns(name: str, holder: str) -> Action:
    """Assign trajectory `name` to broker `holder`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        app.assign(ids[name], ids[holder], on=on)

    return action


def transfers(name: str, to: str) -> Action:
    """Transfer trajectory `name` to broker `to`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        app.transfer(ids[name], to_broker=ids[to], on=on)

    return action


def reviewed(name: str, outcome: ReviewOutcome) -> Action:
    """A case review of trajectory `name`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        app.record_review(ids[name], on=on, outcome=outcome)

    return action


def closes(name: str) -> Action:
    """Close trajectory `name`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        app.close_trajectory(ids[name], on=on, reason=ClosureReason.JOB)

    return action


# In recording order: T1's review of 20 February is registered after its transfer to B on
# 3 March; T1 has two reviews on 3 March (the transfer day), and one on its closure day.
SCRIPT: list[tuple[date, Action]] = [
    (date(2025, 1, 6), broker("A")),
    (date(2025, 1, 6), broker("B")),
    (date(2025, 1, 6), opens("T1", "0101900001")),
    (date(2025, 1, 6), assigns("T1", "A")),
    (date(2025, 1, 10), opens("T2", "0201900002")),
    (date(2025, 1, 15), reviewed("T2", CONTINUE)),
    (date(2025, 2, 3), reviewed("T1", ADJUST_PLAN)),
    (date(2025, 3, 3), transfers("T1", "B")),
    (date(2025, 3, 3), reviewed("T1", CONTINUE)),
    (date(2025, 3, 3), reviewed("T1", ADJUST_PLAN)),
    (date(2025, 2, 20), reviewed("T1", REFER)),
    (date(2025, 4, 1), assigns("T2", "A")),
    (date(2025, 4, 1), reviewed("T2", ADJUST_PLAN)),
    (date(2025, 5, 30), closes("T1")),
    (date(2025, 5, 30), reviewed("T1", PREPARE_CLOSURE)),
]


def counted(report: ReviewReport, ids: dict[str, UUID]) -> list[tuple[str, str | None, int]]:
    """The per-broker counts as (month, broker name or None, count)."""
    names = {v: k for k, v in ids.items()}
    return [
        (row.month, None if row.broker_id is None else names[row.broker_id], row.count)
        for row in report.by_broker_month
    ]


def latest(report: ReviewReport, ids: dict[str, UUID]) -> dict[str, tuple[Any, ...]]:
    """Per trajectory name: its number of reviews, latest date and latest outcome."""
    names = {v: k for k, v in ids.items()}
    return {
        names[row.trajectory_id]: (row.reviews, row.last_reviewed_on, row.last_outcome)
        for row in report.trajectories
    }


def test_a_hand_written_history_gives_the_hand_computed_reviews() -> None:
    """Each review counts for the broker holding the case on its day: the late review of
    20 February for A although recorded after the transfer, those of the transfer day for
    B, the one before T2 had a broker for nobody, the closure day's for B."""
    with new_app() as app:
        ids = run_script(SCRIPT, app)
        report = app.reviews()
    assert counted(report, ids) == [
        ("2025-01", None, 1),
        ("2025-02", "A", 2),
        ("2025-03", "B", 2),
        ("2025-04", "A", 1),
        ("2025-05", "B", 1),
    ]
    assert report.total == 7
    assert latest(report, ids) == {
        "T1": (5, date(2025, 5, 30), PREPARE_CLOSURE),
        "T2": (2, date(2025, 4, 1), ADJUST_PLAN),
    }
    assert [row.trajectory_id for row in report.trajectories] == sorted(
        (ids["T1"], ids["T2"]), key=lambda i: i.hex
    )
    assert report.on == TODAY


def test_as_true_on_a_past_day_sees_the_spells_and_reviews_of_then() -> None:
    """As true on 25 February, T1 is A's (the transfer of 3 March is not yet true) and has
    its reviews of 3 and 20 February; as true on 31 March its latest outcome is the one
    recorded last on 3 March."""
    with new_app() as app:
        ids = run_script(SCRIPT, app)
        february = app.reviews(as_true_on=date(2025, 2, 25))
        march = app.reviews(as_true_on=date(2025, 3, 31))
    assert counted(february, ids) == [("2025-01", None, 1), ("2025-02", "A", 2)]
    assert latest(february, ids) == {
        "T1": (2, date(2025, 2, 20), REFER),
        "T2": (1, date(2025, 1, 15), CONTINUE),
    }
    assert latest(march, ids)["T1"] == (4, date(2025, 3, 3), ADJUST_PLAN)


# --------------------------------------------------------------------------- model


def expected_reviews(steps: Sequence[Step], on: date) -> tuple[list[Any], list[Any]]:
    """The per-broker-and-month counts and per-trajectory rows, from the accepted commands
    dated up to `on`, each review given to the holder by the dates of the assignments."""
    opened: dict[UUID, date] = {}
    spells: dict[UUID, list[tuple[date, UUID | None]]] = {}
    reviews: dict[UUID, list[tuple[date, ReviewOutcome]]] = {}
    for step in steps:
        t = step.trajectory
        if t is None or step.on > on:
            continue
        match step.command:
            case OpenTrajectory():
                opened[t], spells[t], reviews[t] = step.on, [], []
            case Assign() | Transfer():
                spells[t].append((step.on, step.broker))
            case RecordReview(outcome=outcome):
                reviews[t].append((step.on, outcome))
    counts: dict[tuple[str, str], int] = {}
    holders: dict[tuple[str, str], UUID | None] = {}
    rows = []
    for t in sorted(opened, key=lambda t: t.hex):
        for day, _ in reviews[t]:
            holder = None
            for since, who in sorted(spells[t], key=lambda spell: spell[0]):
                if since <= day:
                    holder = who
            key = (f"{day:%Y-%m}", "" if holder is None else holder.hex)
            counts[key] = counts.get(key, 0) + 1
            holders[key] = holder
        last = max((day for day, _ in reviews[t]), default=None)
        outcome = [o for day, o in reviews[t] if day == last][-1] if last else None
        rows.append((t, opened[t], len(reviews[t]), last, outcome))
    return [
        (month, holders[month, hex_], counts[month, hex_]) for month, hex_ in sorted(counts)
    ], rows


def as_found(report: ReviewReport) -> tuple[list[Any], list[Any]]:
    """The report in the model's shape."""
    return (
        [(row.month, row.broker_id, row.count) for row in report.by_broker_month],
        [
            (r.trajectory_id, r.opened_on, r.reviews, r.last_reviewed_on, r.last_outcome)
            for r in report.trajectories
        ],
    )


@given(history=HISTORIES, back=st.integers(0, 60))
def test_reviews_equal_a_model_of_the_accepted_commands(history: list[Plan], back: int) -> None:
    """For any history, now and as true on an earlier day, the report equals a model that
    gives each review to the holder by date, and the total is the sum of the counts."""
    with new_app() as app:
        result = run_history(app, history, start=START)
        events = list(app.events())
    end = START + timedelta(days=len(history))
    cut = START + timedelta(days=max(0, len(history) - back))
    for on, state in (
        (end, project_reviews(events)),
        (cut, project_reviews(events, as_true_on=cut)),
    ):
        report = review_report(state, on)
        assert as_found(report) == expected_reviews(result.accepted, on)
        assert report.total == sum(row.count for row in report.by_broker_month)


@given(history=HISTORIES)
def test_encode_decode_round_trip(history: list[Plan]) -> None:
    """Encoding, decoding (through JSON) and encoding again gives the same canonical bytes,
    digest and report."""
    with new_app() as app:
        run_history(app, history, start=START)
        state = project_reviews(list(app.events()))
    assert_round_trip(ReviewsModel(), state, review_report, START + timedelta(days=60))

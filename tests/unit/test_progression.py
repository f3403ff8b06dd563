"""The progression read model: first and latest score per indicator, and the share improving."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from caseload import Caseload, IndicatorSet
from caseload.commands import RecordProgress
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.programmes.resource_pathway.domain.values import DEFAULT_INDICATORS
from caseload.programmes.resource_pathway.read_models.progression import (
    IndicatorProgress,
    IndicatorSummary,
    ProgressionModel,
    ProgressionReport,
    progression_report,
    project_progression,
)
from caseload.projections.base import canonical_bytes
from caseload.testing import Plan, Step, histories, plan, run_history, strategies
from tests.conftest import KEY, TODAY, fixed_clock
from tests.unit._support import assert_round_trip

START = date(2024, 1, 1)
OPENED = date(2025, 1, 6)
MEASUREMENTS = st.lists(
    st.builds(
        plan,
        st.just(RecordProgress),
        trajectory=st.integers(0, 1_000),
        scores=strategies.scores().map(lambda given: tuple(sorted(given.items()))),
        days_back=st.integers(0, 15),
    ),
    max_size=20,
)
HISTORIES = st.builds(
    lambda head, tail: [*head, *tail], histories(min_size=25, max_size=45), MEASUREMENTS
)
"""Random histories followed by more measurements (many of them dated back), so
trajectories are often measured several times and out of date order."""


def new_app() -> Caseload:
    """A fresh in-memory application on the tests' key and clock."""
    return Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)


def measure(app: Caseload, trajectory: UUID, on: date, **scores: int) -> None:
    """Record progression scores on `on`."""
    app.record_progress(trajectory, on=on, scores=scores)


def build(app: Caseload) -> dict[str, UUID]:
    """Three measured trajectories and one never measured, with a late registration (T1's
    15 January measurement is recorded last) and a same-day pair on T2."""
    names = ("T1", "T2", "T3", "T4")
    ids = {
        name: app.open_trajectory(cpr=f"0{n}0190000{n}", on=OPENED)
        for n, name in enumerate(names, start=1)
    }
    measure(app, ids["T1"], date(2025, 2, 1), job_search=2, health_coping=3)
    measure(app, ids["T1"], date(2025, 3, 1), job_search=4)
    measure(app, ids["T2"], date(2025, 2, 10), job_search=4, health_coping=2)
    measure(app, ids["T2"], date(2025, 2, 10), job_search=3)
    measure(app, ids["T2"], date(2025, 4, 1), health_coping=4)
    measure(app, ids["T3"], date(2025, 3, 3), job_confidence=3)
    measure(app, ids["T3"], date(2025, 3, 31), job_confidence=3)
    measure(app, ids["T1"], date(2025, 1, 15), job_search=1)
    return ids


def rows(report: ProgressionReport) -> dict[UUID, dict[str, tuple[Any, ...]]]:
    """Per trajectory and indicator: (first date, first, latest date, latest, count, change)."""
    return {
        t.trajectory_id: {r.indicator: _row_tuple(r) for r in t.indicators}
        for t in report.trajectories
    }


def _row_tuple(r: IndicatorProgress) -> tuple[Any, ...]:
    return (r.first.on, r.first.score, r.latest.on, r.latest.score, r.measurements, r.change)


def summaries(report: ProgressionReport) -> dict[str, tuple[Any, ...]]:
    """Per indicator: (measured, measured twice, mean latest, mean change, share improving)."""
    return {s.indicator: _summary_tuple(s) for s in report.summaries}


def _summary_tuple(s: IndicatorSummary) -> tuple[Any, ...]:
    return (
        s.trajectories_measured,
        s.trajectories_measured_twice,
        s.mean_latest,
        s.mean_change,
        s.share_improving,
    )


def test_a_hand_written_history_gives_the_hand_computed_progression() -> None:
    """First and latest go by business date (a late earlier measurement becomes the first;
    on one day the earlier-recorded is first and the later-recorded latest); summaries and
    the share improving follow from them; unmeasured indicators of the default set show."""
    with new_app() as app:
        ids = build(app)
        report = progression_report(project_progression(list(app.events())), TODAY)
    assert report.indicators == DEFAULT_INDICATORS
    assert rows(report) == {
        ids["T1"]: {
            "health_coping": (date(2025, 2, 1), 3, date(2025, 2, 1), 3, 1, 0),
            "job_search": (date(2025, 1, 15), 1, date(2025, 3, 1), 4, 3, 3),
        },
        ids["T2"]: {
            "health_coping": (date(2025, 2, 10), 2, date(2025, 4, 1), 4, 2, 2),
            "job_search": (date(2025, 2, 10), 4, date(2025, 2, 10), 3, 2, -1),
        },
        ids["T3"]: {"job_confidence": (date(2025, 3, 3), 3, date(2025, 3, 31), 3, 2, 0)},
    }
    found = summaries(report)
    assert found["job_search"] == (2, 2, 3.5, 1.0, 0.5)
    assert found["health_coping"] == (2, 1, 3.5, 2.0, 1.0)
    assert found["job_confidence"] == (1, 1, 3.0, 0.0, 0.0)
    assert found["work_stamina"] == (0, 0, None, None, 0.0)
    assert len(found) == 11
    assert (report.trajectories_with_change, report.trajectories_improving) == (3, 2)
    assert report.share_improving == 2 / 3


def test_indicators_are_the_configured_set_plus_names_seen() -> None:
    """The report lists the programme's configured indicators and any other name measured.

    Today's rules refuse a name outside the configured set, so the other name comes from a
    second store's trajectory events (measured there under the default set), folded after
    the first store's log.
    """
    with new_app() as configured, new_app() as other:
        configured.configure_programme(
            name="P", on=OPENED, indicators=IndicatorSet(names=("work_stamina", "job_search"))
        )
        case = configured.open_trajectory(cpr="0101900001", on=OPENED)
        measure(configured, case, date(2025, 2, 3), job_search=5)
        elsewhere = other.open_trajectory(cpr="0201900002", on=OPENED)
        measure(other, elsewhere, OPENED, social_network=2)
        foreign = [e for e in other.events() if isinstance(e, Trajectory.Event)]
        events = [*configured.events(), *foreign]
    report = progression_report(project_progression(events), TODAY)
    assert report.indicators == ("job_search", "social_network", "work_stamina")
    assert summaries(report) == {
        "job_search": (1, 0, 5.0, None, 0.0),
        "social_network": (1, 0, 2.0, None, 0.0),
        "work_stamina": (0, 0, None, None, 0.0),
    }
    assert (report.trajectories_with_change, report.share_improving) == (0, 0.0)


def test_as_true_on_a_past_date_keeps_the_measurements_dated_up_to_then() -> None:
    """As true on 10 February, T1's late 15 January measurement is its first and 1 February
    its latest; both same-day measurements of T2 count; T3 was not measured yet."""
    with new_app() as app:
        ids = build(app)
        on = date(2025, 2, 10)
        report = progression_report(project_progression(list(app.events()), as_true_on=on), on)
    assert rows(report) == {
        ids["T1"]: {
            "health_coping": (date(2025, 2, 1), 3, date(2025, 2, 1), 3, 1, 0),
            "job_search": (date(2025, 1, 15), 1, date(2025, 2, 1), 2, 2, 1),
        },
        ids["T2"]: {
            "health_coping": (date(2025, 2, 10), 2, date(2025, 2, 10), 2, 1, 0),
            "job_search": (date(2025, 2, 10), 4, date(2025, 2, 10), 3, 2, -1),
        },
    }
    assert summaries(report)["job_search"] == (2, 2, 2.5, 0.0, 0.5)
    assert (report.trajectories_with_change, report.trajectories_improving) == (2, 1)


# --------------------------------------------------------------------------- model


def expected_progression(steps: Sequence[Step], on: date) -> dict[str, Any]:
    """The progression computed from every accepted measurement dated up to `on`, kept whole."""
    seen: dict[UUID, dict[str, list[tuple[date, int, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for number, step in enumerate(steps):
        if isinstance(step.command, RecordProgress) and step.on <= on:
            assert step.trajectory is not None
            for name, score in step.command.scores:
                seen[step.trajectory][name].append((step.on, number, score))
    trajectories: dict[UUID, dict[str, tuple[Any, ...]]] = {}
    for trajectory, by_name in seen.items():
        trajectories[trajectory] = {}
        for name, found in by_name.items():
            first, latest = min(found), max(found)
            row = (first[0], first[2], latest[0], latest[2], len(found), latest[2] - first[2])
            trajectories[trajectory][name] = row
    names = sorted(set(DEFAULT_INDICATORS) | {n for t in seen.values() for n in t})
    summary: dict[str, tuple[Any, ...]] = {}
    for name in names:
        measured = [t[name] for t in trajectories.values() if name in t]
        twice = [r for r in measured if r[4] >= 2]
        summary[name] = (
            len(measured),
            len(twice),
            sum(r[3] for r in measured) / len(measured) if measured else None,
            sum(r[5] for r in twice) / len(twice) if twice else None,
            sum(1 for r in twice if r[5] > 0) / len(twice) if twice else 0.0,
        )
    changes = [
        sum(r[5] for r in t.values() if r[4] >= 2)
        for t in trajectories.values()
        if any(r[4] >= 2 for r in t.values())
    ]
    return {
        "indicators": tuple(names),
        "rows": trajectories,
        "summaries": summary,
        "with_change": len(changes),
        "improving": sum(1 for c in changes if c > 0),
    }


def as_found(report: ProgressionReport) -> dict[str, Any]:
    """The report in the model's shape."""
    return {
        "indicators": report.indicators,
        "rows": rows(report),
        "summaries": summaries(report),
        "with_change": report.trajectories_with_change,
        "improving": report.trajectories_improving,
    }


@given(history=HISTORIES)
def test_progression_equals_a_model_of_the_accepted_commands(history: list[Plan]) -> None:
    """For any history (with late measurements), the report equals a model that keeps every
    measurement and picks first and latest by (business date, recording order)."""
    with new_app() as app:
        result = run_history(app, history, start=START)
        report = progression_report(project_progression(list(app.events())), TODAY)
    assert as_found(report) == expected_progression(result.accepted, TODAY)
    with_change = report.trajectories_with_change
    share = report.trajectories_improving / with_change if with_change else 0.0
    assert report.share_improving == share


@given(history=HISTORIES, back=st.integers(0, 60))
def test_as_true_on_equals_the_model_of_the_measurements_dated_up_to_then(
    history: list[Plan], back: int
) -> None:
    """Folding with `as_true_on=D` gives the model of the accepted measurements dated up to
    D, late registrations included."""
    with new_app() as app:
        result = run_history(app, history, start=START)
        cut = START + timedelta(days=max(0, len(history) - back))
        report = progression_report(project_progression(list(app.events()), as_true_on=cut), cut)
    assert as_found(report) == expected_progression(result.accepted, cut)


@given(history=HISTORIES)
def test_encode_decode_round_trip(history: list[Plan]) -> None:
    """Encoding, decoding (through JSON) and encoding again gives the same canonical bytes,
    digest and report."""
    model = ProgressionModel()
    with new_app() as app:
        run_history(app, history, start=START)
        state = project_progression(list(app.events()))
    assert_round_trip(model, state, progression_report, TODAY)


def test_round_trip_keeps_a_configured_indicator_set() -> None:
    """A configured indicator set survives encode → decode → encode."""
    model = ProgressionModel()
    with new_app() as app:
        app.configure_programme(
            name="P", on=OPENED, indicators=IndicatorSet(names=("cooperation",))
        )
        state = project_progression(list(app.events()))
    data = canonical_bytes(model.encode(state))
    back = model.decode(json.loads(data))
    assert canonical_bytes(model.encode(back)) == data
    assert progression_report(back, TODAY).indicators == ("cooperation",)

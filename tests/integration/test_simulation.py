"""The simulated programme exercises the whole domain: all four roles, late registrations,
transfers, every closure reason, placement kind and employer-directed activity kind,
colleagues covering the authority role, and case reviews (that it produces every event
class is checked with the rest of the registry, in `tests/unit/test_registry.py`)."""

from __future__ import annotations

from datetime import date

from caseload import (
    Caseload,
    ClosureReason,
    EmployerActivityKind,
    PlacementKind,
    ReviewOutcome,
    Role,
)
from caseload.audit import check_rules
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from tests.conftest import KEY


def test_the_default_simulation_exercises_the_whole_domain() -> None:
    with Caseload("memory://", pseudonym_key=KEY, clock=lambda: date(2025, 1, 1)) as app:
        report = simulate(app, SimulationConfig())
        history = list(app.history())
        rules = check_rules(history, today=date(2025, 1, 1))
    events = [event for _, event in history]
    contacts = [e for e in events if isinstance(e, Trajectory.ContactRecorded)]
    assert set().union(*(e.roles for e in contacts)) == set(Role)
    assert {e.reason for e in events if isinstance(e, Trajectory.Closed)} == set(ClosureReason)
    assert {e.placement.kind for e in events if isinstance(e, Trajectory.JobPlaced)} == set(
        PlacementKind
    )
    assert {e.outcome for e in events if isinstance(e, Trajectory.Reviewed)} == set(ReviewOutcome)
    activities = [e for e in events if isinstance(e, Trajectory.EmployerActivityStarted)]
    assert {e.kind for e in activities} == set(EmployerActivityKind)
    assert any(e.ends_on is None for e in activities)
    assert any(e.ends_on is not None for e in activities)
    # Colleagues cover the authority role, within their first eight weeks of a trajectory.
    opened = {e.originator_id: e.occurred_on for e in events if isinstance(e, Trajectory.Opened)}
    by_colleagues = [e for e in contacts if e.by in report.colleagues]
    assert len(by_colleagues) >= 10
    assert all(Role.AUTHORITY in e.roles for e in by_colleagues)
    assert all((e.occurred_on - opened[e.originator_id]).days < 8 * 7 + 7 for e in by_colleagues)
    assert sum(isinstance(e, Trajectory.Transferred) for e in events) >= 3
    # Late registrations: contacts dated before one already recorded on the same case.
    latest: dict[object, date] = {}
    late = 0
    for event in contacts:
        case = event.originator_id
        late += event.occurred_on < latest.get(case, date.min)
        latest[case] = max(latest.get(case, date.min), event.occurred_on)
    assert late >= 5
    assert report.refused
    assert rules.ok, rules.violations

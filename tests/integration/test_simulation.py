"""The simulated programme exercises the whole domain: all four roles, late registrations,
transfers, every closure reason and every placement kind (that it produces every event
class is checked with the rest of the registry, in `tests/unit/test_registry.py`)."""

from __future__ import annotations

from datetime import date

from caseload import Caseload, ClosureReason, PlacementKind, ReviewOutcome, Role
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

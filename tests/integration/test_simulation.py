"""The simulated programme exercises the whole domain: every event kind, all four roles,
late registrations, transfers, every closure reason and every placement kind."""

from __future__ import annotations

from datetime import date

from eventsourcing.domain import DomainEvent

from caseload import Caseload, ClosureReason, PlacementKind, ReviewOutcome, Role
from caseload.audit import check_rules
from caseload.programmes.resource_pathway.domain.broker import Broker
from caseload.programmes.resource_pathway.domain.citizen import Citizen
from caseload.programmes.resource_pathway.domain.programme import Programme
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from tests.conftest import KEY


def _event_classes() -> set[type[DomainEvent]]:
    found = set()
    for aggregate in (Broker, Trajectory, Citizen, Programme):
        for name, member in vars(aggregate).items():
            if (
                isinstance(member, type)
                and issubclass(member, aggregate.Event)
                and name not in ("Event", "Created")
            ):
                found.add(member)
    return found


def test_the_default_simulation_exercises_the_whole_domain() -> None:
    with Caseload("memory://", pseudonym_key=KEY, clock=lambda: date(2025, 1, 1)) as app:
        report = simulate(app, SimulationConfig())
        history = list(app.history())
        rules = check_rules(history, today=date(2025, 1, 1))
    events = [event for _, event in history]
    kinds = {type(event) for event in events}
    assert _event_classes() - kinds == set()
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

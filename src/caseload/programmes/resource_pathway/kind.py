"""The resource-pathway programme kind as the registry loads it: its aggregates, command
handlers, rules, export and simulation (importing this module imports all of them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from caseload.programmes.kind import ProgrammeKind
from caseload.programmes.resource_pathway.domain.broker import Broker
from caseload.programmes.resource_pathway.domain.citizen import Citizen
from caseload.programmes.resource_pathway.domain.colleague import Colleague
from caseload.programmes.resource_pathway.domain.programme import Programme
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.programmes.resource_pathway.export_events import EXPORTED
from caseload.programmes.resource_pathway.handlers import HANDLERS
from caseload.programmes.resource_pathway.read_models import read_models
from caseload.programmes.resource_pathway.rules import RULE_BOOK

if TYPE_CHECKING:
    from caseload.application.caseload import Caseload

__all__ = ["KIND"]


def _simulation(app: Caseload) -> object:
    # Imported here: the simulation drives the application, which imports this registry.
    from caseload.programmes.resource_pathway.simulation import SAMPLE, simulate

    # One erasure at the end, so that the small run holds every kind of event.
    return simulate(app, attrs.evolve(SAMPLE, erasures=1))


KIND = ProgrammeKind(
    key="resource_pathway",
    title="Bedre indsats for borgere i ressourceforløb (resource pathway)",
    aggregates=(Programme, Broker, Trajectory, Citizen, Colleague),
    programme_aggregate=Programme,
    configured_event=Programme.Configured,
    handlers=HANDLERS,
    read_models=read_models,
    rules=RULE_BOOK,
    export=EXPORTED,
    simulation=_simulation,
    # Version 0.1 kept these classes in `caseload.domain.*`.
    moved_topics=(
        ("caseload.domain.broker:Broker", Broker),
        ("caseload.domain.citizen:Citizen", Citizen),
        ("caseload.domain.programme:Programme", Programme),
        ("caseload.domain.trajectory:Trajectory", Trajectory),
    ),
)
"""The resource-pathway programme kind."""

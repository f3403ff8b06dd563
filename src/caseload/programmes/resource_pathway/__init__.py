"""The resource-pathway programme (Bedre indsats for borgere i ressourceforløb): brokers
holding at most 30 cases per full-time post and covering four roles for each citizen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from caseload.programmes.kind import ProgrammeKind
from caseload.programmes.resource_pathway.domain.broker import Broker
from caseload.programmes.resource_pathway.domain.citizen import Citizen
from caseload.programmes.resource_pathway.domain.colleague import Colleague
from caseload.programmes.resource_pathway.domain.programme import Programme
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.programmes.resource_pathway.export_events import EXPORTED
from caseload.programmes.resource_pathway.handlers import HANDLERS
from caseload.programmes.resource_pathway.read_models.attention import AttentionModel
from caseload.programmes.resource_pathway.read_models.caseload_counts import CaseloadCounts
from caseload.programmes.resource_pathway.read_models.employer_activity import (
    EmployerActivityModel,
)
from caseload.programmes.resource_pathway.read_models.flow import FlowModel
from caseload.programmes.resource_pathway.read_models.outcomes import OutcomesModel
from caseload.programmes.resource_pathway.read_models.progression import ProgressionModel
from caseload.programmes.resource_pathway.read_models.reviews import ReviewsModel
from caseload.programmes.resource_pathway.read_models.role_coverage import RoleCoverageModel
from caseload.programmes.resource_pathway.read_models.staffing import StaffingModel
from caseload.programmes.resource_pathway.rules import RULE_BOOK
from caseload.projections.base import ReadModel

if TYPE_CHECKING:
    from caseload.application.caseload import Caseload

__all__ = ["RESOURCE_PATHWAY"]


def _read_models() -> tuple[ReadModel[Any], ...]:
    return (
        CaseloadCounts(),
        RoleCoverageModel(),
        OutcomesModel(),
        ProgressionModel(),
        AttentionModel(),
        StaffingModel(),
        ReviewsModel(),
        FlowModel(),
        EmployerActivityModel(),
    )


def _simulation(app: Caseload) -> object:
    # Imported here: the simulation drives the application, which imports this registry.
    from caseload.programmes.resource_pathway.simulation import SAMPLE, simulate

    # One erasure at the end, so that the small run holds every kind of event.
    return simulate(app, attrs.evolve(SAMPLE, erasures=1))


RESOURCE_PATHWAY = ProgrammeKind(
    key="resource_pathway",
    title="Bedre indsats for borgere i ressourceforløb (resource pathway)",
    aggregates=(Programme, Broker, Trajectory, Citizen, Colleague),
    programme_aggregate=Programme,
    configured_event=Programme.Configured,
    handlers=HANDLERS,
    read_models=_read_models,
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

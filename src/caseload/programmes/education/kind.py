"""The education programme kind as the registry loads it: its aggregates, command handlers,
rules, export and simulation (importing this module imports all of them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from caseload.programmes.education.domain.ambassador import Ambassador
from caseload.programmes.education.domain.plan import EducationPlan
from caseload.programmes.education.domain.programme import EducationProgramme
from caseload.programmes.education.domain.session import GuidanceSession
from caseload.programmes.education.export_events import EXPORTED
from caseload.programmes.education.handlers import HANDLERS
from caseload.programmes.education.read_models import read_models
from caseload.programmes.education.rules import RULE_BOOK
from caseload.programmes.kind import ProgrammeKind

if TYPE_CHECKING:
    from caseload.application.caseload import Caseload

__all__ = ["KIND"]


def _simulation(app: Caseload) -> object:
    # Imported here: the simulation drives the application, which imports this registry.
    from caseload.programmes.education.simulation import SAMPLE, simulate_education

    return simulate_education(app, SAMPLE)


KIND = ProgrammeKind(
    key="education",
    title="Uddannelsesambassadør (education ambassador)",
    aggregates=(EducationProgramme, Ambassador, EducationPlan, GuidanceSession),
    programme_aggregate=EducationProgramme,
    configured_event=EducationProgramme.Configured,
    handlers=HANDLERS,
    read_models=read_models,
    rules=RULE_BOOK,
    export=EXPORTED,
    simulation=_simulation,
)
"""The education programme kind."""

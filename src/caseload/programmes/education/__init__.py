"""The education ambassador programme (Uddannelsesambassadør): education plans, schemes and
their eligibility, yearly targets, drop-in hours, the half-year and monthly status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from caseload.programmes.education.domain.ambassador import Ambassador
from caseload.programmes.education.domain.plan import EducationPlan
from caseload.programmes.education.domain.programme import EducationProgramme
from caseload.programmes.education.domain.session import GuidanceSession
from caseload.programmes.education.export_events import EXPORTED
from caseload.programmes.education.handlers import HANDLERS
from caseload.programmes.education.read_models.plans import EducationPlansModel
from caseload.programmes.education.read_models.sessions import SessionsModel
from caseload.programmes.education.read_models.targets import EducationTargetsModel
from caseload.programmes.education.rules import RULE_BOOK
from caseload.programmes.kind import ProgrammeKind
from caseload.projections.base import ReadModel

if TYPE_CHECKING:
    from caseload.application.caseload import Caseload

__all__ = ["EDUCATION"]


def _read_models() -> tuple[ReadModel[Any], ...]:
    return (EducationPlansModel(), EducationTargetsModel(), SessionsModel())


def _simulation(app: Caseload) -> object:
    # Imported here: the simulation drives the application, which imports this registry.
    from caseload.programmes.education.simulation import SAMPLE, simulate_education

    return simulate_education(app, SAMPLE)


EDUCATION = ProgrammeKind(
    key="education",
    title="Uddannelsesambassadør (education ambassador)",
    aggregates=(EducationProgramme, Ambassador, EducationPlan, GuidanceSession),
    programme_aggregate=EducationProgramme,
    configured_event=EducationProgramme.Configured,
    handlers=HANDLERS,
    read_models=_read_models,
    rules=RULE_BOOK,
    export=EXPORTED,
    simulation=_simulation,
)
"""The education programme kind."""

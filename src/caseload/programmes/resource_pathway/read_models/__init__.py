"""The resource-pathway programme's read models: caseload, roles, outcomes, progression,
attention and staffing."""

from __future__ import annotations

from typing import Any

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
from caseload.projections.base import ReadModel

__all__ = ["read_models"]


def read_models() -> tuple[ReadModel[Any], ...]:
    """A fresh instance of every read model the resource-pathway programme keeps."""
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

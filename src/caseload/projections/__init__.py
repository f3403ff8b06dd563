"""Read models rebuilt from the event log: each a pure fold of events into a state object."""

from __future__ import annotations

from typing import Any

from caseload.projections.attention import AttentionModel
from caseload.projections.base import ReadModel
from caseload.projections.caseload_counts import CaseloadCounts
from caseload.projections.outcomes import OutcomesModel
from caseload.projections.progression import ProgressionModel
from caseload.projections.role_coverage import RoleCoverageModel
from caseload.projections.staffing import StaffingModel

__all__ = ["default_read_models"]


def default_read_models() -> tuple[ReadModel[Any], ...]:
    """One instance of every read model the application keeps."""
    return (
        CaseloadCounts(),
        RoleCoverageModel(),
        OutcomesModel(),
        ProgressionModel(),
        AttentionModel(),
        StaffingModel(),
    )

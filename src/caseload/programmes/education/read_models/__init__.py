"""The education programme's read models: plans and starts, targets, drop-in sessions."""

from __future__ import annotations

from typing import Any

from caseload.programmes.education.read_models.plans import EducationPlansModel
from caseload.programmes.education.read_models.sessions import SessionsModel
from caseload.programmes.education.read_models.targets import EducationTargetsModel
from caseload.projections.base import ReadModel

__all__ = ["read_models"]


def read_models() -> tuple[ReadModel[Any], ...]:
    """A fresh instance of every read model the education programme keeps."""
    return (EducationPlansModel(), EducationTargetsModel(), SessionsModel())

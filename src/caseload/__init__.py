"""caseload: event-sourced, caseload-capped employment programmes (the public API)."""

from typing import TYPE_CHECKING, Any

from caseload.application.caseload import Caseload
from caseload.application.views import BrokerView, ColleagueView, ProgrammeView, TrajectoryView
from caseload.domain.errors import (
    AlreadyAssigned,
    AmbassadorHasLeft,
    BrokerHasLeft,
    BrokerHoldsCases,
    CaseloadError,
    CaseloadLimitExceeded,
    CitizenErased,
    ColleagueHasLeft,
    ColleagueNotYetRegistered,
    ConcurrencyConflict,
    ConfigurationError,
    DateOutOfRange,
    ErasureRefused,
    ExportTargetNotEmpty,
    InvalidCitizenId,
    InvalidContact,
    InvalidEligibilityTable,
    InvalidExportKey,
    InvalidFte,
    InvalidPlacement,
    InvalidPolicy,
    InvalidScores,
    InvalidStoreURL,
    InvalidTarget,
    InvalidThreshold,
    InvalidValue,
    LogAltered,
    MissingExtra,
    MissingMasterKey,
    MissingPseudonymKey,
    NoSchemeRunning,
    NotAssigned,
    NotEligible,
    NotInProgramme,
    PersonalDataUnreadable,
    PlanAlreadyDrafted,
    ProgrammeAlreadyConfigured,
    ReadModelVersionInUse,
    ReadOnlySession,
    SchemeAlreadyRunning,
    StoreUnavailable,
    TrajectoryAlreadyOpen,
    TrajectoryClosed,
    UncheckedEvent,
    UnknownAmbassador,
    UnknownBroker,
    UnknownColleague,
    UnknownCommand,
    UnknownPlan,
    UnknownReadModelVersion,
    UnknownSession,
    UnknownTrajectory,
    WrongMasterKey,
)
from caseload.domain.personal import ErasureReason, Hidden, Note, PersonalData, PersonalRecord
from caseload.programmes.education.domain.eligibility import (
    DEFAULT_ELIGIBILITY,
    EligibilityRule,
    EligibilityTable,
)
from caseload.programmes.education.domain.values import (
    NOT_RELEVANT,
    BaselineCount,
    DropOutReason,
    Financing,
    GroupSize,
    NotRelevant,
    Scheme,
    SessionKind,
    TargetGroup,
    TargetRow,
)
from caseload.programmes.resource_pathway.domain.values import (
    CaseloadPolicy,
    Channel,
    ClosureReason,
    EmployerActivityKind,
    IndicatorSet,
    PathwayKind,
    Placement,
    PlacementKind,
    ReviewOutcome,
    Role,
    Scores,
)
from caseload.programmes.resource_pathway.read_models.attention import (
    AttentionReason,
    AttentionReport,
    AttentionThresholds,
)
from caseload.programmes.resource_pathway.read_models.caseload_counts import (
    CaseloadReport,
    CaseloadRow,
)
from caseload.programmes.resource_pathway.read_models.employer_activity import (
    EmployerActivityReport,
)
from caseload.programmes.resource_pathway.read_models.flow import FlowReport
from caseload.programmes.resource_pathway.read_models.outcomes import ExitStatus, OutcomesReport
from caseload.programmes.resource_pathway.read_models.progression import ProgressionReport
from caseload.programmes.resource_pathway.read_models.reviews import ReviewReport
from caseload.programmes.resource_pathway.read_models.role_coverage import (
    BrokerCoverage,
    ColleagueCoverage,
    RoleCoverage,
    TrajectoryCoverage,
)
from caseload.programmes.resource_pathway.read_models.staffing import StaffingReport
from caseload.projections.runner import ProjectionSettings

if TYPE_CHECKING:
    from caseload.programmes.education.status import HalfYearStatus, MonthlyStatus

__version__ = "0.2.0"
"""The version of the package (the one place it is written; pyproject.toml reads it)."""

__all__ = [
    "DEFAULT_ELIGIBILITY",
    "NOT_RELEVANT",
    "AlreadyAssigned",
    "AmbassadorHasLeft",
    "AttentionReason",
    "AttentionReport",
    "AttentionThresholds",
    "BaselineCount",
    "BrokerCoverage",
    "BrokerHasLeft",
    "BrokerHoldsCases",
    "BrokerView",
    "Caseload",
    "CaseloadError",
    "CaseloadLimitExceeded",
    "CaseloadPolicy",
    "CaseloadReport",
    "CaseloadRow",
    "Channel",
    "CitizenErased",
    "ClosureReason",
    "ColleagueCoverage",
    "ColleagueHasLeft",
    "ColleagueNotYetRegistered",
    "ColleagueView",
    "ConcurrencyConflict",
    "ConfigurationError",
    "DateOutOfRange",
    "DropOutReason",
    "EligibilityRule",
    "EligibilityTable",
    "EmployerActivityKind",
    "EmployerActivityReport",
    "ErasureReason",
    "ErasureRefused",
    "ExitStatus",
    "ExportTargetNotEmpty",
    "Financing",
    "FlowReport",
    "GroupSize",
    "HalfYearStatus",
    "Hidden",
    "IndicatorSet",
    "InvalidCitizenId",
    "InvalidContact",
    "InvalidEligibilityTable",
    "InvalidExportKey",
    "InvalidFte",
    "InvalidPlacement",
    "InvalidPolicy",
    "InvalidScores",
    "InvalidStoreURL",
    "InvalidTarget",
    "InvalidThreshold",
    "InvalidValue",
    "LogAltered",
    "MissingExtra",
    "MissingMasterKey",
    "MissingPseudonymKey",
    "MonthlyStatus",
    "NoSchemeRunning",
    "NotAssigned",
    "NotEligible",
    "NotInProgramme",
    "NotRelevant",
    "Note",
    "OutcomesReport",
    "PathwayKind",
    "PersonalData",
    "PersonalDataUnreadable",
    "PersonalRecord",
    "Placement",
    "PlacementKind",
    "PlanAlreadyDrafted",
    "ProgrammeAlreadyConfigured",
    "ProgrammeView",
    "ProgressionReport",
    "ProjectionSettings",
    "ReadModelVersionInUse",
    "ReadOnlySession",
    "ReviewOutcome",
    "ReviewReport",
    "Role",
    "RoleCoverage",
    "Scheme",
    "SchemeAlreadyRunning",
    "Scores",
    "SessionKind",
    "StaffingReport",
    "StoreUnavailable",
    "TargetGroup",
    "TargetRow",
    "TrajectoryAlreadyOpen",
    "TrajectoryClosed",
    "TrajectoryCoverage",
    "TrajectoryView",
    "UncheckedEvent",
    "UnknownAmbassador",
    "UnknownBroker",
    "UnknownColleague",
    "UnknownCommand",
    "UnknownPlan",
    "UnknownReadModelVersion",
    "UnknownSession",
    "UnknownTrajectory",
    "WrongMasterKey",
    "__version__",
]


_ON_FIRST_USE = {
    "HalfYearStatus": "caseload.programmes.education.status",
    "MonthlyStatus": "caseload.programmes.education.status",
}
"""Public names imported when first asked for (what `caseload status` never needs)."""


def __getattr__(name: str) -> Any:
    module = _ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value

"""Every command of every programme kind, as frozen values for `Caseload.handle`.

>>> from datetime import date
>>> from caseload import Caseload
>>> from caseload.commands import RegisterBroker
>>> app = Caseload("memory://")
>>> broker = app.handle(RegisterBroker(name="Broker 1", team="Team A", on=date(2024, 1, 8)))
>>> app.broker(broker).limit
30
"""

from caseload.programmes.education.commands import (
    AmbassadorLeaves,
    CompleteScheme,
    ConfigureEducationProgramme,
    DraftEducationPlan,
    HoldSession,
    RecordBaseline,
    RecordDropOut,
    RecordVisit,
    RegisterAmbassador,
    ReplaceEligibility,
    SetTarget,
    StartScheme,
)
from caseload.programmes.resource_pathway.commands import (
    Assign,
    BrokerLeaves,
    ChangeFte,
    CloseTrajectory,
    ColleagueLeaves,
    ConfigureProgramme,
    ForgetCitizen,
    OpenTrajectory,
    RecordContact,
    RecordEmployerActivity,
    RecordJobPlacement,
    RecordProgress,
    RecordReview,
    RegisterBroker,
    RegisterColleague,
    SetCaseloadPolicy,
    Transfer,
)

__all__ = [
    "AmbassadorLeaves",
    "Assign",
    "BrokerLeaves",
    "ChangeFte",
    "CloseTrajectory",
    "ColleagueLeaves",
    "CompleteScheme",
    "ConfigureEducationProgramme",
    "ConfigureProgramme",
    "DraftEducationPlan",
    "ForgetCitizen",
    "HoldSession",
    "OpenTrajectory",
    "RecordBaseline",
    "RecordContact",
    "RecordDropOut",
    "RecordEmployerActivity",
    "RecordJobPlacement",
    "RecordProgress",
    "RecordReview",
    "RecordVisit",
    "RegisterAmbassador",
    "RegisterBroker",
    "RegisterColleague",
    "ReplaceEligibility",
    "SetCaseloadPolicy",
    "SetTarget",
    "StartScheme",
    "Transfer",
]

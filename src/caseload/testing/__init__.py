"""Public test kit: Hypothesis strategies, command histories and the stateful caseload model.

Needs Hypothesis (`pip install caseload[testing]`). See docs/testing.md.
"""

from caseload.testing import strategies
from caseload.testing.commands import (
    Assign,
    ChangeFte,
    Close,
    ColleagueLeaves,
    Command,
    HistoryResult,
    Leave,
    OpenTrajectory,
    RecordColleagueContact,
    RecordContact,
    RecordEmployerActivity,
    RecordPlacement,
    RecordProgress,
    RecordReview,
    RegisterBroker,
    RegisterColleague,
    Step,
    Transfer,
    commands,
    histories,
    run_history,
)
from caseload.testing.machine import CaseloadMachine

__all__ = [
    "Assign",
    "CaseloadMachine",
    "ChangeFte",
    "Close",
    "ColleagueLeaves",
    "Command",
    "HistoryResult",
    "Leave",
    "OpenTrajectory",
    "RecordColleagueContact",
    "RecordContact",
    "RecordEmployerActivity",
    "RecordPlacement",
    "RecordProgress",
    "RecordReview",
    "RegisterBroker",
    "RegisterColleague",
    "Step",
    "Transfer",
    "commands",
    "histories",
    "run_history",
    "strategies",
]

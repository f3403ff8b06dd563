"""Public test kit: Hypothesis strategies, command histories and the stateful caseload model.

Needs Hypothesis (`pip install caseload[testing]`). See docs/testing.md.
"""

from caseload.testing import strategies
from caseload.testing.commands import (
    Assign,
    ChangeFte,
    Close,
    Command,
    HistoryResult,
    Leave,
    OpenTrajectory,
    RecordContact,
    RecordPlacement,
    RecordProgress,
    RecordReview,
    RegisterBroker,
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
    "Command",
    "HistoryResult",
    "Leave",
    "OpenTrajectory",
    "RecordContact",
    "RecordPlacement",
    "RecordProgress",
    "RecordReview",
    "RegisterBroker",
    "Step",
    "Transfer",
    "commands",
    "histories",
    "run_history",
    "strategies",
]

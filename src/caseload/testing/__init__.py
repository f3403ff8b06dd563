"""Public test kit: Hypothesis strategies, command histories and the stateful caseload model.

Needs Hypothesis (`pip install caseload[testing]`). See docs/testing.md.
"""

from caseload.testing import strategies
from caseload.testing.commands import (
    HistoryResult,
    Plan,
    Step,
    commands,
    histories,
    plan,
    run_history,
)
from caseload.testing.machine import CaseloadMachine

__all__ = [
    "CaseloadMachine",
    "HistoryResult",
    "Plan",
    "Step",
    "commands",
    "histories",
    "plan",
    "run_history",
    "strategies",
]

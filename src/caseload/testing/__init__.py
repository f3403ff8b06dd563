"""Public test kit: Hypothesis strategies, command histories, the stateful caseload model,
and the seed education programme (`configure_seed_programme`).

Needs Hypothesis (`pip install caseload[testing]`). See docs/testing.md.
"""

from caseload.domain.errors import MissingExtra

try:
    import hypothesis  # noqa: F401  (the kit is built on it)
except ModuleNotFoundError:
    raise MissingExtra(
        "caseload.testing needs Hypothesis; install it with: pip install 'caseload[testing]'"
    ) from None

from caseload.programmes.education.seed import configure_seed_programme
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
    "configure_seed_programme",
    "histories",
    "plan",
    "run_history",
    "strategies",
]

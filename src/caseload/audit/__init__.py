"""Auditing the log: the hash chain and seals, the rule checker, and `verify`.

`Caseload.verify()` and `Caseload.seal()` are the usual entry points; `check_rules` checks
any log (as `Caseload.history()` yields it) against every rule on every date. The rule
checker is imported when first asked for: a command that checks only the chain (`caseload
status`) does not load it.
"""

from typing import TYPE_CHECKING, Any

from caseload.adapters.seals import Seal
from caseload.audit.findings import Check, Finding, VerifyReport

if TYPE_CHECKING:
    from caseload.audit.rules import RulesReport, Violation, check_rules

__all__ = ["Check", "Finding", "RulesReport", "Seal", "VerifyReport", "Violation", "check_rules"]

_RULES = ("RulesReport", "Violation", "check_rules")


def __getattr__(name: str) -> Any:
    if name not in _RULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from caseload.audit import rules

    return getattr(rules, name)

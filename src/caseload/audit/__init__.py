"""Auditing the log: the hash chain and seals, the rule checker, and `verify`.

`Caseload.verify()` and `Caseload.seal()` are the usual entry points; `check_rules` checks
any log (as `Caseload.history()` yields it) against every rule on every date.
"""

from caseload.adapters.seals import Seal
from caseload.audit.rules import RulesReport, Violation, check_rules
from caseload.audit.verify import Check, Finding, VerifyReport

__all__ = ["Check", "Finding", "RulesReport", "Seal", "VerifyReport", "Violation", "check_rules"]

"""The rule checker behind `verify`, for any programme: a generic engine over rule books.

A programme kind registers a `RuleBook` (`ProgrammeKind.rules`): rule families whose
handlers are looked up along each event class's MRO, the event classes to which no rule
applies, and a checker factory. `check_rules` reads a log once and sends each event to the
book that decides on its class; a class that no book decides on is an error
(`UncheckedEvent`), so a new event class cannot pass unchecked.
"""

from caseload.audit.rules.check import GENERAL_RULES, check_rules, registered_books
from caseload.audit.rules.dispatch import Dispatch, Handler, RuleBook, RuleChecker, RuleFamily
from caseload.audit.rules.report import Cause, Findings, RulesReport, Tally, Violation

__all__ = [
    "GENERAL_RULES",
    "Cause",
    "Dispatch",
    "Findings",
    "Handler",
    "RuleBook",
    "RuleChecker",
    "RuleFamily",
    "RulesReport",
    "Tally",
    "Violation",
    "check_rules",
    "registered_books",
]

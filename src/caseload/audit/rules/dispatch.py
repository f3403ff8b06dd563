"""How a programme's rules meet its events: rule families, the rule book, and the dispatch.

A programme's rules come in families (modules of related rules), each with handlers keyed
by event class. An event is handled by the handler of the first class along its class's
MRO that a family lists, so a subclass of a checked event is checked too. A class that no
rule concerns is listed as such, explicitly; any other class is an error, never skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

import attrs
from eventsourcing.domain import DomainEvent

from caseload.audit.rules.report import Cause, Findings, Tally
from caseload.domain.errors import ConfigurationError, UncheckedEvent

__all__ = ["Dispatch", "Handler", "RuleBook", "RuleChecker", "RuleFamily"]

Handler = Callable[[Any, Cause, Any, int], None]
"""`handler(checker, cause, event, day)`: check one event of the log against some rules,
on its business date `day` (an ordinal), with the state the programme's checker keeps."""


class RuleChecker(Protocol):
    """The state a programme's rules keep while one log is read."""

    def finish(self, last_day: int | None) -> Tally:
        """Report what only the whole log shows (caseloads to `last_day`, pairs of records
        still unmatched); `last_day` is None for a log with no business dates."""


@attrs.frozen
class RuleFamily:
    """Related rules, checked by handlers of the event classes they concern."""

    name: str
    rules: Mapping[str, str]
    """Each rule this family declares: its stable name and what it says."""
    handlers: Mapping[type[DomainEvent], Handler]
    """Per event class, the handler that checks such events (and those of subclasses)."""


def _merged_rules(families: tuple[RuleFamily, ...]) -> dict[str, str]:
    rules: dict[str, str] = {}
    for family in families:
        for name, text in family.rules.items():
            if name in rules:
                raise ConfigurationError(f"rule {name!r} is declared by two rule families")
            rules[name] = text
    return rules


@attrs.frozen
class RuleBook:
    """A programme's rules: its families, the event classes no rule concerns, and how to
    start a checker for one log. A programme kind registers one (`ProgrammeKind.rules`)."""

    families: tuple[RuleFamily, ...]
    no_rule: frozenset[type[DomainEvent]]
    """Event classes to which, explicitly, no rule applies (their subclasses too)."""
    checker: Callable[[Findings], RuleChecker]
    """A fresh checker that reports to the given findings."""
    rules: Mapping[str, str] = attrs.field(init=False)
    """Every rule of every family, by name."""

    @rules.default
    def _rules(self) -> Mapping[str, str]:
        return _merged_rules(self.families)

    def handlers(self) -> dict[type[DomainEvent], Handler]:
        """Every family's handlers by event class; a class has at most one."""
        table: dict[type[DomainEvent], Handler] = {}
        for family in self.families:
            for kind, handler in family.handlers.items():
                if kind in table or kind in self.no_rule:
                    raise ConfigurationError(
                        f"{_name(kind)} is decided twice in the rules (family {family.name!r})"
                    )
                table[kind] = handler
        return table

    def decides(self, kind: type[DomainEvent]) -> bool:
        """Whether a handler, or the explicit "no rule applies", covers events of `kind`."""
        table = self.handlers()
        return any(base in table or base in self.no_rule for base in kind.__mro__)


def _name(kind: type[Any]) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


class Dispatch:
    """Sends each event to the handler that decides on its class, with its book's checker."""

    def __init__(self, books: Iterable[RuleBook], findings: Findings) -> None:
        self._books = [(book, book.handlers(), book.checker(findings)) for book in books]
        self._routes: dict[type[Any], tuple[RuleChecker, Handler] | None] = {}

    @property
    def checkers(self) -> list[RuleChecker]:
        """The checker of each book, in the books' order."""
        return [checker for _, _, checker in self._books]

    def route(self, kind: type[Any]) -> tuple[RuleChecker, Handler] | None:
        """The checker and handler for events of class `kind`, or None when no rule applies
        to them; `UncheckedEvent` when no book decides on the class."""
        if kind in self._routes:
            return self._routes[kind]
        decided: list[tuple[RuleChecker, Handler] | None] = []
        for book, table, checker in self._books:
            for base in kind.__mro__:
                if base in table:
                    decided.append((checker, table[base]))
                    break
                if base in book.no_rule:
                    decided.append(None)
                    break
        if not decided:
            raise UncheckedEvent(
                f"no rule decides on {_name(kind)}: give it a handler in a rule family of its "
                "programme, or list it among the classes to which no rule applies "
                "(RuleBook.no_rule), so that verify cannot skip it unchecked"
            )
        if len(decided) > 1:
            raise UncheckedEvent(f"the rules of several programmes decide on {_name(kind)}")
        self._routes[kind] = decided[0]
        return decided[0]

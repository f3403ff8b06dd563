"""The rule engine sends each event to the rules that decide on its class, looked up along
the class's MRO; a class that no programme decides on stops the check instead of passing
unchecked, and `verify` takes its rules from the programme registry."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import attrs
import pytest
from eventsourcing.domain import Aggregate

import caseload.programmes
from caseload import ConfigurationError, ReviewOutcome, UncheckedEvent
from caseload.audit import check_rules
from caseload.audit.rules import Cause, Dispatch, Findings, RuleBook, RuleFamily, Tally
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.programmes.resource_pathway.kind import KIND as RESOURCE_PATHWAY
from caseload.programmes.resource_pathway.rules import NO_RULE, RULE_BOOK, RULES
from tests.unit._support import START, new_app, office


class Stray(Aggregate):
    """A throwaway aggregate whose event no programme's rules know."""

    class Event(Aggregate.Event):
        occurred_on: date

    class Noticed(Event):
        """Something no rule was written for."""

    class Followed(Noticed):
        """A subclass of it."""

    def __init__(self, occurred_on: date) -> None:
        pass


def stray(kind: type[Stray.Event] = Stray.Noticed) -> Stray.Event:
    """An event of the throwaway aggregate."""
    return kind(
        originator_id=uuid4(), originator_version=2, timestamp=datetime.now(UTC), occurred_on=START
    )


class Counter:
    """A checker that counts the events each handler saw."""

    def __init__(self, findings: Findings) -> None:
        self.seen: list[str] = []

    def finish(self, last_day: int | None) -> Tally:
        return Tally()


def counting(name: str) -> Any:
    def handler(checker: Counter, cause: Cause, event: Any, day: int) -> None:
        checker.seen.append(name)

    return handler


def test_an_event_of_a_class_no_rule_decides_on_stops_the_check() -> None:
    """A new event class with neither a handler nor an explicit "no rule applies" makes
    check_rules raise UncheckedEvent naming the class, not pass unchecked."""
    with pytest.raises(UncheckedEvent, match=r"test_rule_dispatch\.Stray\.Noticed"):
        check_rules([(1, stray())])


def test_handlers_are_found_along_the_class_hierarchy() -> None:
    """A subclass of a handled class takes its handler; a subclass of a class no rule
    applies to is passed over; its own entry, when it has one, comes first."""
    family = RuleFamily(
        "stray",
        rules={},
        handlers={Stray.Noticed: counting("noticed"), Stray.Followed: counting("followed")},
    )
    book = RuleBook(families=(family,), no_rule=frozenset(), checker=Counter)
    dispatch = Dispatch([book], Findings(10))
    (checker,) = dispatch.checkers
    for kind in (Stray.Noticed, Stray.Followed):
        route = dispatch.route(kind)
        assert route is not None
        route[1](route[0], (1, uuid4(), kind.__qualname__), stray(kind), 1)
    assert isinstance(checker, Counter)
    assert checker.seen == ["noticed", "followed"]
    quiet = RuleBook(families=(), no_rule=frozenset({Stray.Noticed}), checker=Counter)
    assert Dispatch([quiet], Findings(10)).route(Stray.Followed) is None
    assert quiet.decides(Stray.Followed)
    assert not quiet.decides(Trajectory.Reviewed)


def test_a_rule_book_refuses_a_class_decided_twice_and_a_rule_declared_twice() -> None:
    """One decision per event class and one declaration per rule name, or the book is
    wrongly set up."""
    one = RuleFamily("one", rules={"r": "a rule"}, handlers={Stray.Noticed: counting("one")})
    other = RuleFamily("other", rules={}, handlers={Stray.Noticed: counting("other")})
    with pytest.raises(ConfigurationError, match="decided twice"):
        RuleBook(families=(one, other), no_rule=frozenset(), checker=Counter).handlers()
    with pytest.raises(ConfigurationError, match="decided twice"):
        RuleBook(families=(one,), no_rule=frozenset({Stray.Noticed}), checker=Counter).handlers()
    with pytest.raises(ConfigurationError, match="declared by two rule families"):
        RuleBook(
            families=(one, attrs.evolve(one, name="copy")), no_rule=frozenset(), checker=Counter
        )


def test_the_resource_pathway_registers_its_rule_book() -> None:
    """The registry holds the rule book; its rules are those the checker reports."""
    assert RESOURCE_PATHWAY.rules is RULE_BOOK
    assert set(RULES) == set(RULE_BOOK.rules) | {"future-date"}
    assert RULE_BOOK.no_rule == NO_RULE
    assert [family.name for family in RULE_BOOK.families] == [
        "caseload limits",
        "trajectory life",
        "citizens",
        "colleagues",
        "records",
    ]


def test_verify_takes_its_rules_from_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a registry whose rule book does not decide on reviews, verify stops at the
    first review: the rules it runs are the registry's."""
    families = tuple(
        attrs.evolve(
            family,
            handlers={k: h for k, h in family.handlers.items() if k is not Trajectory.Reviewed},
        )
        for family in RULE_BOOK.families
    )
    without_reviews = attrs.evolve(
        RESOURCE_PATHWAY, rules=attrs.evolve(RULE_BOOK, families=families)
    )
    with new_app() as app:
        o = office(app)
        assert app.verify().ok
        app.record_review(o.case, on=START, outcome=ReviewOutcome.CONTINUE)
        monkeypatch.setattr(caseload.programmes, "PROGRAMMES", (without_reviews,))
        with pytest.raises(UncheckedEvent, match=r"Trajectory\.Reviewed"):
            app.verify()

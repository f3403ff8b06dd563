"""`check_rules`: one pass over a log, every event sent to the rules of its programme.

The rules themselves belong to the programmes (each kind registers a `RuleBook`); this
module reads the log, keeps what every programme shares (the span of business dates, and
the one rule about dates that holds for every event), and gathers the report.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from eventsourcing.domain import DomainEvent

from caseload.audit.rules.dispatch import Dispatch, RuleBook
from caseload.audit.rules.report import Findings, RulesReport

__all__ = ["GENERAL_RULES", "check_rules", "registered_books"]

GENERAL_RULES: Mapping[str, str] = types.MappingProxyType(
    {"future-date": "no business date lies after the last day checked"}
)
"""The rules every event of every programme keeps, checked here rather than by a family."""


def registered_books() -> tuple[RuleBook, ...]:
    """The rule book of every programme kind in the registry (`caseload.programmes`)."""
    # Imported here: the programmes' rule families are built on this package.
    from caseload.programmes import PROGRAMMES

    return tuple(kind.rules for kind in PROGRAMMES)


def check_rules(
    events: Iterable[tuple[int, DomainEvent]],
    *,
    today: date | None = None,
    keep: int = 100,
    books: Sequence[RuleBook] | None = None,
) -> RulesReport:
    """Check every rule on every business date, in one pass over the log.

    `events` is the log in position order, as `Caseload.history()` yields it. Days are
    checked up to `today` if given (events dated after it break `future-date`), else up to
    the latest business date in the log; a verifier passes today, so that a breach that
    began after the log's latest business date (a lower limit taking effect) is found.
    The report keeps the first `keep` violations by position and counts them all.

    Each event goes to the rules of `books` (by default, those of every registered
    programme kind) that decide on its class; an event of a class that none decides on
    raises `UncheckedEvent` rather than pass unchecked.
    """
    findings = Findings(keep)
    dispatch = Dispatch(registered_books() if books is None else books, findings)
    limit = None if today is None else today.toordinal()
    checked = 0
    first_day = last_day = None
    for position, event in events:
        checked += 1
        route = dispatch.route(type(event))
        on = getattr(event, "occurred_on", None)
        if not isinstance(on, date):
            continue
        day = on.toordinal()
        if first_day is None or day < first_day:
            first_day = day
        if last_day is None or day > last_day:
            last_day = day
        cause = (position, event.originator_id, type(event).__qualname__)
        if limit is not None and day > limit:
            findings.report(
                "future-date",
                cause,
                day,
                None,
                f"future-date: {cause[2]} is dated {on}, after the last day checked, "
                f"{date.fromordinal(limit)}",
            )
        if route is not None:
            checker, handler = route
            handler(checker, cause, event, day)
    if limit is not None:
        last_day = limit
    tallies = [checker.finish(last_day) for checker in dispatch.checkers]
    return RulesReport(
        checked_events=checked,
        brokers=sum(tally.brokers for tally in tallies),
        trajectories=sum(tally.trajectories for tally in tallies),
        first_day=None if first_day is None else date.fromordinal(first_day),
        last_day=None if last_day is None else date.fromordinal(last_day),
        checked_broker_days=sum(tally.broker_days for tally in tallies),
        violations=findings.kept(),
        total_violations=findings.total,
        by_rule=tuple(sorted(findings.by_rule.items())),
    )

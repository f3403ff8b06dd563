"""The education programme's rules as `verify` checks them, on the shared rule engine.

`EducationRules` is the checker that keeps the programme's state while one log is read;
`RULE_BOOK` registers it with one rule family whose handlers cover every education event
class (`caseload.audit.rules`). The checks name ids, dates and numbers, never a pseudonym.
"""

from __future__ import annotations

import types
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.domain import DomainEvent

from caseload.audit.rules.dispatch import RuleBook, RuleFamily
from caseload.audit.rules.report import Findings, Tally
from caseload.programmes.education.domain.ambassador import Ambassador
from caseload.programmes.education.domain.eligibility import EligibilityTable
from caseload.programmes.education.domain.plan import EducationPlan
from caseload.programmes.education.domain.programme import MAX_TARGET, EducationProgramme
from caseload.programmes.education.domain.session import GuidanceSession
from caseload.programmes.education.domain.values import NOT_RELEVANT, Scheme

__all__ = ["EDUCATION_RULES", "RULE_BOOK", "EducationRules"]

EDUCATION_RULES: Mapping[str, str] = types.MappingProxyType(
    {
        "education-eligibility": "every scheme start is admitted by the rule it names, of the "
        "eligibility table in force when it was recorded, or carries an override reason",
        "one-scheme-at-a-time": "a plan starts a scheme only when none runs, and a completion "
        "or drop-out ends the scheme that runs",
        "plan-date-order": "a plan's starts and endings are in date order and not before it "
        "was drafted; its first contact is not after it was drafted, and no contact before it",
        "one-plan-per-citizen": "a citizen has one education plan",
        "ambassador-in-service": "plans are drafted and sessions held by an ambassador between "
        "the day they registered and the day they left",
        "visit-agreement": "every known visit to a session is a contact on the citizen's plan "
        "on the session's day, and every contact is such a visit",
        "valid-target": "a target is for a year of the programme's period and is a whole "
        "number of starts or not relevant",
        "known-education-aggregate": "every education event is about, and refers to, "
        "aggregates created once, earlier in the log",
    }
)
"""Every rule `EducationRules` checks: its stable name and what it says."""


@attrs.define
class _Plan:
    drafted_on: date
    first_contact_on: date
    running: Scheme | None = None
    latest: date | None = None
    """The day of the latest start or ending."""


@attrs.define
class _Ambassador:
    registered_on: date
    left_on: date | None = None


class EducationRules:
    """The checker's state while it reads one log (see the module's docstring)."""

    def __init__(self, findings: Findings) -> None:
        self.findings = findings
        self.table: EligibilityTable | None = None
        self.years: tuple[int, ...] = ()
        self.plans: dict[UUID, _Plan] = {}
        self.citizens: set[str] = set()
        self.ambassadors: dict[UUID, _Ambassador] = {}
        self.sessions: dict[UUID, date] = {}
        self.unmatched: Counter[tuple[UUID, UUID]] = Counter()
        self.first_unmatched: dict[tuple[UUID, UUID], tuple[int, DomainEvent]] = {}
        self.position = 0
        self.handlers: dict[type[Any], Callable[[Any], None]] = {
            EducationProgramme.Configured: self.configured,
            EducationProgramme.EligibilityReplaced: self.replaced,
            EducationProgramme.TargetSet: self.target_set,
            Ambassador.Registered: self.registered,
            Ambassador.Left: self.left,
            EducationPlan.Drafted: self.drafted,
            EducationPlan.SchemeStarted: self.started,
            EducationPlan.SchemeCompleted: self.ended,
            EducationPlan.DroppedOut: self.ended,
            EducationPlan.ContactRecorded: self.contact,
            GuidanceSession.Held: self.held,
            GuidanceSession.VisitRecorded: self.visited,
        }

    def __call__(self, position: int, event: DomainEvent) -> None:
        """Take the next event of the log."""
        handler = self.handlers.get(type(event))
        if handler is not None:
            self.position = position
            handler(event)

    # ------------------------------------------------------------- reporting

    def broken(self, rule: str, event: DomainEvent, text: str, position: int | None = None) -> None:
        """Note a violation of `rule` by `event` (at `position`, or the current one)."""
        day: date = getattr(event, "occurred_on", date.min)
        cause = (
            self.position if position is None else position,
            event.originator_id,
            type(event).__qualname__,
        )
        self.findings.report(rule, cause, day.toordinal(), None, f"{rule}: {text}")

    def finish(self, last_day: int | None) -> Tally:
        """What only the whole log shows: visits and contacts that never met."""
        for (session_id, plan_id), balance in sorted(self.unmatched.items(), key=str):
            if balance:
                position, event = self.first_unmatched[(session_id, plan_id)]
                side = (
                    "a visit with no contact on the plan"
                    if balance > 0
                    else "a contact with no visit"
                )
                self.broken(
                    "visit-agreement",
                    event,
                    f"session {session_id} and plan {plan_id} disagree: {side}",
                    position,
                )
        self.unmatched.clear()
        return Tally()

    # ------------------------------------------------------------- the programme

    def configured(self, event: EducationProgramme.Configured) -> None:
        """The programme's table and years."""
        self.table = event.eligibility
        self.years = tuple(range(event.period_start.year, event.period_end.year + 1))

    def replaced(self, event: EducationProgramme.EligibilityReplaced) -> None:
        """Later starts are checked against the new table."""
        if self.table is None:
            self.broken("known-education-aggregate", event, "no programme was configured first")
        self.table = event.eligibility

    def target_set(self, event: EducationProgramme.TargetSet) -> None:
        """A target decision must fit the programme."""
        value = event.value
        number = not isinstance(value, bool) and isinstance(value, int) and 0 <= value <= MAX_TARGET
        if event.year not in self.years or not (value is NOT_RELEVANT or number):
            self.broken(
                "valid-target",
                event,
                f"a target for {event.year} is not a year of the period {self.years} "
                "or not a number of starts from 0 up nor NOT_RELEVANT",
            )

    # ------------------------------------------------------------- ambassadors

    def registered(self, event: Ambassador.Registered) -> None:
        """An ambassador joined."""
        self.ambassadors[event.originator_id] = _Ambassador(event.occurred_on)

    def left(self, event: Ambassador.Left) -> None:
        """An ambassador left."""
        found = self.ambassadors.get(event.originator_id)
        if found is None:
            self.broken("known-education-aggregate", event, "the ambassador was never registered")
            return
        found.left_on = event.occurred_on

    def in_service(self, event: DomainEvent, ambassador_id: UUID, on: date) -> None:
        """The ambassador acting on `on` must be registered and not yet gone."""
        found = self.ambassadors.get(ambassador_id)
        if found is None:
            self.broken(
                "known-education-aggregate", event, f"ambassador {ambassador_id} is unknown"
            )
        elif on < found.registered_on or (found.left_on is not None and on > found.left_on):
            self.broken(
                "ambassador-in-service",
                event,
                f"ambassador {ambassador_id} acted on {on}, outside their service from "
                f"{found.registered_on} to {found.left_on or 'now'}",
            )

    # ------------------------------------------------------------- plans

    def drafted(self, event: EducationPlan.Drafted) -> None:
        """A plan: one per citizen, its id derived from the pseudonym."""
        if self.table is None:
            self.broken("known-education-aggregate", event, "no programme was configured first")
        if event.citizen in self.citizens or event.originator_id in self.plans:
            self.broken("one-plan-per-citizen", event, "the citizen has a plan already")
        if event.originator_id != EducationPlan.create_id(event.citizen):
            self.broken(
                "one-plan-per-citizen", event, "the plan's id is not the one of its citizen"
            )
        if event.first_contact_on > event.occurred_on:
            self.broken(
                "plan-date-order",
                event,
                f"the first contact, {event.first_contact_on}, is after the plan was drafted",
            )
        self.citizens.add(event.citizen)
        self.in_service(event, event.ambassador_id, event.occurred_on)
        self.plans[event.originator_id] = _Plan(event.occurred_on, event.first_contact_on)

    def plan(self, event: DomainEvent) -> _Plan | None:
        """The plan an event is about (a violation when there is none)."""
        found = self.plans.get(event.originator_id)
        if found is None:
            self.broken("known-education-aggregate", event, "the plan was never drafted")
        return found

    def in_order(self, event: DomainEvent, plan: _Plan, on: date) -> None:
        """Starts and endings of a plan are in date order, from the drafting on."""
        if on < plan.drafted_on or (plan.latest is not None and on < plan.latest):
            self.broken(
                "plan-date-order",
                event,
                f"dated {on}, before the plan was drafted ({plan.drafted_on}) or before its "
                f"latest start or ending ({plan.latest})",
            )
        plan.latest = max(on, plan.latest or on)

    def started(self, event: EducationPlan.SchemeStarted) -> None:
        """A start: none running, in order, and eligible or overridden."""
        plan = self.plan(event)
        if plan is None:
            return
        if plan.running is not None:
            self.broken("one-scheme-at-a-time", event, "the plan already runs a scheme")
        self.in_order(event, plan, event.occurred_on)
        plan.running = event.scheme
        self.eligible(event)

    def eligible(self, event: EducationPlan.SchemeStarted) -> None:
        """The named rule admits the start, or an override reason is recorded."""
        if event.rule is None:
            if not (isinstance(event.override, str) and event.override.strip()):
                self.broken(
                    "education-eligibility", event, "the start names no rule and no override"
                )
            return
        rule = None if self.table is None else self.table.rule(event.rule)
        if (
            rule is None
            or rule.scheme is not event.scheme
            or not rule.admits(
                event.target_group, event.age, event.on_positive_list, event.occurred_on
            )
        ):
            table = None if self.table is None else self.table.name
            self.broken(
                "education-eligibility",
                event,
                f"rule {event.rule!r} of eligibility table {table!r} does not admit the start",
            )

    def ended(self, event: EducationPlan.SchemeCompleted | EducationPlan.DroppedOut) -> None:
        """An ending ends the running scheme, in order."""
        plan = self.plan(event)
        if plan is None:
            return
        if plan.running is not event.scheme:
            self.broken("one-scheme-at-a-time", event, "it ends a scheme the plan does not run")
        self.in_order(event, plan, event.occurred_on)
        plan.running = None

    def contact(self, event: EducationPlan.ContactRecorded) -> None:
        """A contact: from the first contact on, matched by a visit on the session's day."""
        plan = self.plan(event)
        if plan is not None and event.occurred_on < plan.first_contact_on:
            self.broken(
                "plan-date-order",
                event,
                f"a contact on {event.occurred_on} is before the plan's first contact",
            )
        held = self.sessions.get(event.session_id)
        if held is not None and held != event.occurred_on:
            self.broken("visit-agreement", event, f"session {event.session_id} was held on {held}")
        self.balance(event.session_id, event.originator_id, -1, event)

    # ------------------------------------------------------------- sessions

    def held(self, event: GuidanceSession.Held) -> None:
        """A session by an ambassador in service."""
        self.in_service(event, event.ambassador_id, event.occurred_on)
        self.sessions[event.originator_id] = event.occurred_on

    def visited(self, event: GuidanceSession.VisitRecorded) -> None:
        """A visit to a known session; a known citizen's comes with a contact."""
        if event.originator_id not in self.sessions:
            self.broken("known-education-aggregate", event, "the session was never held")
        if event.plan_id is not None:
            if event.plan_id not in self.plans:
                self.broken(
                    "known-education-aggregate", event, f"plan {event.plan_id} was never drafted"
                )
            self.balance(event.originator_id, event.plan_id, +1, event)

    def balance(self, session_id: UUID, plan_id: UUID, side: int, event: DomainEvent) -> None:
        """Visits count up and contacts down; each pair must end at zero."""
        key = (session_id, plan_id)
        self.unmatched[key] += side
        if self.unmatched[key]:
            self.first_unmatched.setdefault(key, (self.position, event))
        else:
            self.first_unmatched.pop(key, None)


def _check(
    checker: EducationRules, cause: tuple[int, UUID, str], event: DomainEvent, _: int
) -> None:
    checker(cause[0], event)


RULE_BOOK = RuleBook(
    families=(
        RuleFamily(
            name="education",
            rules=EDUCATION_RULES,
            handlers=dict.fromkeys(
                (
                    EducationProgramme.Configured,
                    EducationProgramme.EligibilityReplaced,
                    EducationProgramme.TargetSet,
                    Ambassador.Registered,
                    Ambassador.Left,
                    EducationPlan.Drafted,
                    EducationPlan.SchemeStarted,
                    EducationPlan.SchemeCompleted,
                    EducationPlan.DroppedOut,
                    EducationPlan.ContactRecorded,
                    GuidanceSession.Held,
                    GuidanceSession.VisitRecorded,
                ),
                _check,
            ),
        ),
    ),
    no_rule=frozenset(
        {
            # History from before the programme: counts, as the seed gives them.
            EducationProgramme.BaselineRecorded,
            # The check value of the store's pseudonym key: nothing to keep to.
            EducationProgramme.PseudonymKeyRegistered,
        }
    ),
    checker=EducationRules,
)
"""The education programme's rules, as its `ProgrammeKind` registers them."""

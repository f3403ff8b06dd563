"""The rule family about colleagues without a caseload: in service when they make contacts.

A colleague's contacts lie between their registration and their leaving; a colleague is
registered once, leaves once, and not before registering or before a contact of theirs.
The trajectory-life family hands contacts by a registered colleague here, and those by
anyone else to its broker checks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import attrs

from caseload.audit.rules import RuleFamily
from caseload.programmes.resource_pathway.domain.colleague import Colleague
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

__all__ = ["COLLEAGUES", "COLLEAGUE_RULES", "ColleagueChecks"]

COLLEAGUE_RULES: dict[str, str] = {
    "colleague-in-service": "a contact by a colleague is made between their registration "
    "and their leaving, and a colleague leaves once, not before registering",
}
"""The rules this module checks, by stable name."""

Cause = tuple[int, UUID, str]
"""The event a finding points at: (log position, aggregate id, event type)."""
Report = Callable[[str, Cause, int, UUID | None, str], None]
"""How a finding is reported: (rule, cause, day, broker, message)."""


def _d(day: int) -> date:
    return date.fromordinal(day)


@attrs.define
class _ColleagueState:
    registered_on: int
    left_on: int | None = None
    last_contact_on: int | None = None


class ColleagueChecks:
    """The colleagues seen so far in one pass over the log, and the checks on their events."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.colleagues: dict[UUID, _ColleagueState] = {}

    def knows(self, who: UUID) -> bool:
        """Whether `who` is a colleague registered earlier in the log."""
        return who in self.colleagues

    def registered(self, cause: Cause, event: Colleague.Registered, day: int) -> None:
        """A colleague is registered once."""
        if event.originator_id in self.colleagues:
            self.report(
                "known-aggregate",
                cause,
                day,
                None,
                f"known-aggregate: colleague {event.originator_id} is registered a second time",
            )
            return
        self.colleagues[event.originator_id] = _ColleagueState(registered_on=day)

    def left(self, cause: Cause, event: Colleague.Left, day: int) -> None:
        """A registered colleague leaves once, not before registering nor before a contact."""
        colleague_id = event.originator_id
        colleague = self.colleagues.get(colleague_id)
        if colleague is None:
            self.report(
                "known-aggregate",
                cause,
                day,
                None,
                f"known-aggregate: colleague {colleague_id} leaves on {_d(day)}, but the log "
                "has not registered them before it",
            )
            return
        problem = None
        if colleague.left_on is not None:
            problem = f"left on {_d(day)} after leaving on {_d(colleague.left_on)}"
        elif day < colleague.registered_on:
            problem = f"left on {_d(day)}, before being registered on {_d(colleague.registered_on)}"
        elif colleague.last_contact_on is not None and colleague.last_contact_on > day:
            problem = (
                f"left on {_d(day)}, but a contact by them is recorded on "
                f"{_d(colleague.last_contact_on)}"
            )
        if problem is not None:
            self.report(
                "colleague-in-service",
                cause,
                day,
                None,
                f"colleague-in-service: colleague {colleague_id} {problem}",
            )
        if colleague.left_on is None:
            colleague.left_on = day

    def contact(self, cause: Cause, event: Trajectory.ContactRecorded, day: int) -> None:
        """A contact by a registered colleague lies within their time in service."""
        colleague = self.colleagues[event.by]
        if colleague.last_contact_on is None or day > colleague.last_contact_on:
            colleague.last_contact_on = day
        if day < colleague.registered_on:
            when = f"was registered on {_d(colleague.registered_on)}"
        elif colleague.left_on is not None and day > colleague.left_on:
            when = f"left on {_d(colleague.left_on)}"
        else:
            return
        self.report(
            "colleague-in-service",
            cause,
            day,
            None,
            f"colleague-in-service: a contact on {_d(day)} by colleague {event.by}, who {when}",
        )


def _registered(check: Any, cause: Cause, event: Colleague.Registered, day: int) -> None:
    check.colleagues.registered(cause, event, day)


def _left(check: Any, cause: Cause, event: Colleague.Left, day: int) -> None:
    check.colleagues.left(cause, event, day)


COLLEAGUES = RuleFamily(
    "colleagues",
    rules=COLLEAGUE_RULES,
    handlers={Colleague.Registered: _registered, Colleague.Left: _left},
)
"""The colleagues' family (their contacts come through the trajectory-life family)."""

"""The colleague aggregate (kollega): a caseworker who exercises roles for citizens but holds
no caseload, such as the employment caseworker (beskæftigelsesfaglig medarbejder) who keeps
the authority role while the roles are still split at the start of the programme."""

from __future__ import annotations

from datetime import date

from eventsourcing.domain import Aggregate

from caseload.domain.copying import ImmutableMembers
from caseload.domain.errors import ColleagueHasLeft, ColleagueNotYetRegistered
from caseload.domain.events import event

__all__ = ["Colleague"]


class Colleague(ImmutableMembers, Aggregate):
    """A colleague (kollega) who makes contacts with citizens but is never assigned a case.

    Colleagues have no caseload, no limit and no FTE in staffing: they count for the roles
    a citizen gets from anyone, never for the roles the assigned broker covers alone. A
    colleague's contacts lie between their registration and their leaving.
    """

    class Event(Aggregate.Event):
        """Base of colleague events: each carries the business date it happened."""

        occurred_on: date

    class Registered(Event, Aggregate.Created):
        """The colleague began working with the programme's citizens."""

        name: str
        team: str

    class Left(Event):
        """The colleague stopped working with the programme's citizens."""

    @event(Registered)
    def __init__(self, name: str, team: str, occurred_on: date) -> None:
        self.name = name
        self.team = team
        self.registered_on = occurred_on
        self.left_on: date | None = None

    def check_in_service(self, on: date, doing: str) -> None:
        """Refuse what the colleague does on `on` unless they were registered and had not left."""
        if on < self.registered_on:
            raise ColleagueNotYetRegistered(
                f"cannot {doing} on {on}: colleague {self.id} was registered on "
                f"{self.registered_on}, {(self.registered_on - on).days} day(s) later"
            )
        if self.left_on is not None and on > self.left_on:
            raise ColleagueHasLeft(
                f"cannot {doing} on {on}: colleague {self.id} left on {self.left_on}, "
                f"{(on - self.left_on).days} day(s) earlier"
            )

    def leave(self, on: date) -> None:
        """Stop working with the programme's citizens, once, not before registering."""
        if self.left_on is not None:
            raise ColleagueHasLeft(
                f"colleague {self.id} cannot leave on {on}: they left on {self.left_on}"
            )
        if on < self.registered_on:
            raise ColleagueNotYetRegistered(
                f"colleague {self.id} cannot leave on {on}: they were registered on "
                f"{self.registered_on}"
            )
        self._left(occurred_on=on)

    @event(Left)
    def _left(self, occurred_on: date) -> None:
        self.left_on = occurred_on

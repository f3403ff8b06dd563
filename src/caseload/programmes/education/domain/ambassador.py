"""The education ambassador (uddannelsesambassadør): staff of the programme, with no caseload."""

from __future__ import annotations

from datetime import date

from eventsourcing.domain import Aggregate

from caseload.domain.copying import ImmutableMembers
from caseload.domain.errors import AmbassadorHasLeft, DateOutOfRange
from caseload.domain.events import event

__all__ = ["Ambassador"]


class Ambassador(ImmutableMembers, Aggregate):
    """An education ambassador: drafts plans and holds drop-in and booked sessions.

    Ambassadors are not brokers: they hold no cases and no caseload limit applies to them,
    so the resource-pathway programme's caseload and staffing never count them.
    """

    class Event(Aggregate.Event):
        """Base of ambassador events: each carries the business date it happened."""

        occurred_on: date

    class Registered(Event, Aggregate.Created):
        """The ambassador joined the programme."""

        name: str
        team: str

    class Left(Event):
        """The ambassador left the programme."""

    @event(Registered)
    def __init__(self, name: str, team: str, occurred_on: date) -> None:
        self.name = name
        self.team = team
        self.registered_on = occurred_on
        self.left_on: date | None = None

    def check_can_act(self, on: date, doing: str) -> None:
        """An ambassador acts from the day they registered until the day they left."""
        if on < self.registered_on:
            raise DateOutOfRange(
                f"cannot {doing} on {on}: ambassador {self.id} was registered on "
                f"{self.registered_on}"
            )
        if self.left_on is not None and on > self.left_on:
            raise AmbassadorHasLeft(
                f"cannot {doing} on {on}: ambassador {self.id} left on {self.left_on}"
            )

    def leave(self, on: date, latest_act: date | None) -> None:
        """Leave on `on`: once, not before registering nor before their latest act."""
        if self.left_on is not None:
            raise AmbassadorHasLeft(f"ambassador {self.id} left on {self.left_on} already")
        if on < self.registered_on:
            raise DateOutOfRange(
                f"ambassador {self.id} was registered on {self.registered_on}; they cannot "
                f"leave on {on}, before it"
            )
        if latest_act is not None and on < latest_act:
            raise DateOutOfRange(
                f"ambassador {self.id} drafted a plan or held a session on {latest_act}, after "
                f"{on}; they cannot have left before it"
            )
        self._left(occurred_on=on)

    @event(Left)
    def _left(self, occurred_on: date) -> None:
        self.left_on = occurred_on

"""Drop-in hours and booked guidance sessions of an ambassador, and who came to them."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate

from caseload.domain.copying import ImmutableMembers
from caseload.domain.errors import InvalidValue
from caseload.domain.events import event
from caseload.programmes.education.domain.values import SessionKind

__all__ = ["MAX_VISITS", "GuidanceSession"]

MAX_VISITS = 500
"""No single record counts more anonymous visits than this."""


class GuidanceSession(ImmutableMembers, Aggregate):
    """One session: open drop-in hours (åben træffetid) or a booked guidance session.

    A visit is anonymous (counted, nobody named) or by a known citizen, whose plan then
    records the contact in the same write. Visits are dated on the session's day.
    """

    class Event(Aggregate.Event):
        """Base of session events: each carries the business date (the session's day)."""

        occurred_on: date

    class Held(Event, Aggregate.Created):
        """An ambassador held a session at a place."""

        kind: SessionKind
        place: str
        ambassador_id: UUID

    class VisitRecorded(Event):
        """Citizens came: `count` anonymous visitors, or one known citizen with `plan_id`."""

        plan_id: UUID | None
        count: int

    @event(Held)
    def __init__(
        self, kind: SessionKind, place: str, ambassador_id: UUID, occurred_on: date
    ) -> None:
        self.kind = kind
        self.place = place
        self.ambassador_id = ambassador_id
        self.held_on = occurred_on
        self.visitors: set[UUID] = set()
        self.visits = 0

    def record_visit(self, plan_id: UUID | None, count: int) -> None:
        """Count `count` anonymous visits, or the visit of the citizen with plan `plan_id`
        (once per session)."""
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_VISITS:
            raise InvalidValue(
                f"a visit record counts from 1 to {MAX_VISITS} anonymous visitors (a whole number)"
            )
        if plan_id is not None and count != 1:
            raise InvalidValue("a known citizen's visit counts 1 visitor")
        if plan_id is not None and plan_id in self.visitors:
            raise InvalidValue(
                f"plan {plan_id}'s visit to session {self.id} is recorded already; a citizen's "
                "visit to a session counts once"
            )
        self._visit_recorded(plan_id=plan_id, count=count, occurred_on=self.held_on)

    @event(VisitRecorded)
    def _visit_recorded(self, plan_id: UUID | None, count: int, occurred_on: date) -> None:
        if plan_id is not None:
            self.visitors.add(plan_id)
        self.visits += count

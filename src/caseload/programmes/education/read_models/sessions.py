"""Drop-in hours and booked guidance sessions, and the visits to them, folded from the log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
from eventsourcing.domain import DomainEvent

from caseload.programmes.education.domain.values import SessionKind
from caseload.projections.base import Entries, Handler, ReadModel, hex_of, uid
from caseload.projections.entities import EntityMap, as_entity_map
from caseload.projections.stored_entries import entities

if TYPE_CHECKING:
    from caseload.programmes.education.domain.session import GuidanceSession

__all__ = ["SessionRecord", "SessionsModel", "SessionsState", "project_sessions", "week_of"]


def week_of(on: date) -> str:
    """The ISO week of a date as "YYYY-Www" (weeks begin on Monday)."""
    year, week, _ = on.isocalendar()
    return f"{year:04d}-W{week:02d}"


@attrs.define
class SessionRecord:
    """One session: its kind, day and ambassador, and how many came."""

    kind: SessionKind
    held_on: date
    ambassador: UUID
    anonymous: int = 0
    known: int = 0


@attrs.define
class SessionsState:
    """Every session by id."""

    sessions: dict[UUID, SessionRecord] = attrs.field(factory=EntityMap, converter=as_entity_map)


def _held(state: SessionsState, event: GuidanceSession.Held) -> None:
    state.sessions[event.originator_id] = SessionRecord(
        kind=event.kind, held_on=event.occurred_on, ambassador=event.ambassador_id
    )


def _visited(state: SessionsState, event: GuidanceSession.VisitRecorded) -> None:
    session = state.sessions[event.originator_id]
    if event.plan_id is None:
        session.anonymous += event.count
    else:
        session.known += event.count


def _encode(session: SessionRecord) -> Any:
    return [
        session.kind,
        session.held_on,
        hex_of(session.ambassador),
        session.anonymous,
        session.known,
    ]


class SessionsModel(ReadModel[SessionsState]):
    """The sessions read model: drop-in and booked sessions with their visits."""

    name = "education_sessions"
    version = 1

    def initial(self) -> SessionsState:
        return SessionsState()

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        # The aggregate is imported when events are first folded: reading a stored
        # state needs none of it.
        from caseload.programmes.education.domain.session import GuidanceSession

        return {GuidanceSession.Held: _held, GuidanceSession.VisitRecorded: _visited}

    def encode(self, state: SessionsState) -> Any:
        return {"sessions": Entries(state.sessions, hex_of, _encode)}

    def decode(self, data: Any) -> SessionsState:
        return SessionsState(sessions=entities(data["sessions"], uid, _decode))


def _decode(value: Any) -> SessionRecord:
    kind, held, ambassador, anonymous, known = value
    return SessionRecord(
        kind=SessionKind(kind),
        held_on=date.fromisoformat(held),
        ambassador=uid(ambassador),
        anonymous=int(anonymous),
        known=int(known),
    )


def project_sessions(
    events: Iterable[DomainEvent], *, as_true_on: date | None = None
) -> SessionsState:
    """Fold events into a sessions state, keeping only facts true on `as_true_on` if given."""
    return SessionsModel().project(events, as_true_on=as_true_on)

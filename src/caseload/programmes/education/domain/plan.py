"""The education plan (uddannelsesplan): one complete plan per citizen, and the schemes it runs."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from caseload.domain.copying import ImmutableMembers
from caseload.domain.errors import (
    DateOutOfRange,
    InvalidValue,
    NoSchemeRunning,
    NotEligible,
    SchemeAlreadyRunning,
)
from caseload.domain.events import event
from caseload.domain.personal import Sealed
from caseload.programmes.education.domain.eligibility import EligibilityTable, scheme_label
from caseload.programmes.education.domain.values import (
    DropOutReason,
    Financing,
    Scheme,
    SessionKind,
    TargetGroup,
)

__all__ = ["EducationPlan"]

_PLAN_NAMESPACE = UUID("9a4e7f12-58c3-4d0b-a6e9-1f3b2c7d8e54")


class EducationPlan(ImmutableMembers, Aggregate):
    """A citizen's education plan, known by pseudonym only, and the schemes it starts.

    Its id is derived from the citizen's pseudonym, so a citizen has one plan in the
    programme and two writers drafting one at once collide. A plan runs one scheme at a
    time (basic skills first, then an education lift, say); each start is checked against
    the eligibility table, or carries the override reason a service recorded.
    """

    class Event(Aggregate.Event):
        """Base of plan events: each carries the business date it happened."""

        occurred_on: date

    class Drafted(Event, Aggregate.Created):
        """The plan was drafted with the citizen: job prospect, education, dates, place and
        financing, by an ambassador, after a first contact on `first_contact_on`.

        Version 2 added `note`, the plan's free text sealed under the citizen's data key
        (None when none was given, and in every version-1 event).
        """

        class_version = 2

        citizen: str
        ambassador_id: UUID
        target_group: TargetGroup
        job_prospect: str
        education: str
        on_positive_list: bool
        planned_start: date
        planned_end: date
        place: str
        financing: Financing
        first_contact_on: date
        note: Sealed | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """A version-1 plan carried no note."""
            state["note"] = None

    class SchemeStarted(Event):
        """The citizen started a scheme, admitted by eligibility rule `rule`, or by an
        override whose reason is `override`."""

        scheme: Scheme
        target_group: TargetGroup
        age: int
        on_positive_list: bool
        provider: str
        rule: str | None
        override: str | None

    class SchemeCompleted(Event):
        """The citizen completed the running scheme."""

        scheme: Scheme

    class DroppedOut(Event):
        """The citizen left the running scheme before completing it (frafald)."""

        scheme: Scheme
        reason: DropOutReason

    class ContactRecorded(Event):
        """The citizen came to a drop-in or booked session of an ambassador."""

        session_id: UUID
        kind: SessionKind
        ambassador_id: UUID

    @staticmethod
    def create_id(citizen: str, **_: object) -> UUID:
        """The plan's id, derived from the citizen's pseudonym."""
        return uuid5(_PLAN_NAMESPACE, citizen)

    @event(Drafted)
    def __init__(
        self,
        citizen: str,
        ambassador_id: UUID,
        target_group: TargetGroup,
        job_prospect: str,
        education: str,
        on_positive_list: bool,
        planned_start: date,
        planned_end: date,
        place: str,
        financing: Financing,
        first_contact_on: date,
        occurred_on: date,
        note: Sealed | None = None,
    ) -> None:
        self.citizen = citizen
        self.ambassador_id = ambassador_id
        self.target_group = target_group
        self.education = education
        self.on_positive_list = on_positive_list
        self.drafted_on = occurred_on
        self.first_contact_on = first_contact_on
        self.running: Scheme | None = None
        self.started_on: date | None = None
        self.ended_on: date | None = None
        self.schemes: list[Scheme] = []

    def start(
        self,
        scheme: Scheme,
        target_group: TargetGroup,
        age: int,
        provider: str,
        on: date,
        table: EligibilityTable,
        override: str | None,
    ) -> None:
        """Start `scheme` on `on`, if eligible under `table` or with an override reason."""
        if self.running is not None:
            raise SchemeAlreadyRunning(
                f"plan {self.id} runs the {scheme_label(self.running)} since {self.started_on}; "
                "a plan runs 1 scheme at a time: record its completion or drop-out first"
            )
        if on < self.drafted_on:
            raise DateOutOfRange(
                f"plan {self.id} was drafted on {self.drafted_on}; a scheme cannot start on {on}, "
                "before it"
            )
        if self.ended_on is not None and on < self.ended_on:
            raise DateOutOfRange(
                f"plan {self.id}'s previous scheme ended on {self.ended_on}; the next cannot "
                f"start on {on}, before it"
            )
        try:
            rule: str | None = table.decide(
                scheme, target_group, age, self.on_positive_list, on
            ).name
        except NotEligible:
            if override is None:
                raise
            rule = None
        else:
            if override is not None:
                raise InvalidValue(
                    f"an eligibility override is recorded only for a start the rules refuse; "
                    f"rule {rule!r} of table {table.name!r} admits this one"
                ) from None
        self._scheme_started(
            scheme=scheme,
            target_group=target_group,
            age=age,
            on_positive_list=self.on_positive_list,
            provider=provider,
            rule=rule,
            override=override,
            occurred_on=on,
        )

    @event(SchemeStarted)
    def _scheme_started(
        self,
        scheme: Scheme,
        target_group: TargetGroup,
        age: int,
        on_positive_list: bool,
        provider: str,
        rule: str | None,
        override: str | None,
        occurred_on: date,
    ) -> None:
        self.running = scheme
        self.started_on = occurred_on
        self.schemes.append(scheme)

    def _check_ending(self, on: date, doing: str) -> Scheme:
        if self.running is None or self.started_on is None:
            raise NoSchemeRunning(f"cannot {doing}: plan {self.id} runs no scheme")
        if on < self.started_on:
            raise DateOutOfRange(
                f"cannot {doing} on {on}: plan {self.id}'s {scheme_label(self.running)} started "
                f"on {self.started_on}"
            )
        return self.running

    def complete(self, on: date) -> None:
        """The running scheme was completed on `on`."""
        scheme = self._check_ending(on, "record a completion")
        self._completed(scheme=scheme, occurred_on=on)

    @event(SchemeCompleted)
    def _completed(self, scheme: Scheme, occurred_on: date) -> None:
        self.running = None
        self.ended_on = occurred_on

    def drop_out(self, reason: DropOutReason, on: date) -> None:
        """The citizen left the running scheme on `on`."""
        scheme = self._check_ending(on, "record a drop-out")
        self._dropped_out(scheme=scheme, reason=reason, occurred_on=on)

    @event(DroppedOut)
    def _dropped_out(self, scheme: Scheme, reason: DropOutReason, occurred_on: date) -> None:
        self.running = None
        self.ended_on = occurred_on

    def record_contact(
        self, session_id: UUID, kind: SessionKind, ambassador_id: UUID, on: date
    ) -> None:
        """The citizen came to a session on `on` (not before their first contact)."""
        if on < self.first_contact_on:
            raise DateOutOfRange(
                f"plan {self.id} records a first contact on {self.first_contact_on}; a session "
                f"on {on} would come before it"
            )
        self._contact_recorded(
            session_id=session_id, kind=kind, ambassador_id=ambassador_id, occurred_on=on
        )

    @event(ContactRecorded)
    def _contact_recorded(
        self, session_id: UUID, kind: SessionKind, ambassador_id: UUID, occurred_on: date
    ) -> None:
        pass

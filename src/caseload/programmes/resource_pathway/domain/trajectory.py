"""The trajectory aggregate (borgerforløb): one citizen's course through the programme."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from caseload.domain.copying import ImmutableMembers
from caseload.domain.errors import (
    AlreadyAssigned,
    DateOutOfRange,
    InvalidContact,
    InvalidPlacement,
    InvalidScores,
    InvalidValue,
    NotAssigned,
    TrajectoryClosed,
)
from caseload.domain.events import event
from caseload.domain.personal import Sealed
from caseload.programmes.resource_pathway.domain.values import (
    Channel,
    ClosureReason,
    EmployerActivityKind,
    IndicatorSet,
    PathwayKind,
    Placement,
    PlacementKind,
    ReviewOutcome,
    Role,
    Scores,
)

__all__ = ["MAX_HOURS_PER_WEEK", "Trajectory", "validated_placement", "validated_scores"]


MAX_HOURS_PER_WEEK = 37
"""Full time: no placement has more paid hours per week."""


def validated_placement(kind: object, hours_per_week: object) -> Placement:
    """A `Placement`, or `InvalidPlacement` when the hours do not fit the kind. The message
    names the rule and the type given, never the value."""
    if not isinstance(kind, PlacementKind):
        raise InvalidPlacement(
            f"a placement kind must be one of PlacementKind."
            f"{{{', '.join(k.name for k in PlacementKind)}}}; got a {type(kind).__name__}"
        )
    if hours_per_week is not None and (
        isinstance(hours_per_week, bool) or not isinstance(hours_per_week, int | float)
    ):
        raise InvalidPlacement(
            f"paid hours per week must be a number (int or float); "
            f"got a {type(hours_per_week).__name__}"
        )
    if kind is PlacementKind.ORDINARY_JOB and hours_per_week is None:
        raise InvalidPlacement("an ordinary job needs paid hours per week above 0; got none")
    if kind is PlacementKind.EDUCATION and hours_per_week is not None:
        raise InvalidPlacement("an education placement has no paid hours; got a number")
    if hours_per_week is not None and not 0 < hours_per_week <= MAX_HOURS_PER_WEEK:
        raise InvalidPlacement(
            f"paid hours per week must be above 0 and at most {MAX_HOURS_PER_WEEK} (full "
            "time); got a number outside that range"
        )
    return Placement(kind=kind, hours_per_week=hours_per_week)


def validated_scores(scores: object, indicators: IndicatorSet) -> Scores:
    """`Scores` on known indicators within the scale, or `InvalidScores`. The message names
    the programme's indicators and scale, never a name or score it was given."""
    if not isinstance(scores, dict) or not scores:
        raise InvalidScores("progression needs at least one indicator score, as a dict")
    unknown = sum(1 for name in scores if name not in indicators.names)
    if unknown:
        raise InvalidScores(
            f"{unknown} of the {len(scores)} indicator name(s) given is not measured by the "
            f"programme, which measures {', '.join(indicators.names)}"
        )
    scale = (
        f"a whole number on the programme's scale, {indicators.min_score} to {indicators.max_score}"
    )
    for score in scores.values():
        if isinstance(score, bool) or not isinstance(score, int):
            raise InvalidScores(f"each score is {scale}; got a {type(score).__name__}")
        if not indicators.min_score <= score <= indicators.max_score:
            raise InvalidScores(f"each score is {scale}; got a number outside it")
    return Scores(scores)


class Trajectory(ImmutableMembers, Aggregate):
    """A citizen's trajectory (borgerforløb), from opening to closure.

    Holds the citizen's pseudonym, never the CPR number. Nothing is recorded before it
    opened or after it closed; assignments and transfers are kept in date order.
    """

    class Event(Aggregate.Event):
        """Base of trajectory events: each carries the business date it happened."""

        occurred_on: date

    class Opened(Event, Aggregate.Created):
        """The trajectory opened for a citizen (pseudonym) on a pathway.

        Version 2 added `personal`: the citizen's name, phone and address sealed under
        their data key (None when none was given, and in every version-1 event).
        """

        class_version = 2

        citizen: str
        pathway: PathwayKind
        personal: Sealed | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """A version-1 opening carried no personal data."""
            state["personal"] = None

    class Assigned(Event):
        """The trajectory got its broker."""

        broker_id: UUID

    class Transferred(Event):
        """The trajectory moved from one broker to another."""

        from_broker_id: UUID
        to_broker_id: UUID

    class ContactRecorded(Event):
        """A contact took place, exercising one or more roles.

        Version 2 added `channel`; contacts stored in version 1 read as `Channel.UNKNOWN`.
        Version 3 added `note`, the caseworker's note sealed under the citizen's data key
        (None when none was given, and in earlier versions).
        """

        class_version = 3

        roles: frozenset[Role]
        channel: Channel
        by: UUID
        note: Sealed | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """A version-1 contact had no channel: it is read as unknown."""
            state["channel"] = Channel.UNKNOWN

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """A version-2 contact carried no note."""
            state["note"] = None

    class ProgressMeasured(Event):
        """Progression indicators were scored."""

        scores: Scores

    class JobPlaced(Event):
        """The citizen was placed in a job, a flex job or education."""

        placement: Placement

    class Reviewed(Event):
        """Management reviewed the case (sagssparring)."""

        outcome: ReviewOutcome

    class EmployerActivityStarted(Event):
        """The citizen started an employer-directed activity (virksomhedsrettet indsats)
        on `occurred_on`: a company internship, a wage-subsidy job or another activity at
        a company. `ends_on` is its planned last day when known (the decision usually
        names the period; it may lie in the future), else None: it runs until closure."""

        kind: EmployerActivityKind
        ends_on: date | None

    class Closed(Event):
        """The trajectory closed."""

        reason: ClosureReason

    @event(Opened)
    def __init__(
        self,
        citizen: str,
        pathway: PathwayKind,
        occurred_on: date,
        personal: Sealed | None = None,
    ) -> None:
        self.citizen = citizen
        self.pathway = pathway
        self.opened_on = occurred_on
        self.latest_on = occurred_on
        self.latest_assignment_on = occurred_on
        self.broker_id: UUID | None = None
        self.closed_on: date | None = None
        self.closure_reason: ClosureReason | None = None

    @property
    def is_open(self) -> bool:
        """True until the trajectory is closed."""
        return self.closed_on is None

    def _check_fact_date(self, on: date, doing: str) -> None:
        """A fact about the citizen may be registered late, even after closure, as long as
        it happened within the trajectory's life (from opening to closure day)."""
        if self.closed_on is not None and on > self.closed_on:
            raise TrajectoryClosed(
                f"cannot {doing} on {on}: trajectory {self.id} closed on {self.closed_on}, "
                "and nothing is recorded after a trajectory's closure"
            )
        if on < self.opened_on:
            raise DateOutOfRange(
                f"cannot {doing} on {on}: trajectory {self.id} opened on {self.opened_on}"
            )

    def _check_open(self, on: date, doing: str) -> None:
        if self.closed_on is not None:
            raise TrajectoryClosed(
                f"cannot {doing}: trajectory {self.id} closed on {self.closed_on} "
                f"({self.closure_reason.value if self.closure_reason else 'no reason'})"
            )
        if on < self.opened_on:
            raise DateOutOfRange(
                f"cannot {doing} on {on}: trajectory {self.id} opened on {self.opened_on}"
            )

    def _check_assignment_order(self, on: date, doing: str) -> None:
        if on < self.latest_assignment_on:
            raise DateOutOfRange(
                f"cannot {doing} on {on}: trajectory {self.id} changed broker on "
                f"{self.latest_assignment_on}, and assignments are kept in date order"
            )

    def assign(self, broker_id: UUID, on: date) -> None:
        """Give the trajectory its broker; it must have none (use `transfer` otherwise)."""
        self._check_open(on, "assign a broker")
        if self.broker_id is not None:
            raise AlreadyAssigned(
                f"trajectory {self.id} already has broker {self.broker_id}; "
                "one broker at a time (transfer it instead)"
            )
        self._check_assignment_order(on, "assign a broker")
        self._assigned(broker_id=broker_id, occurred_on=on)

    @event(Assigned)
    def _assigned(self, broker_id: UUID, occurred_on: date) -> None:
        self.broker_id = broker_id
        self.latest_assignment_on = occurred_on
        self.latest_on = max(self.latest_on, occurred_on)

    def transfer(self, to_broker_id: UUID, on: date) -> UUID:
        """Move the trajectory to another broker; returns the broker it leaves."""
        self._check_open(on, "transfer")
        if self.broker_id is None:
            raise NotAssigned(f"trajectory {self.id} has no broker to transfer from")
        if self.broker_id == to_broker_id:
            raise AlreadyAssigned(f"trajectory {self.id} is already with broker {to_broker_id}")
        self._check_assignment_order(on, "transfer")
        from_broker_id = self.broker_id
        self._transferred(from_broker_id=from_broker_id, to_broker_id=to_broker_id, occurred_on=on)
        return from_broker_id

    @event(Transferred)
    def _transferred(self, from_broker_id: UUID, to_broker_id: UUID, occurred_on: date) -> None:
        self.broker_id = to_broker_id
        self.latest_assignment_on = occurred_on
        self.latest_on = max(self.latest_on, occurred_on)

    def record_contact(
        self,
        roles: frozenset[Role],
        channel: Channel,
        by: UUID,
        on: date,
        note: Sealed | None = None,
    ) -> None:
        """A contact with the citizen, naming the roles exercised and who exercised them,
        with the caseworker's sealed note (if any)."""
        self.check_contact(roles, channel, on)
        self._contact_recorded(
            roles=frozenset(roles), channel=channel, by=by, note=note, occurred_on=on
        )

    def check_contact(self, roles: frozenset[Role], channel: Channel, on: date) -> None:
        """Refuse a contact this trajectory cannot take (before a note is sealed for it)."""
        self._check_fact_date(on, "record a contact")
        if not roles or not all(isinstance(role, Role) for role in roles):
            raise InvalidContact(
                f"a contact names one or more of the four roles "
                f"({', '.join(r.name for r in Role)}); got other things"
            )
        if not isinstance(channel, Channel) or channel is Channel.UNKNOWN:
            raise InvalidContact(
                "a new contact's channel is one of "
                f"{', '.join(c.name for c in Channel if c is not Channel.UNKNOWN)}; "
                f"got a {type(channel).__name__}"
            )

    @event(ContactRecorded)
    def _contact_recorded(
        self,
        roles: frozenset[Role],
        channel: Channel,
        by: UUID,
        occurred_on: date,
        note: Sealed | None = None,
    ) -> None:
        self.latest_on = max(self.latest_on, occurred_on)

    def record_progress(self, scores: Scores, on: date) -> None:
        """Scores on the programme's progression indicators, measured on `on`."""
        self._check_fact_date(on, "record progression")
        self._progress_measured(scores=scores, occurred_on=on)

    @event(ProgressMeasured)
    def _progress_measured(self, scores: Scores, occurred_on: date) -> None:
        self.latest_on = max(self.latest_on, occurred_on)

    def record_job_placement(self, placement: Placement, on: date) -> None:
        """A placement in an ordinary job, a flex job or education."""
        self._check_fact_date(on, "record a job placement")
        self._job_placed(placement=placement, occurred_on=on)

    @event(JobPlaced)
    def _job_placed(self, placement: Placement, occurred_on: date) -> None:
        self.latest_on = max(self.latest_on, occurred_on)

    def record_review(self, outcome: ReviewOutcome, on: date) -> None:
        """The outcome of a management case review (sagssparring)."""
        self._check_fact_date(on, "record a case review")
        if not isinstance(outcome, ReviewOutcome):
            raise InvalidValue(
                f"a review outcome must be a ReviewOutcome, not a {type(outcome).__name__}"
            )
        self._reviewed(outcome=outcome, occurred_on=on)

    @event(Reviewed)
    def _reviewed(self, outcome: ReviewOutcome, occurred_on: date) -> None:
        self.latest_on = max(self.latest_on, occurred_on)

    def record_employer_activity(
        self, kind: EmployerActivityKind, on: date, ends_on: date | None
    ) -> None:
        """An employer-directed activity starting on `on`, planned to end on `ends_on`
        (None when open-ended or not yet known)."""
        self._check_fact_date(on, "record an employer-directed activity")
        if not isinstance(kind, EmployerActivityKind):
            raise InvalidValue(
                f"an employer-directed activity's kind must be an EmployerActivityKind, "
                f"not a {type(kind).__name__}"
            )
        if ends_on is not None and ends_on < on:
            raise DateOutOfRange(
                f"an employer-directed activity on trajectory {self.id} cannot end on "
                f"{ends_on}, {(on - ends_on).days} day(s) before it starts on {on}"
            )
        self._employer_activity_started(kind=kind, ends_on=ends_on, occurred_on=on)

    @event(EmployerActivityStarted)
    def _employer_activity_started(
        self, kind: EmployerActivityKind, ends_on: date | None, occurred_on: date
    ) -> None:
        self.latest_on = max(self.latest_on, occurred_on)

    def close(self, reason: ClosureReason, on: date) -> UUID | None:
        """Close the trajectory; returns the broker whose case it was, if any."""
        self._check_open(on, "close")
        if not isinstance(reason, ClosureReason):
            raise InvalidValue(
                f"a closure reason must be a ClosureReason, not a {type(reason).__name__}"
            )
        if on < self.latest_on:
            raise DateOutOfRange(
                f"cannot close trajectory {self.id} on {on}: it has events up to "
                f"{self.latest_on}, and nothing may lie after its closure"
            )
        broker_id = self.broker_id
        self._closed(reason=reason, occurred_on=on)
        return broker_id

    @event(Closed)
    def _closed(self, reason: ClosureReason, occurred_on: date) -> None:
        self.closed_on = occurred_on
        self.closure_reason = reason
        self.broker_id = None
        self.latest_on = occurred_on

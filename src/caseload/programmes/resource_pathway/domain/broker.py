"""The broker aggregate (jobformidler): who they are, their FTE, and the cases they hold."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate

from caseload.domain.copying import ImmutableMembers
from caseload.domain.errors import (
    AlreadyAssigned,
    BrokerHasLeft,
    BrokerHoldsCases,
    CaseloadLimitExceeded,
    DateOutOfRange,
    InvalidFte,
    NotAssigned,
    NotInProgramme,
)
from caseload.domain.events import event
from caseload.programmes.resource_pathway.domain.values import CaseloadPolicy, PathwayKind

__all__ = ["Broker", "validated_fte"]


_FTE_RULE = "an FTE is a number more than 0 and at most 1 (a full-time post), in hundredths"
_LONGEST_FTE_TEXT = 20
"""An FTE written as text is at most this many characters ("0.50", " 1 "); a longer one
is refused before it is read as a number, so no exponent can make it costly."""


def validated_fte(fte: object) -> Decimal:
    """An FTE as a `Decimal` with 0 < fte ≤ 1 in hundredths, or `InvalidFte`.

    The message names the rule and the type given, never the value: a value passed in the
    wrong place may be a CPR number."""
    if isinstance(fte, bool) or not isinstance(fte, int | float | Decimal | str):
        raise InvalidFte(f"{_FTE_RULE}; got a {type(fte).__name__}")
    if isinstance(fte, int) and not 0 < fte <= 1:
        raise InvalidFte(f"{_FTE_RULE}; got a {type(fte).__name__} outside that range")
    if isinstance(fte, str) and len(fte) > _LONGEST_FTE_TEXT:
        raise InvalidFte(f"{_FTE_RULE}; got a text of {len(fte)} characters")
    try:
        value = Decimal(fte) if isinstance(fte, Decimal) else Decimal(str(fte))
        in_range = value.is_finite() and Decimal(0) < value <= Decimal(1)
    except (ArithmeticError, ValueError):
        # decimal's signals (Overflow, InvalidOperation) are ArithmeticErrors.
        raise InvalidFte(f"{_FTE_RULE}; got a {type(fte).__name__} that is not one") from None
    if not in_range:
        raise InvalidFte(f"{_FTE_RULE}; got a {type(fte).__name__} outside that range")
    if value != value.quantize(Decimal("0.01")):
        raise InvalidFte(f"{_FTE_RULE}; got a {type(fte).__name__} finer than hundredths")
    return value.quantize(Decimal("0.01"))


class Broker(ImmutableMembers, Aggregate):
    """A job broker (jobformidler) in a programme and the cases (trajectories) they hold.

    Every event carries `occurred_on`, and a broker's business dates never go backwards,
    so the number of cases held on any day is exact and the limit can be checked on it.
    """

    class Event(Aggregate.Event):
        """Base of broker events: each carries the business date it happened."""

        occurred_on: date

    class Registered(Event, Aggregate.Created):
        """The broker joined the programme."""

        name: str
        team: str
        fte: Decimal
        pathway: PathwayKind

    class CaseAssigned(Event):
        """The broker took a case."""

        trajectory_id: UUID

    class CaseReleased(Event):
        """The broker gave up a case (transfer or closure)."""

        trajectory_id: UUID

    class FteChanged(Event):
        """The broker's share of a full-time post changed."""

        fte: Decimal

    class Left(Event):
        """The broker left the programme."""

    class LimitChanged(Event):
        """The programme's caseload policy changed (written to every broker in the same
        write as the policy, so an assignment racing the change is retried on it)."""

        policy: CaseloadPolicy

    @event(Registered)
    def __init__(
        self, name: str, team: str, fte: Decimal, pathway: PathwayKind, occurred_on: date
    ) -> None:
        self.name = name
        self.team = team
        self.fte = fte
        self.pathway = pathway
        self.registered_on = occurred_on
        self.latest_on = occurred_on
        self.left_on: date | None = None
        self.active_cases: set[UUID] = set()

    def __str__(self) -> str:
        return f"{self.name!r} ({self.id})"

    def limit_under(self, policy: CaseloadPolicy) -> int:
        """The number of cases this broker may hold under `policy`."""
        return policy.limit_for(self.fte)

    def _check_can_act(self, on: date, doing: str) -> None:
        if self.left_on is not None:
            raise BrokerHasLeft(f"cannot {doing}: broker {self} left on {self.left_on}")
        self._check_in_order(on, doing)

    def check_can_make_contact(self, on: date) -> None:
        """A broker makes contacts from the day they registered until the day they left."""
        if self.left_on is not None and on > self.left_on:
            raise BrokerHasLeft(
                f"broker {self} left on {self.left_on} and cannot have a contact on {on}"
            )
        if on < self.registered_on:
            raise DateOutOfRange(
                f"broker {self} was registered on {self.registered_on}; "
                f"a contact by them on {on} is before that"
            )

    def _check_in_order(self, on: date, doing: str) -> None:
        if on < self.latest_on:
            raise DateOutOfRange(
                f"cannot {doing} on {on}: broker {self} already has events up to "
                f"{self.latest_on}, and a broker's history is kept in date order"
            )

    def assign(
        self, trajectory_id: UUID, pathway: PathwayKind, on: date, policy: CaseloadPolicy
    ) -> None:
        """Take a case, if it is of the programme's kind and fits the limit of `policy`.

        A case taken on `on` is held on every later day, so `policy` is the strictest the
        programme has decided for any day from `on` on (`Programme.strictest_from`), even one
        still to come: its limit binds from `max(on, policy.effective_from)`.
        """
        self._check_can_act(on, f"assign trajectory {trajectory_id}")
        if trajectory_id in self.active_cases:
            raise AlreadyAssigned(f"broker {self} already holds trajectory {trajectory_id}")
        if pathway is not self.pathway:
            raise NotInProgramme(
                f"broker {self} holds only {self.pathway.value} trajectories "
                f"(exclusivity); trajectory {trajectory_id} is {pathway.value}"
            )
        limit = self.limit_under(policy)
        if len(self.active_cases) >= limit:
            raise CaseloadLimitExceeded(
                broker=str(self),
                active_cases=len(self.active_cases),
                limit=limit,
                policy=policy.name,
                limit_per_fte=policy.limit_per_fte,
                fte=self.fte,
                on=on,
                limit_on=max(on, policy.effective_from),
            )
        self._case_assigned(trajectory_id=trajectory_id, occurred_on=on)

    @event(CaseAssigned)
    def _case_assigned(self, trajectory_id: UUID, occurred_on: date) -> None:
        self.active_cases.add(trajectory_id)
        self.latest_on = occurred_on

    def release(self, trajectory_id: UUID, on: date) -> None:
        """Give up a case (on transfer or closure)."""
        if trajectory_id not in self.active_cases:
            raise NotAssigned(f"broker {self} does not hold trajectory {trajectory_id}")
        self._check_in_order(on, f"release trajectory {trajectory_id}")
        self._case_released(trajectory_id=trajectory_id, occurred_on=on)

    @event(CaseReleased)
    def _case_released(self, trajectory_id: UUID, occurred_on: date) -> None:
        self.active_cases.discard(trajectory_id)
        self.latest_on = occurred_on

    def change_fte(self, fte: Decimal, on: date, policy: CaseloadPolicy) -> None:
        """Change the broker's FTE, unless the new limit would be below their caseload.

        As for `assign`, `policy` is the strictest decided for any day from `on` on, for
        the new FTE: the cases held now are still held on each of those days.
        """
        self._check_can_act(on, "change FTE")
        new_limit = policy.limit_for(fte)
        if len(self.active_cases) > new_limit:
            limit_on = max(on, policy.effective_from)
            from_then = "" if limit_on == on else f" from {limit_on}"
            raise BrokerHoldsCases(
                f"cannot change broker {self} to {fte} FTE on {on}: the limit would be "
                f"{new_limit}{from_then} under policy {policy.name!r} ({policy.limit_per_fte} "
                f"per FTE) but they hold {len(self.active_cases)} cases",
                self.active_cases,
                limit=new_limit,
                limit_on=limit_on,
            )
        self._fte_changed(fte=fte, occurred_on=on)

    @event(FteChanged)
    def _fte_changed(self, fte: Decimal, occurred_on: date) -> None:
        self.fte = fte
        self.latest_on = occurred_on

    def leave(self, on: date) -> None:
        """Leave the programme; only possible with no cases held."""
        self._check_can_act(on, "leave")
        if self.active_cases:
            raise BrokerHoldsCases(
                f"broker {self} cannot leave on {on} while holding "
                f"{len(self.active_cases)} cases; transfer or close them first",
                self.active_cases,
            )
        self._left(occurred_on=on)

    @event(Left)
    def _left(self, occurred_on: date) -> None:
        self.left_on = occurred_on
        self.latest_on = occurred_on

    def note_policy(self, policy: CaseloadPolicy, on: date) -> None:
        """Take note of a new caseload policy (the check of the limit uses the programme's)."""
        self._limit_changed(policy=policy, occurred_on=on)

    @event(LimitChanged)
    def _limit_changed(self, policy: CaseloadPolicy, occurred_on: date) -> None:
        # Business dates of brokers stay in order for the facts about their cases; a policy
        # notice may be dated earlier (decided before the broker's latest case change).
        pass

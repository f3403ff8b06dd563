"""The programme (pulje / indsats): its pathway kind, indicator set and dated caseload policies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from caseload.domain.copying import ImmutableMembers
from caseload.domain.errors import DateOutOfRange, InvalidPolicy
from caseload.domain.events import HoldsOnEveryDay
from caseload.domain.text import has_control_characters
from caseload.programmes.resource_pathway.domain.values import (
    CaseloadPolicy,
    IndicatorSet,
    PathwayKind,
)

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_PROGRAMME_NAME",
    "EARLIER_PROGRAMME_ID",
    "Programme",
    "programme_id",
]

_NAMESPACE = UUID("6f1c8a52-3b7e-4c8e-9a41-0d2b7e5f9c13")

EARLIER_PROGRAMME_ID = uuid5(_NAMESPACE, "programme")
"""Where version 0.1, which kept one programme per store, put it: stores written by it
keep their programme under this id."""

DEFAULT_PROGRAMME_NAME = "Bedre indsats for borgere i ressourceforløb"
"""The name of the programme a store gets when a command needs one before any is set up."""


def programme_id(name: str) -> UUID:
    """The id of the resource-pathway programme called `name`: derived from the name, so
    every writer that sets up or names the same programme reaches the same aggregate."""
    return uuid5(_NAMESPACE, f"resource_pathway:{name}")


DEFAULT_POLICY = CaseloadPolicy(effective_from=date.min, limit_per_fte=30, name="default")
"""At most 30 cases per full-time broker, in force from the beginning of time."""


MAX_LIMIT_PER_FTE = 1_000
"""No caseload policy allows more cases per full-time broker than this."""


def validated_policy(limit_per_fte: object, effective_from: object, name: object) -> CaseloadPolicy:
    """Build a `CaseloadPolicy` or raise `InvalidPolicy` naming the bad part."""
    if (
        isinstance(limit_per_fte, bool)
        or not isinstance(limit_per_fte, int)
        or not 1 <= limit_per_fte <= MAX_LIMIT_PER_FTE
    ):
        shown = (
            limit_per_fte if isinstance(limit_per_fte, int) and abs(limit_per_fte) < 10**9 else "?"
        )
        raise InvalidPolicy(
            f"a caseload limit per FTE must be a whole number from 1 to {MAX_LIMIT_PER_FTE}; "
            f"got {shown} ({type(limit_per_fte).__name__})"
        )
    if not isinstance(name, str) or not name.strip():
        raise InvalidPolicy("a caseload policy needs a non-empty name")
    if has_control_characters(name):
        raise InvalidPolicy("a caseload policy's name cannot contain control characters")
    if isinstance(effective_from, date) and not isinstance(effective_from, datetime):
        return CaseloadPolicy(
            effective_from=date(effective_from.year, effective_from.month, effective_from.day),
            limit_per_fte=limit_per_fte,
            name=name.strip(),
        )
    raise DateOutOfRange(
        f"a policy's effective_from must be a datetime.date, not {type(effective_from).__name__}"
    )


class Programme(ImmutableMembers, Aggregate):
    """The programme a store runs: which pathway kind it takes and the limit in force by date."""

    class Event(HoldsOnEveryDay, Aggregate.Event):
        """Base of programme events: each carries the business date it was decided, and
        holds on every day (a policy says itself from when it applies)."""

        occurred_on: date

    class Configured(Event, Aggregate.Created):
        """The programme was set up."""

        name: str
        pathway: PathwayKind
        indicators: IndicatorSet
        policy: CaseloadPolicy

    class PolicyChanged(Event):
        """A caseload policy was set, in force from its `effective_from` date."""

        policy: CaseloadPolicy

    class BrokerJoined(Event):
        """A broker joined the programme (so policy changes reach every broker)."""

        broker_id: UUID

    class PseudonymKeyRegistered(Event):
        """The store's pseudonyms are made with the key whose check value this is."""

        key_check: str

    @staticmethod
    def create_id(name: str, **_: Any) -> UUID:
        """A programme's id is derived from its name (see `programme_id`)."""
        return programme_id(name)

    @event(Configured)
    def __init__(
        self,
        name: str,
        pathway: PathwayKind,
        indicators: IndicatorSet,
        policy: CaseloadPolicy,
        occurred_on: date,
    ) -> None:
        self.name = name
        self.pathway = pathway
        self.indicators = indicators
        self.policies: list[CaseloadPolicy] = [policy]
        self.configured_on = occurred_on
        self.brokers: list[UUID] = []
        self.key_check: str | None = None

    def limit_in_force(self, on: date) -> CaseloadPolicy:
        """The caseload policy in force on business date `on`."""
        in_force = self.policies[0]
        for policy in self.policies:
            if policy.effective_from <= on:
                in_force = policy
        return in_force

    def strictest_between(self, first: date, last: date) -> CaseloadPolicy:
        """The policy with the lowest limit in force on any day from `first` to `last`.

        A case assigned on `first` is held on every day after it, so an assignment (even a
        late-registered one) must fit every limit in force from then until today.
        """
        candidates = [self.limit_in_force(first)]
        candidates += [p for p in self.policies if first < p.effective_from <= last]
        return min(candidates, key=lambda policy: policy.limit_per_fte)

    def change_policy(self, policy: CaseloadPolicy, on: date, today: date) -> None:
        """Record a new dated policy, decided on `on`.

        A policy takes effect on or after the day it is decided, and a policy already in
        force is history: only one that has not yet taken effect may be replaced.
        """
        if policy.effective_from < on:
            raise InvalidPolicy(
                f"policy {policy.name!r} would take effect on {policy.effective_from}, before it "
                f"was decided on {on}; a policy takes effect on or after the day it is decided"
            )
        for existing in self.policies:
            if (
                existing.effective_from == policy.effective_from
                and existing.effective_from <= today
            ):
                raise InvalidPolicy(
                    f"policy {existing.name!r} has been in force since {existing.effective_from}; "
                    "a policy in force is history and is not replaced: set a new one from a "
                    "later date"
                )
        self._policy_changed(policy=policy, occurred_on=on)

    @event(PolicyChanged)
    def _policy_changed(self, policy: CaseloadPolicy, occurred_on: date) -> None:
        kept = [p for p in self.policies if p.effective_from != policy.effective_from]
        self.policies = sorted([*kept, policy], key=lambda p: p.effective_from)

    def add_broker(self, broker_id: UUID, on: date) -> None:
        """Note a new broker of the programme."""
        self._broker_joined(broker_id=broker_id, occurred_on=on)

    @event(BrokerJoined)
    def _broker_joined(self, broker_id: UUID, occurred_on: date) -> None:
        self.brokers.append(broker_id)

    def register_key(self, key_check: str, on: date) -> None:
        """Pin the pseudonym key (by its check value) the first time a citizen is stored."""
        if self.key_check is not None:
            raise AssertionError("the pseudonym key is registered once")
        self._key_registered(key_check=key_check, occurred_on=on)

    @event(PseudonymKeyRegistered)
    def _key_registered(self, key_check: str, occurred_on: date) -> None:
        self.key_check = key_check

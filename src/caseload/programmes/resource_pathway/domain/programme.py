"""The programme (pulje / indsats): its pathway kind, indicator set and dated caseload policies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from caseload.domain.copying import ImmutableMembers
from caseload.domain.events import HoldsOnEveryDay, event
from caseload.domain.policy import (
    DEFAULT_POLICY,
    MAX_LIMIT_PER_FTE,
    CaseloadPolicy,
    PolicyHistory,
    validated_policy,
)
from caseload.programmes.resource_pathway.domain.values import IndicatorSet, PathwayKind

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_PROGRAMME_NAME",
    "EARLIER_PROGRAMME_ID",
    "MAX_LIMIT_PER_FTE",
    "Programme",
    "programme_id",
    "validated_policy",
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
        self.policies: PolicyHistory = PolicyHistory.starting_with(policy)
        self.configured_on = occurred_on
        self.brokers: list[UUID] = []
        self.key_check: str | None = None

    def limit_in_force(self, on: date) -> CaseloadPolicy:
        """The caseload policy in force on business date `on`."""
        return self.policies.in_force(on)

    def strictest_from(self, first: date, fte: Decimal | None = None) -> CaseloadPolicy:
        """The policy with the lowest limit (for a broker of `fte`, if given) in force on any
        day from `first` on, policies decided for days still to come included.

        A case assigned on `first` is held on every day after it, so an assignment (even a
        late-registered one) must fit every limit decided for any of those days, and a
        limit decided today for next month binds today.
        """
        return self.policies.strictest_from(first, fte)

    def change_policy(self, policy: CaseloadPolicy, on: date, today: date) -> None:
        """Record a new dated policy, decided on `on`.

        A policy takes effect on or after the day it is decided, and a policy already in
        force is history: only one that has not yet taken effect may be replaced.
        """
        self.policies.with_policy(policy, decided_on=on, today=today)
        self._policy_changed(policy=policy, occurred_on=on)

    @event(PolicyChanged)
    def _policy_changed(self, policy: CaseloadPolicy, occurred_on: date) -> None:
        self.policies = self.policies.including(policy)

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

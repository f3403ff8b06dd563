"""The programme (pulje / indsats): its pathway kind, indicator set and dated caseload policies."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from caseload.domain.errors import DateOutOfRange, InvalidPolicy
from caseload.domain.values import CaseloadPolicy, IndicatorSet, PathwayKind

__all__ = ["DEFAULT_POLICY", "PROGRAMME_ID", "Programme"]

PROGRAMME_ID = uuid5(UUID("6f1c8a52-3b7e-4c8e-9a41-0d2b7e5f9c13"), "programme")
"""A store holds one programme; its aggregate id is fixed so every writer finds it."""

DEFAULT_POLICY = CaseloadPolicy(effective_from=date.min, limit_per_fte=30, name="default")
"""At most 30 cases per full-time broker, in force from the beginning of time."""


def validated_policy(limit_per_fte: object, effective_from: object, name: object) -> CaseloadPolicy:
    """Build a `CaseloadPolicy` or raise `InvalidPolicy` naming the bad part."""
    if isinstance(limit_per_fte, bool) or not isinstance(limit_per_fte, int) or limit_per_fte < 1:
        raise InvalidPolicy(
            f"a caseload limit per FTE must be a whole number of at least 1; got {limit_per_fte!r}"
        )
    if not isinstance(name, str) or not name.strip():
        raise InvalidPolicy("a caseload policy needs a non-empty name")
    if isinstance(effective_from, date) and type(effective_from) is date:
        return CaseloadPolicy(
            effective_from=effective_from, limit_per_fte=limit_per_fte, name=name.strip()
        )
    raise DateOutOfRange(
        f"a policy's effective_from must be a datetime.date, not {type(effective_from).__name__}"
    )


class Programme(Aggregate):
    """The programme a store runs: which pathway kind it takes and the limit in force by date."""

    class Event(Aggregate.Event):
        """Base of programme events: each carries the business date it happened."""

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

    @staticmethod
    def create_id(*_: Any, **__: Any) -> UUID:
        """Every store has exactly one programme, under a fixed id."""
        return PROGRAMME_ID

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

    def limit_in_force(self, on: date) -> CaseloadPolicy:
        """The caseload policy in force on business date `on`."""
        in_force = self.policies[0]
        for policy in self.policies:
            if policy.effective_from <= on:
                in_force = policy
        return in_force

    def change_policy(self, policy: CaseloadPolicy, on: date) -> None:
        """Record a new dated policy; one with the same start date replaces the old one."""
        self._policy_changed(policy=policy, occurred_on=on)

    @event(PolicyChanged)
    def _policy_changed(self, policy: CaseloadPolicy, occurred_on: date) -> None:
        kept = [p for p in self.policies if p.effective_from != policy.effective_from]
        self.policies = sorted([*kept, policy], key=lambda p: p.effective_from)

"""The attention list's values: why a trajectory is on it (`AttentionReason`), the intervals
behind the reasons (`AttentionThresholds`), and the list itself (`AttentionReport` of
`AttentionItem`s). The read model that folds the facts behind them is `attention`."""

from __future__ import annotations

import enum
from datetime import date
from uuid import UUID

import attrs

from caseload.domain.dates import check_days
from caseload.domain.errors import InvalidValue
from caseload.programmes.resource_pathway.domain.values import Role

__all__ = [
    "MAX_REVIEW_DAYS",
    "MAX_THRESHOLD_DAYS",
    "AttentionItem",
    "AttentionReason",
    "AttentionReport",
    "AttentionThresholds",
]


class AttentionReason(enum.Enum):
    """Why an open trajectory is on the attention list."""

    NO_CONTACT = "no_contact"
    """No contact within the agreed interval."""
    NO_PROGRESSION = "no_progression"
    """No progression measured for the agreed interval (3 months by default)."""
    ROLES_MISSING = "roles_missing"
    """Open for a while and not all four roles exercised yet, by anyone."""
    NO_INTERVENTION = "no_intervention"
    """No job placement and no employer-liaison or mentor-like contact for the agreed interval
    (6 months by default): the rehabilitation team must be told."""
    NEAR_MAX_LENGTH = "near_max_length"
    """The pathway is close to (or past) its maximum length."""
    NOT_REVIEWED = "not_reviewed"
    """No case review (sagssparring) within the review cadence (`review_days`, 90 days by
    default)."""
    UNASSIGNED = "unassigned"
    """Open without a broker: every citizen in the programme is to have a personal broker
    (the item says for how many days it has had none)."""


MAX_REVIEW_DAYS = 1826
"""The longest review cadence `AttentionThresholds` accepts: a resource pathway's maximum
length (5 years); a longer cadence could never flag a trajectory."""


MAX_THRESHOLD_DAYS = 3653
"""The longest interval (ten years) the other fields of `AttentionThresholds` accept."""


def _review_days(instance: object, attribute: object, value: object) -> None:
    check_days(value, "review_days", maximum=MAX_REVIEW_DAYS)


def _days(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    check_days(value, attribute.name, maximum=MAX_THRESHOLD_DAYS)


def _days_from_zero(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    check_days(value, attribute.name, minimum=0, maximum=MAX_THRESHOLD_DAYS)


def _roles(value: object) -> frozenset[Role]:
    if not isinstance(value, set | frozenset | list | tuple) or not all(
        isinstance(role, Role) for role in value
    ):
        raise InvalidValue(
            "intervention_roles must be a set of Role "
            f"({', '.join(role.name for role in Role)}); got a {type(value).__name__}"
            f"{' of other things' if isinstance(value, set | frozenset | list | tuple) else ''}"
        )
    return frozenset(value)


@attrs.frozen
class AttentionThresholds:
    """The intervals behind the attention reasons, in days.

    A trajectory opened fewer days ago than an interval is not flagged for a missing contact,
    progression or intervention: it has not had the chance yet. Every interval is a whole
    number of days from 1 to `MAX_THRESHOLD_DAYS` (`roles_after_days` and `near_max_days`
    from 0, `review_days` to
    `MAX_REVIEW_DAYS`), else `InvalidThreshold` on construction.
    """

    contact_days: int = attrs.field(default=30, validator=_days)
    """NO_CONTACT when no contact is dated within this many days before the reference date."""
    progression_days: int = attrs.field(default=91, validator=_days)
    """NO_PROGRESSION when no measurement is dated within this many days."""
    roles_after_days: int = attrs.field(default=60, validator=_days_from_zero)
    """ROLES_MISSING when open at least this long without all four roles exercised."""
    intervention_days: int = attrs.field(default=182, validator=_days)
    """NO_INTERVENTION when no placement or intervention contact is dated within this many days."""
    max_pathway_days: int = attrs.field(default=1826, validator=_days)
    """The longest pathway (a resource pathway: 5 years)."""
    near_max_days: int = attrs.field(default=90, validator=_days_from_zero)
    """NEAR_MAX_LENGTH when open at least `max_pathway_days - near_max_days` days."""
    intervention_roles: frozenset[Role] = attrs.field(
        default=frozenset({Role.EMPLOYER_LIAISON, Role.MENTOR_LIKE}), converter=_roles
    )
    """Roles whose contacts count as an intervention."""
    review_days: int = attrs.field(default=90, validator=_review_days)
    """NOT_REVIEWED when no case review is dated within this many days: the cadence of case
    reviews (sagssparring). A whole number from 1 to `MAX_REVIEW_DAYS`, else
    `InvalidThreshold` on construction."""


@attrs.frozen
class AttentionItem:
    """One open trajectory needing attention, with every reason that applies."""

    trajectory_id: UUID
    broker_id: UUID | None
    opened_on: date
    reasons: frozenset[AttentionReason]
    last_contact_on: date | None
    last_progression_on: date | None
    last_intervention_on: date | None
    """The latest placement or contact exercising an intervention role."""
    roles_missing: frozenset[Role]
    """Roles nobody has exercised for the trajectory yet."""
    last_review_on: date | None = None
    """The latest case review (sagssparring), None if never reviewed."""
    days_unassigned: int | None = None
    """For a trajectory without a broker on the reference date, the days it has had none
    (a trajectory loses its broker only by closing, so this counts from its opening);
    None when it has a broker."""


@attrs.frozen
class AttentionReport:
    """The attention list on a reference date."""

    on: date
    thresholds: AttentionThresholds
    items: tuple[AttentionItem, ...]
    """Open trajectories with at least one reason, by opening date then id."""
    counts: tuple[tuple[AttentionReason, int], ...]
    """Per reason (every reason, in declaration order), the number of items it applies to."""

    def count(self, reason: AttentionReason) -> int:
        """The number of items flagged for `reason`."""
        return dict(self.counts)[reason]

"""Attention list: the open trajectories a case review (sagssparring) should look at, and why."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
from eventsourcing.domain import DomainEvent

from caseload.domain.dates import check_days
from caseload.domain.errors import InvalidValue
from caseload.programmes.resource_pathway.domain.values import ALL_ROLES, Role
from caseload.projections.base import Entries, Handler, ReadModel, day, hex_of, person_uid, uid
from caseload.projections.entities import (
    EntityMap,
    as_entity_map,
    closed_month,
    in_either,
    moved,
)
from caseload.projections.stored_entries import entities

if TYPE_CHECKING:
    from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

__all__ = [
    "MAX_REVIEW_DAYS",
    "MAX_THRESHOLD_DAYS",
    "AttentionItem",
    "AttentionModel",
    "AttentionReason",
    "AttentionReport",
    "AttentionState",
    "AttentionThresholds",
    "CaseAttention",
    "attention_report",
    "project_attention",
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


@attrs.define
class CaseAttention:
    """What the attention read model keeps of one trajectory: its dates and latest facts."""

    opened_on: date
    broker_id: UUID | None = None
    closed_on: date | None = None
    contacts: dict[Role, date] = attrs.Factory(dict)
    """Per role, the latest date of a contact exercising it."""
    last_progression_on: date | None = None
    last_placement_on: date | None = None
    last_review_on: date | None = None

    @property
    def last_contact_on(self) -> date | None:
        """The latest contact date (every contact exercises at least one role)."""
        return max(self.contacts.values(), default=None)


@attrs.define
class AttentionState:
    """Per trajectory, its opening, broker, closure and latest contact, progression,
    placement and review dates: open trajectories apart from closed ones.

    The attention list of a day after every closure reads the open trajectories only, so a
    state read back from the store decodes none of its closed ones for it."""

    trajectories: dict[UUID, CaseAttention] = attrs.field(
        factory=EntityMap, converter=as_entity_map
    )
    """The open trajectories."""
    closed: dict[UUID, CaseAttention] = attrs.field(factory=EntityMap, converter=as_entity_map)
    """The closed trajectories."""
    last_closed_on: date | None = None
    """The latest closure date of any trajectory (None before the first closure)."""


def _case(state: AttentionState, trajectory_id: UUID) -> CaseAttention:
    """A trajectory's entry, open or closed (a fact may be registered after closure)."""
    return in_either(trajectory_id, state.trajectories, state.closed)


def _later(current: date | None, on: date) -> date:
    return on if current is None or on > current else current


def _opened(state: AttentionState, event: Trajectory.Opened) -> None:
    state.trajectories[event.originator_id] = CaseAttention(opened_on=event.occurred_on)


def _assigned(state: AttentionState, event: Trajectory.Assigned) -> None:
    _case(state, event.originator_id).broker_id = event.broker_id


def _transferred(state: AttentionState, event: Trajectory.Transferred) -> None:
    _case(state, event.originator_id).broker_id = event.to_broker_id


def _contact(state: AttentionState, event: Trajectory.ContactRecorded) -> None:
    contacts = _case(state, event.originator_id).contacts
    on = event.occurred_on
    for role in event.roles:
        last = contacts.get(role)
        if last is None or on > last:
            contacts[role] = on


def _measured(state: AttentionState, event: Trajectory.ProgressMeasured) -> None:
    case = _case(state, event.originator_id)
    case.last_progression_on = _later(case.last_progression_on, event.occurred_on)


def _placed(state: AttentionState, event: Trajectory.JobPlaced) -> None:
    case = _case(state, event.originator_id)
    case.last_placement_on = _later(case.last_placement_on, event.occurred_on)


def _reviewed(state: AttentionState, event: Trajectory.Reviewed) -> None:
    case = _case(state, event.originator_id)
    case.last_review_on = _later(case.last_review_on, event.occurred_on)


def _closed(state: AttentionState, event: Trajectory.Closed) -> None:
    on = event.occurred_on
    case = moved(event.originator_id, state.trajectories, state.closed)
    case.closed_on = on
    case.broker_id = None
    state.last_closed_on = _later(state.last_closed_on, on)


def _retired(t: CaseAttention) -> str | None:
    return closed_month(t.closed_on)


def _encode_case(t: CaseAttention) -> Any:
    return [
        t.opened_on,
        None if t.broker_id is None else t.broker_id.hex,
        t.closed_on,
        {role._value_: on for role, on in t.contacts.items()},
        t.last_progression_on,
        t.last_placement_on,
        t.last_review_on,
    ]


_ROLES: dict[str, Role] = {role.value: role for role in Role}


def _role(value: str) -> Role:
    """A role from its stored value, without `Role(...)`'s lookup for a known one."""
    found = _ROLES.get(value)
    return Role(value) if found is None else found


class AttentionModel(ReadModel[AttentionState]):
    """The attention-list read model."""

    name = "attention"
    version = 4
    """2: each trajectory also keeps its latest case review (a seventh entry), for the
    NOT_REVIEWED reason. 3: closed trajectories are kept apart (`closed`), with the latest
    closure date (`last_closed_on`), so that the list of a day after every closure reads
    neither the closed trajectories nor their chunks. 4: the closed trajectories are kept
    in chunks by the month they closed (`closed_month`), not by their ids, so that a
    checkpoint or a write encodes the newly closed month's chunks only, not every chunk
    of closed trajectories that a closing reached (the entries are as before)."""

    def initial(self) -> AttentionState:
        return AttentionState()

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        # The aggregates are imported when events are first folded: reading a stored
        # state needs none of them.
        from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

        return {
            Trajectory.Opened: _opened,
            Trajectory.Assigned: _assigned,
            Trajectory.Transferred: _transferred,
            Trajectory.ContactRecorded: _contact,
            Trajectory.ProgressMeasured: _measured,
            Trajectory.JobPlaced: _placed,
            Trajectory.Reviewed: _reviewed,
            Trajectory.Closed: _closed,
        }

    def encode(self, state: AttentionState) -> Any:
        return {
            "trajectories": Entries(state.trajectories, hex_of, _encode_case),
            "closed": Entries(
                state.closed, hex_of, _encode_case, _retired, restore=(uid, _decode_case)
            ),
            "last_closed_on": state.last_closed_on,
        }

    def decode(self, data: Any) -> AttentionState:
        return AttentionState(
            trajectories=entities(data["trajectories"], uid, _decode_case),
            closed=entities(data["closed"], uid, _decode_case, _retired),
            last_closed_on=day(data["last_closed_on"]),
        )


def _decode_case(value: Any) -> CaseAttention:
    opened, broker, closed, contacts, progression, placement, review = value
    return CaseAttention(
        opened_on=date.fromisoformat(opened),
        broker_id=None if broker is None else person_uid(broker),
        closed_on=day(closed),
        contacts={_role(role): date.fromisoformat(on) for role, on in contacts.items()},
        last_progression_on=day(progression),
        last_placement_on=day(placement),
        last_review_on=day(review),
    )


def project_attention(
    events: Iterable[DomainEvent], *, as_true_on: date | None = None
) -> AttentionState:
    """Fold events into an attention state, keeping only facts true on `as_true_on` if given."""
    return AttentionModel().project(events, as_true_on=as_true_on)


def _overdue(last: date | None, opened_on: date, on: date, days: int) -> bool:
    """Open at least `days` days and nothing dated in the `days` days up to `on`."""
    if (on - opened_on).days < days:
        return False
    return last is None or last < on - timedelta(days=days)


_REASON_BITS: tuple[tuple[AttentionReason, int], ...] = tuple(
    (reason, 1 << n) for n, reason in enumerate(AttentionReason)
)
_REASONS_OF: dict[int, frozenset[AttentionReason]] = {}
"""The reasons in each bit mask, by mask (made on first sight: a report meets a few)."""


def _reasons_of(mask: int) -> frozenset[AttentionReason]:
    found = _REASONS_OF.get(mask)
    if found is None:
        found = _REASONS_OF[mask] = frozenset(reason for reason, bit in _REASON_BITS if mask & bit)
    return found


_BIT = dict(_REASON_BITS)
_NO_CONTACT = _BIT[AttentionReason.NO_CONTACT]
_NO_PROGRESSION = _BIT[AttentionReason.NO_PROGRESSION]
_ROLES_MISSING = _BIT[AttentionReason.ROLES_MISSING]
_NO_INTERVENTION = _BIT[AttentionReason.NO_INTERVENTION]
_NEAR_MAX_LENGTH = _BIT[AttentionReason.NEAR_MAX_LENGTH]
_NOT_REVIEWED = _BIT[AttentionReason.NOT_REVIEWED]
_UNASSIGNED = _BIT[AttentionReason.UNASSIGNED]


def _item(
    trajectory_id: UUID, case: CaseAttention, on: date, limits: AttentionThresholds
) -> tuple[AttentionItem, int]:
    """The item of an open trajectory, with its reasons as a bit mask (`_REASON_BITS`)."""
    contacts = case.contacts
    interventions = [contacts[role] for role in limits.intervention_roles if role in contacts]
    if case.last_placement_on is not None:
        interventions.append(case.last_placement_on)
    last_intervention = max(interventions, default=None)
    missing = ALL_ROLES - contacts.keys() if len(contacts) < len(ALL_ROLES) else _NO_ROLES
    opened, age = case.opened_on, (on - case.opened_on).days
    mask = 0
    if _overdue(case.last_contact_on, opened, on, limits.contact_days):
        mask |= _NO_CONTACT
    if _overdue(case.last_progression_on, opened, on, limits.progression_days):
        mask |= _NO_PROGRESSION
    if missing and age >= limits.roles_after_days:
        mask |= _ROLES_MISSING
    if _overdue(last_intervention, opened, on, limits.intervention_days):
        mask |= _NO_INTERVENTION
    if age >= limits.max_pathway_days - limits.near_max_days:
        mask |= _NEAR_MAX_LENGTH
    if _overdue(case.last_review_on, opened, on, limits.review_days):
        mask |= _NOT_REVIEWED
    if case.broker_id is None:
        mask |= _UNASSIGNED
    item = AttentionItem(
        trajectory_id=trajectory_id,
        broker_id=case.broker_id,
        opened_on=opened,
        reasons=_reasons_of(mask),
        last_contact_on=case.last_contact_on,
        last_progression_on=case.last_progression_on,
        last_intervention_on=last_intervention,
        roles_missing=frozenset(missing),
        last_review_on=case.last_review_on,
        days_unassigned=age if case.broker_id is None else None,
    )
    return item, mask


_NO_ROLES: frozenset[Role] = frozenset()


def attention_report(
    state: AttentionState, on: date, thresholds: AttentionThresholds | None = None
) -> AttentionReport:
    """The attention list for open trajectories on `on` (default thresholds if none given).

    A trajectory is open on `on` when it opened on or before `on` and did not close on or
    before it. The state keeps only the latest date of each kind of fact, so for a past `on`
    it must be folded with `is_true_on(event, on)` (`project_attention(..., as_true_on=on)`):
    a contact dated after `on` would otherwise hide that there was none before.
    """
    limits = AttentionThresholds() if thresholds is None else thresholds
    items = [
        _item(trajectory_id, case, on, limits)
        for trajectory_id, case in state.trajectories.items()
        if case.opened_on <= on
    ]
    if state.last_closed_on is not None and on < state.last_closed_on:
        # Some trajectory closed after `on`: it was open then.
        items.extend(
            _item(trajectory_id, case, on, limits)
            for trajectory_id, case in state.closed.items()
            if case.opened_on <= on and case.closed_on is not None and case.closed_on > on
        )
    flagged = sorted(
        (item for item in items if item[1]),
        key=lambda item: (item[0].opened_on, str(item[0].trajectory_id)),
    )
    return AttentionReport(
        on=on,
        thresholds=limits,
        items=tuple(item for item, _ in flagged),
        counts=_counts(mask for _, mask in flagged),
    )


def _counts(masks: Iterable[int]) -> tuple[tuple[AttentionReason, int], ...]:
    """Per reason, in declaration order, how many of `masks` hold its bit."""
    by_mask: dict[int, int] = {}
    for mask in masks:
        by_mask[mask] = by_mask.get(mask, 0) + 1
    return tuple(
        (reason, sum(count for mask, count in by_mask.items() if mask & bit))
        for reason, bit in _REASON_BITS
    )

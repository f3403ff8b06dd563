"""Attention list: the open trajectories a case review (sagssparring) should look at, and why."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
from eventsourcing.domain import DomainEvent

from caseload.programmes.resource_pathway.domain.values import ALL_ROLES, Role
from caseload.programmes.resource_pathway.read_models.attention_values import (
    MAX_REVIEW_DAYS,
    MAX_THRESHOLD_DAYS,
    AttentionItem,
    AttentionReason,
    AttentionReport,
    AttentionThresholds,
)
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

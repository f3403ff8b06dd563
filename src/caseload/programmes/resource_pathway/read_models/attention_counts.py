"""The attention list's counts without its items, for `caseload status`: open trajectories
still in their stored chunks are counted from their stored JSON, by the rules of
`attention._item` applied to ISO dates compared as text, without making an entity or an
item of each (a property test holds the two to the same counts)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import attrs

from caseload.programmes.resource_pathway.domain.values import ALL_ROLES
from caseload.programmes.resource_pathway.read_models.attention import (
    _NEAR_MAX_LENGTH,
    _NO_CONTACT,
    _NO_INTERVENTION,
    _NO_PROGRESSION,
    _NOT_REVIEWED,
    _ROLES_MISSING,
    _UNASSIGNED,
    AttentionReason,
    AttentionState,
    AttentionThresholds,
    _counts,
    _item,
)
from caseload.projections.stored_entries import unread_entries

__all__ = ["AttentionCounts", "attention_counts"]


@attrs.frozen
class AttentionCounts:
    """The attention list on a reference date without its items: how many open
    trajectories need attention, and per reason how many (what `caseload status` shows)."""

    on: date
    thresholds: AttentionThresholds
    flagged: int
    """Open trajectories with at least one reason."""
    counts: tuple[tuple[AttentionReason, int], ...]
    """Per reason (every reason, in declaration order), the number of trajectories it
    applies to."""

    def count(self, reason: AttentionReason) -> int:
        """The number of trajectories flagged for `reason`."""
        return dict(self.counts)[reason]


def attention_counts(
    state: AttentionState, on: date, thresholds: AttentionThresholds | None = None
) -> AttentionCounts:
    """The counts of `attention_report(state, on, thresholds)`, without its items.

    Open trajectories still in their stored chunks are counted from their stored form,
    without making an entity or an item of each: the plain `caseload status` of a large
    programme reads thousands of them for these few numbers."""
    limits = AttentionThresholds() if thresholds is None else thresholds
    stored = unread_entries(state.trajectories)
    if stored is None:
        masks = [
            _item(trajectory_id, case, on, limits)[1]
            for trajectory_id, case in state.trajectories.items()
            if case.opened_on <= on
        ]
    else:
        masks = _stored_masks(stored, on, limits)
    if state.last_closed_on is not None and on < state.last_closed_on:
        masks.extend(
            _item(trajectory_id, case, on, limits)[1]
            for trajectory_id, case in state.closed.items()
            if case.opened_on <= on and case.closed_on is not None and case.closed_on > on
        )
    flagged = [mask for mask in masks if mask]
    return AttentionCounts(on=on, thresholds=limits, flagged=len(flagged), counts=_counts(flagged))


def _day_before(on: date, days: int) -> str | None:
    """The ISO text of the day `days` days before `on` (None before the first day a date
    can be): a trajectory opened on or before it is at least `days` days old on `on`."""
    try:
        return (on - timedelta(days=max(days, 0))).isoformat()
    except OverflowError:
        return None


def _stored_overdue(last: str | None, opened: str, before: str | None) -> bool:
    """`_overdue` on ISO dates as stored (which compare as the dates do), with `before`
    the ISO day `days` days before the reference date."""
    if before is None or opened > before:
        return False
    return last is None or last < before


def _stored_masks(stored: Mapping[str, Any], on: date, limits: AttentionThresholds) -> list[int]:
    """The reasons of each open trajectory opened by `on`, as bit masks, from the stored
    entries (`_encode_case`): the rules of `_item` on ISO dates compared as text."""
    today = on.isoformat()
    contact = _day_before(on, limits.contact_days)
    progression = _day_before(on, limits.progression_days)
    roles_after = _day_before(on, limits.roles_after_days)
    intervention = _day_before(on, limits.intervention_days)
    near_max = _day_before(on, limits.max_pathway_days - limits.near_max_days)
    review = _day_before(on, limits.review_days)
    intervention_roles = [role.value for role in limits.intervention_roles]
    every_role = len(ALL_ROLES)
    masks = []
    for opened, broker, _, contacts, measured, placed, reviewed in stored.values():
        if opened > today:
            continue
        mask = 0
        if _stored_overdue(max(contacts.values(), default=None), opened, contact):
            mask |= _NO_CONTACT
        if _stored_overdue(measured, opened, progression):
            mask |= _NO_PROGRESSION
        if len(contacts) < every_role and roles_after is not None and opened <= roles_after:
            mask |= _ROLES_MISSING
        interventions = [contacts[role] for role in intervention_roles if role in contacts]
        if placed is not None:
            interventions.append(placed)
        if _stored_overdue(max(interventions, default=None), opened, intervention):
            mask |= _NO_INTERVENTION
        if near_max is not None and opened <= near_max:
            mask |= _NEAR_MAX_LENGTH
        if _stored_overdue(reviewed, opened, review):
            mask |= _NOT_REVIEWED
        if broker is None:
            mask |= _UNASSIGNED
        masks.append(mask)
    return masks

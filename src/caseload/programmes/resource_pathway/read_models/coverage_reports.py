"""The coverage reports from a coverage state: the whole report with a row per trajectory
(`role_coverage`), and the report without those rows (`coverage_summary`), which counts
open trajectories still in their stored chunks from their stored JSON, for `caseload
status`, without making an entity or an id of each (a property test holds the two routes
to the same report)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import attrs

from caseload.programmes.resource_pathway.domain.values import Role
from caseload.programmes.resource_pathway.read_models.role_coverage import (
    _MASKS,
    _ROLE_BITS,
    _ROLES_OF,
    BrokerCoverage,
    ColleagueCoverage,
    CoverageState,
    RoleCoverage,
    TrajectoryCoverage,
    _mask,
    _TrajectoryRoles,
)
from caseload.projections.base import person_uid
from caseload.projections.stored_entries import unread_entries

__all__ = ["coverage_summary", "role_coverage"]


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


_ALL_FOUR = (1 << len(_ROLE_BITS)) - 1
"""The bit mask of all four roles."""


_NONE: frozenset[tuple[Role, UUID]] = frozenset()


class _Pairs:
    """The (role, who) pairs of each (who, roles mask), made once per report: most people
    exercise the same few role sets in many trajectories, and a union of ready-made sets
    reuses their elements' hashes instead of hashing every pair again."""

    def __init__(self, colleagues: Mapping[UUID, str]) -> None:
        self._colleagues = colleagues
        self._made: dict[tuple[UUID, int], frozenset[tuple[Role, UUID]]] = {}

    def of(self, by: UUID, mask: int) -> frozenset[tuple[Role, UUID]]:
        key = (by, mask)
        found = self._made.get(key)
        if found is None:
            found = self._made[key] = frozenset((role, by) for role in _ROLES_OF[mask])
        return found

    def row(self, trajectory_id: UUID, t: _TrajectoryRoles) -> TrajectoryCoverage:
        everyone = [self.of(by, mask) for by, mask in t.exercised.items()]
        colleagues = [
            self.of(by, mask) for by, mask in t.exercised.items() if by in self._colleagues
        ]
        return TrajectoryCoverage(
            trajectory_id=trajectory_id,
            broker_id=t.broker_id,
            is_open=t.is_open,
            exercised=_union(everyone),
            by_colleagues=_union(colleagues),
        )


def _union(sets: list[frozenset[tuple[Role, UUID]]]) -> frozenset[tuple[Role, UUID]]:
    if not sets:
        return _NONE
    if len(sets) == 1:
        return sets[0]
    return sets[0].union(*sets[1:])


def role_coverage(state: CoverageState) -> RoleCoverage:
    """The frozen coverage report for a coverage state.

    One pass over the trajectories gathers every count by broker and by colleague (from
    the roles' bit masks), so the report grows with the trajectories plus the brokers,
    never with their product.
    """
    pairs = _Pairs(state.colleague_names)
    ordered = sorted(state.every_trajectory().items(), key=lambda item: str(item[0]))
    rows = tuple(pairs.row(trajectory_id, t) for trajectory_id, t in ordered)
    return attrs.evolve(coverage_summary(state), trajectories=rows)


@attrs.define
class _ActiveCounts:
    """What the summary counts over the active cases: active, all four roles by anyone,
    all four by the assigned broker alone, and with a colleague's roles; then per broker
    their active cases and those covered by them alone, and per colleague the active
    cases in which they exercised a role."""

    totals: tuple[int, int, int, int]
    active_by_broker: dict[UUID, int]
    alone_by_broker: dict[UUID, int]
    active_by_colleague: dict[UUID, int]


def _active_counts(
    trajectories: Mapping[UUID, _TrajectoryRoles], colleagues: Mapping[UUID, str]
) -> _ActiveCounts:
    """The counts over the open trajectories as entities."""
    active_by_broker: dict[UUID, int] = {}
    alone_by_broker: dict[UUID, int] = {}
    active_by_colleague: dict[UUID, int] = {}
    active = all_four = all_four_alone = with_colleagues = 0
    for t in trajectories.values():
        if t.broker_id is None:
            continue
        anyone = 0
        by_colleague = False
        for by, mask in t.exercised.items():
            anyone |= mask
            if mask and by in colleagues:
                by_colleague = True
        broker = t.broker_id
        active += 1
        active_by_broker[broker] = active_by_broker.get(broker, 0) + 1
        all_four += anyone == _ALL_FOUR
        if t.exercised.get(broker, 0) == _ALL_FOUR:
            all_four_alone += 1
            alone_by_broker[broker] = alone_by_broker.get(broker, 0) + 1
        if by_colleague:
            with_colleagues += 1
            for by, mask in t.exercised.items():
                if mask and by in colleagues:
                    active_by_colleague[by] = active_by_colleague.get(by, 0) + 1
    return _ActiveCounts(
        (active, all_four, all_four_alone, with_colleagues),
        active_by_broker,
        alone_by_broker,
        active_by_colleague,
    )


def _stored_active_counts(
    stored: Mapping[str, Any], colleagues: Mapping[UUID, str]
) -> _ActiveCounts:
    """The counts of `_active_counts` from the open trajectories as stored (`[broker,
    {person: roles}]` by trajectory, ids as hex), without making an entity or an id of
    each: the people are counted by their hex ids, which become ids once, at the end.
    `caseload status` reads the thousands of open trajectories only for these counts."""
    colleague_hex = {colleague.hex for colleague in colleagues}
    masks = _MASKS
    active_by_broker: dict[str, int] = {}
    alone_by_broker: dict[str, int] = {}
    active_by_colleague: dict[str, int] = {}
    active = all_four = all_four_alone = with_colleagues = 0
    for broker, exercised in stored.values():
        if broker is None:
            continue
        anyone = alone = 0
        by_colleague = False
        for by, roles in exercised.items():
            mask = masks.get(tuple(roles))
            if mask is None:
                mask = _mask(roles)
            anyone |= mask
            if by == broker:
                alone = mask
            if mask and by in colleague_hex:
                by_colleague = True
                active_by_colleague[by] = active_by_colleague.get(by, 0) + 1
        active += 1
        active_by_broker[broker] = active_by_broker.get(broker, 0) + 1
        all_four += anyone == _ALL_FOUR
        if alone == _ALL_FOUR:
            all_four_alone += 1
            alone_by_broker[broker] = alone_by_broker.get(broker, 0) + 1
        with_colleagues += by_colleague
    return _ActiveCounts(
        (active, all_four, all_four_alone, with_colleagues),
        {person_uid(by): count for by, count in active_by_broker.items()},
        {person_uid(by): count for by, count in alone_by_broker.items()},
        {person_uid(by): count for by, count in active_by_colleague.items()},
    )


def coverage_summary(state: CoverageState) -> RoleCoverage:
    """The coverage report without its rows per trajectory (`trajectories` is empty): per
    broker, per colleague and the programme's shares, as in `role_coverage`."""
    colleagues = state.colleague_names
    masks_by_broker: dict[UUID, int] = dict.fromkeys(state.broker_names, 0)
    masks_by_colleague: dict[UUID, int] = dict.fromkeys(colleagues, 0)
    for by, mask in state.roles_by.items():
        if not mask:
            continue
        if by in colleagues:
            masks_by_colleague[by] |= mask
        else:
            masks_by_broker[by] = masks_by_broker.get(by, 0) | mask
    stored = unread_entries(state.trajectories)
    if stored is None:
        counts = _active_counts(state.trajectories, colleagues)
    else:
        counts = _stored_active_counts(stored, colleagues)
    active, all_four, all_four_alone, with_colleagues = counts.totals
    active_by_broker, alone_by_broker = counts.active_by_broker, counts.alone_by_broker
    active_by_colleague = counts.active_by_colleague
    brokers = tuple(
        BrokerCoverage(
            broker_id=broker_id,
            name=state.broker_names.get(broker_id, "?"),
            roles_covered=frozenset(_ROLES_OF[mask]),
            active_cases=active_by_broker.get(broker_id, 0),
            cases_with_all_four_by_broker=alone_by_broker.get(broker_id, 0),
        )
        for broker_id, mask in sorted(
            masks_by_broker.items(),
            key=lambda item: (state.broker_names.get(item[0], ""), str(item[0])),
        )
    )
    colleague_rows = tuple(
        ColleagueCoverage(
            colleague_id=colleague_id,
            name=colleagues[colleague_id],
            roles_covered=frozenset(_ROLES_OF[mask]),
            active_cases_with_contact=active_by_colleague.get(colleague_id, 0),
        )
        for colleague_id, mask in sorted(
            masks_by_colleague.items(), key=lambda item: (colleagues[item[0]], str(item[0]))
        )
    )
    return RoleCoverage(
        trajectories=(),
        brokers=brokers,
        active_cases=active,
        share_all_four=_share(all_four, active),
        share_all_four_by_assigned_broker=_share(all_four_alone, active),
        colleagues=colleague_rows,
        share_with_colleague_roles=_share(with_colleagues, active),
    )

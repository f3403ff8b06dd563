"""Four-role coverage: which roles each citizen got, from whom, and the programme's shares.

Roles count by whoever exercised them: the assigned broker, another broker, or a colleague
without a caseload (such as the employment caseworker who keeps the authority role while
the roles are split). Colleagues count towards coverage "by anyone" only, never towards
the one-person model of the assigned broker alone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
from eventsourcing.domain import DomainEvent

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
    from caseload.programmes.resource_pathway.domain.broker import Broker
    from caseload.programmes.resource_pathway.domain.colleague import Colleague
    from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

__all__ = [
    "BrokerCoverage",
    "ColleagueCoverage",
    "CoverageState",
    "RoleCoverage",
    "RoleCoverageModel",
    "TrajectoryCoverage",
    "project_coverage",
]


@attrs.frozen
class TrajectoryCoverage:
    """The roles exercised for one trajectory, and by whom."""

    trajectory_id: UUID
    broker_id: UUID | None
    """The broker holding the trajectory now (None when unassigned or closed)."""
    is_open: bool
    exercised: frozenset[tuple[Role, UUID]]
    """Every (role, who) pair seen in a contact: by brokers and by colleagues."""
    by_colleagues: frozenset[tuple[Role, UUID]] = frozenset()
    """The pairs of `exercised` whose contact was made by a colleague (no caseload)."""

    @property
    def roles_covered(self) -> frozenset[Role]:
        """Roles exercised by anyone."""
        return frozenset(role for role, _ in self.exercised)

    @property
    def roles_by_assigned_broker(self) -> frozenset[Role]:
        """Roles exercised by the broker who holds the trajectory now."""
        return frozenset(role for role, by in self.exercised if by == self.broker_id)

    @property
    def roles_by_colleagues(self) -> frozenset[Role]:
        """Roles exercised by colleagues without a caseload."""
        return frozenset(role for role, _ in self.by_colleagues)

    @property
    def all_four(self) -> bool:
        """All four roles were exercised."""
        return self.roles_covered == ALL_ROLES

    @property
    def all_four_by_assigned_broker(self) -> bool:
        """All four roles were exercised by the assigned broker alone (the one-person model)."""
        return self.roles_by_assigned_broker == ALL_ROLES

    def exercised_by(self, role: Role) -> frozenset[UUID]:
        """The brokers and colleagues who exercised `role` for this trajectory."""
        return frozenset(by for r, by in self.exercised if r is role)


@attrs.frozen
class BrokerCoverage:
    """The roles a broker has exercised, and how many of their cases they cover alone."""

    broker_id: UUID
    name: str
    roles_covered: frozenset[Role]
    active_cases: int
    cases_with_all_four_by_broker: int


@attrs.frozen
class ColleagueCoverage:
    """The roles a colleague (no caseload) has exercised, and in how many active cases."""

    colleague_id: UUID
    name: str
    roles_covered: frozenset[Role]
    active_cases_with_contact: int
    """Active cases (open, with a broker) in which the colleague exercised a role."""


@attrs.frozen
class RoleCoverage:
    """Four-role coverage per trajectory, per broker, and as programme shares.

    The shares are over active cases: open trajectories that have a broker.
    """

    trajectories: tuple[TrajectoryCoverage, ...]
    brokers: tuple[BrokerCoverage, ...]
    """Every registered broker, and anyone else who made a contact but is neither a
    registered broker nor a registered colleague; never a colleague."""
    active_cases: int
    share_all_four: float
    """All four roles exercised, by anyone: the assigned broker, other brokers, colleagues."""
    share_all_four_by_assigned_broker: float
    """All four roles exercised by the assigned broker alone (the one-person model)."""
    colleagues: tuple[ColleagueCoverage, ...] = ()
    """Every registered colleague, by name then id."""
    share_with_colleague_roles: float = 0.0
    """Active cases in which a colleague exercised at least one role: how far the roles are
    still split between the broker and colleagues."""


_ROLE_BITS: dict[Role, int] = {role: 1 << n for n, role in enumerate(Role)}
_MASKS: dict[tuple[str, ...], int] = {}
"""The bits of the roles stored as a list, by that list: a decode meets few lists."""


def _mask(roles: list[str]) -> int:
    key = tuple(roles)
    mask = _MASKS.get(key)
    if mask is None:
        mask = _MASKS[key] = sum(_ROLE_BITS[Role(role)] for role in roles)
    return mask


_ROLES_OF: tuple[tuple[Role, ...], ...] = tuple(
    tuple(role for role, bit in _ROLE_BITS.items() if mask & bit)
    for mask in range(1 << len(_ROLE_BITS))
)
"""The roles in each bit mask, by mask."""
_VALUES_OF: tuple[list[str], ...] = tuple(
    sorted(role.value for role in roles) for roles in _ROLES_OF
)
"""The roles in each bit mask as their sorted values (the canonical form), by mask."""


@attrs.define
class _TrajectoryRoles:
    broker_id: UUID | None = None
    is_open: bool = True
    exercised: dict[UUID, int] = attrs.Factory(dict)
    """Per broker, the roles they exercised as a bit mask: a few small ints instead of a
    set of (role, broker) pairs, a tenth of the memory."""
    closed_on: date | None = None
    """The business date the trajectory closed (None while open)."""

    def pairs(self) -> frozenset[tuple[Role, UUID]]:
        """Every (role, broker) pair exercised."""
        return frozenset(
            (role, by) for by, mask in self.exercised.items() for role in _ROLES_OF[mask]
        )


@attrs.define
class CoverageState:
    """What the coverage projection keeps: per trajectory its broker and the roles each
    broker exercised, open trajectories apart from closed ones; and per person, every role
    they exercised in any trajectory.

    A report of the programme as it stands (`coverage_reports.coverage_summary`) reads the open
    trajectories and the roles per person only, so a state read back from the store never
    decodes its closed trajectories for it, however many years of them it holds."""

    trajectories: dict[UUID, _TrajectoryRoles] = attrs.field(
        factory=EntityMap, converter=as_entity_map
    )
    """The open trajectories."""
    broker_names: dict[UUID, str] = attrs.field(factory=EntityMap, converter=as_entity_map)
    colleague_names: dict[UUID, str] = attrs.field(factory=EntityMap, converter=as_entity_map)
    closed: dict[UUID, _TrajectoryRoles] = attrs.field(factory=EntityMap, converter=as_entity_map)
    """The closed trajectories."""
    roles_by: EntityMap[UUID, int] = attrs.field(factory=EntityMap, converter=as_entity_map)
    """Per broker or colleague (or anyone else who made a contact), the bit mask of every
    role they exercised, in open and closed trajectories alike."""

    def every_trajectory(self) -> dict[UUID, _TrajectoryRoles]:
        """Open and closed trajectories together."""
        return {**self.trajectories, **self.closed}


def _case(state: CoverageState, trajectory_id: UUID) -> _TrajectoryRoles:
    """A trajectory's entry, open or closed (a fact may be registered after closure)."""
    return in_either(trajectory_id, state.trajectories, state.closed)


def _broker_registered(state: CoverageState, event: Broker.Registered) -> None:
    state.broker_names[event.originator_id] = event.name


def _colleague_registered(state: CoverageState, event: Colleague.Registered) -> None:
    state.colleague_names[event.originator_id] = event.name


def _opened(state: CoverageState, event: Trajectory.Opened) -> None:
    state.trajectories[event.originator_id] = _TrajectoryRoles()


def _assigned(state: CoverageState, event: Trajectory.Assigned) -> None:
    _case(state, event.originator_id).broker_id = event.broker_id


def _transferred(state: CoverageState, event: Trajectory.Transferred) -> None:
    _case(state, event.originator_id).broker_id = event.to_broker_id


def _contact(state: CoverageState, event: Trajectory.ContactRecorded) -> None:
    exercised = _case(state, event.originator_id).exercised
    by = event.by
    roles = 0
    for role in event.roles:
        roles |= _ROLE_BITS[role]
    exercised[by] = exercised.get(by, 0) | roles
    # Looked at without noting it: most contacts add no role a person had not exercised,
    # and the person's entry (and its chunk) then stays as it was.
    known = state.roles_by.peek(by, 0)
    if known | roles != known:
        state.roles_by[by] = known | roles


def _closed(state: CoverageState, event: Trajectory.Closed) -> None:
    trajectory = moved(event.originator_id, state.trajectories, state.closed)
    trajectory.is_open = False
    trajectory.broker_id = None
    trajectory.closed_on = event.occurred_on


def _encode_trajectory(t: _TrajectoryRoles) -> Any:
    return [
        None if t.broker_id is None else t.broker_id.hex,
        {by.hex: _VALUES_OF[mask] for by, mask in t.exercised.items()},
    ]


def _encode_closed(t: _TrajectoryRoles) -> Any:
    return [*_encode_trajectory(t), t.closed_on]


def _retired(t: _TrajectoryRoles) -> str | None:
    return closed_month(t.closed_on)


def _name(name: str) -> str:
    return name


def _role_values(mask: int) -> list[str]:
    return _VALUES_OF[mask]


def _decode_open(value: Any) -> _TrajectoryRoles:
    broker, exercised = value
    return _TrajectoryRoles(
        broker_id=None if broker is None else person_uid(broker),
        is_open=True,
        exercised={person_uid(by): _mask(roles) for by, roles in exercised.items()},
    )


def _decode_closed(value: Any) -> _TrajectoryRoles:
    broker, exercised, closed = value
    trajectory = _decode_open([broker, exercised])
    trajectory.is_open = False
    trajectory.closed_on = day(closed)
    return trajectory


class RoleCoverageModel(ReadModel[CoverageState]):
    """The four-role coverage read model."""

    name = "role_coverage"
    version = 6
    """2: the roles exercised are written per broker (`{broker: [roles]}`), not as sorted
    (role, broker) pairs. 3: colleagues' names are kept (`colleagues`), so that their
    contacts count for coverage by anyone and not as a broker's. 4: closed trajectories are
    kept apart (`closed`) and the roles each person exercised are kept whole (`roles`), so
    that the programme's coverage as it stands reads neither the closed trajectories nor
    their chunks. 5: the names of brokers and colleagues and every person's roles are
    kept in chunks too, so that a contact writes only the chunks it changes, not all three
    maps whole. 6: a closed trajectory keeps the day it closed (a third entry), and the
    closed trajectories are kept in chunks by the month they closed (`closed_month`), not
    by their ids, so that a checkpoint or a write encodes the newly closed month's chunks
    only, not every chunk of closed trajectories that a closing reached."""

    def initial(self) -> CoverageState:
        return CoverageState()

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        # The aggregates are imported when events are first folded: reading a stored
        # state needs none of them.
        from caseload.programmes.resource_pathway.domain.broker import Broker
        from caseload.programmes.resource_pathway.domain.colleague import Colleague
        from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

        return {
            Broker.Registered: _broker_registered,
            Colleague.Registered: _colleague_registered,
            Trajectory.Opened: _opened,
            Trajectory.Assigned: _assigned,
            Trajectory.Transferred: _transferred,
            Trajectory.ContactRecorded: _contact,
            Trajectory.Closed: _closed,
        }

    def encode(self, state: CoverageState) -> Any:
        return {
            "brokers": Entries(state.broker_names, hex_of, _name),
            "colleagues": Entries(state.colleague_names, hex_of, _name),
            "trajectories": Entries(state.trajectories, hex_of, _encode_trajectory),
            "closed": Entries(
                state.closed, hex_of, _encode_closed, _retired, restore=(uid, _decode_closed)
            ),
            "roles": Entries(state.roles_by, hex_of, _role_values),
        }

    def decode(self, data: Any) -> CoverageState:
        return CoverageState(
            trajectories=entities(data["trajectories"], uid, _decode_open),
            closed=entities(data["closed"], uid, _decode_closed, _retired),
            roles_by=entities(data["roles"], person_uid, _mask),
            broker_names=entities(data["brokers"], person_uid, _name),
            colleague_names=entities(data["colleagues"], person_uid, _name),
        )


def project_coverage(
    events: Iterable[DomainEvent], *, as_true_on: date | None = None
) -> CoverageState:
    """Fold events into a coverage state, keeping only facts true on `as_true_on` if given."""
    return RoleCoverageModel().project(events, as_true_on=as_true_on)

"""The resource-pathway programme's commands: frozen values, checked when they are made.

A command's fields are checked for shape on construction (a broker id is a UUID, a
channel is a `Channel`, a name is one line of text), so an ill-formed command never
exists; what depends on the store or on today (the caseload limit, a date after today)
is checked by its handler. `Caseload.handle(command)` runs any of them; the named methods
of `Caseload` (`assign(...)`, `record_contact(...)`) build one and hand it over.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs

from caseload.domain.dates import check_date
from caseload.domain.errors import (
    InvalidContact,
    InvalidScores,
    InvalidValue,
    UnknownBroker,
    UnknownColleague,
    UnknownTrajectory,
)
from caseload.domain.inputs import as_id, business_day, member, optional_business_day, text
from caseload.domain.personal import ErasureReason, PersonalData, optional_note
from caseload.domain.text import MAX_TEXT_LENGTH, text_problem
from caseload.programmes.resource_pathway.domain.broker import validated_fte
from caseload.programmes.resource_pathway.domain.programme import (
    DEFAULT_POLICY,
    validated_policy,
)
from caseload.programmes.resource_pathway.domain.trajectory import validated_placement
from caseload.programmes.resource_pathway.domain.values import (
    CaseloadPolicy,
    Channel,
    ClosureReason,
    EmployerActivityKind,
    IndicatorSet,
    PathwayKind,
    Placement,
    PlacementKind,
    ReviewOutcome,
    Role,
)

__all__ = [
    "Assign",
    "BrokerLeaves",
    "ChangeFte",
    "CloseTrajectory",
    "ColleagueLeaves",
    "ConfigureProgramme",
    "ForgetCitizen",
    "OpenTrajectory",
    "RecordContact",
    "RecordEmployerActivity",
    "RecordJobPlacement",
    "RecordProgress",
    "RecordReview",
    "RegisterBroker",
    "RegisterColleague",
    "SetCaseloadPolicy",
    "Transfer",
]


def _programme_name(value: object) -> str:
    return text(value, "programme name")


def _broker_name(value: object) -> str:
    return text(value, "broker name")


def _team(value: object) -> str:
    return text(value, "team")


def _ends_on(value: object) -> date | None:
    return None if value is None else check_date(value, "ends_on")


def _broker(value: object) -> UUID:
    return as_id(value, UnknownBroker, "broker")


def _colleague(value: object) -> UUID:
    return as_id(value, UnknownColleague, "colleague")


def _colleague_name(value: object) -> str:
    return text(value, "colleague name")


def _activity_kind(value: object) -> EmployerActivityKind:
    return member(value, EmployerActivityKind, "kind of employer-directed activity")


def _trajectory(value: object) -> UUID:
    return as_id(value, UnknownTrajectory, "trajectory")


def _roles(value: object) -> frozenset[Role]:
    members = [value] if isinstance(value, Role) else value
    if not isinstance(members, set | frozenset | list | tuple) or not all(
        isinstance(each, Role) for each in members
    ):
        raise InvalidContact(
            "a contact names one or more of the four roles, as a Role or a set of Roles "
            f"({', '.join(r.name for r in Role)}); got a {type(value).__name__} of other things"
        )
    return frozenset(members)


def _scores(value: object) -> tuple[tuple[Any, Any], ...]:
    # Kept as pairs, in the order given: which names and scores the programme accepts
    # depends on its indicator set, which the handler checks.
    if not isinstance(value, Mapping) or not value:
        raise InvalidScores("progression needs at least one indicator score, as a dict")
    return tuple(value.items())


def _indicators(value: object) -> IndicatorSet:
    indicators = IndicatorSet() if value is None else value
    if (
        not isinstance(indicators, IndicatorSet)
        or not indicators.names
        or not all(text_problem(n, "indicator name") is None for n in indicators.names)
        or not all(
            isinstance(s, int) and not isinstance(s, bool)
            for s in (indicators.min_score, indicators.max_score)
        )
        or indicators.min_score > indicators.max_score
    ):
        raise InvalidValue(
            "indicators must be an IndicatorSet with at least one name (each one line of "
            f"at most {MAX_TEXT_LENGTH} characters) and whole-number scores "
            "min_score ≤ max_score"
        )
    return indicators


def _limit_per_fte(value: object) -> int:
    return validated_policy(value, date.min, "default").limit_per_fte


def _pathway(value: object) -> PathwayKind:
    return member(value, PathwayKind, "pathway")


def _personal(value: object) -> PersonalData | None:
    if value is None or isinstance(value, PersonalData):
        return value
    raise InvalidValue(
        f"personal data is given as a caseload.PersonalData value, not a {type(value).__name__}"
    )


def _erasure_reason(value: object) -> ErasureReason:
    return member(value, ErasureReason, "reason for erasure")


def _closure_reason(value: object) -> ClosureReason:
    return member(value, ClosureReason, "closure reason")


def _review_outcome(value: object) -> ReviewOutcome:
    return member(value, ReviewOutcome, "review outcome")


@attrs.frozen
class ConfigureProgramme:
    """Set up the store's resource-pathway programme once, before it records anything."""

    name: str = attrs.field(converter=_programme_name)
    on: date = attrs.field(converter=business_day)
    pathway: PathwayKind = attrs.field(default=PathwayKind.RESOURCE_PATHWAY, converter=_pathway)
    indicators: IndicatorSet = attrs.field(default=None, converter=_indicators)
    limit_per_fte: int = attrs.field(default=DEFAULT_POLICY.limit_per_fte, converter=_limit_per_fte)


@attrs.frozen
class SetCaseloadPolicy:
    """Set the caseload limit per full-time broker from `effective_from` on, decided on
    `on` (today when None); returns the `CaseloadPolicy`."""

    limit_per_fte: int
    effective_from: date
    name: str | None = None
    on: date | None = attrs.field(default=None, converter=optional_business_day)

    @property
    def policy(self) -> CaseloadPolicy:
        """The policy this command sets, checked (`InvalidPolicy` naming the bad part)."""
        effective_from = check_date(self.effective_from, "effective_from")
        policy = validated_policy(
            self.limit_per_fte, effective_from, self.name if self.name is not None else "?"
        )
        if self.name is None:
            policy = attrs.evolve(
                policy, name=f"{policy.limit_per_fte}-per-fte-from-{policy.effective_from}"
            )
        return policy

    def __attrs_post_init__(self) -> None:
        self.policy  # noqa: B018  (checks the policy when the command is made)


@attrs.frozen
class RegisterBroker:
    """Register a broker in the programme; returns the broker's id."""

    name: str = attrs.field(converter=_broker_name)
    team: str = attrs.field(converter=_team)
    on: date = attrs.field(converter=business_day)
    fte: Decimal = attrs.field(default=Decimal("1.00"), converter=validated_fte)


@attrs.frozen
class ChangeFte:
    """Change a broker's FTE; refused if the new limit is below their caseload."""

    broker: UUID = attrs.field(converter=_broker)
    fte: Decimal = attrs.field(converter=validated_fte)
    on: date = attrs.field(converter=business_day)


@attrs.frozen
class BrokerLeaves:
    """Record that a broker left the programme; refused while they hold cases, and on a
    day before a contact they made."""

    broker: UUID = attrs.field(converter=_broker)
    on: date = attrs.field(converter=business_day)


@attrs.frozen
class OpenTrajectory:
    """Open a trajectory for the citizen with CPR number `cpr`; returns its id. Only a
    keyed pseudonym of the CPR number is stored."""

    cpr: str = attrs.field(repr=False)
    on: date = attrs.field(converter=business_day)
    pathway: PathwayKind = attrs.field(default=PathwayKind.RESOURCE_PATHWAY, converter=_pathway)
    personal: PersonalData | None = attrs.field(default=None, converter=_personal, repr=False)
    """The citizen's name, phone and address, stored encrypted under their data key."""


@attrs.frozen
class Assign:
    """Give an unassigned trajectory to a broker, within the broker's limit."""

    trajectory: UUID = attrs.field(converter=_trajectory)
    broker: UUID = attrs.field(converter=_broker)
    on: date = attrs.field(converter=business_day)


@attrs.frozen
class Transfer:
    """Move a trajectory to another broker; both brokers and the case in one write."""

    trajectory: UUID = attrs.field(converter=_trajectory)
    to_broker: UUID = attrs.field(converter=_broker)
    on: date = attrs.field(converter=business_day)


@attrs.frozen
class CloseTrajectory:
    """Close a trajectory; its broker's case is released in the same write."""

    trajectory: UUID = attrs.field(converter=_trajectory)
    on: date = attrs.field(converter=business_day)
    reason: ClosureReason = attrs.field(converter=_closure_reason)


@attrs.frozen
class RecordContact:
    """A contact: the roles exercised (one or more), the channel, and by whom."""

    trajectory: UUID = attrs.field(converter=_trajectory)
    on: date = attrs.field(converter=business_day)
    roles: frozenset[Role] = attrs.field(converter=_roles)
    channel: Channel = attrs.field()
    """Checked by the trajectory, which knows the channels a new contact may name."""
    by: UUID = attrs.field(converter=_broker)
    note: str | None = attrs.field(default=None, converter=optional_note, repr=False)
    """The caseworker's note, stored encrypted under the citizen's data key."""


@attrs.frozen
class RecordProgress:
    """Scores on the programme's progression indicators (checked against its set)."""

    trajectory: UUID = attrs.field(converter=_trajectory)
    on: date = attrs.field(converter=business_day)
    scores: tuple[tuple[Any, Any], ...] = attrs.field(converter=_scores)


@attrs.frozen
class RecordJobPlacement:
    """A placement in an ordinary job (with paid hours), a flex job or education."""

    trajectory: UUID = attrs.field(converter=_trajectory)
    on: date = attrs.field(converter=business_day)
    kind: PlacementKind
    hours_per_week: float | None = None

    @property
    def placement(self) -> Placement:
        """The placement this command records."""
        return validated_placement(self.kind, self.hours_per_week)

    def __attrs_post_init__(self) -> None:
        self.placement  # noqa: B018  (checks kind and hours when the command is made)


@attrs.frozen
class RecordReview:
    """The outcome of a management case review (sagssparring)."""

    trajectory: UUID = attrs.field(converter=_trajectory)
    on: date = attrs.field(converter=business_day)
    outcome: ReviewOutcome = attrs.field(converter=_review_outcome)


@attrs.frozen
class RegisterColleague:
    """Register a colleague (kollega) who makes contacts but holds no cases, such as the
    employment caseworker who keeps the authority role while roles are split; returns
    their id. A colleague has no caseload, no limit and no FTE in staffing."""

    name: str = attrs.field(converter=_colleague_name)
    team: str = attrs.field(converter=_team)
    on: date = attrs.field(converter=business_day)


@attrs.frozen
class ColleagueLeaves:
    """A colleague stops working with the programme's citizens; refused on a day before a
    contact they made."""

    colleague: UUID = attrs.field(converter=_colleague)
    on: date = attrs.field(converter=business_day)


@attrs.frozen
class RecordEmployerActivity:
    """An employer-directed activity (virksomhedsrettet indsats) that started on `on`: a
    company internship, a wage-subsidy job or another activity at a company; `ends_on` is
    its planned last day (it may lie ahead), None when open-ended."""

    trajectory: UUID = attrs.field(converter=_trajectory)
    on: date = attrs.field(converter=business_day)
    kind: EmployerActivityKind = attrs.field(converter=_activity_kind)
    ends_on: date | None = attrs.field(default=None, converter=_ends_on)


@attrs.frozen
class ForgetCitizen:
    """Erase the personal data of the citizen with CPR number `cpr`: their data key is
    deleted and an erasure event (with no personal data) is recorded; their pseudonym is
    retired. Refused while a trajectory of theirs is open."""

    cpr: str = attrs.field(repr=False)
    on: date = attrs.field(converter=business_day)
    reason: ErasureReason = attrs.field(converter=_erasure_reason)

"""The education programme's commands: frozen values, checked for shape when they are made.

What depends on the store or on today (whether a plan exists, eligibility, a date after
today) is checked by the handlers in `caseload.programmes.education.handlers`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from uuid import UUID

import attrs

from caseload.domain.dates import check_date
from caseload.domain.errors import (
    DateOutOfRange,
    InvalidEligibilityTable,
    InvalidTarget,
    InvalidValue,
    UnknownAmbassador,
    UnknownPlan,
    UnknownSession,
)
from caseload.domain.inputs import as_id, business_day, member, text
from caseload.domain.personal import optional_note
from caseload.programmes.education.domain.eligibility import (
    DEFAULT_ELIGIBILITY,
    EligibilityTable,
)
from caseload.programmes.education.domain.programme import MAX_TARGET
from caseload.programmes.education.domain.values import (
    NOT_RELEVANT,
    BaselineCount,
    DropOutReason,
    Financing,
    GroupSize,
    Scheme,
    SessionKind,
    TargetGroup,
    TargetRow,
    TargetValue,
    check_year,
    groups_of,
)

__all__ = [
    "AmbassadorLeaves",
    "CompleteScheme",
    "ConfigureEducationProgramme",
    "DraftEducationPlan",
    "HoldSession",
    "RecordBaseline",
    "RecordDropOut",
    "RecordVisit",
    "RegisterAmbassador",
    "ReplaceEligibility",
    "SetTarget",
    "StartScheme",
]


def _programme_name(value: object) -> str:
    return text(value, "programme name")


def _source(value: object) -> str:
    return text(value, "source")


def _ambassador_name(value: object) -> str:
    return text(value, "ambassador name")


def _team(value: object) -> str:
    return text(value, "team")


def _job_prospect(value: object) -> str:
    return text(value, "job prospect")


def _education(value: object) -> str:
    return text(value, "education")


def _place(value: object) -> str:
    return text(value, "place")


def _provider(value: object) -> str:
    return text(value, "provider")


def _ambassador(value: object) -> UUID:
    return as_id(value, UnknownAmbassador, "ambassador")


def _plan(value: object) -> UUID:
    return as_id(value, UnknownPlan, "education plan")


def _optional_plan(value: object) -> UUID | None:
    return None if value is None else _plan(value)


def _session(value: object) -> UUID:
    return as_id(value, UnknownSession, "session")


def _scheme(value: object) -> Scheme:
    return member(value, Scheme, "scheme")


def _group(value: object) -> TargetGroup:
    return member(value, TargetGroup, "target group")


def _optional_group(value: object) -> TargetGroup | None:
    return None if value is None else _group(value)


def _groups(value: object) -> frozenset[TargetGroup]:
    return groups_of(value)  # type: ignore[arg-type]  # groups_of checks what it is given


def _financing(value: object) -> Financing:
    return member(value, Financing, "financing")


def _reason(value: object) -> DropOutReason:
    return member(value, DropOutReason, "drop-out reason")


def _period_start(value: object) -> date:
    return check_date(value, "period_start")


def _period_end(value: object) -> date:
    return check_date(value, "period_end")


def _planned_start(value: object) -> date:
    return check_date(value, "planned_start")


def _planned_end(value: object) -> date:
    return check_date(value, "planned_end")


def _first_contact_on(value: object) -> date | None:
    return None if value is None else check_date(value, "first_contact_on")


def _kind(value: object) -> SessionKind:
    return member(value, SessionKind, "session kind")


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue(f"on_positive_list must be True or False, not {type(value).__name__}")
    return value


def _override(value: object) -> str | None:
    return None if value is None else text(value, "override reason")


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"a count is a whole number, not {type(value).__name__}")
    return value


def _target_value(value: object) -> TargetValue:
    if value is NOT_RELEVANT:
        return NOT_RELEVANT
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TARGET:
        raise InvalidTarget(
            f"a target is a whole number of starts from 0 to {MAX_TARGET}, or NOT_RELEVANT"
        )
    return value


def _year(value: object) -> int:
    check_year(value)
    assert isinstance(value, int)
    return value


def _table(value: object) -> EligibilityTable:
    table = DEFAULT_ELIGIBILITY if value is None else value
    if not isinstance(table, EligibilityTable):
        raise InvalidEligibilityTable(
            f"an eligibility table is an EligibilityTable, not {type(table).__name__}"
        )
    return table


def _sizes(value: object) -> tuple[GroupSize, ...]:
    # A GroupSize checks its own group, count and note when it is made.
    sizes = tuple(value) if isinstance(value, list | tuple) else None
    if sizes is None or not all(isinstance(size, GroupSize) for size in sizes):
        raise InvalidValue(
            "gross target groups are a list or tuple of GroupSize values; "
            f"got a {type(value).__name__}{'' if sizes is None else ' of other things'}"
        )
    return sizes


_BASELINE_RULE = (
    "historical figures are BaselineCount(year, scheme, count) values (or a dict from "
    "(year, scheme) to count), at least one"
)


def _baseline(value: object) -> tuple[BaselineCount, ...]:
    # A BaselineCount checks its own year, scheme and count when it is made.
    if isinstance(value, Mapping):
        keys = list(value)
        if not all(isinstance(key, tuple) and len(key) == 2 for key in keys):
            raise InvalidValue(f"{_BASELINE_RULE}; got a dict with other keys")
        value = [BaselineCount(year, scheme, value[year, scheme]) for year, scheme in keys]
    counts = tuple(value) if isinstance(value, list | tuple) else ()
    if not counts or not all(isinstance(count, BaselineCount) for count in counts):
        raise InvalidValue(f"{_BASELINE_RULE}; got a {type(value).__name__} that is not that")
    return tuple(sorted(counts, key=lambda c: (c.year, c.scheme.value)))


@attrs.frozen
class ConfigureEducationProgramme:
    """Set up the store's education programme once: its period, gross target groups and
    the eligibility table (the public rules unless another is given); returns its id."""

    name: str = attrs.field(converter=_programme_name)
    on: date = attrs.field(converter=business_day)
    period_start: date = attrs.field(converter=_period_start)
    period_end: date = attrs.field(converter=_period_end)
    group_sizes: tuple[GroupSize, ...] = attrs.field(default=(), converter=_sizes)
    eligibility: EligibilityTable = attrs.field(default=None, converter=_table)

    def __attrs_post_init__(self) -> None:
        if self.period_end < self.period_start:
            raise DateOutOfRange(
                f"a programme's period ends on or after it starts; got {self.period_start} to "
                f"{self.period_end}"
            )


@attrs.frozen
class ReplaceEligibility:
    """Check later starts against another eligibility table, decided on `on`."""

    eligibility: EligibilityTable = attrs.field(converter=_table)
    on: date = attrs.field(converter=business_day)


@attrs.frozen
class SetTarget:
    """Decide on `on` the target for starts of `scheme` by `target_group` (one group or a
    set) in `year`: a whole number, or `NOT_RELEVANT`."""

    scheme: Scheme = attrs.field(converter=_scheme)
    target_group: frozenset[TargetGroup] = attrs.field(converter=_groups)
    year: int = attrs.field(converter=_year)
    count: TargetValue = attrs.field(converter=_target_value)
    on: date = attrs.field(converter=business_day)

    @property
    def row(self) -> TargetRow:
        """What the target counts."""
        return TargetRow(self.scheme, self.target_group)


@attrs.frozen
class RecordBaseline:
    """Record yearly counts of starts from before the programme (the history line)."""

    counts: tuple[BaselineCount, ...] = attrs.field(converter=_baseline)
    on: date = attrs.field(converter=business_day)
    source: str = attrs.field(default="the programme's application", converter=_source)


@attrs.frozen
class RegisterAmbassador:
    """Register an education ambassador (no caseload limit applies); returns their id."""

    name: str = attrs.field(converter=_ambassador_name)
    team: str = attrs.field(converter=_team)
    on: date = attrs.field(converter=business_day)


@attrs.frozen
class AmbassadorLeaves:
    """Record that an ambassador left; not before a plan they drafted or a session they held."""

    ambassador: UUID = attrs.field(converter=_ambassador)
    on: date = attrs.field(converter=business_day)


@attrs.frozen
class DraftEducationPlan:
    """Draft the education plan of the citizen with CPR number `cpr` (only a keyed
    pseudonym is stored); returns the plan's id. A citizen has one plan."""

    cpr: str = attrs.field(repr=False)
    on: date = attrs.field(converter=business_day)
    ambassador: UUID = attrs.field(converter=_ambassador)
    target_group: TargetGroup = attrs.field(converter=_group)
    job_prospect: str = attrs.field(converter=_job_prospect)
    education: str = attrs.field(converter=_education)
    on_positive_list: bool = attrs.field(converter=_flag)
    planned_start: date = attrs.field(converter=_planned_start)
    planned_end: date = attrs.field(converter=_planned_end)
    place: str = attrs.field(converter=_place)
    financing: Financing = attrs.field(converter=_financing)
    first_contact_on: date | None = attrs.field(default=None, converter=_first_contact_on)
    note: str | None = attrs.field(default=None, converter=optional_note, repr=False)
    """The plan's free text, stored encrypted under the citizen's data key."""

    def __attrs_post_init__(self) -> None:
        if self.planned_end < self.planned_start:
            raise DateOutOfRange(
                f"a plan's education ends on or after it starts; got {self.planned_start} to "
                f"{self.planned_end}"
            )
        if self.first_contact_on is not None and self.first_contact_on > self.on:
            raise DateOutOfRange(
                f"the first contact, {self.first_contact_on}, comes on or before the plan is "
                f"drafted, {self.on}"
            )


@attrs.frozen
class StartScheme:
    """The citizen of plan `plan` (the CPR number gives their age; only the age in whole
    years is stored) started `scheme` with `provider`; refused with `NotEligible` unless the
    eligibility table admits it or `override` gives the reason it was granted anyway."""

    plan: UUID = attrs.field(converter=_plan)
    cpr: str = attrs.field(repr=False)
    scheme: Scheme = attrs.field(converter=_scheme)
    on: date = attrs.field(converter=business_day)
    provider: str = attrs.field(converter=_provider)
    target_group: TargetGroup | None = attrs.field(default=None, converter=_optional_group)
    """The citizen's group on the start date (the plan's group when None)."""
    override: str | None = attrs.field(default=None, converter=_override)


@attrs.frozen
class CompleteScheme:
    """The citizen completed the plan's running scheme."""

    plan: UUID = attrs.field(converter=_plan)
    on: date = attrs.field(converter=business_day)


@attrs.frozen
class RecordDropOut:
    """The citizen left the plan's running scheme before completing it."""

    plan: UUID = attrs.field(converter=_plan)
    on: date = attrs.field(converter=business_day)
    reason: DropOutReason = attrs.field(converter=_reason)


@attrs.frozen
class HoldSession:
    """An ambassador held drop-in hours or a booked guidance session; returns its id."""

    kind: SessionKind = attrs.field(converter=_kind)
    on: date = attrs.field(converter=business_day)
    place: str = attrs.field(converter=_place)
    ambassador: UUID = attrs.field(converter=_ambassador)


@attrs.frozen
class RecordVisit:
    """Visitors at a session: `count` anonymous ones, or the citizen of plan `plan`
    (whose plan records the contact in the same write)."""

    session: UUID = attrs.field(converter=_session)
    plan: UUID | None = attrs.field(default=None, converter=_optional_plan)
    count: int = attrs.field(default=1, converter=_count)

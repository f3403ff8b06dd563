"""Value objects of the education programme: enums and frozen attrs classes, all transcodable."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date

import attrs

from caseload.domain.errors import InvalidTarget, InvalidValue
from caseload.domain.text import text_problem

__all__ = [
    "EMPLOYED",
    "FIRST_YEAR",
    "LAST_YEAR",
    "MAX_COUNT",
    "NOT_RELEVANT",
    "UNEMPLOYED",
    "BaselineCount",
    "BaselineCounts",
    "DropOutReason",
    "Financing",
    "GroupSize",
    "GroupSizes",
    "NotRelevant",
    "Scheme",
    "SessionKind",
    "TargetDecision",
    "TargetGroup",
    "TargetRow",
    "TargetValue",
    "check_count",
    "check_member",
    "check_year",
    "groups_of",
]


def _check_text(value: object, what: str) -> None:
    problem = text_problem(value, what)
    if problem is not None:
        raise InvalidValue(problem)


class TargetGroup(enum.Enum):
    """The group a citizen belongs to when a target counts them (målgruppe)."""

    INSURED_UNEMPLOYED = "insured_unemployed"
    """Insured unemployed on unemployment benefit (forsikret ledig, dagpengemodtager)."""
    JOB_READY_CASH_BENEFIT = "job_ready_cash_benefit"
    """Job-ready cash-benefit recipient (jobparat kontanthjælpsmodtager)."""
    EMPLOYED_UNSKILLED = "employed_unskilled"
    """Employed without vocational training (ufaglært beskæftiget)."""
    YOUTH = "youth"
    """A young person under 30 on education aid (ung, uddannelseshjælpsmodtager)."""


class Scheme(enum.Enum):
    """A statutory route into education that targets count starts of (ordning)."""

    EDUCATION_LIFT = "education_lift"
    """Education lift (uddannelsesløft) at up to 80 % of unemployment benefit."""
    EDUCATION_LIFT_110 = "education_lift_110"
    """The temporary right to an education lift in a shortage area at 110 % of
    unemployment benefit (midlertidig ret til uddannelsesløft inden for mangelområder)."""
    ADULT_APPRENTICESHIP = "adult_apprenticeship"
    """Adult apprenticeship (voksenlærling)."""
    BASIC_SKILLS = "basic_skills"
    """Basic skills: preparatory adult education or dyslexia teaching (FVU/OBU)."""
    PRIOR_LEARNING = "prior_learning"
    """Recognition of prior learning (realkompetencevurdering, RKV)."""


class Financing(enum.Enum):
    """How the citizen lives while taking the education (forsørgelse under uddannelsen)."""

    UNEMPLOYMENT_BENEFIT = "unemployment_benefit"
    """Unemployment benefit (dagpenge), 80 % or 100 % of the rate."""
    UNEMPLOYMENT_BENEFIT_110 = "unemployment_benefit_110"
    """110 % of the unemployment benefit rate (the shortage-area lift)."""
    CASH_BENEFIT = "cash_benefit"
    """Cash benefit or education aid (kontanthjælp / uddannelseshjælp)."""
    APPRENTICE_WAGE = "apprentice_wage"
    """An adult apprentice's wage, paid by the employer (voksenlærlingeløn)."""
    SALARY = "salary"
    """The citizen's own salary, kept by the employer during the course."""
    ADULT_EDUCATION_GRANT = "adult_education_grant"
    """State adult education grant (Statens Voksenuddannelsesstøtte, SVU)."""
    STUDENT_GRANT = "student_grant"
    """State student grant (SU)."""
    OTHER = "other"


class DropOutReason(enum.Enum):
    """Why a citizen left a scheme before completing it (frafald)."""

    JOB = "job"
    ILLNESS = "illness"
    MOTIVATION = "motivation"
    FINANCES = "finances"
    ACADEMIC = "academic"
    MOVED = "moved"
    OTHER = "other"


class SessionKind(enum.Enum):
    """An ambassador's session with citizens."""

    DROP_IN = "drop_in"
    """Open drop-in hours (åben træffetid), proposed for Thursdays: anyone may come."""
    BOOKED = "booked"
    """A guidance session booked ahead (booket tid hos uddannelsesambassadøren)."""


class NotRelevant(enum.Enum):
    """A target that does not apply in a year ("ikke relevant"), which is not a target of 0."""

    NOT_RELEVANT = "not_relevant"


NOT_RELEVANT = NotRelevant.NOT_RELEVANT
"""The target value "not relevant"."""

TargetValue = int | NotRelevant
"""A yearly target: a number of starts, or `NOT_RELEVANT`."""


MAX_COUNT = 10_000_000
"""The largest count of citizens or starts a value of the programme holds."""
FIRST_YEAR = 1900
"""The earliest year a yearly figure (a baseline count, a target) may be for."""
LAST_YEAR = 2200
"""The latest year a yearly figure may be for."""


def groups_of(value: TargetGroup | Iterable[TargetGroup]) -> frozenset[TargetGroup]:
    """One target group, or several, as a frozenset; `InvalidTarget` unless every member
    is a `TargetGroup` and there is at least one."""
    members = [value] if isinstance(value, TargetGroup) else value
    if (
        not isinstance(members, set | frozenset | list | tuple)
        or not members
        or not all(isinstance(each, TargetGroup) for each in members)
    ):
        raise InvalidTarget(
            "target groups are a TargetGroup or a set of them "
            f"({', '.join(g.name for g in TargetGroup)}), at least one; "
            f"got a {type(value).__name__}"
        )
    return frozenset(members)


def check_member(value: object, enum_class: type[enum.Enum], what: str) -> None:
    """`InvalidValue` unless `value` is a member of `enum_class` (the message lists them)."""
    if not isinstance(value, enum_class):
        options = ", ".join(m.name for m in enum_class)
        raise InvalidValue(
            f"a {what} must be one of {enum_class.__name__}.{{{options}}}; "
            f"got a {type(value).__name__}"
        )


def check_count(value: object, what: str) -> None:
    """`InvalidValue` unless `value` is a whole number from 0 to `MAX_COUNT`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise InvalidValue(
            f"{what} is a whole number from 0 to {MAX_COUNT}; got a {type(value).__name__}"
            f"{' outside that range' if type(value) is int else ''}"
        )


def check_year(value: object) -> None:
    """`InvalidTarget` unless `value` is a whole year from `FIRST_YEAR` to `LAST_YEAR`."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not FIRST_YEAR <= value <= LAST_YEAR
    ):
        raise InvalidTarget(
            f"a year is a whole number from {FIRST_YEAR} to {LAST_YEAR}, such as 2021; "
            f"got a {type(value).__name__}{' outside that range' if type(value) is int else ''}"
        )


UNEMPLOYED: frozenset[TargetGroup] = frozenset(
    {TargetGroup.INSURED_UNEMPLOYED, TargetGroup.JOB_READY_CASH_BENEFIT, TargetGroup.YOUTH}
)
"""The unemployed groups ("ledige"): insured, on cash benefit, or young on education aid."""
EMPLOYED: frozenset[TargetGroup] = frozenset({TargetGroup.EMPLOYED_UNSKILLED})
"""The employed group ("beskæftigede")."""


@attrs.frozen(order=False)
class TargetRow:
    """What a target counts: starts of one scheme by citizens of some target groups."""

    scheme: Scheme = attrs.field(validator=lambda _i, _a, v: check_member(v, Scheme, "scheme"))
    groups: frozenset[TargetGroup] = attrs.field(converter=groups_of)

    @property
    def key(self) -> str:
        """A stable text key: the scheme, then the groups' values sorted."""
        return "|".join([self.scheme.value, *sorted(group.value for group in self.groups)])

    def counts(self, scheme: Scheme, group: TargetGroup) -> bool:
        """Whether a start of `scheme` by a citizen of `group` counts in this row."""
        return scheme is self.scheme and group in self.groups


@attrs.frozen
class GroupSize:
    """A gross target group the programme serves, as its configuration gives it
    (bruttomålgruppe): how many citizens of a group, per year."""

    target_group: TargetGroup = attrs.field(
        validator=lambda _i, _a, v: check_member(v, TargetGroup, "target group")
    )
    count: int = attrs.field(validator=lambda _i, _a, v: check_count(v, "a group's size"))
    note: str = attrs.field(validator=lambda _i, _a, v: _check_text(v, "gross target group's note"))
    """What the count is of, e.g. "unskilled insured unemployed"."""


@attrs.frozen
class BaselineCount:
    """How many starts of a scheme a year before the programme saw (historical figures)."""

    year: int = attrs.field(validator=lambda _i, _a, v: check_year(v))
    scheme: Scheme = attrs.field(validator=lambda _i, _a, v: check_member(v, Scheme, "scheme"))
    count: int = attrs.field(validator=lambda _i, _a, v: check_count(v, "a baseline count"))


def _sizes(sizes: Iterable[GroupSize]) -> tuple[GroupSize, ...]:
    return tuple(sizes)


def _counts(counts: Iterable[BaselineCount]) -> tuple[BaselineCount, ...]:
    return tuple(counts)


@attrs.frozen
class GroupSizes:
    """A programme's gross target groups, in the order its configuration gives them."""

    sizes: tuple[GroupSize, ...] = attrs.field(converter=_sizes)


@attrs.frozen
class BaselineCounts:
    """Historical figures recorded together, in the order given."""

    counts: tuple[BaselineCount, ...] = attrs.field(converter=_counts)


@attrs.frozen
class TargetDecision:
    """A target as decided: for `row` in `year`, on `decided_on`."""

    row: TargetRow
    year: int
    value: TargetValue
    decided_on: date

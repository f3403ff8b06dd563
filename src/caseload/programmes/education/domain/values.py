"""Value objects of the education programme: enums and frozen attrs classes, all transcodable."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date

import attrs

__all__ = [
    "EMPLOYED",
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
    "groups_of",
]


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


def groups_of(value: TargetGroup | Iterable[TargetGroup]) -> frozenset[TargetGroup]:
    """One target group, or several, as a frozenset."""
    if isinstance(value, TargetGroup):
        return frozenset({value})
    return frozenset(value)


UNEMPLOYED: frozenset[TargetGroup] = frozenset(
    {TargetGroup.INSURED_UNEMPLOYED, TargetGroup.JOB_READY_CASH_BENEFIT, TargetGroup.YOUTH}
)
"""The unemployed groups ("ledige"): insured, on cash benefit, or young on education aid."""
EMPLOYED: frozenset[TargetGroup] = frozenset({TargetGroup.EMPLOYED_UNSKILLED})
"""The employed group ("beskæftigede")."""


@attrs.frozen(order=False)
class TargetRow:
    """What a target counts: starts of one scheme by citizens of some target groups."""

    scheme: Scheme
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

    target_group: TargetGroup
    count: int
    note: str
    """What the count is of, e.g. "unskilled insured unemployed"."""


@attrs.frozen
class BaselineCount:
    """How many starts of a scheme a year before the programme saw (historical figures)."""

    year: int
    scheme: Scheme
    count: int


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

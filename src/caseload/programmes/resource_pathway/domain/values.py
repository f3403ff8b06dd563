"""Value objects of the caseload domain: enums and frozen attrs classes, all transcodable.

`CaseloadPolicy` (shared by every programme) lives in `caseload.domain.policy` and is
re-exported here, where the resource pathway's code has always found it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from caseload.domain.errors import InvalidPlacement, InvalidValue
from caseload.domain.policy import CaseloadPolicy
from caseload.domain.text import has_control_characters, text_problem

__all__ = [
    "ALL_ROLES",
    "DEFAULT_INDICATORS",
    "MAX_SCORE_MAGNITUDE",
    "CaseloadPolicy",
    "Channel",
    "ClosureReason",
    "EmployerActivityKind",
    "IndicatorSet",
    "PathwayKind",
    "Placement",
    "PlacementKind",
    "ReviewOutcome",
    "Role",
    "Scores",
    "has_control_characters",
]


class Role(enum.Enum):
    """The four roles a broker covers for each citizen."""

    AUTHORITY = "authority"
    """Authority (myndighed): decisions and the legal side of the case."""
    EMPLOYER_LIAISON = "employer_liaison"
    """Employer liaison (virksomhedssamarbejde): contact with workplaces."""
    MENTOR_LIKE = "mentor_like"
    """Mentor-like support (mentorlignende indsats)."""
    COACH = "coach"
    """Coach (samtalepartner / coach)."""


ALL_ROLES: frozenset[Role] = frozenset(Role)


class Channel(enum.Enum):
    """How a contact with the citizen took place."""

    MEETING = "meeting"
    PHONE = "phone"
    DIGITAL = "digital"
    COMPANY_VISIT = "company_visit"
    DROP_IN = "drop_in"
    UNKNOWN = "unknown"
    """Only for contacts recorded before the channel was kept (read through an upcaster);
    a new contact must name its channel."""


class PathwayKind(enum.Enum):
    """The kind of pathway a citizen is on; a programme takes one kind only."""

    RESOURCE_PATHWAY = "resource_pathway"
    """Resource pathway (ressourceforløb)."""
    JOB_CLARIFICATION = "job_clarification"
    """Job clarification pathway (jobafklaringsforløb)."""
    OTHER = "other"


class PlacementKind(enum.Enum):
    """What a citizen was placed in."""

    ORDINARY_JOB = "ordinary_job"
    FLEX_JOB = "flex_job"
    EDUCATION = "education"


class ClosureReason(enum.Enum):
    """Why a trajectory was closed."""

    JOB = "job"
    FLEX_JOB = "flex_job"
    EDUCATION = "education"
    DISABILITY_PENSION = "disability_pension"
    FLEX_JOB_WAITING_BENEFIT = "flex_job_waiting_benefit"
    MOVED = "moved"
    OTHER = "other"


class ReviewOutcome(enum.Enum):
    """The outcome of a management case review (sagssparring)."""

    CONTINUE = "continue"
    ADJUST_PLAN = "adjust_plan"
    REFER_REHABILITATION_TEAM = "refer_rehabilitation_team"
    PREPARE_CLOSURE = "prepare_closure"


class EmployerActivityKind(enum.Enum):
    """The kind of an employer-directed activity (virksomhedsrettet indsats): time the
    citizen spends at a workplace as part of the trajectory, short of a placement."""

    COMPANY_INTERNSHIP = "company_internship"
    """Company internship (virksomhedspraktik): unpaid training at a workplace, on benefit."""
    WAGE_SUBSIDY_JOB = "wage_subsidy_job"
    """Wage-subsidy job (ansættelse med løntilskud): a job with a public wage subsidy."""
    OTHER_COMPANY_BASED = "other_company_based"
    """Any other activity at a company, such as a mentor at the workplace or a few hours
    of work (småjob) arranged as part of the trajectory."""


def _hours(value: Decimal | int | float | str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        hours = Decimal(value) if isinstance(value, Decimal) else Decimal(str(value))
        plausible = hours.is_finite() and 0 <= hours <= _MOST_HOURS
    except (ArithmeticError, ValueError):
        plausible = False
    if not plausible:
        raise InvalidPlacement(
            f"a placement's paid hours per week are a number from 0 to {_MOST_HOURS}; "
            f"got a {type(value).__name__} that is not one"
        )
    return hours


_MOST_HOURS = 168
"""The hours in a week: no stored placement has more (commands allow at most 37)."""


@attrs.frozen
class Placement:
    """A job placement: its kind and, for paid work, the paid hours per week."""

    kind: PlacementKind
    hours_per_week: Decimal | None = attrs.field(default=None, converter=_hours)


def _score_pairs(value: Mapping[str, int] | Iterable[Iterable[Any]]) -> tuple[tuple[str, int], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    pairs = []
    for item in items:
        name, score = tuple(item)
        pairs.append((str(name), int(score)))
    return tuple(sorted(pairs))


@attrs.frozen
class Scores:
    """Scores on named employability indicators, sorted by indicator name."""

    values: tuple[tuple[str, int], ...] = attrs.field(converter=_score_pairs)

    def as_dict(self) -> dict[str, int]:
        """The scores as a plain dict from indicator name to score."""
        return dict(self.values)

    def __len__(self) -> int:
        return len(self.values)


DEFAULT_INDICATORS: tuple[str, ...] = (
    "basic_skills",
    "cooperation",
    "daily_life_coping",
    "health_coping",
    "job_confidence",
    "job_search",
    "labour_market_knowledge",
    "professional_skills",
    "self_efficacy",
    "social_network",
    "work_stamina",
)


MAX_SCORE_MAGNITUDE = 1_000
"""A score scale lies within -1000 to 1000."""


def _names(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidValue(
            f"indicator names are a collection of texts; got a {type(value).__name__}"
        )
    names = tuple(value)
    if not names:
        raise InvalidValue("an IndicatorSet names at least one indicator")
    for name in names:
        problem = text_problem(name, "indicator name")
        if problem is not None:
            raise InvalidValue(problem)
    return tuple(sorted(set(names)))


def _score(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not -MAX_SCORE_MAGNITUDE <= value <= MAX_SCORE_MAGNITUDE
    ):
        raise InvalidValue(
            f"an IndicatorSet's {attribute.name} is a whole number from "
            f"{-MAX_SCORE_MAGNITUDE} to {MAX_SCORE_MAGNITUDE}; got a {type(value).__name__}"
            f"{' outside that range' if type(value) is int else ''}"
        )


@attrs.frozen
class IndicatorSet:
    """The progression indicators a programme measures, and their score scale.

    Each name follows the free-text rule (`caseload.domain.text`); the scores are whole
    numbers within ±`MAX_SCORE_MAGNITUDE`, min_score ≤ max_score; else `InvalidValue` on
    construction."""

    names: tuple[str, ...] = attrs.field(default=DEFAULT_INDICATORS, converter=_names)
    min_score: int = attrs.field(default=1, validator=_score)
    max_score: int = attrs.field(default=5, validator=_score)

    def __attrs_post_init__(self) -> None:
        if self.min_score > self.max_score:
            raise InvalidValue("an IndicatorSet's min_score must not exceed its max_score")

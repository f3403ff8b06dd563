"""Who may start which scheme: eligibility as a versioned table of dated rules, not code.

A rule admits starts of one scheme by citizens of some target groups, within an age range,
perhaps only for educations on the shortage-area positive list, on the days from
`valid_from` to `valid_to`. A start is eligible when at least one rule of the table admits
it. The table a programme uses is part of its configuration in the log (a service may
replace it), so `verify` checks every start against the table that was in force.
`DEFAULT_ELIGIBILITY` holds the public rules as `docs/glossary.md` cites them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import attrs

from caseload.domain.errors import InvalidEligibilityTable, InvalidTarget, NotEligible
from caseload.domain.text import has_control_characters, text_problem
from caseload.programmes.education.domain.values import (
    EMPLOYED,
    UNEMPLOYED,
    Scheme,
    TargetGroup,
    groups_of,
)

__all__ = [
    "DEFAULT_ELIGIBILITY",
    "MAX_AGE",
    "MAX_SOURCE_LENGTH",
    "EligibilityRule",
    "EligibilityTable",
    "age_on",
    "group_label",
    "scheme_label",
]

_GROUP_LABELS = {
    TargetGroup.INSURED_UNEMPLOYED: "insured unemployed",
    TargetGroup.JOB_READY_CASH_BENEFIT: "job-ready cash-benefit recipient",
    TargetGroup.EMPLOYED_UNSKILLED: "employed without vocational training",
    TargetGroup.YOUTH: "youth",
}
_SCHEME_LABELS = {
    Scheme.EDUCATION_LIFT: "education lift",
    Scheme.EDUCATION_LIFT_110: "110 % education lift",
    Scheme.ADULT_APPRENTICESHIP: "adult apprenticeship",
    Scheme.BASIC_SKILLS: "basic skills (FVU/OBU)",
    Scheme.PRIOR_LEARNING: "recognition of prior learning (RKV)",
}


def group_label(group: TargetGroup) -> str:
    """A target group in plain English."""
    return _GROUP_LABELS[group]


def scheme_label(scheme: Scheme) -> str:
    """A scheme in plain English."""
    return _SCHEME_LABELS[scheme]


def age_on(born: date, on: date) -> int:
    """Age in whole years on `on` of someone born on `born` (born on 29 February, one
    turns a year older on 1 March in a year without that day)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


MAX_AGE = 130
"""No eligibility rule names an age above this."""
MAX_SOURCE_LENGTH = 1000
"""The longest citation an eligibility rule's `source` may give, in characters."""


def _rules(value: Iterable[EligibilityRule]) -> tuple[EligibilityRule, ...]:
    rules = tuple(value) if isinstance(value, list | tuple) else None
    if rules is None or not all(isinstance(rule, EligibilityRule) for rule in rules):
        raise InvalidEligibilityTable(
            f"an eligibility table's rules are a list or tuple of EligibilityRule; "
            f"got a {type(value).__name__}{'' if rules is None else ' of other things'}"
        )
    names = [rule.name for rule in rules]
    if len(set(names)) != len(names):
        raise InvalidEligibilityTable("the rules of an eligibility table have different names")
    return rules


def _check_text(value: object, what: str) -> None:
    problem = text_problem(value, what)
    if problem is not None:
        raise InvalidEligibilityTable(problem)


def _check_scheme(value: object) -> None:
    if not isinstance(value, Scheme):
        raise InvalidEligibilityTable(
            f"an eligibility rule's scheme is a Scheme; got a {type(value).__name__}"
        )


def _check_day(value: object, what: str) -> None:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidEligibilityTable(
            f"an eligibility rule's {what} is a datetime.date; got a {type(value).__name__}"
        )


def _rule_groups(value: TargetGroup | Iterable[TargetGroup]) -> frozenset[TargetGroup]:
    try:
        return groups_of(value)
    except InvalidTarget:
        raise InvalidEligibilityTable(
            "an eligibility rule admits no target group, or names other things than "
            "TargetGroup members"
        ) from None


def _check_optional_day(value: object, what: str) -> None:
    if value is not None:
        _check_day(value, what)


def _check_source(value: object) -> None:
    # A citation may be longer than a name; it is still one line of ordinary characters.
    if not isinstance(value, str) or len(value) > MAX_SOURCE_LENGTH:
        raise InvalidEligibilityTable(
            f"an eligibility rule's source is a text of at most {MAX_SOURCE_LENGTH} "
            f"characters; got a {type(value).__name__}"
            f"{' that is longer' if isinstance(value, str) else ''}"
        )
    if has_control_characters(value):
        raise InvalidEligibilityTable(
            "an eligibility rule's source cannot contain control characters (line breaks, "
            "tabs, line separators and the like) or lone surrogates"
        )


def _check_age(value: object, attribute: attrs.Attribute[int | None]) -> None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AGE
    ):
        raise InvalidEligibilityTable(
            f"an eligibility rule's {attribute.name} is None or a whole number from 0 to "
            f"{MAX_AGE}; got a {type(value).__name__}"
            f"{' outside that range' if type(value) is int else ''}"
        )


def _check_flag(value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidEligibilityTable(
            f"an eligibility rule's positive_list is True or False; got a {type(value).__name__}"
        )


@attrs.frozen
class EligibilityRule:
    """One dated rule: the groups it admits to a scheme, the ages, the positive list."""

    name: str = attrs.field(validator=lambda _i, _a, v: _check_text(v, "rule name"))
    """Stable name, given in refusals and recorded with every start it admits."""
    scheme: Scheme = attrs.field(validator=lambda _i, _a, v: _check_scheme(v))
    groups: frozenset[TargetGroup] = attrs.field(converter=_rule_groups)
    valid_from: date = attrs.field(validator=lambda _i, _a, v: _check_day(v, "valid_from"))
    valid_to: date | None = attrs.field(
        default=None, validator=lambda _i, _a, v: _check_optional_day(v, "valid_to")
    )
    """The last day the rule held (None while it holds)."""
    min_age: int | None = attrs.field(default=None, validator=lambda _i, a, v: _check_age(v, a))
    """The age a citizen must have reached on the start date (e.g. "fyldt 30 år")."""
    max_age: int | None = attrs.field(default=None, validator=lambda _i, a, v: _check_age(v, a))
    """The highest age on the start date (None: no upper limit)."""
    positive_list: bool = attrs.field(default=False, validator=lambda _i, _a, v: _check_flag(v))
    """Whether the education must be on the shortage-area positive list (positivlisten)."""
    source: str = attrs.field(default="", validator=lambda _i, _a, v: _check_source(v))
    """Where the rule comes from: a law or a public page."""

    def __attrs_post_init__(self) -> None:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise InvalidEligibilityTable(
                "an eligibility rule cannot end (valid_to) before it begins (valid_from)"
            )
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise InvalidEligibilityTable("an eligibility rule's min_age is at most its max_age")

    def in_force(self, on: date) -> bool:
        """Whether the rule held on `on`."""
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def describe(self) -> str:
        """What the rule admits, in words (for refusals and reports)."""
        groups = ", ".join(group_label(g) for g in TargetGroup if g in self.groups)
        parts = [groups or "no group"]
        if self.min_age is not None:
            parts.append(f"from age {self.min_age}")
        if self.max_age is not None:
            parts.append(f"up to age {self.max_age}")
        if self.positive_list:
            parts.append("positive-list educations only")
        until = "on" if self.valid_to is None else f"to {self.valid_to}"
        parts.append(f"in force {self.valid_from} {until}")
        return "; ".join(parts)

    def failures(
        self, group: TargetGroup, age: int, on_positive_list: bool, on: date
    ) -> tuple[str, ...]:
        """Why the rule does not admit a start (empty when it does); the reasons name the
        rule's own limits, never the citizen's age."""
        reasons = []
        if not self.in_force(on):
            reasons.append("is not in force on that day")
        if group not in self.groups:
            reasons.append(f"does not admit a {group_label(group)}")
        if self.min_age is not None and age < self.min_age:
            reasons.append(f"needs an age of at least {self.min_age}")
        if self.max_age is not None and age > self.max_age:
            reasons.append(f"admits no one older than {self.max_age}")
        if self.positive_list and not on_positive_list:
            reasons.append("needs an education on the positive list")
        return tuple(reasons)

    def admits(self, group: TargetGroup, age: int, on_positive_list: bool, on: date) -> bool:
        """Whether the rule admits a start by this group, age and education on `on`."""
        return not self.failures(group, age, on_positive_list, on)


@attrs.frozen
class EligibilityTable:
    """The rules a programme checks starts against, under a name that says its version."""

    name: str = attrs.field(validator=lambda _i, _a, v: _check_text(v, "eligibility table name"))
    rules: tuple[EligibilityRule, ...] = attrs.field(converter=_rules)

    def rule(self, name: str) -> EligibilityRule | None:
        """The rule called `name`, if the table has one."""
        return next((rule for rule in self.rules if rule.name == name), None)

    def decide(
        self, scheme: Scheme, group: TargetGroup, age: int, on_positive_list: bool, on: date
    ) -> EligibilityRule:
        """The first rule that admits the start, or `NotEligible` naming every rule of the
        scheme and why it does not."""
        candidates = [rule for rule in self.rules if rule.scheme is scheme]
        for rule in candidates:
            if rule.admits(group, age, on_positive_list, on):
                return rule
        what = (
            f"a {group_label(group)} may not start the {scheme_label(scheme)} on {on} under "
            f"eligibility table {self.name!r}"
        )
        if not candidates:
            raise NotEligible(f"{what}: the table has no rule for the {scheme_label(scheme)}")
        reasons = "; ".join(
            f"rule {rule.name!r} ({rule.describe()}) "
            + " and ".join(rule.failures(group, age, on_positive_list, on))
            for rule in candidates
        )
        raise NotEligible(f"{what}: {reasons}")


_STAR = "https://www.star.dk/indsatser-og-ordninger/jobrettet-voksen-og-efteruddannelse-veu/"
_LIFT_POOL = _STAR + "uddannelser-for-ledige/ordninger-jobrettet-veu/uddannelsesloeft/"

DEFAULT_ELIGIBILITY = EligibilityTable(
    name="public-rules-2024",
    rules=(
        EligibilityRule(
            name="education-lift-insured",
            scheme=Scheme.EDUCATION_LIFT,
            groups=TargetGroup.INSURED_UNEMPLOYED,
            valid_from=date(2015, 1, 1),
            min_age=30,
            source=_LIFT_POOL + "puljen-til-uddannelsesloeft/",
        ),
        EligibilityRule(
            name="education-lift-job-ready",
            scheme=Scheme.EDUCATION_LIFT,
            groups=TargetGroup.JOB_READY_CASH_BENEFIT,
            valid_from=date(2020, 8, 1),
            min_age=30,
            source=_LIFT_POOL + "puljen-til-uddannelsesloeft/",
        ),
        EligibilityRule(
            name="lift-110-2020",
            scheme=Scheme.EDUCATION_LIFT_110,
            groups=TargetGroup.INSURED_UNEMPLOYED,
            valid_from=date(2020, 8, 1),
            valid_to=date(2021, 12, 31),
            min_age=30,
            positive_list=True,
            source=_LIFT_POOL + "midlertidig-ret-til-uddannelsesloeft-inden-for-mangelomraeder/",
        ),
        EligibilityRule(
            name="lift-110-2022",
            scheme=Scheme.EDUCATION_LIFT_110,
            groups=TargetGroup.INSURED_UNEMPLOYED,
            valid_from=date(2022, 1, 1),
            valid_to=date(2022, 12, 31),
            min_age=30,
            positive_list=True,
            source="L 231 (2020-21), passed 4 June 2021: the 110 % lift extended to 2022",
        ),
        EligibilityRule(
            name="lift-110-2023",
            scheme=Scheme.EDUCATION_LIFT_110,
            groups=TargetGroup.INSURED_UNEMPLOYED,
            valid_from=date(2023, 7, 1),
            valid_to=date(2023, 12, 31),
            min_age=30,
            positive_list=True,
            source="L 128 (2022-23), passed 2 June 2023: the 110 % lift again from 1 July 2023",
        ),
        EligibilityRule(
            name="lift-110-permanent",
            scheme=Scheme.EDUCATION_LIFT_110,
            groups=TargetGroup.INSURED_UNEMPLOYED,
            valid_from=date(2024, 1, 1),
            min_age=30,
            positive_list=True,
            source="Beskæftigelsesloven § 97 a, permanent from 1 January 2024",
        ),
        EligibilityRule(
            name="adult-apprentice-unemployed",
            scheme=Scheme.ADULT_APPRENTICESHIP,
            groups=UNEMPLOYED,
            valid_from=date(2015, 1, 1),
            min_age=25,
            source="https://star.dk/indsatser-og-ordninger/virksomhedsrettede-redskaber/voksenlaerling/",
        ),
        EligibilityRule(
            name="adult-apprentice-employed",
            scheme=Scheme.ADULT_APPRENTICESHIP,
            groups=EMPLOYED,
            valid_from=date(2015, 1, 1),
            min_age=25,
            positive_list=True,
            source="https://star.dk/indsatser-og-ordninger/virksomhedsrettede-redskaber/voksenlaerling/",
        ),
        EligibilityRule(
            name="basic-skills-adults",
            scheme=Scheme.BASIC_SKILLS,
            groups=UNEMPLOYED | EMPLOYED,
            valid_from=date(2019, 8, 1),
            min_age=25,
            source="https://www.uvm.dk/forberedende-voksenundervisning-fvu/adgangskrav-og-optagelse",
        ),
        EligibilityRule(
            name="basic-skills-employed-under-25",
            scheme=Scheme.BASIC_SKILLS,
            groups=EMPLOYED,
            valid_from=date(2019, 8, 1),
            min_age=18,
            source="https://www.uvm.dk/forberedende-voksenundervisning-fvu/adgangskrav-og-optagelse",
        ),
        EligibilityRule(
            name="prior-learning-adults",
            scheme=Scheme.PRIOR_LEARNING,
            groups=UNEMPLOYED | EMPLOYED,
            valid_from=date(2015, 8, 1),
            min_age=25,
            source="Erhvervsuddannelse for voksne (euv) from 1 August 2015: a vocational "
            "education for adults of 25 or more begins with an assessment of prior learning",
        ),
    ),
)
"""The public rules (see docs/glossary.md for the sources): education lift from age 30 for
insured unemployed, and since August 2020 for job-ready cash-benefit recipients; the 110 %
lift for insured unemployed from age 30 on positive-list educations in the periods it held;
adult apprenticeship from age 25 (employed only on the positive list); FVU/OBU from age 25
(employed from 18); RKV from age 25."""

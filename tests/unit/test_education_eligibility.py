"""Eligibility: which target groups may start which scheme, at which ages and on which days,
as a dated table of rules; refusals name the rule; an override is recorded and shown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseload import (
    DEFAULT_ELIGIBILITY,
    EligibilityRule,
    EligibilityTable,
    InvalidEligibilityTable,
    InvalidValue,
    NotEligible,
    Scheme,
    TargetGroup,
)
from caseload.programmes.education.domain.eligibility import age_on
from tests.unit._education import ambassador, cpr_born, draft, education_app

ALL = {"insured_unemployed", "job_ready_cash_benefit", "employed_unskilled", "youth"}
UNEMPLOYED = {"insured_unemployed", "job_ready_cash_benefit", "youth"}

# The public rules as docs/glossary.md gives them, typed by hand from the sources and kept
# apart from the table under test: (scheme, groups, first day, last day, minimum age,
# positive list only). The 110 % lift held from August 2020 through 2022 (first to 2021,
# extended to 2022), again from July 2023, and for good from 2024.
ORACLE = (
    ("education_lift", {"insured_unemployed"}, date(2015, 1, 1), None, 30, False),
    ("education_lift", {"job_ready_cash_benefit"}, date(2020, 8, 1), None, 30, False),
    ("education_lift_110", {"insured_unemployed"}, date(2020, 8, 1), date(2022, 12, 31), 30, True),
    ("education_lift_110", {"insured_unemployed"}, date(2023, 7, 1), None, 30, True),
    ("adult_apprenticeship", UNEMPLOYED, date(2015, 1, 1), None, 25, False),
    ("adult_apprenticeship", {"employed_unskilled"}, date(2015, 1, 1), None, 25, True),
    ("basic_skills", ALL, date(2019, 8, 1), None, 25, False),
    ("basic_skills", {"employed_unskilled"}, date(2019, 8, 1), None, 18, False),
    ("prior_learning", ALL, date(2015, 8, 1), None, 25, False),
)


def oracle(scheme: str, group: str, age: int, positive: bool, on: date) -> bool:
    """Whether the public rules admit the start."""
    return any(
        scheme == s
        and group in groups
        and first <= on
        and (last is None or on <= last)
        and age >= min_age
        and (positive or not needs_list)
        for s, groups, first, last, min_age, needs_list in ORACLE
    )


@given(
    scheme=st.sampled_from(Scheme),
    group=st.sampled_from(TargetGroup),
    age=st.integers(0, 100),
    positive=st.booleans(),
    on=st.dates(date(2014, 1, 1), date(2026, 12, 31)),
)
def test_the_default_table_admits_exactly_what_the_public_rules_do(
    scheme: Scheme, group: TargetGroup, age: int, positive: bool, on: date
) -> None:
    """For every scheme, group, age, education and day the table decides as the rules say;
    a refusal names every rule of the scheme and what the start lacks."""
    expected = oracle(scheme.value, group.value, age, positive, on)
    try:
        rule = DEFAULT_ELIGIBILITY.decide(scheme, group, age, positive, on)
    except NotEligible as refusal:
        assert not expected
        message = str(refusal)
        assert message.count("rule '") == sum(
            1 for rule in DEFAULT_ELIGIBILITY.rules if rule.scheme is scheme
        )
        for rule in DEFAULT_ELIGIBILITY.rules:
            if rule.scheme is scheme:
                assert repr(rule.name) in message
    else:
        assert expected
        assert rule.scheme is scheme


@st.composite
def rules(draw: st.DrawFn) -> EligibilityRule:
    """Any rule that can be made: its range runs forwards and its ages do not cross."""
    valid_from = draw(st.dates(date(2015, 1, 1), date(2025, 1, 1)))
    min_age = draw(st.none() | st.integers(0, 60))
    return EligibilityRule(
        name=str(draw(st.uuids())),
        scheme=draw(st.sampled_from(Scheme)),
        groups=draw(st.frozensets(st.sampled_from(TargetGroup), min_size=1)),
        valid_from=valid_from,
        valid_to=draw(st.none() | st.dates(valid_from, date(2026, 1, 1))),
        min_age=min_age,
        max_age=draw(st.none() | st.integers(min_age or 0, 100)),
        positive_list=draw(st.booleans()),
    )


@given(
    table=st.lists(rules(), max_size=6),
    scheme=st.sampled_from(Scheme),
    group=st.sampled_from(TargetGroup),
    age=st.integers(0, 100),
    positive=st.booleans(),
    on=st.dates(date(2014, 1, 1), date(2026, 12, 31)),
)
def test_any_table_admits_a_start_when_one_of_its_rules_does(
    table: list[EligibilityRule],
    scheme: Scheme,
    group: TargetGroup,
    age: int,
    positive: bool,
    on: date,
) -> None:
    """A table is data: a start is admitted exactly when some rule's scheme, groups, days,
    ages and positive list all fit it."""
    expected = [
        r.name
        for r in table
        if r.scheme is scheme
        and group in r.groups
        and r.valid_from <= on
        and (r.valid_to is None or on <= r.valid_to)
        and (r.min_age is None or age >= r.min_age)
        and (r.max_age is None or age <= r.max_age)
        and (positive or not r.positive_list)
    ]
    try:
        admitted = EligibilityTable("t", table).decide(scheme, group, age, positive, on)
    except NotEligible:
        assert expected == []
    else:
        assert admitted.name == expected[0]


@given(born=st.dates(date(1940, 1, 1), date(2010, 12, 31)), days=st.integers(0, 40_000))
def test_age_counts_birthdays_passed(born: date, days: int) -> None:
    """The age on a day is the number of birthdays passed (one born on 29 February has
    their birthday on 1 March in other years)."""
    on = born + timedelta(days=days)
    birthdays = 0
    for year in range(born.year + 1, on.year + 1):
        try:
            birthday = born.replace(year=year)
        except ValueError:
            birthday = date(year, 3, 1)
        birthdays += birthday <= on
    assert age_on(born, on) == birthdays


def test_a_start_that_breaks_eligibility_is_refused_naming_the_rule() -> None:
    """A job-ready cash-benefit recipient may not take the 110 % lift: `NotEligible` names
    the rules and writes nothing; the message holds neither the CPR number nor the age."""
    app = education_app()
    by = ambassador(app)
    cpr = cpr_born(date(1980, 5, 17))
    plan = draft(app, cpr, by, date(2021, 5, 3), TargetGroup.JOB_READY_CASH_BENEFIT)
    head = app.head()
    with pytest.raises(NotEligible) as refusal:
        app.start_scheme(
            plan, cpr=cpr, scheme=Scheme.EDUCATION_LIFT_110, on=date(2021, 6, 1), provider="M"
        )
    message = str(refusal.value)
    assert "'lift-110-2020'" in message
    assert "does not admit a job-ready cash-benefit recipient" in message
    assert cpr not in message
    assert cpr[:6] not in message
    assert "41" not in message  # the citizen's age on the day
    assert app.head() == head


def test_an_age_limit_is_named_with_its_number() -> None:
    """A 28-year-old insured unemployed may not have an education lift (from age 30)."""
    app = education_app()
    by = ambassador(app)
    cpr = cpr_born(date(1993, 1, 1))
    plan = draft(app, cpr, by, date(2021, 5, 3))
    with pytest.raises(NotEligible, match="needs an age of at least 30"):
        app.start_scheme(
            plan, cpr=cpr, scheme=Scheme.EDUCATION_LIFT, on=date(2021, 6, 1), provider="M"
        )


def test_an_override_records_the_start_and_the_reports_show_it() -> None:
    """With a reason, a start the rules refuse is recorded; it counts, and the half-year
    status lists it as an override. An override of an eligible start is refused."""
    app = education_app()
    by = ambassador(app)
    cpr = cpr_born(date(1993, 1, 1))
    plan = draft(app, cpr, by, date(2021, 8, 2))
    app.start_scheme(
        plan,
        cpr=cpr,
        scheme=Scheme.EDUCATION_LIFT,
        on=date(2021, 8, 16),
        provider="M",
        override="dispensation by the team leader",
    )
    status = app.education_half_year("2021H2")
    (override,) = status.overrides
    assert (override.plan_id, override.started_on, override.reason) == (
        plan,
        date(2021, 8, 16),
        "dispensation by the team leader",
    )
    lift = status.rows[0]
    assert (lift.years[0].actual, lift.years[0].overrides) == (1, 1)
    assert app.verify().ok
    other = cpr_born(date(1980, 1, 1))
    eligible = draft(app, other, by, date(2021, 8, 2))
    with pytest.raises(InvalidValue, match="admits this one"):
        app.start_scheme(
            eligible,
            cpr=other,
            scheme=Scheme.EDUCATION_LIFT,
            on=date(2021, 8, 16),
            provider="M",
            override="just in case",
        )


def test_the_service_can_replace_the_table() -> None:
    """A service's own table takes over for later starts, and verify checks each start
    against the table in force when it was recorded."""
    app = education_app()
    by = ambassador(app)
    cpr = cpr_born(date(2000, 3, 1))
    plan = draft(app, cpr, by, date(2021, 5, 3), TargetGroup.YOUTH)
    with pytest.raises(NotEligible, match="'basic-skills-adults'"):
        app.start_scheme(
            plan, cpr=cpr, scheme=Scheme.BASIC_SKILLS, on=date(2021, 6, 1), provider="VUC"
        )
    local = EligibilityTable(
        "local-2021",
        (
            EligibilityRule(
                "fvu-from-18",
                Scheme.BASIC_SKILLS,
                frozenset(TargetGroup),
                date(2021, 1, 1),
                None,
                18,
            ),
        ),
    )
    app.replace_eligibility(local, on=date(2021, 5, 20))
    app.start_scheme(plan, cpr=cpr, scheme=Scheme.BASIC_SKILLS, on=date(2021, 6, 1), provider="VUC")
    started = [e for e in app.events() if type(e).__qualname__ == "EducationPlan.SchemeStarted"]
    assert started[0].rule == "fvu-from-18"  # type: ignore[attr-defined]
    assert app.verify().ok


MALFORMED_TABLES: dict[str, tuple[Callable[[], object], str]] = {
    "two rules of one name": (
        lambda: EligibilityTable(
            "bad",
            (
                EligibilityRule("same", Scheme.BASIC_SKILLS, TargetGroup.YOUTH, date(2021, 1, 1)),
                EligibilityRule("same", Scheme.BASIC_SKILLS, TargetGroup.YOUTH, date(2021, 1, 1)),
            ),
        ),
        "different names",
    ),
    "a rule that ends before it begins": (
        lambda: EligibilityRule(
            "late", Scheme.BASIC_SKILLS, TargetGroup.YOUTH, date(2021, 1, 1), date(2020, 1, 1)
        ),
        "before it begins",
    ),
    "a rule without groups": (
        lambda: EligibilityRule("none", Scheme.BASIC_SKILLS, frozenset(), date(2021, 1, 1)),
        "admits no target group",
    ),
    "an age out of range": (
        lambda: EligibilityRule(
            "old", Scheme.BASIC_SKILLS, TargetGroup.YOUTH, date(2021, 1, 1), None, 131
        ),
        "from 0 to 130",
    ),
    "a rule name over two lines": (
        lambda: EligibilityRule("a\nb", Scheme.BASIC_SKILLS, TargetGroup.YOUTH, date(2021, 1, 1)),
        "control characters",
    ),
}


@pytest.mark.parametrize("case", MALFORMED_TABLES)
def test_a_malformed_table_is_refused(case: str) -> None:
    """Rule names are unique and one line, ranges run forwards, ages lie within 0 to 130,
    and a rule admits some group: a table or rule that breaks one is refused when it is
    made, so no command can carry it."""
    make, match = MALFORMED_TABLES[case]
    with pytest.raises(InvalidEligibilityTable, match=match):
        make()

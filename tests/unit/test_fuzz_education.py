"""Hostile input on every command and query of the education programme, and on the public
settings values of both programmes.

As in `test_fuzz_resource_pathway`: one argument at a time gets a value it must refuse;
the call raises a CaseloadError that repeats no piece of the value, and the log keeps its
head and its last chain hash.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload import (
    DEFAULT_ELIGIBILITY,
    AttentionThresholds,
    BaselineCount,
    Caseload,
    CaseloadError,
    CaseloadPolicy,
    DropOutReason,
    EligibilityRule,
    EligibilityTable,
    Financing,
    GroupSize,
    IndicatorSet,
    Placement,
    PlacementKind,
    Scheme,
    SessionKind,
    TargetGroup,
    TargetRow,
)
from tests.conftest import KEY, examples, fixed_clock
from tests.unit._hostile import (
    CPR_LIKE,
    JUNK,
    Target,
    business_dates,
    check_refused,
    echoed,
    ids,
    members,
    message_of,
    moments,
    numbers_outside,
    query_dates,
    target_ids,
    texts,
)

DECIDED = date(2020, 11, 30)
PERIOD = (date(2021, 4, 1), date(2022, 12, 31))
DAY = date(2021, 5, 3)
LATER = date(2021, 9, 1)
EXAMPLES = examples(50)
"""Hypothesis examples per target: 50 under the dev profile, 300 under CI=true."""

_serial = iter(range(100, 999))


def _cpr() -> str:
    """A CPR number of someone born on 4 April 1975, new each call."""
    return f"040475{next(_serial):04d}"


@dataclass(frozen=True)
class World:
    """A store with an education programme, ambassadors, plans and a session; an empty one."""

    app: Caseload
    empty: Caseload
    ambassador: UUID
    idle_ambassador: UUID
    plan: UUID
    plan_cpr: str
    running: UUID
    session: UUID


def _draft(app: Caseload, cpr: str, ambassador: UUID) -> UUID:
    return app.draft_education_plan(
        cpr=cpr,
        on=DAY,
        ambassador=ambassador,
        target_group=TargetGroup.INSURED_UNEMPLOYED,
        job_prospect="welder",
        education="Smed",
        on_positive_list=True,
        planned_start=DAY,
        planned_end=date(2023, 5, 1),
        place="Mercantec",
        financing=Financing.UNEMPLOYMENT_BENEFIT,
    )


def build_world() -> World:
    """The stores every target of this module is called on."""
    app = Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)
    app.configure_education_programme(
        name="Fuzz education", on=DECIDED, period_start=PERIOD[0], period_end=PERIOD[1]
    )
    ambassador = app.register_ambassador(name="Ambassador", team="Team", on=date(2021, 1, 4))
    idle = app.register_ambassador(name="Idle", team="Team", on=date(2021, 1, 4))
    plan_cpr = _cpr()
    plan = _draft(app, plan_cpr, ambassador)
    running_cpr = _cpr()
    running = _draft(app, running_cpr, ambassador)
    app.start_scheme(running, cpr=running_cpr, scheme=Scheme.EDUCATION_LIFT, on=DAY, provider="M")
    session = app.hold_session(kind=SessionKind.DROP_IN, on=DAY, place="F", ambassador=ambassador)
    empty = Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)
    return World(app, empty, ambassador, idle, plan, plan_cpr, running, session)


_WORLD = build_world()
"""Built once: refused calls change nothing, so every example can share it."""


def _groups() -> st.SearchStrategy[object]:
    return st.one_of(
        JUNK.filter(lambda value: not isinstance(value, list | set | frozenset | tuple)),
        st.none(),
        st.just([]),
        st.just(frozenset()),
        st.text(max_size=20),
        st.lists(st.text(max_size=8), min_size=1, max_size=3),
        st.sampled_from(Scheme),
    )


def _not_list_of_values() -> st.SearchStrategy[object]:
    """Not a collection of the value objects a command takes (and not an empty one, which
    some of them accept)."""
    return st.one_of(
        st.none(),
        st.integers(),
        st.floats(),
        st.builds(object),
        CPR_LIKE,
        st.lists(st.one_of(st.integers(), st.text(max_size=8), st.none()), min_size=1),
    )


def _baseline_counts() -> st.SearchStrategy[object]:
    return st.one_of(
        _not_list_of_values(),
        st.just([]),
        st.just({}),
        st.dictionaries(st.text(max_size=5), st.integers(), min_size=1, max_size=2),
        st.builds(
            lambda year: {(year, Scheme.EDUCATION_LIFT): 3},
            numbers_outside(1900, 2200).filter(lambda year: isinstance(year, Hashable)),
        ),
        st.builds(
            lambda count: {(2019, Scheme.EDUCATION_LIFT): count}, numbers_outside(0, 10_000_000)
        ),
        st.builds(
            lambda scheme: {(2019, scheme): 3},
            members().filter(lambda scheme: isinstance(scheme, Hashable)),
        ),
    )


def _outside_the_range() -> st.SearchStrategy[object]:
    """No date a plan or a programme may plan ahead to: not a plain date, or outside the
    documented range (a day after today is allowed there, so it is not here)."""
    return business_dates().filter(
        lambda value: (
            not isinstance(value, date)
            or isinstance(value, datetime)
            or not 1970 <= value.year <= 2199
        )
    )


def _within(value: object, low: int, high: int) -> bool:
    """Whether `value` reads as a number from `low` to `high` (a text such as "1e-9" too)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return False
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        return number.is_finite() and low <= number <= high
    except (ArithmeticError, ValueError):
        return False


def _flags() -> st.SearchStrategy[object]:
    return st.one_of(
        JUNK.filter(lambda value: not isinstance(value, bool)), st.none(), st.integers(), CPR_LIKE
    )


def _targets(world: World) -> list[Target]:
    plan, amb, running = world.plan, world.ambassador, world.running
    on = business_dates()
    query = {"as_known_at": moments(), "as_true_on": query_dates()}
    plan_arguments: dict[str, Any] = {
        "cpr": "0404751000",
        "on": DAY,
        "ambassador": amb,
        "target_group": TargetGroup.INSURED_UNEMPLOYED,
        "job_prospect": "welder",
        "education": "Smed",
        "on_positive_list": True,
        "planned_start": DAY,
        "planned_end": date(2023, 5, 1),
        "place": "Mercantec",
        "financing": Financing.UNEMPLOYMENT_BENEFIT,
        "first_contact_on": None,
    }
    return [
        Target(
            "configure_education_programme",
            Caseload.configure_education_programme,
            {"name": "P", "on": DECIDED, "period_start": PERIOD[0], "period_end": PERIOD[1]},
            {
                "name": texts(),
                "on": on,
                "period_start": _outside_the_range(),
                "period_end": _outside_the_range(),
                "group_sizes": _not_list_of_values(),
                "eligibility": st.one_of(JUNK, st.integers(), CPR_LIKE),
            },
            on_empty_store=True,
        ),
        Target(
            "replace_eligibility",
            Caseload.replace_eligibility,
            {"eligibility": DEFAULT_ELIGIBILITY, "on": DAY},
            {"eligibility": st.one_of(JUNK, st.integers(), CPR_LIKE), "on": on},
        ),
        Target(
            "set_target",
            Caseload.set_target,
            {
                "scheme": Scheme.EDUCATION_LIFT,
                "target_group": TargetGroup.INSURED_UNEMPLOYED,
                "year": 2021,
                "count": 10,
                "on": DAY,
            },
            {
                "scheme": members(),
                "target_group": _groups(),
                "year": numbers_outside(1900, 2200),
                "count": numbers_outside(0, 100_000),
                "on": on,
            },
        ),
        Target(
            "record_baseline",
            Caseload.record_baseline,
            {"counts": {(2019, Scheme.EDUCATION_LIFT): 3}, "on": DAY, "source": "the archive"},
            {"counts": _baseline_counts(), "on": on, "source": texts()},
        ),
        Target(
            "register_ambassador",
            Caseload.register_ambassador,
            {"name": "Ambassador 2", "team": "Team", "on": DAY},
            {"name": texts(), "team": texts(), "on": on},
        ),
        Target(
            "ambassador_left",
            Caseload.ambassador_left,
            {"ambassador": world.idle_ambassador, "on": DAY},
            {"ambassador": ids(), "on": on},
        ),
        Target(
            "draft_education_plan",
            Caseload.draft_education_plan,
            plan_arguments,
            {
                "cpr": st.one_of(JUNK, st.none(), st.integers(), st.just("3213991234")),
                "on": on,
                "ambassador": ids(),
                "target_group": members(),
                "job_prospect": texts(),
                "education": texts(),
                "on_positive_list": _flags(),
                "planned_start": on,
                "planned_end": _outside_the_range(),
                "place": texts(),
                "financing": members(),
                "first_contact_on": on.filter(lambda value: value is not None),
            },
        ),
        Target(
            "start_scheme",
            Caseload.start_scheme,
            {
                "plan": plan,
                "cpr": world.plan_cpr,
                "scheme": Scheme.EDUCATION_LIFT,
                "on": DAY,
                "provider": "AMU",
                "target_group": None,
                "override": None,
            },
            {
                "plan": ids(),
                "cpr": st.one_of(JUNK, st.none(), st.integers(), st.just("3213991234")),
                "scheme": members(),
                "on": on,
                "provider": texts(),
                "target_group": members().filter(lambda value: value is not None),
                "override": texts().filter(lambda value: value is not None),
            },
        ),
        Target(
            "complete_scheme",
            Caseload.complete_scheme,
            {"plan": running, "on": LATER},
            {"plan": ids(), "on": on},
        ),
        Target(
            "record_drop_out",
            Caseload.record_drop_out,
            {"plan": running, "on": LATER, "reason": DropOutReason.JOB},
            {"plan": ids(), "on": on, "reason": members()},
        ),
        Target(
            "hold_session",
            Caseload.hold_session,
            {"kind": SessionKind.BOOKED, "on": DAY, "place": "Jobcenter", "ambassador": amb},
            {"kind": members(), "on": on, "place": texts(), "ambassador": ids()},
        ),
        Target(
            "record_visit",
            Caseload.record_visit,
            {"session": world.session, "plan": None, "count": 2},
            {
                "session": ids(),
                "plan": ids().filter(lambda value: value is not None),
                "count": numbers_outside(1, 500),
            },
        ),
        # ------------------------------------------------------------- queries
        Target(
            "education_half_year",
            Caseload.education_half_year,
            {"period": "2021H2"},
            {
                "period": st.one_of(
                    JUNK,
                    st.none(),
                    st.integers(),
                    CPR_LIKE,
                    st.text(max_size=10),
                    st.sampled_from(["0000H1", "9999H2", "٢٠٢١H1", "²⁰²¹H1", "2021H3"]),
                ),
                **query,
            },
            writes=False,
        ),
        Target(
            "education_monthly",
            Caseload.education_monthly,
            {"month": "2022-03"},
            {
                "month": st.one_of(
                    JUNK,
                    st.none(),
                    st.integers(),
                    CPR_LIKE,
                    st.text(max_size=10),
                    st.sampled_from(["0000-01", "9999-12", "2022-13", "٢٠٢١-٠١", "10000-01"]),
                ),
                **query,
            },
            writes=False,
        ),
        Target(
            "education_starts",
            Caseload.education_starts,
            {"grain": "month"},
            {"grain": st.one_of(JUNK, st.none(), st.integers(), st.text(max_size=12)), **query},
            writes=False,
        ),
        *(
            Target(name, getattr(Caseload, name), {}, query, writes=False)
            for name in (
                "education_endings",
                "education_contact_to_start",
                "education_sessions",
                "education_history",
            )
        ),
        Target(
            "education_target",
            Caseload.education_target,
            {"scheme": Scheme.EDUCATION_LIFT, "target_group": TargetGroup.YOUTH, "year": 2021},
            {
                "scheme": members(),
                "target_group": _groups(),
                "year": numbers_outside(1900, 2200),
                **query,
            },
            writes=False,
        ),
    ]


TARGETS = _targets(_WORLD)


def _app(target: Target) -> Caseload:
    return _WORLD.empty if target.on_empty_store else _WORLD.app


@pytest.mark.parametrize("target", TARGETS, ids=target_ids(TARGETS))
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_hostile_argument_is_refused(target: Target, data: st.DataObject) -> None:
    """Any value an argument must refuse, in any one argument, raises a CaseloadError that
    does not repeat the value, and leaves the log's head and last chain hash as they were."""
    name, value = data.draw(target.arguments(), label="argument")
    check_refused(_app(target), target, name, value)


@pytest.mark.parametrize("target", TARGETS, ids=target_ids(TARGETS))
def test_the_valid_arguments_are_accepted(target: Target) -> None:
    """Each target's valid arguments go through on a fresh copy of the world, so the
    refusals above come from the hostile value and not from the state of the store."""
    world = build_world()
    app = world.empty if target.on_empty_store else world.app
    same = {
        _WORLD.ambassador: world.ambassador,
        _WORLD.idle_ambassador: world.idle_ambassador,
        _WORLD.plan: world.plan,
        _WORLD.running: world.running,
        _WORLD.session: world.session,
        _WORLD.plan_cpr: world.plan_cpr,
    }
    arguments = {
        key: same.get(value, value) if isinstance(value, UUID | str) else value
        for key, value in target.valid.items()
    }
    before = app.head()
    result = target.call(app, **arguments)
    if isinstance(result, Iterator):
        next(result, None)
    assert (app.head() > before) if target.writes else (app.head() == before)


# ----------------------------------------------------------------- settings values

VALUES: dict[str, tuple[Callable[..., object], dict[str, object], dict[str, Any]]] = {
    "AttentionThresholds": (
        AttentionThresholds,
        {},
        {
            "contact_days": numbers_outside(1, 3653),
            "progression_days": numbers_outside(1, 3653),
            "roles_after_days": numbers_outside(0, 3653),
            "intervention_days": numbers_outside(1, 3653),
            "max_pathway_days": numbers_outside(1, 3653),
            "near_max_days": numbers_outside(0, 3653),
            "review_days": numbers_outside(1, 1826),
            "intervention_roles": st.one_of(
                st.none(),
                st.integers(),
                CPR_LIKE,
                st.just(frozenset("ab")),
                st.just([Scheme.BASIC_SKILLS]),
            ),
        },
    ),
    "CaseloadPolicy": (
        CaseloadPolicy,
        {"effective_from": DAY, "limit_per_fte": 30, "name": "policy"},
        {
            "effective_from": st.one_of(JUNK, st.none(), st.integers(), CPR_LIKE, st.datetimes()),
            "limit_per_fte": numbers_outside(1, 1000),
            "name": texts(),
        },
    ),
    "IndicatorSet": (
        IndicatorSet,
        {},
        {
            "names": st.one_of(
                st.just(()),
                CPR_LIKE,
                st.lists(texts(), min_size=1, max_size=3),
                st.integers(),
                st.none(),
            ),
            "min_score": numbers_outside(-1000, 1000),
            "max_score": numbers_outside(-1000, 1000),
        },
    ),
    "Placement": (
        Placement,
        {"kind": PlacementKind.FLEX_JOB},
        {
            "hours_per_week": numbers_outside(0, 168, whole=False, optional=True).filter(
                lambda hours: not _within(hours, 0, 168)
            )
        },
    ),
    "GroupSize": (
        GroupSize,
        {"target_group": TargetGroup.YOUTH, "count": 10, "note": "young people"},
        {"target_group": members(), "count": numbers_outside(0, 10_000_000), "note": texts()},
    ),
    "BaselineCount": (
        BaselineCount,
        {"year": 2019, "scheme": Scheme.EDUCATION_LIFT, "count": 3},
        {
            "year": numbers_outside(1900, 2200),
            "scheme": members(),
            "count": numbers_outside(0, 10_000_000),
        },
    ),
    "TargetRow": (
        TargetRow,
        {"scheme": Scheme.EDUCATION_LIFT, "groups": TargetGroup.YOUTH},
        {"scheme": members(), "groups": _groups()},
    ),
    "EligibilityRule": (
        EligibilityRule,
        {
            "name": "rule",
            "scheme": Scheme.BASIC_SKILLS,
            "groups": TargetGroup.YOUTH,
            "valid_from": DAY,
        },
        {
            "name": texts(),
            "scheme": members(),
            "groups": _groups(),
            "valid_from": st.one_of(JUNK, st.none(), st.integers(), CPR_LIKE, st.datetimes()),
            "valid_to": st.one_of(JUNK, st.integers(), CPR_LIKE, st.datetimes()),
            "min_age": numbers_outside(0, 130, optional=True),
            "max_age": numbers_outside(0, 130, optional=True),
            "positive_list": _flags(),
            "source": st.one_of(
                JUNK, st.none(), st.integers(), st.just("a\nb"), st.just("x" * 1001)
            ),
        },
    ),
    "EligibilityTable": (
        EligibilityTable,
        {"name": "table", "rules": ()},
        {"name": texts(), "rules": _not_list_of_values()},
    ),
}


@pytest.mark.parametrize("value_class", VALUES)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_a_settings_value_refuses_what_it_cannot_hold(
    value_class: str, data: st.DataObject
) -> None:
    """A public settings value checks its fields when it is made: a CaseloadError that does
    not repeat the value, so no query later fails on a value that was let in."""
    make, valid, invalid = VALUES[value_class]
    name = data.draw(st.sampled_from(sorted(invalid)), label="field")
    value = data.draw(invalid[name], label="value")
    with pytest.raises(CaseloadError) as refused:
        make(**{**valid, name: value})
    twin_refusal = lambda twin: message_of(lambda: make(**{**valid, name: twin}))  # noqa: E731
    assert echoed(str(refused.value), value, twin_refusal) is None


@pytest.mark.parametrize("value_class", VALUES)
def test_a_settings_value_takes_its_valid_fields(value_class: str) -> None:
    """The valid fields above are accepted, so the refusals come from the hostile field."""
    make, valid, _invalid = VALUES[value_class]
    assert make(**valid) is not None


def test_the_echo_check_excuses_only_the_messages_own_words() -> None:
    """A value that happens to hold a word of the message's own wording is no echo (its
    twin, in other words, gets the same message); a message that repeats the value is."""

    def wording(value: object) -> str:
        return f"an eligibility table's rules are a list of rules; got a {type(value).__name__}"

    def repeating(value: object) -> str:
        return f"no rule named {value!r}"

    assert echoed(wording(["table"]), ["table"], lambda twin: wording(twin)) is None
    assert echoed(repeating(["0101901234"]), ["0101901234"], repeating) is not None
    assert echoed(repeating(["table"]), ["table"], repeating) is not None
    # A twin that is accepted excuses nothing.
    assert echoed(wording(["table"]), ["table"], lambda twin: None) is not None

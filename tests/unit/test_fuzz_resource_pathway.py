"""Hostile input on every command and query of the resource-pathway programme.

Each target is a public method of `Caseload` with arguments it accepts; the fuzz puts a
value the argument must refuse in one place at a time (wrong types, huge and odd numbers,
text with control characters or lone surrogates, CPR-like digits, dates outside the
documented range, unknown ids) and checks that the call raises a CaseloadError whose
message repeats no piece of the value, and that the log is as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload import (
    Caseload,
    Channel,
    ClosureReason,
    EmployerActivityKind,
    ErasureReason,
    PathwayKind,
    PersonalData,
    PlacementKind,
    ReviewOutcome,
    Role,
)
from caseload.programmes.resource_pathway.domain.values import DEFAULT_INDICATORS
from caseload.programmes.resource_pathway.read_models.caseload_counts import CaseloadCounts
from tests.conftest import KEY, examples, fixed_clock
from tests.unit._hostile import (
    JUNK,
    Target,
    business_dates,
    check_refused,
    ids,
    members,
    moments,
    numbers_outside,
    query_dates,
    target_ids,
    texts,
)

CPR_TEXT = st.just("0101901234")
START = date(2025, 1, 6)
DAY = date(2025, 3, 3)
MASTER = bytes(range(32))
EXAMPLES = examples(50)
"""Hypothesis examples per target: 50 under the dev profile, 300 under CI=true."""


@dataclass(frozen=True)
class World:
    """A store with a programme, brokers, a colleague and trajectories, and an empty one."""

    app: Caseload
    empty: Caseload
    broker: UUID
    idle_broker: UUID
    colleague: UUID
    case: UUID
    unassigned: UUID
    closed: UUID


def build_world() -> World:
    """The stores every target of this module is called on."""
    app = Caseload("memory://", pseudonym_key=KEY, master_key=MASTER, clock=fixed_clock)
    app.configure_programme(name="Fuzz programme", on=START)
    broker = app.register_broker(name="Broker", team="Team", on=START)
    idle_broker = app.register_broker(name="Idle", team="Team", on=START, fte=0.5)
    colleague = app.register_colleague(name="Colleague", team="Team", on=START)
    case = app.open_trajectory(cpr="0101801234", on=START)
    app.assign(case, broker, on=START)
    unassigned = app.open_trajectory(cpr="0202801234", on=START)
    closed = app.open_trajectory(
        cpr="0404801234", on=START, personal=PersonalData(name="Closed", phone="12345678")
    )
    app.close_trajectory(closed, on=START, reason=ClosureReason.MOVED)
    empty = Caseload("memory://", pseudonym_key=KEY, master_key=MASTER, clock=fixed_clock)
    return World(app, empty, broker, idle_broker, colleague, case, unassigned, closed)


_WORLD = build_world()
"""Built once, like the app every test of this module shares: refused calls change nothing."""


def _scores() -> st.SearchStrategy[object]:
    """No scores the programme accepts: not a dict, empty, unknown indicator names (CPR
    digits, a megabyte), or scores off the scale (huge, text, floats, bools)."""
    return st.one_of(
        JUNK.filter(lambda value: not (isinstance(value, dict) and value)),
        st.none(),
        st.just({}),
        st.dictionaries(
            st.one_of(st.text(max_size=30), st.just("0101901234"), st.just("x" * 1_000_000)),
            st.integers(1, 5),
            min_size=1,
            max_size=2,
        ).filter(lambda scores: any(name not in _INDICATORS for name in scores)),
        st.builds(
            lambda score: {"job_search": score},
            numbers_outside(1, 5),
        ),
    )


_INDICATORS = frozenset(DEFAULT_INDICATORS)


def _roles() -> st.SearchStrategy[object]:
    """No roles: empty, text, other enums, or collections holding other things."""
    return st.one_of(
        JUNK,
        st.none(),
        st.just(set()),
        st.just(frozenset()),
        st.text(max_size=20),
        st.sampled_from(Channel),
        st.sets(st.text(max_size=10), min_size=1, max_size=3),
        st.lists(st.sampled_from(Channel), min_size=1, max_size=2),
        st.just({Role.COACH: "0101901234"}),
    )


def _fte() -> st.SearchStrategy[object]:
    return st.one_of(
        numbers_outside(0, 1, whole=False),
        st.sampled_from([0, 0.0, "0", 0.333, "0.005", 1.01, "1e999999999", "-0"]),
    )


def _hours() -> st.SearchStrategy[object]:
    return numbers_outside(0, 37, whole=False)


def _text_given() -> st.SearchStrategy[object]:
    """Personal text that must be refused (None means none given, and is accepted)."""
    return texts().filter(lambda value: value is not None)


def _thresholds() -> st.SearchStrategy[object]:
    return st.one_of(
        JUNK, st.integers(), st.just({"contact_days": -(10**10)}), CPR_TEXT, CPR_TEXT.map(list)
    )


def _targets(world: World) -> list[Target]:
    t, broker, idle = world.case, world.broker, world.idle_broker
    on = business_dates()
    pathway = members().filter(lambda value: not isinstance(value, PathwayKind))
    query = {"as_known_at": moments(), "as_true_on": query_dates()}
    return [
        Target(
            "configure_programme",
            Caseload.configure_programme,
            {"name": "Programme", "on": DAY, "limit_per_fte": 30},
            {
                "name": texts(),
                "on": on,
                "pathway": pathway,
                "indicators": st.one_of(JUNK, st.text(max_size=10), st.integers()),
                "limit_per_fte": numbers_outside(1, 1000),
            },
            on_empty_store=True,
        ),
        Target(
            "set_caseload_policy",
            Caseload.set_caseload_policy,
            {"limit_per_fte": 20, "effective_from": date(2025, 7, 1), "name": None, "on": DAY},
            {
                "limit_per_fte": numbers_outside(1, 1000),
                "effective_from": query_dates(),
                "name": texts().filter(lambda value: value is not None),
                "on": on.filter(lambda value: value is not None),
            },
        ),
        Target(
            "register_broker",
            Caseload.register_broker,
            {"name": "Broker 2", "team": "Team", "on": DAY, "fte": 1.0},
            {"name": texts(), "team": texts(), "on": on, "fte": _fte()},
        ),
        Target(
            "change_fte",
            Caseload.change_fte,
            {"broker": broker, "fte": 0.8, "on": DAY},
            {"broker": ids(), "fte": _fte(), "on": on},
        ),
        Target(
            "broker_left",
            Caseload.broker_left,
            {"broker": idle, "on": DAY},
            {"broker": ids(), "on": on},
        ),
        Target(
            "open_trajectory",
            Caseload.open_trajectory,
            {"cpr": "0303801234", "on": DAY, "pathway": PathwayKind.RESOURCE_PATHWAY},
            {
                "cpr": st.one_of(
                    JUNK,
                    st.none(),
                    st.integers(),
                    st.text(max_size=12).filter(lambda text: len(text.strip()) != 10),
                    st.just("3213991234"),
                    st.just("0101901234" * 100_000),
                ),
                "on": on,
                "pathway": pathway,
                "personal": st.one_of(JUNK, _text_given(), st.just({"name": "Closed"})),
            },
        ),
        Target(
            "assign",
            Caseload.assign,
            {"trajectory": world.unassigned, "broker": broker, "on": DAY},
            {"trajectory": ids(), "broker": ids(), "on": on},
        ),
        Target(
            "transfer",
            Caseload.transfer,
            {"trajectory": t, "to_broker": idle, "on": DAY},
            {"trajectory": ids(), "to_broker": ids(), "on": on},
        ),
        Target(
            "close_trajectory",
            Caseload.close_trajectory,
            {"trajectory": t, "on": DAY, "reason": ClosureReason.JOB},
            {"trajectory": ids(), "on": on, "reason": members()},
        ),
        Target(
            "record_contact",
            Caseload.record_contact,
            {
                "trajectory": t,
                "on": DAY,
                "roles": {Role.COACH},
                "channel": Channel.PHONE,
                "by": broker,
            },
            {
                "trajectory": ids(),
                "on": on,
                "roles": _roles(),
                "channel": st.one_of(members(), st.just(Channel.UNKNOWN), st.sampled_from(Role)),
                "by": ids(),
                "note": _text_given(),
            },
        ),
        Target(
            "record_progress",
            Caseload.record_progress,
            {"trajectory": t, "on": DAY, "scores": {"job_search": 3}},
            {"trajectory": ids(), "on": on, "scores": _scores()},
        ),
        Target(
            "record_job_placement",
            Caseload.record_job_placement,
            {"trajectory": t, "on": DAY, "kind": PlacementKind.ORDINARY_JOB, "hours_per_week": 20},
            {"trajectory": ids(), "on": on, "kind": members(), "hours_per_week": _hours()},
        ),
        Target(
            "record_review",
            Caseload.record_review,
            {"trajectory": t, "on": DAY, "outcome": ReviewOutcome.CONTINUE},
            {"trajectory": ids(), "on": on, "outcome": members()},
        ),
        Target(
            "register_colleague",
            Caseload.register_colleague,
            {"name": "Colleague 2", "team": "Team", "on": DAY},
            {"name": texts(), "team": texts(), "on": on},
        ),
        Target(
            "colleague_left",
            Caseload.colleague_left,
            {"colleague": world.colleague, "on": DAY},
            {"colleague": ids(), "on": on},
        ),
        Target(
            "record_employer_activity",
            Caseload.record_employer_activity,
            {
                "trajectory": t,
                "on": DAY,
                "kind": EmployerActivityKind.COMPANY_INTERNSHIP,
                "ends_on": None,
            },
            {
                "trajectory": ids(),
                "on": on,
                "kind": members(),
                "ends_on": query_dates(),
            },
        ),
        # ------------------------------------------------------- personal data
        Target(
            "forget_citizen",
            Caseload.forget_citizen,
            {"cpr": "0404801234", "on": DAY, "reason": ErasureReason.CITIZEN_REQUEST},
            {
                "cpr": st.one_of(
                    JUNK,
                    st.none(),
                    st.integers(),
                    st.text(max_size=12).filter(lambda text: len(text.strip()) != 10),
                    st.just("0101991234"),  # a valid CPR number the store never saw
                    st.just("0101901234" * 100_000),
                ),
                "on": on,
                "reason": members(),
            },
        ),
        Target(
            "personal_data",
            Caseload.personal_data,
            {"aggregate": world.closed},
            {"aggregate": st.one_of(ids(), st.just(broker))},
            writes=False,
        ),
        Target(
            "rotate_master_key",
            Caseload.rotate_master_key,
            {"new_key": bytes(range(1, 33))},
            {
                "new_key": st.one_of(
                    JUNK.filter(lambda value: not isinstance(value, bytes)),
                    st.none(),
                    st.integers(),
                    st.binary(max_size=31),
                    st.text(max_size=15),
                    CPR_TEXT,
                )
            },
            writes=False,
        ),
        Target(
            "handle",
            Caseload.handle,
            {},
            {"command": st.one_of(JUNK, st.none(), st.integers(), texts(), CPR_TEXT)},
        ),
        # ------------------------------------------------------------- queries
        *(
            Target(name, getattr(Caseload, name), {}, query, writes=False)
            for name in (
                "caseload",
                "caseload_report",
                "role_coverage",
                "outcomes",
                "progression",
                "staffing",
                "reviews",
                "flow",
            )
        ),
        Target(
            "caseload_series",
            Caseload.caseload_series,
            {"first_day": START, "last_day": DAY},
            {"first_day": query_dates(), "last_day": query_dates(), **query},
            writes=False,
        ),
        Target(
            "attention_list",
            Caseload.attention_list,
            {},
            {"thresholds": _thresholds(), **query},
            writes=False,
        ),
        Target(
            "employer_activity",
            Caseload.employer_activity,
            {"within_days": 30},
            {"within_days": numbers_outside(1, 1826), **query},
            writes=False,
        ),
        Target(
            "read_model",
            Caseload.read_model,
            {"model": CaseloadCounts},
            {"model": st.one_of(JUNK, st.none(), st.integers(), CPR_TEXT, st.just(int)), **query},
            writes=False,
        ),
        Target(
            "history",
            Caseload.history,
            {},
            {"as_known_at": moments()},
            writes=False,
        ),
        Target(
            "limit_in_force",
            Caseload.limit_in_force,
            {"on": DAY},
            {"on": query_dates()},
            writes=False,
        ),
        Target("broker", Caseload.broker, {"broker": broker}, {"broker": ids()}, writes=False),
        Target(
            "colleague",
            Caseload.colleague,
            {"colleague": world.colleague},
            {"colleague": ids()},
            writes=False,
        ),
        Target(
            "trajectory",
            Caseload.trajectory,
            {"trajectory": t},
            {"trajectory": ids()},
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


WITH_VALID_ARGUMENTS = [target for target in TARGETS if target.name != "handle"]
"""The targets given valid arguments (`handle` is given none: no value of its hostile
kinds is a command)."""


@pytest.mark.parametrize("target", WITH_VALID_ARGUMENTS, ids=target_ids(WITH_VALID_ARGUMENTS))
def test_the_valid_arguments_are_accepted(target: Target) -> None:
    """Each target's valid arguments go through on a fresh copy of the world, so the fuzz
    refusals above come from the hostile value and not from the state of the store."""
    world = build_world()
    app = world.empty if target.on_empty_store else world.app
    before = app.head()
    arguments = {**target.valid, **_fresh_ids(target, world)}
    result = target.call(app, **arguments)
    if isinstance(result, Iterator):
        next(result, None)
    if target.writes:
        assert app.head() > before
    else:
        assert app.head() == before


def _fresh_ids(target: Target, world: World) -> dict[str, object]:
    """The ids of the fresh world in place of the shared world's ones."""
    same = {
        _WORLD.broker: world.broker,
        _WORLD.idle_broker: world.idle_broker,
        _WORLD.colleague: world.colleague,
        _WORLD.case: world.case,
        _WORLD.unassigned: world.unassigned,
        _WORLD.closed: world.closed,
    }
    fresh: dict[str, object] = {
        key: same[value]
        for key, value in target.valid.items()
        if isinstance(value, UUID) and value in same
    }
    return fresh

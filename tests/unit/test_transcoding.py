"""Round trips through the real eventsourcing JSON transcoder with caseload's transcodings."""

from __future__ import annotations

import enum
import inspect
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import attrs
import pytest
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload import Caseload
from caseload.adapters.transcodings import register_transcodings
from caseload.domain import policy as shared_policy
from caseload.domain.policy import PolicyHistory
from caseload.programmes.resource_pathway.domain import values
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
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
    Scores,
)
from tests.conftest import KEY, TODAY, fixed_clock

START = date(2025, 1, 6)

ENUMS = [
    obj
    for _, obj in inspect.getmembers(values, inspect.isclass)
    if issubclass(obj, enum.Enum) and obj.__module__ == values.__name__
]
# PolicyHistory is folded from the stored policies and never stored itself.
VALUE_CLASSES = [
    obj
    for module in (values, shared_policy)
    for _, obj in inspect.getmembers(module, inspect.isclass)
    if attrs.has(obj) and obj.__module__ == module.__name__ and obj is not PolicyHistory
]


def transcoder() -> JSONTranscoder:
    """A JSON transcoder set up as the application's: eventsourcing's plus caseload's."""
    t = JSONTranscoder()
    t.register(UUIDAsHex())
    t.register(DecimalAsStr())
    t.register(DatetimeAsISO())
    register_transcodings(t)
    return t


TRANSCODER = transcoder()


def round_trip(value: Any) -> Any:
    """Encode and decode `value` through the transcoder."""
    return TRANSCODER.decode(TRANSCODER.encode(value))


def assert_same(result: Any, expected: Any) -> None:
    """`result` equals `expected` and has the same type at every level of nesting."""
    assert type(result) is type(expected), (type(result), type(expected))
    assert result == expected
    if isinstance(expected, dict):
        for key, item in expected.items():
            assert_same(result[key], item)
    elif isinstance(expected, list | tuple):
        for got, item in zip(result, expected, strict=True):
            assert_same(got, item)
    elif isinstance(expected, set | frozenset):
        assert sorted(map(repr, result)) == sorted(map(repr, expected))
    elif attrs.has(type(expected)):
        for field in attrs.fields(type(expected)):
            assert_same(getattr(result, field.name), getattr(expected, field.name))


# ----------------------------------------------------------------- strategies

finite_decimals = st.decimals(allow_nan=False, allow_infinity=False)
enum_members = st.one_of(*(st.sampled_from(e) for e in ENUMS))
role_sets = st.sets(st.sampled_from(Role))
role_frozensets = st.frozensets(st.sampled_from(Role))
one_line_texts = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40
).filter(str.strip)
"""Texts the free-text rule accepts (the value classes refuse any other on construction)."""
policies = st.builds(
    CaseloadPolicy,
    effective_from=st.dates(),
    limit_per_fte=st.integers(1, 1000),
    name=one_line_texts,
)
indicator_sets = st.builds(
    lambda names, low, span: IndicatorSet(names=names, min_score=low, max_score=low + span),
    st.lists(one_line_texts, min_size=1, max_size=12),
    st.integers(-10, 10),
    st.integers(0, 10),
)
placements = st.builds(
    Placement,
    kind=st.sampled_from(PlacementKind),
    hours_per_week=st.none() | st.decimals(0, 168, allow_nan=False, allow_infinity=False),
)
scores = st.builds(Scores, st.dictionaries(st.text(), st.integers(-100, 100)))
domain_values = st.one_of(
    enum_members,
    policies,
    indicator_sets,
    placements,
    scores,
    st.dates(),
    role_sets,
    role_frozensets,
)
plain = st.one_of(st.none(), st.booleans(), st.integers(), st.text(), st.uuids(), finite_decimals)
dict_keys = st.text().filter(lambda k: k not in ("_type_", "_data_"))
nested = st.recursive(
    domain_values | plain,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(dict_keys, children, max_size=4)
    ),
    max_leaves=12,
)


# ----------------------------------------------------------------- coverage of the module


def test_every_value_type_of_the_domain_is_covered() -> None:
    """The seven enums and four attrs value classes of the resource-pathway domain (one of them,
    CaseloadPolicy, shared by every programme) are all tested."""
    assert set(ENUMS) == {
        Channel,
        ClosureReason,
        EmployerActivityKind,
        PathwayKind,
        PlacementKind,
        ReviewOutcome,
        Role,
    }
    assert set(VALUE_CLASSES) == {CaseloadPolicy, IndicatorSet, Placement, Scores}


# ----------------------------------------------------------------- round trips


@given(member=enum_members)
def test_enum_members_round_trip_as_members(member: enum.Enum) -> None:
    """Every member of every domain enum decodes to the same member (not its value)."""
    assert round_trip(member) is member


@given(day=st.dates())
def test_dates_round_trip_as_dates(day: date) -> None:
    """A date decodes to an equal date (not a datetime, not a string)."""
    assert_same(round_trip(day), day)


@given(roles=role_sets)
def test_sets_of_roles_round_trip(roles: set[Role]) -> None:
    """A set of Roles decodes to an equal set of Role members."""
    assert_same(round_trip(roles), roles)


@given(roles=role_frozensets)
def test_frozensets_of_roles_round_trip(roles: frozenset[Role]) -> None:
    """A frozenset of Roles decodes to an equal frozenset of Role members."""
    assert_same(round_trip(roles), roles)


@given(policy=policies)
def test_caseload_policy_round_trips(policy: CaseloadPolicy) -> None:
    """A CaseloadPolicy decodes equal, its effective_from a date."""
    assert_same(round_trip(policy), policy)


@given(indicators=indicator_sets)
def test_indicator_set_round_trips_with_a_tuple_of_names(indicators: IndicatorSet) -> None:
    """An IndicatorSet decodes equal, its names still a tuple of str."""
    result = round_trip(indicators)
    assert_same(result, indicators)
    assert type(result.names) is tuple


@given(placement=placements)
def test_placement_round_trips(placement: Placement) -> None:
    """A Placement decodes equal, its kind a PlacementKind and its hours a Decimal or None."""
    assert_same(round_trip(placement), placement)


@given(value=scores)
def test_scores_round_trip_with_tuples_of_pairs(value: Scores) -> None:
    """Scores decode equal, their values a tuple of (str, int) tuples."""
    result = round_trip(value)
    assert_same(result, value)
    assert all(type(pair) is tuple for pair in result.values)


@given(value=nested)
def test_nested_values_round_trip_with_their_types(value: Any) -> None:
    """Domain values nested in dicts and lists decode equal, of the same type at every level."""
    assert_same(round_trip(value), value)


@given(
    members=st.one_of(
        st.lists(st.sampled_from(Role)),
        st.lists(st.dates()),
        st.lists(st.text()),
        st.lists(st.sampled_from(Channel)),
    ),
    data=st.data(),
)
def test_equal_frozensets_encode_to_identical_bytes(
    members: list[Any], data: st.DataObject
) -> None:
    """Two equal frozensets built in different orders encode to the very same bytes."""
    shuffled = data.draw(st.permutations(members))
    assert frozenset(members) == frozenset(shuffled)
    assert TRANSCODER.encode(frozenset(members)) == TRANSCODER.encode(frozenset(shuffled))
    assert TRANSCODER.encode(set(members)) == TRANSCODER.encode(set(shuffled))


# ----------------------------------------------------------------- stored events


def _record_a_history(app: Caseload) -> dict[str, Any]:
    """Run one of each command and return the values passed in."""
    given_values: dict[str, Any] = {
        "indicators": IndicatorSet(names=["work_stamina", "job_search"]),
        "roles": frozenset({Role.COACH, Role.AUTHORITY, Role.MENTOR_LIKE}),
        "scores": {"work_stamina": 4, "job_search": 2},
        "policy_from": date(2025, 3, 1),
    }
    app.configure_programme(name="P", on=START, indicators=given_values["indicators"])
    broker = app.register_broker(name="A", team="T", on=START, fte="0.75")
    case = app.open_trajectory(cpr="0101901234", on=START)
    app.assign(case, broker, on=START)
    app.record_contact(
        case, on=START, roles=given_values["roles"], channel=Channel.COMPANY_VISIT, by=broker
    )
    app.record_progress(case, on=START, scores=given_values["scores"])
    app.record_job_placement(case, on=START, kind=PlacementKind.ORDINARY_JOB, hours_per_week=12.5)
    app.record_review(case, on=START, outcome=ReviewOutcome.ADJUST_PLAN)
    colleague = app.register_colleague(name="K", team="T", on=START)
    app.record_contact(case, on=START, roles=Role.AUTHORITY, channel=Channel.PHONE, by=colleague)
    app.colleague_left(colleague, on=START + timedelta(days=1))
    given_values["ends_on"] = date(2026, 6, 30)
    app.record_employer_activity(
        case,
        on=START,
        kind=EmployerActivityKind.WAGE_SUBSIDY_JOB,
        ends_on=given_values["ends_on"],
    )
    app.set_caseload_policy(limit_per_fte=25, effective_from=given_values["policy_from"], on=START)
    app.close_trajectory(case, on=TODAY, reason=ClosureReason.FLEX_JOB)
    given_values.update(broker=broker, case=case, colleague=colleague)
    return given_values


def test_stored_events_decode_with_their_types() -> None:
    """Events read back from the store carry enums, dates, frozensets and value objects."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        given_values = _record_a_history(app)
        events = {type(e).__qualname__: e for e in app.events()}
        contacts = [e for e in app.events() if isinstance(e, Trajectory.ContactRecorded)]
    for stored in events.values():
        assert type(stored.occurred_on) is date  # type: ignore[attr-defined]
        assert type(stored.originator_id) is UUID
    configured = events["Programme.Configured"]
    assert_same(configured.indicators, given_values["indicators"])  # type: ignore[attr-defined]
    assert configured.pathway is PathwayKind.RESOURCE_PATHWAY  # type: ignore[attr-defined]
    assert type(configured.policy) is CaseloadPolicy  # type: ignore[attr-defined]
    assert type(configured.policy.effective_from) is date  # type: ignore[attr-defined]
    assert_same(events["Broker.Registered"].fte, Decimal("0.75"))  # type: ignore[attr-defined]
    assert_same(events["Trajectory.Assigned"].broker_id, given_values["broker"])  # type: ignore[attr-defined]
    contact = contacts[0]
    assert_same(contact.roles, given_values["roles"])
    assert contact.channel is Channel.COMPANY_VISIT
    assert_same(contact.by, given_values["broker"])
    expected_scores = Scores(given_values["scores"])
    assert_same(events["Trajectory.ProgressMeasured"].scores, expected_scores)  # type: ignore[attr-defined]
    expected_placement = Placement(kind=PlacementKind.ORDINARY_JOB, hours_per_week=Decimal("12.5"))
    assert_same(events["Trajectory.JobPlaced"].placement, expected_placement)  # type: ignore[attr-defined]
    assert events["Trajectory.Reviewed"].outcome is ReviewOutcome.ADJUST_PLAN  # type: ignore[attr-defined]
    policy = events["Programme.PolicyChanged"].policy  # type: ignore[attr-defined]
    assert_same(policy.effective_from, given_values["policy_from"])
    assert policy.limit_per_fte == 25
    assert events["Trajectory.Closed"].reason is ClosureReason.FLEX_JOB  # type: ignore[attr-defined]
    registered = events["Colleague.Registered"]
    assert (registered.name, registered.team) == ("K", "T")  # type: ignore[attr-defined]
    assert_same(events["Colleague.Left"].occurred_on, START + timedelta(days=1))  # type: ignore[attr-defined]
    assert_same(contacts[-1].by, given_values["colleague"])
    activity = events["Trajectory.EmployerActivityStarted"]
    assert activity.kind is EmployerActivityKind.WAGE_SUBSIDY_JOB  # type: ignore[attr-defined]
    assert_same(activity.ends_on, given_values["ends_on"])  # type: ignore[attr-defined]
    assert_same(events["Broker.CaseReleased"].trajectory_id, given_values["case"])  # type: ignore[attr-defined]


@given(
    kind=st.sampled_from(EmployerActivityKind),
    weeks=st.none() | st.integers(0, 520),
    back=st.integers(0, 30),
)
@settings(max_examples=25)
def test_an_employer_activity_reads_back_as_recorded(
    kind: EmployerActivityKind, weeks: int | None, back: int
) -> None:
    """An employer-directed activity's kind comes back as the member and its planned end as
    a plain date (or None), through the store's own transcoder."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        case = app.open_trajectory(cpr="0101901234", on=START)
        on = TODAY - timedelta(days=back)
        ends_on = None if weeks is None else on + timedelta(weeks=weeks)
        app.record_employer_activity(case, on=on, kind=kind, ends_on=ends_on)
        (event,) = [e for e in app.events() if isinstance(e, Trajectory.EmployerActivityStarted)]
    assert event.kind is kind
    assert_same(event.ends_on, ends_on)
    assert_same(event.occurred_on, on)


def test_reopened_sqlite_store_rebuilds_state_from_snapshots(tmp_path: Path) -> None:
    """A broker with enough events to be snapshotted reloads with the same state elsewhere."""
    url = f"sqlite:///{tmp_path / 'caseload.db'}"
    with Caseload(url, pseudonym_key=KEY, clock=fixed_clock) as app:
        broker = app.register_broker(name="A", team="T", on=START, fte=1.0)
        for i in range(40):  # 1 + 40 + 20 broker events: past the snapshot interval of 50
            day = START + timedelta(i)
            case = app.open_trajectory(cpr=f"010190{i:04d}", on=day)
            app.assign(case, broker, on=day)
            if i % 2:
                app.close_trajectory(case, on=day, reason=ClosureReason.MOVED)
        view = app.broker(broker)
    assert len(view.active_cases) == 20
    with Caseload(url, pseudonym_key=KEY, clock=fixed_clock) as reopened:
        assert reopened.broker(broker) == view


@pytest.mark.parametrize("enum_class", ENUMS)
def test_enum_encoding_is_named_after_the_class(enum_class: type[enum.Enum]) -> None:
    """An enum member is stored under its class name and its value, a stable format."""
    member = next(iter(enum_class))
    expected = f'{{"_type_":"{enum_class.__name__}","_data_":"{member.value}"}}'
    assert TRANSCODER.encode(member) == expected.encode()

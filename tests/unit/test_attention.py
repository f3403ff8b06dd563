"""The attention list: open trajectories lacking contact, progression, roles, intervention or
a case review, without a broker, or near their maximum length."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload import (
    Caseload,
    Channel,
    ClosureReason,
    InvalidThreshold,
    PlacementKind,
    ReviewOutcome,
    Role,
)
from caseload.commands import (
    Assign,
    CloseTrajectory,
    OpenTrajectory,
    RecordContact,
    RecordJobPlacement,
    RecordProgress,
    RecordReview,
    Transfer,
)
from caseload.programmes.resource_pathway.read_models import attention as attention_module
from caseload.programmes.resource_pathway.read_models.attention import (
    MAX_REVIEW_DAYS,
    AttentionModel,
    AttentionReason,
    AttentionReport,
    AttentionThresholds,
    attention_report,
    project_attention,
)
from caseload.programmes.resource_pathway.read_models.attention_counts import attention_counts
from caseload.projections.base import canonical_bytes
from caseload.projections.stored_entries import unread_entries
from caseload.testing import Plan, Step, histories, run_history
from tests.conftest import KEY, TODAY, fixed_clock
from tests.unit._support import assert_round_trip, renamed, run_script

START = date(2024, 1, 1)
HISTORIES = histories(min_size=25, max_size=60)
"""Histories long enough to open trajectories and record facts on them."""

Action = Callable[[Caseload, dict[str, UUID], date], None]
NO_CONTACT = AttentionReason.NO_CONTACT
NO_PROGRESSION = AttentionReason.NO_PROGRESSION
ROLES_MISSING = AttentionReason.ROLES_MISSING
NO_INTERVENTION = AttentionReason.NO_INTERVENTION
NEAR_MAX_LENGTH = AttentionReason.NEAR_MAX_LENGTH
NOT_REVIEWED = AttentionReason.NOT_REVIEWED
UNASSIGNED = AttentionReason.UNASSIGNED
ALL = frozenset(Role)


def new_app() -> Caseload:
    """A fresh in-memory application on the tests' key and clock."""
    return Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)


def broker(name: str) -> Action:
    """Register broker `name`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        ids[name] = app.register_broker(name=name, team="T", on=on)

    return action


def opens(name: str, cpr: str, holder: str | None = None) -> Action:
    """Open trajectory `name` for `cpr`, assigning it to broker `holder` the same day."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        ids[name] = app.open_trajectory(cpr=cpr, on=on)
        if holder is not None:
            app.assign(ids[name], ids[holder], on=on)

    return action


def contact(name: str, by: str, *roles: Role) -> Action:
    """A contact on trajectory `name` by broker `by`, exercising `roles`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        app.record_contact(ids[name], on=on, roles=set(roles), channel=Channel.MEETING, by=ids[by])

    return action


def progress(name: str) -> Action:
    """A progression measurement on trajectory `name`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        app.record_progress(ids[name], on=on, scores={"job_search": 3})

    return action


def placed(name: str) -> Action:
    """A flex-job placement on trajectory `name`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        app.record_job_placement(ids[name], on=on, kind=PlacementKind.FLEX_JOB)

    return action


def closes(name: str) -> Action:
    """Close trajectory `name`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        app.close_trajectory(ids[name], on=on, reason=ClosureReason.OTHER)

    return action


# In recording order; the last line is a late registration: T2's contact of 18 June is
# recorded after T_old's contact of 25 June.
SCRIPT: list[tuple[date, Action]] = [
    (date(2020, 9, 1), opens("T_old", "0109200001")),
    (date(2024, 1, 2), broker("B")),
    (date(2024, 1, 2), broker("C")),
    (date(2024, 10, 1), opens("T2", "0201900002", holder="C")),
    (date(2024, 10, 5), contact("T2", "C", *Role)),
    (date(2024, 12, 1), opens("T3", "0301900003")),
    (date(2025, 1, 2), opens("T4", "0401900004", holder="B")),
    (date(2025, 1, 10), placed("T3")),
    (date(2025, 3, 1), opens("T1", "0101900001", holder="B")),
    (date(2025, 3, 15), progress("T1")),
    (date(2025, 4, 1), opens("T6", "0601900006", holder="B")),
    (date(2025, 4, 1), progress("T6")),
    (date(2025, 5, 1), contact("T2", "C", Role.COACH)),
    (date(2025, 5, 31), contact("T6", "B", *Role)),
    (date(2025, 6, 1), progress("T_old")),
    (date(2025, 6, 1), progress("T2")),
    (date(2025, 6, 1), closes("T4")),
    (date(2025, 6, 10), opens("T5", "0501900005")),
    (date(2025, 6, 20), contact("T1", "B", Role.COACH, Role.AUTHORITY)),
    (date(2025, 6, 25), contact("T_old", "B", *Role)),
    (date(2025, 6, 18), contact("T2", "B", Role.COACH)),
]


def listed(report: AttentionReport, ids: dict[str, UUID]) -> list[tuple[str, frozenset[Any]]]:
    """The items as (trajectory name, reasons), in report order."""
    names = {v: k for k, v in ids.items()}
    return [(names[item.trajectory_id], item.reasons) for item in report.items]


def test_a_hand_written_history_gives_the_hand_computed_attention_list() -> None:
    """On 30 June with the default thresholds: a contact exactly 30 days back still counts,
    young trajectories get grace, closed ones are not listed, and each listed trajectory
    carries every reason that applies, ordered by opening date. Nothing was ever reviewed,
    so every trajectory open 90 days or more (T6 exactly 90) is not reviewed in time; T_old,
    T3 and T5 never had a broker."""
    with new_app() as app:
        ids = run_script(SCRIPT, app)
        report = attention_report(project_attention(list(app.events())), TODAY)
    assert listed(report, ids) == [
        ("T_old", frozenset({NEAR_MAX_LENGTH, NOT_REVIEWED, UNASSIGNED})),
        ("T2", frozenset({NO_INTERVENTION, NOT_REVIEWED})),
        ("T3", frozenset({NO_CONTACT, NO_PROGRESSION, ROLES_MISSING, NOT_REVIEWED, UNASSIGNED})),
        ("T1", frozenset({NO_PROGRESSION, ROLES_MISSING, NOT_REVIEWED})),
        ("T6", frozenset({NOT_REVIEWED})),
        ("T5", frozenset({UNASSIGNED})),
    ]
    assert dict(report.counts) == {
        NO_CONTACT: 1,
        NO_PROGRESSION: 2,
        ROLES_MISSING: 2,
        NO_INTERVENTION: 1,
        NEAR_MAX_LENGTH: 1,
        NOT_REVIEWED: 5,
        UNASSIGNED: 3,
    }
    t2, t3, t1 = report.items[1:4]
    assert (t2.broker_id, t2.opened_on) == (ids["C"], date(2024, 10, 1))
    assert (t2.last_contact_on, t2.last_progression_on) == (date(2025, 6, 18), date(2025, 6, 1))
    assert t2.last_intervention_on == date(2024, 10, 5)
    assert t2.roles_missing == frozenset()
    assert (t3.broker_id, t3.last_contact_on, t3.last_progression_on) == (None, None, None)
    assert t3.last_intervention_on == date(2025, 1, 10)
    assert t3.roles_missing == ALL
    assert t1.broker_id == ids["B"]
    assert t1.roles_missing == frozenset({Role.EMPLOYER_LIAISON, Role.MENTOR_LIKE})
    assert t1.last_intervention_on is None
    assert report.thresholds == AttentionThresholds()
    assert report.count(ROLES_MISSING) == 2
    names = {v: k for k, v in ids.items()}
    assert {names[item.trajectory_id]: item.days_unassigned for item in report.items} == {
        "T_old": (date(2025, 6, 30) - date(2020, 9, 1)).days,
        "T2": None,
        "T3": 211,
        "T1": None,
        "T6": None,
        "T5": 20,
    }
    assert all(item.last_review_on is None for item in report.items)


def test_thresholds_change_what_is_flagged() -> None:
    """With a 250-day contact interval, a year for progression and for reviews, and coach
    contacts counting as intervention, T2's coach contact of 18 June is an intervention (T2
    drops off the list) and T3, open 211 days, is within its grace for contact, progression
    and review; a trajectory without a broker is listed whatever the thresholds."""
    limits = AttentionThresholds(
        contact_days=250,
        progression_days=365,
        intervention_roles=frozenset({Role.COACH}),
        review_days=365,
    )
    with new_app() as app:
        ids = run_script(SCRIPT, app)
        report = attention_report(project_attention(list(app.events())), TODAY, limits)
    assert listed(report, ids) == [
        ("T_old", frozenset({NEAR_MAX_LENGTH, NOT_REVIEWED, UNASSIGNED})),
        ("T3", frozenset({ROLES_MISSING, UNASSIGNED})),
        ("T1", frozenset({ROLES_MISSING})),
        ("T5", frozenset({UNASSIGNED})),
    ]
    assert report.items[1].last_contact_on is None
    assert report.thresholds is limits


def test_as_true_on_a_past_date_equals_the_history_cut_there() -> None:
    """As true on 20 June, T2's contact of 18 June counts although it was recorded after
    facts of 25 June, and T_old's contact of 25 June does not; the result is the attention
    list of a store that only ever saw the facts dated up to 20 June."""
    cut = date(2025, 6, 20)
    with new_app() as full, new_app() as short:
        full_ids = run_script(SCRIPT, full)
        short_ids = run_script(SCRIPT, short, cut)
        past = attention_report(project_attention(list(full.events()), as_true_on=cut), cut)
        cut_report = attention_report(project_attention(list(short.events())), cut)
    assert renamed(past, {v: k for k, v in full_ids.items()}) == renamed(
        cut_report, {v: k for k, v in short_ids.items()}
    )
    assert listed(past, full_ids) == [
        (
            "T_old",
            frozenset(
                {
                    NO_CONTACT,
                    ROLES_MISSING,
                    NO_INTERVENTION,
                    NEAR_MAX_LENGTH,
                    NOT_REVIEWED,
                    UNASSIGNED,
                }
            ),
        ),
        ("T2", frozenset({NO_INTERVENTION, NOT_REVIEWED})),
        ("T3", frozenset({NO_CONTACT, NO_PROGRESSION, ROLES_MISSING, NOT_REVIEWED, UNASSIGNED})),
        ("T1", frozenset({NO_PROGRESSION, ROLES_MISSING, NOT_REVIEWED})),
        ("T5", frozenset({UNASSIGNED})),
    ]
    assert past.items[1].last_contact_on == date(2025, 6, 18)


# --------------------------------------------------------------------------- reviews, brokers

ONLY_REVIEWS_AND_BROKERS = AttentionThresholds(
    contact_days=1000, progression_days=1000, roles_after_days=1000, intervention_days=1000
)
"""Thresholds under which, in the script below, only reviews and brokers can flag."""


def reviewed(name: str) -> Action:
    """A case review of trajectory `name`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        app.record_review(ids[name], on=on, outcome=ReviewOutcome.CONTINUE)

    return action


def assigns(name: str, holder: str) -> Action:
    """Assign trajectory `name` to broker `holder`."""

    def action(app: Caseload, ids: dict[str, UUID], on: date) -> None:
        app.assign(ids[name], ids[holder], on=on)

    return action


REVIEW_SCRIPT: list[tuple[date, Action]] = [
    (date(2025, 1, 6), broker("B")),
    (date(2025, 1, 6), opens("R1", "0101900011", holder="B")),
    (date(2025, 1, 6), opens("R2", "0201900012", holder="B")),
    (date(2025, 4, 1), reviewed("R1")),
    (date(2025, 4, 2), opens("R3", "0301900013", holder="B")),
    (date(2025, 4, 15), opens("R5", "0501900015")),
    (date(2025, 6, 29), opens("R4", "0401900014")),
    (date(2025, 6, 30), assigns("R5", "B")),
    (date(2025, 3, 31), reviewed("R2")),  # registered late
]


def test_the_review_cadence_and_missing_brokers_flag_on_their_own() -> None:
    """On 30 June with a 90-day cadence: R1's review of 1 April (90 days back) still counts,
    R2's of 31 March (91 days) does not, R3 (open 89 days, never reviewed) has its grace;
    R4, opened the day before without a broker, is unassigned for 1 day, and R5, assigned
    that day, is not (and, open 76 days, has its grace for a review). As true on 29 June,
    R2's review is 90 days back and R5 had been unassigned since 15 April: 75 days."""
    with new_app() as app:
        ids = run_script(REVIEW_SCRIPT, app)
        now = app.attention_list(thresholds=ONLY_REVIEWS_AND_BROKERS)
        then = app.attention_list(thresholds=ONLY_REVIEWS_AND_BROKERS, as_true_on=date(2025, 6, 29))
    assert listed(now, ids) == [("R2", frozenset({NOT_REVIEWED})), ("R4", frozenset({UNASSIGNED}))]
    r2, r4 = now.items
    assert (r2.last_review_on, r2.days_unassigned, r2.broker_id) == (
        date(2025, 3, 31),
        None,
        ids["B"],
    )
    assert (r4.last_review_on, r4.days_unassigned, r4.broker_id) == (None, 1, None)
    assert (now.count(NOT_REVIEWED), now.count(UNASSIGNED), now.count(NO_CONTACT)) == (1, 1, 0)
    assert listed(then, ids) == [("R5", frozenset({UNASSIGNED})), ("R4", frozenset({UNASSIGNED}))]
    assert [item.days_unassigned for item in then.items] == [
        (date(2025, 6, 29) - date(2025, 4, 15)).days,
        0,
    ]


BAD_REVIEW_DAYS = st.one_of(
    st.integers(max_value=0),
    st.integers(min_value=MAX_REVIEW_DAYS + 1),
    st.booleans(),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.none(),
)


@given(days=st.integers(1, MAX_REVIEW_DAYS))
def test_any_review_cadence_from_1_to_the_maximum_is_accepted(days: int) -> None:
    """A whole number of days from 1 to MAX_REVIEW_DAYS (5 years) is a review cadence."""
    assert AttentionThresholds(review_days=days).review_days == days


@given(days=BAD_REVIEW_DAYS)
def test_any_other_review_cadence_is_refused(days: object) -> None:
    """Zero, negative, too long, a bool, a float, text or None: InvalidThreshold (an
    InvalidValue, so a CaseloadError) naming the rule and the range."""
    with pytest.raises(InvalidThreshold, match=f"review_days .* from 1 to {MAX_REVIEW_DAYS}"):
        AttentionThresholds(review_days=days)  # type: ignore[arg-type]


def test_a_refused_review_cadence_is_not_echoed() -> None:
    """A value passed in the wrong place (a CPR number, say) is not repeated in the error."""
    with pytest.raises(InvalidThreshold) as refusal:
        AttentionThresholds(review_days=101901234)
    assert "101901234" not in str(refusal.value)
    with pytest.raises(InvalidThreshold) as refusal:
        AttentionThresholds(review_days="0101901234")  # type: ignore[arg-type]
    assert "0101901234" not in str(refusal.value)


# --------------------------------------------------------------------------- model


def expected_attention(
    steps: Sequence[Step], on: date, limits: AttentionThresholds
) -> list[tuple[Any, ...]]:
    """The attention items computed from every accepted fact dated up to `on`, kept whole."""
    opened: dict[UUID, date] = {}
    holder: dict[UUID, UUID | None] = {}
    closed: set[UUID] = set()
    contacts: dict[UUID, list[tuple[date, frozenset[Role]]]] = {}
    measured: dict[UUID, list[date]] = {}
    placements: dict[UUID, list[date]] = {}
    reviews: dict[UUID, list[date]] = {}
    for step in steps:
        t = step.trajectory
        if step.on > on or t is None:
            continue
        match step.command:
            case OpenTrajectory():
                opened[t], holder[t] = step.on, None
                contacts[t], measured[t], placements[t], reviews[t] = [], [], [], []
            case Assign() | Transfer():
                holder[t] = step.broker
            case CloseTrajectory():
                closed.add(t)
            case RecordContact(roles=roles):
                contacts[t].append((step.on, roles))
            case RecordReview():
                reviews[t].append(step.on)
            case RecordProgress():
                measured[t].append(step.on)
            case RecordJobPlacement():
                placements[t].append(step.on)
    items = []
    for t in sorted(opened, key=lambda t: (opened[t], str(t))):
        if t in closed:
            continue
        age = (on - opened[t]).days
        interventions = placements[t] + [
            d for d, roles in contacts[t] if roles & limits.intervention_roles
        ]
        contact_days = [d for d, _ in contacts[t]]
        covered = frozenset(r for _, roles in contacts[t] for r in roles)

        def lacking(days: list[date], interval: int, age: int = age) -> bool:
            recent = [d for d in days if (on - d).days <= interval]
            return age >= interval and not recent

        reasons = {
            NO_CONTACT: lacking(contact_days, limits.contact_days),
            NO_PROGRESSION: lacking(measured[t], limits.progression_days),
            ROLES_MISSING: covered != ALL and age >= limits.roles_after_days,
            NO_INTERVENTION: lacking(interventions, limits.intervention_days),
            NEAR_MAX_LENGTH: age >= limits.max_pathway_days - limits.near_max_days,
            NOT_REVIEWED: lacking(reviews[t], limits.review_days),
            UNASSIGNED: holder[t] is None,
        }
        flagged = frozenset(r for r, yes in reasons.items() if yes)
        if flagged:
            items.append(
                (
                    t,
                    holder[t],
                    opened[t],
                    flagged,
                    max(contact_days, default=None),
                    max(measured[t], default=None),
                    max(interventions, default=None),
                    ALL - covered,
                    max(reviews[t], default=None),
                    age if holder[t] is None else None,
                )
            )
    return items


def as_found(report: AttentionReport) -> list[tuple[Any, ...]]:
    """The report's items in the model's shape."""
    return [
        (
            i.trajectory_id,
            i.broker_id,
            i.opened_on,
            i.reasons,
            i.last_contact_on,
            i.last_progression_on,
            i.last_intervention_on,
            i.roles_missing,
            i.last_review_on,
            i.days_unassigned,
        )
        for i in report.items
    ]


THRESHOLDS = st.builds(
    AttentionThresholds,
    contact_days=st.integers(1, 40),
    progression_days=st.integers(1, 40),
    roles_after_days=st.integers(0, 40),
    intervention_days=st.integers(1, 40),
    max_pathway_days=st.integers(1, 80),
    near_max_days=st.integers(0, 30),
    intervention_roles=st.frozensets(st.sampled_from(Role)),
    review_days=st.integers(1, 40),
)


@given(history=HISTORIES, limits=THRESHOLDS, extra=st.integers(0, 20))
def test_attention_equals_a_model_of_the_accepted_commands(
    history: list[Plan], limits: AttentionThresholds, extra: int
) -> None:
    """For any history and thresholds, the items equal a model that keeps every fact, and
    the counts are the items per reason."""
    with new_app() as app:
        result = run_history(app, history, start=START)
        on = START + timedelta(days=len(history) + extra)
        report = attention_report(project_attention(list(app.events())), on, limits)
    assert as_found(report) == expected_attention(result.accepted, on, limits)
    for reason in AttentionReason:
        assert report.count(reason) == sum(reason in item.reasons for item in report.items)


@given(history=HISTORIES, limits=THRESHOLDS, back=st.integers(0, 60))
def test_as_true_on_equals_the_model_of_the_facts_dated_up_to_then(
    history: list[Plan], limits: AttentionThresholds, back: int
) -> None:
    """Folding with `as_true_on=D` gives the model of the accepted facts dated up to D,
    late-registered progression and placements included."""
    with new_app() as app:
        result = run_history(app, history, start=START)
        cut = START + timedelta(days=max(0, len(history) - back))
        report = attention_report(
            project_attention(list(app.events()), as_true_on=cut), cut, limits
        )
    assert as_found(report) == expected_attention(result.accepted, cut, limits)


@given(history=HISTORIES)
def test_encode_decode_round_trip(history: list[Plan]) -> None:
    """Encoding, decoding (through JSON) and encoding again gives the same canonical bytes,
    digest and report."""
    model = AttentionModel()
    with new_app() as app:
        run_history(app, history, start=START)
        state = project_attention(list(app.events()))
    on = START + timedelta(days=len(history))
    assert_round_trip(model, state, attention_report, on)


@given(history=HISTORIES, limits=THRESHOLDS, back=st.integers(0, 60))
def test_a_list_of_a_day_before_later_closures_counts_those_trajectories_as_open(
    history: list[Plan], limits: AttentionThresholds, back: int
) -> None:
    """The state keeps closed trajectories apart; the list of a day before some of them
    closed still holds them, exactly as a search of every trajectory open that day
    finds them (the state itself unchanged: the latest fact of each kind)."""
    with new_app() as app:
        run_history(app, history, start=START)
        state = project_attention(list(app.events()))
    on = START + timedelta(days=max(0, len(history) - back))
    every = {**state.trajectories, **state.closed}
    assert not state.trajectories.keys() & state.closed.keys()
    assert all(case.closed_on is None for case in state.trajectories.values())
    assert all(case.closed_on is not None for case in state.closed.values())
    open_then = [
        attention_module._item(trajectory_id, case, on, limits)[0]
        for trajectory_id, case in every.items()
        if case.opened_on <= on and (case.closed_on is None or case.closed_on > on)
    ]
    expected = sorted(
        (item for item in open_then if item.reasons),
        key=lambda item: (item.opened_on, str(item.trajectory_id)),
    )
    assert attention_report(state, on, limits).items == tuple(expected)


@given(history=HISTORIES, limits=THRESHOLDS, back=st.integers(-20, 60))
def test_the_counts_of_a_state_as_stored_are_those_of_the_list(
    history: list[Plan], limits: AttentionThresholds, back: int
) -> None:
    """`caseload status` counts the open trajectories as stored, without decoding them:
    on any day (before, among and after the history's dates, with closures after it),
    the counts and the number flagged are those of the attention list, and the open
    trajectories are still undecoded after it."""
    model = AttentionModel()
    with new_app() as app:
        run_history(app, history, start=START)
        state = project_attention(list(app.events()))
    on = START + timedelta(days=len(history) - back)
    stored = json.loads(canonical_bytes(model.encode(state)))
    as_stored = model.decode(stored)
    counts = attention_counts(as_stored, on, limits)
    assert unread_entries(as_stored.trajectories) is not None
    report = attention_report(state, on, limits)
    assert (counts.on, counts.thresholds) == (on, limits)
    assert counts.counts == report.counts
    assert counts.flagged == len(report.items)
    assert attention_counts(state, on, limits) == counts  # as entities, the same


ON = date(2025, 3, 1)
"""The reference day of the generated stored states below."""
NEAR_ON = st.integers(-90, 5).map(lambda days: (ON + timedelta(days=days)).isoformat())
"""Days around the reference day, so that every threshold's boundary day comes up."""


@st.composite
def stored_cases(draw: st.DrawFn) -> list[Any]:
    """One open trajectory as the model stores it (`_encode_case`)."""
    contacts = draw(st.dictionaries(st.sampled_from([role.value for role in Role]), NEAR_ON))
    return [
        draw(NEAR_ON),
        draw(st.none() | st.just(UUID(int=1).hex)),
        None,
        contacts,
        draw(st.none() | NEAR_ON),
        draw(st.none() | NEAR_ON),
        draw(st.none() | NEAR_ON),
    ]


@settings(max_examples=500)
@given(
    cases=st.lists(stored_cases(), max_size=8),
    limits=THRESHOLDS,
)
def test_the_counts_as_stored_keep_every_boundary_of_the_reasons(
    cases: list[Any], limits: AttentionThresholds
) -> None:
    """On stored trajectories whose dates fall on and around every threshold's boundary
    day, the counts from the stored form equal those of the decoded entities."""
    stored = {
        "trajectories": {UUID(int=100 + n).hex: case for n, case in enumerate(cases)},
        "closed": {},
        "last_closed_on": None,
    }
    as_stored = AttentionModel().decode(stored)
    decoded = AttentionModel().decode(stored)
    assert len(decoded.trajectories) == len(cases)  # decodes every entry
    assert attention_counts(as_stored, ON, limits) == attention_counts(decoded, ON, limits)
    assert unread_entries(as_stored.trajectories) is not None

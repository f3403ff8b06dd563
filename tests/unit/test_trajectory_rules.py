"""Trajectory rules through the `Caseload` facade on memory://: dates, closure, records."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseload import (
    BrokerHasLeft,
    Channel,
    ClosureReason,
    DateOutOfRange,
    EmployerActivityKind,
    InvalidContact,
    InvalidPlacement,
    InvalidScores,
    InvalidValue,
    PlacementKind,
    ReviewOutcome,
    Role,
    TrajectoryAlreadyOpen,
    TrajectoryClosed,
)
from caseload.programmes.resource_pathway.domain.values import DEFAULT_INDICATORS
from caseload.testing.strategies import channels
from tests.conftest import TODAY
from tests.unit._support import (
    ALL_COMMANDS,
    SPAN,
    START,
    TRAJECTORY_COMMANDS,
    Command,
    new_app,
    next_cpr,
    office,
)

# ----------------------------------------------------------------- business dates


@given(name=st.sampled_from(sorted(ALL_COMMANDS)), ahead=st.integers(1, 4000))
def test_future_business_dates_are_refused_for_every_command(name: str, ahead: int) -> None:
    """Every command refuses a business date after the clock's today, and writes nothing."""
    with new_app() as app:
        o = office(app)
        before = app.head()
        with pytest.raises(DateOutOfRange, match=rf"{ahead} day\(s\) after today"):
            ALL_COMMANDS[name](o, TODAY + timedelta(ahead))
        assert app.head() == before


@pytest.mark.parametrize("name", sorted(ALL_COMMANDS))
def test_datetime_instead_of_date_is_refused(name: str) -> None:
    """Every command refuses a datetime (a day with a time) as its business date."""
    with new_app() as app:
        o = office(app)
        before = app.head()
        with pytest.raises(DateOutOfRange, match="not datetime"):
            ALL_COMMANDS[name](o, datetime(2025, 3, 3, 9, 30))
        assert app.head() == before


@given(name=st.sampled_from(sorted(TRAJECTORY_COMMANDS)), opened=st.integers(1, SPAN))
def test_nothing_is_recorded_before_the_trajectory_opened(name: str, opened: int) -> None:
    """Every trajectory command dated before the trajectory opened is refused (DateOutOfRange)."""
    with new_app() as app:
        o = office(app, opened=START + timedelta(opened))
        before = app.head()
        with pytest.raises(DateOutOfRange, match="opened on"):
            TRAJECTORY_COMMANDS[name](o, START + timedelta(opened - 1))
        assert app.head() == before


@given(name=st.sampled_from(sorted(TRAJECTORY_COMMANDS)), closed=st.integers(0, SPAN - 1))
def test_nothing_is_recorded_after_the_trajectory_closed(name: str, closed: int) -> None:
    """Contact, progress, placement, review, assign, transfer, close dated after the
    closure of a case: refused."""
    with new_app() as app:
        o = office(app)
        closed_on = START + timedelta(closed)
        app.close_trajectory(o.case, on=closed_on, reason=ClosureReason.JOB)
        o = attrs.evolve(o, spare=o.case)  # "assign" must also target the closed case
        before = app.head()
        with pytest.raises(TrajectoryClosed, match=f"closed on {closed_on}"):
            TRAJECTORY_COMMANDS[name](o, TODAY)
        assert app.head() == before


@given(
    name=st.sampled_from(
        ["contact", "progress", "placement", "review", "employer_activity", "transfer"]
    ),
    event_day=st.integers(0, SPAN),
    close_day=st.integers(0, SPAN),
)
def test_closing_before_the_latest_event_is_refused(
    name: str, event_day: int, close_day: int
) -> None:
    """A trajectory cannot close on a date before its latest event; on or after, it closes."""
    with new_app() as app:
        o = office(app)
        TRAJECTORY_COMMANDS[name](o, START + timedelta(event_day))
        before = app.head()
        close_on = START + timedelta(close_day)
        if close_day < event_day:
            with pytest.raises(DateOutOfRange, match=str(START + timedelta(event_day))):
                app.close_trajectory(o.case, on=close_on, reason=ClosureReason.OTHER)
            assert app.head() == before
            assert app.trajectory(o.case).closed_on is None
        else:
            app.close_trajectory(o.case, on=close_on, reason=ClosureReason.OTHER)
            assert app.trajectory(o.case).closed_on == close_on


# ----------------------------------------------------------------- one broker at a time


@given(moves=st.lists(st.integers(0, 2), max_size=8))
def test_a_trajectory_has_one_broker_at_a_time(moves: list[int]) -> None:
    """Through any transfers, exactly one broker holds the case: the trajectory's broker."""
    with new_app() as app:
        o = office(app)
        brokers = [o.a, o.b, app.register_broker(name="C", team="T", on=START)]
        for target in moves:
            if app.trajectory(o.case).broker_id != brokers[target]:
                app.transfer(o.case, to_broker=brokers[target], on=TODAY)
            holders = [b for b in brokers if o.case in app.broker(b).active_cases]
            assert holders == [app.trajectory(o.case).broker_id]


# ----------------------------------------------------------------- citizens


@given(hyphenated=st.booleans())
def test_a_citizen_has_one_open_trajectory(hyphenated: bool) -> None:
    """A second trajectory for a citizen with one open is refused, in either CPR form."""
    cpr = next_cpr()
    with new_app() as app:
        app.open_trajectory(cpr=cpr, on=START)
        before = app.head()
        again = f"{cpr[:6]}-{cpr[6:]}" if hyphenated else cpr
        with pytest.raises(TrajectoryAlreadyOpen, match="at most 1 open trajectory") as caught:
            app.open_trajectory(cpr=again, on=TODAY)
        assert cpr not in str(caught.value)
        assert app.head() == before


def test_after_closing_a_new_trajectory_can_open() -> None:
    """Once the citizen's trajectory is closed, a new one opens for them."""
    cpr = next_cpr()
    with new_app() as app:
        first = app.open_trajectory(cpr=cpr, on=START)
        app.close_trajectory(first, on=START + timedelta(5), reason=ClosureReason.MOVED)
        second = app.open_trajectory(cpr=cpr, on=START + timedelta(10))
        assert second != first
        assert app.trajectory(second).citizen == app.trajectory(first).citizen
        assert app.trajectory(second).closed_on is None


def test_a_new_trajectory_cannot_open_before_the_previous_one_closed() -> None:
    """A citizen's next trajectory cannot be dated before their previous one closed."""
    cpr = next_cpr()
    with new_app() as app:
        first = app.open_trajectory(cpr=cpr, on=START)
        app.close_trajectory(first, on=START + timedelta(60), reason=ClosureReason.MOVED)
        before = app.head()
        with pytest.raises(DateOutOfRange):
            app.open_trajectory(cpr=cpr, on=START + timedelta(30))
        assert app.head() == before


# ----------------------------------------------------------------- contacts


@given(roles=st.frozensets(st.sampled_from(Role), min_size=1), channel=channels())
def test_contact_with_roles_and_channel_is_recorded(
    roles: frozenset[Role], channel: Channel
) -> None:
    """A contact naming one or more Roles and a Channel is recorded as given."""
    with new_app() as app:
        o = office(app)
        app.record_contact(o.case, on=TODAY, roles=roles, channel=channel, by=o.a)
        *_, last = app.events()
        assert (last.roles, last.channel, last.by) == (roles, channel, o.a)  # type: ignore[attr-defined]


@given(roles=st.one_of(st.just(frozenset()), st.lists(st.text(), min_size=1).map(set)))
def test_contact_needs_at_least_one_role(roles: set[Any]) -> None:
    """A contact naming no Role (empty, or only non-Role values) is refused (InvalidContact)."""
    with new_app() as app:
        o = office(app)
        before = app.head()
        with pytest.raises(InvalidContact, match="one or more of the four roles"):
            app.record_contact(o.case, on=TODAY, roles=roles, channel=Channel.PHONE, by=o.a)
        assert app.head() == before


@pytest.mark.parametrize("channel", ["phone", None, Role.COACH, 1])
def test_contact_needs_a_channel(channel: object) -> None:
    """A contact whose channel is not a Channel is refused (InvalidContact)."""
    with new_app() as app:
        o = office(app)
        before = app.head()
        with pytest.raises(InvalidContact, match="channel"):
            app.record_contact(o.case, on=TODAY, roles=Role.COACH, channel=channel, by=o.a)  # type: ignore[arg-type]
        assert app.head() == before


@given(left=st.integers(0, SPAN - 1), contact=st.integers(0, SPAN))
def test_no_contact_by_a_broker_after_they_left(left: int, contact: int) -> None:
    """A contact by a broker dated after they left is refused (BrokerHasLeft); up to then, fine."""
    with new_app() as app:
        o = office(app)
        left_on, contact_on = START + timedelta(left), START + timedelta(contact)
        app.broker_left(o.b, on=left_on)
        before = app.head()
        if contact_on > left_on:
            with pytest.raises(BrokerHasLeft, match=f"left on {left_on}"):
                TRAJECTORY_COMMANDS["contact"](o, contact_on)
            assert app.head() == before
        else:
            TRAJECTORY_COMMANDS["contact"](o, contact_on)
            assert app.head() == before + 1


# ----------------------------------------------------------------- progress


@given(scores=st.dictionaries(st.sampled_from(DEFAULT_INDICATORS), st.integers(1, 5), min_size=1))
def test_scores_on_known_indicators_within_the_scale_are_recorded(scores: dict[str, int]) -> None:
    """Scores of 1 to 5 on the programme's indicators are recorded as given."""
    with new_app() as app:
        o = office(app)
        app.record_progress(o.case, on=TODAY, scores=scores)
        *_, last = app.events()
        assert last.scores.as_dict() == scores  # type: ignore[attr-defined]


@given(name=st.text(min_size=1).filter(lambda n: n not in DEFAULT_INDICATORS))
def test_unknown_indicator_is_refused(name: str) -> None:
    """A score on an indicator the programme does not measure is refused (InvalidScores);
    the message counts the unknown names and lists the measured ones, never the name given."""
    with new_app() as app:
        o = office(app)
        before = app.head()
        with pytest.raises(InvalidScores, match="1 of the 2 indicator name") as caught:
            app.record_progress(o.case, on=TODAY, scores={"job_search": 3, name: 3})
        message = str(caught.value)
        assert ", ".join(DEFAULT_INDICATORS) in message
        if len(name) > 4 and name not in ", ".join(DEFAULT_INDICATORS):
            assert name not in message
        assert app.head() == before


@given(
    name=st.sampled_from(DEFAULT_INDICATORS),
    score=st.one_of(st.integers(max_value=0), st.integers(min_value=6)),
)
def test_score_outside_the_scale_is_refused(name: str, score: int) -> None:
    """A score outside 1..5 is refused (InvalidScores) naming the scale, not the score."""
    with new_app() as app:
        o = office(app)
        before = app.head()
        with pytest.raises(InvalidScores, match="scale, 1 to 5; got a number outside it") as caught:
            app.record_progress(o.case, on=TODAY, scores={name: score})
        if len(str(score)) > 2:
            assert str(score) not in str(caught.value)
        assert app.head() == before


@pytest.mark.parametrize("scores", [{}, None, [("job_search", 3)], {"job_search": 3.0}])
def test_empty_or_malformed_scores_are_refused(scores: object) -> None:
    """No scores, scores not in a dict, or non-integer scores are refused (InvalidScores)."""
    with new_app() as app:
        o = office(app)
        before = app.head()
        with pytest.raises(InvalidScores):
            app.record_progress(o.case, on=TODAY, scores=scores)  # type: ignore[arg-type]
        assert app.head() == before


# ----------------------------------------------------------------- placements

finite = {"allow_nan": False, "allow_infinity": False}


@given(
    kind=st.sampled_from([PlacementKind.ORDINARY_JOB, PlacementKind.FLEX_JOB]),
    hours=st.floats(min_value=0, max_value=37, exclude_min=True, **finite),
)
def test_paid_placement_within_hours_is_recorded(kind: PlacementKind, hours: float) -> None:
    """An ordinary or flex job with 0 < hours ≤ 37 is recorded with those hours."""
    with new_app() as app:
        o = office(app)
        app.record_job_placement(o.case, on=TODAY, kind=kind, hours_per_week=hours)
        *_, last = app.events()
        placement = last.placement  # type: ignore[attr-defined]
        assert (placement.kind, placement.hours_per_week) == (kind, Decimal(str(hours)))


@given(
    kind=st.sampled_from(PlacementKind),
    hours=st.one_of(
        st.floats(max_value=0, **finite), st.floats(min_value=37, exclude_min=True, **finite)
    ),
)
def test_hours_outside_zero_to_37_are_refused(kind: PlacementKind, hours: float) -> None:
    """Paid hours ≤ 0 or > 37 are refused for every kind (InvalidPlacement, naming the rule
    and not the hours)."""
    with new_app() as app:
        o = office(app)
        before = app.head()
        rule = "above 0 and at most 37" if kind is not PlacementKind.EDUCATION else "no paid hours"
        with pytest.raises(InvalidPlacement, match=rule) as caught:
            app.record_job_placement(o.case, on=TODAY, kind=kind, hours_per_week=hours)
        if len(str(hours)) > 4:
            assert str(hours) not in str(caught.value)
        assert app.head() == before


def test_ordinary_job_needs_hours() -> None:
    """An ordinary job without paid hours is refused (InvalidPlacement)."""
    with new_app() as app:
        o = office(app)
        before = app.head()
        with pytest.raises(InvalidPlacement, match="above 0; got none"):
            app.record_job_placement(o.case, on=TODAY, kind=PlacementKind.ORDINARY_JOB)
        assert app.head() == before


@given(hours=st.floats(min_value=0, max_value=37, exclude_min=True, **finite))
def test_education_has_no_hours(hours: float) -> None:
    """An education placement with paid hours is refused; without them it is recorded."""
    with new_app() as app:
        o = office(app)
        before = app.head()
        with pytest.raises(InvalidPlacement, match="education placement has no paid hours"):
            app.record_job_placement(
                o.case, on=TODAY, kind=PlacementKind.EDUCATION, hours_per_week=hours
            )
        assert app.head() == before
        app.record_job_placement(o.case, on=TODAY, kind=PlacementKind.EDUCATION)
        assert app.head() == before + 1


# ----------------------------------------------------------------- employer-directed activity


@given(
    kind=st.sampled_from(EmployerActivityKind),
    start=st.integers(0, SPAN),
    length=st.integers(-SPAN, 4000),
)
def test_an_employer_activity_ends_on_or_after_its_start(
    kind: EmployerActivityKind, start: int, length: int
) -> None:
    """An activity's planned end may be its start day or any later day, today's future
    included; an end before the start is refused (DateOutOfRange) and nothing is written."""
    with new_app() as app:
        o = office(app)
        on = START + timedelta(start)
        ends_on = on + timedelta(length)
        before = app.head()
        if length < 0:
            with pytest.raises(DateOutOfRange, match=f"{-length} day\\(s\\) before it starts"):
                app.record_employer_activity(o.case, on=on, kind=kind, ends_on=ends_on)
            assert app.head() == before
        else:
            app.record_employer_activity(o.case, on=on, kind=kind, ends_on=ends_on)
            assert app.head() == before + 1


def test_an_employer_activitys_end_is_a_day() -> None:
    """A datetime as the planned end is refused like any date that is not a day."""
    with new_app() as app:
        o = office(app)
        with pytest.raises(DateOutOfRange, match=r"ends_on must be a datetime\.date"):
            app.record_employer_activity(
                o.case,
                on=START,
                kind=EmployerActivityKind.WAGE_SUBSIDY_JOB,
                ends_on=datetime(2025, 3, 3, 9, 30),
            )


# ----------------------------------------------------------------- reviews and closure


ENUM_ARGUMENTS: dict[str, tuple[type[Any], Command]] = {
    "review outcome": (
        ReviewOutcome,
        lambda o, value: o.app.record_review(o.case, on=TODAY, outcome=value),
    ),
    "closure reason": (
        ClosureReason,
        lambda o, value: o.app.close_trajectory(o.case, on=TODAY, reason=value),
    ),
    "kind of employer-directed activity": (
        EmployerActivityKind,
        lambda o, value: o.app.record_employer_activity(o.case, on=TODAY, kind=value),
    ),
}


@given(
    argument=st.sampled_from(sorted(ENUM_ARGUMENTS)),
    value=st.one_of(
        st.text(), st.none(), st.integers(), st.sampled_from(Role), st.sampled_from(PlacementKind)
    ),
)
def test_review_outcome_and_closure_reason_must_be_enum_members(argument: str, value: Any) -> None:
    """A review outcome, closure reason or activity kind that is not a member of its enum
    is InvalidValue."""
    enum_class, command = ENUM_ARGUMENTS[argument]
    with new_app() as app:
        o = office(app)
        before = app.head()
        with pytest.raises(
            InvalidValue, match=f"a {argument} must be one of {enum_class.__name__}"
        ):
            command(o, value)
        assert app.head() == before
        assert app.trajectory(o.case).closed_on is None


@given(reason=st.sampled_from(ClosureReason), day=st.integers(0, SPAN))
def test_closing_releases_the_brokers_case_in_the_same_write(
    reason: ClosureReason, day: int
) -> None:
    """Closing records the closure, ends the citizen's trajectory and releases the broker's case."""
    with new_app() as app:
        o = office(app)
        before = app.head()
        close_on = START + timedelta(day)
        app.close_trajectory(o.case, on=close_on, reason=reason)
        written = list(app.events())[before:]
        assert sorted(type(e).__qualname__ for e in written) == [
            "Broker.CaseReleased",
            "Citizen.TrajectoryEnded",
            "Trajectory.Closed",
        ]
        assert o.case not in app.broker(o.a).active_cases
        view = app.trajectory(o.case)
        assert (view.closed_on, view.closure_reason, view.broker_id) == (close_on, reason, None)


@given(
    name=st.sampled_from(["contact", "progress", "placement", "review", "employer_activity"]),
    before_closure=st.integers(0, 20),
)
def test_a_fact_from_before_the_closure_may_be_registered_late(
    name: str, before_closure: int
) -> None:
    """Late registration is normal: a contact, measurement, placement or review that
    happened while the trajectory was open is accepted after it closed."""
    with new_app() as app:
        o = office(app)
        closed_on = START + timedelta(30)
        app.close_trajectory(o.case, on=closed_on, reason=ClosureReason.JOB)
        before = app.head()
        TRAJECTORY_COMMANDS[name](o, closed_on - timedelta(before_closure))
        assert app.head() == before + 1
        assert app.trajectory(o.case).closed_on == closed_on

"""Education plans, ambassadors and sessions: one plan per citizen, one scheme at a time in
date order, ambassadors in service, visits that are contacts; and the two programmes side
by side in one store without counting each other's events."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload import (
    AmbassadorHasLeft,
    Caseload,
    ConfigurationError,
    DateOutOfRange,
    DropOutReason,
    InvalidCitizenId,
    InvalidValue,
    NoSchemeRunning,
    PlanAlreadyDrafted,
    Scheme,
    SchemeAlreadyRunning,
    SessionKind,
    TargetGroup,
)
from caseload.programmes import PROGRAMMES, ProgrammeKind
from caseload.programmes.education.read_models.plans import EducationPlansModel, Ending
from caseload.programmes.education.read_models.sessions import SessionsModel
from caseload.programmes.education.read_models.targets import EducationTargetsModel
from caseload.programmes.education.reports import weekly_sessions
from caseload.programmes.education.status import activity
from tests.conftest import KEY, examples, fixed_clock
from tests.unit._education import (
    DECIDED,
    PERIOD,
    ambassador,
    cpr_born,
    draft,
    education_app,
)
from tests.unit._support import assert_round_trip

DRAFTED = date(2021, 5, 3)
BORN = date(1975, 4, 4)


def test_a_citizen_has_one_plan() -> None:
    """A second plan for the same CPR number is refused, without the number in the message."""
    app = education_app()
    by = ambassador(app)
    cpr = cpr_born(BORN)
    plan = draft(app, cpr, by, DRAFTED)
    with pytest.raises(PlanAlreadyDrafted) as refusal:
        draft(app, cpr, by, DRAFTED + timedelta(days=3))
    assert str(plan) in str(refusal.value)
    assert cpr not in str(refusal.value)


@settings(max_examples=30)
@given(choices=st.lists(st.integers(0, 3), min_size=1, max_size=8))
def test_drafting_succeeds_exactly_for_citizens_without_a_plan(choices: list[int]) -> None:
    """Drawing citizens from a pool of four: a draft succeeds the first time a citizen is
    drawn and is refused every later time."""
    app = education_app()
    by = ambassador(app)
    pool = [cpr_born(date(1970 + n, 1, 1)) for n in range(4)]
    seen: set[int] = set()
    for n in choices:
        if n in seen:
            with pytest.raises(PlanAlreadyDrafted):
                draft(app, pool[n], by, DRAFTED)
        else:
            draft(app, pool[n], by, DRAFTED)
            seen.add(n)
    assert len(app.read_model(EducationPlansModel).plans) == len(seen)


# One step on a plan: (action, days after the previous step's day).
steps = st.lists(
    st.tuples(st.sampled_from(["start", "complete", "drop_out"]), st.integers(-20, 60)),
    min_size=1,
    max_size=8,
)


@settings(max_examples=examples(40))
@given(script=steps)
def test_a_plan_runs_one_scheme_at_a_time_in_date_order(script: list[tuple[str, int]]) -> None:
    """Against a plain model: a start needs no running scheme and a day not before the
    drafting nor the previous ending; an ending needs a running scheme and a day not before
    its start. Whatever the model refuses is refused, the rest recorded; the read model
    holds exactly the accepted starts and endings."""
    app = education_app()
    by = ambassador(app)
    cpr = cpr_born(BORN)
    plan = draft(app, cpr, by, DRAFTED)
    running_since: date | None = None
    last_end = DRAFTED
    expected: list[tuple[date, date | None, str | None]] = []
    day = DRAFTED
    for action, days in script:
        day = min(day + timedelta(days=days), date(2025, 6, 30))
        if action == "start":
            allowed = running_since is None and day >= last_end
        else:
            allowed = running_since is not None and day >= (running_since or day)
        if not allowed:
            with pytest.raises((SchemeAlreadyRunning, NoSchemeRunning, DateOutOfRange)):
                _act(app, plan, cpr, action, day)
            continue
        _act(app, plan, cpr, action, day)
        if action == "start":
            running_since = day
            expected.append((day, None, None))
        else:
            running_since, last_end = None, day
            ending = "completed" if action == "complete" else "dropped_out"
            expected[-1] = (expected[-1][0], day, ending)
    record = app.read_model(EducationPlansModel).plans[plan]
    assert [
        (s.started_on, s.ended_on, None if s.ending is None else s.ending.value)
        for s in record.starts
    ] == expected


def _act(app: Caseload, plan: UUID, cpr: str, action: str, day: date) -> None:
    if action == "start":
        app.start_scheme(plan, cpr=cpr, scheme=Scheme.EDUCATION_LIFT, on=day, provider="M")
    elif action == "complete":
        app.complete_scheme(plan, on=day)
    else:
        app.record_drop_out(plan, on=day, reason=DropOutReason.MOVED)


def test_a_start_needs_the_plan_s_own_citizen() -> None:
    """The CPR number given with a start (for the age) must be the plan's citizen."""
    app = education_app()
    by = ambassador(app)
    plan = draft(app, cpr_born(BORN), by, DRAFTED)
    with pytest.raises(InvalidCitizenId, match="not that of plan"):
        app.start_scheme(
            plan, cpr=cpr_born(BORN), scheme=Scheme.EDUCATION_LIFT, on=DRAFTED, provider="M"
        )


def test_ambassadors_act_only_while_in_service() -> None:
    """Not before they registered, not after they left; and they cannot be recorded as
    leaving before a session they held."""
    app = education_app()
    by = ambassador(app, on=date(2021, 3, 1))
    with pytest.raises(DateOutOfRange, match="was registered on 2021-03-01"):
        app.hold_session(kind=SessionKind.DROP_IN, on=date(2021, 2, 4), place="F", ambassador=by)
    app.hold_session(kind=SessionKind.DROP_IN, on=date(2021, 6, 3), place="F", ambassador=by)
    with pytest.raises(DateOutOfRange, match="held a session on 2021-06-03"):
        app.ambassador_left(by, on=date(2021, 6, 1))
    app.ambassador_left(by, on=date(2021, 6, 30))
    with pytest.raises(AmbassadorHasLeft):
        app.hold_session(kind=SessionKind.BOOKED, on=date(2021, 7, 1), place="F", ambassador=by)
    with pytest.raises(AmbassadorHasLeft):
        draft(app, cpr_born(BORN), by, date(2021, 7, 1))


@settings(max_examples=30)
@given(
    visits=st.lists(
        st.tuples(st.integers(0, 3), st.one_of(st.none(), st.integers(0, 2)), st.integers(1, 4)),
        max_size=10,
    )
)
def test_visits_are_counted_per_session_and_week(
    visits: list[tuple[int, int | None, int]],
) -> None:
    """Four sessions (two in one week), three citizens with plans: anonymous visits add
    their count; a known citizen's visit counts once per session and is a contact on their
    plan; a second visit of theirs to the same session is refused."""
    app = education_app()
    by = ambassador(app)
    plans = [draft(app, cpr_born(date(1970 + n, 1, 1)), by, DRAFTED) for n in range(3)]
    days = [date(2021, 5, 6), date(2021, 5, 7), date(2021, 5, 13), date(2021, 5, 20)]
    sessions = [
        app.hold_session(kind=kind, on=day, place="F", ambassador=by)
        for day, kind in zip(days, [SessionKind.DROP_IN, SessionKind.BOOKED] * 2, strict=True)
    ]
    anonymous = [0, 0, 0, 0]
    known: list[set[int]] = [set(), set(), set(), set()]
    for session, who, count in visits:
        if who is None:
            app.record_visit(sessions[session], count=count)
            anonymous[session] += count
        elif who in known[session]:
            with pytest.raises(InvalidValue, match="counts once"):
                app.record_visit(sessions[session], plan=plans[who])
        else:
            app.record_visit(sessions[session], plan=plans[who])
            known[session].add(who)
    weeks = weekly_sessions(app.read_model(SessionsModel), date(2025, 1, 1))
    assert [(w.week, w.anonymous_visits, w.known_visits) for w in weeks] == [
        ("2021-W18", anonymous[0] + anonymous[1], len(known[0]) + len(known[1])),
        ("2021-W19", anonymous[2], len(known[2])),
        ("2021-W20", anonymous[3], len(known[3])),
    ]
    contacts = app.read_model(EducationPlansModel).plans
    for n, plan in enumerate(plans):
        assert contacts[plan].contacts == sum(n in k for k in known)


def test_a_contact_before_the_first_contact_is_refused() -> None:
    """A session before the plan's first contact cannot be a visit of its citizen."""
    app = education_app()
    by = ambassador(app)
    plan = draft(app, cpr_born(BORN), by, DRAFTED, first_contact_on=date(2021, 4, 20))
    early = app.hold_session(
        kind=SessionKind.DROP_IN, on=date(2021, 4, 15), place="F", ambassador=by
    )
    with pytest.raises(DateOutOfRange, match="first contact on 2021-04-20"):
        app.record_visit(early, plan=plan)


def test_education_commands_need_a_configured_programme() -> None:
    """Plans and targets need the programme's period; its absence is named."""
    app = education_app(configure=False)
    by = ambassador(app)
    with pytest.raises(ConfigurationError, match="no education programme yet"):
        draft(app, cpr_born(BORN), by, DRAFTED)
    with pytest.raises(ConfigurationError, match="no education programme yet"):
        app.set_target(Scheme.EDUCATION_LIFT, TargetGroup.YOUTH, 2021, 3, on=DECIDED)


def test_a_citizen_in_both_programmes_has_one_pseudonym(tmp_path: Path) -> None:
    """The education plan and the resource-pathway trajectory of one CPR number carry the
    same pseudonym; another key is refused by the store whichever programme pinned the
    first."""
    url = f"sqlite:///{tmp_path / 'both.db'}"
    cpr = cpr_born(BORN)
    with Caseload(url, pseudonym_key=KEY, clock=fixed_clock) as app:
        app.configure_education_programme(
            name="E", on=DECIDED, period_start=PERIOD[0], period_end=PERIOD[1]
        )
        case = app.open_trajectory(cpr=cpr, on=DRAFTED)
        plan = draft(app, cpr, ambassador(app), DRAFTED)
        (drafted,) = [e for e in app.events() if type(e).__qualname__ == "EducationPlan.Drafted"]
        assert drafted.originator_id == plan
        assert drafted.citizen == app.trajectory(case).citizen  # type: ignore[attr-defined]
    with (
        Caseload(url, pseudonym_key="another key, also 16 bytes", clock=fixed_clock) as other,
        pytest.raises(ConfigurationError, match="education pseudonyms"),
    ):
        draft(other, cpr_born(BORN), ambassador(other), DRAFTED)
    pathway_first = f"sqlite:///{tmp_path / 'pathway-first.db'}"
    with Caseload(pathway_first, pseudonym_key=KEY, clock=fixed_clock) as app:
        app.open_trajectory(cpr=cpr, on=DRAFTED)
        app.configure_education_programme(
            name="E", on=DECIDED, period_start=PERIOD[0], period_end=PERIOD[1]
        )
    with (
        Caseload(
            pathway_first, pseudonym_key="another key, also 16 bytes", clock=fixed_clock
        ) as other,
        pytest.raises(ConfigurationError, match="resource-pathway pseudonyms"),
    ):
        draft(other, cpr_born(BORN), ambassador(other), DRAFTED)


def test_the_programmes_do_not_count_each_other_s_events() -> None:
    """Ambassadors are no brokers: the caseload report shows the broker alone. Every read
    model of each programme folds the log to the same state as it folds that programme's
    own events alone."""
    app = education_app()
    broker = app.register_broker(name="B", team="T", on=DRAFTED)
    case = app.open_trajectory(cpr="0101801234", on=DRAFTED)
    app.assign(case, broker, on=DRAFTED)
    by = ambassador(app)
    plan = draft(app, "0101801234", by, DRAFTED)
    app.start_scheme(plan, cpr="0101801234", scheme=Scheme.EDUCATION_LIFT, on=DRAFTED, provider="M")
    session = app.hold_session(kind=SessionKind.DROP_IN, on=DRAFTED, place="F", ambassador=by)
    app.record_visit(session, plan=plan)
    assert [row.name for row in app.caseload()] == ["B"]
    staffing = app.staffing(as_true_on=DRAFTED)
    assert [(row.team, row.brokers) for row in staffing.teams] == [("T", 1)]
    assert [row.brokers for row in staffing.programme] == [1]
    digests = app.projections.digests()
    events = list(app.events())
    for kind in PROGRAMMES:
        own = [e for e in events if type(e).__qualname__.split(".")[0] in kind_names(kind)]
        assert 0 < len(own) < len(events)
        for model in kind.read_models():
            assert digests[model.name] == model.digest(model.project(own)), model.name


def kind_names(kind: ProgrammeKind) -> set[str]:
    """The names of a programme kind's aggregate classes."""
    return {aggregate.__name__ for aggregate in kind.aggregates}


def test_the_read_models_round_trip_through_their_encoding() -> None:
    """Each education read model's state encodes canonically and decodes to the same state."""
    app = education_app()
    by = ambassador(app)
    cpr = cpr_born(BORN)
    plan = draft(app, cpr, by, DRAFTED, first_contact_on=date(2021, 4, 1))
    app.start_scheme(plan, cpr=cpr, scheme=Scheme.EDUCATION_LIFT, on=DRAFTED, provider="M")
    app.record_drop_out(plan, on=date(2021, 9, 1), reason=DropOutReason.ILLNESS)
    app.set_target(Scheme.EDUCATION_LIFT, TargetGroup.YOUTH, 2021, 3, on=DECIDED)
    app.record_baseline({(2019, Scheme.EDUCATION_LIFT): 2}, on=DECIDED)
    session = app.hold_session(kind=SessionKind.BOOKED, on=DRAFTED, place="F", ambassador=by)
    app.record_visit(session, plan=plan)
    app.record_visit(session, count=2)
    on = PERIOD[1]
    plans = app.read_model(EducationPlansModel)
    sessions = app.read_model(SessionsModel)
    assert_round_trip(
        EducationPlansModel(), plans, lambda s, d: activity(s, sessions, PERIOD[0], d), on
    )
    assert_round_trip(SessionsModel(), sessions, weekly_sessions, on)
    targets = app.read_model(EducationTargetsModel)
    assert_round_trip(EducationTargetsModel(), targets, lambda s, d: (s.rows(), s.baseline), on)
    assert plans.plans[plan].starts[0].ending is Ending.DROPPED_OUT

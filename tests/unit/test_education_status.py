"""The half-year and monthly status on a hand-written history, against numbers worked out by
hand, including a start registered late that lands in an earlier half-year."""

from __future__ import annotations

from datetime import date, datetime

import attrs
import pytest

from caseload import (
    NOT_RELEVANT,
    Caseload,
    DropOutReason,
    HalfYearStatus,
    InvalidValue,
    Scheme,
    SessionKind,
    TargetGroup,
)
from caseload.programmes.education.domain.values import EMPLOYED, UNEMPLOYED
from caseload.programmes.education.reports import ContactToStart
from tests.unit._education import DECIDED, ambassador, cpr_born, draft, education_app

INSURED = TargetGroup.INSURED_UNEMPLOYED
JOB_READY = TargetGroup.JOB_READY_CASH_BENEFIT


@pytest.fixture(scope="module")
def history() -> tuple[Caseload, datetime]:
    """The programme of the module docstring, and the moment before the late registration.

    Targets (decided 2020-11-30; the insured lift's 2022 target raised to 10 on 2022-02-15):
      insured → lift 4 / 8 (then 10); job-ready → lift 2 / 2; insured → 110 % 1 / not
      relevant; unemployed → apprenticeship 2 / 4; employed → apprenticeship 1 / none.
    Starts: P1 insured lift 2021-08-16; P2 insured 110 % 2021-09-01; P3 job-ready lift
      2021-11-10, dropped out 2022-02-01; P4 employed apprenticeship 2022-01-20, completed
      2022-03-15; P5 youth apprenticeship 2022-03-03; P6 insured lift 2021-12-20, registered
      last (late).
    Sessions: drop-in 2021-09-02 (3 anonymous, P1); booked 2021-12-01 (P3); drop-in
      2022-03-03 (2 anonymous).
    """
    app = education_app()
    targets = [
        (Scheme.EDUCATION_LIFT, INSURED, 2021, 4),
        (Scheme.EDUCATION_LIFT, INSURED, 2022, 8),
        (Scheme.EDUCATION_LIFT, JOB_READY, 2021, 2),
        (Scheme.EDUCATION_LIFT, JOB_READY, 2022, 2),
        (Scheme.EDUCATION_LIFT_110, INSURED, 2021, 1),
        (Scheme.EDUCATION_LIFT_110, INSURED, 2022, NOT_RELEVANT),
        (Scheme.ADULT_APPRENTICESHIP, UNEMPLOYED, 2021, 2),
        (Scheme.ADULT_APPRENTICESHIP, UNEMPLOYED, 2022, 4),
        (Scheme.ADULT_APPRENTICESHIP, EMPLOYED, 2021, 1),
    ]
    for scheme, groups, year, count in targets:
        app.set_target(scheme, groups, year, count, on=DECIDED)
    app.set_target(Scheme.EDUCATION_LIFT, INSURED, 2022, 10, on=date(2022, 2, 15))
    by = ambassador(app)
    people = {
        "P1": (cpr_born(date(1981, 3, 5)), INSURED, date(2021, 8, 2), date(2021, 7, 20)),
        "P2": (cpr_born(date(1976, 6, 1)), INSURED, date(2021, 8, 10), None),
        "P3": (cpr_born(date(1986, 2, 2)), JOB_READY, date(2021, 10, 4), None),
        "P4": (cpr_born(date(1991, 9, 9)), TargetGroup.EMPLOYED_UNSKILLED, date(2022, 1, 3), None),
        "P5": (cpr_born(date(1995, 6, 1)), TargetGroup.YOUTH, date(2022, 2, 1), None),
        "P6": (cpr_born(date(1971, 1, 1)), INSURED, date(2021, 12, 1), None),
    }
    plans = {
        name: draft(app, cpr, by, on, group, first_contact_on=first)
        for name, (cpr, group, on, first) in people.items()
    }

    def start(name: str, scheme: Scheme, on: date) -> None:
        app.start_scheme(plans[name], cpr=people[name][0], scheme=scheme, on=on, provider="M")

    start("P1", Scheme.EDUCATION_LIFT, date(2021, 8, 16))
    start("P2", Scheme.EDUCATION_LIFT_110, date(2021, 9, 1))
    start("P3", Scheme.EDUCATION_LIFT, date(2021, 11, 10))
    start("P4", Scheme.ADULT_APPRENTICESHIP, date(2022, 1, 20))
    start("P5", Scheme.ADULT_APPRENTICESHIP, date(2022, 3, 3))
    app.record_drop_out(plans["P3"], on=date(2022, 2, 1), reason=DropOutReason.FINANCES)
    app.complete_scheme(plans["P4"], on=date(2022, 3, 15))
    first = app.hold_session(
        kind=SessionKind.DROP_IN, on=date(2021, 9, 2), place="Front", ambassador=by
    )
    app.record_visit(first, count=3)
    app.record_visit(first, plan=plans["P1"])
    booked = app.hold_session(
        kind=SessionKind.BOOKED, on=date(2021, 12, 1), place="Office", ambassador=by
    )
    app.record_visit(booked, plan=plans["P3"])
    later = app.hold_session(
        kind=SessionKind.DROP_IN, on=date(2022, 3, 3), place="Front", ambassador=by
    )
    app.record_visit(later, count=2)
    # The moment the log knew everything so far: the last recorded event's own timestamp
    # (not a clock read between two sleeps, which depends on the clock's resolution).
    before_late = max(event.timestamp for event in app.events())
    start("P6", Scheme.EDUCATION_LIFT, date(2021, 12, 20))
    return app, before_late


def cells(status: HalfYearStatus) -> list[tuple[object, ...]]:
    """Per row: (target, actual) per year, the half-year's count and the share."""
    return [
        (*((y.target, y.actual) for y in row.years), row.in_period, row.share)
        for row in status.rows
    ]


def test_the_half_year_2021h2(history: tuple[Caseload, datetime]) -> None:
    """Each row: the targets in force on 31 December 2021 (the 2022 lift still 8) and the
    starts of 2021 (2022 had not begun); the share is of 2021; activities of the half-year."""
    app, _ = history
    status = app.education_half_year("2021H2")
    assert (status.first, status.last, status.reference) == (
        date(2021, 7, 1),
        date(2021, 12, 31),
        date(2021, 12, 31),
    )
    assert cells(status) == [
        ((4, 2), (8, None), 2, 0.5),
        ((2, 1), (2, None), 1, 0.5),
        ((1, 1), (NOT_RELEVANT, None), 1, 1.0),
        ((2, 0), (4, None), 0, 0.0),
        ((1, 0), (None, None), 0, 0.0),
    ]
    activity = status.activity
    assert (activity.drop_in_sessions, activity.booked_sessions) == (1, 1)
    assert (activity.anonymous_visits, activity.known_visits) == (3, 2)
    assert (activity.plans_drafted, activity.completions, activity.drop_outs) == (4, 0, 0)
    assert status.overrides == ()


def test_a_late_registration_moves_a_start_into_the_earlier_half_year(
    history: tuple[Caseload, datetime],
) -> None:
    """As known before P6's start was registered, 2021H2 had one insured education lift;
    now it has two. The later half-year's own counts do not change."""
    app, before_late = history
    then = app.education_half_year("2021H2", as_known_at=before_late)
    now = app.education_half_year("2021H2")
    assert (then.rows[0].years[0].actual, then.rows[0].in_period, then.rows[0].share) == (
        1,
        1,
        0.25,
    )
    assert (now.rows[0].years[0].actual, now.rows[0].in_period, now.rows[0].share) == (2, 2, 0.5)
    later_then = app.education_half_year("2022H1", as_known_at=before_late)
    later_now = app.education_half_year("2022H1")
    assert later_then.rows[0].in_period == later_now.rows[0].in_period == 0
    assert later_then.rows[0].years[0].actual == 1
    assert later_now.rows[0].years[0].actual == 2


def test_the_half_year_2022h1(history: tuple[Caseload, datetime]) -> None:
    """2022H1: the raised 2022 lift target (10), the apprentices of 2022, one completion and
    one drop-out, one drop-in with 2 anonymous visitors."""
    app, _ = history
    status = app.education_half_year("2022H1")
    assert cells(status) == [
        ((4, 2), (10, 0), 0, 0.0),
        ((2, 1), (2, 0), 0, 0.0),
        ((1, 1), (NOT_RELEVANT, 0), 0, None),
        ((2, 0), (4, 1), 1, 0.25),
        ((1, 0), (None, 1), 1, None),
    ]
    activity = status.activity
    assert (activity.drop_in_sessions, activity.booked_sessions) == (1, 0)
    assert (activity.anonymous_visits, activity.known_visits) == (2, 0)
    assert (activity.plans_drafted, activity.completions, activity.drop_outs) == (2, 1, 1)


def test_as_true_on_a_day_counts_what_had_happened_by_then(
    history: tuple[Caseload, datetime],
) -> None:
    """As true on 2021-09-30, 2021H2 is counted to that day: P1 and P2 only."""
    app, _ = history
    status = app.education_half_year("2021H2", as_true_on=date(2021, 9, 30))
    assert status.reference == date(2021, 9, 30)
    assert [row.years[0].actual for row in status.rows] == [1, 0, 1, 0, 0]


def test_the_monthly_status_october_2021(history: tuple[Caseload, datetime]) -> None:
    """2021's window is 1 April to 31 December (275 days); by 31 October 214 have passed.
    Insured lift: 1 of 4, pace 4 × 214 / 275 = 3.11, behind; forecast 1 × 275 / 214.
    110 %: 1 of 1, pace 0.78, on track. Job-ready lift 0 of 2, both apprenticeships 0:
    behind."""
    app, _ = history
    status = app.education_monthly("2021-10")
    lift, job_ready, lift_110, unemployed, employed = status.rows
    assert [row.in_month for row in status.rows] == [0, 0, 0, 0, 0]
    assert (lift.year.actual, lift.year.target) == (1, 4)
    assert (lift.year.elapsed_days, lift.year.days) == (214, 275)
    assert lift.year.expected == pytest.approx(4 * 214 / 275)
    assert lift.year.forecast == pytest.approx(275 / 214)
    assert lift_110.year.expected == pytest.approx(214 / 275)
    assert (lift_110.year.actual, lift_110.behind, lift_110.year.on_track) == (1, False, True)
    assert status.behind == (lift.label, job_ready.label, unemployed.label, employed.label)


def test_the_monthly_status_march_2022(history: tuple[Caseload, datetime]) -> None:
    """2022's window is the whole year (365 days); by 31 March 90 have passed. The lift's
    target is the raised one (10): pace 2.47, 0 started, behind. Unemployed apprentices:
    1 (P5, in March) of 4, pace 4 × 90 / 365 = 0.99, on track. The 110 % lift is not
    relevant and the employed apprentices have no target: neither is behind."""
    app, _ = history
    status = app.education_monthly("2022-03")
    lift, job_ready, lift_110, unemployed, employed = status.rows
    assert lift.year.target == 10
    assert lift.year.expected == pytest.approx(10 * 90 / 365)
    assert (unemployed.in_month, unemployed.year.actual, unemployed.behind) == (1, 1, False)
    assert unemployed.year.expected == pytest.approx(4 * 90 / 365)
    assert (employed.year.actual, employed.year.target, employed.behind) == (1, None, False)
    assert (lift_110.year.target, lift_110.behind) == (NOT_RELEVANT, False)
    assert status.behind == (lift.label, job_ready.label)
    assert (status.activity.completions, status.activity.drop_outs) == (1, 0)
    january = app.education_monthly("2022-01")
    assert january.rows[0].year.target == 8


def test_starts_endings_contact_to_start_and_sessions(history: tuple[Caseload, datetime]) -> None:
    """The other reports of the same history, counted by hand."""
    app, _ = history
    by_year = {(c.period, c.scheme, c.target_group): c.count for c in app.education_starts("year")}
    assert by_year == {
        ("2021", Scheme.EDUCATION_LIFT, INSURED): 2,
        ("2021", Scheme.EDUCATION_LIFT, JOB_READY): 1,
        ("2021", Scheme.EDUCATION_LIFT_110, INSURED): 1,
        ("2022", Scheme.ADULT_APPRENTICESHIP, TargetGroup.EMPLOYED_UNSKILLED): 1,
        ("2022", Scheme.ADULT_APPRENTICESHIP, TargetGroup.YOUTH): 1,
    }
    halves = {(c.period, c.scheme) for c in app.education_starts("half-year")}
    assert ("2021H2", Scheme.EDUCATION_LIFT) in halves
    endings = [(e.month, e.ending.value, e.reason) for e in app.education_endings()]
    assert endings == [
        ("2022-02", "dropped_out", DropOutReason.FINANCES),
        ("2022-03", "completed", None),
    ]
    # First contacts: P1 2021-07-20, the others on drafting. Lift: P1 27 days, P3 37,
    # P6 19 -> median 27. 110 %: P2 22. Apprenticeship: P4 17, P5 30 -> median 23.5.
    assert app.education_contact_to_start() == (
        ContactToStart(Scheme.EDUCATION_LIFT, 3, 27.0, 19, 37),
        ContactToStart(Scheme.EDUCATION_LIFT_110, 1, 22.0, 22, 22),
        ContactToStart(Scheme.ADULT_APPRENTICESHIP, 2, 23.5, 17, 30),
    )
    weeks = [
        (w.week, w.drop_in_sessions, w.booked_sessions, w.anonymous_visits, w.known_visits)
        for w in app.education_sessions()
    ]
    assert weeks == [
        ("2021-W35", 1, 0, 3, 1),
        ("2021-W48", 0, 1, 0, 1),
        ("2022-W09", 1, 0, 2, 0),
    ]


def test_the_history_line(history: tuple[Caseload, datetime]) -> None:
    """The programme's own years follow the baseline (none recorded here): per year and
    scheme, the starts within the period."""
    app, _ = history
    points = [(p.year, p.scheme, p.count, p.source) for p in app.education_history()]
    assert points == [
        (2021, Scheme.EDUCATION_LIFT, 3, "programme"),
        (2021, Scheme.EDUCATION_LIFT_110, 1, "programme"),
        (2021, Scheme.ADULT_APPRENTICESHIP, 0, "programme"),
        (2022, Scheme.EDUCATION_LIFT, 0, "programme"),
        (2022, Scheme.EDUCATION_LIFT_110, 0, "programme"),
        (2022, Scheme.ADULT_APPRENTICESHIP, 2, "programme"),
    ]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda app: app.education_half_year("2021H3"), "H1 or H2"),
        (lambda app: app.education_half_year("2019H1"), "outside the programme's period"),
        (lambda app: app.education_monthly("2022-13"), "YYYY-MM"),
        (lambda app: app.education_monthly("2021-03"), "outside the programme's period"),
    ],
)
def test_a_period_that_is_not_one_or_not_in_the_programme_is_refused(
    call: object, match: str
) -> None:
    """Periods are written one way, and lie in the programme's period."""
    app = education_app()
    with pytest.raises(InvalidValue, match=match):
        call(app)  # type: ignore[operator]


@pytest.mark.parametrize("report", ["half-year", "monthly"])
def test_a_programme_name_in_brackets_is_printed_as_written(
    history: tuple[Caseload, datetime], report: str
) -> None:
    """A programme's name is the jobcentre's own text: square brackets in it are printed,
    not read as rich markup (which would drop `[Viborg]` from the table's title)."""
    from rich.console import Console

    from caseload.cli.education_render import print_half_year, print_monthly

    app, _ = history
    name = "Uddannelsesløft [Viborg] [bold]2021[/bold]"
    console = Console(record=True, width=200, color_system=None)
    if report == "half-year":
        print_half_year(console, attrs.evolve(app.education_half_year("2021H2"), programme=name))
    else:
        print_monthly(console, attrs.evolve(app.education_monthly("2021-10"), programme=name))
    assert f"({name})" in console.export_text()

"""Colleagues without a caseload (kollega): they make contacts and cover roles for citizens,
within their time in service, and never appear in caseload counts, limits or staffing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import DomainEvent
from hypothesis import given
from hypothesis import strategies as st

from caseload import (
    Caseload,
    Channel,
    ColleagueHasLeft,
    ColleagueNotYetRegistered,
    ColleagueView,
    DateOutOfRange,
    InvalidValue,
    Role,
    UnknownBroker,
    UnknownColleague,
)
from caseload.commands import Assign, CloseTrajectory, OpenTrajectory, RecordContact, Transfer
from caseload.programmes.resource_pathway.domain.colleague import Colleague
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.programmes.resource_pathway.read_models.caseload_counts import (
    caseload_report,
    project_caseload,
)
from caseload.programmes.resource_pathway.read_models.coverage_reports import role_coverage
from caseload.programmes.resource_pathway.read_models.role_coverage import project_coverage
from caseload.programmes.resource_pathway.read_models.staffing import (
    project_staffing,
    staffing_report,
)
from caseload.testing import Plan, Step, histories, run_history
from tests.conftest import TODAY
from tests.unit._support import SPAN, START, new_app, open_case, register

D = timedelta(days=1)
HISTORIES = histories(min_size=20, max_size=60)


def contact(app: Caseload, case: UUID, by: UUID, on: date, *roles: Role) -> None:
    """A contact on `case` by `by`, exercising `roles` (authority if none is given)."""
    app.record_contact(
        case, on=on, roles=set(roles) or {Role.AUTHORITY}, channel=Channel.MEETING, by=by
    )


# ----------------------------------------------------------------- a hand-written history


def test_a_colleague_covers_roles_for_anyone_only_and_holds_no_cases() -> None:
    """Anna (broker, 1 FTE) holds C1 and C2; Carl (colleague) exercises authority on C1 and
    C2. C1 has all four roles by anyone but only three by Anna; C2 gets all four from Anna
    herself. Shares over the two active cases: all four by anyone 2/2, by the assigned
    broker alone 1/2, with a colleague's role 2/2. Carl is a colleague row, never a broker
    row, and the caseload and staffing know only Anna."""
    with new_app() as app:
        anna = app.register_broker(name="Anna", team="North", on=START)
        carl = app.register_colleague(name="Carl", team="North", on=START)
        c1, c2 = open_case(app), open_case(app)
        app.assign(c1, anna, on=START)
        app.assign(c2, anna, on=START)
        contact(app, c1, carl, START + D, Role.AUTHORITY)
        contact(app, c1, anna, START + 2 * D, Role.COACH, Role.MENTOR_LIKE, Role.EMPLOYER_LIAISON)
        contact(app, c2, carl, START + D, Role.AUTHORITY, Role.COACH)
        contact(app, c2, anna, START + 3 * D, *Role)
        coverage = app.role_coverage()
        rows = app.caseload()
        staffing = app.staffing()
        view = app.colleague(carl)

    by_id = {row.trajectory_id: row for row in coverage.trajectories}
    assert by_id[c1].roles_covered == frozenset(Role)
    assert by_id[c1].roles_by_assigned_broker == frozenset(Role) - {Role.AUTHORITY}
    assert by_id[c1].roles_by_colleagues == {Role.AUTHORITY}
    assert by_id[c2].roles_by_colleagues == {Role.AUTHORITY, Role.COACH}
    assert by_id[c2].all_four_by_assigned_broker
    assert by_id[c1].exercised_by(Role.AUTHORITY) == {carl}
    assert (coverage.active_cases, coverage.share_all_four) == (2, 1.0)
    assert coverage.share_all_four_by_assigned_broker == 0.5
    assert coverage.share_with_colleague_roles == 1.0
    assert [
        (b.broker_id, b.active_cases, b.cases_with_all_four_by_broker) for b in coverage.brokers
    ] == [(anna, 2, 1)]
    (colleague,) = coverage.colleagues
    assert (colleague.colleague_id, colleague.name) == (carl, "Carl")
    assert colleague.roles_covered == {Role.AUTHORITY, Role.COACH}
    assert colleague.active_cases_with_contact == 2
    assert [(row.broker_id, row.active_cases, row.limit) for row in rows] == [(anna, 2, 30)]
    june = [row for row in staffing.teams if row.month == "2025-06"]
    assert [(row.team, row.brokers, row.fte_available) for row in june] == [("North", 1, 1)]
    assert view == ColleagueView(
        colleague_id=carl, name="Carl", team="North", registered_on=START, left_on=None
    )


def test_a_colleague_is_not_a_broker() -> None:
    """A colleague cannot be assigned or given a case, and a broker is not a colleague."""
    with new_app() as app:
        anna = register(app)
        carl = app.register_colleague(name="Carl", team="T", on=START)
        case = open_case(app)
        before = app.head()
        with pytest.raises(UnknownBroker, match="colleague, not a broker"):
            app.assign(case, carl, on=START)
        with pytest.raises(UnknownColleague, match="broker, not a colleague"):
            app.colleague_left(anna, on=START)
        with pytest.raises(UnknownBroker, match="not a broker"):
            app.broker(carl)
        assert app.head() == before


def test_unknown_and_malformed_colleague_ids_are_refused() -> None:
    """An unknown id is an UnknownColleague (leaving, looking up) or, as a contact's maker,
    an UnknownBroker as before; text that is no UUID is not echoed."""
    with new_app() as app:
        case = open_case(app)
        stranger = uuid4()
        with pytest.raises(UnknownColleague, match=str(stranger)):
            app.colleague_left(stranger, on=START)
        with pytest.raises(UnknownColleague, match=str(stranger)):
            app.colleague(stranger)
        with pytest.raises(UnknownBroker, match="no broker or colleague"):
            contact(app, case, stranger, START)
        with pytest.raises(UnknownColleague) as refusal:
            app.colleague("0101901234")  # type: ignore[arg-type]
        assert "0101901234" not in str(refusal.value)


@pytest.mark.parametrize("bad", ["Carl\nC", "tab\there", "", "   "])
def test_a_colleagues_name_and_team_are_single_lines_of_text(bad: str) -> None:
    """Names and teams are printed and exported: empty or with control characters, refused."""
    with new_app() as app:
        with pytest.raises(InvalidValue):
            app.register_colleague(name=bad, team="T", on=START)
        with pytest.raises(InvalidValue):
            app.register_colleague(name="Carl", team=bad, on=START)
        assert app.head() == 0


# ----------------------------------------------------------------- time in service


@given(registered=st.integers(0, SPAN), left=st.integers(0, SPAN), made=st.integers(0, SPAN))
def test_a_colleagues_contacts_lie_within_their_time_in_service(
    registered: int, left: int, made: int
) -> None:
    """A contact before the colleague was registered is ColleagueNotYetRegistered, one after
    they left ColleagueHasLeft (both CaseloadErrors), and nothing is written; a contact
    from the registration day to the leaving day is recorded."""
    with new_app() as app:
        case = open_case(app)
        carl = app.register_colleague(name="Carl", team="T", on=START + registered * D)
        left_on = START + max(registered, left) * D
        app.colleague_left(carl, on=left_on)
        before = app.head()
        on = START + made * D
        if made < registered:
            with pytest.raises(ColleagueNotYetRegistered, match="was registered on"):
                contact(app, case, carl, on)
        elif on > left_on:
            with pytest.raises(ColleagueHasLeft, match=f"left on {left_on}"):
                contact(app, case, carl, on)
        else:
            contact(app, case, carl, on)
            assert app.head() == before + 1
            return
        assert app.head() == before


@given(made=st.integers(0, SPAN), leaves=st.integers(0, SPAN))
def test_a_colleague_cannot_leave_before_a_contact_of_theirs(made: int, leaves: int) -> None:
    """Leaving on a day before a contact the colleague made is refused (DateOutOfRange, with
    both dates); on or after that day, it is recorded."""
    with new_app() as app:
        case = open_case(app)
        carl = app.register_colleague(name="Carl", team="T", on=START)
        contact(app, case, carl, START + made * D)
        before = app.head()
        if leaves < made:
            with pytest.raises(DateOutOfRange, match=str(START + made * D)):
                app.colleague_left(carl, on=START + leaves * D)
            assert app.head() == before
        else:
            app.colleague_left(carl, on=START + leaves * D)
            assert app.colleague(carl).left_on == START + leaves * D


def test_a_colleague_leaves_once_and_not_before_registering() -> None:
    """A second leaving is ColleagueHasLeft; leaving before the registration day is
    ColleagueNotYetRegistered (a DateOutOfRange)."""
    with new_app() as app:
        carl = app.register_colleague(name="Carl", team="T", on=START + 5 * D)
        with pytest.raises(ColleagueNotYetRegistered, match="registered on"):
            app.colleague_left(carl, on=START + 4 * D)
        app.colleague_left(carl, on=START + 9 * D)
        with pytest.raises(ColleagueHasLeft, match=f"they left on {START + 9 * D}"):
            app.colleague_left(carl, on=TODAY)
        assert app.colleague(carl).left_on == START + 9 * D


# ----------------------------------------------------------------- properties


def _without_colleagues(events: Sequence[DomainEvent], colleagues: set[UUID]) -> list[Any]:
    """The events, less those of colleagues and their contacts."""
    return [
        e
        for e in events
        if not isinstance(e, Colleague.Event)
        and not (isinstance(e, Trajectory.ContactRecorded) and e.by in colleagues)
    ]


@given(history=HISTORIES)
def test_colleagues_never_change_caseloads_or_staffing(history: list[Plan]) -> None:
    """For any history, the caseload report and staffing equal those of the same log without
    any colleague event or contact by a colleague: colleagues are no part of either."""
    with new_app() as app:
        result = run_history(app, history)
        events = list(app.events())
    others = _without_colleagues(events, set(result.colleagues))
    assert caseload_report(project_caseload(events), TODAY) == caseload_report(
        project_caseload(others), TODAY
    )
    assert staffing_report(project_staffing(events), TODAY) == staffing_report(
        project_staffing(others), TODAY
    )


def expected_coverage(steps: Sequence[Step]) -> dict[UUID, tuple[Any, ...]]:
    """Per trajectory: its broker now, the roles by anyone, by that broker, by colleagues."""
    holder: dict[UUID, UUID | None] = {}
    by_anyone: dict[UUID, set[Role]] = {}
    by_who: dict[UUID, list[tuple[UUID | None, Role]]] = {}
    by_colleagues: dict[UUID, set[Role]] = {}
    for step in steps:
        t = step.trajectory
        if t is None:
            continue
        match step.command:
            case OpenTrajectory():
                holder[t], by_anyone[t], by_who[t], by_colleagues[t] = None, set(), [], set()
            case Assign() | Transfer():
                holder[t] = step.broker
            case CloseTrajectory():
                holder[t] = None
            case RecordContact(roles=roles) if step.colleague is None:
                by_anyone[t] |= roles
                by_who[t] += [(step.broker, role) for role in roles]
            case RecordContact(roles=roles):
                by_anyone[t] |= roles
                by_colleagues[t] |= roles
    return {
        t: (
            holder[t],
            frozenset(by_anyone[t]),
            frozenset(role for who, role in by_who[t] if who == holder[t]),
            frozenset(by_colleagues[t]),
        )
        for t in holder
    }


@given(history=HISTORIES)
def test_colleagues_count_for_coverage_by_anyone_only(history: list[Plan]) -> None:
    """For any history, each trajectory's roles by anyone include the colleagues' contacts,
    its roles by the assigned broker never do, and the colleagues' own roles are exactly
    theirs; no colleague is ever a broker row."""
    with new_app() as app:
        result = run_history(app, history)
        report = role_coverage(project_coverage(list(app.events())))
    found = {
        row.trajectory_id: (
            row.broker_id,
            row.roles_covered,
            row.roles_by_assigned_broker,
            row.roles_by_colleagues,
        )
        for row in report.trajectories
    }
    assert found == expected_coverage(result.accepted)
    assert {b.broker_id for b in report.brokers} == set(result.brokers)
    assert {c.colleague_id for c in report.colleagues} == set(result.colleagues)

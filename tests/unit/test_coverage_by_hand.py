"""Four-role coverage, the programme's headline measure, on a history whose shares are
worked out by hand: trajectories with exactly one, two, three and four roles, exercised
by the case's own broker, by colleagues, or both."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from uuid import UUID

import attrs
import pytest

from caseload import Caseload, Channel, ClosureReason, Role
from tests.unit._support import new_app, next_cpr

DAY = date(2025, 1, 6)
LATER = DAY + timedelta(days=10)

AUTHORITY, LIAISON, MENTOR, COACH = (
    Role.AUTHORITY,
    Role.EMPLOYER_LIAISON,
    Role.MENTOR_LIKE,
    Role.COACH,
)
FOUR = frozenset({AUTHORITY, LIAISON, MENTOR, COACH})


def contact(app: Caseload, case: UUID, by: UUID, *roles: Role, on: date = DAY) -> None:
    app.record_contact(case, on=on, roles=set(roles), channel=Channel.MEETING, by=by)


def programme(app: Caseload) -> tuple[dict[str, UUID], dict[str, UUID]]:
    """Three brokers and eleven trajectories; the comment on each says what it is for.

    Active cases (open, with a broker) are the first nine. Of them, four have all four
    roles (four_alone, four_shared, four_by_colleague, four_then_transferred), and one
    has them from its own broker alone (four_alone).
    """
    brokers = {
        name: app.register_broker(name=name, team="Team A", fte=1.0, on=DAY)
        for name in ("Anna", "Bo", "Cai")
    }
    anna, bo, cai = brokers["Anna"], brokers["Bo"], brokers["Cai"]
    names = [
        "one_role",
        "two_roles",
        "three_roles",
        "three_roles_shared",
        "four_alone",
        "four_shared",
        "four_by_colleague",
        "four_then_transferred",
        "no_contact",
        "closed_with_four",
        "unassigned_with_four",
    ]
    cases = {name: app.open_trajectory(cpr=next_cpr(), on=DAY) for name in names}
    holders = {
        "one_role": anna,
        "two_roles": anna,
        "three_roles": anna,
        "three_roles_shared": bo,
        "four_alone": anna,
        "four_shared": bo,
        "four_by_colleague": cai,
        "four_then_transferred": anna,
        "no_contact": cai,
        "closed_with_four": anna,
    }
    for name, holder in holders.items():
        app.assign(cases[name], holder, on=DAY)

    # Anna, with her own cases: one, two and three roles, and all four over two days.
    contact(app, cases["one_role"], anna, COACH)
    contact(app, cases["two_roles"], anna, COACH, AUTHORITY)
    contact(app, cases["three_roles"], anna, COACH)
    contact(app, cases["three_roles"], anna, AUTHORITY, LIAISON)
    contact(app, cases["four_alone"], anna, AUTHORITY, COACH)
    contact(app, cases["four_alone"], anna, LIAISON, MENTOR, on=LATER)
    # Three roles between two brokers: Bo's case, Anna helps.
    contact(app, cases["three_roles_shared"], bo, AUTHORITY)
    contact(app, cases["three_roles_shared"], anna, COACH, MENTOR)
    # Four roles between two brokers: Bo three, Anna the coach.
    contact(app, cases["four_shared"], bo, AUTHORITY, LIAISON, MENTOR)
    contact(app, cases["four_shared"], anna, COACH)
    # Four roles, all by someone other than the case's broker (Cai).
    contact(app, cases["four_by_colleague"], anna, AUTHORITY, LIAISON, MENTOR, COACH)
    # Four roles by Anna, then the case moves to Bo, who has exercised none of them.
    contact(app, cases["four_then_transferred"], anna, AUTHORITY, LIAISON, MENTOR, COACH)
    app.transfer(cases["four_then_transferred"], to_broker=bo, on=LATER)
    # Not active: closed, or never assigned. Their four roles must not count.
    contact(app, cases["closed_with_four"], anna, AUTHORITY, LIAISON, MENTOR, COACH)
    app.close_trajectory(cases["closed_with_four"], on=LATER, reason=ClosureReason.JOB)
    contact(app, cases["unassigned_with_four"], cai, AUTHORITY, LIAISON, MENTOR, COACH)
    return brokers, cases


@attrs.frozen
class Written:
    """The application after `programme`, with its brokers and trajectories by name."""

    app: Caseload
    brokers: dict[str, UUID]
    cases: dict[str, UUID]


@pytest.fixture
def written() -> Iterator[Written]:
    with new_app() as app:
        brokers, cases = programme(app)
        yield Written(app, brokers, cases)


def test_shares_over_active_cases_are_the_hand_counted_ones(written: Written) -> None:
    """Nine active cases; four have all four roles (4/9) and one has them from its own
    broker alone (1/9). Three roles, closed cases and unassigned ones do not count."""
    coverage = written.app.role_coverage()
    assert coverage.active_cases == 9
    assert coverage.share_all_four == pytest.approx(4 / 9)
    assert coverage.share_all_four_by_assigned_broker == pytest.approx(1 / 9)


def test_each_trajectory_has_the_hand_listed_roles(written: Written) -> None:
    """Per trajectory: the roles covered by anyone, those covered by its broker now, and
    whether each makes all four."""
    coverage, brokers, cases = written.app.role_coverage(), written.brokers, written.cases
    anna, bo, cai = brokers["Anna"], brokers["Bo"], brokers["Cai"]
    expected: dict[str, tuple[UUID | None, frozenset[Role], frozenset[Role], bool, bool]] = {
        # name: (broker now, roles by anyone, roles by that broker, all four, all four alone)
        "one_role": (anna, frozenset({COACH}), frozenset({COACH}), False, False),
        "two_roles": (anna, frozenset({COACH, AUTHORITY}), frozenset({COACH, AUTHORITY}), False,
                      False),
        "three_roles": (anna, FOUR - {MENTOR}, FOUR - {MENTOR}, False, False),
        "three_roles_shared": (bo, FOUR - {LIAISON}, frozenset({AUTHORITY}), False, False),
        "four_alone": (anna, FOUR, FOUR, True, True),
        "four_shared": (bo, FOUR, FOUR - {COACH}, True, False),
        "four_by_colleague": (cai, FOUR, frozenset(), True, False),
        "four_then_transferred": (bo, FOUR, frozenset(), True, False),
        "no_contact": (cai, frozenset(), frozenset(), False, False),
        "closed_with_four": (None, FOUR, frozenset(), True, False),
        "unassigned_with_four": (None, FOUR, frozenset(), True, False),
    }  # fmt: skip
    rows = {row.trajectory_id: row for row in coverage.trajectories}
    assert set(rows) == set(cases.values())
    for name, (holder, covered, by_holder, all_four, alone) in expected.items():
        row = rows[cases[name]]
        assert row.broker_id == holder, name
        assert row.roles_covered == covered, name
        assert row.roles_by_assigned_broker == by_holder, name
        assert row.all_four is all_four, name
        assert row.all_four_by_assigned_broker is alone, name
    assert rows[cases["four_shared"]].exercised_by(COACH) == {anna}
    assert rows[cases["four_shared"]].exercised_by(AUTHORITY) == {bo}


def test_each_broker_has_the_hand_counted_cases_and_roles(written: Written) -> None:
    """Per broker: the roles they exercised anywhere, their active cases, and how many of
    those they cover alone in all four roles."""
    coverage, brokers = written.app.role_coverage(), written.brokers
    by_id = {row.broker_id: row for row in coverage.brokers}
    assert set(by_id) == set(brokers.values())
    # Anna holds one_role, two_roles, three_roles and four_alone (the closed and the
    # transferred case are no longer hers); she covers four_alone alone.
    anna = by_id[brokers["Anna"]]
    assert (anna.roles_covered, anna.active_cases, anna.cases_with_all_four_by_broker) == (
        FOUR,
        4,
        1,
    )
    # Bo holds three_roles_shared, four_shared and four_then_transferred; never the coach.
    bo = by_id[brokers["Bo"]]
    assert (bo.roles_covered, bo.active_cases, bo.cases_with_all_four_by_broker) == (
        FOUR - {COACH},
        3,
        0,
    )
    # Cai holds four_by_colleague and no_contact, and exercised all four roles only on a
    # trajectory that is nobody's.
    cai = by_id[brokers["Cai"]]
    assert (cai.roles_covered, cai.active_cases, cai.cases_with_all_four_by_broker) == (
        FOUR,
        2,
        0,
    )


def test_shares_as_true_on_a_day_before_the_last_roles(written: Written) -> None:
    """On the first day, four_alone had two roles, four_then_transferred was still Anna's
    (all four by her: one person) and closed_with_four was open and hers (all four).
    Ten active cases then: four with all four roles (closed_with_four, four_shared,
    four_by_colleague, four_then_transferred), two of them by their own broker alone."""
    first_day = written.app.role_coverage(as_true_on=DAY)
    assert first_day.active_cases == 10
    assert first_day.share_all_four == pytest.approx(4 / 10)
    assert first_day.share_all_four_by_assigned_broker == pytest.approx(2 / 10)

"""The caseload and coverage read models, checked against models computed from the commands."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseload import Caseload, Channel, ClosureReason, Role
from caseload.commands import RecordContact
from caseload.programmes.resource_pathway.read_models.caseload_counts import (
    CaseloadCounts,
    caseload_report,
)
from caseload.programmes.resource_pathway.read_models.coverage_reports import role_coverage
from caseload.programmes.resource_pathway.read_models.role_coverage import RoleCoverageModel
from caseload.projections.base import canonical_bytes, reference_bytes
from caseload.testing import histories, run_history
from tests.conftest import KEY, fixed_clock
from tests.unit._support import assert_round_trip

DAY = date(2025, 1, 6)


def new_app() -> Caseload:
    return Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)


@given(history=histories(max_size=40))
def test_caseload_rows_equal_the_brokers_held_cases(history: list[object]) -> None:
    """After any history, each caseload row equals what the broker aggregate holds."""
    with new_app() as app:
        result = run_history(app, history)
        rows = {row.broker_id: row for row in app.caseload()}
        assert set(rows) == set(result.brokers)
        for broker in result.brokers:
            view = app.broker(broker)
            assert rows[broker].active_cases == len(view.active_cases) <= rows[broker].limit
            assert rows[broker].limit == view.limit
            assert rows[broker].left_on == view.left_on


@given(history=histories(max_size=40))
def test_coverage_equals_the_roles_of_the_accepted_contacts(history: list[object]) -> None:
    """Per trajectory, the roles covered and by whom are exactly those of accepted contacts,
    by brokers and by colleagues."""
    with new_app() as app:
        result = run_history(app, history)
        expected: dict[UUID, set[tuple[Role, UUID]]] = defaultdict(set)
        for step in result.accepted:
            if isinstance(step.command, RecordContact):
                assert step.trajectory is not None
                by = step.broker if step.colleague is None else step.colleague
                assert by is not None
                expected[step.trajectory] |= {(role, by) for role in step.command.roles}
        coverage = app.role_coverage()
        assert {row.trajectory_id for row in coverage.trajectories} == set(result.trajectories)
        for row in coverage.trajectories:
            assert row.exercised == frozenset(expected[row.trajectory_id])
            assert row.broker_id == app.trajectory(row.trajectory_id).broker_id
        # The shares, from the model and the aggregates alone: active cases are open
        # trajectories with a broker; all four means every one of the four roles.
        active = [
            view
            for view in map(app.trajectory, result.trajectories)
            if view.closed_on is None and view.broker_id is not None
        ]
        every_role = {Role.AUTHORITY, Role.EMPLOYER_LIAISON, Role.MENTOR_LIKE, Role.COACH}
        all_four = [
            view
            for view in active
            if {role for role, _ in expected[view.trajectory_id]} == every_role
        ]
        alone = [
            view
            for view in active
            if {role for role, by in expected[view.trajectory_id] if by == view.broker_id}
            == every_role
        ]
        assert coverage.active_cases == len(active)
        if active:
            assert coverage.share_all_four == pytest.approx(len(all_four) / len(active))
            assert coverage.share_all_four_by_assigned_broker == pytest.approx(
                len(alone) / len(active)
            )


def test_caseload_on_a_past_date_counts_what_was_true_that_day() -> None:
    """`caseload(as_true_on=D)` lists the brokers registered by D and the cases they held on D."""
    with new_app() as app:
        early = app.register_broker(name="Early", team="Team A", fte=1.0, on=DAY)
        cases = [app.open_trajectory(cpr=f"0{n}0190123{n}", on=DAY) for n in range(1, 4)]
        app.assign(cases[0], early, on=DAY)
        app.assign(cases[1], early, on=DAY + timedelta(days=10))
        app.close_trajectory(cases[0], on=DAY + timedelta(days=20), reason=ClosureReason.JOB)
        late = app.register_broker(name="Late", team="Team A", fte=1.0, on=DAY + timedelta(days=30))
        app.assign(cases[2], late, on=DAY + timedelta(days=30))

        def held(on: date) -> dict[str, int]:
            return {row.name: row.active_cases for row in app.caseload(as_true_on=on)}

        assert held(DAY) == {"Early": 1}
        assert held(DAY + timedelta(days=10)) == {"Early": 2}
        assert held(DAY + timedelta(days=20)) == {"Early": 1}
        assert held(DAY + timedelta(days=30)) == {"Early": 1, "Late": 1}
        assert held(DAY + timedelta(days=30)) == {r.name: r.active_cases for r in app.caseload()}


def test_caseload_uses_the_policy_in_force_on_the_date() -> None:
    """The limit in a caseload row is the one in force on the date asked about."""
    with new_app() as app:
        app.register_broker(name="B", team="Team A", fte=0.5, on=DAY)
        app.set_caseload_policy(limit_per_fte=20, effective_from=DAY + timedelta(days=7), on=DAY)
        assert app.caseload(as_true_on=DAY)[0].limit == 15
        assert app.caseload(as_true_on=DAY + timedelta(days=7))[0].limit == 10
        assert app.caseload(as_true_on=DAY + timedelta(days=7))[0].policy.startswith("20-per-fte")


def test_one_person_share_counts_only_the_assigned_broker() -> None:
    """All four roles by a colleague count for coverage, not for the one-person share."""
    with new_app() as app:
        holder = app.register_broker(name="Holder", team="Team A", fte=1.0, on=DAY)
        colleague = app.register_broker(name="Colleague", team="Team A", fte=1.0, on=DAY)
        first = app.open_trajectory(cpr="0101901234", on=DAY)
        second = app.open_trajectory(cpr="0201901234", on=DAY)
        app.assign(first, holder, on=DAY)
        app.assign(second, holder, on=DAY)
        app.record_contact(first, on=DAY, roles=set(Role), channel=Channel.MEETING, by=holder)
        app.record_contact(second, on=DAY, roles={Role.COACH}, channel=Channel.PHONE, by=holder)
        app.record_contact(
            second, on=DAY, roles=set(Role) - {Role.COACH}, channel=Channel.MEETING, by=colleague
        )
        coverage = app.role_coverage()
        assert coverage.active_cases == 2
        assert coverage.share_all_four == 1.0
        assert coverage.share_all_four_by_assigned_broker == 0.5
        by_name = {b.name: b for b in coverage.brokers}
        assert by_name["Holder"].cases_with_all_four_by_broker == 1
        assert by_name["Colleague"].roles_covered == frozenset(set(Role) - {Role.COACH})
        # A transfer makes the colleague the assigned broker: now their roles count.
        app.transfer(second, to_broker=colleague, on=DAY)
        row = next(r for r in app.role_coverage().trajectories if r.trajectory_id == second)
        assert row.roles_by_assigned_broker == frozenset(set(Role) - {Role.COACH})
        assert row.exercised_by(Role.COACH) == {holder}


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text(st.characters(exclude_categories=["Cs"]))
    | st.dates()
    | st.sampled_from(Role)
    | st.sampled_from(ClosureReason),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(st.characters(exclude_categories=["Cs"])), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(data=json_values)
def test_canonical_bytes_are_those_of_the_reference_serialiser(data: object) -> None:
    """The fast canonical form is byte for byte the standard library's sorted-key JSON, for
    every kind of value a read model encodes (any text, integers beyond 64 bits, dates,
    enum members)."""
    assert canonical_bytes(data) == reference_bytes(data)


@given(history=histories(max_size=40))
def test_coverage_and_caseload_states_round_trip(history: list[object]) -> None:
    """Encoding the coverage and caseload states, decoding them (through JSON) and encoding
    again gives the same canonical bytes, digest and report."""
    with new_app() as app:
        run_history(app, history)
        events = list(app.events())
    coverage = RoleCoverageModel()
    assert_round_trip(
        coverage, coverage.project(events), lambda state, _on: role_coverage(state), DAY
    )
    caseload = CaseloadCounts()
    assert_round_trip(caseload, caseload.project(events), caseload_report, DAY)

"""The four-role coverage report, counted in one pass by broker, equals a straightforward
reference that compares every broker and colleague with every active case, on generated
states (registered brokers and colleagues, contacts by anyone, closed and unassigned
trajectories)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload import Caseload, Role
from caseload.programmes.resource_pathway.domain.values import ALL_ROLES
from caseload.programmes.resource_pathway.read_models.coverage_reports import (
    coverage_summary,
    role_coverage,
)
from caseload.programmes.resource_pathway.read_models.role_coverage import (
    BrokerCoverage,
    ColleagueCoverage,
    CoverageState,
    RoleCoverage,
    RoleCoverageModel,
    TrajectoryCoverage,
    project_coverage,
)
from caseload.projections.stored_entries import unread_entries
from caseload.testing import Plan, histories, run_history
from tests.conftest import KEY, fixed_clock

PEOPLE = [UUID(int=n).hex for n in range(1, 9)]
"""Ids shared by brokers, colleagues and people who are neither (contacts by anyone)."""


@st.composite
def encoded_states(draw: st.DrawFn) -> Any:
    people = st.sampled_from(PEOPLE)
    brokers = draw(st.dictionaries(people, st.sampled_from(["Anna", "Bo", "Cai"]), max_size=5))
    colleagues = draw(
        st.dictionaries(
            people.filter(lambda p: p not in brokers), st.sampled_from(["Dan", "Eva"]), max_size=3
        )
    )
    roles = st.lists(st.sampled_from(sorted(role.value for role in Role)), unique=True).map(sorted)
    closed_on = st.dates(date(2023, 1, 1), date(2025, 12, 31)).map(date.isoformat)
    trajectory = st.tuples(
        st.none() | people, st.booleans(), st.dictionaries(people, roles, max_size=4), closed_on
    ).map(list)
    trajectories = draw(
        st.dictionaries(st.integers(100, 10_000).map(lambda n: UUID(int=n).hex), trajectory)
    )
    return encoded(brokers, colleagues, trajectories)


def encoded(
    brokers: dict[str, str], colleagues: dict[str, str], trajectories: dict[str, list[Any]]
) -> dict[str, Any]:
    """The stored form of a coverage state from its trajectories as [broker, is open,
    {person: roles}, the day it closed]: open and closed ones apart (a closed one with
    the day it closed), and every person's roles over all of them (as the projection
    keeps them)."""
    roles_by: dict[str, set[str]] = {}
    for _, _, exercised, _ in trajectories.values():
        for person, roles in exercised.items():
            if roles:
                roles_by.setdefault(person, set()).update(roles)
    return {
        "brokers": brokers,
        "colleagues": colleagues,
        "trajectories": {k: [b, ex] for k, (b, is_open, ex, _) in trajectories.items() if is_open},
        "closed": {
            k: [b, ex, on] for k, (b, is_open, ex, on) in trajectories.items() if not is_open
        },
        "roles": {person: sorted(roles) for person, roles in roles_by.items()},
    }


def reference(state: CoverageState) -> RoleCoverage:
    """Every broker and colleague against every active case: slow, and plainly right."""
    colleagues = state.colleague_names
    rows = []
    every = state.every_trajectory()
    for trajectory_id, t in sorted(every.items(), key=lambda item: str(item[0])):
        pairs = frozenset(
            (role, by)
            for by, mask in t.exercised.items()
            for role in Role
            if mask & (1 << list(Role).index(role))
        )
        rows.append(
            TrajectoryCoverage(
                trajectory_id=trajectory_id,
                broker_id=t.broker_id,
                is_open=t.is_open,
                exercised=pairs,
                by_colleagues=frozenset(pair for pair in pairs if pair[1] in colleagues),
            )
        )
    active = [row for row in rows if row.is_open and row.broker_id is not None]
    roles_by_broker: dict[UUID, set[Role]] = {b: set() for b in state.broker_names}
    roles_by_colleague: dict[UUID, set[Role]] = {c: set() for c in colleagues}
    for row in rows:
        for role, by in row.exercised:
            found = roles_by_colleague if by in colleagues else roles_by_broker
            found.setdefault(by, set()).add(role)
    brokers = tuple(
        BrokerCoverage(
            broker_id=broker_id,
            name=state.broker_names.get(broker_id, "?"),
            roles_covered=frozenset(roles),
            active_cases=sum(1 for row in active if row.broker_id == broker_id),
            cases_with_all_four_by_broker=sum(
                1
                for row in active
                if row.broker_id == broker_id and row.roles_by_assigned_broker == ALL_ROLES
            ),
        )
        for broker_id, roles in sorted(
            roles_by_broker.items(),
            key=lambda item: (state.broker_names.get(item[0], ""), str(item[0])),
        )
    )
    colleague_rows = tuple(
        ColleagueCoverage(
            colleague_id=colleague_id,
            name=colleagues[colleague_id],
            roles_covered=frozenset(roles),
            active_cases_with_contact=sum(
                1 for row in active if any(by == colleague_id for _, by in row.by_colleagues)
            ),
        )
        for colleague_id, roles in sorted(
            roles_by_colleague.items(), key=lambda item: (colleagues[item[0]], str(item[0]))
        )
    )

    def share(part: int) -> float:
        return part / len(active) if active else 0.0

    return RoleCoverage(
        trajectories=tuple(rows),
        brokers=brokers,
        active_cases=len(active),
        share_all_four=share(sum(row.roles_covered == ALL_ROLES for row in active)),
        share_all_four_by_assigned_broker=share(
            sum(row.roles_by_assigned_broker == ALL_ROLES for row in active)
        ),
        colleagues=colleague_rows,
        share_with_colleague_roles=share(sum(bool(row.by_colleagues) for row in active)),
    )


@settings(max_examples=300)
@given(data=encoded_states())
def test_the_one_pass_report_equals_the_reference(data: Any) -> None:
    state = RoleCoverageModel().decode(data)
    assert role_coverage(state) == reference(state)


def test_a_contact_without_roles_adds_no_broker_row() -> None:
    """A person who is neither broker nor colleague and exercised no role is not listed,
    as in the reference."""
    stranger, broker = UUID(int=7).hex, UUID(int=8).hex
    state = RoleCoverageModel().decode(
        encoded(
            {broker: "Anna"},
            {},
            {UUID(int=200).hex: [broker, True, {stranger: [], broker: ["coach"]}, None]},
        )
    )
    report = role_coverage(state)
    assert report == reference(state)
    assert [row.name for row in report.brokers] == ["Anna"]
    assert report.brokers[0].active_cases == 1


@settings(max_examples=300)
@given(data=encoded_states())
def test_the_summary_is_the_report_without_its_rows(data: Any) -> None:
    """What `caseload status` shows: the same report, without the rows per trajectory."""
    state = RoleCoverageModel().decode(data)
    assert coverage_summary(state) == attrs.evolve(role_coverage(state), trajectories=())


@given(history=histories(min_size=10, max_size=40))
def test_the_report_of_a_generated_history_equals_the_reference(history: list[Plan]) -> None:
    """On histories of accepted and refused commands run through the application."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        run_history(app, history, start=date(2024, 1, 1))
        state = project_coverage(list(app.events()))
    assert role_coverage(state) == reference(state)


@settings(max_examples=300)
@given(data=encoded_states())
def test_the_summary_of_a_state_as_stored_equals_that_of_its_entities(data: Any) -> None:
    """`caseload status` counts the open trajectories as stored, without decoding them:
    the summary is the one counted over the decoded entities, and the open trajectories
    are still undecoded after it."""
    as_stored = RoleCoverageModel().decode(data)
    summary = coverage_summary(as_stored)
    assert unread_entries(as_stored.trajectories) is not None
    decoded = RoleCoverageModel().decode(data)
    assert len(decoded.trajectories) == len(data["trajectories"])  # decodes every entry
    assert unread_entries(decoded.trajectories) is None
    assert summary == coverage_summary(decoded)

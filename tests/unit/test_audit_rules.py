"""The rules checker behind `caseload verify`: clean logs pass, and every log written outside
the rules is reported at the event that broke the rule, with its date and broker."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate, DomainEvent
from hypothesis import event as note
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload import Caseload, Channel, ClosureReason, EmployerActivityKind, PathwayKind, Role
from caseload.audit import RulesReport, check_rules
from caseload.domain.errors import CaseloadError
from caseload.programmes.resource_pathway.domain.broker import Broker
from caseload.programmes.resource_pathway.domain.colleague import Colleague
from caseload.programmes.resource_pathway.domain.programme import Programme
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.programmes.resource_pathway.domain.values import CaseloadPolicy, IndicatorSet, Scores
from caseload.programmes.resource_pathway.kind import KIND as RESOURCE_PATHWAY
from caseload.programmes.resource_pathway.read_models.caseload_counts import (
    caseload_report,
    project_caseload,
)
from caseload.programmes.resource_pathway.rules import RULES
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from caseload.testing import CaseloadMachine, histories, run_history
from tests.conftest import TODAY, examples
from tests.unit._support import START, Office, give_cases, new_app, next_cpr, office, register

D = timedelta(days=1)


def found(report: RulesReport) -> set[tuple[str, int, date, UUID | None]]:
    """Each kept violation as (rule, position, date, broker)."""
    return {(v.rule, v.position, v.on, v.broker) for v in report.violations}


def forge(app: Caseload, *steps: tuple[UUID, Callable[[Any], None]]) -> int:
    """Change aggregates by their event methods, bypassing every check, and save them in
    one write; the position of the write's first event."""
    first = app.head() + 1
    changed: dict[UUID, Aggregate] = {}
    for aggregate_id, change in steps:
        aggregate = changed.get(aggregate_id) or app.wiring.events.repository.get(aggregate_id)
        change(aggregate)
        changed[aggregate_id] = aggregate
    app.wiring.events.save(*changed.values())
    return first


def last_position(app: Caseload, event_type: type[DomainEvent]) -> int:
    """The log position of the latest event of a type."""
    return max(p for p, event in app.history() if isinstance(event, event_type))


def assert_only(report: RulesReport, rule: str) -> None:
    """Every violation found breaks `rule`."""
    assert {v.rule for v in report.violations} == {rule}, report.violations


# ----------------------------------------------------------------- clean logs


@given(history=histories(max_size=40))
def test_valid_command_histories_break_no_rule(history: list[object]) -> None:
    """Whatever commands a service sends, the log the rules let through breaks no rule."""
    with new_app() as app:
        run_history(app, history)
        report = check_rules(app.history(), today=TODAY)
        assert report.ok, report.violations
        assert report.checked_events == app.head()


class _CheckedMachine(CaseloadMachine):
    """The public state machine (which also raises and lowers the limit and cuts FTEs),
    with the rules checked over its whole log at the end of each run."""

    def teardown(self) -> None:
        try:
            report = check_rules(self.app.history())
            assert report.ok, report.violations
        finally:
            super().teardown()


TestStateMachineLogsBreakNoRule = _CheckedMachine.TestCase
TestStateMachineLogsBreakNoRule.settings = settings(
    max_examples=examples(15), stateful_step_count=30, deadline=None
)


def test_a_clean_simulated_programme_breaks_no_rule() -> None:
    """A simulated programme, its refused 31st assignment included, passes every rule."""
    with new_app() as app:
        simulated = simulate(app, SimulationConfig(brokers=3, citizens=40, months=3))
        assert simulated.refused, "the simulation tries one assignment over the limit"
        report = check_rules(app.history(), today=TODAY)
        app_head = app.head()
    assert report.ok, report.violations
    assert report.checked_events == app_head > 400
    assert (report.brokers, report.trajectories) == (3, 40)
    assert report.checked_broker_days == 3 * ((TODAY - SimulationConfig().start).days + 1)
    assert "no rule broken" in report.summary


# ----------------------------------------------------------------- the caseload limit


def test_a_policy_lowered_below_a_caseload_is_reported_with_its_date_and_broker() -> None:
    """`set_caseload_policy` records a limit below a broker's caseload (management's call);
    verify reports it at the policy change, from its first day, with the numbers."""
    with new_app() as app:
        busy, calm = register(app, name="Busy"), register(app, name="Calm")
        give_cases(app, busy, 3)
        give_cases(app, calm, 1)
        lowered = START + 30 * D
        app.set_caseload_policy(limit_per_fte=2, effective_from=lowered, on=START + 10 * D)
        policy_position = last_position(app, Programme.PolicyChanged)
        report = check_rules(app.history(), today=TODAY)
    assert found(report) == {("caseload-limit", policy_position, lowered, busy)}
    (violation,) = report.violations
    assert violation.event_type == "Programme.PolicyChanged"
    assert violation.through is None
    assert f"broker {busy} held 3 cases on {lowered}, over the limit of 2" in violation.message
    assert "Busy" not in violation.message
    assert not report.ok
    assert report.by_rule == (("caseload-limit", 1),)


def test_a_back_dated_policy_is_blamed_for_the_earlier_days_it_breaks() -> None:
    """A policy registered late with an earlier date breaks days before the breach already
    known: those days are its own, the later ones stay with the first policy."""
    with new_app() as app:
        broker = register(app)
        cases = give_cases(app, broker, 4)
        app.set_caseload_policy(limit_per_fte=2, effective_from=START + 60 * D, on=START + 50 * D)
        first = last_position(app, Programme.PolicyChanged)
        app.set_caseload_policy(limit_per_fte=3, effective_from=START + 40 * D, on=START + 40 * D)
        second = last_position(app, Programme.PolicyChanged)
        app.close_trajectory(cases[0], on=START + 70 * D, reason=ClosureReason.MOVED)
        app.close_trajectory(cases[1], on=START + 80 * D, reason=ClosureReason.MOVED)
        report = check_rules(app.history(), today=TODAY)
    assert_only(report, "caseload-limit")
    assert [(v.position, v.on, v.through) for v in report.violations] == [
        (first, START + 60 * D, START + 79 * D),
        (second, START + 40 * D, START + 59 * D),
    ]


def test_an_fte_cut_below_a_caseload_is_reported_at_the_cut() -> None:
    """An FTE change written past the check is the event that made the count exceed."""
    with new_app() as app:
        broker = register(app)
        give_cases(app, broker, 5)
        cut_on = START + 3 * D
        position = forge(
            app, (broker, lambda b: b._fte_changed(fte=Decimal("0.1"), occurred_on=cut_on))
        )
        report = check_rules(app.history(), today=TODAY)
    assert found(report) == {("caseload-limit", position, cut_on, broker)}
    assert "held 5 cases" in report.violations[0].message
    assert "limit of 3" in report.violations[0].message


@st.composite
def over_limit_runs(draw: st.DrawFn) -> tuple[Decimal, list[tuple[int, int]]]:
    """A half-time-or-less FTE and (days after the previous step, +1 take / -1 give up)
    steps that never give up more cases than are held."""
    fte = draw(st.sampled_from([Decimal("0.05"), Decimal("0.1"), Decimal("0.2")]))
    steps, held = [], 0
    for gap, take in draw(st.lists(st.tuples(st.integers(0, 2), st.booleans()), max_size=20)):
        sign = 1 if take or held == 0 else -1
        held += sign
        steps.append((gap, sign))
    return fte, steps


@given(run=over_limit_runs())
def test_a_forged_over_limit_is_found_on_exactly_its_first_day(
    run: tuple[Decimal, list[tuple[int, int]]],
) -> None:
    """Assignments written past the limit check (both sides of each, consistently) are
    reported from the first day a broker ends over the limit, at the event after which
    that day has been over it."""
    fte, steps = run
    with new_app() as app:
        broker = register(app, fte=fte)
        limit = app.broker(broker).limit
        held: list[UUID] = []
        day, count, over_since = START, 0, None
        expected: tuple[date, int] | None = None
        for number, (gap, sign) in enumerate(steps):
            day += gap * D
            if sign > 0:
                case = app.open_trajectory(cpr=next_cpr(), on=START)
                held.append(case)
                position = forge(
                    app,
                    (case, lambda t, d=day: t._assigned(broker_id=broker, occurred_on=d)),
                    (
                        broker,
                        lambda b, c=case, d=day: b._case_assigned(trajectory_id=c, occurred_on=d),
                    ),
                )
            else:
                case = held.pop(0)
                position = forge(
                    app,
                    (case, lambda t, d=day: t._closed(reason=ClosureReason.OTHER, occurred_on=d)),
                    (
                        broker,
                        lambda b, c=case, d=day: b._case_released(trajectory_id=c, occurred_on=d),
                    ),
                )
            broker_position = position + 1
            count += sign
            if count > limit and over_since is None:
                over_since = broker_position
            elif count <= limit:
                over_since = None
            last_of_day = number + 1 == len(steps) or steps[number + 1][0] > 0
            if expected is None and last_of_day and over_since is not None:
                expected = (day, over_since)
        report = check_rules(app.history(), today=TODAY)
    if expected is None:
        assert report.ok, report.violations
    else:
        assert_only(report, "caseload-limit")
        first = report.violations[0]
        assert (first.on, first.position, first.broker) == (*expected, broker)
        assert first.event_type == "Broker.CaseAssigned"


# A hand-built log: brokers, trajectories and policies built straight from their events,
# in any order, so back-dated policies and FTE changes land anywhere in a broker's history.


class _Log:
    def __init__(self) -> None:
        self.events: list[tuple[int, DomainEvent]] = []

    def take(self, *aggregates: Aggregate) -> int:
        """Append the aggregates' new events; the position of the last one."""
        for aggregate in aggregates:
            for event in aggregate.collect_events():
                self.events.append((len(self.events) + 1, event))
        return len(self.events)


_LOG_START = date(2025, 1, 6)
_LOG_DAYS = 30
_LOG_TODAY = _LOG_START + (_LOG_DAYS - 1) * D

_log_steps = st.lists(
    st.one_of(
        st.tuples(st.just("take"), st.integers(0, 1), st.integers(0, 2)),
        st.tuples(st.just("take"), st.integers(0, 1), st.integers(0, 2)),
        st.tuples(st.just("give"), st.integers(0, 1), st.integers(0, 2)),
        st.tuples(
            st.just("fte"), st.integers(0, 1), st.integers(0, 2), st.sampled_from([10, 20, 50, 100])
        ),
        st.tuples(st.just("policy"), st.integers(0, _LOG_DAYS), st.integers(1, 12)),
    ),
    max_size=22,
)


def _build_log(
    steps: Sequence[tuple[Any, ...]],
) -> tuple[list[tuple[int, DomainEvent]], list[UUID]]:
    """Two brokers (0.2 and 0.1 FTE) and the steps; each broker's days only move forward."""
    log = _Log()
    programme = Programme(
        name="P",
        pathway=PathwayKind.RESOURCE_PATHWAY,
        indicators=IndicatorSet(),
        policy=CaseloadPolicy(date.min, 10, "default"),
        occurred_on=_LOG_START,
    )
    log.take(programme)
    brokers = [
        Broker(
            name=f"B{n}",
            team="T",
            fte=fte,
            pathway=PathwayKind.RESOURCE_PATHWAY,
            occurred_on=_LOG_START,
        )
        for n, fte in enumerate([Decimal("0.2"), Decimal("0.1")])
    ]
    log.take(*brokers)
    days = [_LOG_START, _LOG_START]
    held: list[list[Trajectory]] = [[], []]
    for serial, step in enumerate(steps):
        match step:
            case ("take", who, gap):
                days[who] = min(days[who] + gap * D, _LOG_TODAY)
                case = Trajectory(
                    citizen=f"citizen-{serial}",
                    pathway=PathwayKind.RESOURCE_PATHWAY,
                    occurred_on=_LOG_START,
                )
                case._assigned(broker_id=brokers[who].id, occurred_on=days[who])
                brokers[who]._case_assigned(trajectory_id=case.id, occurred_on=days[who])
                held[who].append(case)
                log.take(case, brokers[who])
            case ("give", who, gap) if held[who]:
                days[who] = min(days[who] + gap * D, _LOG_TODAY)
                case = held[who].pop(0)
                case._closed(reason=ClosureReason.OTHER, occurred_on=days[who])
                brokers[who]._case_released(trajectory_id=case.id, occurred_on=days[who])
                log.take(case, brokers[who])
            case ("fte", who, gap, hundredths):
                days[who] = min(days[who] + gap * D, _LOG_TODAY)
                brokers[who]._fte_changed(fte=Decimal(hundredths) / 100, occurred_on=days[who])
                log.take(brokers[who])
            case ("policy", offset, per_fte):
                effective = _LOG_START + offset * D
                policy = CaseloadPolicy(effective, per_fte, f"{per_fte}-from-{effective}")
                programme._policy_changed(policy=policy, occurred_on=_LOG_START)
                log.take(programme)
    return log.events, [broker.id for broker in brokers]


def _over_limit_days(
    events: Iterable[tuple[int, DomainEvent]], last: date
) -> set[tuple[UUID, date]]:
    """Straight from the definition: (broker, day) whenever the cases held at the end of
    the day exceed the limit of the policy in force that day at the broker's FTE that day."""
    events = list(events)
    policies: dict[date, int] = {}
    for _, event in events:
        if isinstance(event, Programme.Configured | Programme.PolicyChanged):
            policies[event.policy.effective_from] = event.policy.limit_per_fte
    over = set()
    for broker in {e.originator_id for _, e in events if isinstance(e, Broker.Registered)}:
        own = [e for _, e in events if e.originator_id == broker]
        day = own[0].occurred_on
        while day <= last:
            held: set[UUID] = set()
            fte = own[0].fte
            for event in own:
                if event.occurred_on > day:
                    continue
                if isinstance(event, Broker.CaseAssigned):
                    held.add(event.trajectory_id)
                elif isinstance(event, Broker.CaseReleased):
                    held.discard(event.trajectory_id)
                elif isinstance(event, Broker.FteChanged):
                    fte = event.fte
            per_fte = policies[max(p for p in policies if p <= day)]
            if len(held) > int(per_fte * fte):
                over.add((broker, day))
            day += D
    return over


def _expected_breaches(
    events: list[tuple[int, DomainEvent]], last: date
) -> set[tuple[UUID, date, int]]:
    """(broker, first day, position) of each run of over-limit days that one event made so:
    a day belongs to the event after which it has been over the limit ever since."""
    since: dict[tuple[UUID, date], int] = {}
    for end in range(1, len(events) + 1):
        now = _over_limit_days(events[:end], last)
        since = {key: since.get(key, events[end - 1][0]) for key in now}
    return {
        (broker, day, position)
        for (broker, day), position in since.items()
        if since.get((broker, day - D)) != position
    }


@settings(max_examples=examples(40))
@given(steps=_log_steps)
def test_breaches_match_the_definition_day_by_day(steps: list[tuple[Any, ...]]) -> None:
    """With back-dated and future policies and FTE changes anywhere, every run of days over
    the limit is found from its first day, at the event that put it over, and nothing else
    is reported."""
    events, _ = _build_log(steps)
    report = check_rules(events, today=_LOG_TODAY, keep=10_000)
    note(f"violations: {min(report.total_violations, 3)}")
    assert {rule for rule in report.by_rule if rule[0] != "caseload-limit"} == set()
    assert {(v.broker, v.on, v.position) for v in report.violations} == _expected_breaches(
        events, _LOG_TODAY
    )


_office_steps = st.lists(
    st.one_of(
        st.tuples(st.just("assign"), st.integers(0, 1)),
        st.tuples(st.just("assign"), st.integers(0, 1)),
        st.tuples(st.just("assign"), st.integers(0, 1)),
        st.tuples(st.just("close"), st.integers(0, 50)),
        st.tuples(st.just("close"), st.integers(0, 50)),
        st.tuples(st.just("transfer"), st.integers(0, 50), st.integers(0, 1)),
        st.tuples(st.just("fte"), st.integers(0, 1), st.sampled_from(["0.1", "0.2", "0.3"])),
        st.tuples(st.just("policy"), st.integers(0, 10), st.integers(0, 10), st.integers(1, 8)),
        st.tuples(st.just("policy"), st.integers(0, 10), st.integers(0, 10), st.integers(1, 8)),
    ),
    min_size=5,
    max_size=30,
)


@settings(max_examples=examples(40))
@given(steps=_office_steps)
def test_breaches_agree_with_the_caseload_report(steps: list[tuple[Any, ...]]) -> None:
    """On logs the commands wrote, with limits lowered, back-dated and raised again, the
    breaches verify reports are exactly the runs the caseload report shows, and no other
    rule is broken."""
    with new_app() as app:
        brokers = [register(app, fte=0.2, name="Fifth"), register(app, fte=0.1, name="Tenth")]
        cases = give_cases(app, brokers[0], 2) + give_cases(app, brokers[1], 2)
        for number, step in enumerate(steps):
            day = START + (number + 20) * D
            with contextlib.suppress(CaseloadError):  # the commands the rules refuse
                match step:
                    case ("assign", who):
                        cases.append(app.open_trajectory(cpr=next_cpr(), on=day))
                        app.assign(cases[-1], brokers[who], on=day)
                    case ("close", pick) if cases:
                        case = cases[pick % len(cases)]
                        app.close_trajectory(case, on=day, reason=ClosureReason.MOVED)
                    case ("transfer", pick, who) if cases:
                        app.transfer(cases[pick % len(cases)], to_broker=brokers[who], on=day)
                    case ("fte", who, fte):
                        app.change_fte(brokers[who], fte=fte, on=day)
                    case ("policy", back, delay, per_fte):
                        decided = day - back * D
                        app.set_caseload_policy(
                            limit_per_fte=per_fte, effective_from=decided + delay * D, on=decided
                        )
        report = check_rules(app.history(), today=TODAY, keep=10_000)
        state = project_caseload(event for _, event in app.history())
    assert {rule for rule, _ in report.by_rule} <= {"caseload-limit"}
    runs: list[list[Any]] = []
    for violation in sorted(report.violations, key=lambda v: (str(v.broker), v.on)):
        previous = runs[-1] if runs else None
        if previous and previous[0] == violation.broker and previous[2] + D == violation.on:
            previous[2] = violation.through
        else:
            runs.append([violation.broker, violation.on, violation.through])
    expected = {
        (b.broker_id, b.first_day, b.last_day) for b in caseload_report(state, TODAY).breaches
    }
    note(f"breach runs: {min(len(expected), 3)}{'+' if len(expected) >= 3 else ''}")
    note(f"a breach ended: {any(last is not None for _, _, last in expected)}")
    assert {tuple(run) for run in runs} == expected


# ----------------------------------------------------------------- the other rules


def _office() -> Office:
    app = new_app()
    return office(app)


def _second_broker(o: Office) -> tuple[int, date, UUID | None, str]:
    on = START + 5 * D
    position = forge(
        o.app,
        (o.case, lambda t: t._assigned(broker_id=o.b, occurred_on=on)),
        (o.b, lambda b: b._case_assigned(trajectory_id=o.case, occurred_on=on)),
    )
    return position, on, o.b, "one-broker"


def _broker_takes_a_held_case(o: Office) -> tuple[int, date, UUID | None, str]:
    on = START + 5 * D
    position = forge(o.app, (o.b, lambda b: b._case_assigned(trajectory_id=o.case, occurred_on=on)))
    return position, on, o.b, "one-broker"


def _contact_after_closure(o: Office) -> tuple[int, date, UUID | None, str]:
    o.app.close_trajectory(o.case, on=START + 5 * D, reason=ClosureReason.MOVED)
    on = START + 6 * D
    position = forge(
        o.app,
        (
            o.case,
            lambda t: t._contact_recorded(
                roles=frozenset({Role.COACH}), channel=Channel.PHONE, by=o.a, occurred_on=on
            ),
        ),
    )
    return position, on, None, "within-trajectory-life"


def _progress_before_opening(o: Office) -> tuple[int, date, UUID | None, str]:
    on = START - D
    position = forge(
        o.app,
        (o.case, lambda t: t._progress_measured(scores=Scores({"job_search": 2}), occurred_on=on)),
    )
    return position, on, None, "within-trajectory-life"


def _closure_before_a_late_fact(o: Office) -> tuple[int, date, UUID | None, str]:
    o.app.record_progress(o.case, on=START + 9 * D, scores={"job_search": 2})
    on = START + 5 * D
    position = forge(
        o.app,
        (o.case, lambda t: t._closed(reason=ClosureReason.MOVED, occurred_on=on)),
        (o.a, lambda b: b._case_released(trajectory_id=o.case, occurred_on=on)),
    )
    return position, on, o.a, "within-trajectory-life"


def _assignment_after_leaving(o: Office) -> tuple[int, date, UUID | None, str]:
    o.app.broker_left(o.b, on=START + 5 * D)
    on = START + 6 * D
    position = forge(
        o.app,
        (o.spare, lambda t: t._assigned(broker_id=o.b, occurred_on=on)),
        (o.b, lambda b: b._case_assigned(trajectory_id=o.spare, occurred_on=on)),
    )
    return position + 1, on, o.b, "broker-left"


def _leaving_with_cases(o: Office) -> tuple[int, date, UUID | None, str]:
    on = START + 5 * D
    position = forge(o.app, (o.a, lambda b: b._left(occurred_on=on)))
    return position, on, o.a, "broker-left"


def _contact_after_leaving(o: Office) -> tuple[int, date, UUID | None, str]:
    o.app.broker_left(o.b, on=START + 5 * D)
    on = START + 6 * D
    position = forge(
        o.app,
        (
            o.case,
            lambda t: t._contact_recorded(
                roles=frozenset({Role.COACH}), channel=Channel.PHONE, by=o.b, occurred_on=on
            ),
        ),
    )
    return position, on, o.b, "broker-in-service"


def _leaving_before_own_contact(o: Office) -> tuple[int, date, UUID | None, str]:
    o.app.record_contact(o.case, on=START + 9 * D, roles=Role.COACH, channel=Channel.PHONE, by=o.b)
    on = START + 5 * D
    position = forge(o.app, (o.b, lambda b: b._left(occurred_on=on)))
    return position, on, o.b, "broker-in-service"


def _second_open_trajectory(o: Office) -> tuple[int, date, UUID | None, str]:
    citizen = o.app.trajectory(o.case).citizen
    twin = Trajectory(
        citizen=citizen, pathway=PathwayKind.RESOURCE_PATHWAY, occurred_on=START + 3 * D
    )
    position = o.app.head() + 1
    o.app.wiring.events.save(twin)
    return position, START + 3 * D, None, "one-open-trajectory"


def _trajectory_side_only(o: Office) -> tuple[int, date, UUID | None, str]:
    on = START + 5 * D
    position = forge(o.app, (o.spare, lambda t: t._assigned(broker_id=o.b, occurred_on=on)))
    return position, on, o.b, "assignment-agreement"


def _release_of_a_case_not_held(o: Office) -> tuple[int, date, UUID | None, str]:
    on = START + 5 * D
    position = forge(o.app, (o.b, lambda b: b._case_released(trajectory_id=o.case, occurred_on=on)))
    return position, on, o.b, "assignment-agreement"


def _other_pathway(o: Office) -> tuple[int, date, UUID | None, str]:
    other = o.app.open_trajectory(cpr=next_cpr(), on=START, pathway=PathwayKind.JOB_CLARIFICATION)
    on = START + 5 * D
    position = forge(
        o.app,
        (other, lambda t: t._assigned(broker_id=o.b, occurred_on=on)),
        (o.b, lambda b: b._case_assigned(trajectory_id=other, occurred_on=on)),
    )
    return position + 1, on, o.b, "exclusivity"


def _broker_fact_out_of_date_order(o: Office) -> tuple[int, date, UUID | None, str]:
    o.app.assign(o.spare, o.b, on=START + 9 * D)
    third = o.app.open_trajectory(cpr=next_cpr(), on=START)
    on = START + 5 * D
    position = forge(
        o.app,
        (third, lambda t: t._assigned(broker_id=o.b, occurred_on=on)),
        (o.b, lambda b: b._case_assigned(trajectory_id=third, occurred_on=on)),
    )
    return position + 1, on, o.b, "date-order"


def _unknown_broker(o: Office) -> tuple[int, date, UUID | None, str]:
    stranger, on = uuid4(), START + 5 * D
    position = forge(o.app, (o.spare, lambda t: t._assigned(broker_id=stranger, occurred_on=on)))
    return position, on, stranger, "known-aggregate"


def _colleague_contact(o: Office, colleague: UUID, on: date) -> int:
    return forge(
        o.app,
        (
            o.case,
            lambda t: t._contact_recorded(
                roles=frozenset({Role.AUTHORITY}),
                channel=Channel.MEETING,
                by=colleague,
                occurred_on=on,
            ),
        ),
    )


def _colleague_contact_after_leaving(o: Office) -> tuple[int, date, UUID | None, str]:
    carl = o.app.register_colleague(name="Carl", team="T", on=START)
    o.app.colleague_left(carl, on=START + 5 * D)
    on = START + 6 * D
    return _colleague_contact(o, carl, on), on, None, "colleague-in-service"


def _colleague_contact_before_registering(o: Office) -> tuple[int, date, UUID | None, str]:
    carl = o.app.register_colleague(name="Carl", team="T", on=START + 5 * D)
    on = START + 4 * D
    return _colleague_contact(o, carl, on), on, None, "colleague-in-service"


def _colleague_leaving_before_own_contact(o: Office) -> tuple[int, date, UUID | None, str]:
    carl = o.app.register_colleague(name="Carl", team="T", on=START)
    o.app.record_contact(
        o.case, on=START + 9 * D, roles=Role.AUTHORITY, channel=Channel.PHONE, by=carl
    )
    on = START + 5 * D
    position = forge(o.app, (carl, lambda c: c._left(occurred_on=on)))
    return position, on, None, "colleague-in-service"


def _colleague_leaving_twice(o: Office) -> tuple[int, date, UUID | None, str]:
    carl = o.app.register_colleague(name="Carl", team="T", on=START)
    o.app.colleague_left(carl, on=START + 5 * D)
    on = START + 6 * D
    position = forge(o.app, (carl, lambda c: c._left(occurred_on=on)))
    return position, on, None, "colleague-in-service"


def _employer_activity_before_opening(o: Office) -> tuple[int, date, UUID | None, str]:
    on = START - D
    position = forge(
        o.app,
        (
            o.case,
            lambda t: t._employer_activity_started(
                kind=EmployerActivityKind.COMPANY_INTERNSHIP, ends_on=None, occurred_on=on
            ),
        ),
    )
    return position, on, None, "within-trajectory-life"


def _employer_activity_after_closure(o: Office) -> tuple[int, date, UUID | None, str]:
    o.app.close_trajectory(o.case, on=START + 5 * D, reason=ClosureReason.MOVED)
    on = START + 6 * D
    position = forge(
        o.app,
        (
            o.case,
            lambda t: t._employer_activity_started(
                kind=EmployerActivityKind.WAGE_SUBSIDY_JOB, ends_on=on + 90 * D, occurred_on=on
            ),
        ),
    )
    return position, on, None, "within-trajectory-life"


FORGERIES: dict[str, Callable[[Office], tuple[int, date, UUID | None, str]]] = {
    "second broker for a trajectory": _second_broker,
    "broker takes a case another holds": _broker_takes_a_held_case,
    "contact after closure": _contact_after_closure,
    "progress before opening": _progress_before_opening,
    "closure before a late fact": _closure_before_a_late_fact,
    "assignment after leaving": _assignment_after_leaving,
    "leaving with cases": _leaving_with_cases,
    "contact after leaving": _contact_after_leaving,
    "leaving before own contact": _leaving_before_own_contact,
    "second open trajectory": _second_open_trajectory,
    "trajectory side only": _trajectory_side_only,
    "release of a case not held": _release_of_a_case_not_held,
    "other pathway": _other_pathway,
    "broker fact out of date order": _broker_fact_out_of_date_order,
    "unknown broker": _unknown_broker,
    "colleague's contact after leaving": _colleague_contact_after_leaving,
    "colleague's contact before registering": _colleague_contact_before_registering,
    "colleague leaving before own contact": _colleague_leaving_before_own_contact,
    "colleague leaving twice": _colleague_leaving_twice,
    "employer activity before opening": _employer_activity_before_opening,
    "employer activity after closure": _employer_activity_after_closure,
}


@pytest.mark.parametrize("forgery", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_log_written_outside_the_rules_is_reported_at_the_offending_event(
    forgery: Callable[[Office], tuple[int, date, UUID | None, str]],
) -> None:
    """One event written past the checks is the first violation found: its rule, log
    position, business date and broker."""
    o = _office()
    with o.app:
        clean = check_rules(o.app.history(), today=TODAY)
        position, on, broker, rule = forgery(o)
        report = check_rules(o.app.history(), today=TODAY)
    assert clean.ok
    assert rule in RULES
    assert not report.ok
    assert report.violations[0].position == position
    assert (rule, position, on, broker) in found(report)
    for violation in report.violations:
        assert violation.message.startswith(f"{violation.rule}: ")


def test_every_event_class_is_checked_or_knowingly_passed_over() -> None:
    """Each event class of the programme is decided on by its rule book: a handler, or the
    explicit "no rule applies"; none is both (the registry test walks every programme)."""
    every = {
        member
        for aggregate in RESOURCE_PATHWAY.aggregates
        for name, member in vars(aggregate).items()
        if isinstance(member, type)
        and issubclass(member, aggregate.Event)
        and name not in ("Event", "Created")
    }
    handled = set(RESOURCE_PATHWAY.rules.handlers())
    assert all(RESOURCE_PATHWAY.rules.decides(kind) for kind in every)
    assert handled & RESOURCE_PATHWAY.rules.no_rule == set()
    assert Colleague.Registered in handled
    assert Trajectory.EmployerActivityStarted in handled


def test_an_employer_activity_or_a_colleague_dated_after_today_is_reported() -> None:
    """future-date applies to the new events as to every other."""
    with new_app() as app:
        case = app.open_trajectory(cpr=next_cpr(), on=START)
        app.record_employer_activity(
            case, on=START + 10 * D, kind=EmployerActivityKind.OTHER_COMPANY_BASED
        )
        app.register_colleague(name="Carl", team="T", on=START + 11 * D)
        report = check_rules(app.history(), today=START + 9 * D)
        positions = {type(e): p for p, e in app.history()}
    assert ("future-date", positions[Trajectory.EmployerActivityStarted], START + 10 * D, None) in (
        found(report)
    )
    assert ("future-date", positions[Colleague.Registered], START + 11 * D, None) in found(report)


def test_a_business_date_after_today_is_reported() -> None:
    """Checked for a day, the log may hold no event dated after it."""
    with new_app() as app:
        register(app, on=START + 10 * D)
        report = check_rules(app.history(), today=START + 9 * D)
        registered = next(p for p, e in app.history() if isinstance(e, Broker.Registered))
        assert check_rules(app.history(), today=TODAY).ok
    assert ("future-date", registered, START + 10 * D, None) in found(report)


def test_the_report_keeps_the_first_violations_and_counts_them_all() -> None:
    """Many violations: the first `keep` by position are kept, all are counted."""
    with new_app() as app:
        broker = register(app)
        strangers = [uuid4() for _ in range(7)]
        for stranger in strangers:
            forge(
                app,
                (
                    broker,
                    lambda b, s=stranger: b._case_released(trajectory_id=s, occurred_on=START),
                ),
            )
        report = check_rules(app.history(), keep=3)
    assert report.total_violations == 7
    assert [v.position for v in report.violations] == sorted(v.position for v in report.violations)
    assert len(report.violations) == 3
    assert report.violations[0].position == 4
    assert "7 violations" in report.summary


def test_messages_carry_ids_and_numbers_never_names_or_pseudonyms() -> None:
    """A violation's message names the rule, ids, dates and numbers only."""
    with new_app() as app:
        broker = app.register_broker(name="Hanne Hansen", team="Team Nord", on=START)
        case = app.open_trajectory(cpr="0101901234", on=START)
        citizen = app.trajectory(case).citizen
        app.assign(case, broker, on=START)
        app.set_caseload_policy(limit_per_fte=1, effective_from=START, on=START)
        forge(
            app,
            (
                case,
                lambda t: t._progress_measured(
                    scores=Scores({"job_search": 1}), occurred_on=START - D
                ),
            ),
        )
        forge(app, (broker, lambda b: b._fte_changed(fte=Decimal("0.5"), occurred_on=START + D)))
        report = check_rules(app.history())
    assert {v.rule for v in report.violations} == {"caseload-limit", "within-trajectory-life"}
    for violation in report.violations:
        for secret in ("Hanne", "Hansen", "Nord", "0101901234", "010190", citizen):
            assert secret not in violation.message

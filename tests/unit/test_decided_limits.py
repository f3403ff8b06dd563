"""A caseload limit binds from the day it is decided, not from the day it takes effect.

A case taken today is held on every later day, those of limits decided for next month
included. So `assign`, `transfer` and `change_fte` refuse what would break any limit already
decided for any later day, naming that day and limit, and a history of accepted commands
never shows a breach once those days come, unless management lowered a limit below a
caseload (which `set_caseload_policy` records on purpose): then `verify` blames the policy,
on exactly the days the caseload report shows.

The oracle is plain Python: per broker, the cases held at the end of each day, against the
lowest limit of every policy decided so far, day by day.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import UUID

import attrs
from hypothesis import event as note
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload import BrokerHoldsCases, Caseload, CaseloadError, CaseloadLimitExceeded, ClosureReason
from caseload.audit import check_rules
from caseload.domain.policy import DEFAULT_POLICY, CaseloadPolicy
from tests.conftest import KEY
from tests.unit._support import next_cpr

START = date(2025, 1, 6)
D = timedelta(days=1)
FTES = (Decimal("0.1"), Decimal("0.2"), Decimal("0.3"))


# ----------------------------------------------------------------- the oracle


@attrs.define
class Model:
    """What the commands accepted so far say, kept as plain lists of dated facts."""

    today: date = START
    policies: list[CaseloadPolicy] = attrs.Factory(lambda: [DEFAULT_POLICY])
    """Every policy decided so far, in the order decided (a later one for a date wins)."""
    cases: dict[UUID, list[tuple[date, int, UUID]]] = attrs.Factory(dict)
    """Per broker: (day, +1 taken / -1 given up, trajectory)."""
    ftes: dict[UUID, list[tuple[date, Decimal]]] = attrs.Factory(dict)
    latest: dict[UUID, date] = attrs.Factory(dict)
    """The latest business date of a broker's or a trajectory's facts (kept in date order)."""
    holder: dict[UUID, UUID] = attrs.Factory(dict)

    def per_fte_on(self, day: date, extra: CaseloadPolicy | None = None) -> int:
        kept: dict[date, int] = {}
        for policy in [*self.policies, *([extra] if extra else [])]:
            kept[policy.effective_from] = policy.limit_per_fte
        return kept[max(since for since in kept if since <= day)]

    def held_on(self, broker: UUID, day: date) -> int:
        return sum(sign for on, sign, _ in self.cases[broker] if on <= day)

    def fte_on(self, broker: UUID, day: date) -> Decimal:
        return [fte for since, fte in self.ftes[broker] if since <= day][-1]

    def limit_on(self, broker: UUID, day: date, fte: Decimal | None = None) -> int:
        return int(self.per_fte_on(day) * (fte or self.fte_on(broker, day)) // 1)

    def horizon(self) -> date:
        """A day after every change: from it on, nothing differs from day to day."""
        return max([self.today, *(p.effective_from for p in self.policies)]) + D

    def days(self, first: date) -> list[date]:
        return [first + n * D for n in range((self.horizon() - first).days + 1)]

    def refusal(self, broker: UUID, on: date, more: int, fte: Decimal | None) -> Any:
        """None if `more` cases more (from `on` on, at `fte` if it changes) break no limit on
        any day; else (limit, first day of it): the lowest limit from `on` on, first seen."""
        days = self.days(on)
        broken = [d for d in days if self.held_on(broker, d) + more > self.limit_on(broker, d, fte)]
        if not broken:
            return None
        lowest = min(self.limit_on(broker, d, fte) for d in days)
        return lowest, next(d for d in days if self.limit_on(broker, d, fte) == lowest)

    def over_days(self, last: date) -> set[tuple[UUID, date]]:
        """Every (broker, day) up to `last` ending over the limit in force that day."""
        return {
            (broker, day)
            for broker in self.cases
            for day in (START + n * D for n in range((last - START).days + 1))
            if self.held_on(broker, day) > self.limit_on(broker, day)
        }

    def lowers_below_a_caseload(self, policy: CaseloadPolicy) -> bool:
        """Whether deciding `policy` would put a broker over the limit on a day not over it
        before."""
        before = self.over_days(self.horizon())
        self.policies.append(policy)
        try:
            return bool(self.over_days(self.horizon()) - before)
        finally:
            self.policies.pop()


# ----------------------------------------------------------------- the commands

steps = st.lists(
    st.one_of(
        st.tuples(st.just("wait"), st.integers(1, 6)),
        st.tuples(st.just("assign"), st.integers(0, 1), st.integers(0, 4)),
        st.tuples(st.just("assign"), st.integers(0, 1), st.integers(0, 4)),
        st.tuples(st.just("transfer"), st.integers(0, 50), st.integers(0, 4)),
        st.tuples(st.just("close"), st.integers(0, 50), st.integers(0, 4)),
        st.tuples(st.just("fte"), st.integers(0, 1), st.sampled_from(FTES), st.integers(0, 4)),
        st.tuples(st.just("policy"), st.integers(5, 40), st.integers(0, 6), st.integers(0, 20)),
    ),
    min_size=5,
    max_size=35,
)
"""Commands dated up to 4 days back (late registration), never before a broker's or a
trajectory's latest fact; policies decided up to 6 days back and taking effect 0 to 20 days
after the decision, so recorded before, on and after the day they take effect."""


def limited(
    app: Caseload, command: Any, on: date, expected: Any, error: type[CaseloadError]
) -> bool:
    """Run a command dated `on` that the oracle judged (`expected` is None or (limit, day));
    check that a refusal is `error` naming that limit and day, and that it wrote nothing.
    True if it ran."""
    before = app.head()
    later = expected is not None and expected[1] > on
    refusal: CaseloadError | None = None
    try:
        command()
    except error as caught:
        refusal = caught
    if refusal is None:
        assert expected is None, f"accepted, but the oracle breaks limit {expected}"
        return True
    note(f"refused: {type(refusal).__name__}, by a limit decided for a later day: {later}")
    assert expected is not None, f"refused, but the oracle breaks no limit: {refusal}"
    named = (getattr(refusal, "limit", None), getattr(refusal, "limit_on", None))
    assert named == expected, str(refusal)
    assert str(expected[0]) in str(refusal)
    assert str(expected[1]) in str(refusal)
    assert app.head() == before, "a refused command wrote events"
    return False


def run(app: Caseload, model: Model, plan: list[tuple[Any, ...]], lowering: bool) -> bool:
    """Send the commands of `plan`, judging each by the oracle; True if a policy lowered a
    limit below a caseload."""
    brokers = [
        app.register_broker(name=f"B{n}", team="T", fte=fte, on=START)
        for n, fte in enumerate(FTES[:2])
    ]
    for broker, fte in zip(brokers, FTES, strict=False):
        model.cases[broker], model.ftes[broker], model.latest[broker] = [], [(START, fte)], START
    lowered = False
    for step in plan:
        held = sorted(model.holder)
        match step:
            case ("wait", days):
                model.today += days * D
            case ("assign", who, back):
                broker = brokers[who]
                on = max(model.today - back * D, model.latest[broker])
                case = app.open_trajectory(cpr=next_cpr(), on=on)
                expected = model.refusal(broker, on, 1, None)
                command = partial(app.assign, case, broker, on=on)
                if limited(app, command, on, expected, CaseloadLimitExceeded):
                    model.cases[broker].append((on, 1, case))
                    model.latest[broker] = model.latest[case] = on
                    model.holder[case] = broker
            case ("transfer", pick, back) if held:
                case = held[pick % len(held)]
                giver = model.holder[case]
                taker = next(b for b in brokers if b != giver)
                on = max(model.today - back * D, *(model.latest[k] for k in (giver, taker, case)))
                expected = model.refusal(taker, on, 1, None)
                command = partial(app.transfer, case, to_broker=taker, on=on)
                if limited(app, command, on, expected, CaseloadLimitExceeded):
                    model.cases[giver].append((on, -1, case))
                    model.cases[taker].append((on, 1, case))
                    model.latest[giver] = model.latest[taker] = model.latest[case] = on
                    model.holder[case] = taker
            case ("close", pick, back) if held:
                case = held[pick % len(held)]
                giver = model.holder.pop(case)
                on = max(model.today - back * D, model.latest[giver], model.latest[case])
                app.close_trajectory(case, on=on, reason=ClosureReason.MOVED)
                model.cases[giver].append((on, -1, case))
                model.latest[giver] = on
            case ("fte", who, fte, back):
                broker = brokers[who]
                on = max(model.today - back * D, model.latest[broker])
                expected = model.refusal(broker, on, 0, fte)
                command = partial(app.change_fte, broker, fte=fte, on=on)
                if limited(app, command, on, expected, BrokerHoldsCases):
                    model.ftes[broker].append((on, fte))
                    model.latest[broker] = on
            case ("policy", per_fte, back, delay):
                decided = max(model.today - back * D, START)
                effective = decided + delay * D
                taken = {p.effective_from for p in model.policies}
                if effective in taken and effective <= model.today:
                    continue  # a policy in force is history (InvalidPolicy), tested elsewhere
                policy = CaseloadPolicy(effective, per_fte, f"{per_fte}-from-{effective}")
                lowers = model.lowers_below_a_caseload(policy)
                if lowers and not lowering:
                    continue
                app.set_caseload_policy(
                    limit_per_fte=per_fte, effective_from=effective, name=policy.name, on=decided
                )
                model.policies.append(policy)
                lowered = lowered or lowers
    return lowered


def over_in_violations(report: Any, last: date) -> set[tuple[UUID, date]]:
    """The (broker, day) pairs the caseload-limit violations cover, up to `last`."""
    covered = set()
    for v in report.violations:
        day = v.on
        while day <= (v.through or last):
            covered.add((v.broker, day))
            day += D
    return covered


# ----------------------------------------------------------------- the properties


@settings(deadline=None)
@given(plan=steps, lowering=st.booleans())
def test_commands_refuse_what_would_break_any_limit_already_decided(
    plan: list[tuple[Any, ...]], lowering: bool
) -> None:
    """Every refusal is the oracle's, names the lowest limit from the command's day on and
    the first day it holds, and writes nothing; every acceptance is the oracle's too. Once
    every decided day has come, verify finds no rule broken, or, where management lowered a
    limit below a caseload, only the breaches of that decision: on exactly the oracle's
    days, blamed on the policy, and shown alike by the caseload report."""
    model = Model()
    with Caseload("memory://", pseudonym_key=KEY, clock=lambda: model.today) as app:
        lowered = run(app, model, plan, lowering)
        model.today = model.horizon()
        verified = app.verify()
        report = check_rules(app.history(), today=model.today, keep=10_000)
        breaches = app.caseload_report().breaches
    expected = model.over_days(model.today)
    rules = next(check for check in verified.checks if check.name == "no rule broken on any date")
    note(f"a policy lowered below a caseload: {lowered}")
    assert rules.ok == (not expected), rules.summary
    if not lowered:
        assert not expected
        return
    assert {v.rule for v in report.violations} <= {"caseload-limit"}
    assert {v.event_type for v in report.violations} <= {"Programme.PolicyChanged"}
    assert over_in_violations(report, model.today) == expected
    shown = {
        (breach.broker_id, breach.first_day + n * D)
        for breach in breaches
        for n in range(((breach.last_day or model.today) - breach.first_day).days + 1)
    }
    assert shown == expected

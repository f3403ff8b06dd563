"""`Caseload.verify` reports a broken rule: the check "no rule broken on any date" fails
at the event that broke it, while the log itself and the read models check out.

The rule is broken the one way the commands allow: management lowers the limit below a
broker's caseload (recorded, because it is management's call, and then reported)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import attrs

from caseload import Caseload
from caseload.audit.verify import VerifyReport
from caseload.programmes.resource_pathway.domain.programme import Programme
from tests.conftest import KEY, fixed_clock
from tests.unit._support import START, give_cases

CHAIN = "log unaltered (hash chain and seals)"
RULES = "no rule broken on any date"
READ_MODELS = "read models equal a fresh rebuild"

DECIDED = START + timedelta(days=10)
LOWERED = START + timedelta(days=30)


@attrs.frozen
class Lowered:
    """A store where broker Busy holds 3 cases when the limit drops to 2 on LOWERED."""

    busy: UUID
    policy_position: int
    """The log position of the policy change, found by walking the log for its type."""
    programme_id: UUID
    before_policy: datetime
    """The moment the last event before the policy change was recorded."""


def lower_the_limit_below_a_caseload(app: Caseload) -> Lowered:
    """Busy gets 3 cases and Calm 1 on START; on DECIDED management sets a limit of 2 per
    post from LOWERED, which Busy is over from that day (Calm is not)."""
    busy = app.register_broker(name="Busy", team="T", on=START)
    calm = app.register_broker(name="Calm", team="T", on=START)
    give_cases(app, busy, 3)
    give_cases(app, calm, 1)
    before_policy = list(app.events())[-1].timestamp
    app.set_caseload_policy(limit_per_fte=2, effective_from=LOWERED, on=DECIDED)
    (changed,) = [
        (position, event)
        for position, event in app.history()
        if isinstance(event, Programme.PolicyChanged)
    ]
    position, event = changed
    return Lowered(busy, position, event.originator_id, before_policy)


def checks(report: VerifyReport) -> dict[str, bool]:
    """Whether each check passed, by name."""
    return {check.name: check.ok for check in report.checks}


def assert_the_breach_is_reported(report: VerifyReport, lowered: Lowered) -> None:
    assert not report.ok
    assert checks(report) == {CHAIN: True, RULES: False, READ_MODELS: True}
    (rules,) = [check for check in report.checks if check.name == RULES]
    assert rules.finding is not None
    assert rules.finding.position == lowered.policy_position
    assert rules.finding.event_type == "Programme.PolicyChanged"
    assert rules.finding.aggregate_id == str(lowered.programme_id)
    assert (
        f"broker {lowered.busy} held 3 cases on {LOWERED}, over the limit of 2"
        in rules.finding.message
    )
    assert "Busy" not in rules.finding.message  # names are personal data
    assert "1 violation" in rules.summary


def test_a_lowered_limit_fails_the_rules_check_at_the_policy_change(app: Caseload) -> None:
    """On every kind of store: the chain and the read models pass, the rules check fails
    and names the policy change, the broker, the day and the numbers."""
    lowered = lower_the_limit_below_a_caseload(app)
    app.projections.catch_up(persist=True)
    assert_the_breach_is_reported(app.verify(), lowered)


def test_raising_the_limit_again_does_not_erase_the_breach(app: Caseload) -> None:
    """History is kept: a later, higher limit ends the breach but verify still reports the
    days it lasted, at the policy change that caused it."""
    lowered = lower_the_limit_below_a_caseload(app)
    app.set_caseload_policy(
        limit_per_fte=30, effective_from=LOWERED + timedelta(days=5), on=LOWERED
    )
    assert_the_breach_is_reported(app.verify(), lowered)


def test_a_clean_log_passes_the_rules_check(app: Caseload) -> None:
    """The same store without the policy change breaks no rule."""
    busy = app.register_broker(name="Busy", team="T", on=START)
    give_cases(app, busy, 3)
    report = app.verify()
    assert report.ok, report
    assert checks(report) == {CHAIN: True, RULES: True, READ_MODELS: True}


def test_a_read_only_session_reports_the_breach_only_from_the_policy_on(
    shared_store_url: str,
) -> None:
    """An auditor's session as known before the policy change finds no broken rule; a
    session on the whole log finds the breach at the policy change."""
    with Caseload(shared_store_url, pseudonym_key=KEY, clock=fixed_clock) as writer:
        lowered = lower_the_limit_below_a_caseload(writer)
    url = shared_store_url
    with Caseload.open_readonly(
        url, as_known_at=lowered.before_policy, clock=fixed_clock
    ) as before:
        assert before.head() == lowered.policy_position - 1
        report = before.verify()
        assert report.ok, report
    with Caseload.open_readonly(url, clock=fixed_clock) as auditor:
        assert_the_breach_is_reported(auditor.verify(), lowered)

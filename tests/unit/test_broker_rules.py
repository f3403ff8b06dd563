"""Broker rules through the `Caseload` facade on memory://: limits, FTE, exclusivity, dates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseload import (
    AlreadyAssigned,
    BrokerHasLeft,
    BrokerHoldsCases,
    Caseload,
    CaseloadLimitExceeded,
    Channel,
    DateOutOfRange,
    InvalidFte,
    NotInProgramme,
    PathwayKind,
    Role,
    UnknownBroker,
    UnknownTrajectory,
)
from tests.conftest import KEY, TODAY, fixed_clock
from tests.unit._support import SPAN, START, give_cases, new_app, open_case, register


def not_a_uuid(text: str) -> bool:
    """True when `UUID(text)` would fail."""
    try:
        UUID(text)
    except ValueError:
        return True
    return False


days = st.integers(0, SPAN)


# ----------------------------------------------------------------- the limit


@given(hundredths=st.integers(1, 100), limit_per_fte=st.integers(1, 60))
def test_limit_is_floor_of_limit_per_fte_times_fte(hundredths: int, limit_per_fte: int) -> None:
    """A broker holds exactly floor(limit_per_fte × FTE) cases; the next is refused unwritten."""
    expected = limit_per_fte * hundredths // 100
    with new_app() as app:
        app.configure_programme(name="P", on=START, limit_per_fte=limit_per_fte)
        broker = register(app, fte=Decimal(hundredths) / 100)
        assert app.broker(broker).limit == expected
        give_cases(app, broker, expected)
        extra = open_case(app)
        before = app.head()
        with pytest.raises(CaseloadLimitExceeded) as caught:
            app.assign(extra, broker, on=START)
        assert app.head() == before
        assert f"they hold {expected} of {expected} cases" in str(caught.value)
        assert (caught.value.active_cases, caught.value.limit) == (expected, expected)
        assert len(app.broker(broker).active_cases) == expected
        assert app.trajectory(extra).broker_id is None


@pytest.mark.parametrize(("fte", "limit"), [(1.0, 30), (0.5, 15), (0.33, 9), (0.01, 0)])
def test_default_policy_limits(fte: float, limit: int) -> None:
    """Under the default policy (30 per FTE) 1.0 → 30, 0.5 → 15, 0.33 → 9, 0.01 → 0 cases."""
    with new_app() as app:
        assert app.broker(register(app, fte=fte)).limit == limit


def test_full_time_broker_refuses_the_31st_case() -> None:
    """A full-time broker holding 30 cases is refused the 31st with "30 of 30" in the message."""
    with new_app() as app:
        broker = register(app)
        give_cases(app, broker, 30)
        extra = open_case(app)
        before = app.head()
        with pytest.raises(CaseloadLimitExceeded, match="30 of 30"):
            app.assign(extra, broker, on=START)
        assert app.head() == before


# ----------------------------------------------------------------- FTE


@pytest.mark.parametrize("fte", [0, 0.0, -0.5, -1, 1.01, 2, 0.333, float("nan"), "abc", True, None])
def test_invalid_fte_is_refused_at_registration(fte: object) -> None:
    """An FTE of 0, negative, above 1, finer than hundredths, NaN, text or bool is refused
    with a message that names the rule and the type given, not the value."""
    with new_app() as app:
        before = app.head()
        with pytest.raises(InvalidFte) as caught:
            register(app, fte=fte)
        assert app.head() == before
    message = str(caught.value)
    assert "more than 0 and at most 1" in message
    assert f"a {type(fte).__name__}" in message
    if isinstance(fte, int | float | str) and len(str(fte)) > 2:
        assert str(fte) not in message, "the message names the rule, never the value"


@pytest.mark.parametrize("fte", [0, -0.5, 1.5, 0.333, float("nan"), "abc", True])
def test_invalid_fte_is_refused_on_change(fte: object) -> None:
    """change_fte refuses the same invalid FTEs and leaves the broker as they were."""
    with new_app() as app:
        broker = register(app, fte=0.5)
        before = app.head()
        with pytest.raises(InvalidFte):
            app.change_fte(broker, fte=fte, on=START)
        assert app.head() == before
        assert app.broker(broker).fte == Decimal("0.50")


@given(hundredths=st.integers(1, 100), as_text=st.booleans())
def test_fte_in_hundredths_is_accepted(hundredths: int, as_text: bool) -> None:
    """Any FTE of 0.01 to 1.00 in hundredths (number or text) is accepted and kept exactly."""
    fte = Decimal(hundredths) / 100
    with new_app() as app:
        broker = register(app, fte=str(fte) if as_text else float(fte))
        assert app.broker(broker).fte == fte


@given(
    fte=st.one_of(
        st.decimals(max_value=Decimal(0), allow_nan=False, allow_infinity=False, places=2),
        st.decimals(min_value=Decimal("1.01"), allow_nan=False, allow_infinity=False, places=2),
        st.decimals(min_value=Decimal("0.001"), max_value=Decimal("0.999"), places=3).filter(
            lambda d: d != d.quantize(Decimal("0.01"))
        ),
    )
)
def test_fte_outside_range_or_finer_than_hundredths_is_refused(fte: Decimal) -> None:
    """Any FTE ≤ 0, > 1, or with a nonzero thousandth is refused with InvalidFte."""
    with new_app() as app, pytest.raises(InvalidFte, match="FTE"):
        register(app, fte=fte)


# ----------------------------------------------------------------- one broker at a time


@given(first=days, second=days)
def test_same_broker_cannot_take_a_case_twice(first: int, second: int) -> None:
    """Assigning a trajectory to the broker who already holds it is refused (AlreadyAssigned)."""
    first, second = sorted((first, second))
    with new_app() as app:
        broker = register(app)
        case = open_case(app)
        app.assign(case, broker, on=START + timedelta(first))
        before = app.head()
        with pytest.raises(AlreadyAssigned, match=str(case)):
            app.assign(case, broker, on=START + timedelta(second))
        assert app.head() == before
        assert app.broker(broker).active_cases == {case}


@given(first=days, second=days)
def test_assigned_case_cannot_be_assigned_to_another_broker(first: int, second: int) -> None:
    """A trajectory already with broker A is refused for broker B (AlreadyAssigned): transfer it."""
    first, second = sorted((first, second))
    with new_app() as app:
        a, b = register(app, name="A"), register(app, name="B")
        case = open_case(app)
        app.assign(case, a, on=START + timedelta(first))
        before = app.head()
        with pytest.raises(AlreadyAssigned, match="transfer"):
            app.assign(case, b, on=START + timedelta(second))
        assert app.head() == before
        assert app.trajectory(case).broker_id == a
        assert app.broker(b).active_cases == frozenset()


# ----------------------------------------------------------------- leaving


@given(left=days, later=days)
def test_no_assignment_after_leaving(left: int, later: int) -> None:
    """A broker who has left takes no case, whatever the date (BrokerHasLeft)."""
    with new_app() as app:
        broker = register(app)
        app.broker_left(broker, on=START + timedelta(left))
        case = open_case(app)
        before = app.head()
        with pytest.raises(BrokerHasLeft, match=str(START + timedelta(left))):
            app.assign(case, broker, on=START + timedelta(max(left, later)))
        assert app.head() == before


@given(contacts=st.lists(days, min_size=1, max_size=4), left=days)
def test_no_leaving_before_a_contact_already_made(contacts: list[int], left: int) -> None:
    """A broker cannot be recorded as having left before a contact they made (on a case of
    theirs or another broker's): the log would show a contact after leaving. Leaving on or
    after their latest contact is fine."""
    with new_app() as app:
        broker, other = register(app), register(app)
        (case,) = give_cases(app, other, 1)
        for day in contacts:
            app.record_contact(
                case, on=START + timedelta(day), roles=Role.COACH, channel=Channel.PHONE, by=broker
            )
        latest = START + timedelta(max(contacts))
        before = app.head()
        if START + timedelta(left) < latest:
            with pytest.raises(DateOutOfRange, match=f"made a contact on {latest}"):
                app.broker_left(broker, on=START + timedelta(left))
            assert app.head() == before
            assert app.broker(broker).left_on is None
        else:
            app.broker_left(broker, on=START + timedelta(left))
            assert app.broker(broker).left_on == START + timedelta(left)


def test_leaving_checks_contacts_in_a_sql_store(store_url: str) -> None:
    """The search for a broker's contacts runs in the database on SQLite and PostgreSQL."""
    with Caseload(store_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        broker, other = register(app), register(app)
        (case,) = give_cases(app, other, 1)
        app.record_contact(
            case, on=START + timedelta(9), roles=Role.MENTOR_LIKE, channel=Channel.PHONE, by=other
        )
        app.record_contact(
            case, on=START + timedelta(5), roles=Role.COACH, channel=Channel.PHONE, by=broker
        )
        with pytest.raises(DateOutOfRange, match=f"made a contact on {START + timedelta(5)}"):
            app.broker_left(broker, on=START + timedelta(4))
        app.broker_left(broker, on=START + timedelta(5))
        assert app.broker(broker).left_on == START + timedelta(5)


@given(count=st.integers(1, 6))
def test_leaving_while_holding_cases_is_refused(count: int) -> None:
    """A broker holding cases cannot leave; the error lists the cases, also in `.cases`."""
    with new_app() as app:
        broker = register(app)
        cases = give_cases(app, broker, count)
        before = app.head()
        with pytest.raises(BrokerHoldsCases) as caught:
            app.broker_left(broker, on=TODAY)
        assert app.head() == before
        assert caught.value.cases == tuple(sorted(cases))
        assert f"holding {count} cases" in str(caught.value)
        for case in cases:
            assert str(case) in str(caught.value)
        assert app.broker(broker).left_on is None


# ----------------------------------------------------------------- FTE changes


@given(count=st.integers(0, 30), hundredths=st.integers(1, 100))
def test_fte_change_must_keep_the_caseload_within_the_limit(count: int, hundredths: int) -> None:
    """change_fte is refused iff the held cases exceed floor(30 × new FTE); else it applies."""
    new_fte = Decimal(hundredths) / 100
    new_limit = 30 * hundredths // 100
    with new_app() as app:
        broker = register(app)
        cases = give_cases(app, broker, count)
        before = app.head()
        if count > new_limit:
            with pytest.raises(BrokerHoldsCases) as caught:
                app.change_fte(broker, fte=new_fte, on=TODAY)
            assert app.head() == before
            assert f"the limit would be {new_limit}" in str(caught.value)
            assert f"hold {count} cases" in str(caught.value)
            assert caught.value.cases == tuple(sorted(cases))
            assert app.broker(broker).fte == Decimal("1.00")
        else:
            app.change_fte(broker, fte=new_fte, on=TODAY)
            assert app.broker(broker).fte == new_fte
            assert app.broker(broker).limit == new_limit


# ----------------------------------------------------------------- exclusivity


def test_job_clarification_case_is_not_for_a_resource_pathway_broker() -> None:
    """A job-clarification trajectory cannot go to a broker of the default programme."""
    with new_app() as app:
        broker = register(app)
        case = open_case(app, pathway=PathwayKind.JOB_CLARIFICATION)
        before = app.head()
        with pytest.raises(NotInProgramme, match="job_clarification"):
            app.assign(case, broker, on=START)
        assert app.head() == before
        assert app.trajectory(case).broker_id is None


@given(programme=st.sampled_from(PathwayKind), case_kind=st.sampled_from(PathwayKind))
def test_brokers_hold_only_their_programmes_pathway(
    programme: PathwayKind, case_kind: PathwayKind
) -> None:
    """A trajectory can be assigned iff its pathway is the programme's; else NotInProgramme."""
    with new_app() as app:
        app.configure_programme(name="P", on=START, pathway=programme)
        broker = register(app)
        case = open_case(app, pathway=case_kind)
        if programme is case_kind:
            app.assign(case, broker, on=START)
            assert app.broker(broker).active_cases == {case}
        else:
            before = app.head()
            with pytest.raises(NotInProgramme):
                app.assign(case, broker, on=START)
            assert app.head() == before


# ----------------------------------------------------------------- date order


@given(first=days, second=days)
def test_broker_history_is_kept_in_date_order(first: int, second: int) -> None:
    """An assignment dated before the broker's latest event is refused (DateOutOfRange)."""
    with new_app() as app:
        broker = register(app)
        early, late = open_case(app), open_case(app)
        app.assign(early, broker, on=START + timedelta(first))
        before = app.head()
        if second < first:
            with pytest.raises(DateOutOfRange, match=str(START + timedelta(first))):
                app.assign(late, broker, on=START + timedelta(second))
            assert app.head() == before
        else:
            app.assign(late, broker, on=START + timedelta(second))
            assert app.broker(broker).active_cases == {early, late}


# ----------------------------------------------------------------- dated policies


@given(limit=st.integers(1, 60), effective=st.integers(1, SPAN + 30))
def test_policy_in_force_depends_on_the_date(limit: int, effective: int) -> None:
    """With a policy from D, limit_in_force is 30 before D and the new limit on and after D."""
    day = START + timedelta(effective)
    with new_app() as app:
        app.set_caseload_policy(limit_per_fte=limit, effective_from=day, on=START)
        assert app.limit_in_force(on=day - timedelta(1)).limit_per_fte == 30
        assert app.limit_in_force(on=day).limit_per_fte == limit
        assert app.limit_in_force(on=day + timedelta(400)).limit_per_fte == limit


@given(limit=st.integers(1, 29), effective=st.integers(1, SPAN))
def test_an_assignment_must_fit_every_limit_in_force_from_its_date_until_today(
    limit: int, effective: int
) -> None:
    """A case assigned on a day is held on every day after it: an assignment dated before a
    lower limit took effect is refused when it would break that limit once in force."""
    day = START + timedelta(effective)
    with new_app() as app:
        app.set_caseload_policy(limit_per_fte=limit, effective_from=day, on=START)
        broker = register(app)
        give_cases(app, broker, limit, on=day - timedelta(1))
        extra = open_case(app)
        before = app.head()
        with pytest.raises(CaseloadLimitExceeded, match=f"{limit} of {limit} cases") as refusal:
            app.assign(extra, broker, on=day - timedelta(1))
        assert f"from-{day}" in str(refusal.value)
        assert app.head() == before


def test_policy_of_twenty_from_a_date() -> None:
    """With 20 per FTE from D, the limit in force is 30 before D and 20 from D on; a 21st
    case dated on D is refused."""
    day = date(2025, 3, 1)
    with new_app() as app:
        app.set_caseload_policy(limit_per_fte=20, effective_from=day, on=START)
        assert app.limit_in_force(on=date(2025, 2, 28)).limit_per_fte == 30
        assert app.limit_in_force(on=day).limit_per_fte == 20
        broker = register(app)
        give_cases(app, broker, 20, on=day)
        extra = open_case(app)
        before = app.head()
        with pytest.raises(CaseloadLimitExceeded, match="20 of 20"):
            app.assign(extra, broker, on=day)
        assert app.head() == before


def test_a_limit_decided_for_a_later_date_binds_from_the_day_it_is_decided() -> None:
    """A lower limit decided on 10 March for 1 April refuses, from 10 March on, an
    assignment that would break it on 1 April (the case is still held then): the refusal
    names that day and limit, and nothing is written. The same holds once it is in force."""
    today, lowered = date(2025, 3, 10), date(2025, 4, 1)
    for clock in (today, date(2025, 4, 2)):
        with Caseload("memory://", pseudonym_key=KEY, clock=lambda c=clock: c) as app:
            broker = app.register_broker(name="B", team="T", on=today)
            app.set_caseload_policy(limit_per_fte=1, effective_from=lowered, on=today)
            first = app.open_trajectory(cpr="0101901234", on=today)
            app.assign(first, broker, on=today)
            second = app.open_trajectory(cpr="0201901234", on=today)
            before = app.head()
            with pytest.raises(CaseloadLimitExceeded, match="1 of 1 cases") as refusal:
                app.assign(second, broker, on=today)
            assert app.head() == before
            assert (refusal.value.limit, refusal.value.limit_on) == (1, lowered)
            assert f"the most allowed from {lowered}" in str(refusal.value)
            assert app.broker(broker).active_cases == {first}


def test_an_fte_cut_must_fit_a_limit_decided_for_a_later_date() -> None:
    """An FTE cut that fits today's limit but not one already decided for a later day is
    refused with `BrokerHoldsCases`, naming that day and the limit the new FTE would give."""
    today, lowered = date(2025, 3, 10), date(2025, 4, 1)
    with Caseload("memory://", pseudonym_key=KEY, clock=lambda: today) as app:
        broker = app.register_broker(name="B", team="T", on=today)
        app.set_caseload_policy(limit_per_fte=10, effective_from=lowered, on=today)
        give_cases(app, broker, 6, on=today)
        before = app.head()
        with pytest.raises(BrokerHoldsCases, match=f"the limit would be 5 from {lowered}") as cut:
            app.change_fte(broker, fte=0.5, on=today)
        assert app.head() == before
        assert (cut.value.limit, cut.value.limit_on) == (5, lowered)
        app.change_fte(broker, fte=0.6, on=today)
        assert app.broker(broker).fte == Decimal("0.60")


# ----------------------------------------------------------------- transfers


@given(limit=st.integers(1, 5), held=st.integers(0, 5))
def test_transfer_enforces_the_receivers_limit(limit: int, held: int) -> None:
    """A transfer to a full broker is refused and changes nothing; otherwise the case moves."""
    held = min(held, limit)
    with new_app() as app:
        app.configure_programme(name="P", on=START, limit_per_fte=limit)
        a, b = register(app, name="A"), register(app, name="B")
        (case,) = give_cases(app, a, 1)
        b_cases = set(give_cases(app, b, held))
        if held == limit:
            before = app.head()
            with pytest.raises(CaseloadLimitExceeded, match=f"{limit} of {limit} cases"):
                app.transfer(case, to_broker=b, on=TODAY)
            assert app.head() == before
            assert app.broker(a).active_cases == {case}
            assert app.broker(b).active_cases == b_cases
            assert app.trajectory(case).broker_id == a
        else:
            app.transfer(case, to_broker=b, on=TODAY)
            assert app.broker(a).active_cases == frozenset()
            assert app.broker(b).active_cases == b_cases | {case}


# ----------------------------------------------------------------- unknown ids


@given(unknown=st.uuids())
def test_unknown_uuids_are_unknown(unknown: UUID) -> None:
    """A random UUID is an UnknownBroker or UnknownTrajectory, naming the id."""
    with new_app() as app:
        broker = register(app)
        case = open_case(app)
        before = app.head()
        with pytest.raises(UnknownBroker, match=str(unknown)):
            app.assign(case, unknown, on=START)
        with pytest.raises(UnknownTrajectory, match=str(unknown)):
            app.assign(unknown, broker, on=START)
        with pytest.raises(UnknownBroker, match=str(unknown)):
            app.broker(unknown)
        with pytest.raises(UnknownTrajectory, match=str(unknown)):
            app.trajectory(unknown)
        with pytest.raises(UnknownBroker):
            app.broker_left(unknown, on=START)
        assert app.head() == before


@given(text=st.text(max_size=40).filter(not_a_uuid))
def test_non_uuid_ids_are_unknown(text: str) -> None:
    """A string that is not a UUID is refused as UnknownBroker / UnknownTrajectory."""
    with new_app() as app:
        broker = register(app)
        case = open_case(app)
        before = app.head()
        with pytest.raises(UnknownBroker, match="is a UUID"):
            app.assign(case, text, on=START)  # type: ignore[arg-type]
        with pytest.raises(UnknownTrajectory, match="a trajectory id is a UUID"):
            app.assign(text, broker, on=START)  # type: ignore[arg-type]
        with pytest.raises(UnknownBroker):
            app.change_fte(text, fte=0.5, on=START)  # type: ignore[arg-type]
        assert app.head() == before


def test_ids_of_the_wrong_kind_are_unknown() -> None:
    """A trajectory's id is not a broker id, and a broker's id is not a trajectory id."""
    with new_app() as app:
        broker = register(app)
        case = open_case(app)
        with pytest.raises(UnknownBroker, match="not a broker"):
            app.broker(case)
        with pytest.raises(UnknownTrajectory, match="not a trajectory"):
            app.trajectory(broker)


@pytest.mark.parametrize("cpr", ["0101901234", "010190-1234"])
def test_a_cpr_given_as_an_id_is_not_echoed(cpr: str) -> None:
    """A CPR number passed where an id belongs is refused without repeating it."""
    with new_app() as app:
        broker = register(app)
        for call in (
            lambda: app.trajectory(cpr),  # type: ignore[arg-type]
            lambda: app.broker(cpr),  # type: ignore[arg-type]
            lambda: app.assign(cpr, broker, on=START),  # type: ignore[arg-type]
        ):
            with pytest.raises((UnknownTrajectory, UnknownBroker)) as refusal:
                call()
            assert cpr not in str(refusal.value)
            assert cpr.replace("-", "")[:6] not in str(refusal.value)


@pytest.mark.parametrize("bad", ["Anna\nB", "Team\rC", "tab\there", "nul\x00", "del\x7f"])
def test_names_and_teams_are_single_lines_of_text(bad: str) -> None:
    """Names, teams and policy names are printed in tables and written to CSV files: a
    control character (a line break above all) is refused, and nothing is written."""
    from caseload import InvalidPolicy, InvalidValue

    with new_app() as app:
        before = app.head()
        with pytest.raises(InvalidValue, match="control characters"):
            app.register_broker(name=bad, team="T", on=START)
        with pytest.raises(InvalidValue, match="control characters"):
            app.register_broker(name="B", team=bad, on=START)
        with pytest.raises(InvalidPolicy, match="control characters"):
            app.set_caseload_policy(limit_per_fte=30, effective_from=TODAY, name=bad, on=TODAY)
        assert app.head() == before

"""Policies that keep history honest, one pseudonym key per store, and bad input refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import PersistenceError
from hypothesis import given
from hypothesis import strategies as st

from caseload import (
    Caseload,
    CaseloadError,
    CaseloadLimitExceeded,
    Channel,
    ConfigurationError,
    IndicatorSet,
    InvalidPolicy,
    ProgrammeAlreadyConfigured,
    Role,
)
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.programmes.resource_pathway.kind import KIND as RESOURCE_PATHWAY
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from tests.conftest import KEY, TODAY, fixed_clock

START = date(2025, 1, 6)


def new_app(**options: Any) -> Caseload:
    return Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock, **options)


def test_a_policy_cannot_take_effect_before_it_was_decided() -> None:
    """A policy dated to take effect before its decision date is refused (no rewriting
    of the past), and nothing is written."""
    with new_app() as app:
        with pytest.raises(InvalidPolicy, match="before it was decided"):
            app.set_caseload_policy(
                limit_per_fte=10, effective_from=date(2025, 1, 1), on=date(2025, 2, 1)
            )
        assert app.head() == 0


def test_a_policy_in_force_is_not_replaced_but_a_future_one_may_be() -> None:
    """A policy that has taken effect is history; one that has not may still be replaced."""
    with new_app() as app:
        app.set_caseload_policy(limit_per_fte=20, effective_from=START, on=START)
        before = app.head()
        with pytest.raises(InvalidPolicy, match="in force is history"):
            app.set_caseload_policy(limit_per_fte=10, effective_from=START, on=START)
        assert app.head() == before
    future = TODAY + timedelta(days=30)
    with new_app() as app:
        app.set_caseload_policy(limit_per_fte=20, effective_from=future, on=TODAY)
        app.set_caseload_policy(limit_per_fte=25, effective_from=future, on=TODAY)
        assert app.limit_in_force(on=future).limit_per_fte == 25


@given(limit=st.one_of(st.integers(max_value=0), st.integers(min_value=1001)))
def test_a_limit_outside_1_to_1000_is_refused(limit: int) -> None:
    """Limits per FTE are whole numbers from 1 to 1000; others are refused, writing nothing."""
    with new_app() as app:
        with pytest.raises(InvalidPolicy, match="from 1 to 1000"):
            app.set_caseload_policy(limit_per_fte=limit, effective_from=START, on=START)
        assert app.head() == 0


def test_a_second_pseudonym_key_is_refused(tmp_path: Path) -> None:
    """A store remembers its pseudonym key by a check value; another key is refused, since
    it would give the same citizen a second identity."""
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    with Caseload(url, pseudonym_key=KEY, clock=fixed_clock) as app:
        app.open_trajectory(cpr="0101901234", on=START)
    with Caseload(url, pseudonym_key="another key of enough length", clock=fixed_clock) as app:
        before = app.head()
        with pytest.raises(ConfigurationError, match="pseudonym key differs"):
            app.open_trajectory(cpr="0101901234", on=START)
        assert app.head() == before
    with (
        Caseload(url, pseudonym_key=KEY, clock=fixed_clock) as app,
        pytest.raises(CaseloadError, match="open trajectory"),
    ):
        app.open_trajectory(cpr="0101901234", on=START)


BAD_CALLS: dict[str, Callable[[Caseload], object]] = {
    "huge fte": lambda app: app.register_broker(name="B", team="T", fte=10**5000, on=START),
    "huge limit": lambda app: app.set_caseload_policy(
        limit_per_fte=10**5000, effective_from=START, on=START
    ),
    "unhashable roles": lambda app: app.record_contact(
        app.open_trajectory(cpr="0101901234", on=START),
        on=START,
        roles=[[1]],  # type: ignore[list-item]
        channel=Channel.PHONE,
        by=app.register_broker(name="B", team="T", on=START),
    ),
    "dict of roles": lambda app: app.record_contact(
        app.open_trajectory(cpr="0201901234", on=START),
        on=START,
        roles={Role.COACH: "x"},  # type: ignore[arg-type]
        channel=Channel.PHONE,
        by=app.register_broker(name="C", team="T", on=START),
    ),
    "text date for limit": lambda app: app.limit_in_force(on="2025-01-01"),  # type: ignore[arg-type]
    "datetime for limit": lambda app: app.limit_in_force(on=datetime(2025, 1, 1)),
    "text true-on": lambda app: app.caseload(as_true_on="2025-01-01"),  # type: ignore[arg-type]
    "number true-on": lambda app: app.role_coverage(as_true_on=20250101),  # type: ignore[arg-type]
    "text known-at": lambda app: app.caseload(as_known_at="2025-01-01"),  # type: ignore[arg-type]
    "bad scale": lambda app: app.configure_programme(
        name="P", on=START, indicators=IndicatorSet(min_score=5, max_score=1)
    ),
}


@pytest.mark.parametrize("call", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_bad_input_is_a_caseload_error(call: Callable[[Caseload], object]) -> None:
    """Each malformed argument raises a CaseloadError subclass, not a bare Python error."""
    with new_app() as app, pytest.raises(CaseloadError):
        call(app)


@pytest.mark.parametrize(
    "options",
    [
        {"max_attempts": "3"},
        {"max_attempts": 0},
        {"max_attempts": True},
        {"pseudonym_key": 12345678901234567},
        {"clock": "today"},
    ],
    ids=str,
)
def test_bad_options_are_refused(options: dict[str, Any]) -> None:
    """Options of the wrong kind are refused when the application is made."""
    settings = {"pseudonym_key": KEY, "clock": fixed_clock, **options}
    with pytest.raises(CaseloadError):
        Caseload("memory://", **settings)


@pytest.mark.parametrize("store", [123, "postgresql://u@[::1/db", "sqlite:///x\x00.db"], ids=repr)
def test_bad_store_urls_are_refused(store: Any) -> None:
    """A store that is not text, a malformed URL, or a NUL byte is an InvalidStoreURL."""
    with pytest.raises(CaseloadError):
        Caseload(store, pseudonym_key=KEY)


def test_a_clock_that_returns_a_datetime_is_refused() -> None:
    """The clock must give a date; a datetime clock is a ConfigurationError on first use."""
    clock: Any = datetime.now
    with (
        Caseload("memory://", pseudonym_key=KEY, clock=clock) as app,
        pytest.raises(ConfigurationError, match=r"must return a datetime\.date"),
    ):
        app.register_broker(name="B", team="T", on=START)


def test_a_date_subclass_is_stored_as_a_plain_date() -> None:
    """A date from a subclass (as time-freezing libraries make) is accepted and stored."""

    class FakeDate(date):
        pass

    with new_app() as app:
        broker = app.register_broker(name="B", team="T", on=FakeDate(2025, 1, 6))
        assert type(app.broker(broker).registered_on) is date


def test_the_programme_is_configured_before_anything_else() -> None:
    """configure_programme refuses once the store holds events."""
    with new_app() as app:
        app.open_trajectory(cpr="0101901234", on=START)
        with pytest.raises(ProgrammeAlreadyConfigured, match="configured once"):
            app.configure_programme(name="P", on=START)


def test_a_simulation_past_today_is_refused_before_writing() -> None:
    """A simulation that would run past today is refused before it writes anything."""
    with new_app() as app:
        with pytest.raises(ConfigurationError, match="after today"):
            simulate(app, SimulationConfig(start=TODAY - timedelta(days=30), months=3))
        assert app.head() == 0


def test_a_failed_snapshot_does_not_fail_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """Snapshots are taken after the events are committed: if one cannot be written, the
    command still succeeds and its events are kept."""
    with new_app() as app:
        broker = app.register_broker(name="B", team="T", on=START)
        assert app.wiring.events.snapshots is not None
        refused: list[object] = []

        def refuse(*args: object, **kwargs: object) -> None:
            refused.append(args)
            raise PersistenceError("disk full")

        monkeypatch.setattr(app.wiring.events.snapshots, "put", refuse)
        case = app.open_trajectory(cpr="0101901234", on=START)
        app.assign(case, broker, on=START)
        for _ in range(60):  # past the snapshot interval of 50 events
            app.record_contact(case, on=START, roles={Role.COACH}, channel=Channel.PHONE, by=broker)
        assert refused, "no snapshot was attempted, so the failure was never tried"
        assert app.trajectory(case).broker_id == broker
        contacts = [e for e in app.events() if isinstance(e, Trajectory.ContactRecorded)]
        assert len(contacts) == 60


def test_an_assignment_racing_a_policy_change_is_retried_on_the_new_limit(
    sqlite_url: str,
) -> None:
    """An assignment that read the programme before a lower limit was committed conflicts
    with the policy change and, retried on fresh state, is refused by the new limit."""
    with Caseload(sqlite_url, pseudonym_key=KEY, clock=fixed_clock) as writer:
        broker = writer.register_broker(name="B", team="T", on=START)
        cases = [writer.open_trajectory(cpr=f"{d:02d}0190{d:04d}", on=START) for d in range(1, 4)]
        writer.assign(cases[0], broker, on=START)
        writer.assign(cases[1], broker, on=START)
        with Caseload(sqlite_url, clock=fixed_clock) as racer:
            repository = racer.wiring.events.repository
            programme = racer.wiring.programme_id(RESOURCE_PATHWAY)
            assert programme is not None
            stale = {programme: repository.get(programme), broker: repository.get(broker)}
            writer.set_caseload_policy(limit_per_fte=2, effective_from=START, on=START)
            real_get = repository.get
            served: list[Any] = []

            def stale_first(aggregate_id: Any, **options: Any) -> Any:
                # Each aggregate is served once as it stood before the policy change, as
                # to a writer that loaded it just before the other committed.
                if aggregate_id in stale and aggregate_id not in served:
                    served.append(aggregate_id)
                    return stale[aggregate_id]
                return real_get(aggregate_id, **options)

            repository.get = stale_first  # type: ignore[method-assign]
            before = racer.head()
            with pytest.raises(CaseloadLimitExceeded, match="2 of 2"):
                racer.assign(cases[2], broker, on=START)
            assert served == [programme, broker]
            assert racer.head() == before

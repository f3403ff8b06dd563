"""The same behaviour on memory, a SQLite file and PostgreSQL: persistence, atomicity, refusals."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from caseload import (
    AlreadyAssigned,
    Caseload,
    CaseloadLimitExceeded,
    Channel,
    ClosureReason,
    ConcurrencyConflict,
    Role,
    TrajectoryAlreadyOpen,
    TrajectoryClosed,
)
from caseload.programmes.resource_pathway.domain.broker import Broker
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from tests.conftest import KEY, fixed_clock

DAY = date(2025, 2, 3)


def test_events_survive_reopening_the_store(store_url: str) -> None:
    """What one application wrote, a new application on the same store reads back."""
    if store_url == "memory://":
        pytest.skip("memory:// lives only as long as its application")
    with Caseload(store_url, pseudonym_key=KEY, clock=fixed_clock) as first:
        broker = first.register_broker(name="Broker 1", team="Team A", fte=0.5, on=DAY)
        trajectory = first.open_trajectory(cpr="0101901234", on=DAY)
        first.assign(trajectory, broker, on=DAY)
        head = first.head()
    with Caseload(store_url, pseudonym_key=KEY, clock=fixed_clock) as second:
        assert second.head() == head
        assert second.broker(broker).active_cases == {trajectory}
        assert second.trajectory(trajectory).broker_id == broker
        with pytest.raises(TrajectoryAlreadyOpen):
            second.open_trajectory(cpr="0101901234", on=DAY)


def test_refused_commands_write_nothing(app: Caseload) -> None:
    """Each kind of refusal leaves the log exactly as it was, on every store."""
    broker = app.register_broker(name="Broker 1", team="Team A", fte=0.05, on=DAY)
    first = app.open_trajectory(cpr="0101901234", on=DAY)
    second = app.open_trajectory(cpr="0201901234", on=DAY)
    app.assign(first, broker, on=DAY)
    before = app.head()
    with pytest.raises(CaseloadLimitExceeded, match="1 of 1 cases"):
        app.assign(second, broker, on=DAY)
    assert app.head() == before
    app.close_trajectory(first, on=DAY, reason=ClosureReason.MOVED)
    refusals = [
        (TrajectoryClosed, lambda: app.assign(first, broker, on=DAY)),
        (
            TrajectoryClosed,
            lambda: app.record_contact(
                first,
                on=DAY + timedelta(days=1),
                roles={Role.COACH},
                channel=Channel.PHONE,
                by=broker,
            ),
        ),
        (TrajectoryAlreadyOpen, lambda: app.open_trajectory(cpr="0201901234", on=DAY)),
    ]
    for expected, command in refusals:
        before = app.head()
        with pytest.raises(expected):
            command()
        assert app.head() == before, expected.__name__


def test_assign_is_one_atomic_write_when_the_broker_write_loses(sqlite_url: str) -> None:
    """If the broker's half of an assignment loses a race, the trajectory's half is not kept."""
    with Caseload(sqlite_url, pseudonym_key=KEY, clock=fixed_clock, max_attempts=1) as app:
        broker = app.register_broker(name="Broker 1", team="Team A", fte=1.0, on=DAY)
        trajectory = app.open_trajectory(cpr="0101901234", on=DAY)
        stale = app.wiring.events.repository.get(broker)
        other = app.open_trajectory(cpr="0201901234", on=DAY)
        app.assign(other, broker, on=DAY)  # the broker moves on to a newer version
        real_get = app.wiring.events.repository.get

        def stale_get(aggregate_id, **kwargs):  # type: ignore[no-untyped-def]
            return stale if aggregate_id == broker else real_get(aggregate_id, **kwargs)

        app.wiring.events.repository.get = stale_get  # type: ignore[method-assign]
        before = app.head()
        with pytest.raises(ConcurrencyConflict):
            app.assign(trajectory, broker, on=DAY)
        app.wiring.events.repository.get = real_get  # type: ignore[method-assign]
        assert app.head() == before
        assert app.trajectory(trajectory).broker_id is None
        assert app.broker(broker).active_cases == {other}


def test_a_lost_race_is_retried_on_fresh_state(sqlite_url: str) -> None:
    """A writer that loads a stale broker once retries, sees the new state, and succeeds."""
    with Caseload(sqlite_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        broker = app.register_broker(name="Broker 1", team="Team A", fte=1.0, on=DAY)
        trajectory = app.open_trajectory(cpr="0101901234", on=DAY)
        stale = app.wiring.events.repository.get(broker)
        other = app.open_trajectory(cpr="0201901234", on=DAY)
        app.assign(other, broker, on=DAY)
        real_get = app.wiring.events.repository.get
        served_stale = []

        def stale_once(aggregate_id, **kwargs):  # type: ignore[no-untyped-def]
            if aggregate_id == broker and not served_stale:
                served_stale.append(True)
                return stale
            return real_get(aggregate_id, **kwargs)

        app.wiring.events.repository.get = stale_once  # type: ignore[method-assign]
        app.assign(trajectory, broker, on=DAY)
        app.wiring.events.repository.get = real_get  # type: ignore[method-assign]
        assert served_stale == [True]
        assert app.broker(broker).active_cases == {trajectory, other}


def test_long_histories_load_from_snapshots(store_url: str) -> None:
    """A broker with hundreds of events reloads, in a fresh application, to the right state."""
    with Caseload(store_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        broker = app.register_broker(name="Broker 1", team="Team A", fte=1.0, on=DAY)
        kept = app.open_trajectory(cpr="0101901234", on=DAY)
        app.assign(kept, broker, on=DAY)
        for n in range(70):
            day = DAY + timedelta(days=n)
            case = app.open_trajectory(
                cpr=f"{1 + n % 28:02d}{1 + n // 28:02d}85{3000 + n:04d}", on=day
            )
            app.assign(case, broker, on=day)
            app.close_trajectory(case, on=day, reason=ClosureReason.OTHER)
        assert app.wiring.events.snapshots is not None
        snapshots = list(app.wiring.events.snapshots.get(broker))
        assert snapshots, "a broker past 50 events has a snapshot"
        reopened = app if store_url == "memory://" else Caseload(store_url, clock=fixed_clock)
        view = reopened.broker(broker)
        assert view.active_cases == {kept}
        events = [e for e in reopened.events() if e.originator_id == broker]
        assert len(events) == 1 + 1 + 2 * 70
        assert isinstance(events[-1], Broker.CaseReleased)


@pytest.mark.slow
def test_every_store_gives_the_same_reports(tmp_path: Path, postgres_url: str) -> None:
    """One simulation on memory, SQLite and PostgreSQL yields the same caseload and coverage."""
    config = SimulationConfig(brokers=3, citizens=40, months=3, seed=7)
    reports = []
    for url in ("memory://", f"sqlite:///{tmp_path / 'same.db'}", postgres_url):
        with Caseload(url, pseudonym_key=KEY, clock=fixed_clock) as app:
            result = simulate(app, config)
            rows = [
                (r.name, r.team, r.active_cases, r.limit)
                for r in app.caseload(as_true_on=result.end)
            ]
            coverage = app.role_coverage()
            reports.append(
                (
                    app.head(),
                    rows,
                    coverage.active_cases,
                    coverage.share_all_four,
                    coverage.share_all_four_by_assigned_broker,
                    len(result.refused),
                )
            )
    assert reports[0] == reports[1] == reports[2]
    assert reports[0][-1] == 1  # the deliberate 31st assignment


def test_assigning_twice_is_refused_even_across_applications(sqlite_url: str) -> None:
    """A second application on the same file sees the first's assignment and refuses a repeat."""
    with Caseload(sqlite_url, pseudonym_key=KEY, clock=fixed_clock) as first:
        broker = first.register_broker(name="Broker 1", team="Team A", fte=1.0, on=DAY)
        trajectory = first.open_trajectory(cpr="0101901234", on=DAY)
        with Caseload(sqlite_url, clock=fixed_clock) as second:
            second.broker(broker)  # warm the second application's cache
            first.assign(trajectory, broker, on=DAY)
            with pytest.raises(AlreadyAssigned):
                second.assign(trajectory, broker, on=DAY)

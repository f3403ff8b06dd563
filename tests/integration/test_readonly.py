"""Read-only replay sessions: pinned to one log position, refusing every command."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseload import Caseload
from caseload.domain.errors import (
    ConfigurationError,
    InvalidValue,
    ReadOnlySession,
    StoreUnavailable,
)
from tests.conftest import KEY, examples, fixed_clock
from tests.unit._support import START, give_cases, next_cpr, recorded_by


def _writer(url: str) -> Caseload:
    return Caseload(url, pseudonym_key=KEY, clock=fixed_clock)


def test_a_session_keeps_seeing_the_log_it_was_opened_on(shared_store_url: str) -> None:
    with _writer(shared_store_url) as writer:
        broker = writer.register_broker(name="B", team="T", on=START)
        give_cases(writer, broker, 3)
        with Caseload.open_readonly(shared_store_url, clock=fixed_clock) as auditor:
            pinned = auditor.head()
            assert pinned == writer.head()
            before = (auditor.caseload(), auditor.role_coverage(), auditor.broker(broker))
            give_cases(writer, broker, 4)
            writer.projections.catch_up(persist=True)  # a worker moves the stored state on
            assert writer.head() > pinned
            assert auditor.head() == pinned == auditor.pinned_at
            after = (auditor.caseload(), auditor.role_coverage(), auditor.broker(broker))
            assert after == before
            assert auditor.caseload()[0].active_cases == 3
            assert len(list(auditor.history())) == pinned
            assert len(list(auditor.events())) == pinned
            report = auditor.verify()
            assert report.ok, report
            assert report.position == pinned
        assert writer.caseload()[0].active_cases == 7


def test_every_command_is_refused_and_nothing_written(shared_store_url: str) -> None:
    with _writer(shared_store_url) as writer:
        broker = writer.register_broker(name="B", team="T", on=START)
        (case,) = give_cases(writer, broker, 1)
    with Caseload.open_readonly(shared_store_url, clock=fixed_clock) as auditor:
        head = auditor.head()
        attempts = [
            lambda: auditor.register_broker(name="C", team="T", on=START),
            lambda: auditor.open_trajectory(cpr=next_cpr(), on=START),
            lambda: auditor.record_contact(case, on=START, roles={"coach"}, channel="phone"),
            lambda: auditor.set_caseload_policy(limit_per_fte=20, effective=START),
            lambda: auditor.broker_left(broker, on=START),
            auditor.seal,
        ]
        for attempt in attempts:
            with pytest.raises(ReadOnlySession, match="read-only"):
                attempt()
        with pytest.raises(ReadOnlySession):
            auditor.projections.rebuild()
    with _writer(shared_store_url) as writer:
        assert writer.head() == head


def test_a_session_as_known_at_a_past_moment(shared_store_url: str) -> None:
    with _writer(shared_store_url) as writer:
        broker = writer.register_broker(name="B", team="T", on=START)
        known_cases = give_cases(writer, broker, 2)
        known = writer.head()
        moment = recorded_by(writer)
        give_cases(writer, broker, 5)
    with Caseload.open_readonly(shared_store_url, as_known_at=moment, clock=fixed_clock) as auditor:
        assert auditor.head() == known
        assert auditor.caseload()[0].active_cases == 2
        assert auditor.broker(broker).active_cases == frozenset(known_cases)
        assert len(list(auditor.history())) == known


def test_opening_read_only_never_creates_a_store(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    with pytest.raises(StoreUnavailable, match="no such file"):
        Caseload.open_readonly(str(missing))
    assert not missing.exists()
    with pytest.raises(StoreUnavailable, match=r"no store at .*: there is no such directory"):
        Caseload.open_readonly(str(tmp_path / "no-such-dir" / "missing.db"))
    assert not (tmp_path / "no-such-dir").exists()
    with pytest.raises(ConfigurationError, match="in-memory store"):
        Caseload.open_readonly("memory://")
    with pytest.raises(InvalidValue, match="timezone-aware"):
        Caseload.open_readonly(str(missing), as_known_at="2025-01-01")  # type: ignore[arg-type]


def test_an_empty_file_is_not_a_store_and_stays_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(StoreUnavailable, match="holds no caseload event log"):
        Caseload.open_readonly(str(empty))
    assert empty.stat().st_size == 0


def test_a_read_only_session_writes_nothing(sqlite_url: str, tmp_path: Path) -> None:
    """Queries, as-of queries, history and verify on a session leave the file's bytes as
    they were, even on a store whose read models were never written."""
    with _writer(sqlite_url) as writer:
        broker = writer.register_broker(name="B", team="T", on=START)
        give_cases(writer, broker, 3)
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    before = path.read_bytes()
    with Caseload.open_readonly(sqlite_url, clock=fixed_clock) as auditor:
        assert auditor.caseload()[0].active_cases == 3
        assert auditor.caseload(as_true_on=START)[0].active_cases == 3
        assert auditor.verify().ok
        assert len(list(auditor.history())) == auditor.head()
    assert path.read_bytes() == before
    tables = sqlite3.connect(path).execute("SELECT name FROM sqlite_master").fetchall()
    assert ("caseload_read_model_states",) not in tables


@pytest.mark.postgres
def test_a_missing_postgresql_schema_is_not_created(postgres_url: str) -> None:
    from tests.conftest import drop_schema

    url = postgres_url.rsplit("=", 1)[0] + "=readonly_missing_schema"
    drop_schema("readonly_missing_schema")
    with pytest.raises(StoreUnavailable, match="holds no caseload event log"):
        Caseload.open_readonly(url)
    import psycopg

    from caseload.adapters.storage import parse_store_url, postgres_conninfo

    with psycopg.connect(postgres_conninfo(parse_store_url(url).env)) as db:
        found = db.execute(
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s",
            ("readonly_missing_schema",),
        ).fetchall()
    assert found == []


def test_aggregate_views_of_a_session_do_not_trust_snapshots(sqlite_url: str) -> None:
    """Snapshots are an optimisation verify does not cover: a session rebuilds aggregates
    from their events, so an altered snapshot cannot change what an auditor sees."""
    with _writer(sqlite_url) as writer:
        broker = writer.register_broker(name="Alice", team="North", on=START)
        for step in range(60):
            writer.change_fte(broker, fte=0.5 + (step % 2) / 2, on=START)
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        (count,) = db.execute("SELECT COUNT(*) FROM stored_snapshots").fetchone()
        assert count >= 1
        db.execute("UPDATE stored_snapshots SET state = replace(state, 'North', 'South')")
    with Caseload.open_readonly(sqlite_url, clock=fixed_clock) as auditor:
        assert auditor.broker(broker).team == "North"


@pytest.fixture(scope="module")
def projected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated store whose read models, checkpoints and index were written often."""
    from caseload import ProjectionSettings
    from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate

    path = tmp_path_factory.mktemp("pinned") / "projected.db"
    settings = ProjectionSettings(checkpoint_every=25, index_every=8, persist_every=40)
    with Caseload(str(path), pseudonym_key=KEY, projection_settings=settings) as app:
        simulate(app, SimulationConfig(brokers=2, citizens=12, months=2, seed=21))
        app.projections.catch_up(persist=True)
    return path


def _answers(app: Caseload, day: date) -> tuple[object, ...]:
    return (
        app.caseload(as_true_on=day),
        app.role_coverage(as_true_on=day),
        app.outcomes(as_true_on=day),
        app.progression(as_true_on=day),
        app.attention_list(as_true_on=day),
        app.staffing(as_true_on=day),
        app.caseload(),
    )


@settings(
    max_examples=examples(20),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_a_pinned_session_answers_as_a_store_that_stopped_at_its_pin(
    projected: Path, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """Every query of a session pinned at position p equals the same query on a copy of
    the store cut at p and folded from nothing: stored states, checkpoints and index rows
    past the pin never leak into the pinned answers."""
    with sqlite3.connect(projected) as db:
        head = db.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0]
    pin = data.draw(st.integers(1, head), label="pin")
    day = data.draw(st.dates(date(2024, 1, 1), date(2024, 3, 1)), label="as true on")
    cut = tmp_path_factory.mktemp("cut") / "cut.db"
    cut.write_bytes(projected.read_bytes())
    with sqlite3.connect(cut) as db:
        db.execute("DELETE FROM stored_events WHERE rowid > ?", (pin,))
        db.execute("DELETE FROM caseload_chain WHERE position > ?", (pin,))
        for table in (
            "read_model_states",
            "read_model_chunks",
            "checkpoints",
            "log_index",
            "late_events",
        ):
            db.execute(f"DELETE FROM caseload_{table}")
        db.execute("DELETE FROM stored_snapshots")
    clock = lambda: date(2024, 3, 1)  # noqa: E731
    with Caseload.open_readonly(str(projected), clock=clock) as pinned:
        pinned._pin_at(pin)
        expected_session = Caseload.open_readonly(str(cut), clock=clock)
        with expected_session as expected:
            assert _answers(pinned, day) == _answers(expected, day)
            assert pinned.head() == expected.head() == pin

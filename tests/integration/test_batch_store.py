"""A batch on a store that others write too: a write that lost a race keeps nothing of the
batch; a read-only session refuses to open one."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import eventsourcing.sqlite
import pytest

from caseload import Caseload
from caseload.adapters.recorders import BULK_CACHE_KIB
from caseload.domain.errors import ConcurrencyConflict, ReadOnlySession
from tests.conftest import KEY, fixed_clock

DAY = date(2025, 1, 6)


def _app(url: str) -> Caseload:
    return Caseload(url, pseudonym_key=KEY, clock=fixed_clock)


def test_a_write_that_lost_a_race_keeps_nothing_of_the_batch(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'raced.db'}"
    with _app(url) as app, _app(url) as other:
        broker = app.register_broker(name="Broker 1", team="Team A", on=DAY)
        case = app.open_trajectory(cpr="0101901234", on=DAY)
        head = app.head()
        batch = app.batch()
        batch.__enter__()
        app.assign(case, broker, on=DAY)
        app.change_fte(broker, fte=0.5, on=DAY)
        other.assign(case, broker, on=DAY)  # another writer gets there first
        with pytest.raises(ConcurrencyConflict, match="none of its 2 commands"):
            batch.__exit__(None, None, None)
        assert app.head() == other.head() > head  # only the other writer's assignment
        assert app.broker(broker).fte == 1
        assert app.verify().ok


def test_a_read_only_session_refuses_a_batch(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with _app(url) as app:
        app.register_broker(name="Broker 1", team="Team A", on=DAY)
    with Caseload.open_readonly(url, clock=fixed_clock) as session:
        batch = session.batch()
        with pytest.raises(ReadOnlySession):
            batch.__enter__()


def _traced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements every new SQLite connection runs, in order."""
    statements: list[str] = []
    connect = sqlite3.connect

    def traced_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = connect(*args, **kwargs)
        connection.set_trace_callback(statements.append)
        return connection

    monkeypatch.setattr(eventsourcing.sqlite.sqlite3, "connect", traced_connect)
    return statements


def _sync_of_each_commit(statements: list[str]) -> list[str]:
    """The `synchronous` setting in force at each COMMIT (FULL, SQLite's default, until set)."""
    setting, settings = "FULL", []
    for statement in statements:
        if statement.startswith("PRAGMA synchronous = "):
            value = statement.split("= ")[1]
            setting = {"1": "NORMAL", "2": "FULL"}.get(value, value)
        elif statement == "COMMIT":
            settings.append(setting)
    return settings


def _seven_commands(app: Caseload) -> None:
    broker = app.register_broker(name="Broker 1", team="Team A", on=DAY)
    for cpr in ("0101901234", "0101901235", "0101901236"):
        app.assign(app.open_trajectory(cpr=cpr, on=DAY), broker, on=DAY)


def test_a_batch_waits_for_the_disk_at_its_end_not_at_each_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writes a batch makes every `size` commands commit without waiting for the disk;
    the write at the end of the block waits, and with it the log holds all before."""
    statements = _traced(monkeypatch)
    with _app(f"sqlite:///{tmp_path / 'store.db'}") as app:
        del statements[:]
        with app.batch(size=3):
            _seven_commands(app)  # the seventh is left for the end of the block
        assert _sync_of_each_commit(statements) == ["NORMAL", "NORMAL", "FULL"]
        assert app.verify().ok


def test_a_batch_whose_last_write_was_its_own_syncs_the_log_at_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the batch's last write was one it made on its own, nothing is left to write at
    the end of the block: a checkpoint syncs the log instead."""
    statements = _traced(monkeypatch)
    with _app(f"sqlite:///{tmp_path / 'store.db'}") as app:
        del statements[:]
        with app.batch(size=7):
            _seven_commands(app)
        assert _sync_of_each_commit(statements) == ["NORMAL"]
        assert statements[-1] == "PRAGMA wal_checkpoint(FULL)"


def test_a_batch_that_ends_with_an_error_syncs_what_it_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commands a batch wrote before its block failed stay, and are made durable."""
    statements = _traced(monkeypatch)
    with _app(f"sqlite:///{tmp_path / 'store.db'}") as app:
        del statements[:]
        written = 0

        def import_that_stops() -> None:
            nonlocal written
            with app.batch(size=2) as batch:
                _seven_commands(app)  # six written, the seventh dropped
                written = batch.written_events
                raise RuntimeError("the import stopped")

        with pytest.raises(RuntimeError):
            import_that_stops()
        assert statements[-1] == "PRAGMA wal_checkpoint(FULL)"
        assert app.head() == written > 0


def test_a_flush_asked_for_waits_for_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`Batch.flush()` is a durable write, as one write per command is."""
    statements = _traced(monkeypatch)
    with _app(f"sqlite:///{tmp_path / 'store.db'}") as app:
        del statements[:]
        with app.batch() as batch:
            app.register_broker(name="Broker 1", team="Team A", on=DAY)
            batch.flush()
            assert _sync_of_each_commit(statements) == ["FULL"]


def _cache_of_each_commit(statements: list[str]) -> list[int]:
    """The `cache_size` in force at each COMMIT (SQLite's default, -2000, until set)."""
    setting, settings = -2000, []
    for statement in statements:
        if statement.startswith("PRAGMA cache_size = "):
            setting = int(statement.split("= ")[1])
        elif statement == "COMMIT":
            settings.append(setting)
    return settings


def test_a_batch_writes_with_a_larger_page_cache_and_gives_the_setting_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each write of a batch runs with the bulk page cache (its pages of the events' index,
    keyed by random ids, are neither read again nor spilled before the commit); after it
    the connection has SQLite's default setting again, and one command on its own keeps it."""
    statements = _traced(monkeypatch)
    with _app(f"sqlite:///{tmp_path / 'store.db'}") as app:
        del statements[:]
        with app.batch(size=3):
            _seven_commands(app)
        assert _cache_of_each_commit(statements) == [-BULK_CACHE_KIB] * 3
        assert statements.count("PRAGMA cache_size = -2000") == 3
        del statements[:]
        app.register_broker(name="Broker 2", team="Team A", on=DAY)
        assert _cache_of_each_commit(statements) == [-2000]
        assert app.verify().ok

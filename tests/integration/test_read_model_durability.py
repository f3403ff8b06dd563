"""Read-model writes on SQLite skip the wait for the disk: a state write lost to a power cut
is redone from the log by the next catch-up, while the events' own writes stay durable."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from caseload import Caseload
from caseload.adapters.log import LogReader
from caseload.adapters.read_model_sql import SQLProjectionStore
from caseload.adapters.read_model_store import MemoryProjectionStore
from caseload.adapters.storage import parse_store_url
from caseload.programmes import default_read_models
from caseload.projections.runner import Projections
from tests.conftest import KEY, fixed_clock
from tests.integration.test_read_model_versions import START, folded, some_commands, store_of

DERIVED = (
    "caseload_read_model_states",
    "caseload_read_model_chunks",
    "caseload_log_index",
    "caseload_late_events",
    "caseload_checkpoints",
    "caseload_checkpoint_heads",
    "caseload_checkpoint_chunks",
)
"""Every table the read-model store writes: all of it is rebuilt from the log."""


def snapshot(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the read-model tables, as a power cut could leave them."""
    with sqlite3.connect(path) as connection:
        return {table: connection.execute(f"SELECT * FROM {table}").fetchall() for table in DERIVED}


def restore(path: Path, rows: dict[str, list[tuple[object, ...]]]) -> None:
    """Put the read-model tables back as they were: the later writes are lost."""
    connection = sqlite3.connect(path)
    with connection:
        for table, kept in rows.items():
            connection.execute(f"DELETE FROM {table}")
            if kept:
                marks = ", ".join("?" * len(kept[0]))
                connection.executemany(f"INSERT INTO {table} VALUES ({marks})", kept)
    connection.close()


def test_read_model_writes_skip_the_disk_wait_only_in_wal_mode(tmp_path: Path) -> None:
    """A store in WAL mode (as the event store leaves every SQLite file) has its read-model
    commits skip the wait for the disk; a file in another journal mode, where that could
    corrupt it on a power cut, keeps waiting."""
    url = f"sqlite:///{tmp_path / 'events.db'}"
    with Caseload(url, pseudonym_key=KEY, clock=fixed_clock) as app:
        some_commands(app, range(3))
    in_wal = store_of(url)
    assert isinstance(in_wal, SQLProjectionStore)
    assert not in_wal.waits_for_disk
    in_wal.close()

    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).close()
    in_rollback_journal = SQLProjectionStore(parse_store_url(f"sqlite:///{plain}"))
    assert in_rollback_journal.waits_for_disk
    in_rollback_journal.close()


def test_a_lost_last_state_write_is_redone_by_the_next_catch_up(tmp_path: Path) -> None:
    """With the read-model tables put back as they were before the last catch-up's write
    (what a power cut may leave when those writes skip the wait for the disk), a catch-up
    in a new process folds on from the older positions and reaches the digests of a
    rebuild and of a direct fold, and its states read back the same."""
    path = tmp_path / "events.db"
    url = f"sqlite:///{path}"
    with Caseload(url, pseudonym_key=KEY, clock=fixed_clock) as app:
        source = LogReader(app.wiring.events)
        first_store = store_of(url)
        first = Projections(source, first_store, default_read_models())
        some_commands(app, range(4))
        first.catch_up(persist=True)
        before = snapshot(path)
        for step in range(1, 3):
            some_commands(app, range(10 * step, 10 * step + 3), on=START + timedelta(days=step))
            first.catch_up(persist=True)
        first_store.close()
        assert snapshot(path) != before
        restore(path, before)

        expected = folded(list(default_read_models()), app)
        second_store = store_of(url)
        second = Projections(source, second_store, default_read_models())
        lost_from = min(int(row[2]) for row in before["caseload_read_model_states"])
        assert second.catch_up(persist=True) == app.head() - lost_from
        assert second.digests() == expected
        second_store.close()
        third_store = store_of(url)
        third = Projections(source, third_store, default_read_models())
        assert third.catch_up() == 0
        assert third.digests() == expected
        third_store.close()
        rebuilt = Projections(source, MemoryProjectionStore(), default_read_models())
        assert dict(rebuilt.rebuild(batch_size=5).digests) == expected

"""A PostgreSQL store of the 0.1 layout (one whole state per read model in
`caseload_read_models`) is read as it is, and migrated by the first process that writes,
as a SQLite file of that layout is."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from caseload import Caseload
from caseload.adapters.storage import parse_store_url, postgres_conninfo
from tests.integration.test_earlier_store import FIXTURES, TODAY, contains, plain

pytestmark = pytest.mark.postgres

EARLIER_TABLES = (
    "CREATE TABLE caseload_read_models (name TEXT PRIMARY KEY, version INTEGER NOT NULL,"
    " position BIGINT NOT NULL, state BYTEA NOT NULL, digest TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS caseload_checkpoints (name TEXT NOT NULL,"
    " version INTEGER NOT NULL, position BIGINT NOT NULL, state BYTEA NOT NULL,"
    " digest TEXT NOT NULL, PRIMARY KEY (name, version, position))",
    "CREATE TABLE IF NOT EXISTS caseload_log_index (position BIGINT PRIMARY KEY,"
    " max_recorded TEXT NOT NULL, max_occurred TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS caseload_late_events (position BIGINT PRIMARY KEY,"
    " occurred_on TEXT NOT NULL, always_counts INTEGER NOT NULL)",
    "DELETE FROM caseload_log_index",
    "DELETE FROM caseload_late_events",
)
"""The read-model tables of 0.1 (checkpoints, time index and late events as today)."""


def connect(url: str) -> Any:
    """A connection to the store's own schema."""
    import psycopg

    store = parse_store_url(url)
    connection = psycopg.connect(postgres_conninfo(store.env), autocommit=True)
    connection.execute(f'SET search_path TO "{store.schema}"')
    return connection


@pytest.fixture
def earlier_postgres(postgres_url: str, tmp_path: Path) -> str:
    """The 0.1 fixture's events, read-model states, time index and late events in a
    PostgreSQL schema laid out as 0.1 laid it out."""
    source = tmp_path / "store-0.1.db"
    shutil.copyfile(FIXTURES / "store-0.1.db", source)
    with (
        Caseload.open_readonly(source) as reader,
        Caseload(postgres_url, clock=lambda: TODAY) as target,
    ):
        rows = reader.wiring.events.recorder.select_notifications(start=1, limit=10_000)
        target.wiring.events.recorder.insert_events(
            [StoredEvent(n.originator_id, n.originator_version, n.topic, n.state) for n in rows]
        )
    with sqlite3.connect(source) as old:
        states = old.execute(
            "SELECT name, version, position, state, digest FROM caseload_read_models"
        ).fetchall()
        index = old.execute("SELECT * FROM caseload_log_index").fetchall()
        late = old.execute("SELECT * FROM caseload_late_events").fetchall()
    with connect(postgres_url) as db:
        # Today's read-model tables, if the copy made them, give way to 0.1's.
        db.execute("DROP TABLE IF EXISTS caseload_read_model_states")
        db.execute("DROP TABLE IF EXISTS caseload_read_model_chunks")
        for statement in EARLIER_TABLES:
            db.execute(statement)
        with db.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO caseload_read_models VALUES (%s, %s, %s, %s, %s)", states
            )
            cursor.executemany("INSERT INTO caseload_log_index VALUES (%s, %s, %s)", index)
            cursor.executemany("INSERT INTO caseload_late_events VALUES (%s, %s, %s)", late)
    return postgres_url


def tables(url: str) -> set[str]:
    with connect(url) as db:
        found = db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
    return {name for (name,) in found}


def test_an_earlier_postgres_store_is_read_as_it_is_then_migrated(earlier_postgres: str) -> None:
    import json

    expected = json.loads((FIXTURES / "store-0.1-reports.json").read_text())["None"]
    # Read-only: nothing is created or moved; the stored states are read from the old table.
    # (The 0.1 simulation dated the programme's set-up on the day it ran, 2026-11-27: the
    # rules are checked up to the real today, as for the SQLite fixture.)
    with Caseload.open_readonly(earlier_postgres) as app:
        report = app.verify()
        assert report.ok, report
        contains(plain(app.caseload()), expected["caseload"], "read-only")
    assert "caseload_read_models" in tables(earlier_postgres)
    assert "caseload_read_model_states" not in tables(earlier_postgres)
    with connect(earlier_postgres) as db:
        held = set(db.execute("SELECT name, version FROM caseload_read_models").fetchall())
    # The first process that writes moves the states into today's layout, and leaves the
    # old table for the operator to drop.
    with Caseload(earlier_postgres, clock=lambda: TODAY) as app:
        moved = {(s.name, s.version) for s in app.projections.stored_versions()}
        # Every read model's state, beside today's versions of those that changed since
        # (folded on opening); the time index's state is not a read model's.
        assert held - {("log_index", 1)} <= moved
        contains(plain(app.caseload()), expected["caseload"], "migrated")
        contains(plain(app.outcomes()), expected["outcomes"], "migrated")
    with Caseload.open_readonly(earlier_postgres) as app:
        assert app.verify().ok
    assert {"caseload_read_models", "caseload_read_model_states"} <= tables(earlier_postgres)

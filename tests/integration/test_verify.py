"""`Caseload.verify`: tampering with the log is found, and points at the first changed event."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from caseload import Caseload
from caseload.adapters.hashes import GENESIS, link
from caseload.domain.errors import InvalidValue
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from tests.conftest import KEY

ROW = "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated programme with its read models stored, in a SQLite file."""
    path = tmp_path_factory.mktemp("verify") / "template.db"
    with Caseload(str(path), pseudonym_key=KEY) as app:
        simulate(app, SimulationConfig(brokers=2, citizens=6, months=2, seed=9))
        app.projections.catch_up(persist=True)
    return path


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "store.db"
    path.write_bytes(template.read_bytes())
    return path


def test_a_clean_programme_passes_every_check(store: Path) -> None:
    with Caseload(str(store)) as app:
        report = app.verify()
        assert report.ok, report
        assert report.position == app.head()
        assert [check.ok for check in report.checks] == [True, True, True]
        assert report.checks[0].summary.startswith(f"{app.head()} events chained")


# ----------------------------------------------------------------- tampering


@contextmanager
def _tampered(db: sqlite3.Connection, kind: str, rng: random.Random) -> Iterator[int]:
    """Tamper with one or two event rows; yield the position verify must name; undo."""
    rows = db.execute(f"{ROW} ORDER BY rowid").fetchall()
    position, originator_id, version, topic, state = rows[rng.randrange(len(rows))]
    if kind == "byte":
        column = rng.choice(["state", "state", "topic", "originator_id", "originator_version"])
        original: Any = {
            "state": state,
            "topic": topic,
            "originator_id": originator_id,
            "originator_version": version,
        }[column]
        if column == "originator_version":
            changed: Any = version + rng.randrange(1_000, 10_000)
        else:
            data = bytearray(original if isinstance(original, bytes) else original.encode())
            offset = rng.randrange(len(data))
            data[offset] ^= rng.randrange(1, 128)
            changed = bytes(data) if isinstance(original, bytes) else data.decode("latin-1")
        db.execute(f"UPDATE stored_events SET {column} = ? WHERE rowid = ?", (changed, position))
        yield position
        db.execute(f"UPDATE stored_events SET {column} = ? WHERE rowid = ?", (original, position))
    elif kind == "delete":
        db.execute("DELETE FROM stored_events WHERE rowid = ?", (position,))
        yield position
        db.execute(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?, ?)",
            (position, originator_id, version, topic, state),
        )
    elif kind == "insert":
        new = rows[-1][0] + 1
        db.execute(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?, ?)",
            (new, originator_id, version + 100_000, topic, state),
        )
        yield new
        db.execute("DELETE FROM stored_events WHERE rowid = ?", (new,))
    else:  # swap two rows' contents
        other = rows[rng.randrange(len(rows))]
        while other[0] == position:
            other = rows[rng.randrange(len(rows))]
        first, second = sorted([rows[position - 1], other])
        _swap(db, first, second)
        yield first[0]
        _swap(db, (first[0], *second[1:]), (second[0], *first[1:]))


def _swap(db: sqlite3.Connection, first: Any, second: Any) -> None:
    update = (
        "UPDATE stored_events SET originator_id = ?, originator_version = ?, topic = ?, "
        "state = ? WHERE rowid = ?"
    )
    db.execute(update, (first[1], -1, first[3], first[4], first[0]))
    db.execute(update, (*first[1:], second[0]))
    db.execute(update, (*second[1:], first[0]))


def test_a_thousand_tamperings_are_each_found_at_their_event(store: Path) -> None:
    """Random single-byte changes, deletions, insertions and swaps of stored event rows:
    verify finds every one at the first changed position; the clean log between them is
    never flagged."""
    rng = random.Random(20_261_125)
    found: dict[str, int] = {}
    with Caseload(str(store)) as app, sqlite3.connect(store, isolation_level=None) as db:
        assert app.verify().ok
        for attempt in range(1000):
            kind = ("byte", "delete", "insert", "swap")[attempt % 4]
            with _tampered(db, kind, rng) as position:
                report = app.verify()
                chain = report.checks[0]
                assert not report.ok, (attempt, kind)
                assert not chain.ok, (attempt, kind)
                assert chain.finding is not None
                assert chain.finding.position == position, (attempt, kind, chain.finding)
                found[kind] = found.get(kind, 0) + 1
            if attempt % 100 == 0:
                assert app.verify().ok, attempt
        assert app.verify().ok
    assert found == {"byte": 250, "delete": 250, "insert": 250, "swap": 250}


def test_a_finding_names_the_event_without_personal_data(store: Path) -> None:
    with sqlite3.connect(store) as db:
        state = db.execute("SELECT state FROM stored_events WHERE rowid = 3").fetchone()[0]
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = 3", (state + b" ",))
        expected = db.execute(
            "SELECT originator_id, topic FROM stored_events WHERE rowid = 3"
        ).fetchone()
    with Caseload(str(store)) as app:
        finding = app.verify().checks[0].finding
    assert finding is not None
    assert finding.position == 3
    assert finding.aggregate_id == expected[0]
    assert finding.event_type == expected[1].rpartition(":")[2]
    assert "position 3" in finding.message


# ----------------------------------------------------------------- seals


def _append_space(path: Path, position: int) -> None:
    with sqlite3.connect(path) as db:
        state = db.execute(
            "SELECT state FROM stored_events WHERE rowid = ?", (position,)
        ).fetchone()[0]
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (state + b" ", position))


def _rewrite_chain(path: Path) -> None:
    """What a careful forger does: recompute every link from the altered rows."""
    with sqlite3.connect(path) as db:
        previous = GENESIS
        for position, originator_id, version, topic, state in db.execute(
            f"{ROW} ORDER BY rowid"
        ).fetchall():
            previous = link(previous, position, originator_id, version, topic, state)
            db.execute(
                "UPDATE caseload_chain SET hash = ? WHERE position = ?", (previous, position)
            )


def test_a_seal_pins_the_head_against_a_rewritten_chain(store: Path) -> None:
    with Caseload(str(store)) as app:
        seal = app.seal()
        assert seal.number == 1
        assert seal.position == app.head()
        assert app.verify(expect_seal=seal.digest).ok
    _append_space(store, 4)
    _rewrite_chain(store)
    with Caseload(str(store)) as app:
        chain = app.verify().checks[0]
    assert not chain.ok
    assert chain.finding is not None
    assert "seal 1" in chain.finding.message
    assert "rewritten" in chain.finding.message


def test_rewriting_the_seals_too_is_caught_by_the_digest_kept_outside(store: Path) -> None:
    with Caseload(str(store)) as app:
        kept = app.seal().digest
    _append_space(store, 4)
    _rewrite_chain(store)
    with sqlite3.connect(store) as db:
        db.execute("DELETE FROM caseload_seals")
    with Caseload(str(store)) as app:
        app.seal()  # the forger seals the rewritten log
        assert app.verify().ok  # without the kept digest, a full rewrite is consistent
        report = app.verify(expect_seal=kept)
    assert not report.ok
    assert report.checks[0].finding is not None
    assert "not one of this store's seals" in report.checks[0].finding.message


def test_seals_are_chained_and_a_changed_seal_is_found(store: Path) -> None:
    with Caseload(str(store)) as app:
        first, second = app.seal(), app.seal()
        assert (first.number, second.number) == (1, 2)
        assert first.digest != second.digest
        assert app.verify(expect_seal=first.digest).ok
    with sqlite3.connect(store) as db:
        db.execute("UPDATE caseload_seals SET sealed_at = '2020-01-01T00:00:00.000000+00:00'")
    with Caseload(str(store)) as app:
        finding = app.verify().checks[0].finding
    assert finding is not None
    assert "seal 1 does not match its digest" in finding.message


def test_a_seal_digest_must_look_like_one(store: Path) -> None:
    with Caseload(str(store)) as app, pytest.raises(InvalidValue, match="64 hexadecimal"):
        app.verify(expect_seal="not-a-digest")


# ----------------------------------------------------------------- read models


def test_a_changed_read_model_state_is_found(store: Path) -> None:
    with sqlite3.connect(store) as db:
        db.execute(
            "UPDATE caseload_read_model_states SET digest = ? WHERE name = 'caseload'", ("0" * 64,)
        )
    with Caseload(str(store)) as app:
        report = app.verify()
    assert [check.ok for check in report.checks] == [True, True, False]
    finding = report.checks[2].finding
    assert finding is not None
    assert "caseload" in finding.message


def test_verify_works_on_postgresql(postgres_url: str) -> None:
    with Caseload(postgres_url, pseudonym_key=KEY) as app:
        simulate(app, SimulationConfig(brokers=2, citizens=5, months=1, seed=2))
        app.projections.catch_up(persist=True)
        seal = app.seal()
        assert app.verify(expect_seal=seal.digest).ok
    import psycopg

    from caseload.adapters.storage import parse_store_url, postgres_conninfo

    parsed = parse_store_url(postgres_url)
    with psycopg.connect(postgres_conninfo(parsed.env), autocommit=True) as db:
        db.execute(
            f'UPDATE "{parsed.schema}".caseload_events SET state = state || %s '
            "WHERE notification_id = 6",
            (b" ",),
        )
    with Caseload.open_readonly(postgres_url) as auditor:
        finding = auditor.verify().checks[0].finding
    assert finding is not None
    assert finding.position == 6


# ----------------------------------------------------------------- checkpoints and index


@pytest.fixture
def checkpointed(tmp_path: Path) -> Path:
    """A store whose read models were written with frequent checkpoints and index rows."""
    from caseload import ProjectionSettings

    path = tmp_path / "checkpointed.db"
    settings = ProjectionSettings(checkpoint_every=10, index_every=8)
    with Caseload(str(path), pseudonym_key=KEY, projection_settings=settings) as app:
        simulate(app, SimulationConfig(brokers=2, citizens=6, months=2, seed=9))
        app.projections.rebuild()
    return path


def _derived(path: Path) -> Any:
    with Caseload(str(path)) as app:
        return app.verify().checks[2]


def test_checkpoints_and_the_time_index_are_compared_too(checkpointed: Path) -> None:
    check = _derived(checkpointed)
    assert check.ok, check
    with sqlite3.connect(checkpointed) as db:
        checkpoints = db.execute("SELECT COUNT(*) FROM caseload_checkpoint_heads").fetchone()[0]
        rows = db.execute("SELECT COUNT(*) FROM caseload_log_index").fetchone()[0]
        late = db.execute("SELECT COUNT(*) FROM caseload_late_events").fetchone()[0]
    assert checkpoints >= 12
    assert rows >= 5
    assert late > 0
    assert f"{checkpoints} checkpoints, {rows} index rows and {late} late events" in check.summary


def test_a_checkpoint_moved_to_another_position_is_found(checkpointed: Path) -> None:
    """A checkpoint that is intact as a blob but claims the wrong position."""
    with sqlite3.connect(checkpointed) as db:
        first, second = db.execute(
            "SELECT position FROM caseload_checkpoint_heads WHERE name = 'outcomes' "
            "ORDER BY position LIMIT 2"
        ).fetchall()
        db.execute(
            "UPDATE caseload_checkpoint_heads SET (header, digest, chunks) = (SELECT header, "
            "digest, chunks FROM caseload_checkpoint_heads WHERE name = 'outcomes' AND "
            "position = ?) "
            "WHERE name = 'outcomes' AND position = ?",
            (second[0], first[0]),
        )
    check = _derived(checkpointed)
    assert not check.ok
    assert check.finding is not None
    assert check.finding.message == (
        f"the checkpoint of read model outcomes at log position {first[0]} differs from a "
        "fresh fold of the log up to there"
    )


def test_a_checkpoint_blob_not_matching_its_digest_is_found(checkpointed: Path) -> None:
    with sqlite3.connect(checkpointed) as db:
        db.execute(
            "UPDATE caseload_checkpoint_heads SET digest = ? WHERE name = 'staffing' AND "
            "position = (SELECT MIN(position) FROM caseload_checkpoint_heads "
            "WHERE name = 'staffing')",
            ("f" * 64,),
        )
    check = _derived(checkpointed)
    assert not check.ok
    assert check.finding is not None
    assert "checkpoint of read model staffing" in check.finding.message
    assert "does not match its digest" in check.finding.message


def test_a_changed_index_row_is_found(checkpointed: Path) -> None:
    with sqlite3.connect(checkpointed) as db:
        position = db.execute("SELECT MIN(position) FROM caseload_log_index").fetchone()[0]
        db.execute(
            "UPDATE caseload_log_index SET max_occurred = '1999-01-01' WHERE position = ?",
            (position,),
        )
    check = _derived(checkpointed)
    assert not check.ok
    assert check.finding is not None
    assert check.finding.message == (
        f"the time index at log position {position} differs from the running maxima of the "
        "log up to there"
    )


def test_a_forgotten_late_event_is_found(checkpointed: Path) -> None:
    """Dropping a late registration from the index would hide it from as-true-on queries."""
    with sqlite3.connect(checkpointed) as db:
        late = db.execute("SELECT MAX(position) FROM caseload_late_events").fetchone()[0]
        db.execute("DELETE FROM caseload_late_events WHERE position = ?", (late,))
    check = _derived(checkpointed)
    assert not check.ok
    assert check.finding is not None
    assert check.finding.message == (
        f"the late-event index differs from the log at 1 positions, the first at {late}"
    )


# ----------------------------------------------------------------- review findings


def test_deleting_the_newest_events_is_found_by_a_read_only_session(store: Path) -> None:
    """The session's pin covers links and seals past the last event, so the events that
    were cut off the end are still seen as missing."""
    with sqlite3.connect(store) as db:
        head = db.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0]
        db.execute("DELETE FROM stored_events WHERE rowid > ?", (head - 3,))
    with Caseload.open_readonly(str(store)) as auditor:
        chain = auditor.verify().checks[0]
    assert not chain.ok
    assert chain.finding is not None
    assert chain.finding.position == head - 2
    assert "is missing" in chain.finding.message


def test_deleting_the_newest_events_with_their_links_is_found_against_a_seal(
    store: Path,
) -> None:
    with Caseload(str(store)) as app:
        app.seal()
    with sqlite3.connect(store) as db:
        head = db.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0]
        db.execute("DELETE FROM stored_events WHERE rowid > ?", (head - 3,))
        db.execute("DELETE FROM caseload_chain WHERE position > ?", (head - 3,))
    with Caseload.open_readonly(str(store)) as auditor:
        chain = auditor.verify().checks[0]
    assert not chain.ok
    assert chain.finding is not None
    assert chain.finding.message == (
        f"seal 1 pins position {head} but the log ends at {head - 3}: events were deleted"
    )


@pytest.mark.parametrize("table", ["caseload_read_model_states", "caseload_late_events"])
def test_derived_data_stored_past_the_end_of_the_log_is_found(store: Path, table: str) -> None:
    with sqlite3.connect(store) as db:
        if table == "caseload_read_model_states":
            db.execute(f"UPDATE {table} SET position = 100000 WHERE name = 'caseload'")
            expected = "read model caseload is stored at log position 100000, past the end"
        else:
            db.execute(
                "UPDATE caseload_read_model_states SET position = 100000 WHERE name = 'log_index'"
            )
            expected = "the time index is stored at log position 100000, past the end"
    for opened in (Caseload, Caseload.open_readonly):
        with opened(str(store)) as app:
            check = app.verify().checks[2]
        assert not check.ok
        assert check.finding is not None
        assert check.finding.message.startswith(expected), check.finding.message


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("originator_version", None),
        ("originator_version", 1e30),
        ("originator_version", "\u0661"),
        ("state", None),
        ("state", 7),
        ("topic", b"caseload.programmes.resource_pathway.domain.broker:Broker.Registered"),
    ],
)
def test_a_column_of_the_wrong_type_is_a_finding_not_a_crash(
    store: Path, column: str, value: object
) -> None:
    with sqlite3.connect(store) as db:
        db.execute(f"UPDATE stored_events SET {column} = ? WHERE rowid = 5", (value,))
    with Caseload(str(store)) as app:
        chain = app.verify().checks[0]
    assert not chain.ok
    assert chain.finding is not None
    assert chain.finding.position == 5
    assert "malformed" in chain.finding.message


def test_a_state_turned_into_text_is_a_finding(store: Path) -> None:
    """The same characters as TEXT would break decoding by the application: not the
    event the recorder wrote."""
    with sqlite3.connect(store) as db:
        db.execute("UPDATE stored_events SET state = CAST(state AS TEXT) WHERE rowid = 1")
    with Caseload(str(store)) as app:
        chain = app.verify().checks[0]
    assert chain.finding is not None
    assert chain.finding.position == 1


def test_a_malformed_link_or_seal_is_a_finding(store: Path) -> None:
    with Caseload(str(store)) as app:
        app.seal()
    with sqlite3.connect(store) as db:
        db.execute("UPDATE caseload_seals SET head = hex(head)")
    with Caseload(str(store)) as app:
        chain = app.verify().checks[0]
    assert chain.finding is not None
    assert "seals table holds a malformed row" in chain.finding.message
    with sqlite3.connect(store) as db:
        db.execute("DELETE FROM caseload_seals")
        db.execute("UPDATE caseload_chain SET hash = hex(hash) WHERE position = 2")
    with Caseload(str(store)) as app:
        chain = app.verify().checks[0]
    assert chain.finding is not None
    assert chain.finding.position == 2


def test_an_unreadable_read_model_blob_is_a_finding(store: Path) -> None:
    with sqlite3.connect(store) as db:
        db.execute("UPDATE caseload_read_model_states SET header = x'00' WHERE name = 'outcomes'")
    with Caseload(str(store)) as app:
        report = app.verify()
    assert report.checks[0].ok
    assert not report.checks[2].ok


def test_sealing_over_altered_seals_is_refused(store: Path) -> None:
    from caseload.domain.errors import LogAltered

    with Caseload(str(store)) as app:
        app.seal()
        app.seal()
    with sqlite3.connect(store) as db:
        db.execute("DELETE FROM caseload_seals WHERE number = 1")
    with Caseload(str(store)) as app, pytest.raises(LogAltered, match="cannot seal"):
        app.seal()
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT COUNT(*) FROM caseload_seals").fetchone() == (1,)


def test_an_altered_snapshot_is_found(tmp_path: Path) -> None:
    """A snapshot is what commands load: one that no longer equals a replay of its events
    would make them decide on a false state."""
    from datetime import date

    from tests.conftest import fixed_clock

    path = tmp_path / "snapshots.db"
    with Caseload(str(path), pseudonym_key=KEY, clock=fixed_clock) as app:
        broker = app.register_broker(name="Alice", team="North", on=date(2025, 1, 6))
        for step in range(60):
            app.change_fte(broker, fte=0.5 + (step % 2) / 2, on=date(2025, 1, 6))
        report = app.verify()
    assert report.ok, report
    assert "; 1 aggregate snapshots equal a replay" in report.checks[2].summary
    with sqlite3.connect(path) as db:
        (state,) = db.execute("SELECT state FROM stored_snapshots").fetchone()
        assert b"North" in state
        db.execute("UPDATE stored_snapshots SET state = ?", (state.replace(b"North", b"South"),))
    with Caseload(str(path)) as app:
        check = app.verify().checks[2]
    assert not check.ok
    assert check.finding is not None
    assert check.finding.message == (
        f"the snapshot of aggregate {broker} at version 50 differs from a replay of its "
        "events: it was altered"
    )


def test_snapshots_are_compared_in_memory_too() -> None:
    from datetime import date

    from tests.conftest import fixed_clock

    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        broker = app.register_broker(name="Alice", team="North", on=date(2025, 1, 6))
        for step in range(120):
            app.change_fte(broker, fte=0.5 + (step % 2) / 2, on=date(2025, 1, 6))
        report = app.verify()
    assert report.ok, report
    assert "; 2 aggregate snapshots equal a replay" in report.checks[2].summary


def test_verify_reports_its_progress_through_both_passes(store: Path) -> None:
    seen: list[tuple[int, int]] = []
    with Caseload(str(store)) as app:
        assert app.verify(progress=lambda done, total: seen.append((done, total))).ok
        head = app.head()
    assert seen
    assert {total for _, total in seen} == {2 * head}
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert seen[-1][0] == 2 * head
    assert any(done == head for done, _ in seen)

"""End-to-end tests: `caseload status` checks the hash chain from where `caseload rebuild`
last checked it in full (the anchor), and refuses an altered log as before.

The rebuild checks the whole chain and records the head it checked with its link; status
then checks that link and the rows after it. A row after the anchor altered, a log rewritten
up to it with fresh links, or a log altered before a rebuild (which then records nothing)
is refused with exit 1 and where it broke; `--unverified` goes on. An edit before the anchor
that leaves every link alone changes none of the numbers status shows (they were folded from
the rows as checked), and `caseload verify` finds it.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from caseload import Caseload
from caseload.adapters.hashes import GENESIS, link
from tests.e2e._cli import KEY, chain_refusal, copy_store, run_cli, simulated_store


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small simulated SQLite store, rebuilt (so it holds an anchor at its head)."""
    return simulated_store(tmp_path_factory.mktemp("anchor"), rebuild=True)


@pytest.fixture
def store(rebuilt: Path, tmp_path: Path) -> Path:
    """A copy of the rebuilt store, for this test alone."""
    return copy_store(rebuilt, tmp_path / "programme.db")


def status(store: Path, cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`caseload status --json` on the store."""
    return run_cli("status", "--store", str(store), "--json", *extra, cwd=cwd)


def head(store: Path) -> int:
    """The position of the last event."""
    with closing(sqlite3.connect(store)) as db:
        return int(db.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0])


def write_after_the_anchor(store: Path) -> int:
    """Register a broker (events after the rebuild's anchor); return the first position."""
    first = head(store) + 1
    app = Caseload(store, pseudonym_key=KEY)
    try:
        app.register_broker(name="Late broker", team="Team L", on=date(2024, 2, 20))
    finally:
        app.close()
    assert head(store) >= first
    return first


def change_a_date(store: Path, after: int = 0) -> int:
    """Move a year back in the first event after `after` that holds one, so it still
    decodes (only its chain link no longer matches); return its position."""
    with closing(sqlite3.connect(store)) as db, db:
        position, state = db.execute(
            "SELECT rowid, state FROM stored_events WHERE rowid > ? AND instr(state, ?) > 0 "
            "ORDER BY rowid LIMIT 1",
            (after, b"2024-"),
        ).fetchone()
        changed = state.replace(b"2024-", b"2023-", 1)
        json.loads(changed)  # still a well-formed event
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (changed, position))
    return int(position)


def rechain(store: Path) -> None:
    """Recompute every chain link from the rows as they now stand: an edit that covers its
    tracks within the chain."""
    with closing(sqlite3.connect(store)) as db, db:
        previous = GENESIS
        rows = db.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"
        ).fetchall()
        for position, originator_id, version, topic, state in rows:
            previous = link(previous, position, originator_id, version, topic, state)
            db.execute(
                "UPDATE caseload_chain SET hash = ? WHERE position = ?", (previous, position)
            )


def test_an_intact_log_after_the_anchor_is_shown(store: Path, tmp_path: Path) -> None:
    """Events written after the rebuild are checked and shown: the new broker is there."""
    write_after_the_anchor(store)

    result = status(store, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Late broker" in result.stdout


@pytest.mark.parametrize("extra", [(), ("--as-true-on", "2024-02-25")])
def test_a_row_after_the_anchor_altered_is_refused_with_its_position(
    extra: tuple[str, ...], store: Path, tmp_path: Path
) -> None:
    """The rows after the anchor are recomputed from the anchor's link."""
    first = write_after_the_anchor(store)
    position = change_a_date(store, after=first - 1)

    line = chain_refusal(status(store, tmp_path, *extra))

    assert f"the event at position {position} does not match its chain link" in line


def test_a_log_rewritten_before_the_anchor_is_refused(store: Path, tmp_path: Path) -> None:
    """An edit before the anchor with every link recomputed leaves a self-consistent chain,
    but not the link the rebuild checked at its head."""
    anchored = head(store)
    change_a_date(store)
    rechain(store)

    line = chain_refusal(status(store, tmp_path))

    assert f"the chain link at position {anchored} is not the one checked" in line


def test_a_log_altered_before_a_rebuild_is_refused_with_its_position(
    store: Path, tmp_path: Path
) -> None:
    """A rebuild over a broken chain says so and records no anchor: status checks the whole
    log and names the altered event."""
    position = change_a_date(store)

    rebuild = run_cli("rebuild", "--store", str(store), "--json", cwd=tmp_path)

    assert rebuild.returncode == 0, rebuild.stderr
    assert "caseload: warning: the log's hash chain is broken" in rebuild.stderr
    line = chain_refusal(status(store, tmp_path))
    assert f"the event at position {position} does not match its chain link" in line


def test_a_rebuild_with_unverified_anchors_nothing(store: Path, tmp_path: Path) -> None:
    """After `rebuild --unverified` the states do not count as checked: an edit anywhere is
    found by status's check of the whole log."""
    rebuild = run_cli("rebuild", "--store", str(store), "--unverified", cwd=tmp_path)
    assert rebuild.returncode == 0, rebuild.stderr
    assert "--unverified: the log's hash chain was not checked" in rebuild.stderr
    position = change_a_date(store)

    line = chain_refusal(status(store, tmp_path))

    assert f"the event at position {position} does not match its chain link" in line


def test_unverified_status_goes_on_after_the_anchor_broke(store: Path, tmp_path: Path) -> None:
    """`status --unverified` computes from the altered log, with its warning."""
    change_a_date(store)
    rechain(store)

    result = status(store, tmp_path, "--unverified")

    assert result.returncode == 0, result.stderr
    assert "warning: --unverified" in result.stderr
    assert json.loads(result.stdout)["caseload"]


def test_an_edit_before_the_anchor_with_its_link_left_is_for_verify(
    store: Path, tmp_path: Path
) -> None:
    """What status does not recompute changes none of its numbers: they were folded from
    the rows as the rebuild checked them, so the output is the same as before the edit;
    `caseload verify` recomputes every row and names the event."""
    before = status(store, tmp_path)
    position = change_a_date(store)

    after = status(store, tmp_path)
    verified = run_cli("verify", "--store", str(store), "--json", cwd=tmp_path)

    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    assert json.loads(after.stdout) == json.loads(before.stdout)
    assert verified.returncode == 1
    assert f"position {position}" in verified.stdout


def test_whole_chain_refuses_an_edit_before_the_anchor(store: Path, tmp_path: Path) -> None:
    """`--whole-chain` recomputes every link, as verify does: the edit the anchored check
    leaves to verify is refused with its position, on the plain and the series view."""
    position = change_a_date(store)

    plain = status(store, tmp_path, "--whole-chain")
    series = run_cli(
        "status", "--store", str(store), "--series", "--csv", "--whole-chain", cwd=tmp_path
    )

    for result in (plain, series):
        assert f"position {position}" in chain_refusal(result)

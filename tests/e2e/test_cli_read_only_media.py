"""End-to-end tests: the read-only commands work on a SQLite store that cannot be written.

The store lies in a directory without write permission (mode 0555, the file 0444), and
the command runs as a user the permission bits bind: the test's own user, or, when the
tests run as root (whom permission bits do not stop), the unprivileged user `nobody`.
SQLite could not make the `-wal` and `-shm` files there, so the commands read the file as
immutable, say so, and create nothing; a `-wal` file holding unmerged pages is refused.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.e2e._cli import COMMAND, run_cli

KEY = "test-pseudonym-key-not-secret"
EXPORT_KEY = "an export key of at least 16 bytes"
SMALL = ("--citizens", "12", "--brokers", "2", "--months", "2", "--seed", "4")
NOBODY = 65534
NOTE = "is on read-only media (it or its directory cannot be written), so it is read as immutable"


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def place() -> Iterator[Path]:
    """A directory every user can enter (pytest's own temporary directories are private
    to their owner), removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="caseload-ro-"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        for path in [directory, *directory.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(directory)


@pytest.fixture
def read_only_store(place: Path) -> Path:
    """A simulated store (read models rebuilt) in a directory nobody may write to."""
    shelf = place / "shelf"
    shelf.mkdir()
    store = shelf / "programme.db"
    env = {"CASELOAD_PSEUDONYM_KEY": KEY}
    made = run_cli("simulate", "--store", str(store), *SMALL, cwd=place, env=env)
    assert made.returncode == 0, made.stderr
    rebuilt = run_cli("rebuild", "--store", str(store), cwd=place)
    assert rebuilt.returncode == 0, rebuilt.stderr
    with closing(sqlite3.connect(store)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert sorted(path.name for path in shelf.iterdir()) == ["programme.db"]
    store.chmod(0o444)
    shelf.chmod(0o555)
    return store


def run_unprivileged(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `caseload ARGS` as a user that the directory's permission bits bind."""
    return run_as_unprivileged([*COMMAND, *args], cwd=cwd)


def run_as_unprivileged(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a program as a user that the directory's permission bits bind."""
    environment = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    environment.update(HOME=str(cwd), CASELOAD_EXPORT_KEY=EXPORT_KEY, PYTHONDONTWRITEBYTECODE="1")
    environment.pop("CASELOAD_STORE", None)
    switch: dict[str, object] = {}
    if _as_root():
        switch = {"user": NOBODY, "group": NOBODY, "extra_groups": []}
    return subprocess.run(
        argv,
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
        **switch,  # type: ignore[arg-type]
    )


def test_the_directory_really_cannot_be_written(read_only_store: Path, place: Path) -> None:
    """The set-up is honest: the user the commands run as cannot create a file there."""
    probe = read_only_store.parent / "probe"
    result = run_as_unprivileged(
        [sys.executable, "-c", f"open({str(probe)!r}, 'x').close()"], cwd=place
    )
    assert result.returncode != 0
    assert "PermissionError" in result.stderr
    assert not probe.exists()


READ_ONLY_COMMANDS = {
    "verify": ["verify"],
    "status": ["status"],
    "rebuild --dry": ["rebuild", "--dry"],
    "seal --check": ["seal", "--check"],
    "export": ["export", "--out", "{out}"],
    "report html": ["report", "html", "--json"],
}


@pytest.mark.parametrize("name", READ_ONLY_COMMANDS)
def test_read_only_commands_read_it_as_immutable(
    name: str, read_only_store: Path, place: Path
) -> None:
    """Exit 0, a note on stderr that the file is read as immutable, and nothing created
    beside it (no -wal, no -shm)."""
    outbox = place / "outbox"
    outbox.mkdir(mode=0o777)
    outbox.chmod(0o777)  # whatever the umask: the unprivileged user writes the export here
    args = [arg.format(out=outbox / "dataset") for arg in READ_ONLY_COMMANDS[name]]

    result = run_unprivileged(*args, "--store", str(read_only_store), cwd=place)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert NOTE in result.stderr
    assert sorted(path.name for path in read_only_store.parent.iterdir()) == ["programme.db"]
    if name == "export":
        manifest = json.loads((outbox / "dataset" / "manifest.json").read_text())
        assert manifest["log_chain"] == "verified"


def test_a_store_that_can_be_written_gets_no_note(read_only_store: Path, place: Path) -> None:
    """The same store in a writable directory is opened as usual, without the note."""
    copy = place / "copy.db"
    shutil.copy(read_only_store, copy)
    copy.chmod(0o644)

    result = run_cli("verify", "--store", str(copy), cwd=place)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "read-only media" not in result.stderr


def test_unmerged_write_ahead_log_is_refused(read_only_store: Path, place: Path) -> None:
    """A `-wal` file with pages not merged into the database (a writer stopped before it
    checkpointed) would be ignored by an immutable read: refused with one line, exit 2."""
    shelf = read_only_store.parent
    shelf.chmod(0o755)
    read_only_store.chmod(0o644)
    with closing(sqlite3.connect(read_only_store, isolation_level=None)) as writer:
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute("CREATE TABLE later (x)")  # pages in the -wal only
        frozen = place / "frozen"
        frozen.mkdir()
        for suffix in ("", "-wal"):
            shutil.copy(f"{read_only_store}{suffix}", f"{frozen / 'programme.db'}{suffix}")
    wal_size = (frozen / "programme.db-wal").stat().st_size
    assert wal_size > 0
    frozen.chmod(0o555)

    result = run_unprivileged("status", "--store", str(frozen / "programme.db"), cwd=place)

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("caseload: error: sqlite file ")
    assert f"its write-ahead log programme.db-wal holds {wal_size} bytes not merged" in lines[0]


@pytest.mark.parametrize("args", [["rebuild"], ["seal"]], ids=" ".join)
def test_commands_that_write_say_what_reads_instead(
    args: list[str], read_only_store: Path, place: Path
) -> None:
    """`rebuild` and `seal` write: on read-only media they refuse with one line that
    names the options that only read."""
    result = run_unprivileged(*args, "--store", str(read_only_store), cwd=place)

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        f"caseload: error: sqlite file {read_only_store} is on read-only media (it or its "
        "directory cannot be written) and this command writes; `rebuild --dry` and "
        "`seal --check` read it without writing"
    ]
    assert sorted(path.name for path in read_only_store.parent.iterdir()) == ["programme.db"]

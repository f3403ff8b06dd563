"""Running the `caseload` command as a subprocess, the way the end-to-end tests do."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

_SCRIPT = Path(sys.executable).parent / "caseload"
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "caseload.cli"]


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `caseload ARGS` in a subprocess and capture its output as UTF-8 text.

    CASELOAD_STORE and CASELOAD_PSEUDONYM_KEY are removed from the inherited environment,
    so each test passes exactly the store and key it means. COLUMNS is set wide so rich does
    not wrap lines the tests look for; the timeout only guards against a hung process and is
    not a performance assertion.
    """
    environment = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    environment.pop("CASELOAD_STORE", None)
    environment.pop("CASELOAD_PSEUDONYM_KEY", None)
    environment.update(env or {})
    return subprocess.run(
        [*COMMAND, *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )


KEY = "test-pseudonym-key-not-secret"
"""The pseudonym key the simulated stores of the end-to-end tests are written with."""

SMALL = (
    "--citizens", "12", "--brokers", "2", "--months", "2", "--seed", "4",
    "--start", "2024-01-01",
)  # fmt: skip
"""A simulation small enough for a test and still with contacts, placements and closures."""


def simulated_store(
    directory: Path, *options: str, rebuild: bool = False, name: str = "programme.db"
) -> Path:
    """A SQLite store written by `caseload simulate OPTIONS` (SMALL when none are given),
    then rebuilt by `caseload rebuild` when asked; the tests of a module share one and copy
    it (`copy_store`) before changing it."""
    path = directory / name
    simulated = run_cli(
        "simulate", "--store", str(path), *(options or SMALL), cwd=directory,
        env={"CASELOAD_PSEUDONYM_KEY": KEY},
    )  # fmt: skip
    assert simulated.returncode == 0, simulated.stderr
    if rebuild:
        rebuilt = run_cli("rebuild", "--store", str(path), "--json", cwd=directory)
        assert rebuilt.returncode == 0, rebuilt.stderr
    return path


def copy_store(source: Path, target: Path) -> Path:
    """A copy of a SQLite store through SQLite's backup API (whole even when the source
    holds pages in its write-ahead log)."""
    with closing(sqlite3.connect(source)) as original, closing(sqlite3.connect(target)) as copy:
        original.backup(copy)
    return target


def chain_refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one line of a refusal for an altered log (exit 1, nothing on stdout, no
    traceback, the way on with `--unverified` named)."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("caseload: error: the log's hash chain is broken")
    assert "--unverified" in lines[0]
    return lines[0]

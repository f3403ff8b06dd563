"""`python3 dev.py demo`, the README's first command, as a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e._cli import run_cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    Path(sys.executable).parent.parent != ROOT / ".venv",
    reason="dev.py runs the demo from the repository's .venv, which these tests do not use",
)
def test_dev_demo_leaves_no_temporary_directory_behind(tmp_path: Path) -> None:
    """Each run of `python3 dev.py demo` prints the demo and removes the temporary store
    it made: nothing is left in TMPDIR."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    environment = {**os.environ, "TMPDIR": str(temp), "PYTHONIOENCODING": "utf-8"}
    environment.pop("CASELOAD_STORE", None)

    result = subprocess.run(
        [sys.executable, str(ROOT / "dev.py"), "demo", "--citizens", "20", "--months", "1"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "Caseload on" in result.stdout
    assert list(temp.iterdir()) == []


def test_the_demo_says_where_the_limit_comes_from(tmp_path: Path) -> None:
    """The caseload table's caption names the policy in force on the day shown and its
    limit per full-time post, which is the limit of every full-time broker; a broker with
    no active case shows – for the four roles, not marks that read as roles missed."""
    result = run_cli("demo", "--store", str(tmp_path / "demo.db"), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    caption = re.search(
        r"Limit: the cases a broker may hold on (\S+): (\d+) per full-time post × the "
        r"broker's FTE \(rounded down\), under (policy '[^']+', in force from \S+|the "
        r"default policy)",
        result.stdout,
    )
    assert caption is not None, result.stdout
    per_post = caption[2]
    caseload_rows = [cells(line) for line in result.stdout.splitlines() if "│ Team " in line]
    full_time = [row for row in caseload_rows if row[2] == "1.00"]
    assert full_time
    assert {row[4] for row in full_time} == {per_post}

    coverage = result.stdout[result.stdout.index("Four-role coverage by broker") :]
    brokers = [
        cells(line)
        for line in coverage.splitlines()
        if line.startswith("│ Broker") and "(colleague)" not in line
    ]
    idle = [row for row in brokers if row[5] == "0"]
    busy = [row for row in brokers if row[5] != "0"]
    assert idle, "the demo's last broker hands over their cases and leaves"
    assert busy
    assert all(row[1:5] == ["–"] * 4 for row in idle)
    assert all(set(row[1:5]) <= {"✓", "·"} for row in busy)


def cells(line: str) -> list[str]:
    """The cells of one row of a table as rich draws it."""
    return [cell.strip() for cell in line.strip().strip("│").split("│")]

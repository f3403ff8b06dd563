"""`caseload simulate` as a user runs it: presets, explicit values over a preset's, the
default start, and the warning that a memory store does not outlive the process."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import KEY
from tests.e2e._cli import run_cli

ENV = {"CASELOAD_PSEUDONYM_KEY": KEY}
MEMORY_WARNING = "memory:// is empty in every new process"


def test_the_viborg_preset_simulates_three_years_that_verify(tmp_path: Path) -> None:
    store = tmp_path / "viborg.db"

    result = run_cli(
        "simulate", "--store", str(store), "--preset", "viborg", "--json", cwd=tmp_path, env=ENV
    )

    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert counts["brokers"] == 10
    assert counts["trajectories"] == 300
    assert counts["refused"] == 1
    verified = run_cli("verify", "--store", str(store), cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_thirty_six_months_without_a_start_ends_by_today(tmp_path: Path) -> None:
    store = tmp_path / "long.db"

    result = run_cli(
        "simulate",
        "--store",
        str(store),
        "--citizens",
        "20",
        "--brokers",
        "2",
        "--months",
        "36",
        "--json",
        cwd=tmp_path,
        env=ENV,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["trajectories"] == 20


def test_explicit_options_override_the_national_preset(tmp_path: Path) -> None:
    store = tmp_path / "small-national.db"

    result = run_cli(
        "simulate",
        "--store",
        str(store),
        "--preset",
        "national",
        "--citizens",
        "40",
        "--brokers",
        "4",
        "--months",
        "3",
        "--json",
        cwd=tmp_path,
        env=ENV,
    )

    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert (counts["brokers"], counts["trajectories"]) == (4, 40)
    status = run_cli("status", "--store", str(store), "--json", cwd=tmp_path)
    teams = {row["team"] for row in json.loads(status.stdout)["caseload"]}
    # One team per municipality, named by number (the last broker may have left).
    assert {"Team 1", "Team 2", "Team 3"} <= teams <= {"Team 1", "Team 2", "Team 3", "Team 4"}


def test_simulate_into_memory_warns_that_it_is_gone_when_the_process_ends(
    tmp_path: Path,
) -> None:
    result = run_cli(
        "simulate",
        "--store",
        "memory://",
        "--citizens",
        "5",
        "--months",
        "3",
        "--json",
        cwd=tmp_path,
        env=ENV,
    )

    assert result.returncode == 0, result.stderr
    assert MEMORY_WARNING in result.stderr
    assert json.loads(result.stdout)["trajectories"] == 5


def test_demo_into_memory_warns_too(tmp_path: Path) -> None:
    result = run_cli(
        "demo", "--store", "memory://", "--citizens", "5", "--months", "1", cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert MEMORY_WARNING in result.stderr


def test_simulate_into_a_file_does_not_warn(tmp_path: Path) -> None:
    result = run_cli(
        "simulate",
        "--store",
        str(tmp_path / "kept.db"),
        "--citizens",
        "5",
        "--months",
        "1",
        cwd=tmp_path,
        env=ENV,
    )

    assert result.returncode == 0, result.stderr
    assert MEMORY_WARNING not in result.stderr

"""`caseload status --series`: the daily caseload per broker, as CSV and as JSON."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.e2e._cli import run_cli

KEY = "test-pseudonym-key-not-secret"
SMALL = (
    "--citizens",
    "12",
    "--brokers",
    "2",
    "--months",
    "2",
    "--seed",
    "4",
    "--start",
    "2024-01-01",
)


def test_csv_and_json_give_the_same_days_one_row_per_broker(tmp_path: Path) -> None:
    """Over a week, --csv and --json print the same rows: seven days times two brokers,
    and the last day's counts are the ones `status --json` shows as true on that day."""
    store = str(tmp_path / "programme.db")
    simulated = run_cli(
        "simulate", "--store", store, *SMALL, cwd=tmp_path, env={"CASELOAD_PSEUDONYM_KEY": KEY}
    )
    assert simulated.returncode == 0, simulated.stderr
    week = ("--from", "2024-01-22", "--to", "2024-01-28")

    as_csv = run_cli("status", "--store", store, "--series", "--csv", *week, cwd=tmp_path)
    as_json = run_cli("status", "--store", store, "--series", "--json", *week, cwd=tmp_path)
    status = run_cli(
        "status", "--store", store, "--json", "--as-true-on", "2024-01-28", cwd=tmp_path
    )

    assert as_csv.returncode == as_json.returncode == status.returncode == 0, as_csv.stderr
    from_csv = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    from_json = json.loads(as_json.stdout)["series"]
    assert len(from_json) == 14
    assert [{key: str(value) for key, value in row.items()} for row in from_json] == from_csv
    last_day = {row["broker_id"]: row["active_cases"] for row in from_json[-2:]}
    caseload = json.loads(status.stdout)["caseload"]
    assert last_day == {row["broker_id"]: row["active_cases"] for row in caseload}


def test_csv_and_json_together_are_refused(tmp_path: Path) -> None:
    """--csv with --json exits 2 with one line saying to choose."""
    store = str(tmp_path / "programme.db")
    run_cli("simulate", "--store", store, *SMALL, cwd=tmp_path, env={"CASELOAD_PSEUDONYM_KEY": KEY})
    both = run_cli("status", "--store", store, "--series", "--csv", "--json", cwd=tmp_path)
    assert both.returncode == 2
    assert "exclude each other" in both.stderr

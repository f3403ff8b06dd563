"""End-to-end tests: the commands that hand numbers to someone else check the hash chain.

A date inside an event is edited by hand so that the event still decodes: only the chain
can tell. `export`, `status` and the reports then refuse with exit 1 and one line naming
the position; `--unverified` goes on with a warning, and the export's manifest says so.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from tests.e2e._cli import chain_refusal, copy_store, run_cli, simulated_store

EXPORT_KEY = "an export key of at least 16 bytes"


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small simulated SQLite store; tests copy it before changing it."""
    return simulated_store(tmp_path_factory.mktemp("chain"))


@pytest.fixture
def store(simulated: Path, tmp_path: Path) -> Path:
    """A copy of the simulated store, for this test alone."""
    return copy_store(simulated, tmp_path / "programme.db")


def change_a_date(store: Path) -> int:
    """Move the date of the first recorded contact back a year, so the event still
    decodes (only its chain link no longer matches); return its position."""
    with closing(sqlite3.connect(store)) as db, db:
        position, state = db.execute(
            "SELECT rowid, state FROM stored_events WHERE topic LIKE '%ContactRecorded' "
            "ORDER BY rowid LIMIT 1"
        ).fetchone()
        changed = state.replace(b"2024-", b"2023-", 1)
        assert changed != state
        json.loads(changed)  # still a well-formed event
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (changed, position))
    return int(position)


def command(store: Path, out: Path, name: str) -> list[str]:
    """The arguments of one of the commands that produce numbers for someone else (an
    export goes into `out/dataset`)."""
    out.mkdir(parents=True, exist_ok=True)
    return {
        "export": ["export", "--store", str(store), "--out", str(out / "dataset")],
        "status": ["status", "--store", str(store)],
        "status --series": ["status", "--store", str(store), "--series", "--csv"],
        "report monthly": ["report", "monthly", "--store", str(store), "--month", "2024-02"],
        "report half-year": ["report", "half-year", "--store", str(store), "--period", "2024H1"],
        "report html": ["report", "html", "--store", str(store), "--json"],
    }[name]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the command with the keys the export needs."""
    return run_cli(*args, cwd=cwd, env={"CASELOAD_EXPORT_KEY": EXPORT_KEY})


NUMBER_COMMANDS = [
    "export",
    "status",
    "status --series",
    "report monthly",
    "report half-year",
    "report html",
]


@pytest.mark.parametrize("name", NUMBER_COMMANDS)
def test_an_altered_log_is_refused_with_the_position(
    name: str, store: Path, tmp_path: Path
) -> None:
    """Exit 1, nothing on stdout, one line on stderr naming the altered event's position
    and how to go on; an export leaves no directory behind."""
    position = change_a_date(store)

    result = run(command(store, tmp_path, name), tmp_path)

    line = chain_refusal(result)
    assert f"the event at position {position} does not match its chain link" in line
    assert not (tmp_path / "dataset").exists()


@pytest.mark.parametrize("name", ["export", "status", "status --series", "report html"])
def test_unverified_goes_on_with_a_warning(name: str, store: Path, tmp_path: Path) -> None:
    """`--unverified` computes from the altered log, exit 0, and says on stderr that the
    numbers are unverified."""
    change_a_date(store)

    result = run([*command(store, tmp_path, name), "--unverified"], tmp_path)

    assert result.returncode == 0, result.stderr
    assert "caseload: warning: --unverified: the log's hash chain was not checked" in (
        result.stderr
    )
    assert result.stdout


def test_the_manifest_records_whether_the_chain_was_checked(store: Path, tmp_path: Path) -> None:
    """An export of an intact log says `verified`; one made with `--unverified` says
    `unverified`, whether the log was altered or not."""
    checked = run([*command(store, tmp_path / "a", "export"), "--json"], tmp_path)
    unchecked = run([*command(store, tmp_path / "b", "export"), "--unverified"], tmp_path)

    assert checked.returncode == 0, checked.stderr
    assert "warning" not in checked.stderr
    assert json.loads(checked.stdout)["log_chain"] == "verified"
    manifest = json.loads((tmp_path / "a" / "dataset" / "manifest.json").read_text())
    assert manifest["log_chain"] == "verified"
    assert unchecked.returncode == 0, unchecked.stderr
    manifest = json.loads((tmp_path / "b" / "dataset" / "manifest.json").read_text())
    assert manifest["log_chain"] == "unverified"


def test_an_intact_log_gives_the_same_numbers_checked_or_not(store: Path, tmp_path: Path) -> None:
    """The check changes nothing in the numbers: status --json is the same either way."""
    args = ["status", "--store", str(store), "--json", "--as-true-on", "2024-02-15"]
    checked = run(args, tmp_path)
    unchecked = run([*args, "--unverified"], tmp_path)

    assert checked.returncode == unchecked.returncode == 0, checked.stderr + unchecked.stderr
    assert json.loads(checked.stdout) == json.loads(unchecked.stdout)


# ----------------------------------------------------------------- export's cuts


def rows(directory: Path, table: str) -> list[dict[str, str]]:
    """The rows of one exported CSV table."""
    with (directory / f"{table}.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_as_true_on_exports_what_had_happened_by_that_day(store: Path, tmp_path: Path) -> None:
    """A business-date cut keeps exactly the facts dated on or before the day: the
    contacts and trajectories of the cut are those of the whole export dated by then."""
    day = date(2024, 2, 1)
    whole = run([*command(store, tmp_path / "whole", "export")], tmp_path)
    cut = run(
        [*command(store, tmp_path / "cut", "export"), "--as-true-on", day.isoformat(), "--json"],
        tmp_path,
    )

    assert whole.returncode == 0, whole.stderr
    assert cut.returncode == 0, cut.stderr
    assert json.loads(cut.stdout)["as_true_on"] == day.isoformat()
    everything, before = tmp_path / "whole" / "dataset", tmp_path / "cut" / "dataset"
    contacts = rows(before, "contacts")
    assert contacts, "the cut should keep the contacts of January"
    assert contacts == [
        row for row in rows(everything, "contacts") if date.fromisoformat(row["contact_on"]) <= day
    ]
    opened = [row["trajectory_id"] for row in rows(before, "trajectories")]
    assert opened == [
        row["trajectory_id"]
        for row in rows(everything, "trajectories")
        if date.fromisoformat(row["opened_on"]) <= day
    ]
    assert len(opened) < len(rows(everything, "trajectories"))
    assert (
        f"as true on {day.isoformat()}"
        in run(
            [*command(store, tmp_path / "again", "export"), "--as-true-on", day.isoformat()],
            tmp_path,
        ).stdout
    )


def test_a_cut_that_leaves_tables_empty_is_warned_about(store: Path, tmp_path: Path) -> None:
    """A cut before the programme began exports 0 rows with exit 0, and stderr warns which
    of the programme's tables are empty; the whole log gives no warning."""
    result = run(
        [*command(store, tmp_path, "export"), "--as-known-at", "2001-01-01T00:00:00Z"], tmp_path
    )

    assert result.returncode == 0, result.stderr
    warning = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warning) == 1, result.stderr
    assert warning[0].startswith(
        "caseload: warning: the cut (as known at 2001-01-01T00:00:00+00:00) leaves "
    )
    assert "brokers, " in warning[0]
    assert "trajectories" in warning[0]
    assert "education_" not in warning[0], "the store holds no education programme"

    whole = run(command(store, tmp_path / "whole", "export"), tmp_path)
    assert whole.returncode == 0, whole.stderr
    assert "warning" not in whole.stderr


def test_as_true_on_before_the_programme_warns_too(store: Path, tmp_path: Path) -> None:
    """A business-date cut before the first fact leaves the tables empty: warned, exit 0."""
    result = run([*command(store, tmp_path, "export"), "--as-true-on", "2020-01-01"], tmp_path)

    assert result.returncode == 0, result.stderr
    assert "caseload: warning: the cut (as true on 2020-01-01) leaves " in result.stderr
    assert rows(tmp_path / "dataset", "trajectories") == []


def test_as_true_on_takes_a_date_only(store: Path, tmp_path: Path) -> None:
    """A malformed day is one usage line, exit 2, and writes nothing."""
    result = run([*command(store, tmp_path, "export"), "--as-true-on", "1 feb"], tmp_path)

    assert result.returncode == 2
    assert result.stderr.strip() == (
        "caseload: error: --as-true-on must be a date as YYYY-MM-DD, e.g. 2024-06-30"
    )
    assert not (tmp_path / "dataset").exists()

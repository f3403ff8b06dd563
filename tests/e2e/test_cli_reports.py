"""End-to-end tests of `caseload simulate --programme` and `caseload report`: the seed
programme simulated over 2021–2022 gives the application's table with actuals beside its
targets, run as subprocesses the way a jobcentre's staff would."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from caseload import Caseload
from caseload.programmes.education.domain.plan import EducationPlan
from tests.e2e._cli import run_cli

KEY = "test-pseudonym-key-not-secret"

# The application's table ("Udfyld skema med måltal"): label, scheme, groups, targets.
SEED_TABLE = [
    ("insured unemployed → education lift", "education_lift", {"insured_unemployed"}, 5, 25),
    (
        "job-ready cash-benefit recipient → education lift",
        "education_lift",
        {"job_ready_cash_benefit"},
        10,
        10,
    ),
    (
        "insured unemployed → 110 % education lift",
        "education_lift_110",
        {"insured_unemployed"},
        40,
        "not_relevant",
    ),
    (
        "unemployed → adult apprenticeship",
        "adult_apprenticeship",
        {"insured_unemployed", "job_ready_cash_benefit", "youth"},
        30,
        30,
    ),
    ("employed → adult apprenticeship", "adult_apprenticeship", {"employed_unskilled"}, 75, 75),
]
PERIOD = (date(2021, 4, 1), date(2022, 12, 31))


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    """Exit 2 with exactly one `caseload: error:` line on stderr and no traceback."""
    assert "Traceback" not in result.stderr
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("caseload: error:"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed programme simulated over its period into a SQLite store."""
    directory = tmp_path_factory.mktemp("education")
    path = directory / "education.db"
    result = run_cli(
        "simulate", "--store", str(path), "--programme", "education", "--json",
        cwd=directory, env={"CASELOAD_PSEUDONYM_KEY": KEY},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert counts["plans"] > 0
    assert counts["starts"] > 0
    assert counts["sessions"] > 0
    return path


def starts_in(path: Path, first: date, last: date) -> Counter[tuple[str, str]]:
    """Starts by (scheme, target group) dated from `first` to `last`, counted from the log."""
    with Caseload.open_readonly(f"sqlite:///{path}") as app:
        return Counter(
            (event.scheme.value, event.target_group.value)
            for event in app.events()
            if isinstance(event, EducationPlan.SchemeStarted) and first <= event.occurred_on <= last
        )


def row_count(counts: Counter[tuple[str, str]], scheme: str, groups: set[str]) -> int:
    """The starts a row counts."""
    return sum(count for (s, group), count in counts.items() if s == scheme and group in groups)


def test_the_half_year_table_shows_the_seed_s_targets_and_the_actuals(store: Path) -> None:
    """`report half-year --period 2021H2` prints one line per row of the application's
    table: target and actual 2021, target 2022 ("not relevant" for the 110 % lift) and no
    actual 2022 yet, the share of 2021, then the activities."""
    result = run_cli(
        "report", "half-year", "--store", str(store), "--period", "2021H2", cwd=store.parent
    )
    assert result.returncode == 0, result.stderr
    counts = starts_in(store, PERIOD[0], date(2021, 12, 31))
    lines = result.stdout.splitlines()
    assert "Half-year status 2021H2 (Uddannelsesambassadør i Viborg)" in result.stdout
    for label, scheme, groups, in_2021, in_2022 in SEED_TABLE:
        (line,) = [line for line in lines if line.startswith(f"│ {label} ")]
        cells = [cell.strip() for cell in line.strip("│").split("│")]
        actual = row_count(counts, scheme, groups)
        target_2022 = "not relevant" if in_2022 == "not_relevant" else str(in_2022)
        assert cells[:5] == [label, str(in_2021), str(actual), target_2022, "–"]
        assert cells[5] == f"{actual / in_2021:.0%}"
    assert any(line.startswith("Activities 2021-07-01 to 2021-12-31: ") for line in lines)


def test_the_half_year_as_json_and_csv(store: Path) -> None:
    """The same numbers as JSON (with the pace) and as CSV, for 2022H1."""
    as_json = run_cli(
        "report", "half-year", "--store", str(store), "--period", "2022H1", "--json",
        cwd=store.parent,
    )  # fmt: skip
    assert as_json.returncode == 0, as_json.stderr
    status = json.loads(as_json.stdout)
    in_2021 = starts_in(store, PERIOD[0], date(2021, 12, 31))
    in_2022 = starts_in(store, date(2022, 1, 1), date(2022, 6, 30))
    assert status["period"] == "2022H1"
    assert [row["row"] for row in status["rows"]] == [row[0] for row in SEED_TABLE]
    for row, (_label, scheme, groups, target_2021, target_2022) in zip(
        status["rows"], SEED_TABLE, strict=True
    ):
        first, second = row["years"]
        assert (first["year"], first["target"]) == (2021, target_2021)
        assert first["actual"] == row_count(in_2021, scheme, groups)
        assert (second["year"], second["target"]) == (2022, target_2022)
        assert second["actual"] == row["in_period"] == row_count(in_2022, scheme, groups)
    as_csv = run_cli(
        "report", "half-year", "--store", str(store), "--period", "2022H1", "--csv",
        cwd=store.parent,
    )  # fmt: skip
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [row["target_2022"] for row in rows] == ["25", "10", "not_relevant", "30", "75"]
    assert [int(row["actual_2022"]) for row in rows] == [
        r["years"][1]["actual"] for r in status["rows"]
    ]


def test_the_monthly_status_names_the_rows_behind_pace(store: Path) -> None:
    """March 2022: 90 of 2022's 365 days have passed; a row is behind when its starts so far
    fall short of target × 90 / 365."""
    result = run_cli(
        "report", "monthly", "--store", str(store), "--month", "2022-03", "--json",
        cwd=store.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    so_far = starts_in(store, date(2022, 1, 1), date(2022, 3, 31))
    in_march = starts_in(store, date(2022, 3, 1), date(2022, 3, 31))
    behind = []
    for row, (label, scheme, groups, _t2021, target) in zip(
        status["rows"], SEED_TABLE, strict=True
    ):
        actual = row_count(so_far, scheme, groups)
        assert row["in_month"] == row_count(in_march, scheme, groups)
        assert row["year_to_date"]["actual"] == actual
        if isinstance(target, int) and actual * 365 < target * 90:
            behind.append(label)
    assert status["behind"] == behind
    text = run_cli(
        "report", "monthly", "--store", str(store), "--month", "2022-03", cwd=store.parent
    )
    assert text.returncode == 0, text.stderr
    expected = "; ".join(behind) if behind else "none"
    assert f"Behind pace: {expected}" in text.stdout


@pytest.mark.parametrize(
    "options",
    [
        ("half-year", "--period", "2021H3"),
        ("half-year", "--period", "2019H1"),
        ("monthly", "--month", "March"),
        ("half-year", "--period", "2021H2", "--json", "--csv"),
        ("half-year", "--period", "2021H2", "--as-true-on", "yesterday"),
    ],
)
def test_a_bad_report_request_is_one_line(store: Path, options: tuple[str, ...]) -> None:
    """A malformed period, a period outside the programme, or two output formats at once:
    exit 2 with one line."""
    result = run_cli("report", options[0], "--store", str(store), *options[1:], cwd=store.parent)
    assert_one_line_error(result)


def test_both_programmes_in_one_store(tmp_path: Path) -> None:
    """`simulate --programme all` writes both programmes into one store; it verifies, and
    each programme's report reads it."""
    path = tmp_path / "both.db"
    result = run_cli(
        "simulate", "--store", str(path), "--programme", "all", "--months", "2", "--json",
        cwd=tmp_path, env={"CASELOAD_PSEUDONYM_KEY": KEY},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert counts["trajectories"] > 0
    assert counts["plans"] > 0
    assert run_cli("verify", "--store", str(path), cwd=tmp_path).returncode == 0
    status = run_cli("status", "--store", str(path), "--json", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    report = run_cli("report", "monthly", "--store", str(path), "--month", "2021-06", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    wrong = run_cli(
        "simulate", "--store", str(tmp_path / "x.db"), "--programme", "housing",
        cwd=tmp_path, env={"CASELOAD_PSEUDONYM_KEY": KEY},
    )  # fmt: skip
    assert_one_line_error(wrong)

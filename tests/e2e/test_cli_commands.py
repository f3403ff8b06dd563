"""End-to-end tests of `caseload simulate`, `caseload status` and `caseload rebuild`.

Every command runs as a subprocess through the installed console script, the way an auditor
or a cron job would run it, and is judged by its exit code, stdout, stderr and the store it
leaves; the store is then opened with the library to check what the command claimed.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from caseload import Caseload
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from tests.e2e._cli import run_cli

KEY = "test-pseudonym-key-not-secret"
SMALL = (
    "--citizens",
    "20",
    "--brokers",
    "2",
    "--months",
    "2",
    "--seed",
    "5",
    "--start",
    "2024-01-01",
)
READ_MODELS = {
    "caseload",
    "role_coverage",
    "outcomes",
    "progression",
    "attention",
    "staffing",
    "reviews",
    "flow",
    "employer_activity",
    "education_plans",
    "education_targets",
    "education_sessions",
}


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    """Exit 2 with exactly one `caseload: error:` line on stderr and no traceback."""
    assert "Traceback" not in result.stderr
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("caseload: error:"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def simulate_into(store: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A small simulation (20 citizens, 2 brokers, 2 months) with the tests' key, as JSON."""
    return run_cli(
        "simulate", "--store", store, *SMALL, "--json", cwd=cwd, env={"CASELOAD_PSEUDONYM_KEY": KEY}
    )


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """One small simulated SQLite store shared by this module's tests, and simulate's JSON."""
    directory = tmp_path_factory.mktemp("simulated")
    store = directory / "programme.db"
    result = simulate_into(str(store), directory)
    assert result.returncode == 0, result.stderr
    counts: dict[str, Any] = json.loads(result.stdout)
    return store, counts


def test_simulate_json_counts_match_the_store(simulated: tuple[Path, dict[str, Any]]) -> None:
    """`simulate --json` exits 0 and prints only a JSON object on stdout whose counts match
    the SQLite store: events equal the log's head, brokers the brokers in the caseload, and
    trajectories the trajectories opened in the log."""
    store, counts = simulated

    assert set(counts) == {"events", "commands", "refused", "brokers", "trajectories"}
    with Caseload(store) as app:
        assert counts["events"] == app.head() > 0
        assert counts["brokers"] == len(app.caseload()) == 2
        opened = sum(1 for event in app.events() if isinstance(event, Trajectory.Opened))
    assert counts["trajectories"] == opened > 0
    assert counts["commands"] >= counts["trajectories"] + counts["brokers"]
    assert counts["refused"] == 0  # 20 citizens never fill a broker to the 30-case limit


def test_simulate_without_a_pseudonym_key_is_refused(tmp_path: Path) -> None:
    """Without CASELOAD_PSEUDONYM_KEY, simulate exits 2 with one line that says to set it,
    and creates no store (it never makes up a key of its own)."""
    store = tmp_path / "programme.db"

    result = run_cli("simulate", "--store", str(store), *SMALL, cwd=tmp_path)

    assert_one_line_error(result)
    assert "CASELOAD_PSEUDONYM_KEY" in result.stderr
    assert not store.exists()


def test_simulate_into_a_store_with_events_is_refused(tmp_path: Path) -> None:
    """A second simulation into the same store exits 2 with one line saying the store
    already holds events, and adds no event."""
    store = tmp_path / "programme.db"
    assert simulate_into(str(store), tmp_path).returncode == 0
    with Caseload(store) as app:
        head = app.head()

    result = simulate_into(str(store), tmp_path)

    assert_one_line_error(result)
    assert "already holds" in result.stderr
    assert result.stdout == ""
    with Caseload(store) as app:
        assert app.head() == head


def test_simulate_past_today_is_a_user_error(tmp_path: Path) -> None:
    """A simulation that would run past today (it starts in 2100) is refused before the
    store is created: exit 2, one line, no file left behind."""
    store = tmp_path / "programme.db"

    result = run_cli(
        "simulate",
        "--store",
        str(store),
        *SMALL,
        "--start",
        "2100-01-01",
        cwd=tmp_path,
        env={"CASELOAD_PSEUDONYM_KEY": KEY},
    )

    assert_one_line_error(result)
    assert "after today" in result.stderr
    assert not store.exists(), "a refused simulation creates no store"


def test_simulate_with_a_bad_start_date_is_a_user_error(tmp_path: Path) -> None:
    """`--start 2024-02-30` is not a date: exit 2, one line, and no store is created."""
    store = tmp_path / "programme.db"

    result = run_cli(
        "simulate",
        "--store",
        str(store),
        "--start",
        "2024-02-30",
        cwd=tmp_path,
        env={"CASELOAD_PSEUDONYM_KEY": KEY},
    )

    assert_one_line_error(result)
    assert "--start" in result.stderr
    assert not store.exists()


def test_status_shows_the_brokers(simulated: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """`status` exits 0 and prints the caseload table with both brokers' names (and the
    simulation's colleagues in the coverage table), the coverage shares, the outcomes and
    the attention list with every reason, the review cadence and missing brokers too."""
    store, _ = simulated

    result = run_cli("status", "--store", str(store), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    for text in ("Broker 1", "Broker 2", "Caseload on", "all four roles covered", "Outcomes"):
        assert text in result.stdout
    assert "Attention list" in result.stdout
    for text in ("Colleague 1 (colleague)", "not reviewed in 90 days", "no broker"):
        assert text in result.stdout


def test_status_json_caseload_equals_the_library(
    simulated: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """`status --json` prints one JSON object with the documented keys, and its caseload
    rows (FTE, active cases, limit and utilisation per broker id) equal
    `Caseload(path).caseload()`, every number a JSON number (the FTE too, not "1.00")."""
    store, _ = simulated

    result = run_cli("status", "--store", str(store), "--json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert set(status) == {
        "store",
        "as_true_on",
        "as_known_at",
        "caseload",
        "coverage",
        "outcomes",
        "attention",
    }
    assert status["as_known_at"] is None
    with Caseload(store) as app:
        expected = {
            str(r.broker_id): (float(r.fte), r.active_cases, r.limit, r.utilisation)
            for r in app.caseload()
        }
        coverage = app.role_coverage()
    printed = {
        r["broker_id"]: (r["fte"], r["active_cases"], r["limit"], r["utilisation"])
        for r in status["caseload"]
    }
    assert printed == expected
    assert len(printed) == 2
    assert status["coverage"]["active_cases"] == coverage.active_cases
    texts = ("broker_id", "name", "team")
    numbers = [v for row in status["caseload"] for k, v in row.items() if k not in texts]
    numbers += [*status["coverage"].values(), *status["outcomes"].values()]
    numbers += status["attention"].values()
    assert all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers), numbers
    assert set(status["outcomes"]) == {"placements", "closures"}
    assert set(status["attention"]) == {
        "no_contact",
        "no_progression",
        "roles_missing",
        "no_intervention",
        "near_max_length",
        "not_reviewed",
        "unassigned",
    }


def test_status_before_the_simulation_is_empty(
    simulated: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """`--as-true-on` a day before the simulation's start (2024-01-01) shows no broker:
    none was registered yet on that day."""
    store, _ = simulated

    result = run_cli(
        "status", "--store", str(store), "--as-true-on", "2023-12-31", "--json", cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["as_true_on"] == "2023-12-31"
    assert status["caseload"] == []
    assert status["coverage"]["active_cases"] == 0


@pytest.mark.parametrize("moment", ["2000-01-01T00:00:00+00:00", "2000-01-01T00:00:00Z"])
def test_status_known_at_before_any_event_is_empty(
    simulated: tuple[Path, dict[str, Any]], tmp_path: Path, moment: str
) -> None:
    """`--as-known-at` a moment in 2000 (with an offset or a trailing Z) shows the log as it
    was known then: nothing, so the caseload list is empty."""
    store, _ = simulated

    result = run_cli(
        "status", "--store", str(store), "--as-known-at", moment, "--json", cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["as_known_at"] == "2000-01-01T00:00:00+00:00"
    assert status["caseload"] == []


@pytest.mark.parametrize(
    ("option", "value", "mentions"),
    [
        ("--as-known-at", "2025-01-01T00:00:00", "timezone"),
        ("--as-known-at", "yesterday", "--as-known-at"),
        ("--as-true-on", "notadate", "--as-true-on"),
        ("--as-true-on", "2025-13-01", "--as-true-on"),
    ],
)
def test_status_with_a_bad_date_or_time_is_a_user_error(
    simulated: tuple[Path, dict[str, Any]], tmp_path: Path, option: str, value: str, mentions: str
) -> None:
    """A naive time (no timezone), or text that is not a date or time, exits 2 with one
    `caseload: error:` line naming the problem, nothing on stdout and no traceback."""
    store, _ = simulated

    result = run_cli("status", "--store", str(store), option, value, "--json", cwd=tmp_path)

    assert_one_line_error(result)
    assert mentions in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "store", ["missing.db", "no-such-dir/programme.db", "oracle://host/db", "postgresql://x@/"]
)
def test_status_of_an_unknown_store_is_a_user_error(tmp_path: Path, store: str) -> None:
    """A store file that does not exist, a directory that does not exist, an unknown scheme
    or a URL without a database exits 2 with one line; status never creates a store."""
    result = run_cli("status", "--store", store, cwd=tmp_path)

    assert_one_line_error(result)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["status", "rebuild", "seal", "verify"])
def test_an_empty_file_is_not_a_store_and_stays_empty(tmp_path: Path, command: str) -> None:
    """A file without an event log (here an empty one) is refused with one line, and
    nothing is created in it."""
    empty = tmp_path / "empty.db"
    empty.touch()
    result = run_cli(command, "--store", str(empty), cwd=tmp_path)

    assert_one_line_error(result)
    assert "holds no caseload event log" in result.stderr
    assert empty.stat().st_size == 0


@pytest.mark.postgres
def test_status_never_creates_a_postgresql_schema(tmp_path: Path, postgres_url: str) -> None:
    from tests.conftest import drop_schema

    url = postgres_url.rsplit("=", 1)[0] + "=status_missing_schema"
    drop_schema("status_missing_schema")
    result = run_cli("status", "--store", url, cwd=tmp_path)

    assert_one_line_error(result)
    assert "holds no caseload event log" in result.stderr
    from caseload.adapters.storage import parse_store_url

    assert parse_store_url(url).missing_tables("caseload_events") == ["caseload_events"]


def test_status_of_an_unreachable_postgres_is_a_user_error(tmp_path: Path) -> None:
    """A PostgreSQL server that does not answer (port 1 on localhost) exits 2 with one
    line, no traceback."""
    result = run_cli("status", "--store", "postgresql://nobody@127.0.0.1:1/none", cwd=tmp_path)

    assert_one_line_error(result)


def test_status_reads_the_store_from_the_environment(
    simulated: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """Without --store, CASELOAD_STORE names the store."""
    store, _ = simulated

    result = run_cli("status", "--json", cwd=tmp_path, env={"CASELOAD_STORE": str(store)})

    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["caseload"]) == 2


def test_rebuild_json_matches_the_store(
    simulated: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """`rebuild --json` exits 0 and prints only the result on stdout: events equal the
    log's head and the digests of all nine read models equal the store's afterwards. A second
    rebuild gives the same digests."""
    store, _ = simulated

    result = run_cli("rebuild", "--store", str(store), "--json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    rebuilt = json.loads(result.stdout)
    assert set(rebuilt) == {"events", "resumed_from", "seconds", "events_per_second", "digests"}
    assert rebuilt["resumed_from"] == 0  # a finished rebuild leaves nothing to resume
    assert set(rebuilt["digests"]) == READ_MODELS
    with Caseload(store) as app:
        assert rebuilt["events"] == app.head()
        assert rebuilt["digests"] == app.projections.digests()
    again = run_cli("rebuild", "--store", str(store), "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["digests"] == rebuilt["digests"]


def test_rebuild_prints_the_digests(simulated: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """`rebuild` without --json exits 0 and prints every read model with its digest and the
    number of events folded."""
    store, counts = simulated

    result = run_cli("rebuild", "--store", str(store), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    with Caseload(store) as app:
        digests = app.projections.digests()
    for name, digest in digests.items():
        assert name in result.stdout
        assert digest in result.stdout
    assert f"Folded {counts['events']} events" in result.stdout


def test_rebuild_in_a_missing_directory_is_a_user_error(tmp_path: Path) -> None:
    """`rebuild` with a store in a directory that does not exist exits 2 with one line and
    creates nothing."""
    missing = tmp_path / "no-such-dir"

    result = run_cli("rebuild", "--store", str(missing / "programme.db"), "--json", cwd=tmp_path)

    assert_one_line_error(result)
    assert "no such directory" in result.stderr
    assert result.stdout == ""
    assert not missing.exists()


@pytest.mark.postgres
def test_simulate_status_and_rebuild_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    """On a PostgreSQL schema, simulate writes the events it counts, `status --json` agrees
    with the library, and `rebuild --json` folds every event to the store's digests."""
    simulated = simulate_into(postgres_url, tmp_path)
    assert simulated.returncode == 0, simulated.stderr
    counts = json.loads(simulated.stdout)

    status = run_cli("status", "--store", postgres_url, "--json", cwd=tmp_path)
    rebuilt = run_cli("rebuild", "--store", postgres_url, "--json", cwd=tmp_path)

    assert status.returncode == 0, status.stderr
    assert rebuilt.returncode == 0, rebuilt.stderr
    rows = json.loads(status.stdout)["caseload"]
    result = json.loads(rebuilt.stdout)
    with Caseload(postgres_url) as app:
        assert counts["events"] == app.head() == result["events"]
        expected = {str(r.broker_id): (r.active_cases, r.limit) for r in app.caseload()}
        assert {r["broker_id"]: (r["active_cases"], r["limit"]) for r in rows} == expected
        assert result["digests"] == app.projections.digests()


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("simulate", ("--store", "--citizens", "--brokers", "--months", "--seed", "--start")),
        ("status", ("--store", "--as-known-at", "--as-true-on", "--json")),
        ("rebuild", ("--store", "--json")),
    ],
)
def test_help_lists_the_options(tmp_path: Path, command: str, options: tuple[str, ...]) -> None:
    """`caseload COMMAND --help` exits 0 and names every option of the command and the
    CASELOAD_STORE variable; the top-level help lists the command."""
    result = run_cli(command, "--help", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    for option in options:
        assert option in result.stdout
    assert "CASELOAD_STORE" in result.stdout
    assert command in run_cli("--help", cwd=tmp_path).stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("status",), "caseload status needs --store (or set CASELOAD_STORE)"),
        (("rebuild", "--json"), "caseload rebuild needs --store (or set CASELOAD_STORE)"),
        (("status", "--store"), "--store needs a value"),
        (
            ("simulate", "--store", "x.db", "--citizens", "many"),
            "--citizens must be a whole number",
        ),
        (
            ("simulate", "--store", "x.db", "--citizens", "-5"),
            "--citizens must be a whole number, at least 0",
        ),
        (
            ("simulate", "--store", "x.db", "--months", "0"),
            "--months must be a whole number, at least 1",
        ),
        (
            ("status", "--store", "x.db", "--frobnicate"),
            "caseload status has no option --frobnicate",
        ),
        (("frobnicate",), "caseload has no command 'frobnicate'"),
        (("report", "weekly"), "caseload report has no command 'weekly'"),
    ],
)
def test_usage_errors_are_one_line_in_our_words(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    """A missing --store (and no CASELOAD_STORE), an option without its value, a value of the
    wrong kind or out of range, an unknown option or command: exit 2 with one
    `caseload: error:` line that says what the option takes (no usage block, no boxed
    panel, no pydantic wording), nothing on stdout, nothing created."""
    result = run_cli(*args, cwd=tmp_path, env={"CASELOAD_PSEUDONYM_KEY": KEY})

    assert_one_line_error(result)
    assert message in result.stderr
    assert "Input should" not in result.stderr
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_help_still_exits_0(tmp_path: Path) -> None:
    """`--help` is not a usage mistake: the help on stdout, exit 0, nothing on stderr."""
    result = run_cli("status", "--help", cwd=tmp_path)

    assert result.returncode == 0
    assert result.stdout.startswith("Usage: caseload status")
    assert result.stderr == ""


COMMANDS = (
    (),
    ("demo",),
    ("simulate",),
    ("status",),
    ("rebuild",),
    ("export",),
    ("verify",),
    ("seal",),
    ("report",),
    ("report", "half-year"),
    ("report", "monthly"),
    ("report", "html"),
)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda words: " ".join(words) or "caseload")
def test_help_is_plain_text_that_a_person_can_read(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """Every `--help` is click's plain layout: no boxes, no `<str>`/`<bool>` placeholders,
    no option help cut off with an ellipsis, paragraphs wrapped to the width, and the whole
    store URL form."""
    result = run_cli(*command, "--help", cwd=tmp_path, env={"COLUMNS": "80"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Usage: {' '.join(('caseload', *command))} ")
    rest = result.stdout.split("\n", 1)[1]
    for placeholder in ("<str>", "<bool>", "<int", "TEXT", "INTEGER", "╭", "…", "..."):
        assert placeholder not in rest
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    if "--store" in result.stdout and command != ("demo",):
        assert "postgresql://USER@HOST:PORT/DATABASE[?schema=NAME]" in result.stdout


def test_help_lists_the_choices_of_an_option(tmp_path: Path) -> None:
    """`--format` shows its formats, and `--programme` its programmes; a value outside them
    is one line that names them."""
    exported = run_cli("export", "--help", cwd=tmp_path)
    simulated = run_cli("simulate", "--help", cwd=tmp_path)
    wrong = run_cli("simulate", "--store", "x.db", "--programme", "other", cwd=tmp_path)

    assert "--format <csv|parquet>" in exported.stdout
    for programme in ("resource_pathway", "education", "all"):
        assert programme in simulated.stdout
    assert_one_line_error(wrong)
    assert "--programme must be one of resource_pathway, education, all" in wrong.stderr
    assert list(tmp_path.iterdir()) == []


def paragraph_lines(help_text: str) -> list[list[str]]:
    """The lines of each paragraph of a help's description (between usage and options)."""
    description = help_text.split("\n\n", 1)[1].split("Options:")[0]
    return [block.splitlines() for block in description.strip("\n").split("\n\n")]


@pytest.mark.parametrize("command", ["export", "verify", "rebuild", "simulate"])
def test_a_hard_wrapped_docstring_is_wrapped_again_as_paragraphs(
    tmp_path: Path, command: str
) -> None:
    """The docstring's own line breaks do not survive into the help: every line of a
    paragraph but its last is filled to near the width, not broken after a word or two."""
    result = run_cli(command, "--help", cwd=tmp_path, env={"COLUMNS": "80"})

    paragraphs = paragraph_lines(result.stdout)
    assert paragraphs
    for lines in paragraphs:
        for line in lines[:-1]:
            assert len(line) >= 60, lines


READ_COMMANDS = (
    ("status",),
    ("rebuild",),
    ("verify",),
    ("seal",),
    ("report", "monthly", "--month", "2022-03"),
    ("export", "--out", "dataset", "--key", "an export key of at least 16 bytes"),
)


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda words: words[0])
def test_a_read_of_memory_says_it_is_empty_in_every_process(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """A command that reads a store, given memory://, does not show empty tables with exit
    0: one line says a memory store is new and empty in every process, exit 2."""
    result = run_cli(*command, "--store", "memory://", cwd=tmp_path)

    assert_one_line_error(result)
    assert "empty in every process" in result.stderr
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda words: words[0])
@pytest.mark.parametrize("url", ["{dir}/nonexistent/x.db", "sqlite:///{dir}/nonexistent/x.db"])
def test_a_read_in_a_missing_directory_says_there_is_no_store(
    tmp_path: Path, command: tuple[str, ...], url: str
) -> None:
    """A read command given a store in a directory that does not exist says there is no
    store at that path (not that it cannot create one there), and creates nothing."""
    store = url.format(dir=tmp_path)

    result = run_cli(*command, "--store", store, cwd=tmp_path)

    assert_one_line_error(result)
    assert f"no store at {tmp_path}/nonexistent/x.db" in result.stderr
    assert "no such directory" in result.stderr
    assert "create" not in result.stderr
    assert list(tmp_path.iterdir()) == []

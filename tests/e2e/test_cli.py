"""End-to-end tests of the `caseload` command, run only as a subprocess.

Each test starts the installed console script (or `python -m caseload.cli` when the script is
missing) in a fresh process, the way a user or a cron job would, and judges it by its exit
code, its stdout and stderr, and the files it leaves behind.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

import caseload
import caseload.programmes.resource_pathway.simulation
from caseload import Caseload
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from tests.conftest import KEY, fixed_clock
from tests.e2e._cli import run_cli

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_REFUSED = "Refused by the caseload rule"


def caseload_rows(stdout: str) -> list[str]:
    """The body rows of the caseload table (one line per broker), as printed."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "Caseload on" in line)
    rows = []
    for line in lines[start + 1 :]:
        if "Four-role coverage" in line:
            break
        if line.startswith("│"):
            rows.append(line)
    return rows


def normalised(stdout: str, store: Path) -> str:
    """The demo's output with the ids (random UUIDs) and the store's path taken out."""
    return _UUID.sub("<uuid>", stdout.replace(str(store), "<store>"))


def demo_cprs(seed: int, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every CPR number a demo with `seed` opens a trajectory for, in order.

    The CPR numbers depend only on the seed (the simulation's one `random.Random`), not on
    the store or the pseudonym key, so an in-memory run reproduces the subprocess's numbers.
    """
    captured: list[str] = []
    original = caseload.programmes.resource_pathway.simulation.synthetic_cpr

    def recording(rng: random.Random, taken: set[str]) -> str:
        cpr = original(rng, taken)
        captured.append(cpr)
        return cpr

    monkeypatch.setattr(caseload.programmes.resource_pathway.simulation, "synthetic_cpr", recording)
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        simulate(app, SimulationConfig(seed=seed))
    return captured


def cpr_forms(cprs: list[str]) -> list[bytes]:
    """Each CPR number as ten digits and in its DDMMYY-SSSS form, as bytes."""
    return [form.encode() for cpr in cprs for form in (cpr, f"{cpr[:6]}-{cpr[6:]}")]


def test_demo_prints_caseload_coverage_and_one_refusal(tmp_path: Path) -> None:
    """`caseload demo` exits 0, prints both tables and the one refused 31st assignment,
    and leaves the SQLite store it was given on disk."""
    store = tmp_path / "demo.db"

    result = run_cli("demo", "--store", str(store), "--seed", "1", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Caseload on" in result.stdout
    assert "Four-role coverage" in result.stdout
    refusals = [line for line in result.stdout.splitlines() if _REFUSED in line]
    assert len(refusals) == 1, result.stdout
    assert "30 of 30" in refusals[0]
    assert "Traceback" not in result.stderr
    assert store.is_file()


def test_demo_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    """Two demos with the same seed into fresh stores print the same numbers; the ids are
    random UUIDs and the store paths differ, so both are taken out before comparing."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first_store, second_store = tmp_path / "a" / "demo.db", tmp_path / "b" / "demo.db"

    first = run_cli("demo", "--store", str(first_store), "--seed", "7", cwd=tmp_path)
    second = run_cli("demo", "--store", str(second_store), "--seed", "7", cwd=tmp_path)

    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert caseload_rows(first.stdout) == caseload_rows(second.stdout)
    assert len(caseload_rows(first.stdout)) == 3  # one row per broker (3 by default)
    assert normalised(first.stdout, first_store) == normalised(second.stdout, second_store)


def test_demo_with_different_seeds_differs(tmp_path: Path) -> None:
    """Seeds 1 and 2 (checked by hand to differ) give different caseload numbers."""
    one = run_cli("demo", "--store", str(tmp_path / "one.db"), "--seed", "1", cwd=tmp_path)
    two = run_cli("demo", "--store", str(tmp_path / "two.db"), "--seed", "2", cwd=tmp_path)

    assert (one.returncode, two.returncode) == (0, 0), one.stderr + two.stderr
    assert caseload_rows(one.stdout) != caseload_rows(two.stdout)


def test_demo_without_store_uses_a_new_file_in_the_temp_dir(tmp_path: Path) -> None:
    """Without --store the demo writes to a new SQLite file in a fresh temporary directory
    (under TMPDIR), not into the working directory, and exits 0."""
    temp = tmp_path / "tmp"
    work = tmp_path / "work"
    temp.mkdir()
    work.mkdir()

    result = run_cli("demo", cwd=work, env={"TMPDIR": str(temp)})

    assert result.returncode == 0, result.stderr
    assert "Caseload on" in result.stdout
    stores = list(temp.glob("caseload-demo-*/demo.db"))
    assert len(stores) == 1
    assert str(stores[0]) in result.stdout
    assert list(work.iterdir()) == []


def test_demo_into_a_store_with_events_is_refused(tmp_path: Path) -> None:
    """A demo into a store that already holds events exits 2 with one `caseload: error:`
    line naming the problem, no traceback, and adds no event."""
    store = tmp_path / "demo.db"
    # Any event makes the store non-empty; a whole demo to write them would only add time.
    with Caseload(store, pseudonym_key=KEY, clock=fixed_clock) as app:
        app.register_broker(name="Broker 1", team="Team A", on=fixed_clock())
        head = app.head()

    result = run_cli("demo", "--store", str(store), cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.startswith("caseload: error:")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "already holds" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Caseload on" not in result.stdout
    with Caseload(store) as app:
        assert app.head() == head


def test_demo_into_a_missing_directory_is_a_user_error(tmp_path: Path) -> None:
    """A --store in a directory that does not exist exits 2 with one `caseload: error:`
    line on stderr, no traceback, and creates nothing."""
    missing = tmp_path / "no-such-dir"

    result = run_cli("demo", "--store", str(missing / "demo.db"), cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.startswith("caseload: error:")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no such directory" in result.stderr
    assert "Traceback" not in result.stderr
    assert not missing.exists()


@pytest.mark.parametrize("kind", ["directory", "not-a-database"])
def test_demo_into_an_unusable_store_is_a_user_error(tmp_path: Path, kind: str) -> None:
    """A --store that is a directory, or a file that is not a SQLite database, is a user
    mistake: exit 2, one `caseload: error:` line, no traceback."""
    store = tmp_path / "store"
    if kind == "directory":
        store.mkdir()
    else:
        store.write_text("not a database\n")

    result = run_cli("demo", "--store", str(store), cwd=tmp_path)

    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    assert result.stderr.startswith("caseload: error:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_version_prints_the_package_version(tmp_path: Path) -> None:
    """`caseload --version` prints `caseload <caseload.__version__>` and exits 0."""
    result = run_cli("--version", cwd=tmp_path)

    assert result.returncode == 0
    assert result.stdout.strip() == f"caseload {caseload.__version__}"


def test_help_lists_the_command_and_options(tmp_path: Path) -> None:
    """`caseload --help` exits 0 and names the demo command and --version."""
    result = run_cli("--help", cwd=tmp_path)

    assert result.returncode == 0
    assert "demo" in result.stdout
    assert "--version" in result.stdout


def test_demo_help_lists_its_options(tmp_path: Path) -> None:
    """`caseload demo --help` exits 0 and names every option of the demo."""
    result = run_cli("demo", "--help", cwd=tmp_path)

    assert result.returncode == 0
    for option in ("--store", "--seed", "--brokers", "--citizens", "--months"):
        assert option in result.stdout


def test_no_arguments_shows_usage(tmp_path: Path) -> None:
    """`caseload` alone prints the usage and the commands instead of doing anything.

    Click 8.2+ exits 2 here (a missing command is a usage error); older Click exits 0.
    """
    result = run_cli(cwd=tmp_path)

    assert result.returncode in (0, 2)
    assert "Usage: caseload" in result.stdout
    assert "demo" in result.stdout
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_unknown_command_exits_2(tmp_path: Path) -> None:
    """An unknown command is a usage error: exit 2, the problem on stderr, no traceback."""
    result = run_cli("frobnicate", cwd=tmp_path)

    assert result.returncode == 2
    assert "frobnicate" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_sqlite_file_holds_no_cpr_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No CPR number the demo used appears in its SQLite file (or journal), in either
    written form: the log holds only keyed pseudonyms."""
    cprs = demo_cprs(3, monkeypatch)
    assert len(cprs) == 70  # one per citizen, 70 by default
    store = tmp_path / "demo.db"

    result = run_cli("demo", "--store", str(store), "--seed", "3", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    files = sorted(tmp_path.glob("demo.db*"))
    data = b"".join(path.read_bytes() for path in files)
    # The events are stored as plain JSON, so a CPR number would show up as text.
    assert b"Broker 1" in data
    leaked = [form for form in cpr_forms(cprs) if form in data]
    assert leaked == []


def _schema_bytes(url: str) -> tuple[list[str], list[bytes]]:
    """Every table in the store's schema and every non-null value in them, as bytes."""
    import psycopg
    from psycopg import sql

    from caseload.adapters.storage import parse_store_url, postgres_conninfo

    store = parse_store_url(url)
    values: list[bytes] = []
    with psycopg.connect(postgres_conninfo(store.env)) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (store.schema,),
            )
        ]
        for table in tables:
            query = sql.SQL("SELECT * FROM {}.{}").format(
                sql.Identifier(str(store.schema)), sql.Identifier(table)
            )
            for row in connection.execute(query):
                for value in row:
                    if value is None:
                        continue
                    if isinstance(value, bytes | memoryview):
                        values.append(bytes(value))
                    else:
                        values.append(str(value).encode())
    return tables, values


@pytest.mark.postgres
def test_demo_postgres_schema_holds_no_cpr_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    """No CPR number the demo used appears in any column of any table of its PostgreSQL
    schema, in either written form."""
    cprs = demo_cprs(1, monkeypatch)
    assert len(cprs) == 70

    result = run_cli("demo", "--store", postgres_url, "--seed", "1", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    tables, values = _schema_bytes(postgres_url)
    assert tables
    assert any(b"Broker 1" in value for value in values)  # plain JSON: a CPR would show
    forms = cpr_forms(cprs)
    leaked = {form for value in values for form in forms if form in value}
    assert leaked == set()

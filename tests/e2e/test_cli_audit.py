"""End-to-end tests of `caseload verify` and `caseload seal`, the auditor's walk-through:
simulate, rebuild, verify (all ✓), tamper by hand, and see verify point at the event."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest

from caseload import Caseload
from tests.conftest import KEY, fixed_clock
from tests.e2e._cli import SMALL, copy_store, run_cli, simulated_store
from tests.unit._support import START, give_cases


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store simulated and rebuilt by the commands, once for the module: the same seed
    gives the same store, so writing it again for each test would only add time."""
    return simulated_store(tmp_path_factory.mktemp("audited"), rebuild=True, name="audited.db")


@pytest.fixture
def store(audited: Path, tmp_path: Path) -> Path:
    """A copy of the audited store of this test's own, to tamper with or seal."""
    return copy_store(audited, tmp_path / "audited.db")


def test_the_auditors_walk_through(store: Path, tmp_path: Path) -> None:
    clean = run_cli("verify", "--store", str(store), cwd=tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    lines = clean.stdout.splitlines()
    assert sum(line.startswith("✓ ") for line in lines) == 3
    assert not any(line.startswith("✗") for line in lines)
    assert "12 stored read models, " in clean.stdout

    with sqlite3.connect(store) as db:
        position, topic, state = db.execute(
            "SELECT rowid, topic, state FROM stored_events WHERE topic LIKE '%ContactRecorded' "
            "ORDER BY rowid LIMIT 1"
        ).fetchone()
        db.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            (state.replace(b"2024-", b"2023-", 1), position),
        )
    tampered = run_cli("verify", "--store", str(store), cwd=tmp_path)
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    assert "✗ log unaltered (hash chain and seals)" in tampered.stdout
    assert f"first offending event: position {position}," in tampered.stdout, tampered.stdout
    assert topic.rpartition(":")[2] in tampered.stdout
    assert "Traceback" not in tampered.stderr


def test_verify_json_lists_every_check(store: Path, tmp_path: Path) -> None:
    result = run_cli("verify", "--store", str(store), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert [check["ok"] for check in report["checks"]] == [True, True, True]
    assert all(check["first_offending_event"] is None for check in report["checks"])
    with sqlite3.connect(store) as db:
        assert (
            report["position"] == db.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0]
        )


def test_a_seal_digest_proves_the_log_up_to_it(store: Path, tmp_path: Path) -> None:
    sealed = run_cli("seal", "--store", str(store), "--json", cwd=tmp_path)
    assert sealed.returncode == 0, sealed.stderr
    seal = json.loads(sealed.stdout)
    assert seal["number"] == 1
    assert len(seal["digest"]) == 64
    human = run_cli("seal", "--store", str(store), cwd=tmp_path)
    assert "Seal digest: " in human.stdout
    good = run_cli("verify", "--store", str(store), "--seal", seal["digest"], cwd=tmp_path)
    assert good.returncode == 0, good.stdout
    assert "the given seal digest matches seal 1" in good.stdout
    other = "0" * 64
    unknown = run_cli("verify", "--store", str(store), "--seal", other, cwd=tmp_path)
    assert unknown.returncode == 1
    assert "not one of this store's seals" in unknown.stdout


def test_a_policy_lowered_below_a_caseload_is_reported_with_date_and_broker(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lowered.db"
    with Caseload(str(path), pseudonym_key=KEY, clock=fixed_clock) as app:
        busy = app.register_broker(name="Busy", team="T", on=START)
        give_cases(app, busy, 3)
        lowered = START + timedelta(days=30)
        app.set_caseload_policy(
            limit_per_fte=2, effective_from=lowered, on=START + timedelta(days=10)
        )
    result = run_cli("verify", "--store", str(path), "--json", cwd=tmp_path)
    assert result.returncode == 1
    checks = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
    rules = checks["no rule broken on any date"]
    assert rules["ok"] is False
    finding = rules["first_offending_event"]
    assert finding["event_type"] == "Programme.PolicyChanged"
    assert f"broker {busy} held 3 cases on {lowered}, over the limit of 2" in finding["message"]
    assert checks["log unaltered (hash chain and seals)"]["ok"] is True
    assert "Busy" not in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("verify", "--store", "nosuch://x"), "unknown store scheme"),
        (("verify", "--store", "missing.db"), "no such file"),
        (("verify", "--store", "audited.db", "--seal", "xyz"), "64 hexadecimal"),
        (("seal", "--store", "missing.db"), "no such file"),
        (("seal", "--store", "nosuch://x"), "unknown store scheme"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    Caseload(str(tmp_path / "audited.db")).close()
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("caseload: error: ")
    assert message in line


def test_verify_and_seal_have_help(tmp_path: Path) -> None:
    for command in ("verify", "seal"):
        result = run_cli(command, "--help", cwd=tmp_path)
        assert result.returncode == 0
        assert "--store" in result.stdout
        assert "--json" in result.stdout


@pytest.mark.postgres
def test_the_auditors_walk_through_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    """simulate, rebuild, seal, verify and export against a PostgreSQL schema; then a
    changed row is named by verify."""
    key = {"CASELOAD_PSEUDONYM_KEY": KEY}
    assert (
        run_cli("simulate", "--store", postgres_url, *SMALL, cwd=tmp_path, env=key).returncode == 0
    )
    assert run_cli("rebuild", "--store", postgres_url, "--json", cwd=tmp_path).returncode == 0
    seal = json.loads(run_cli("seal", "--store", postgres_url, "--json", cwd=tmp_path).stdout)
    verified = run_cli("verify", "--store", postgres_url, "--seal", seal["digest"], cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.count("✓ ") == 3
    exported = run_cli(
        "export",
        "--store",
        postgres_url,
        "--out",
        str(tmp_path / "dataset"),
        "--json",
        cwd=tmp_path,
        env={"CASELOAD_EXPORT_KEY": "an export key of sixteen bytes or more"},
    )
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["log_position"] == seal["position"]

    import psycopg

    from caseload.adapters.storage import parse_store_url, postgres_conninfo

    parsed = parse_store_url(postgres_url)
    with psycopg.connect(postgres_conninfo(parsed.env), autocommit=True) as db:
        db.execute(
            f'UPDATE "{parsed.schema}".caseload_events SET originator_version = '
            "originator_version + 1000 WHERE notification_id = 12"
        )
    tampered = run_cli("verify", "--store", postgres_url, "--json", cwd=tmp_path)
    assert tampered.returncode == 1
    chain = json.loads(tampered.stdout)["checks"][0]
    assert chain["ok"] is False
    assert chain["first_offending_event"]["position"] == 12


def test_a_store_path_that_looks_like_markup_is_printed_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "d[").mkdir()
    odd = tmp_path / "d[" / "i]r[red]x.db"  # the path reads "d[/i]r[red]x.db"
    with Caseload(str(odd), pseudonym_key=KEY, clock=fixed_clock) as app:
        app.register_broker(name="B [bold]", team="T", on=START)
    sealed = run_cli("seal", "--store", str(odd), cwd=tmp_path)
    assert sealed.returncode == 0, sealed.stderr
    assert f"Sealed sqlite file {odd} at log position" in sealed.stdout
    assert "Seal digest: " in sealed.stdout
    verified = run_cli("verify", "--store", str(odd), cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert f"Verifying sqlite file {odd}" in verified.stdout
    status = run_cli("status", "--store", str(odd), cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "B [bold]" in status.stdout


@pytest.fixture(scope="module")
def damaged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    """A simulated store (read models never rebuilt) whose event at position 40 has its
    stored state cut to 10 bytes, no longer JSON; with that position and event type."""
    directory = tmp_path_factory.mktemp("damaged")
    path = directory / "damaged.db"
    simulated = run_cli(
        "simulate", "--store", str(path), *SMALL, cwd=directory, env={"CASELOAD_PSEUDONYM_KEY": KEY}
    )
    assert simulated.returncode == 0, simulated.stderr
    # Closed, not only committed: the copies each test makes must see the change, not
    # leave it behind in the write-ahead log.
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE stored_events SET state = substr(state, 1, 10) WHERE rowid = 40")
        (topic,) = db.execute("SELECT topic FROM stored_events WHERE rowid = 40").fetchone()
    return path, 40, topic.rpartition(":")[2]


@pytest.mark.parametrize(
    "command",
    [
        ("rebuild",),
        ("rebuild", "--json"),
        ("status",),
        ("status", "--json"),
        ("export", "--out", "dataset"),
        ("report", "monthly", "--month", "2022-03"),
        ("status", "--unverified"),
        ("export", "--out", "dataset", "--unverified"),
        ("report", "monthly", "--month", "2022-03", "--unverified"),
    ],
    ids=" ".join,
)
def test_an_undecodable_event_is_one_line_naming_its_position(
    damaged: tuple[Path, int, str], tmp_path: Path, command: tuple[str, ...]
) -> None:
    """An event whose stored bytes no longer decode ends every command that reads it with
    one `caseload: error:` line naming its log position and type, exit 1 (a failed check,
    as verify reports it), never a traceback, and nothing on stdout. The commands that
    check the hash chain first (status, export, the reports) find the event there, as a
    break of the chain; told not to (--unverified), they warn so, and stop where the
    event cannot be decoded. A rebuild warns of the broken chain, then stops there too."""
    original, position, kind = damaged
    store = tmp_path / "damaged.db"
    shutil.copy(original, store)

    result = run_cli(
        *command, "--store", str(store), cwd=tmp_path,
        env={"CASELOAD_EXPORT_KEY": "an export key of at least 16 bytes"},
    )  # fmt: skip

    assert "Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    if "--unverified" in command:
        assert lines[0].startswith("caseload: warning: --unverified: the log's hash chain")
        lines = lines[1:]
    if command[0] == "rebuild":  # its chain check comes first and warns, naming the event
        assert lines[0].startswith("caseload: warning: the log's hash chain is broken")
        assert f"the event at position {position} does not match its chain link" in lines[0]
        lines = lines[1:]
    (line,) = lines
    if command[0] == "rebuild" or "--unverified" in command:
        assert line.startswith(f"caseload: error: the event at log position {position} ({kind},")
        assert "cannot be read" in line
    else:
        assert line.startswith("caseload: error: the log's hash chain is broken")
        assert f"the event at position {position} does not match its chain link" in line
        assert f"(type {kind})" in line
    assert result.stdout == ""


def test_verify_names_the_same_undecodable_event(
    damaged: tuple[Path, int, str], tmp_path: Path
) -> None:
    """`verify` on the same store reports the event as its first offending one, exit 1."""
    original, position, kind = damaged
    store = tmp_path / "damaged.db"
    shutil.copy(original, store)

    result = run_cli("verify", "--store", str(store), cwd=tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"first offending event: position {position}," in result.stdout
    assert kind in result.stdout
    assert "Traceback" not in result.stderr

"""End-to-end tests of `caseload export`, run as a subprocess the way an evaluator would.

Each test judges the exit code, stdout, stderr and the directory the command leaves; the
files are then checked against the manifest and the store they came from.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from caseload import Caseload
from tests.e2e._cli import run_cli, simulated_store

KEY = "test-pseudonym-key-not-secret"
EXPORT_KEY = "an export key of at least 16 bytes"
SMALL = ("--citizens", "20", "--brokers", "2", "--months", "3", "--seed", "7")
TABLE_FILES = 21


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    """Exit 2 with exactly one `caseload: error:` line on stderr, no traceback, no stdout."""
    assert "Traceback" not in result.stderr
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("caseload: error:"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == ""


def export(
    store: Path, out: Path, *options: str, key: str | None = EXPORT_KEY
) -> subprocess.CompletedProcess[str]:
    """`caseload export --store STORE --out OUT OPTIONS`, with CASELOAD_EXPORT_KEY=key."""
    env = {"CASELOAD_EXPORT_KEY": key or ""}
    return run_cli(
        "export", "--store", str(store), "--out", str(out), *options, cwd=out.parent, env=env
    )


def files_of(directory: Path) -> dict[str, bytes]:
    """Every file in a directory by name, as bytes."""
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small simulated SQLite store shared by this module's tests."""
    return simulated_store(tmp_path_factory.mktemp("simulated"), *SMALL)


def test_export_writes_tables_dictionary_and_a_manifest_that_checks_out(
    store: Path, tmp_path: Path
) -> None:
    """`export` exits 0, writes one CSV per table, the dictionary and the manifest; every
    sha256 and row count in the manifest matches its file, and the position is the head."""
    out = tmp_path / "dataset"

    result = export(store, out)

    assert result.returncode == 0, result.stderr
    assert "trajectories.csv" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["tables"]) == TABLE_FILES
    assert len(list(out.iterdir())) == TABLE_FILES + 2
    for entry in [*manifest["tables"].values(), manifest["data_dictionary"]]:
        content = (out / entry["file"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]
        if "rows" in entry:
            assert content.decode("utf-8").count("\n") == entry["rows"] + 1
    assert manifest["tables"]["trajectories"]["rows"] == 20
    with Caseload(store) as app:
        assert manifest["log_position"] == app.head()
    assert f"position {manifest['log_position']}" in result.stdout


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_two_exports_are_byte_identical(store: Path, tmp_path: Path, file_format: str) -> None:
    """The same store, key and format exported twice give the same bytes in every file,
    whether the key comes from --key or from CASELOAD_EXPORT_KEY."""
    first = export(store, tmp_path / "first", "--format", file_format)
    second = export(
        store, tmp_path / "second", "--format", file_format, "--key", EXPORT_KEY, key=None
    )

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert files_of(tmp_path / "first") == files_of(tmp_path / "second")
    assert (tmp_path / "first" / f"contacts.{file_format}").exists()


def test_json_prints_the_manifest_only(store: Path, tmp_path: Path) -> None:
    """`--json` prints one JSON object on stdout: the manifest as written, plus the
    directory; the export key appears nowhere."""
    out = tmp_path / "dataset"

    result = export(store, out, "--json")

    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed.pop("out") == str(out)
    assert printed == json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    everything = (
        result.stdout
        + result.stderr
        + "".join(path.read_text(encoding="utf-8") for path in out.iterdir())
    )
    assert EXPORT_KEY not in everything


def test_as_known_at_before_the_log_exports_no_rows(store: Path, tmp_path: Path) -> None:
    """`--as-known-at` before any event was recorded exports every table with no rows and
    position 0; the manifest keeps the moment, in UTC."""
    out = tmp_path / "dataset"

    result = export(store, out, "--as-known-at", "2001-01-01T01:00:00+01:00", "--json")

    assert result.returncode == 0, result.stderr
    manifest = json.loads(result.stdout)
    assert manifest["log_position"] == 0
    assert manifest["as_known_at"] == "2001-01-01T00:00:00+00:00"
    assert {entry["rows"] for entry in manifest["tables"].values()} == {0}


def test_different_keys_give_unrelated_ids(store: Path, tmp_path: Path) -> None:
    """Exports under two keys have no trajectory id in common and different key checks."""
    assert export(store, tmp_path / "a").returncode == 0
    assert export(store, tmp_path / "b", key="a different export key!").returncode == 0

    def ids(directory: Path) -> set[str]:
        lines = (directory / "trajectories.csv").read_text(encoding="utf-8").splitlines()[1:]
        return {line.split(",")[0] for line in lines}

    assert len(ids(tmp_path / "a")) == 20
    assert ids(tmp_path / "a").isdisjoint(ids(tmp_path / "b"))
    manifests = [json.loads((tmp_path / d / "manifest.json").read_text()) for d in "ab"]
    assert manifests[0]["key_check"] != manifests[1]["key_check"]


def test_an_unknown_store_is_a_user_error(tmp_path: Path) -> None:
    """A store file that does not exist: exit 2, one line, and neither a store nor the
    output directory is created."""
    out = tmp_path / "dataset"

    result = export(tmp_path / "missing.db", out)

    assert_one_line_error(result)
    assert "no store at" in result.stderr
    assert not (tmp_path / "missing.db").exists()
    assert not out.exists()


def test_a_bad_moment_is_a_user_error(store: Path, tmp_path: Path) -> None:
    """`--as-known-at` that is not a date and time, has no timezone or lies outside the
    calendar once in UTC: exit 2, one line naming the option, nothing written."""
    for moment in (
        "2024-13-45",
        "2024-06-30T12:00:00",
        "9999-12-31T23:59:59-05:00",
        "0001-01-01T00:00:00+05:00",
    ):
        out = tmp_path / moment.replace(":", "")

        result = export(store, out, "--as-known-at", moment)

        assert_one_line_error(result)
        assert "--as-known-at" in result.stderr
        assert not out.exists()


def test_a_non_empty_output_directory_is_a_user_error(store: Path, tmp_path: Path) -> None:
    """An output directory that holds a file: exit 2, one line, the file untouched and
    nothing added."""
    out = tmp_path / "dataset"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")

    result = export(store, out)

    assert_one_line_error(result)
    assert "only into a new or empty directory" in result.stderr
    assert files_of(out) == {"notes.txt": b"keep me"}


@pytest.mark.parametrize(
    ("key", "expected"),
    [(None, "CASELOAD_EXPORT_KEY"), ("too-short", "at least 16 bytes; it is 9")],
)
def test_a_missing_or_short_key_is_a_user_error(
    store: Path, tmp_path: Path, key: str | None, expected: str
) -> None:
    """Without an export key, or with one under 16 bytes: exit 2, one line that says what
    is needed and never repeats the key; nothing written."""
    out = tmp_path / "dataset"

    result = export(store, out, key=key)

    assert_one_line_error(result)
    assert expected in result.stderr
    assert "too-short" not in result.stderr
    assert not out.exists()


def test_an_unknown_format_is_a_user_error(store: Path, tmp_path: Path) -> None:
    """`--format xlsx`: exit 2, one line listing the formats, nothing written."""
    out = tmp_path / "dataset"

    result = export(store, out, "--format", "xlsx")

    assert_one_line_error(result)
    assert "csv, parquet" in result.stderr
    assert not out.exists()

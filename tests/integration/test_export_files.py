"""How an export reaches the disk: owner-only files, nothing written through planted links,
and a directory that is either absent, untouched or a whole export."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import caseload.export.dataset as dataset
import caseload.export.files as files
from caseload import Caseload, ConfigurationError, ExportTargetNotEmpty
from caseload.export import MANIFEST_FILE, export_dataset
from caseload.simulation import SimulationConfig, simulate
from tests.conftest import KEY, fixed_clock

EXPORT_KEY = "an export key of at least 16 bytes"


@pytest.fixture(scope="module")
def small() -> Iterator[Caseload]:
    """A small simulated programme in memory."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        simulate(app, SimulationConfig(citizens=10, brokers=2, months=2, seed=5))
        yield app


def test_files_are_owner_only_and_the_directory_too(small: Caseload, tmp_path: Path) -> None:
    """Exported files are 0600 and a new export directory 0700, whatever the umask."""
    old = os.umask(0o000)
    try:
        manifest = export_dataset(small, tmp_path / "out", key=EXPORT_KEY)
    finally:
        os.umask(old)
    out = tmp_path / "out"
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    names = {path.name for path in out.iterdir()}
    assert names == {t.file for t in manifest.tables} | {MANIFEST_FILE, "data_dictionary.md"}
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_a_link_planted_while_the_export_computes_is_never_followed(
    small: Caseload, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the emptiness check, someone plants `out/.brokers.csv.partial -> victim` and
    `out/brokers.csv -> victim`: the victim keeps its bytes, the links stay as they were,
    and the export is refused with ExportTargetNotEmpty."""
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"keep me")
    collect = dataset._collect

    def planting(*args: Any, **kwargs: Any) -> Any:
        result = collect(*args, **kwargs)
        (out / ".brokers.csv.partial").symlink_to(victim)
        (out / "brokers.csv").symlink_to(victim)
        return result

    monkeypatch.setattr(dataset, "_collect", planting)
    with pytest.raises(ExportTargetNotEmpty, match="nothing was written"):
        export_dataset(small, out, key=EXPORT_KEY)
    assert victim.read_bytes() == b"keep me"
    assert sorted(p.name for p in out.iterdir()) == [".brokers.csv.partial", "brokers.csv"]
    assert all(p.is_symlink() for p in out.iterdir())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")] == []


def test_an_empty_directory_given_becomes_the_export(small: Caseload, tmp_path: Path) -> None:
    """An existing empty directory is filled (replaced whole by the finished export)."""
    out = tmp_path / "given"
    out.mkdir()
    manifest = export_dataset(small, out, key=EXPORT_KEY)
    assert (out / MANIFEST_FILE).is_file()
    assert len(list(out.iterdir())) == len(manifest.tables) + 2


def test_a_failed_write_leaves_no_directory_behind(
    small: Caseload, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When a write fails half-way, neither the target nor a staging directory remains."""
    calls: list[str] = []
    original = files._write_new

    def failing(directory: Path, name: str, content: bytes) -> None:
        calls.append(name)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        original(directory, name, content)

    monkeypatch.setattr(files, "_write_new", failing)
    with pytest.raises(ConfigurationError, match="cannot write the export"):
        export_dataset(small, tmp_path / "out", key=EXPORT_KEY)
    assert list(tmp_path.iterdir()) == []

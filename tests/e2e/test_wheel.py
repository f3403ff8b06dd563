"""The built wheel works on its own: tests import the installed wheel, not the source tree.

The project is copied to a temporary directory (so the build leaves no `build/` or
`*.egg-info` in the work tree), built into a wheel with pip, installed with `--target` into
an empty directory, and imported by a fresh interpreter whose working directory is neither
the repository nor `src/`.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_PROBE = textwrap.dedent(
    """
    import json
    import sys
    from datetime import date
    from pathlib import Path

    import caseload
    from caseload import Caseload

    package = Path(caseload.__file__).resolve().parent
    facts = {
        "file": str(Path(caseload.__file__).resolve()),
        "version": caseload.__version__,
        "py_typed": (package / "py.typed").is_file(),
        "testing": None,
    }
    if sys.argv[1] == "yes":
        import caseload.testing

        facts["testing"] = str(Path(caseload.testing.__file__).resolve())

    day = date(2024, 1, 8)
    app = Caseload("memory://", pseudonym_key="x" * 16, clock=lambda: day)
    broker = app.register_broker(name="Broker 1", team="Team A", fte=0.5, on=day)
    case = app.open_trajectory(cpr="0101901234", on=day)
    app.assign(case, broker, on=day)
    (row,) = app.caseload()
    facts["row"] = [row.active_cases, row.limit]
    print(json.dumps(facts))
    """
)


def _pip(*args: str, cwd: Path) -> None:
    """Run pip with the test's interpreter; fail with pip's own output when it fails."""
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pip", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"pip {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


def _has_modern_setuptools() -> bool:
    """Whether this environment can build the project without build isolation.

    pyproject.toml needs setuptools>=77 (a PEP 639 `license` string). Without it in the
    environment, pip builds in an isolated environment and fetches setuptools from the index.
    """
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return False
    major = version.split(".")[0]
    return major.isdigit() and int(major) >= 77


def _copy_project(destination: Path) -> Path:
    """Copy what the build reads (pyproject.toml, README, licence files, src/)."""
    project = destination / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, project / name)
    for licence in ROOT.glob("LICEN[CS]E*"):
        shutil.copy2(licence, project / licence.name)
    shutil.copytree(
        ROOT / "src",
        project / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
    )
    return project


@pytest.mark.slow
def test_installed_wheel_imports_and_runs_outside_the_source_tree(tmp_path: Path) -> None:
    """A wheel built from the project holds only the package, ships py.typed and the
    public test kit, and runs a command when imported from where it was installed."""
    project = _copy_project(tmp_path)
    dist, site, elsewhere = tmp_path / "dist", tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    isolation = ["--no-build-isolation"] if _has_modern_setuptools() else []

    _pip("wheel", "--no-deps", *isolation, "--wheel-dir", str(dist), str(project), cwd=tmp_path)
    (wheel,) = dist.glob("caseload-*.whl")
    _pip("install", "--no-deps", "--target", str(site), str(wheel), cwd=tmp_path)

    with zipfile.ZipFile(wheel) as archive:
        top_level = {name.split("/")[0] for name in archive.namelist()}
        # The HTML report's Jinja2 template is package data, not code.
        assert "caseload/reports/templates/report.html.j2" in archive.namelist()
        metadata = archive.read(f"caseload-{wheel.name.split('-')[1]}.dist-info/METADATA")
    version = wheel.name.split("-")[1]
    assert top_level == {"caseload", f"caseload-{version}.dist-info"}
    # Where to read more, and no developers' tools among the extras users can ask for.
    fields = metadata.decode("utf-8").splitlines()
    urls = {
        line.split(": ", 1)[1].split(",")[0] for line in fields if line.startswith("Project-URL")
    }
    assert urls == {"Homepage", "Documentation", "Changelog", "Issues"}
    extras = {line.split(": ", 1)[1] for line in fields if line.startswith("Provides-Extra")}
    assert extras == {"postgres", "testing", "parquet", "pandas", "report"}

    # caseload.testing is written alongside this test; probe it only once it exists.
    has_testing = (ROOT / "src" / "caseload" / "testing" / "__init__.py").is_file()
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, "yes" if has_testing else "no"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    facts = json.loads(probe.stdout)

    assert Path(facts["file"]).is_relative_to(site.resolve())
    assert facts["version"] == version
    assert facts["py_typed"] is True
    if has_testing:
        assert Path(facts["testing"]).is_relative_to(site.resolve())
    assert facts["row"] == [1, 15]  # 30 per FTE × 0.5 FTE

    cli = subprocess.run(
        [sys.executable, "-m", "caseload.cli", "--version"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.strip() == f"caseload {version}"

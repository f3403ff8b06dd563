#!/usr/bin/env python3
"""Project tasks: `python3 dev.py demo` runs the demo, `python3 dev.py test` runs every check.

Both create `.venv` from nothing (plain `venv` + `pip`) and reinstall the project into it
whenever `pyproject.toml` changes, so a fresh clone needs only python3 and pip.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".caseload-installed"


def _run(*args: str | Path) -> int:
    print("$", " ".join(str(a) for a in args), flush=True)
    return subprocess.call([str(a) for a in args], cwd=ROOT)


def dev_group() -> list[str]:
    """The requirements of the `dev` dependency group (PEP 735) in pyproject.toml.

    Read here and handed to pip as plain requirements, because `pip install --group`
    needs pip 25.1, newer than the pip a fresh python3 may bring."""
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    table: dict[str, list[object]] = groups.get("dependency-groups", {})

    def expand(name: str, seen: tuple[str, ...]) -> list[str]:
        if name in seen:
            sys.exit(f"dev.py: dependency group {name!r} includes itself")
        found: list[str] = []
        for entry in table.get(name, []):
            if isinstance(entry, str):
                found.append(entry)
            elif isinstance(entry, dict) and "include-group" in entry:
                found += expand(str(entry["include-group"]), (*seen, name))
        return found

    return expand("dev", ())


def ensure_venv() -> None:
    """Create `.venv` and install the project with its dev dependency group when needed."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    python = BIN / "python"
    steps = [
        (python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"),
        (python, "-m", "pip", "install", "--quiet", "-e", str(ROOT), *dev_group()),
    ]
    for step in steps:
        if _run(*step) != 0:
            sys.exit("dev.py: installing into .venv failed (see pip's message above)")
    STAMP.write_text(wanted)


def demo(args: list[str]) -> int:
    """Simulate a small programme and print its caseload and coverage.

    Without `--store` the store goes into a temporary directory that is removed again, so
    running the demo leaves nothing behind; `--store FILE` keeps the store in FILE.
    """
    if any(arg == "--store" or arg.startswith("--store=") for arg in args):
        return _run(BIN / "caseload", "demo", *args)
    with tempfile.TemporaryDirectory(prefix="caseload-demo-") as scratch:
        code = _run(BIN / "caseload", "demo", "--store", Path(scratch) / "demo.db", *args)
    print("dev.py: removed the demo's store; pass --store FILE to keep one", file=sys.stderr)
    return code


QUICK = ["tests/unit", "tests/stateful", "tests/docs", "-q", "-m", "not slow and not postgres"]
"""The quick profile: the tiers that need no database server, for the edit-test loop."""

PARALLEL = ["-n", "2", "--dist", "loadfile"]
"""How the full suite runs: on two processes (pytest-xdist), as CI has two cores. Whole
files go to one process, so a module's fixture (a simulated store, say) is built once.
Every test keeps to its own tmp_path and PostgreSQL schema, so the two never meet.
`-n 0` on the command line runs everything in one process again."""


def test(args: list[str]) -> int:
    """Lint, format check, strict typing, then the whole test suite (`--quick`: the fast
    tiers only, for the edit-test loop; CI always runs everything)."""
    quick = "--quick" in args
    args = [arg for arg in args if arg != "--quick"]
    checks = [
        (BIN / "ruff", "check", "src", "tests", "benchmarks", "dev.py"),
        (BIN / "ruff", "format", "--check", "src", "tests", "benchmarks", "dev.py"),
        (BIN / "mypy", "--strict", "src"),
    ]
    for check in checks:
        if _run(*check) != 0:
            return 1
    chosen = any(arg.startswith(("-n", "--numprocesses")) for arg in args)
    options = QUICK if quick else ([] if chosen else PARALLEL)
    return _run(BIN / "python", "-m", "pytest", *options, *args)


TASKS = {"demo": demo, "test": test}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        print(f"usage: python3 dev.py {{{'|'.join(TASKS)}}} [args...]", file=sys.stderr)
        return 2
    ensure_venv()
    return TASKS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())

"""Running code of another checkout beside this one: a process of its own with that
checkout's `src/` (and its `benchmarks/`) first on the path."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

from benchmarks.logs import KEY

__all__ = ["env_for", "status_run"]


def env_for(checkout: Path) -> dict[str, str]:
    """The environment of a process running `checkout`'s code: its tree first on the
    path, the benchmark's pseudonym key, no store named by the environment, and compiled
    modules written (so that no run pays for compiling them again)."""
    env = {**os.environ, "PYTHONPATH": f"{checkout / 'src'}:{checkout}"}
    env["CASELOAD_PSEUDONYM_KEY"] = KEY
    env.pop("CASELOAD_STORE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def status_run(checkout: Path, path: Path, arguments: list[str]) -> tuple[float, bytes]:
    """CPU seconds (user and system) of one `caseload status --store PATH ARGUMENTS`
    subprocess of `checkout`'s code, and what it printed."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "caseload", "status", "--store", str(path), *arguments],
        cwd=checkout,
        env=env_for(checkout),
        capture_output=True,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime, done.stdout

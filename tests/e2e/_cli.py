"""Running the `caseload` command as a subprocess, the way the end-to-end tests do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_SCRIPT = Path(sys.executable).parent / "caseload"
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "caseload.cli"]


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `caseload ARGS` in a subprocess and capture its output as UTF-8 text.

    CASELOAD_STORE and CASELOAD_PSEUDONYM_KEY are removed from the inherited environment,
    so each test passes exactly the store and key it means. COLUMNS is set wide so rich does
    not wrap lines the tests look for; the timeout only guards against a hung process and is
    not a performance assertion.
    """
    environment = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    environment.pop("CASELOAD_STORE", None)
    environment.pop("CASELOAD_PSEUDONYM_KEY", None)
    environment.update(env or {})
    return subprocess.run(
        [*COMMAND, *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )

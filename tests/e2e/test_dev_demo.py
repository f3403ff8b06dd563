"""`python3 dev.py demo`, the README's first command, as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    Path(sys.executable).parent.parent != ROOT / ".venv",
    reason="dev.py runs the demo from the repository's .venv, which these tests do not use",
)
def test_dev_demo_leaves_no_temporary_directory_behind(tmp_path: Path) -> None:
    """Each run of `python3 dev.py demo` prints the demo and removes the temporary store
    it made: nothing is left in TMPDIR."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    environment = {**os.environ, "TMPDIR": str(temp), "PYTHONIOENCODING": "utf-8"}
    environment.pop("CASELOAD_STORE", None)

    result = subprocess.run(
        [sys.executable, str(ROOT / "dev.py"), "demo", "--citizens", "20", "--months", "1"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "Caseload on" in result.stdout
    assert list(temp.iterdir()) == []

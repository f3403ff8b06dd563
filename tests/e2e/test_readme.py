"""The README's auditor block, copied as it is into a shell, runs from start to end."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent


def auditor_block() -> str:
    """The ```bash block of the README's "Auditing it" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Auditing it") :]
    found = re.search(r"^```bash\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert found, "the auditing section has no bash block"
    return found.group(1)


@pytest.mark.skipif(
    shutil.which("bash") is None or not (VENV / "bin" / "activate").exists(),
    reason="needs bash, and tests run from a virtual environment like the README's .venv",
)
def test_the_auditor_block_runs_as_copied(tmp_path: Path) -> None:
    """Pasted into a shell whose PATH knows no `caseload`, in a directory whose `.venv` is
    the environment the package is installed in, every line of the block succeeds: no
    `caseload: command not found`."""
    (tmp_path / ".venv").symlink_to(VENV, target_is_directory=True)
    script = tmp_path / "auditor.sh"
    script.write_text(auditor_block(), encoding="utf-8")
    environment = {"PATH": os.defpath, "HOME": str(tmp_path), "PYTHONIOENCODING": "utf-8"}

    result = subprocess.run(
        ["bash", "-e", str(script)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "command not found" not in result.stderr
    assert "every check passed" in result.stdout
    assert (tmp_path / "dataset" / "manifest.json").exists()

"""Optional extras: using a part without its extra says which pip command installs it."""

from __future__ import annotations

import subprocess
import sys


def test_the_test_kit_without_hypothesis_names_the_extra() -> None:
    """`import caseload.testing` with Hypothesis missing raises MissingExtra with pip's words."""
    script = "import sys; sys.modules['hypothesis'] = None; import caseload.testing"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("caseload.domain.errors.MissingExtra:")
    assert "pip install 'caseload[testing]'" in last

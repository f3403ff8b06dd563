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


def test_importing_the_package_for_sqlite_does_not_import_the_postgresql_driver() -> None:
    """`import caseload` and the command line load no psycopg: SQLite users need not have it."""
    script = (
        "import sys, caseload, caseload.cli; "
        "from datetime import date; "
        "app = caseload.Caseload('memory://'); "
        "app.register_broker(name='B', team='T', on=date(2025, 1, 6)); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'psycopg_pool')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_a_postgresql_store_without_the_driver_names_the_extra() -> None:
    """A postgresql URL with psycopg missing raises MissingExtra with the pip command."""
    script = (
        "import sys; sys.modules['psycopg'] = None; "
        "import importlib.util; importlib.util.find_spec = lambda name, *a: None; "
        "from caseload.adapters.storage import parse_store_url; "
        "parse_store_url('postgresql://root@127.0.0.1/test')"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("caseload.domain.errors.MissingExtra:")
    assert "pip install 'caseload[postgres]'" in last

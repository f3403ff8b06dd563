"""What plain `caseload status` leaves unimported on a real store, from start to end:
the start-up costs spared for it cannot come back unnoticed through the command's own
path (the unit tests check the imports of parsing alone)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e._cli import KEY, simulated_store
from tests.imported import kind_modules

SPARED = (
    "pydantic",
    "rich.progress",
    "rich.table",
    "cryptography",
    "caseload.export",
    "caseload.audit.rules",
)
"""Modules (with everything below them) that status never needs."""


def test_plain_status_imports_none_of_what_it_does_not_use(tmp_path: Path) -> None:
    """On a rebuilt store, status prints its tables and imports none of `SPARED`, nor any
    simulation, nor any programme kind proper: the kinds' read models and the values
    their states hold are all it loads of them. The garbage collector, paused while it
    reads, is on again afterwards."""
    store = simulated_store(tmp_path, rebuild=True)
    script = (
        "import sys\n"
        f"sys.argv = ['caseload', 'status', '--store', {str(store)!r}]\n"
        "from caseload.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "import gc\n"
        "assert gc.isenabled()  # paused while status read, switched on again\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    environment = {**os.environ, "CASELOAD_PSEUDONYM_KEY": KEY, "COLUMNS": "200"}
    environment.pop("CASELOAD_STORE", None)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=environment, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Caseload on" in result.stdout
    modules = set(result.stderr.split())
    assert "caseload.cli.programme" in modules
    imported = {
        name
        for name in modules
        for spared in SPARED
        if name == spared or name.startswith(spared + ".")
    }
    assert not imported
    assert not {name for name in modules if "simulation" in name.split(".")}
    assert "caseload.programmes.resource_pathway.read_models.role_coverage" in modules
    assert not kind_modules(modules)

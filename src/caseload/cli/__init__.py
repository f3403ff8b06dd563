"""The `caseload` command: run, audit and export programmes from the shell."""

# Importing a command module registers its commands on the app, and `caseload --help` lists
# them in the order they were registered: the programme's first, then the log's.
from caseload.cli import (
    programme,  # noqa: F401
    status,  # noqa: F401  (registers `caseload status`)
)

# isort: split
from caseload.cli import (
    audit,  # noqa: F401
    privacy,  # noqa: F401  (registers `caseload forget`, `caseload rotate-master-key`)
    reports,  # noqa: F401  (registers `caseload report`)
    versions,  # noqa: F401  (registers `caseload read-model-versions`, `drop-read-model-version`)
)

# isort: split
from caseload.cli import report_html  # noqa: F401  (registers `caseload report html`)
from caseload.cli.app import main

__all__ = ["main"]

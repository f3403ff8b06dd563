"""The `caseload` command: run, audit and export programmes from the shell."""

from caseload.cli import reports as _reports  # registers `caseload report`
from caseload.cli.commands import main

__all__ = ["main"]

del _reports

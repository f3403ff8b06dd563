"""The `caseload` command: run, audit and export programmes from the shell."""

from caseload.cli.commands import main

__all__ = ["main"]

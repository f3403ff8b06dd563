"""The `caseload` command's typer app: its shared options, error handling and entry point.

The commands themselves live in `caseload.cli.programme` and `caseload.cli.audit`, which
register on this app when `caseload.cli` is imported. Exit 0 on success, 2 on a user
mistake (one `caseload: error:` line on stderr, no traceback), 130 when interrupted. With
`--json` only the machine output goes to stdout; progress bars and messages go to stderr.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from caseload import __version__
from caseload.adapters.storage import parse_store_url
from caseload.application.caseload import Caseload
from caseload.cli.render import say
from caseload.domain.errors import CaseloadError, InvalidValue, StoreUnavailable

__all__ = [
    "INTERRUPTED",
    "KEY_VARIABLE",
    "STORE_HELP",
    "USAGE_ERROR",
    "cli",
    "emit_json",
    "err",
    "interrupted",
    "json_option",
    "main",
    "open_existing",
    "out",
    "parse_day",
    "parse_moment",
    "store_option",
    "user_errors",
]

cli = typer.Typer(
    name="caseload",
    help="Run and audit caseload-capped employment programmes kept as an event log.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
"""The app every command registers on."""
# Written to a file or a pipe, tables get room for whole names and numbers instead of the
# 80 columns rich assumes when it cannot ask a terminal (COLUMNS still wins when set).
out = Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160)
"""Where results go: stdout."""
err = Console(stderr=True)
"""Where progress, messages and errors go: stderr."""

USAGE_ERROR = 2
"""The exit code of a user mistake."""
INTERRUPTED = 130
"""The exit code after Ctrl-C."""
KEY_VARIABLE = "CASELOAD_PSEUDONYM_KEY"
"""The environment variable that holds the store's pseudonym key."""
STORE_HELP = (
    "Store URL: memory://, sqlite:///FILE (or a bare path), or "
    "postgresql://USER@HOST:PORT/DATABASE[?schema=NAME]."
)
"""The help of the `--store` option."""


def store_option(help_text: str = STORE_HELP) -> Any:
    """The `--store` option (also read from CASELOAD_STORE), required."""
    return typer.Option(..., "--store", envvar="CASELOAD_STORE", show_envvar=True, help=help_text)


def json_option() -> Any:
    """The `--json` flag: machine-readable output on stdout."""
    return typer.Option(
        False, "--json", help="Print machine-readable JSON on stdout (messages go to stderr)."
    )


def emit_json(payload: dict[str, Any]) -> None:
    """Print a JSON document on stdout, alone."""
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def interrupted(message: str) -> typer.Exit:
    """Say on stderr what an interruption (Ctrl-C) left behind; the exit to raise."""
    say(err, f"caseload: {message}")
    return typer.Exit(INTERRUPTED)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a rule or input error into one line on stderr and exit code 2, no traceback."""
    try:
        yield
    except CaseloadError as error:
        say(err, f"caseload: error: {error}")
        raise typer.Exit(USAGE_ERROR) from None


def _version(value: bool) -> None:
    if value:
        out.print(f"caseload {__version__}")
        raise typer.Exit


@cli.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Show the version and exit.", callback=_version, is_eager=True
    ),
) -> None:
    """Run and audit caseload-capped employment programmes kept as an event log."""


def parse_day(text: str, option: str) -> date:
    """A date given on the command line (YYYY-MM-DD); the message never repeats the value."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue(f"{option} must be a date as YYYY-MM-DD, e.g. 2024-06-30") from None


def parse_moment(text: str, option: str) -> datetime:
    """A timezone-aware moment given on the command line (ISO 8601, a trailing Z for UTC)."""
    example = "e.g. 2025-01-01T12:00:00+00:00 or 2025-01-01T12:00:00Z"
    cleaned = text.strip()
    if cleaned[-1:] in ("Z", "z"):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise InvalidValue(f"{option} must be an ISO 8601 date and time, {example}") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue(f"{option} needs a timezone (a UTC offset or Z), {example}")
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise InvalidValue(f"{option} lies outside the years 1 to 9999 in UTC") from None
    return moment


def open_existing(store: str) -> Caseload:
    """Open a store that must exist already: commands that work on a store's log never
    create one (a missing file, an empty file or a schema without an event log is a user
    error)."""
    parsed = parse_store_url(store)
    if parsed.kind == "sqlite":
        path = parsed.env["SQLITE_DBNAME"]
        if path != ":memory:" and not Path(path).exists():
            raise StoreUnavailable(f"no store at {path}: there is no such file")
    in_memory = parsed.kind == "memory" or parsed.env.get("SQLITE_DBNAME") == ":memory:"
    if not in_memory and parsed.missing_tables(parsed.events_table):
        raise StoreUnavailable(f"{parsed.description} holds no caseload event log")
    return Caseload(store)


def main() -> None:
    """Entry point of the `caseload` console script."""
    cli(prog_name="caseload")

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
from enum import Enum
from typing import Any

import typer
from rich.console import Console

try:  # typer 0.2x carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover  (older typer depends on click itself)
    import click.exceptions as click_errors  # type: ignore[import-not-found,no-redef,unused-ignore]

from caseload import __version__
from caseload.adapters.storage import IN_MEMORY_IS_EMPTY, parse_store_url
from caseload.application.caseload import Caseload
from caseload.cli.render import say
from caseload.domain.errors import CaseloadError, InvalidValue, LogAltered, StoreUnavailable

__all__ = [
    "FAILED_CHECK",
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
    "usage_message",
    "user_errors",
]

cli = typer.Typer(
    name="caseload",
    help="Run and audit caseload-capped employment programmes kept as an event log.",
    no_args_is_help=True,
    rich_markup_mode=None,
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
FAILED_CHECK = 1
"""The exit code when a check of the store fails (`verify`, or a damaged log)."""
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
    return typer.Option(
        ..., "--store", metavar="URL", envvar="CASELOAD_STORE", show_envvar=True, help=help_text
    )


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
    """Turn a rule or input error into one line on stderr and exit code 2, no traceback; a
    damaged or altered log into one line and exit code 1, as a failed check."""
    try:
        yield
    except LogAltered as error:
        # Not a mistake of the caller's: the store failed a check, as `verify` reports it.
        say(err, f"caseload: error: {error}")
        raise typer.Exit(FAILED_CHECK) from None
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
    parsed = parse_store_url(store, existing=True)
    if parsed.kind == "memory" or parsed.env.get("SQLITE_DBNAME") == ":memory:":
        raise StoreUnavailable(IN_MEMORY_IS_EMPTY)
    if parsed.for_reading().immutable:
        raise StoreUnavailable(
            f"{parsed.description} is on read-only media (it or its directory cannot be "
            "written) and this command writes; `rebuild --dry` and `seal --check` read it "
            "without writing"
        )
    if parsed.missing_tables(parsed.events_table):
        raise StoreUnavailable(f"{parsed.description} holds no caseload event log")
    return Caseload(store)


def _option_name(param: Any) -> str:
    opts = getattr(param, "opts", None) or [str(getattr(param, "name", "a value"))]
    return str(opts[0])


def _expected(param: Any) -> str | None:
    """What a parameter takes, in words, or None when its type says nothing useful."""
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "one of " + ", ".join(str(member.value) for member in annotation)
    if annotation is int:
        low, high = getattr(param, "min", None), getattr(param, "max", None)
        bounds = [f"at least {low}"] if low is not None else []
        bounds += [f"at most {high}"] if high is not None else []
        return "a whole number" + (", " + " and ".join(bounds) if bounds else "")
    return None


def usage_message(error: click_errors.ClickException) -> str:
    """A usage mistake in the project's words, one line: what was wrong and where to look.

    Typer's own messages come from pydantic ("Input should be greater than or equal to 0")
    and name click's parameter kinds; ours say what the option takes."""
    ctx = getattr(error, "ctx", None)
    command = ctx.command_path if ctx is not None else "caseload"
    param = getattr(error, "param", None)
    if isinstance(error, click_errors.MissingParameter) and param is not None:
        envvar = getattr(param, "envvar", None)
        alternative = f" (or set {envvar})" if isinstance(envvar, str) else ""
        return f"{command} needs {_option_name(param)}{alternative}; see {command} --help"
    if isinstance(error, click_errors.BadParameter) and param is not None:
        expected = _expected(param)
        if expected is not None:
            return f"{_option_name(param)} must be {expected}"
        return f"{_option_name(param)}: {error.message}"
    missing_value = error.message.endswith("requires an argument.")
    if isinstance(error, click_errors.BadOptionUsage) and missing_value:
        return f"{error.option_name} needs a value; see {command} --help"
    if isinstance(error, click_errors.NoSuchOption):
        return f"{command} has no option {error.option_name}; see {command} --help"
    if isinstance(error, click_errors.UsageError) and error.message.startswith("No such command"):
        name = error.message.removeprefix("No such command").strip(" .'\"")
        return f"{command} has no command {name!r}; see {command} --help"
    return f"{error.format_message().rstrip('.')}; see {command} --help"


def _values_taken_as_given(command: Any) -> None:
    """Let every text and flag parameter of `command` and its subcommands (their `--help`
    too) keep the value it was given without building typer's pydantic adapter for it.

    Typer 0.2x coerces each value through a pydantic `TypeAdapter` built on first use;
    for a text or a flag that adapter returns the value as it is, yet importing pydantic
    and building the adapters costs about 0.2 s of CPU per command, a fifth of `caseload
    status`. A value not already of its parameter's type (none is, from a command line or
    the environment) still goes through typer's own coercion; parameters of other types
    keep it always. Typer's private names are used here, so a typer without them (older:
    click's own types; or one that changed them) is left exactly as it is.
    """
    try:
        from typer._click import Context
        from typer._coercion import RuntimeParam, build_runtime_param
    except ImportError:  # pragma: no cover  (typer before 0.2x has no pydantic coercion)
        return

    class AsGiven(RuntimeParam):
        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if type(value) is self.annotation:
                return value
            typer_own = build_runtime_param(param.type_descriptor)
            return typer_own.coerce(value, param=param, ctx=ctx)

    def take_as_given(command: Any) -> None:
        params = list(command.params)
        if getattr(command, "_help_option", False) is None:
            # Made on first use otherwise, with the parser; made here, it is the one used.
            help_option = command.get_help_option(Context(command))
            params += [help_option] if help_option is not None else []
        for param in params:
            descriptor = getattr(param, "type_descriptor", None)
            if (
                descriptor is not None
                and descriptor.annotation in (str, bool)
                and descriptor.parameter_info.parser is None
                and getattr(param, "_runtime_param", False) is None
            ):
                param._runtime_param = AsGiven(
                    parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
                )
        for subcommand in getattr(command, "commands", {}).values():
            take_as_given(subcommand)

    try:
        take_as_given(command)
    except (AttributeError, TypeError):  # pragma: no cover  (a typer whose internals moved)
        return


def main() -> None:
    """Entry point of the `caseload` console script.

    Click's standalone mode would print a usage mistake as a usage block and a boxed panel;
    here every mistake becomes one `caseload: error:` line and exit 2.
    """
    command = typer.main.get_command(cli)
    _values_taken_as_given(command)
    try:
        code = command(prog_name="caseload", standalone_mode=False)
    except click_errors.NoArgsIsHelpError as error:
        # `caseload` alone (or `caseload report`): the help, as a usage mistake (click 8.2+).
        out.print(error.format_message(), markup=False, highlight=False, end="")
        code = USAGE_ERROR
    except click_errors.ClickException as error:
        say(err, f"caseload: error: {usage_message(error)}")
        code = error.exit_code
    except typer.Abort:
        say(err, "caseload: aborted")
        code = INTERRUPTED
    sys.exit(code if isinstance(code, int) else 0)

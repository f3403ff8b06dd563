"""The `caseload` command: demo, simulate, status, rebuild, verify, seal and export.

Exit 0 on success, 2 on a user mistake (one `caseload: error:` line on stderr, no traceback),
130 when interrupted. With `--json` only the machine output goes to stdout; progress bars and
messages go to stderr.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from caseload import __version__
from caseload.adapters.storage import parse_store_url
from caseload.application.caseload import Caseload
from caseload.cli.render import (
    StatusData,
    caseload_table,
    coverage_table,
    print_rebuild,
    print_seal,
    print_status,
    print_verify,
    rebuild_json,
    say,
    seal_json,
    status_json,
    verify_json,
)
from caseload.domain.errors import (
    CaseloadError,
    ConfigurationError,
    InvalidValue,
    MissingPseudonymKey,
    StoreUnavailable,
)
from caseload.export import FORMATS, MANIFEST_FILE, export_dataset, export_key
from caseload.programmes.resource_pathway.simulation import (
    SimulationConfig,
    SimulationReport,
    simulate,
)
from caseload.projections.runner import Progress as RebuildProgress

__all__ = ["main"]

cli = typer.Typer(
    name="caseload",
    help="Run and audit caseload-capped employment programmes kept as an event log.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

USAGE_ERROR = 2
INTERRUPTED = 130
KEY_VARIABLE = "CASELOAD_PSEUDONYM_KEY"
STORE_HELP = (
    "Store URL: memory://, sqlite:///FILE (or a bare path), or "
    "postgresql://USER@HOST:PORT/DATABASE[?schema=NAME]."
)


def _store_option(help_text: str = STORE_HELP) -> Any:
    return typer.Option(..., "--store", envvar="CASELOAD_STORE", show_envvar=True, help=help_text)


def _json_option() -> Any:
    return typer.Option(
        False, "--json", help="Print machine-readable JSON on stdout (messages go to stderr)."
    )


def _emit_json(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _interrupted(message: str) -> typer.Exit:
    say(err, f"caseload: {message}")
    return typer.Exit(INTERRUPTED)


@contextmanager
def _user_errors() -> Iterator[None]:
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


def _parse_day(text: str, option: str) -> date:
    """A date given on the command line (YYYY-MM-DD); the message never repeats the value."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue(f"{option} must be a date as YYYY-MM-DD, e.g. 2024-06-30") from None


def _parse_moment(text: str, option: str) -> datetime:
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


def _existing(store: str) -> Caseload:
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


def _run_simulation(
    app: Caseload, config: SimulationConfig, *, transient: bool
) -> SimulationReport:
    """Simulate into `app` with a progress bar (weeks) on stderr.

    The bar starts with the first week done, so a configuration the simulation refuses
    leaves nothing on stderr but the error.
    """
    bar = Progress(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("weeks"),
        TimeElapsedColumn(),
        console=err,
        transient=transient,
    )
    task = bar.add_task("simulate", total=None)

    def advance(done: int, total: int) -> None:
        if not bar.live.is_started:
            bar.start()
        bar.update(task, completed=done, total=total)

    try:
        return simulate(app, config, progress=advance)
    finally:
        if bar.live.is_started:
            bar.stop()


def _print_refused(report: SimulationReport) -> None:
    for message in report.refused:
        say(out, f"Refused by the caseload rule: {message}")


def _print_demo(app: Caseload, report: SimulationReport, store: str) -> None:
    out.print(caseload_table(app.caseload(as_true_on=report.end), f"Caseload on {report.end}"))
    coverage = app.role_coverage()
    out.print(coverage_table(coverage))
    say(
        out,
        f"Active cases: {coverage.active_cases}; all four roles covered: "
        f"{coverage.share_all_four:.0%}; all four by the assigned broker alone: "
        f"{coverage.share_all_four_by_assigned_broker:.0%}",
    )
    _print_refused(report)
    say(out, f"{app.head()} events from {report.commands} commands in {store}")


@cli.command()
def demo(
    store: str | None = typer.Option(
        None,
        "--store",
        help="Store URL or SQLite file for the demo (default: a new file in a temp dir).",
    ),
    seed: int = typer.Option(1, "--seed", help="Random seed; the same seed gives the same run."),
    brokers: int = typer.Option(3, "--brokers", min=1, help="Number of brokers."),
    citizens: int = typer.Option(70, "--citizens", min=0, help="Number of citizens."),
    months: int = typer.Option(6, "--months", min=1, help="Months to simulate."),
) -> None:
    """Simulate a small programme and print its caseload and four-role coverage."""
    with _user_errors():
        if store is None:
            store = str(Path(tempfile.mkdtemp(prefix="caseload-demo-")) / "demo.db")
        key = os.environ.get("CASELOAD_PSEUDONYM_KEY") or secrets.token_hex(32)
        with Caseload(store, pseudonym_key=key) as app:
            if app.head():
                raise ConfigurationError(
                    f"{app.store} already holds {app.head()} events; "
                    "the demo needs an empty store (--store)"
                )
            config = SimulationConfig(brokers=brokers, citizens=citizens, months=months, seed=seed)
            report = _run_simulation(app, config, transient=True)
            _print_demo(app, report, app.store)


@cli.command("simulate")
def simulate_command(
    store: str = _store_option(),
    citizens: int = typer.Option(70, "--citizens", min=0, help="Number of citizens."),
    brokers: int = typer.Option(3, "--brokers", min=1, help="Number of brokers."),
    months: int = typer.Option(6, "--months", min=1, help="Months to simulate."),
    seed: int = typer.Option(1, "--seed", help="Random seed; the same seed gives the same run."),
    start: str = typer.Option(
        SimulationConfig().start.isoformat(), "--start", help="First day (YYYY-MM-DD)."
    ),
    programme: str = typer.Option(
        "resource_pathway",
        "--programme",
        help="resource_pathway, education (the education ambassador programme over its "
        "seed period, April 2021 to December 2022) or all (both, into one store).",
    ),
    as_json: bool = _json_option(),
) -> None:
    """Write a simulated programme into an empty store.

    Citizens are pseudonymised with the key in CASELOAD_PSEUDONYM_KEY (at least 16 bytes),
    which must stay the same for the store: every later command that takes a CPR number
    needs the same key. The simulation must end by today.
    """
    with _user_errors():
        first = _parse_day(start, "--start")
        key = os.environ.get(KEY_VARIABLE)
        if not key:
            raise MissingPseudonymKey(
                f"set {KEY_VARIABLE} to the store's pseudonym key (at least 16 bytes, kept "
                "secret and the same for every command on this store) before simulating"
            )
        config = SimulationConfig(
            brokers=brokers, citizens=citizens, months=months, seed=seed, start=first
        )
        if programme != "resource_pathway":
            from caseload.cli.reports import simulate_programmes

            simulate_programmes(store, key, programme, config, as_json=as_json)
            return
        config.check_ends_by(date.today())  # before the store is created
        with Caseload(store, pseudonym_key=key) as app:
            if app.head():
                raise ConfigurationError(
                    f"{app.store} already holds {app.head()} events; simulate needs an empty store"
                )
            try:
                report = _run_simulation(app, config, transient=False)
            except KeyboardInterrupt:
                raise _interrupted(
                    f"simulation interrupted; {app.store} holds a partial programme "
                    f"of {app.head()} events"
                ) from None
            counts = {
                "events": app.head(),
                "commands": report.commands,
                "refused": len(report.refused),
                "brokers": len(report.brokers),
                "trajectories": len(report.trajectories),
            }
            if as_json:
                _emit_json(counts)
                return
            _print_refused(report)
            say(
                out,
                f"Simulated {config.start} to {report.end} into {app.store}: "
                f"{counts['events']} events from {counts['commands']} commands, "
                f"{counts['brokers']} brokers, {counts['trajectories']} trajectories, "
                f"{counts['refused']} refused",
            )


@cli.command()
def status(
    store: str = _store_option(),
    as_known_at: str | None = typer.Option(
        None,
        "--as-known-at",
        help="Show what the log knew at this moment (ISO 8601 with a timezone, or Z).",
    ),
    as_true_on: str | None = typer.Option(
        None,
        "--as-true-on",
        help="Show things as they stood on this day (YYYY-MM-DD; default today), "
        "late registrations included.",
    ),
    as_json: bool = _json_option(),
) -> None:
    """Show caseload per broker against the limit, role coverage, outcomes and attention."""
    with _user_errors():
        known = None if as_known_at is None else _parse_moment(as_known_at, "--as-known-at")
        day = None if as_true_on is None else _parse_day(as_true_on, "--as-true-on")
        with _existing(store) as app:
            data = StatusData(
                store=app.store,
                as_true_on=app.today() if day is None else day,
                as_known_at=known,
                caseload=app.caseload(as_known_at=known, as_true_on=day),
                coverage=app.role_coverage(as_known_at=known, as_true_on=day),
                outcomes=app.outcomes(as_known_at=known, as_true_on=day),
                attention=app.attention_list(as_known_at=known, as_true_on=day),
            )
        if as_json:
            _emit_json(status_json(data))
        else:
            print_status(out, data)


@cli.command()
def rebuild(store: str = _store_option(), as_json: bool = _json_option()) -> None:
    """Rebuild every read model from the start of the log.

    Resumable: after Ctrl-C or a kill, run the same command again and it goes on from the
    last batch it wrote. Readers stay correct meanwhile.
    """
    with _user_errors():
        try:
            with _existing(store) as app:
                with Progress(
                    TextColumn("rebuilding"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn("events"),
                    TextColumn("{task.fields[rate]:>10,.0f} events/s"),
                    TimeRemainingColumn(),
                    TimeElapsedColumn(),
                    console=err,
                ) as bar:
                    task = bar.add_task("rebuild", total=None, rate=0.0)

                    def report(step: RebuildProgress) -> None:
                        bar.update(task, completed=step.done, total=step.total, rate=step.rate)

                    result = app.projections.rebuild(progress=report)
                description = app.store
        except KeyboardInterrupt:
            raise _interrupted(
                "rebuild interrupted; run the same `caseload rebuild` command again to "
                "resume from where it stopped"
            ) from None
    if as_json:
        _emit_json(rebuild_json(result))
    else:
        print_rebuild(out, result, description)


@cli.command("export")
def export_command(
    store: str = _store_option(),
    out_dir: str = typer.Option(
        ..., "--out", help="A new or empty directory to write the dataset into."
    ),
    file_format: str = typer.Option(
        "csv",
        "--format",
        help=f"{' or '.join(FORMATS)} (parquet needs pyarrow, the 'parquet' extra).",
    ),
    as_known_at: str | None = typer.Option(
        None,
        "--as-known-at",
        help="Export the log as recorded by this moment (ISO 8601 with a timezone, or Z).",
    ),
    key: str | None = typer.Option(
        None,
        "--key",
        envvar="CASELOAD_EXPORT_KEY",
        show_envvar=True,
        show_default=False,
        help="Key (at least 16 bytes) that re-keys every id for this export; exports under "
        "the same key can be joined, under different keys they cannot. Prefer the "
        "environment variable: a command line is visible to other users.",
    ),
    as_json: bool = _json_option(),
) -> None:
    """Export the pseudonymised dataset for evaluators: one file per table, a data
    dictionary and a manifest with row counts and sha256 of every file.

    The same log and options always give byte-identical files. No CPR number, stored
    pseudonym, stored id or broker name is exported.
    """
    with _user_errors():
        known = None if as_known_at is None else _parse_moment(as_known_at, "--as-known-at")
        if file_format not in FORMATS:
            raise InvalidValue(f"--format must be one of {', '.join(FORMATS)}")
        raw_key = export_key(key)
        try:
            with Caseload.open_readonly(store, as_known_at=known) as app:
                manifest = export_dataset(
                    app,
                    Path(out_dir),
                    key=raw_key,
                    format="parquet" if file_format == "parquet" else "csv",
                    as_known_at=known,
                )
        except KeyboardInterrupt:
            raise _interrupted(
                f"export interrupted; {out_dir} has no {MANIFEST_FILE}, so it is not a "
                "complete export: remove it and run the command again"
            ) from None
    if as_json:
        _emit_json({"out": str(out_dir), **manifest.as_dict()})
        return
    for table in manifest.tables:
        say(out, f"{table.file:<28} {table.rows:>9,} rows")
    known_text = "" if manifest.as_known_at is None else f" as known at {manifest.as_known_at}"
    say(
        out,
        f"Exported the log up to position {manifest.log_position}{known_text} "
        f"(business dates up to {manifest.reference_date or 'none'}) into {out_dir}; "
        f"{MANIFEST_FILE} lists the sha256 of every file",
    )


FAILED_CHECK = 1


@cli.command()
def verify(
    store: str = _store_option(),
    seal: str | None = typer.Option(
        None,
        "--seal",
        help="A seal digest kept outside the database (from `caseload seal`): it must be "
        "one of the store's seals and still match the log.",
    ),
    as_json: bool = _json_option(),
) -> None:
    """Prove the log unaltered, no rule ever broken, and every read model true.

    Replays the whole history up to the end of the log when it starts (writers may go on):
    (1) the hash chain and every seal, (2) every rule on every date, (3) every stored read
    model, checkpoint and index row against a fresh fold, and every aggregate snapshot
    against a replay. Prints each check with ✓ or ✗ and, for a failure, its
    first offending event (position, aggregate, type; never personal data). Exit 0 when
    every check passes, 1 when one fails, 2 on a usage error. Writes nothing.
    """
    with _user_errors(), Caseload.open_readonly(store) as app:
        description = app.store
        with Progress(
            TextColumn("verifying"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("verify", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = app.verify(expect_seal=seal, progress=advance)
    if as_json:
        _emit_json(verify_json(report, description))
    else:
        print_verify(out, report, description)
    if not report.ok:
        raise typer.Exit(FAILED_CHECK)


@cli.command("seal")
def seal_command(store: str = _store_option(), as_json: bool = _json_option()) -> None:
    """Seal the log: record the hash chain's head, its position and the time.

    The seal is itself chained. Keep the printed digest outside the database (a ticket, a
    letter, a second system): `caseload verify --seal DIGEST` then detects even a rewrite of
    the whole chain.
    """
    with _user_errors(), _existing(store) as app:
        sealed = app.seal()
        description = app.store
    if as_json:
        _emit_json(seal_json(sealed, description))
    else:
        print_seal(out, sealed, description)


def main() -> None:
    """Entry point of the `caseload` console script."""
    cli(prog_name="caseload")


if __name__ == "__main__":  # pragma: no cover
    main()

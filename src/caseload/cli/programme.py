"""The programme's commands: `demo` and `simulate` write a programme, `status` shows it."""

from __future__ import annotations

import csv
import gc
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from caseload.adapters.storage import parse_store_url
from caseload.application.caseload import Caseload
from caseload.cli.app import (
    KEY_VARIABLE,
    cli,
    emit_json,
    err,
    interrupted,
    json_option,
    out,
    parse_day,
    parse_moment,
    store_option,
    user_errors,
)
from caseload.cli.checks import check_log, unverified_option
from caseload.cli.render import (
    SERIES_FIELDS,
    StatusData,
    caseload_table,
    coverage_table,
    limit_note,
    print_status,
    say,
    series_table,
    series_values,
    status_json,
)
from caseload.cli.tables import print_table
from caseload.cli.weeks import with_weeks_bar
from caseload.domain.errors import ConfigurationError, InvalidValue, MissingPseudonymKey
from caseload.programmes.resource_pathway.read_models.attention import AttentionModel
from caseload.programmes.resource_pathway.read_models.attention_counts import attention_counts
from caseload.programmes.resource_pathway.read_models.caseload_counts import (
    CaseloadCounts,
    caseload_rows,
)
from caseload.programmes.resource_pathway.read_models.coverage_reports import coverage_summary
from caseload.programmes.resource_pathway.read_models.outcomes import (
    OutcomesModel,
    outcome_totals,
)
from caseload.programmes.resource_pathway.read_models.role_coverage import RoleCoverageModel

if TYPE_CHECKING:
    from caseload.programmes.resource_pathway.simulation import SimulationConfig, SimulationReport

__all__ = ["PresetName", "Programme", "demo", "print_series", "simulate_command", "status"]


class PresetName(StrEnum):
    """What `caseload simulate --preset` takes (the names of `PRESETS`), so `--help` lists
    the choices."""

    VIBORG = "viborg"
    NATIONAL = "national"


MEMORY_STORE_WARNING = (
    "warning: memory:// is empty in every new process: what this command writes is gone "
    "when it ends; give a SQLite file or a PostgreSQL URL to keep it"
)


def warn_if_memory(store: str) -> None:
    """Say on stderr that a memory store does not outlive this process."""
    if parse_store_url(store).kind == "memory":
        say(err, MEMORY_STORE_WARNING)


class Programme(StrEnum):
    """What `caseload simulate --programme` takes, so `--help` lists the choices."""

    RESOURCE_PATHWAY = "resource_pathway"
    EDUCATION = "education"
    ALL = "all"


def run_simulation(app: Caseload, config: SimulationConfig, *, transient: bool) -> SimulationReport:
    """Simulate into `app` with a progress bar (weeks) on stderr."""
    # Imported here: the simulation's modules are for the commands that simulate.
    from caseload.programmes.resource_pathway.simulation import simulate

    return with_weeks_bar(
        "simulating", lambda advance: simulate(app, config, progress=advance), transient=transient
    )


def _print_refused(report: SimulationReport) -> None:
    for message in report.refused:
        say(out, f"Refused by the caseload rule: {message}")


def _print_demo(app: Caseload, report: SimulationReport, store: str) -> None:
    policy = app.read_model(CaseloadCounts, as_true_on=report.end).policy_on(report.end)
    rows = app.caseload(as_true_on=report.end)
    print_table(out, caseload_table(rows, f"Caseload on {report.end}"))
    say(out, limit_note(policy, report.end))
    coverage = app.role_coverage()
    print_table(out, coverage_table(coverage))
    say(
        out,
        f"Active cases: {coverage.active_cases}; all four roles covered: "
        f"{coverage.share_all_four:.0%}; all four by the assigned broker alone: "
        f"{coverage.share_all_four_by_assigned_broker:.0%}",
    )
    _print_refused(report)
    say(out, f"{app.head()} events from {report.commands} commands in {store}")


@cli.command(short_help="Simulate a small programme; print its caseload and role coverage.")
def demo(
    store: str | None = typer.Option(
        None,
        "--store",
        metavar="URL",
        help="Store URL or SQLite file for the demo (default: a new file in a temp dir).",
    ),
    seed: int = typer.Option(
        1, "--seed", metavar="N", help="Random seed; the same seed gives the same run."
    ),
    brokers: int = typer.Option(3, "--brokers", metavar="N", min=1, help="Number of brokers."),
    citizens: int = typer.Option(70, "--citizens", metavar="N", min=0, help="Number of citizens."),
    months: int = typer.Option(6, "--months", metavar="N", min=1, help="Months to simulate."),
) -> None:
    """Simulate a small programme and print its caseload and four-role coverage."""
    from caseload.programmes.resource_pathway.simulation import SimulationConfig, default_start

    with user_errors():
        if store is None:
            store = str(Path(tempfile.mkdtemp(prefix="caseload-demo-")) / "demo.db")
        warn_if_memory(store)
        key = os.environ.get("CASELOAD_PSEUDONYM_KEY") or secrets.token_hex(32)
        with Caseload(store, pseudonym_key=key) as app:
            if app.head():
                raise ConfigurationError(
                    f"{app.store} already holds {app.head()} events; "
                    "the demo needs an empty store (--store)"
                )
            config = SimulationConfig(
                brokers=brokers,
                citizens=citizens,
                months=months,
                seed=seed,
                start=default_start(months, app.today()),
            )
            report = run_simulation(app, config, transient=True)
            _print_demo(app, report, app.store)


@cli.command("simulate")
def simulate_command(
    store: str = store_option(),
    citizens: int | None = typer.Option(
        None, "--citizens", metavar="N", min=0, help="Number of citizens (default 70)."
    ),
    brokers: int | None = typer.Option(
        None, "--brokers", metavar="N", min=1, help="Number of brokers (default 3)."
    ),
    months: int | None = typer.Option(
        None, "--months", metavar="N", min=1, help="Months to simulate (default 6)."
    ),
    teams: int | None = typer.Option(
        None, "--teams", metavar="N", min=1, help="Teams the brokers work in (default 2)."
    ),
    preset: PresetName | None = typer.Option(
        None,
        "--preset",
        metavar="PRESET",
        help="A named size: viborg (300 citizens, 10 brokers, 36 months) or national "
        "(18,000 citizens, 600 brokers in 98 teams, 36 months); see docs/simulation.md. "
        "Options given explicitly override the preset's values.",
    ),
    seed: int = typer.Option(
        1, "--seed", metavar="N", help="Random seed; the same seed gives the same run."
    ),
    start: str | None = typer.Option(
        None,
        "--start",
        metavar="DATE",
        help="First day (YYYY-MM-DD); default the first day of the month --months months "
        "before today, so the run ends by today.",
    ),
    programme: Programme = typer.Option(
        Programme.RESOURCE_PATHWAY,
        "--programme",
        metavar="PROGRAMME",
        help="resource_pathway; education (the education ambassador programme over its "
        "seed period, April 2021 to December 2022); or all (both, into one store).",
    ),
    as_json: bool = json_option(),
) -> None:
    """Write a simulated programme into an empty store.

    Citizens are pseudonymised with the key in CASELOAD_PSEUDONYM_KEY (at least 16 bytes),
    which must stay the same for the store: every later command that takes a CPR number
    needs the same key. The simulation must end by today. Its commands run through the
    same checks as any other, and are written in batches of a few thousand per transaction.
    """
    from caseload.simulation.presets import simulation_config

    with user_errors():
        first = None if start is None else parse_day(start, "--start")
        key = os.environ.get(KEY_VARIABLE)
        if not key:
            raise MissingPseudonymKey(
                f"set {KEY_VARIABLE} to the store's pseudonym key (at least 16 bytes, kept "
                "secret and the same for every command on this store) before simulating"
            )
        config = simulation_config(
            today=date.today(),
            preset=None if preset is None else str(preset.value),
            citizens=citizens,
            brokers=brokers,
            months=months,
            teams=teams,
            seed=seed,
            start=first,
        )
        warn_if_memory(store)
        if programme is not Programme.RESOURCE_PATHWAY:
            from caseload.cli.reports import simulate_programmes

            simulate_programmes(store, key, programme.value, config, as_json=as_json)
            return
        config.check_ends_by(date.today())  # before the store is created
        with Caseload(store, pseudonym_key=key) as app:
            if app.head():
                raise ConfigurationError(
                    f"{app.store} already holds {app.head()} events; simulate needs an empty store"
                )
            try:
                report = run_simulation(app, config, transient=False)
            except KeyboardInterrupt:
                raise interrupted(
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
                emit_json(counts)
                return
            _print_refused(report)
            say(
                out,
                f"Simulated {config.start} to {report.end} into {app.store}: "
                f"{counts['events']} events from {counts['commands']} commands, "
                f"{counts['brokers']} brokers, {counts['trajectories']} trajectories, "
                f"{counts['refused']} refused",
            )


@cli.command(short_help="Caseload against the limit, role coverage, outcomes, attention.")
def status(
    store: str = store_option(),
    as_known_at: str | None = typer.Option(
        None,
        "--as-known-at",
        metavar="TIME",
        help="Show what the log knew at this moment (ISO 8601 with a timezone, or Z).",
    ),
    as_true_on: str | None = typer.Option(
        None,
        "--as-true-on",
        metavar="DATE",
        help="Show things as they stood on this day (YYYY-MM-DD; default today), "
        "late registrations included.",
    ),
    as_json: bool = json_option(),
    series: bool = typer.Option(
        False,
        "--series",
        help="Show the daily caseload per broker (with the limit in force) over a range instead.",
    ),
    first_day: str | None = typer.Option(
        None,
        "--from",
        metavar="DATE",
        help="With --series: the first day (default the first registration).",
    ),
    last_day: str | None = typer.Option(
        None,
        "--to",
        metavar="DATE",
        help="With --series: the last day (default the --as-true-on day).",
    ),
    as_csv: bool = typer.Option(False, "--csv", help="With --series: print CSV on stdout."),
    unverified: bool = unverified_option(),
    whole_chain: bool = typer.Option(
        False,
        "--whole-chain",
        help="Recompute every link of the log's hash chain, not only those after the last "
        "rebuild's check (slower on a large log; `caseload verify` does it too).",
    ),
) -> None:
    """Show caseload per broker against the limit, role coverage, outcomes and attention.

    Reads the log as it stands when the command starts (or as known at --as-known-at),
    after checking its hash chain from where the last rebuild checked it in full (the
    whole chain with --whole-chain): an altered log is refused with exit 1.
    """
    with user_errors():
        known = None if as_known_at is None else parse_moment(as_known_at, "--as-known-at")
        day = None if as_true_on is None else parse_day(as_true_on, "--as-true-on")
        if series or as_csv or first_day is not None or last_day is not None:
            first = None if first_day is None else parse_day(first_day, "--from")
            last = None if last_day is None else parse_day(last_day, "--to")
            with _collector_paused():
                print_series(
                    store,
                    first,
                    last,
                    known,
                    day,
                    as_json=as_json,
                    as_csv=as_csv,
                    unverified=unverified,
                    whole_chain=whole_chain,
                )
            return
        with _collector_paused():
            with Caseload.open_readonly(store, as_known_at=known) as app:
                check_log(app, unverified=unverified, from_anchor=not whole_chain)
                on = app.today() if day is None else day
                # Only what is shown is computed: the coverage per broker without the rows per
                # trajectory, and the outcome totals without the monthly shares.
                # The four models are read at one cut: as of a moment or a day, in one replay.
                states = app.read_models(
                    CaseloadCounts,
                    RoleCoverageModel,
                    OutcomesModel,
                    AttentionModel,
                    as_known_at=known,
                    as_true_on=day,
                )
                coverage = states[RoleCoverageModel]
                placements, closures = outcome_totals(states[OutcomesModel], on)
                data = StatusData(
                    store=app.store,
                    as_true_on=on,
                    as_known_at=known,
                    caseload=caseload_rows(states[CaseloadCounts], on),
                    coverage=coverage_summary(coverage),
                    placements=placements,
                    closures=closures,
                    attention=attention_counts(states[AttentionModel], on),
                )
            if as_json:
                emit_json(status_json(data))
            else:
                print_status(out, data)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while status reads the stored states and
    prints them (the daily series too: a row per broker and day, a million rows over the
    whole range at 1 M events), and leave what it read out of the collector's later passes.

    Reading the states parses their JSON into hundreds of thousands of dicts and lists,
    whose allocation starts the collector over and over, each pass walking what was read
    so far (0.08-0.1 s of CPU of a second at 1 M events), and a first pass after the pause
    would walk all of it once more. The states hold no reference cycles (reference
    counting frees them), so the collector finds nothing there: the objects made meanwhile
    are moved to its permanent generation (`gc.freeze`) before it is switched back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()


def print_series(
    store: str,
    first: date | None,
    last: date | None,
    known: datetime | None,
    day: date | None,
    *,
    as_json: bool,
    as_csv: bool,
    unverified: bool = False,
    whole_chain: bool = False,
) -> None:
    """`caseload status --series`: the daily caseload per broker as a table, CSV or JSON."""
    if as_json and as_csv:
        raise InvalidValue("--json and --csv exclude each other: choose one")
    with Caseload.open_readonly(store, as_known_at=known) as app:
        check_log(app, unverified=unverified, from_anchor=not whole_chain)
        rows = app.caseload_series(
            first_day=first, last_day=last, as_known_at=known, as_true_on=day
        )
    values = series_values(rows)
    if as_json:
        emit_json({"series": [dict(zip(SERIES_FIELDS, value, strict=True)) for value in values]})
    elif as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(SERIES_FIELDS)
        writer.writerows(values)
    else:
        print_table(out, series_table(rows))

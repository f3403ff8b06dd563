"""The programme's commands: `demo` and `simulate` write a programme (`status`, in
`caseload.cli.status`, shows it)."""

from __future__ import annotations

import os
import secrets
import tempfile
from datetime import date
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
    store_option,
    user_errors,
)
from caseload.cli.render import (
    caseload_table,
    coverage_table,
    limit_note,
    say,
)
from caseload.cli.tables import print_table
from caseload.cli.weeks import with_weeks_bar
from caseload.domain.errors import ConfigurationError, MissingPseudonymKey
from caseload.programmes.resource_pathway.read_models.caseload_counts import (
    CaseloadCounts,
)

if TYPE_CHECKING:
    from caseload.programmes.resource_pathway.simulation import SimulationConfig, SimulationReport

__all__ = ["PresetName", "Programme", "demo", "simulate_command"]


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

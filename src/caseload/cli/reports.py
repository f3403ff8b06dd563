"""`caseload report half-year` and `caseload report monthly`: the education programme's
status for the national agency and for management, and the education part of `simulate`.

The commands register on the `cli` app of `caseload.cli.commands`; `caseload.cli` imports
this module so that they exist whenever the command runs.
"""

from __future__ import annotations

import sys
from datetime import date
from typing import TYPE_CHECKING, Any

import typer

from caseload.application.caseload import Caseload
from caseload.cli.app import (
    cli,
    emit_json,
    interrupted,
    json_option,
    out,
    parse_day,
    parse_moment,
    store_option,
    user_errors,
)
from caseload.cli.checks import check_log, unverified_option
from caseload.cli.render import say
from caseload.cli.weeks import with_weeks_bar
from caseload.domain.errors import ConfigurationError, InvalidValue

if TYPE_CHECKING:
    from caseload.programmes.education.simulation import (
        EducationSimulationConfig,
        EducationSimulationReport,
    )
    from caseload.programmes.resource_pathway.simulation import SimulationConfig

__all__ = ["PROGRAMME_CHOICES", "report", "simulate_programmes"]

PROGRAMME_CHOICES = ("resource_pathway", "education", "all")
"""What `caseload simulate --programme` takes."""

report = typer.Typer(
    name="report",
    help="Reports: the education programme's half-year status (for the national agency) "
    "and monthly status (for management), and the HTML management report of both "
    "programmes.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
cli.add_typer(report, name="report", short_help="The education programme's status reports.")


def _known_option() -> Any:
    return typer.Option(
        None,
        "--as-known-at",
        metavar="TIME",
        help="Report what the log knew at this moment (ISO 8601 with a timezone, or Z).",
    )


def _true_option() -> Any:
    return typer.Option(
        None,
        "--as-true-on",
        metavar="DATE",
        help="Count only what had happened by this day (YYYY-MM-DD), late registrations included.",
    )


def _csv_option() -> Any:
    return typer.Option(False, "--csv", help="Print CSV on stdout instead of a table.")


def _moments(
    as_known_at: str | None, as_true_on: str | None, as_json: bool, as_csv: bool
) -> tuple[Any, date | None]:
    if as_json and as_csv:
        raise InvalidValue("--json and --csv exclude each other: choose one")
    known = None if as_known_at is None else parse_moment(as_known_at, "--as-known-at")
    day = None if as_true_on is None else parse_day(as_true_on, "--as-true-on")
    return known, day


@report.command("half-year", short_help="The half-year status for the national agency.")
def half_year(
    store: str = store_option(),
    period: str = typer.Option(
        ..., "--period", metavar="YYYYH1|YYYYH2", help="The half-year: YYYYH1 or YYYYH2."
    ),
    as_known_at: str | None = _known_option(),
    as_true_on: str | None = _true_option(),
    as_json: bool = json_option(),
    as_csv: bool = _csv_option(),
    unverified: bool = unverified_option(),
) -> None:
    """The half-year status for the national agency, in the application's table layout.

    Per target group and scheme: the target and the actual starts of each year, and the
    share of the half-year's year; then the activities (drop-in and booked sessions,
    visits, plans drafted) and the starts granted by override.
    """
    with user_errors():
        known, day = _moments(as_known_at, as_true_on, as_json, as_csv)
        with Caseload.open_readonly(store, as_known_at=known) as app:
            check_log(app, unverified=unverified)
            status = app.education_half_year(period, as_known_at=known, as_true_on=day)
    # Imported here: the education status's rendering is for these two reports.
    from caseload.cli.education_render import half_year_csv, half_year_json, print_half_year

    if as_json:
        emit_json(half_year_json(status))
    elif as_csv:
        sys.stdout.write(half_year_csv(status))
    else:
        print_half_year(out, status)


@report.command("monthly", short_help="The monthly status for management.")
def monthly(
    store: str = store_option(),
    month: str = typer.Option(..., "--month", metavar="YYYY-MM", help="The month: YYYY-MM."),
    as_known_at: str | None = _known_option(),
    as_true_on: str | None = _true_option(),
    as_json: bool = json_option(),
    as_csv: bool = _csv_option(),
    unverified: bool = unverified_option(),
) -> None:
    """The monthly status for jobcentre and unemployment-fund management.

    Per target group and scheme: the starts in the month and in the year to date against
    the year's target and its linear pace; then the rows behind it.
    """
    with user_errors():
        known, day = _moments(as_known_at, as_true_on, as_json, as_csv)
        with Caseload.open_readonly(store, as_known_at=known) as app:
            check_log(app, unverified=unverified)
            status = app.education_monthly(month, as_known_at=known, as_true_on=day)
    from caseload.cli.education_render import monthly_csv, monthly_json, print_monthly

    if as_json:
        emit_json(monthly_json(status))
    elif as_csv:
        sys.stdout.write(monthly_csv(status))
    else:
        print_monthly(out, status)


def _run_education(app: Caseload, config: EducationSimulationConfig) -> EducationSimulationReport:
    """Simulate the education programme into `app` with a progress bar (weeks) on stderr."""
    # Imported here: the simulation's modules are for the commands that simulate.
    from caseload.programmes.education.simulation import simulate_education

    return with_weeks_bar(
        "simulating education",
        lambda advance: simulate_education(app, config, progress=advance),
    )


def simulate_programmes(
    store: str, key: str, programme: str, config: SimulationConfig, *, as_json: bool
) -> None:
    """`caseload simulate --programme education|all`: the education programme over the
    seed's period (April 2021 to December 2022), after the resource-pathway programme of
    `config` for `all`, into an empty store."""
    if programme not in PROGRAMME_CHOICES:
        raise InvalidValue(f"--programme is one of {', '.join(PROGRAMME_CHOICES)}")
    from caseload.programmes.education.simulation import EducationSimulationConfig

    education = EducationSimulationConfig(seed=config.seed)
    education.check_ends_by(date.today())
    if programme == "all":
        config.check_ends_by(date.today())
    with Caseload(store, pseudonym_key=key) as app:
        if app.head():
            raise ConfigurationError(
                f"{app.store} already holds {app.head()} events; simulate needs an empty store"
            )
        counts: dict[str, int] = {}
        try:
            if programme == "all":
                from caseload.cli.programme import run_simulation

                pathway = run_simulation(app, config, transient=False)
                counts.update(
                    brokers=len(pathway.brokers),
                    trajectories=len(pathway.trajectories),
                    refused=len(pathway.refused),
                )
            done = _run_education(app, education)
        except KeyboardInterrupt:
            raise interrupted(
                f"simulation interrupted; {app.store} holds a partial programme of "
                f"{app.head()} events"
            ) from None
        counts.update(
            events=app.head(),
            ambassadors=len(done.ambassadors),
            plans=len(done.plans),
            starts=done.starts,
            sessions=done.sessions,
        )
        if as_json:
            emit_json(counts)
            return
        described = ", ".join(f"{count} {name}" for name, count in counts.items())
        say(out, f"Simulated {programme} into {app.store}: {described}")

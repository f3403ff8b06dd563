"""The `caseload` command: a demo programme today; exit 0 on success, 2 on a user mistake."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from caseload import __version__
from caseload.application import Caseload
from caseload.domain.errors import CaseloadError, ConfigurationError
from caseload.domain.values import Role
from caseload.projections.caseload_counts import CaseloadRow
from caseload.projections.role_coverage import RoleCoverage
from caseload.simulation import SimulationConfig, SimulationReport, simulate

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


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn a rule or input error into one line on stderr and exit code 2, no traceback."""
    try:
        yield
    except CaseloadError as error:
        err.print(f"caseload: error: {error}", highlight=False, markup=False, soft_wrap=True)
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


def caseload_table(rows: tuple[CaseloadRow, ...], title: str) -> Table:
    """Active cases per broker against the limit in force."""
    table = Table(title=title)
    for column in ("Broker", "Team", "FTE", "Active", "Limit", "Utilisation"):
        table.add_column(column, justify="left" if column in ("Broker", "Team") else "right")
    for row in rows:
        style = "red" if row.active_cases > row.limit else None
        table.add_row(
            row.name + (f" (left {row.left_on})" if row.left_on else ""),
            row.team,
            f"{row.fte}",
            str(row.active_cases),
            str(row.limit),
            f"{row.utilisation:.0%}",
            style=style,
        )
    return table


def coverage_table(coverage: RoleCoverage) -> Table:
    """Roles each broker has exercised, and their cases covered in all four roles alone."""
    table = Table(title="Four-role coverage by broker")
    table.add_column("Broker")
    for role in Role:
        table.add_column(role.name.replace("_", " ").capitalize(), justify="center")
    table.add_column("Active", justify="right")
    table.add_column("All four by broker", justify="right")
    for broker in coverage.brokers:
        marks = ["✓" if role in broker.roles_covered else "·" for role in Role]
        table.add_row(
            broker.name,
            *marks,
            str(broker.active_cases),
            str(broker.cases_with_all_four_by_broker),
        )
    return table


def _print_demo(app: Caseload, report: SimulationReport, store: str) -> None:
    out.print(caseload_table(app.caseload(as_true_on=report.end), f"Caseload on {report.end}"))
    coverage = app.role_coverage()
    out.print(coverage_table(coverage))
    out.print(
        f"Active cases: {coverage.active_cases}; all four roles covered: "
        f"{coverage.share_all_four:.0%}; all four by the assigned broker alone: "
        f"{coverage.share_all_four_by_assigned_broker:.0%}",
        highlight=False,
    )
    for message in report.refused:
        out.print(f"Refused by the caseload rule: {message}", highlight=False, soft_wrap=True)
    out.print(f"{app.head()} events from {report.commands} commands in {store}", highlight=False)


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
            with Progress(
                TextColumn("simulating"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("weeks"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as bar:
                task = bar.add_task("simulate", total=None)
                report = simulate(
                    app,
                    config,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
            _print_demo(app, report, app.store)


def main() -> None:
    """Entry point of the `caseload` console script."""
    cli(prog_name="caseload")


if __name__ == "__main__":  # pragma: no cover
    main()

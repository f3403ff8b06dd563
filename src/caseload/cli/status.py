"""`caseload status`: caseload against the limit, role coverage, outcomes and attention, now,
as known at a moment or as true on a day; and the daily caseload series."""

from __future__ import annotations

import csv
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import typer

from caseload.application.caseload import Caseload
from caseload.cli.app import (
    cli,
    emit_json,
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
    print_status,
    series_table,
    series_values,
    status_json,
)
from caseload.cli.tables import print_table
from caseload.domain.errors import InvalidValue
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

__all__ = ["print_series", "status"]


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

"""`caseload report html`: the resource-pathway programme as one self-contained HTML page.

Registers on the `report` sub-app of `caseload.cli.reports`; `caseload.cli` imports this
module. Without the `report` extra it exits 2 with the pip command that installs it.
"""

from __future__ import annotations

from pathlib import Path

import typer

from caseload.application.caseload import Caseload
from caseload.cli.app import (
    emit_json,
    err,
    json_option,
    parse_day,
    parse_moment,
    store_option,
    user_errors,
)
from caseload.cli.checks import check_log, unverified_option
from caseload.cli.render import say
from caseload.cli.reports import report
from caseload.domain.errors import InvalidValue, StoreUnavailable

__all__ = ["html"]


@report.command("html", short_help="One self-contained HTML page of charts and tables.")
def html(
    store: str = store_option(),
    out_path: Path | None = typer.Option(
        None, "--out", metavar="FILE", help="Write the HTML page to this file.", dir_okay=False
    ),
    first_day: str | None = typer.Option(
        None,
        "--from",
        metavar="DATE",
        help="First day shown (YYYY-MM-DD; default the first registration).",
    ),
    last_day: str | None = typer.Option(
        None,
        "--to",
        metavar="DATE",
        help="Last day shown (YYYY-MM-DD; default the --as-true-on day).",
    ),
    as_known_at: str | None = typer.Option(
        None,
        "--as-known-at",
        metavar="TIME",
        help="Report what the log knew at this moment (ISO 8601 with a timezone, or Z).",
    ),
    as_true_on: str | None = typer.Option(
        None,
        "--as-true-on",
        metavar="DATE",
        help="Count only what had happened by this day (YYYY-MM-DD; default today).",
    ),
    as_json: bool = json_option(),
    unverified: bool = unverified_option(),
) -> None:
    """Charts and tables of the resource-pathway programme in one self-contained HTML file:
    caseload per broker against the limit, staffing need, four-role coverage, outcomes,
    progression and the attention list. Needs `pip install 'caseload[report]'`.

    With --json, the numbers of the page's tables are printed on stdout as well.
    """
    with user_errors():
        from caseload.reports import check_extra, gather, render_html

        check_extra()
        if out_path is None and not as_json:
            raise InvalidValue("say where the page goes with --out FILE (or ask for --json)")
        known = None if as_known_at is None else parse_moment(as_known_at, "--as-known-at")
        day = None if as_true_on is None else parse_day(as_true_on, "--as-true-on")
        first = None if first_day is None else parse_day(first_day, "--from")
        last = None if last_day is None else parse_day(last_day, "--to")
        with Caseload.open_readonly(store, as_known_at=known) as app:
            check_log(app, unverified=unverified)
            data = gather(app, first_day=first, last_day=last, as_known_at=known, as_true_on=day)
        if out_path is not None:
            page = render_html(data)
            try:
                out_path.write_text(page, encoding="utf-8", newline="\n")
            except OSError as error:
                raise StoreUnavailable(f"cannot write {out_path}: {error.strerror}") from None
            say(err, f"Wrote {out_path} (log head {data.head})")
    if as_json:
        emit_json(data.as_json())

"""The commands that look after a store's log and hand it over: rebuild, export, verify, seal."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from caseload.application.caseload import Caseload
from caseload.audit.findings import VerifyReport
from caseload.cli.app import (
    FAILED_CHECK,
    cli,
    emit_json,
    err,
    interrupted,
    json_option,
    open_existing,
    out,
    parse_day,
    parse_moment,
    store_option,
    user_errors,
)
from caseload.cli.checks import check_log, note_read_only_media, unverified_option
from caseload.cli.export_notes import held_tables, warn_empty_tables
from caseload.cli.rebuilding import anchor_chain, run_rebuild
from caseload.cli.render import (
    print_rebuild,
    print_seal,
    print_verify,
    rebuild_json,
    say,
    seal_json,
    verify_json,
)

__all__ = ["FAILED_CHECK", "ExportFormat", "export_command", "rebuild", "seal_command", "verify"]


class ExportFormat(StrEnum):
    """What `caseload export --format` takes: the export's formats, so `--help` lists them."""

    CSV = "csv"
    PARQUET = "parquet"


@cli.command(short_help="Rebuild every read model from the start of the log.")
def rebuild(
    store: str = store_option(),
    as_json: bool = json_option(),
    dry: bool = typer.Option(
        False,
        "--dry",
        help="Fold every read model in memory and print the digests, writing nothing "
        "(works on a read-only store).",
    ),
    batch: int = typer.Option(
        5_000,
        "--batch",
        metavar="N",
        min=1,
        help="Events folded at a time, between progress reports and checks for Ctrl-C.",
    ),
    save_every: int | None = typer.Option(
        None,
        "--save-every",
        metavar="N",
        min=1,
        show_default=False,
        help="Write the work at least every N events (it is also written every few "
        "seconds, on Ctrl-C and at the end).",
    ),
    unverified: bool = typer.Option(
        False,
        "--unverified",
        help="Do not check the log's hash chain first; `status` then checks the whole "
        "log again until a rebuild does.",
    ),
) -> None:
    """Rebuild every read model from the start of the log.

    First the log's hash chain is checked in full, and the position it was checked up to
    is recorded beside the read models, so `status` checks only the rows after it (a
    broken chain is reported on stderr and nothing is recorded; the rebuild goes on).
    Resumable: progress is written every few seconds of work, and at once on Ctrl-C; run
    the same command again and it goes on from there (it says from which position).
    Readers stay correct meanwhile. When standard error is not a terminal, one line per
    batch says how far it has come and up to which position the work is written.
    """
    with user_errors():
        try:
            if dry:
                with Caseload.open_readonly(store) as app:
                    note_read_only_media(app)
                    result = run_rebuild(app, dry=True, batch_size=batch)
                    description = app.store
            else:
                with open_existing(store) as app:
                    anchor_chain(app, unverified=unverified)
                    result = run_rebuild(app, dry=False, batch_size=batch, save_every=save_every)
                    description = app.store
        except KeyboardInterrupt:
            raise interrupted(
                "rebuild interrupted; run the same `caseload rebuild` command again to "
                "resume from its last written position"
            ) from None
    if not result.complete:
        raise interrupted(
            f"rebuild interrupted; its progress is written up to position {result.saved}: "
            "run the same `caseload rebuild` command again to resume from there"
        )
    if as_json:
        emit_json(rebuild_json(result))
    else:
        print_rebuild(out, result, description)
    if dry:
        say(err, "caseload: dry run: the read models were folded in memory; nothing was written")


@cli.command("export", short_help="Export the pseudonymised dataset for evaluators.")
def export_command(
    store: str = store_option(),
    out_dir: str = typer.Option(
        ..., "--out", metavar="DIR", help="A new or empty directory to write the dataset into."
    ),
    file_format: ExportFormat = typer.Option(
        ExportFormat.CSV,
        "--format",
        help="The file format (parquet needs pyarrow, the 'parquet' extra).",
    ),
    as_known_at: str | None = typer.Option(
        None,
        "--as-known-at",
        metavar="TIME",
        help="Export the log as recorded by this moment (ISO 8601 with a timezone, or Z).",
    ),
    as_true_on: str | None = typer.Option(
        None,
        "--as-true-on",
        metavar="DATE",
        help="Export only what had happened by this day (YYYY-MM-DD), late registrations included.",
    ),
    key: str | None = typer.Option(
        None,
        "--key",
        metavar="KEY",
        envvar="CASELOAD_EXPORT_KEY",
        show_envvar=True,
        show_default=False,
        help="Key (at least 16 bytes) that re-keys every id for this export; exports under "
        "the same key can be joined, under different keys they cannot. Prefer the "
        "environment variable: a command line is visible to other users.",
    ),
    as_json: bool = json_option(),
    unverified: bool = unverified_option(),
) -> None:
    """Export the pseudonymised dataset for evaluators: one file per table, a data
    dictionary and a manifest with row counts and sha256 of every file.

    The same log and options always give byte-identical files. No CPR number, stored
    pseudonym, stored id or broker name is exported. The log's hash chain is checked
    first: an altered log is refused with exit 1 (--unverified goes on, and the manifest
    says so).
    """
    # Imported here: the export's modules cost every command about 0.01 s at start-up.
    from caseload.export import MANIFEST_FILE, export_dataset, export_key

    with user_errors():
        known = None if as_known_at is None else parse_moment(as_known_at, "--as-known-at")
        day = None if as_true_on is None else parse_day(as_true_on, "--as-true-on")
        raw_key = export_key(key)
        try:
            with Caseload.open_readonly(store, as_known_at=known) as app:
                if unverified:
                    check_log(app, unverified=True)  # the warning; export skips the check
                else:
                    note_read_only_media(app)  # export_dataset checks the chain itself
                manifest = export_dataset(
                    app,
                    Path(out_dir),
                    key=raw_key,
                    format="parquet" if file_format is ExportFormat.PARQUET else "csv",
                    as_known_at=known,
                    as_true_on=day,
                    check_chain=not unverified,
                )
                held = held_tables(app)
        except KeyboardInterrupt:
            raise interrupted(
                f"export interrupted; {out_dir} has no {MANIFEST_FILE}, so it is not a "
                "complete export: remove it and run the command again"
            ) from None
    warn_empty_tables(manifest, held)
    if as_json:
        emit_json({"out": str(out_dir), **manifest.as_dict()})
        return
    for table in manifest.tables:
        say(out, f"{table.file:<28} {table.rows:>9,} rows")
    known_text = "" if manifest.as_known_at is None else f" as known at {manifest.as_known_at}"
    known_text += "" if manifest.as_true_on is None else f" as true on {manifest.as_true_on}"
    say(
        out,
        f"Exported the log up to position {manifest.log_position}{known_text} "
        f"(business dates up to {manifest.reference_date or 'none'}) into {out_dir}; "
        f"{MANIFEST_FILE} lists the sha256 of every file",
    )


@cli.command(short_help="Prove the log unaltered, no rule broken, every read model true.")
def verify(
    store: str = store_option(),
    seal: str | None = typer.Option(
        None,
        "--seal",
        metavar="DIGEST",
        help="A seal digest kept outside the database (from `caseload seal`): it must be "
        "one of the store's seals and still match the log.",
    ),
    as_json: bool = json_option(),
) -> None:
    """Prove the log unaltered, no rule ever broken, and every read model true.

    Replays the whole history up to the end of the log when it starts (writers may go on):
    (1) the hash chain and every seal, (2) every rule on every date, (3) every stored read
    model, checkpoint and index row against a fresh fold, and every aggregate snapshot
    against a replay. Prints each check with ✓ or ✗ and, for a failure, its
    first offending event (position, aggregate, type; never personal data). Exit 0 when
    every check passes, 1 when one fails, 2 on a usage error. Writes nothing.
    """
    # Imported here: rich's progress bars cost a command that shows none 0.03-0.07 s.
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with user_errors(), Caseload.open_readonly(store) as app:
        note_read_only_media(app)
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
        emit_json(verify_json(report, description))
    else:
        print_verify(out, report, description)
    if not report.ok:
        raise typer.Exit(FAILED_CHECK)


@cli.command("seal", short_help="Seal the log: record its head, position and time.")
def seal_command(
    store: str = store_option(),
    as_json: bool = json_option(),
    check: bool = typer.Option(
        False,
        "--check",
        help="Only check the hash chain and the seals already recorded, writing nothing "
        "(works on a read-only store); exit 1 when they do not hold.",
    ),
) -> None:
    """Seal the log: record the hash chain's head, its position and the time.

    The seal is itself chained. Keep the printed digest outside the database (a ticket, a
    letter, a second system): `caseload verify --seal DIGEST` then detects even a rewrite of
    the whole chain.
    """
    if check:
        with user_errors(), Caseload.open_readonly(store) as app:
            note_read_only_media(app)
            report = VerifyReport(app.head(), (app.check_chain(),))
            description = app.store
        if as_json:
            emit_json(verify_json(report, description))
        else:
            print_verify(out, report, description)
        if not report.ok:
            raise typer.Exit(FAILED_CHECK)
        return
    with user_errors(), open_existing(store) as app:
        sealed = app.seal()
        description = app.store
    if as_json:
        emit_json(seal_json(sealed, description))
    else:
        print_seal(out, sealed, description)

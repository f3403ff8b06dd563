"""`caseload forget` and `caseload rotate-master-key`: erasure and re-keying from the shell.

The CPR number may be given as `--cpr -` to read it from stdin, so that it stays out of
the shell's history and the process list. Master keys are read from the environment
(`CASELOAD_MASTER_KEY`, and `CASELOAD_NEW_MASTER_KEY` for rotation), never from options.
"""

from __future__ import annotations

import os
import sys

import typer

from caseload.cli.app import (
    cli,
    emit_json,
    err,
    json_option,
    open_existing,
    parse_day,
    store_option,
    user_errors,
)
from caseload.cli.render import say
from caseload.domain.errors import ConfigurationError, InvalidValue
from caseload.domain.personal import ErasureReason

__all__ = ["MASTER_KEY_VARIABLE", "NEW_MASTER_KEY_VARIABLE"]

MASTER_KEY_VARIABLE = "CASELOAD_MASTER_KEY"
"""The environment variable that holds the store's master key."""
NEW_MASTER_KEY_VARIABLE = "CASELOAD_NEW_MASTER_KEY"
"""The environment variable that holds the master key a rotation moves to."""


def _cpr(value: str) -> str:
    if value.strip() != "-":
        return value
    line = sys.stdin.readline()
    if not line.strip():
        raise InvalidValue("--cpr - reads the CPR number from stdin, which gave an empty line")
    return line.strip()


@cli.command(short_help="Erase a citizen's personal data (crypto-shredding).")
def forget(
    store: str = store_option(),
    cpr: str = typer.Option(
        ..., "--cpr", metavar="CPR", help="The citizen's CPR number, or - to read it from stdin."
    ),
    on: str = typer.Option(..., "--on", metavar="DATE", help="Business date (YYYY-MM-DD)."),
    reason: ErasureReason = typer.Option(
        ...,
        "--reason",
        metavar="REASON",
        help="Why: citizen-request, retention-ended, unlawful-processing or other.",
    ),
    as_json: bool = json_option(),
) -> None:
    """Erase a citizen's personal data: delete their data key and record the erasure.

    The events stay as stored, so `caseload verify` still passes; the erasure event (with
    the date and the reason, no personal data) is in the log for the auditor. The CPR
    number's pseudonym is retired: nothing new is recorded for it. Refused while a
    trajectory of the citizen is open. Needs CASELOAD_PSEUDONYM_KEY; no master key.
    """
    with user_errors():
        day = parse_day(on, "--on")
        number = _cpr(cpr)
        with open_existing(store) as app:
            app.forget_citizen(cpr=number, on=day, reason=reason)
            head = app.head()
            description = app.store
    if as_json:
        emit_json({"erased": True, "on": day.isoformat(), "reason": reason.value, "head": head})
        return
    say(
        err,
        f"caseload: erased the citizen's personal data in {description} on {day} "
        f"({reason.value}); the log's head is at {head}",
    )


@cli.command("rotate-master-key", short_help="Re-wrap every data key under a new master key.")
def rotate_master_key(store: str = store_option(), as_json: bool = json_option()) -> None:
    """Re-wrap every citizen's data key under the key in CASELOAD_NEW_MASTER_KEY.

    The current key comes from CASELOAD_MASTER_KEY. One transaction; no event is written
    and no sealed field changes. Afterwards, run with the new key only.
    """
    with user_errors():
        new_key = os.environ.get(NEW_MASTER_KEY_VARIABLE)
        if not new_key:
            raise ConfigurationError(
                f"rotation needs the new master key in {NEW_MASTER_KEY_VARIABLE} (and the "
                f"current one in {MASTER_KEY_VARIABLE})"
            )
        if not os.environ.get(MASTER_KEY_VARIABLE):
            raise ConfigurationError(
                f"rotation needs the current master key in {MASTER_KEY_VARIABLE}"
            )
        with open_existing(store) as app:
            count = app.rotate_master_key(new_key)
            description = app.store
    if as_json:
        emit_json({"rewrapped": count})
        return
    say(err, f"caseload: re-wrapped {count} data key(s) in {description} under the new key")

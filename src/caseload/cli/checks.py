"""What the commands that hand numbers to someone else do first: check the log's hash chain,
and say how they opened the store.

`export`, `status` and the reports refuse an altered log by default (exit 1, one line
naming where the chain breaks); `--unverified` lets an auditor go on knowingly, with a
warning on stderr. A SQLite file on read-only media is read as immutable, and the
command says so.
"""

from __future__ import annotations

from typing import Any

import typer

from caseload.application.caseload import Caseload
from caseload.audit.anchor import require_unaltered
from caseload.cli.app import err
from caseload.cli.render import say

__all__ = ["UNVERIFIED_WARNING", "check_log", "note_read_only_media", "unverified_option"]

UNVERIFIED_WARNING = (
    "caseload: warning: --unverified: the log's hash chain was not checked, so these "
    "numbers may come from an altered log"
)
"""What a command run with `--unverified` says on stderr."""


def unverified_option() -> Any:
    """The `--unverified` flag: go on without checking the log's hash chain."""
    return typer.Option(
        False,
        "--unverified",
        help="Do not check the log's hash chain first (by default an altered log is "
        "refused with exit 1); a warning says the numbers are unverified.",
    )


def check_log(app: Caseload, *, unverified: bool, from_anchor: bool = False) -> None:
    """Check the hash chain of what `app` reads (up to its pin), or warn that it was not.

    A command that reads stored read-model states passes `from_anchor`: the rows up to
    the position the last `caseload rebuild` checked were checked then, and only its link
    there and the rows after it are checked now (`caseload.audit.anchor`). A broken chain
    raises `LogAltered`, which the commands turn into exit 1 and one line naming the first
    offending position.
    """
    note_read_only_media(app)
    if unverified:
        say(err, UNVERIFIED_WARNING)
        return
    require_unaltered(app, from_anchor=from_anchor)


def note_read_only_media(app: Caseload) -> None:
    """Say on stderr when the store is a SQLite file read as immutable (read-only media)."""
    store = app.wiring.store
    if store.immutable:
        say(
            err,
            f"caseload: note: {store.description} is on read-only media (it or its "
            "directory cannot be written), so it is read as immutable; nothing is written",
        )

"""What `caseload export` says besides the files: a cut that leaves a table empty."""

from __future__ import annotations

from typing import TYPE_CHECKING

from caseload.application.caseload import Caseload
from caseload.cli.app import err
from caseload.cli.render import say
from caseload.programmes import programme_kinds

if TYPE_CHECKING:
    from caseload.export import Manifest

__all__ = ["held_tables", "warn_empty_tables"]


def held_tables(app: Caseload) -> frozenset[str]:
    """The export tables of the programmes the store's whole log holds (past a session's
    pin: a cut before a programme began is what the warning is for)."""
    last = app.wiring.head()
    return frozenset(
        table
        for kind in programme_kinds()
        if app.wiring.programme_id(kind, last) is not None
        for tables in kind.export.values()
        for table in tables
    )


def warn_empty_tables(manifest: Manifest, held: frozenset[str]) -> None:
    """Warn on stderr (the export still succeeds) when a cut (`--as-known-at`,
    `--as-true-on`) leaves empty a table of a programme the store holds: an export of 0
    rows is more often a cut before the programme began than what was meant."""
    if manifest.as_known_at is None and manifest.as_true_on is None:
        return
    empty = [table.name for table in manifest.tables if table.rows == 0 and table.name in held]
    if not empty:
        return
    cuts = []
    if manifest.as_known_at is not None:
        cuts.append(f"as known at {manifest.as_known_at.isoformat()}")
    if manifest.as_true_on is not None:
        cuts.append(f"as true on {manifest.as_true_on.isoformat()}")
    count = len(empty)
    say(
        err,
        f"caseload: warning: the cut ({' and '.join(cuts)}) leaves {count} "
        f"table{'s' if count != 1 else ''} of the store's programmes empty: "
        f"{', '.join(empty)}; the export holds the log up to position "
        f"{manifest.log_position}",
    )

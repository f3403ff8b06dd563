"""A bar of simulated weeks on standard error, for the commands that simulate."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from caseload.cli.app import err

__all__ = ["Advance", "with_weeks_bar"]

T = TypeVar("T")

Advance = Callable[[int, int], None]
"""How a simulation reports its progress: weeks done, weeks in all."""


def with_weeks_bar(label: str, simulate: Callable[[Advance], T], *, transient: bool = False) -> T:
    """What `simulate` returns, run with a progress bar of its weeks on stderr.

    The bar starts with the first week done, so a configuration the simulation refuses
    leaves nothing on stderr but the error; a `transient` bar is cleared when done.
    """
    # Imported here: rich's progress bars cost a command that shows none 0.03-0.07 s.
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("weeks"),
        TimeElapsedColumn(),
        console=err,
        transient=transient,
    )
    task = bar.add_task(label, total=None)

    def advance(done: int, total: int) -> None:
        if not bar.live.is_started:
            bar.start()
        bar.update(task, completed=done, total=total)

    try:
        return simulate(advance)
    finally:
        if bar.live.is_started:
            bar.stop()

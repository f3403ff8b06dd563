"""`caseload rebuild`'s progress on stderr and its Ctrl-C: stop at the end of a batch with
the work written, so the next run resumes from there."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from caseload.application.caseload import Caseload
from caseload.cli.app import err
from caseload.cli.render import say
from caseload.domain.errors import CaseloadError
from caseload.projections.runner import Progress as RebuildProgress
from caseload.projections.runner import RebuildResult

__all__ = ["anchor_chain", "run_rebuild", "stop_on_interrupt"]


@contextmanager
def stop_on_interrupt() -> Iterator[list[bool]]:
    """While inside, the first Ctrl-C (SIGINT) only sets the flag yielded (`[True]`), so
    the rebuild can stop at the end of its batch with the work written; a second Ctrl-C
    interrupts at once. Outside the main thread, Ctrl-C is left as it is."""
    requested = [False]

    def request(signum: int, frame: FrameType | None) -> None:
        if requested[0]:
            raise KeyboardInterrupt
        requested[0] = True

    try:
        previous = signal.signal(signal.SIGINT, request)
    except ValueError:  # not the main thread: signals cannot be handled here
        yield requested
        return
    try:
        yield requested
    finally:
        signal.signal(signal.SIGINT, previous)


def anchor_chain(app: Caseload, *, unverified: bool) -> None:
    """Before a rebuild: check the whole hash chain and record where it was checked up to,
    so `status` checks only what comes after (`caseload.audit.anchor`). With `unverified`,
    or when the chain is broken (said on stderr), whatever was recorded is removed."""
    from caseload.audit.anchor import check_and_anchor, forget_anchor

    store = app.wiring.read_models()
    if unverified:
        forget_anchor(store)
        say(
            err,
            "caseload: warning: --unverified: the log's hash chain was not checked; "
            "`status` checks the whole log until a rebuild checks it",
        )
        return
    check = check_and_anchor(app.wiring.chain(), store)
    if not check.ok:
        where = check.summary if check.finding is None else check.finding.message
        say(
            err,
            f"caseload: warning: the log's hash chain is broken: {where}; the read models "
            "are rebuilt from it, and `status` refuses the log (`caseload verify` reports "
            "every check)",
        )


def run_rebuild(
    app: Caseload, *, dry: bool, batch_size: int = 5_000, save_every: int | None = None
) -> RebuildResult:
    """Rebuild `app`'s read models (in memory only when `dry`) with progress on stderr: a
    bar on a terminal, one line per batch otherwise. `batch_size` events are folded
    between reports (and Ctrl-C checks); the work is written every `save_every` events
    (by default at each checkpoint), every few seconds, and on Ctrl-C."""
    # Imported here: rich's progress bars cost a command that shows none 0.03-0.07 s.
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("rebuilding"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("events"),
        TextColumn("{task.fields[rate]:>10,.0f} events/s"),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,
    )
    task = bar.add_task("rebuild", total=None, rate=0.0)
    announced = [False]

    def report(step: RebuildProgress) -> None:
        if step.resumed_from and not announced[0]:
            say(err, f"caseload: resuming the rebuild from position {step.resumed_from}")
        announced[0] = True
        bar.update(task, completed=step.done, total=step.total, rate=step.rate)
        if not err.is_terminal:
            say(
                err,
                f"rebuild: {step.done} of {step.total} events folded, to position "
                f"{step.position}; written up to position {step.saved}",
            )

    with bar, stop_on_interrupt() as requested:
        try:
            if dry:
                return app.rebuild_in_memory(progress=report, batch_size=batch_size)
            return app.projections.rebuild(
                progress=report,
                batch_size=batch_size,
                persist_every=save_every,
                stop=lambda: requested[0],
            )
        except CaseloadError:
            bar.live.transient = True  # the error's one line, not a stopped bar
            raise

"""What the spacing of checkpoints costs an as-of query: `caseload status --as-true-on D`
and `--as-known-at T` (D and T halfway along the log) on one rebuilt copy whose
checkpoints are thinned, by deleting the others, to each `checkpoints_per_doubling`.

Run: `.venv/bin/python -m benchmarks.checkpoint_spacing --size 35000:1300 --months 24
--seed 1 --per-doubling 0,4,2` (the figures of "Measured since this run" in
docs/benchmarks.md). The copy is rebuilt once with a checkpoint at every multiple of
`checkpoint_every` and its hash chain checked and anchored, as `caseload rebuild` does, so
that each command checks only what follows; the thinning goes from the most checkpoints
to the fewest.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from benchmarks import latency, logs
from benchmarks.logs import TODAY
from caseload import Caseload
from caseload.audit.anchor import check_and_anchor
from caseload.projections.checkpointing import CheckpointSchedule
from caseload.projections.settings import ProjectionSettings

__all__ = ["main", "thin"]


def thin(path: Path, schedule: CheckpointSchedule) -> list[int]:
    """Delete the checkpoints of the store at `path` that `schedule` does not take;
    return the positions left. (The chunks only they held stay: an as-of query reads the
    chunks of the checkpoint it starts from, and no other.)"""
    query = "SELECT DISTINCT position FROM caseload_checkpoint_heads"
    with sqlite3.connect(path) as db:
        positions = [row[0] for row in db.execute(query)]
        for position in positions:
            if not schedule.at(position):
                db.execute("DELETE FROM caseload_checkpoint_heads WHERE position = ?", (position,))
        return sorted(row[0] for row in db.execute(query))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    logs.add_log_options(parser)
    parser.add_argument("--per-doubling", default="0,4,2", help="values, most checkpoints first")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (median)")
    parser.add_argument(
        "--checkpoint-every", type=int, default=ProjectionSettings().checkpoint_every
    )
    args = parser.parse_args(argv)
    size = logs.log_size(args)
    source = logs.generate(size.citizens, size.brokers, size.months, size.seed, args.cache)
    every = args.checkpoint_every
    with tempfile.TemporaryDirectory(prefix="caseload-spacing-") as directory:
        copy = logs.working_copy(source, Path(directory), "log.db")
        settings = ProjectionSettings(checkpoint_every=every, checkpoints_per_doubling=0)
        with Caseload(
            f"sqlite:///{copy}", clock=lambda: TODAY, projection_settings=settings
        ) as app:
            started = time.process_time()
            app.projections.rebuild()
            rebuild = time.process_time() - started
            assert check_and_anchor(app.wiring.chain(), app.wiring.read_models()).ok
        day, moment = logs.middle(copy)
        print(f"rebuild with a checkpoint every {every:,} positions: {rebuild:.1f} s of CPU")
        print(f"D = {day}, T = {moment.isoformat()}\n")
        print("| checkpoints per doubling | checkpoints at | command | CPU seconds |")
        print("| ---: | --- | --- | ---: |")
        for per_doubling in (int(value) for value in args.per_doubling.split(",")):
            left = thin(copy, CheckpointSchedule(every, per_doubling))
            at = ", ".join(f"{position:,}" for position in left)
            for label, extra in (
                (f"--as-true-on {day}", ["--as-true-on", day.isoformat()]),
                ("--as-known-at T", ["--as-known-at", moment.isoformat()]),
            ):
                _, cpu = latency.command_seconds(copy, extra, args.runs)
                print(f"| {per_doubling} | {at} | `caseload status {label}` | {cpu:.2f} |")


if __name__ == "__main__":
    main()

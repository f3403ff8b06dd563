"""A full rebuild's cost per event along the log: the CPU time of each stretch of `--every`
positions, in one process on a copy of a cached simulated log.

Run: `.venv/bin/python -m benchmarks.curve --size 35000:1300 --months 24 --seed 1`
(the figures of "Cost per event along the log" in docs/benchmarks.md). A flat rebuild
gives the same microseconds per event in every stretch; checkpoints and growing states
show as a rise. `--checkpoint-every`, `--checkpoints-per-doubling`, `--persist-seconds` and
`--persist-work-ratio` change the runner's settings
(`--persist-seconds 1e9` leaves the checkpoints as the only encodings but the last, so
that two runs encode the same number of times however loaded the machine is).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks import logs
from benchmarks.logs import TODAY, LogSize
from caseload import Caseload
from caseload.projections.settings import Progress, ProjectionSettings

__all__ = ["curve", "main"]


def curve(
    path: Path, every: int, batch: int = 5_000, settings: ProjectionSettings | None = None
) -> list[tuple[int, int, float]]:
    """(first position, last position, µs of CPU per event) for each stretch of about
    `every` positions of a full rebuild of the store at `path` (with the runner's
    `settings`, its defaults if None), the last stretch ending with the rebuild's final
    write."""
    stretches: list[tuple[int, int, float]] = []
    with Caseload(f"sqlite:///{path}", clock=lambda: TODAY, projection_settings=settings) as app:
        mark = [0, time.process_time()]

        def progress(step: Progress) -> None:
            if step.position - mark[0] >= every:
                now = time.process_time()
                per_event = (now - mark[1]) / (step.position - mark[0]) * 1e6
                stretches.append((mark[0], step.position, per_event))
                mark[0], mark[1] = step.position, now

        app.projections.rebuild(progress=progress, batch_size=batch)
        head = app.head()
        if head > mark[0]:
            now = time.process_time()
            stretches.append((mark[0], head, (now - mark[1]) / (head - mark[0]) * 1e6))
    return stretches


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", default="35000:1300", help="CITIZENS:BROKERS")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--every", type=int, default=100_000, help="positions per stretch")
    parser.add_argument("--batch", type=int, default=5_000, help="events read at a time")
    parser.add_argument("--cache", type=Path, default=logs.CACHE)
    parser.add_argument("--checkpoint-every", type=int, default=None, help="positions")
    parser.add_argument("--persist-seconds", type=float, default=None, help="between writes")
    parser.add_argument("--checkpoints-per-doubling", type=int, default=None, help="of the log")
    parser.add_argument(
        "--persist-work-ratio", type=float, default=None, help="work to a write's time"
    )
    args = parser.parse_args(argv)
    size = LogSize.parse(args.size, args.months, args.seed)
    source = logs.generate(size.citizens, size.brokers, size.months, size.seed, args.cache)
    with tempfile.TemporaryDirectory(prefix="caseload-curve-") as directory:
        copy = logs.working_copy(source, Path(directory), "log.db")
        chosen = {
            name: value
            for name, value in (
                ("checkpoint_every", args.checkpoint_every),
                ("persist_seconds", args.persist_seconds),
                ("checkpoints_per_doubling", args.checkpoints_per_doubling),
                ("persist_work_ratio", args.persist_work_ratio),
            )
            if value is not None
        }
        settings = ProjectionSettings(**chosen) if chosen else None
        stretches = curve(copy, args.every, args.batch, settings)
    print("| positions | µs of CPU per event |")
    print("| ---: | ---: |")
    for first, last, per_event in stretches:
        print(f"| {first:,}–{last:,} | {per_event:.1f} |")
    print(f"\n{time.process_time():.1f} s of CPU in this process (the copy of the log too)")


if __name__ == "__main__":
    main()

"""A full rebuild's cost per event along the log: the CPU time of each stretch of `--every`
positions, in one process on a copy of a cached simulated log.

Run: `.venv/bin/python -m benchmarks.curve --size 35000:1300 --months 24 --seed 1`
(the figures of "Cost per event along the log" in docs/benchmarks.md). A flat rebuild
gives the same microseconds per event in every stretch; checkpoints and growing states
show as a rise. `--checkpoint-every`, `--checkpoints-per-doubling`, `--persist-seconds` and
`--persist-work-ratio` change the runner's settings
(`--persist-seconds 1e9` leaves the checkpoints as the only encodings but the last, so
that two runs encode the same number of times however loaded the machine is).
`--floor-passes N` then measures the floor (SELECT + orjson of every row) N times on the
same copy and prints the rebuild's CPU time against the floor's median, and the process's
peak resident memory above its size before the rebuild, per trajectory: the figures of
"10 M events".
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from benchmarks import logs
from benchmarks.logs import TODAY
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
    logs.add_log_options(parser)
    parser.add_argument("--every", type=int, default=100_000, help="positions per stretch")
    parser.add_argument("--batch", type=int, default=5_000, help="events read at a time")
    parser.add_argument("--checkpoint-every", type=int, default=None, help="positions")
    parser.add_argument("--persist-seconds", type=float, default=None, help="between writes")
    parser.add_argument("--checkpoints-per-doubling", type=int, default=None, help="of the log")
    parser.add_argument(
        "--persist-work-ratio", type=float, default=None, help="work to a write's time"
    )
    parser.add_argument(
        "--floor-passes", type=int, default=0, help="floor passes on the copy afterwards"
    )
    args = parser.parse_args(argv)
    size = logs.log_size(args)
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
        before = _peak_resident()
        stretches = curve(copy, args.every, args.batch, settings)
        peak = _peak_resident()
        floor = logs.steady_floor(copy, args.floor_passes) if args.floor_passes else None
        trajectories = logs.trajectories(copy) if floor else 0
    print("| positions | µs of CPU per event |")
    print("| ---: | ---: |")
    for first, last, per_event in stretches:
        print(f"| {first:,}–{last:,} | {per_event:.1f} |")
    print(f"\n{time.process_time():.1f} s of CPU in this process (the copy of the log too)")
    if floor is not None:
        events = stretches[-1][1] if stretches else 0
        rebuild = sum((last - first) * per_event for first, last, per_event in stretches) / 1e6
        print(
            f"rebuild: {rebuild:.1f} s of CPU, {rebuild * 1e6 / max(events, 1):.2f} µs an event;"
            f" floor: {floor.median_cpu:.1f} s of CPU (median; {floor.spread()}),"
            f" {floor.median_cpu * 1e6 / max(floor.events, 1):.2f} µs an event;"
            f" rebuild / floor by CPU time: {floor.median_cpu / rebuild:.3f}"
        )
        print(
            f"peak resident memory: {peak / 2**20:,.0f} MiB, {before / 2**20:,.0f} MiB before the"
            f" rebuild: {(peak - before) / max(trajectories, 1):,.0f} B per trajectory"
            f" ({trajectories:,} trajectories)"
        )


def _peak_resident() -> int:
    """The process's peak resident size so far, in bytes (Linux counts kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


if __name__ == "__main__":
    main()

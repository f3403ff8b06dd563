"""Read models at scale: rebuilds against the raw floor, one model against eventsourcing's
own `Projection`, `caseload status` as whole commands, and catch-up, on simulated logs.

Run: `.venv/bin/python -m benchmarks.rebuild` (writes its section to docs/benchmarks.md).
`--sizes` lists the logs as `CITIZENS:BROKERS` (default `3500:130,35000:1300`, about 100 k
and 1 M events over `--months` 24, `--seed` 1); each log is generated once and cached in
`--cache` (`.benchmarks-cache/`), since generating it takes minutes, and every
measurement runs on a fresh copy. `--detail` adds, for the largest log, where a rebuild's
time and memory go (a rebuild timed by stage, each fold alone, each state's bytes).

For each log, in one run:

- the floor: a plain `sqlite3` SELECT of every event row plus an orjson decode of each,
  the median of `--floor-passes` passes (5), with their spread;
- a full rebuild of all read models (`app.projections.rebuild()`) in a fresh process, with
  its peak memory above the process's size before the rebuild, per trajectory;
- a rebuild of one read model (`--model`, default `caseload`) by the library and by
  eventsourcing's `Projection` with a `topics=` filter (`benchmarks/peer.py`), each in a
  fresh process on a fresh copy, with both digests;
- `caseload status`, `--as-true-on D` and `--as-known-at T` as subprocesses on the rebuilt
  copy (D and T: the business date and recorded moment of the event halfway along the log),
  against the full rebuild's time; the same as-of queries in a running application;
- the catch-up of one new event (p50 and p99), persisted and in memory only.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import latency, logs, stages, worker
from benchmarks._report import machine, write_section
from benchmarks.logs import LogSize, generate
from benchmarks.peer import folded_topics, model_named, sqlite_topics
from benchmarks.rebuild_report import Measured, body

__all__ = ["generate", "main", "measure"]


def measure(
    size: LogSize,
    cache: Path,
    work: Path,
    *,
    model: str,
    runs: int,
    catch_ups: int,
    detail: bool,
    floor_passes: int = 5,
) -> Measured:
    """Every measurement of one log, on fresh copies of its cached file."""
    source = generate(size.citizens, size.brokers, size.months, size.seed, cache)
    tag = f"c{size.citizens}"
    print(f"{size.label}: {source}", flush=True)
    copy = logs.working_copy(source, work, f"{tag}-rebuilt.db")
    floor = logs.steady_floor(copy, floor_passes)
    events, floor_seconds = floor.events, floor.median_seconds
    rebuilt = worker.run("rebuild", f"sqlite:///{copy}")
    print(
        f"  floor {floor_seconds:.2f} s (median; CPU per event {floor.spread()}),"
        f" rebuild {rebuilt['seconds']:.1f} s",
        flush=True,
    )
    day, moment = logs.middle(copy)
    commands = {
        label: latency.command_seconds(copy, arguments, runs)
        for label, arguments in latency.status_commands(day, moment).items()
    }
    print(f"  status commands (wall, CPU seconds): {commands}", flush=True)
    in_process = latency.in_process_seconds(copy, day, moment)
    topics = folded_topics(sqlite_topics(copy), model_named(model))
    peer = worker.run(
        "peer", f"sqlite:///{logs.working_copy(source, work, f'{tag}-peer.db')}", model, *topics
    )
    ours = worker.run(
        "model", f"sqlite:///{logs.working_copy(source, work, f'{tag}-model.db')}", model
    )
    print(
        f"  one model: peer {peer['seconds']:.2f} s ({peer['cpu']:.2f} s CPU),"
        f" library {ours['seconds']:.2f} s ({ours['cpu']:.2f} s CPU)",
        flush=True,
    )
    catch_up = latency.catch_up_latencies(copy, catch_ups)
    found = Measured(
        size=size,
        events=events,
        floor_seconds=floor_seconds,
        floor_cpu=floor.median_cpu,
        floor_spread=floor.spread(),
        trajectories=logs.trajectories(copy),
        rebuild=rebuilt,
        commands=commands,
        in_process=in_process,
        model=model,
        peer=peer,
        ours=ours,
        catch_up={
            label: (statistics.median(values), latency.percentile(values, 0.99))
            for label, values in catch_up.items()
        },
        day=day,
    )
    if detail:
        staged_copy = logs.working_copy(source, work, f"{tag}-staged.db")
        stage_seconds = worker.run("staged", f"sqlite:///{staged_copy}")
        sample, sizes = stages.state_bytes(copy)
        found = found.with_detail(stage_seconds, stages.fold_costs(copy), sample, sizes)
    return found


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="3500:130,35000:1300", help="CITIZENS:BROKERS,...")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", default="caseload", help="the read model rebuilt alone")
    parser.add_argument("--runs", type=int, default=1, help="runs of each status command")
    parser.add_argument("--catch-ups", type=int, default=200)
    parser.add_argument(
        "--floor-passes", type=int, default=5, help="passes of the floor (their median counts)"
    )
    parser.add_argument("--no-detail", action="store_true", help="skip the staged profile")
    parser.add_argument("--cache", type=Path, default=logs.CACHE)
    parser.add_argument("--doc", type=Path, default=None, help="write to this file instead")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    sizes = [LogSize.parse(text, args.months, args.seed) for text in args.sizes.split(",")]
    results: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="caseload-rebuild-") as directory:
        for n, size in enumerate(sizes):
            results.append(
                measure(
                    size,
                    args.cache,
                    Path(directory),
                    model=args.model,
                    runs=args.runs,
                    catch_ups=args.catch_ups,
                    detail=not args.no_detail and n == len(sizes) - 1,
                    floor_passes=args.floor_passes,
                )
            )
            # Each log's copies go as soon as it is measured: a million events take GBs.
            for leftover in Path(directory).iterdir():
                leftover.unlink()
    options: dict[str, Any] = {"months": args.months, "seed": args.seed, "model": args.model}
    text = body(results, options, machine())
    write_section("Rebuilding read models", text, doc=args.doc)
    print(text)


if __name__ == "__main__":
    main()

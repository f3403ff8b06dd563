"""`caseload status` as whole commands against a checkout of other code: plain, `--json`,
as true on a day and as known at a moment, the two sides alternating run by run on one
rebuilt copy of a cached log, and whether both print the same bytes.

Run: `.venv/bin/python -m benchmarks.status_against --baseline ../other-checkout --size
35000:1300 --months 24 --seed 1 --runs 7` (the log is generated once and cached in
`.benchmarks-cache/`). The copy is rebuilt by this checkout's code, so the two sides must
read the same stored forms. Each command runs as a subprocess with its checkout's `src/`
first on the path; D and T are the business date and recorded moment of the event halfway
along the log. Prints a table in the form of docs/benchmarks.md: median CPU time (user
and system) with the range of the runs, which other work on a shared machine disturbs
less than the wall clock.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import latency, logs
from benchmarks.checkouts import env_for, status_run
from benchmarks.logs import ROOT, generate

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="checkout to compare")
    logs.add_log_options(parser)
    parser.add_argument("--runs", type=int, default=7, help="runs of each command a side")
    args = parser.parse_args(argv)
    size = logs.log_size(args)
    source = generate(size.citizens, size.brokers, size.months, size.seed, args.cache)
    sides = {"before": args.baseline.resolve(), "after": ROOT}
    with tempfile.TemporaryDirectory(prefix="caseload-status-") as work:
        copy = logs.working_copy(source, Path(work), "status.db")
        subprocess.run(
            [sys.executable, "-m", "benchmarks.worker", "rebuild", f"sqlite:///{copy}"],
            cwd=ROOT,
            env=env_for(ROOT),
            capture_output=True,
            check=True,
        )
        day, moment = logs.middle(copy)
        commands = latency.status_commands(day, moment)
        found = {label: {side: list[float]() for side in sides} for label in commands}
        printed = {label: {side: set[bytes]() for side in sides} for label in commands}
        for run in range(args.runs):
            # Each side goes first in every other run: neither always finds a warm cache.
            order = list(sides) if run % 2 == 0 else list(reversed(sides))
            for label, arguments in commands.items():
                for side in order:
                    cpu, output = status_run(sides[side], copy, arguments)
                    found[label][side].append(cpu)
                    printed[label][side].add(output)
            print(f"run {run + 1} of {args.runs}", file=sys.stderr, flush=True)
    print(f"\n{size.label} (seed {size.seed}): D = {day}, T = {moment.isoformat()}\n")
    print("| command | before, CPU s | after, CPU s | after / before | same output |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, times in found.items():
        cells = []
        for side in sides:
            seconds = times[side]
            cells.append(
                f"{statistics.median(seconds):.2f} ({min(seconds):.2f}–{max(seconds):.2f})"
            )
        ratio = statistics.median(times["after"]) / statistics.median(times["before"])
        same = printed[label]["before"] == printed[label]["after"]
        print(f"| {label} | {cells[0]} | {cells[1]} | {ratio:.2f} | {'yes' if same else 'NO'} |")


if __name__ == "__main__":
    main()

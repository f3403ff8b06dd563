"""Checkpoints stored in chunks against a checkout of other code: a full rebuild's CPU time
and peak memory, the store's size on disk and the as-of `status` commands, the two sides
alternating round by round on fresh copies of one cached log.

Run: `.venv/bin/python -m benchmarks.checkpoint_store --baseline ../other-checkout --size
35000:1300 --months 24 --seed 1 --rounds 3` (the log is generated once and cached in
`.benchmarks-cache/`). Each side runs in processes of its own with its checkout's `src/`
first on the path; `--baseline` is a checkout of the code to compare with (its
`benchmarks/worker.py` is the one it runs). Prints a table in the form of
docs/benchmarks.md: medians over the rounds, CPU time (user and system), which other work
on a shared machine disturbs less than the wall clock.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import logs
from benchmarks.checkouts import env_for, status_run
from benchmarks.logs import ROOT, generate

__all__ = ["main", "store_bytes"]


def _rebuild(checkout: Path, path: Path) -> dict[str, Any]:
    """A full rebuild by `benchmarks.worker` of the checkout, in a process of its own."""
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.worker", "rebuild", f"sqlite:///{path}"],
        cwd=checkout,
        env=env_for(checkout),
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(output.stdout.strip().splitlines()[-1]))


def _status_cpu(checkout: Path, path: Path, arguments: list[str]) -> float:
    """CPU seconds (user and system) of one `caseload status` subprocess."""
    return status_run(checkout, path, arguments)[0]


def store_bytes(path: Path) -> tuple[int, int]:
    """The file's size once its write-ahead log is folded in, and the bytes of pages that
    the checkpoint tables (and their indexes) take."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = db.execute(
            "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE '%checkpoint%'"
        ).fetchone()[0]
    return path.stat().st_size, int(pages or 0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="checkout to compare")
    logs.add_log_options(parser)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    size = logs.log_size(args)
    source = generate(size.citizens, size.brokers, size.months, size.seed, args.cache)
    sides = {"before": args.baseline.resolve(), "after": ROOT}
    found: dict[str, dict[str, list[float]]] = {side: {} for side in sides}
    digests: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="caseload-cpstore-") as work:
        copy = logs.working_copy(source, Path(work), "probe.db")
        trajectories = logs.trajectories(copy)
        day, moment = logs.middle(copy)
        copy.unlink()
        for round_ in range(args.rounds):
            for side, checkout in sides.items():
                copy = logs.working_copy(source, Path(work), f"{side}.db")
                rebuilt = _rebuild(checkout, copy)
                digests.setdefault(side, rebuilt["digests"])
                size_on_disk, checkpoint_pages = store_bytes(copy)
                row = {
                    "rebuild CPU s": rebuilt["cpu"],
                    "peak B per trajectory": (
                        (rebuilt["rss_peak_kib"] - rebuilt["rss_before_kib"]) * 1024 / trajectories
                    ),
                    "store MB": size_on_disk / 1e6,
                    "checkpoint tables MB": checkpoint_pages / 1e6,
                    "as-true-on status CPU s": _status_cpu(
                        checkout, copy, ["--as-true-on", day.isoformat()]
                    ),
                    "as-known-at status CPU s": _status_cpu(
                        checkout, copy, ["--as-known-at", moment.isoformat()]
                    ),
                }
                for label, value in row.items():
                    found[side].setdefault(label, []).append(value)
                print(f"round {round_ + 1} {side}: {row}", flush=True)
                copy.unlink()
    same = "yes" if digests["before"] == digests["after"] else "NO"
    print(f"\n{size.label}, {trajectories:,} trajectories; same digests: {same}\n")
    print("| measure | before | after | after / before |")
    print("| --- | ---: | ---: | ---: |")
    for label in found["after"]:
        before = statistics.median(found["before"][label])
        after = statistics.median(found["after"][label])
        ratio = f"{after / before:.2f}" if before else ""
        print(f"| {label} | {before:,.2f} | {after:,.2f} | {ratio} |")


if __name__ == "__main__":
    main()

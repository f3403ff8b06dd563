"""Where a full rebuild's memory lies at its largest: tracemalloc's snapshot at the moment
before a write when the most is traced, by source line, in one process on a copy of a
cached simulated log.

Run: `.venv/bin/python -m benchmarks.memory_peak --size 35000:1300 --months 24 --seed 1`
(the breakdown under "What stands in the way of the goals not met" in docs/benchmarks.md).
The rebuild runs several times slower under tracemalloc; what it measures is what Python
allocates (not the process's resident size, which `benchmarks.rebuild` reports), so the
two differ by the interpreter, SQLite's page cache and the allocator's slack. `--batch`
sets the events read at a time, the one fixed share of the peak.
"""

from __future__ import annotations

import argparse
import tempfile
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks import logs
from benchmarks.logs import TODAY
from caseload import Caseload
from caseload.projections.writing import StateWriter

__all__ = ["Peak", "main", "peak"]

Peak = tuple[int, int, list[tuple[str, int, int]]]
"""Bytes traced at the largest moment before a write, the most traced at any moment, and
the largest allocation sites then: (file:line, bytes, blocks)."""


@contextmanager
def _largest_before_writes(found: dict[str, Any]) -> Iterator[None]:
    """Take a snapshot before each write whose traced size is the largest so far."""
    original = StateWriter.write

    def write(self: StateWriter, *args: Any, **kwargs: Any) -> bool:
        current, _ = tracemalloc.get_traced_memory()
        if current > found["bytes"]:
            found["bytes"], found["snapshot"] = current, tracemalloc.take_snapshot()
        return original(self, *args, **kwargs)

    StateWriter.write = write  # type: ignore[method-assign]
    try:
        yield
    finally:
        StateWriter.write = original  # type: ignore[method-assign]


def peak(path: Path, batch: int = 5_000, top: int = 15) -> Peak:
    """Rebuild every read model of the store at `path` under tracemalloc (reading `batch`
    events at a time) and return where its memory lay at the largest moment before a
    write."""
    found: dict[str, Any] = {"bytes": 0, "snapshot": None}
    with Caseload(f"sqlite:///{path}", clock=lambda: TODAY) as app:
        app.wiring.read_models()  # the programme kinds and stores load outside the trace
        tracemalloc.start(1)
        try:
            with _largest_before_writes(found):
                app.projections.rebuild(batch_size=batch)
            _, most = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    snapshot = found["snapshot"]
    sites = [] if snapshot is None else snapshot.statistics("lineno")[:top]
    return (
        found["bytes"],
        most,
        [
            (f"{site.traceback[0].filename}:{site.traceback[0].lineno}", site.size, site.count)
            for site in sites
        ],
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    logs.add_log_options(parser)
    parser.add_argument("--batch", type=int, default=5_000, help="events read at a time")
    parser.add_argument("--top", type=int, default=15, help="allocation sites shown")
    args = parser.parse_args(argv)
    size = logs.log_size(args)
    source = logs.generate(size.citizens, size.brokers, size.months, size.seed, args.cache)
    with tempfile.TemporaryDirectory(prefix="caseload-memory-") as directory:
        copy = logs.working_copy(source, Path(directory), "log.db")
        trajectories = logs.trajectories(copy)
        before_write, most, sites = peak(copy, args.batch, args.top)
    root = str(logs.ROOT) + "/"
    print(f"{size.label}, {trajectories:,} trajectories, batches of {args.batch:,} events\n")
    print("| measure | MiB | B per trajectory |")
    print("| --- | ---: | ---: |")
    for label, value in (
        ("traced at the largest moment before a write", before_write),
        ("traced at the most, any moment", most),
    ):
        print(f"| {label} | {value / 2**20:.1f} | {value / trajectories:,.0f} |")
    print("\n| allocated at (largest moment before a write) | MiB | blocks |")
    print("| --- | ---: | ---: |")
    for where, size_, count in sites:
        print(f"| `{where.removeprefix(root)}` | {size_ / 2**20:.1f} | {count:,} |")


if __name__ == "__main__":
    main()

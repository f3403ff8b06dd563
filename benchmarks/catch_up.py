"""The catch-up of one new event with the read models' states written (`persist=True`):
on a copy of a cached log whose read models are built first, a contact recorded and caught
up, again and again; then the same in a process that has just loaded the states.

    python -m benchmarks.catch_up --sizes 3500:130,35000:1300 --months 24 --seed 1

`--work DIR` keeps the copy with its built read models there, and a second run with the
same DIR measures on it without building them again.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks import logs
from benchmarks._report import load, machine, write_section
from benchmarks.latency import decoded, percentile
from benchmarks.logs import TODAY
from caseload import Caseload, Channel, Role


def measure(path: Path, count: int) -> dict[str, list[float]]:
    """Wall and CPU seconds of `count` persisted catch-ups of one event each, in a process
    whose states are in memory, and of the first one after loading the states."""
    timings: dict[str, list[float]] = {"wall": [], "cpu": [], "first wall": [], "first cpu": []}
    url = f"sqlite:///{path}"
    with Caseload(url, clock=lambda: TODAY) as app:
        app.projections.catch_up(persist=True)
        for name in app.projections.names:
            decoded(app.projections.state(name))  # decoded on first use: not timed
        rows = app.caseload()
        broker = next(row.broker_id for row in rows if row.active_cases and row.left_on is None)
        case = next(iter(app.broker(broker).active_cases))
        for _ in range(count):
            app.record_contact(case, on=TODAY, roles={Role.COACH}, channel=Channel.PHONE, by=broker)
            started, cpu = time.perf_counter(), time.process_time()
            app.projections.catch_up(persist=True)
            timings["wall"].append(time.perf_counter() - started)
            timings["cpu"].append(time.process_time() - cpu)
    for _ in range(3):
        with Caseload(url, clock=lambda: TODAY) as app:
            projections = app.projections
            for name in projections.names:
                decoded(projections.state(name))  # loads and decodes every state: not timed
            app.record_contact(case, on=TODAY, roles={Role.COACH}, channel=Channel.PHONE, by=broker)
            started, cpu = time.perf_counter(), time.process_time()
            app.projections.catch_up(persist=True)
            timings["first wall"].append(time.perf_counter() - started)
            timings["first cpu"].append(time.process_time() - cpu)
    return timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="3500:130,35000:1300", help="CITIZENS:BROKERS,...")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=200, help="catch-ups measured per log")
    parser.add_argument("--cache", type=Path, default=logs.CACHE)
    parser.add_argument("--work", type=Path, default=None, help="keep the built copies here")
    parser.add_argument("--doc", type=Path, default=None, help="write to this file instead")
    args = parser.parse_args(argv)
    rows = []
    for text in args.sizes.split(","):
        citizens, brokers = (int(part) for part in text.split(":"))
        source = logs.generate(citizens, brokers, args.months, args.seed, args.cache)
        with tempfile.TemporaryDirectory() as temporary:
            work = args.work or Path(temporary)
            work.mkdir(parents=True, exist_ok=True)
            copy = work / f"built-{source.name}"
            if not copy.exists():
                partial = work / f"partial-{source.name}"
                # A run stopped while building leaves its write-ahead log beside the
                # partial copy: SQLite would replay it onto the fresh one.
                for leftover in (Path(f"{partial}-wal"), Path(f"{partial}-shm")):
                    leftover.unlink(missing_ok=True)
                shutil.copyfile(source, partial)
                with Caseload(f"sqlite:///{partial}", clock=lambda: TODAY) as app:
                    app.projections.rebuild()
                partial.rename(copy)
            with Caseload.open_readonly(f"sqlite:///{source}") as log:
                events = log.head()  # the log's own size: each run adds its contacts
            found = measure(copy, args.count)
        label, ms = f"{events / 1000:,.0f}k", 1000
        wall, cpu = found["wall"], found["cpu"]
        rows.append(
            f"| {label} | states in memory ({len(wall)} times) "
            f"| {statistics.median(wall) * ms:.1f} ms "
            f"| {percentile(wall, 0.99) * ms:.1f} ms | {statistics.median(cpu) * ms:.1f} ms "
            f"| {percentile(cpu, 0.99) * ms:.1f} ms | p99 < 10 ms |"
        )
        wall, cpu = found["first wall"], found["first cpu"]
        rows.append(
            f"| {label} | first after loading ({len(wall)} times) "
            f"| {statistics.median(wall) * ms:.1f} ms | max {max(wall) * ms:.1f} ms "
            f"| {statistics.median(cpu) * ms:.1f} ms | max {max(cpu) * ms:.1f} ms |  |"
        )
        print(rows[-2], rows[-1], sep="\n", flush=True)
    command = f"--sizes {args.sizes} --months {args.months} --seed {args.seed} --count {args.count}"
    body = f"""
A contact recorded, then `catch_up(persist=True)`: the states of the read models the event
changes are written with their positions in one transaction (the header row and the
changed chunks of each, and the time index's row). Measured on a copy of each log whose
read models were rebuilt first; the states are decoded before the clock starts (decoding
them on first use is a load's cost, not a write's). "First after loading" is the same in a
fresh process that has just read the states from the store. The states' commits do not
wait for the disk (the read-model store's connection runs with `synchronous = NORMAL` in
WAL mode, since states are rebuilt from the log); wall time includes waiting for a core,
which a shared machine stretches, and CPU time is the process's own.

Reproduce: `.venv/bin/python -m benchmarks.catch_up {command}`.
Machine: {machine()}; load average at the end of the run {load()}.

| log | persisted catch-up of one event | p50 | p99 | CPU p50 | CPU p99 | goal |
| --- | --- | ---: | ---: | ---: | ---: | ---: |
""" + "\n".join(rows)
    write_section("Catch-up of one new event, states written", body, doc=args.doc)


if __name__ == "__main__":
    main()

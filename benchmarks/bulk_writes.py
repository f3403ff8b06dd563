"""What grows with the size of a simulated programme: a bulk write's cost per event as the
log grows, in small writes with SQLite's default page cache against the batch's writes.

Run: `.venv/bin/python -m benchmarks.bulk_writes` (writes its section to
docs/benchmarks.md; options: `--size CITIZENS:BROKERS` of the cached log whose rows are
written, `--events` how many of them, `--parts`, `--cache`, `--no-doc`, `--doc`).

The rows of a cached benchmark log (the simulation's events, in log order, as the batch
encodes them) are written again into a new SQLite file through the chained recorder's bulk
write (`insert_rows`: the inserts, each event's chain link, the commit), once as the batch
wrote them before (about the events of 5,000 commands a write, SQLite's 2 MiB page cache)
and once as it writes them now (about the events of 20,000 commands, a 64 MiB cache). Each
part of the log gets its CPU time per event (user and system), its wall time per event, and
the bytes this process wrote to disk per event (the write-ahead log and the checkpoints
that copy it into the file).
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import tempfile
import time
from pathlib import Path

import attrs

from benchmarks._report import load, machine, write_section
from benchmarks.logs import CACHE, LogSize, generate
from caseload import Caseload
from caseload.adapters.recorders import BULK_CACHE_KIB, ChainedSQLiteRecorder, EventRow

KEY = "benchmark-key-0123456789"
EVENTS_PER_COMMAND = 1.17
"""Events per command of the simulation (115,178 events of 98,109 commands at full size)."""
SQLITE_DEFAULT_CACHE_KIB = 2000


@attrs.frozen
class Setting:
    """How the rows are written: events per write and the page cache during a write."""

    label: str
    events_per_write: int
    cache_kib: int


SETTINGS = (
    Setting("before: writes of 5,000 commands, 2 MiB cache", 5_850, SQLITE_DEFAULT_CACHE_KIB),
    Setting("now: writes of 20,000 commands, 64 MiB cache", 23_400, BULK_CACHE_KIB),
)


@attrs.frozen
class Part:
    """One stretch of the log as written: where it ends and what each event cost."""

    last: int
    cpu_us: float
    user_us: float
    system_us: float
    wall_us: float
    written_bytes: float


def rows_of(path: Path, events: int) -> list[EventRow]:
    """The first `events` rows of the log at `path`, in log order."""
    connection = sqlite3.connect(path)
    try:
        return [
            (str(originator), int(version), str(topic), bytes(state))
            for originator, version, topic, state in connection.execute(
                "SELECT originator_id, originator_version, topic, state FROM stored_events "
                "ORDER BY rowid LIMIT ?",
                (events,),
            )
        ]
    finally:
        connection.close()


def write(rows: list[EventRow], setting: Setting, parts: int) -> list[Part]:
    """Write `rows` into a new SQLite file as `setting` says; the cost of each part."""
    measured: list[Part] = []
    with tempfile.TemporaryDirectory(prefix="caseload-bulk-writes-") as directory:
        url = f"sqlite:///{Path(directory) / 'written.db'}"
        with Caseload(url, pseudonym_key=KEY) as app:
            recorder = app.wiring.events.recorder
            assert isinstance(recorder, ChainedSQLiteRecorder)
            bounds = [len(rows) * (n + 1) // parts for n in range(parts)]
            start = 0
            for bound in bounds:
                usage = resource.getrusage(resource.RUSAGE_SELF)
                cpu, wall = time.process_time(), time.perf_counter()
                for first in range(start, bound, setting.events_per_write):
                    chunk = rows[first : min(first + setting.events_per_write, bound)]
                    recorder.insert_rows(chunk, durable=False, cache_kib=setting.cache_kib)
                after = resource.getrusage(resource.RUSAGE_SELF)
                count = bound - start
                measured.append(
                    Part(
                        last=bound,
                        cpu_us=(time.process_time() - cpu) / count * 1e6,
                        user_us=(after.ru_utime - usage.ru_utime) / count * 1e6,
                        system_us=(after.ru_stime - usage.ru_stime) / count * 1e6,
                        wall_us=(time.perf_counter() - wall) / count * 1e6,
                        written_bytes=(after.ru_oublock - usage.ru_oublock) * 512 / count,
                    )
                )
                start = bound
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="35000:1300", help="CITIZENS:BROKERS of the log")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--events", type=int, default=1_200_000, help="rows to write")
    parser.add_argument("--parts", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=CACHE, help="where logs are cached")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--doc", type=Path, default=None, help="write this file instead")
    args = parser.parse_args()

    size = LogSize.parse(args.size, args.months, args.seed)
    log = generate(size.citizens, size.brokers, size.months, size.seed, cache=args.cache)
    rows = rows_of(log, args.events)
    load_before = load()
    results = {setting: write(rows, setting, args.parts) for setting in SETTINGS}
    lines = [
        "| writes | events written so far | CPU µs an event (user + system) | wall µs an "
        "event | kB written to disk an event |",
        "|---|---:|---:|---:|---:|",
    ]
    for setting, parts in results.items():
        for part in parts:
            lines.append(
                f"| {setting.label} | {part.last:,} | {part.cpu_us:.1f} ({part.user_us:.1f} + "
                f"{part.system_us:.1f}) | {part.wall_us:.1f} | {part.written_bytes / 1000:.1f} |"
            )
    table = "\n".join(lines)
    command = (
        f".venv/bin/python -m benchmarks.bulk_writes --size {size.option} --months "
        f"{size.months} --seed {size.seed} --events {args.events} --parts {args.parts}"
    )
    body = f"""
A bulk write's cost per event as the log grows: the rows of the {len(rows):,}-event log
({size.label}) written again, in log order, into a new SQLite file through the chained
recorder's bulk write (the inserts, each event's chain link, the commit), as the batch wrote
them before and as it writes them now. Each row of the table is one part of the log.

Reproduce: `{command}`.
Machine: {machine()}; load averages (1 / 5 / 15 min) {load_before} before the run, {load()}
after it.

{table}
"""
    if not args.no_doc:
        write_section("Bulk writes as the log grows", body, args.doc)
    print(table)


if __name__ == "__main__":
    main()

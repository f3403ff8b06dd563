"""Rebuilding every read model from a log of a million events, against the raw floor.

Run: `.venv/bin/python -m benchmarks.rebuild` (writes its table to docs/benchmarks.md).
Options: `--citizens`, `--brokers`, `--months`, `--seed` scale the simulated programme
(the defaults give about a million events); the generated log is cached in
`.benchmarks-cache/` by its parameters, since generating it takes minutes.

In one run, on a copy of the same SQLite file, it measures:

- the floor: a plain `sqlite3` SELECT of every event row plus an orjson decode of each;
- a full rebuild of all read models (`projections.rebuild()`), in a fresh process, with
  its peak memory above the process's size before the rebuild, per trajectory;
- a catch-up of one new event (p50 and p99 over many), persisted and in memory only;
- as-of queries (as true on a day, as known at a moment) against the rebuild's time.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import orjson
from eventsourcing.persistence import StoredEvent

from benchmarks._report import machine, write_section
from caseload import Caseload, Channel, Role
from caseload.simulation import SimulationConfig, simulate

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".benchmarks-cache"
KEY = "benchmark-pseudonym-key"
TODAY = date(2030, 1, 1)


def generate(citizens: int, brokers: int, months: int, seed: int) -> Path:
    """The cached SQLite log of a simulated programme (made once per parameters)."""
    path = CACHE / f"log-c{citizens}-b{brokers}-m{months}-s{seed}.db"
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    started = time.perf_counter()
    source = Caseload("memory://", pseudonym_key=KEY, clock=lambda: TODAY)
    config = SimulationConfig(
        brokers=brokers,
        citizens=citizens,
        months=months,
        seed=seed,
        intake_weeks=max(12, months * 52 // 12 * 3 // 4),
    )
    simulate(
        source,
        config,
        progress=lambda done, total: print(
            f"\rsimulating week {done}/{total}", end="", file=sys.stderr
        ),
    )
    print(file=sys.stderr)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with Caseload(f"sqlite:///{partial}", clock=lambda: TODAY) as target:
        start = 1
        while batch := source._app.recorder.select_notifications(start=start, limit=50_000):
            target._app.recorder.insert_events(
                [
                    StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
                    for n in batch
                ]
            )
            start = batch[-1].id + 1
    partial.rename(path)
    print(
        f"generated {source.head()} events in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return path


def floor(path: Path) -> tuple[int, float]:
    """Events and seconds for a plain SELECT of every row plus an orjson decode of each."""
    connection = sqlite3.connect(path)
    started = time.perf_counter()
    count = 0
    for _position, _originator, _version, _topic, state in connection.execute(
        "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events"
        " ORDER BY rowid"
    ):
        orjson.loads(state)
        count += 1
    seconds = time.perf_counter() - started
    connection.close()
    return count, seconds


def where_the_time_goes(path: Path, limit: int = 200_000) -> dict[str, float]:
    """Events/s of the rebuild's two halves on the first `limit` events: reading and
    decoding rows into events, and folding already-decoded events into all read models."""
    from caseload.projections import default_read_models
    from caseload.projections.log import log_reader

    with Caseload(f"sqlite:///{path}", clock=lambda: TODAY) as app:
        reader = log_reader(app._app, app._store)
        started = time.perf_counter()
        events = []
        while len(events) < limit and (batch := reader.read(len(events) + 1, 20_000)):
            events.extend(event for _, event in batch)
        decode_rate = len(events) / (time.perf_counter() - started)
        reader.close()
    rates = {"read and decode": decode_rate}
    for model in default_read_models():
        state = model.initial()
        started = time.perf_counter()
        for event in events:
            model.apply(state, event)
        rates[f"fold {model.name}"] = len(events) / (time.perf_counter() - started)
    return rates


def rebuild_in_fresh_process(path: Path) -> dict[str, float]:
    """Run the rebuild in a new process, so its peak memory is its own."""
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.rebuild", "--worker", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(output.stdout.strip().splitlines()[-1]))


def worker(path: Path) -> None:
    """The rebuild itself, reporting events, seconds and memory as one JSON line."""
    with Caseload(f"sqlite:///{path}", clock=lambda: TODAY) as app:
        trajectories = (
            sqlite3.connect(path)
            .execute("SELECT COUNT(*) FROM stored_events WHERE topic LIKE '%Trajectory.Opened'")
            .fetchone()[0]
        )
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        result = app.projections.rebuild()
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "events": result.events,
                "seconds": seconds,
                "trajectories": trajectories,
                "rss_before_kib": before,
                "rss_peak_kib": peak,
            }
        )
    )


def catch_up_latencies(path: Path, count: int) -> dict[str, list[float]]:
    """Seconds to catch up one new event: in memory (`count` times) and with every state
    written (a tenth as often)."""
    timings: dict[str, list[float]] = {"persisted": [], "in memory": []}
    with Caseload(f"sqlite:///{path}", clock=lambda: TODAY) as app:
        app.projections.catch_up()
        rows = app.caseload()
        broker = rows[0].broker_id
        case = next(iter(app.broker(broker).active_cases))
        # Writing every state is the expensive case; fewer samples of it suffice.
        persisted_every = 10
        for n in range(count + count // persisted_every):
            app.record_contact(case, on=TODAY, roles={Role.COACH}, channel=Channel.PHONE, by=broker)
            persist = n % (persisted_every + 1) == 0
            started = time.perf_counter()
            app.projections.catch_up(persist=persist)
            timings["persisted" if persist else "in memory"].append(time.perf_counter() - started)
    return timings


def as_of_seconds(path: Path) -> dict[str, float]:
    """Seconds for as-of caseload queries in a fresh application (state from the store)."""
    connection = sqlite3.connect(path)
    middle = connection.execute("SELECT MAX(rowid) / 2 FROM stored_events").fetchone()[0]
    state = connection.execute(
        "SELECT state FROM stored_events WHERE rowid = ?", (middle,)
    ).fetchone()[0]
    connection.close()
    moment = datetime.fromisoformat(orjson.loads(state)["timestamp"]["_data_"]).astimezone(UTC)
    timings = {}
    with Caseload(f"sqlite:///{path}", clock=lambda: TODAY) as app:
        app.projections.catch_up()
        for label, query in (
            ("as true on a day", lambda: app.caseload(as_true_on=date(2024, 9, 30))),
            ("as known at a moment", lambda: app.caseload(as_known_at=moment)),
            ("both", lambda: app.caseload(as_true_on=date(2024, 9, 30), as_known_at=moment)),
        ):
            started = time.perf_counter()
            query()
            timings[label] = time.perf_counter() - started
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=31_000)
    parser.add_argument("--brokers", type=int, default=1_150)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--catch-ups", type=int, default=200)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.worker)
        return
    source = generate(args.citizens, args.brokers, args.months, args.seed)
    work = Path(tempfile.mkdtemp(prefix="caseload-rebuild-")) / "log.db"
    shutil.copy(source, work)
    events, floor_seconds = floor(work)
    rebuilt = rebuild_in_fresh_process(work)
    latencies = catch_up_latencies(work, args.catch_ups)
    as_of = as_of_seconds(work)
    halves = where_the_time_goes(work)
    floor_rate = events / floor_seconds
    rebuild_rate = rebuilt["events"] / rebuilt["seconds"]
    per_trajectory = (
        (rebuilt["rss_peak_kib"] - rebuilt["rss_before_kib"]) * 1024 / rebuilt["trajectories"]
    )
    lines = [
        "| measurement | result | against the goal |",
        "|---|---:|---|",
        f"| (a) floor: SELECT + orjson, events/s | {floor_rate:,.0f} | baseline |",
        f"| (b) full rebuild of all read models, events/s | {rebuild_rate:,.0f} | "
        f"{rebuild_rate / floor_rate:.2f} × floor (goal ≥ 0.5) |",
        f"| rebuild time for {rebuilt['events']:,} events | {rebuilt['seconds']:.1f} s | |",
        f"| peak memory of the rebuild per trajectory ({rebuilt['trajectories']:,}) | "
        f"{per_trajectory:,.0f} B | goal ≤ 1024 B |",
    ]
    for label, values in latencies.items():
        lines.append(
            f"| catch-up of one new event, {label}: p50 / p99 | "
            f"{statistics.median(values) * 1e3:.1f} / {percentile(values, 0.99) * 1e3:.1f} ms | |"
        )
    for label, rate in halves.items():
        lines.append(f"| where the time goes: {label}, events/s | {rate:,.0f} | |")
    for label, seconds in as_of.items():
        lines.append(
            f"| caseload {label} | {seconds:.2f} s | "
            f"{seconds / rebuilt['seconds']:.1%} of the rebuild (goal ≤ 10 %) |"
        )
    table = "\n".join(lines)
    body = f"""
A simulated programme of {args.citizens:,} citizens and {args.brokers:,} brokers over
{args.months} months (seed {args.seed}): {events:,} events in a SQLite file. All numbers
come from one run on copies of the same file; the ratios compare measurements of that run.

Reproduce: `.venv/bin/python -m benchmarks.rebuild` (options: `--citizens`, `--brokers`,
`--months`, `--seed`; the log is generated once and cached in `.benchmarks-cache/`).
Machine: {machine()}.

{table}
"""
    write_section("Rebuilding read models", body)
    print(table)


if __name__ == "__main__":
    main()

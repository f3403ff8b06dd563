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
import functools
import gc
import json
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
from eventsourcing.persistence import StoredEvent

from benchmarks._report import machine, write_section
from caseload import Caseload, Channel, ProjectionSettings, Role
from caseload.programmes.resource_pathway.simulation import (
    SIMULATION_VERSION,
    SimulationConfig,
    simulate,
)

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".benchmarks-cache"
KEY = "benchmark-pseudonym-key"
TODAY = date(2030, 1, 1)


def generate(citizens: int, brokers: int, months: int, seed: int) -> Path:
    """The cached SQLite log of a simulated programme (made once per parameters)."""
    # The simulation's version is in the name: a log made by an older simulation is not
    # the log these parameters make now.
    path = CACHE / f"log-c{citizens}-b{brokers}-m{months}-s{seed}-v{SIMULATION_VERSION}.db"
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    started = time.perf_counter()
    config = SimulationConfig(
        brokers=brokers,
        citizens=citizens,
        months=months,
        seed=seed,
        intake_weeks=max(12, months * 52 // 12 * 3 // 4),
    )
    # Today is the simulation's last day, so the log holds no date after it and `caseload
    # verify` can check it against the real today.
    today = config.end
    source = Caseload("memory://", pseudonym_key=KEY, clock=lambda: today)
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
    with Caseload(f"sqlite:///{partial}", clock=lambda: today) as target:
        start = 1
        while batch := source.wiring.events.recorder.select_notifications(
            start=start, limit=50_000
        ):
            target.wiring.events.recorder.insert_events(
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


def fold_costs(path: Path, limit: int = 200_000) -> dict[str, float]:
    """Microseconds per event of folding already-decoded events into each read model alone
    (its `apply`, over every event), on the first `limit` events."""
    from caseload.adapters.log import log_reader
    from caseload.programmes import default_read_models

    with Caseload(f"sqlite:///{path}", clock=lambda: TODAY) as app:
        reader = log_reader(app.wiring.events, app.wiring.store)
        events = []
        while len(events) < limit and (batch := reader.read(len(events) + 1, 20_000)):
            events.extend(event for _, event in batch)
        reader.close()
    costs = {}
    gc.disable()
    for model in default_read_models():
        state = model.initial()
        started = time.perf_counter()
        for event in events:
            model.apply(state, event)
        costs[model.name] = (time.perf_counter() - started) * 1e6 / len(events)
    gc.enable()
    return costs


def state_bytes(path: Path, limit: int = 200_000) -> tuple[float, dict[str, float]]:
    """Bytes each read model's state allocates per trajectory opened, folding the first
    `limit` events (tracemalloc; objects the decoder made and a state keeps, such as ids
    and dates, are not counted)."""
    from caseload.adapters.log import log_reader
    from caseload.programmes import default_read_models
    from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

    with Caseload(f"sqlite:///{path}", clock=lambda: TODAY) as app:
        reader = log_reader(app.wiring.events, app.wiring.store)
        events = []
        while len(events) < limit and (batch := reader.read(len(events) + 1, 20_000)):
            events.extend(event for _, event in batch)
        reader.close()
    opened = sum(1 for event in events if isinstance(event, Trajectory.Opened))
    sizes = {}
    for model in default_read_models():
        tracemalloc.start()
        state = model.initial()
        for event in events:
            model.apply(state, event)
        sizes[model.name] = tracemalloc.get_traced_memory()[0] / opened
        tracemalloc.stop()
        del state
    return opened, sizes


def _timed(spent: dict[str, float], stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, adding its wall time to `spent[stage]`."""

    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[stage] += time.perf_counter() - started

    return timed


def staged_rebuild(app: Caseload) -> dict[str, float]:
    """A rebuild with the seconds of its stages: reading and decoding the log, the time
    index, encoding states (checkpoints and writes), writing to the database; the rest is
    folding (and the loop around it). The stages are timed per batch or per state, not per
    event, so timing them costs next to nothing."""
    from caseload.projections import stored_state
    from caseload.projections.time_index import TimeIndex

    spent = dict.fromkeys(["read and decode", "time index", "encode states", "write"], 0.0)
    projections = app.projections
    source, store = projections._source, projections._store
    saved = (source.read, source.read_for, store.commit, stored_state.freeze, TimeIndex.see_all)
    source.read = _timed(spent, "read and decode", source.read)  # type: ignore[method-assign]
    source.read_for = _timed(spent, "read and decode", source.read_for)  # type: ignore[attr-defined]
    store.commit = _timed(spent, "write", store.commit)  # type: ignore[method-assign]
    stored_state.freeze = _timed(spent, "encode states", stored_state.freeze)
    TimeIndex.see_all = _timed(spent, "time index", TimeIndex.see_all)  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        projections.rebuild()
        total = time.perf_counter() - started
    finally:
        (source.read, source.read_for, store.commit, stored_state.freeze, TimeIndex.see_all) = saved  # type: ignore[method-assign, attr-defined]
    spent["fold (the rest)"] = total - sum(spent.values())
    spent["total"] = total
    return spent


def rebuild_in_fresh_process(path: Path, *, staged: bool = False) -> dict[str, float]:
    """Run the rebuild in a new process, so its peak memory is its own (with `staged`, a
    rebuild with the seconds of its stages instead)."""
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.rebuild",
            "--staged-worker" if staged else "--worker",
            str(path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(output.stdout.strip().splitlines()[-1]))


def staged_worker(path: Path) -> None:
    """A rebuild timed by stage, reporting seconds per stage as one JSON line."""
    with Caseload(f"sqlite:///{path}", clock=lambda: TODAY) as app:
        print(json.dumps(staged_rebuild(app)))


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_kib() -> int:
    """Reset the process's peak resident size where Linux allows it, and return the
    resident size now. (A process started by a large parent may otherwise inherit the
    parent's peak, which hides its own.)"""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return _status_kib("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak_kib() -> int:
    """The peak resident size since the reset."""
    return _status_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def worker(path: Path) -> None:
    """The rebuild itself, reporting events, seconds and memory as one JSON line."""
    with Caseload(f"sqlite:///{path}", clock=lambda: TODAY) as app:
        trajectories = (
            sqlite3.connect(path)
            .execute("SELECT COUNT(*) FROM stored_events WHERE topic LIKE '%Trajectory.Opened'")
            .fetchone()[0]
        )
        before = _reset_peak_kib()
        started = time.perf_counter()
        result = app.projections.rebuild()
        seconds = time.perf_counter() - started
        peak = _peak_kib()
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
    parser.add_argument("--citizens", type=int, default=35_000)
    parser.add_argument("--brokers", type=int, default=1_300)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--catch-ups", type=int, default=200)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--staged-worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.worker)
        return
    if args.staged_worker is not None:
        staged_worker(args.staged_worker)
        return
    source = generate(args.citizens, args.brokers, args.months, args.seed)
    work = Path(tempfile.mkdtemp(prefix="caseload-rebuild-")) / "log.db"
    shutil.copy(source, work)
    events, floor_seconds = floor(work)
    rebuilt = rebuild_in_fresh_process(work)
    latencies = catch_up_latencies(work, args.catch_ups)
    as_of = as_of_seconds(work)
    staged_copy = work.with_name("staged.db")
    shutil.copy(source, staged_copy)
    stages = rebuild_in_fresh_process(staged_copy, staged=True)
    folds = fold_costs(work)
    sample_trajectories, sizes = state_bytes(work)
    floor_rate = events / floor_seconds
    floor_us = floor_seconds * 1e6 / events
    rebuild_rate = rebuilt["events"] / rebuilt["seconds"]
    ratio = rebuild_rate / floor_rate
    per_trajectory = (
        (rebuilt["rss_peak_kib"] - rebuilt["rss_before_kib"]) * 1024 / rebuilt["trajectories"]
    )
    staged_total = stages.pop("total")
    per_event = {stage: seconds * 1e6 / events for stage, seconds in stages.items()}
    lines = [
        "| measurement | result | against the goal |",
        "|---|---:|---|",
        f"| (a) floor: SELECT + orjson, events/s | {floor_rate:,.0f} | baseline |",
        f"| (b) full rebuild of all read models, events/s | {rebuild_rate:,.0f} | "
        f"{ratio:.2f} × floor (goal ≥ 0.5) |",
        f"| rebuild time for {rebuilt['events']:,} events | {rebuilt['seconds']:.1f} s | |",
        f"| peak memory of the rebuild per trajectory ({rebuilt['trajectories']:,}) | "
        f"{per_trajectory:,.0f} B | goal ≤ 1024 B |",
    ]
    for label, values in latencies.items():
        lines.append(
            f"| catch-up of one new event, {label}: p50 / p99 | "
            f"{statistics.median(values) * 1e3:.1f} / {percentile(values, 0.99) * 1e3:.1f} ms | |"
        )
    for label, seconds in as_of.items():
        lines.append(
            f"| caseload {label} | {seconds:.2f} s | "
            f"{seconds / rebuilt['seconds']:.1%} of the rebuild (goal ≤ 10 %) |"
        )
    lines.append(f"| where the time goes: the floor, per event | {floor_us:.2f} µs | |")
    for stage, micros in per_event.items():
        lines.append(
            f"| where the time goes: {stage}, per event | {micros:.2f} µs | "
            f"{stages[stage] / staged_total:.0%} of a staged rebuild |"
        )
    for name, micros in folds.items():
        lines.append(f"| fold {name} alone, per event | {micros:.2f} µs | |")
    for name, size in sizes.items():
        lines.append(f"| state of {name}, per trajectory | {size:,.0f} B | |")
    table = "\n".join(lines)
    checkpoints = events // ProjectionSettings().checkpoint_every
    plural = "s" if checkpoints != 1 else ""
    decode_extra = per_event["read and decode"] - floor_us
    budget = 2 * floor_us
    goals = []
    if ratio >= 0.5:
        goals.append(f"The rebuild meets its goal: {ratio:.2f} × the floor.")
    else:
        goals.append(
            f"**The rebuild does not meet its goal**: {ratio:.2f} × the floor, against 0.5. "
            f"Half the floor's rate leaves {budget:.2f} µs per event for everything, the "
            f"floor's own {floor_us:.2f} µs included. Turning a row into the domain event "
            f"the read models take costs {decode_extra:.2f} µs beyond the floor (a Python "
            "object per event and per field: a timestamp, a date, ids, enum members, sets), "
            f"and encoding every state at each of the {checkpoints} checkpoint{plural} costs "
            f"{per_event['encode states']:.2f} µs per event of the log. Reaching the goal "
            "would take folding straight from the decoded JSON, without building events "
            "(each read model reading only the fields it uses, from a table per topic), and "
            "checkpoints that encode only what changed since the last one (states kept in "
            "per-entity chunks with their encoded form), or a fold in compiled code."
        )
    if per_trajectory <= 1024:
        goals.append(f"Peak memory meets its goal: {per_trajectory:,.0f} B per trajectory.")
    else:
        held = sum(sizes.values())
        goals.append(
            f"**Peak memory does not meet its goal**: {per_trajectory:,.0f} B per trajectory "
            f"against 1,024 B. The six states alone take about {held:,.0f} B per trajectory "
            f"(tracemalloc, first 200,000 events, {sample_trajectories:,} trajectories; ids, "
            "dates and strings shared with the events come on top); the rest is the events "
            "of a batch being folded, the late events gathered between writes, the "
            "decoder's id cache and the encoding of a checkpoint. Reaching the goal would "
            "take states of packed values (dates as day numbers, brokers and indicators as "
            "small indexes, one array per trajectory, as role coverage already keeps roles "
            "as bit masks) instead of a Python object per fact, and a log reader that "
            "decodes a few events at a time."
        )
    fold_alone = ", ".join(f"{name} {micros:.2f} µs" for name, micros in folds.items())
    where = (
        "Where the time goes: a second rebuild, in a fresh process on a fresh copy, timed by "
        f"stage ({staged_total:.1f} s). Per event of the log: reading and decoding rows into "
        f"events {per_event['read and decode']:.2f} µs (the floor's SELECT and orjson decode "
        f"alone: {floor_us:.2f} µs); encoding states {per_event['encode states']:.2f} µs "
        f"({checkpoints} checkpoint{plural} of every read model, each also the write of that "
        "moment, and the final write); folding into the six read models "
        f"{per_event['fold (the rest)']:.2f} µs (each event goes only to the models that use "
        "its class); writing states, checkpoints, index rows and late events "
        f"{per_event['write']:.2f} µs; the time index {per_event['time index']:.2f} µs. "
        "Folding each read model alone over already-decoded events (first 200,000 events): "
        f"{fold_alone}."
    )
    paragraphs = "\n\n".join(textwrap.fill(text, width=90) for text in [where, *goals])
    body = f"""
A simulated programme of {args.citizens:,} citizens and {args.brokers:,} brokers over
{args.months} months (seed {args.seed}): {events:,} events in a SQLite file. All numbers
come from one run on copies of the same file; the ratios compare measurements of that run.

Reproduce: `.venv/bin/python -m benchmarks.rebuild` (options: `--citizens`, `--brokers`,
`--months`, `--seed`; the log is generated once and cached in `.benchmarks-cache/`).
Machine: {machine()}.

{table}

{paragraphs}
"""
    write_section("Rebuilding read models", body)
    print(table)


if __name__ == "__main__":
    main()

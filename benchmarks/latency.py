"""What a reader waits for once the read models are built: `caseload status` (now, as true
on a day, as known at a moment) as whole commands in a fresh process, the same questions
in a running application, and the catch-up of one new event."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import attrs

from benchmarks.logs import KEY, ROOT, TODAY
from caseload import Caseload, Channel, Role
from caseload.projections.entities import EntityMap


def status_commands(day: date, moment: datetime) -> dict[str, list[str]]:
    """The `caseload status` commands measured, by label, as their extra arguments."""
    return {
        "`caseload status`": [],
        "`caseload status --json`": ["--json"],
        f"`caseload status --as-true-on {day}`": ["--as-true-on", day.isoformat()],
        "`caseload status --as-known-at T`": ["--as-known-at", moment.isoformat()],
    }


def command_seconds(path: Path, arguments: list[str], runs: int) -> tuple[float, float]:
    """The median wall time and CPU time (user and system) of `runs` runs of `caseload
    status --store PATH ARGUMENTS` as a subprocess, output discarded: start-up, imports,
    loading, the reports and printing."""
    env = {**os.environ, "CASELOAD_PSEUDONYM_KEY": KEY}
    env.pop("CASELOAD_STORE", None)
    timings, cpus = [], []
    for _ in range(runs):
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "caseload", "status", "--store", str(path), *arguments],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=True,
        )
        timings.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime)
    return statistics.median(timings), statistics.median(cpus)


def in_process_seconds(path: Path, day: date, moment: datetime) -> dict[str, float]:
    """Seconds for the caseload query as of a day, a moment and both, in an application
    that has already caught up (states loaded): the replays alone."""
    timings = {}
    with Caseload(f"sqlite:///{path}", clock=lambda: TODAY) as app:
        app.projections.catch_up()
        for label, query in (
            ("as true on a day", lambda: app.caseload(as_true_on=day)),
            ("as known at a moment", lambda: app.caseload(as_known_at=moment)),
            ("both", lambda: app.caseload(as_true_on=day, as_known_at=moment)),
        ):
            started = time.perf_counter()
            query()
            timings[label] = time.perf_counter() - started
    return timings


def decoded(state: Any) -> None:
    """Decode every part of a state that waits for its first use (its maps of entities,
    and a broker's cases and series), so that a timed catch-up only folds and writes."""
    if not attrs.has(type(state)):
        return
    for field in attrs.fields(type(state)):
        found = getattr(state, field.name)
        if isinstance(found, EntityMap):
            for entry in found.values():
                for part in ("active", "series"):
                    getattr(entry, part, None)


def catch_up_latencies(path: Path, count: int) -> dict[str, list[float]]:
    """Seconds to catch up one new event: in memory (`count` times) and with every state
    written (a tenth as often, at least twice)."""
    timings: dict[str, list[float]] = {"persisted": [], "in memory": []}
    with Caseload(f"sqlite:///{path}", clock=lambda: TODAY) as app:
        app.projections.catch_up()
        for name in app.projections.names:
            decoded(app.projections.state(name))  # a load's cost, not a catch-up's
        rows = app.caseload()
        broker = next(row.broker_id for row in rows if row.active_cases and row.left_on is None)
        case = next(iter(app.broker(broker).active_cases))
        # Writing every state is the expensive case; fewer samples of it suffice.
        persisted_every = 10
        persisted = max(2, count // persisted_every)
        for n in range(count + persisted):
            app.record_contact(case, on=TODAY, roles={Role.COACH}, channel=Channel.PHONE, by=broker)
            persist = len(timings["persisted"]) < persisted and (
                n % (persisted_every + 1) == 0 or len(timings["in memory"]) >= count
            )
            started = time.perf_counter()
            app.projections.catch_up(persist=persist)
            timings["persisted" if persist else "in memory"].append(time.perf_counter() - started)
    return timings


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

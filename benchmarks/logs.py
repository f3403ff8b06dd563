"""The logs the read-model benchmarks measure on: simulated programmes, generated once per
parameters and cached, always measured on a copy; and the raw floor of reading them."""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import attrs
import orjson
from eventsourcing.persistence import StoredEvent

from caseload import Caseload
from caseload.programmes.resource_pathway.simulation import (
    SIMULATION_VERSION,
    SimulationConfig,
    simulate,
)

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".benchmarks-cache"
KEY = "benchmark-pseudonym-key"
TODAY = date(2030, 1, 1)


@attrs.frozen
class LogSize:
    """The parameters of a simulated programme (about 30 events per citizen and year)."""

    citizens: int
    brokers: int
    months: int = 24
    seed: int = 1

    @classmethod
    def parse(cls, text: str, months: int, seed: int) -> LogSize:
        """`CITIZENS:BROKERS`, e.g. `35000:1300`."""
        citizens, brokers = (int(part) for part in text.split(":"))
        return cls(citizens, brokers, months, seed)

    @property
    def label(self) -> str:
        return f"{self.citizens:,} citizens, {self.brokers:,} brokers, {self.months} months"

    @property
    def option(self) -> str:
        return f"{self.citizens}:{self.brokers}"


def add_log_options(parser: argparse.ArgumentParser, size: str = "35000:1300") -> None:
    """The options that name one simulated log (`--size CITIZENS:BROKERS`, `--months`,
    `--seed`) and where logs are cached (`--cache`); `log_size` reads them back."""
    parser.add_argument("--size", default=size, help="CITIZENS:BROKERS")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=CACHE)


def log_size(args: argparse.Namespace) -> LogSize:
    """The log named by the options of `add_log_options`."""
    return LogSize.parse(args.size, args.months, args.seed)


def generate(citizens: int, brokers: int, months: int, seed: int, cache: Path = CACHE) -> Path:
    """The cached SQLite log of a simulated programme (made once per parameters)."""
    # The simulation's version is in the name: a log made by an older simulation is not
    # the log these parameters make now.
    path = cache / f"log-c{citizens}-b{brokers}-m{months}-s{seed}-v{SIMULATION_VERSION}.db"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    config = SimulationConfig(
        brokers=brokers,
        citizens=citizens,
        months=months,
        seed=seed,
        intake_weeks=max(12, months * 52 // 12 * 3 // 4),
    )
    # Today is the simulation's last day, so the log holds no date after it and `caseload
    # verify` can check it against the real today. The simulation writes straight into the
    # file through the bulk path (the same commands, checks and events as one write per
    # command), so a log of any size needs no more memory than the simulation's bookkeeping.
    today = config.end
    partial = path.with_suffix(".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    with Caseload(f"sqlite:///{partial}", pseudonym_key=KEY, clock=lambda: today) as target:
        simulate(
            target,
            config,
            progress=lambda done, total: print(
                f"\rsimulating week {done}/{total}", end="", file=sys.stderr
            ),
        )
        print(file=sys.stderr)
        events = target.head()
    partial.rename(path)
    print(
        f"generated {events} events in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return path


def copy_events(source: Caseload, target: Caseload, batch: int = 50_000) -> None:
    """Every event of `source` into the empty store of `target`, in log order."""
    start = 1
    while rows := source.wiring.events.recorder.select_notifications(start=start, limit=batch):
        target.wiring.events.recorder.insert_events(
            [StoredEvent(n.originator_id, n.originator_version, n.topic, n.state) for n in rows]
        )
        start = rows[-1].id + 1


def working_copy(source: Path, directory: Path, name: str) -> Path:
    """A copy of a cached log to measure on (the cached file is never written)."""
    target = directory / name
    shutil.copy(source, target)
    return target


def floor(path: Path) -> tuple[int, float, float]:
    """Events, wall seconds and CPU seconds for a plain SELECT of every row plus an orjson
    decode of each."""
    connection = sqlite3.connect(path)
    cpu = time.process_time()
    started = time.perf_counter()
    count = 0
    for _position, _originator, _version, _topic, state in connection.execute(
        "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events"
        " ORDER BY rowid"
    ):
        orjson.loads(state)
        count += 1
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    connection.close()
    return count, seconds, cpu


@attrs.frozen
class Floor:
    """The floor measured in several passes over the same file: its medians, by wall and
    by CPU time, are steadier than one pass (one pass varies by a third from run to run
    on a shared machine), and the passes show the spread."""

    events: int
    seconds: tuple[float, ...]
    cpu: tuple[float, ...]

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu)

    def spread(self) -> str:
        """The least and the most CPU µs per event of the passes."""
        low, high = (value * 1e6 / max(self.events, 1) for value in (min(self.cpu), max(self.cpu)))
        return f"{low:.2f}–{high:.2f} µs ({len(self.cpu)} passes)"


def steady_floor(path: Path, passes: int) -> Floor:
    """The floor of `floor`, measured `passes` times in a row."""
    measured = [floor(path) for _ in range(max(1, passes))]
    return Floor(
        measured[0][0],
        tuple(seconds for _, seconds, _ in measured),
        tuple(cpu for _, _, cpu in measured),
    )


def trajectories(path: Path) -> int:
    """How many trajectories the log opens."""
    connection = sqlite3.connect(path)
    try:
        found: int = connection.execute(
            "SELECT COUNT(*) FROM stored_events WHERE topic LIKE '%Trajectory.Opened'"
        ).fetchone()[0]
    finally:
        connection.close()
    return found


def middle(path: Path) -> tuple[date, datetime]:
    """The business date and the recorded moment of the event halfway along the log: the
    day and moment the as-of queries ask about."""
    connection = sqlite3.connect(path)
    try:
        position = connection.execute("SELECT MAX(rowid) / 2 FROM stored_events").fetchone()[0]
        # The nearest event from there on that carries a business date.
        for (state,) in connection.execute(
            "SELECT state FROM stored_events WHERE rowid >= ? ORDER BY rowid", (position,)
        ):
            data = orjson.loads(state)
            occurred = data.get("occurred_on")
            if occurred is not None:
                break
    finally:
        connection.close()
    day = date.fromisoformat(occurred["_data_"] if isinstance(occurred, dict) else occurred)
    moment = datetime.fromisoformat(data["timestamp"]["_data_"]).astimezone(UTC)
    return day, moment

"""Loading a trajectory or a broker does not get slower as its history grows.

Run: `.venv/bin/python -m benchmarks.load` (writes its table to docs/benchmarks.md).

For histories of growing length on a SQLite file it times three ways of loading one
aggregate, each as a ratio to the same way at the shortest history, measured in the same run:

- warm: the application's cache, fast-forwarded from the store on every load;
- cold: a fresh application (latest snapshot plus the events after it);
- no snapshot, no cache: plain `eventsourcing` replay of every event, for contrast.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

from eventsourcing.application import Application

from benchmarks._report import machine, median_seconds, write_section
from caseload import Caseload, Channel, ClosureReason, Role
from caseload.application.caseload import _EventStore

KEY = "benchmark-pseudonym-key"
DAY = date(2024, 1, 1)
TODAY = date(2100, 1, 1)


class _Plain(_EventStore):
    """The same store read with neither snapshots nor cache."""

    snapshotting_intervals = {}  # noqa: RUF012


def _history(url: str, length: int) -> tuple[UUID, UUID]:
    """A trajectory with `length` contacts, and a broker with about `length` events."""
    with Caseload(url, pseudonym_key=KEY, clock=lambda: TODAY) as app:
        broker = app.register_broker(name="Broker 1", team="Team A", fte=1.0, on=DAY)
        trajectory = app.open_trajectory(cpr="0101901234", on=DAY)
        app.assign(trajectory, broker, on=DAY)
        for n in range(length):
            app.record_contact(
                trajectory, on=DAY, roles={Role.COACH}, channel=Channel.PHONE, by=broker
            )
            if n % 2 == 0:
                day = DAY + timedelta(days=n)
                case = app.open_trajectory(
                    cpr=f"{1 + n % 28:02d}01{(n // 28) % 100:02d}{n % 4}{n % 1000:03d}", on=day
                )
                app.assign(case, broker, on=day)
                app.close_trajectory(case, on=day, reason=ClosureReason.OTHER)
    return trajectory, broker


def _measure(directory: Path, trajectory: UUID, broker: UUID, repeat: int) -> dict[str, float]:
    """Median load times of one trajectory and one broker, three ways."""
    url = f"sqlite:///{directory / 'load.db'}"
    few = max(5, repeat // 10)
    timings: dict[str, float] = {}
    with Caseload(url, clock=lambda: TODAY) as warm:
        warm.trajectory(trajectory)
        warm.broker(broker)
        timings["warm trajectory"] = median_seconds(lambda: warm.trajectory(trajectory), repeat)
        timings["warm broker"] = median_seconds(lambda: warm.broker(broker), repeat)

    def cold(aggregate: UUID) -> None:
        with Caseload(url, clock=lambda: TODAY) as fresh:
            fresh.wiring.events.repository.get(aggregate)

    timings["cold trajectory"] = median_seconds(lambda: cold(trajectory), few)
    timings["cold broker"] = median_seconds(lambda: cold(broker), few)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(directory / "load.db"),
    }
    plain: Application[UUID] = _Plain(env=env)
    timings["replay trajectory"] = median_seconds(lambda: plain.repository.get(trajectory), few)
    plain.close()
    return timings


def run(lengths: list[int], repeat: int) -> str:
    """Measure every history length; return the markdown table of times and ratios."""
    rows = []
    for length in lengths:
        directory = Path(tempfile.mkdtemp(prefix="caseload-bench-"))
        trajectory, broker = _history(f"sqlite:///{directory / 'load.db'}", length)
        rows.append((length, _measure(directory, trajectory, broker, repeat)))
    base = rows[0][1]
    lines = ["| events in history | " + " | ".join(base) + " |", "|---:|" + "---:|" * len(base)]
    for length, timings in rows:
        cells = [f"{timings[k] * 1e3:.2f} ms ({timings[k] / base[k]:.1f}×)" for k in base]
        lines.append(f"| {length} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[10, 100, 1000, 4000])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    table = run(args.lengths, args.repeat)
    body = f"""
Loading one aggregate by the length of its history, SQLite file. Each cell is the median
time of one load and, in brackets, its ratio to the same kind of load at the shortest
history in the same run. *Warm* is a load through a running application (its cache,
fast-forwarded from the store); *cold* is a fresh application (snapshot every 50 events
plus the rest); *replay* reads every event with neither, for contrast.

Reproduce: `.venv/bin/python -m benchmarks.load` (options: `--lengths`, `--repeat`).
Machine: {machine()}.

{table}
"""
    write_section("Loading an aggregate", body)
    print(table)


if __name__ == "__main__":
    main()

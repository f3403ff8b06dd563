"""What personal data costs: commands that seal a field, and rebuilds over sealed fields.

Run: `.venv/bin/python -m benchmarks.personal` (writes its section to docs/benchmarks.md;
options: `--calls`, `--runs`, `--citizens`, `--months`, `--no-doc`).

On SQLite files in a temporary directory, each measurement against its baseline in the
same run:

- `record_contact` with a note against the same command without one, on the same warm
  trajectories (a note reads the citizen's wrapped key, unwraps it and seals the note);
- `open_trajectory` with name, phone and address against one without;
- a full rebuild of every read model over a simulated programme with personal data (a
  sealed value in every opening and in about a third of the contacts) against the same
  simulation without it (the same commands, so the same number of events);
- `personal_data(trajectory)` against `trajectory(trajectory)`, the plain query of one
  case, and against reading the trajectory's events (which `personal_data` does first).

Each cell is the median of `--runs` runs, the two sides interleaved (the order alternates).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import attrs

from benchmarks._report import machine, write_section
from caseload import Caseload, Channel, PersonalData, Role
from caseload.simulation import SimulationConfig, simulate

KEY = "benchmark-key-0123456789"
MASTER = bytes(range(32))
DAY = date(2024, 1, 1)
TODAY = date(2100, 1, 1)


def _cpr(n: int) -> str:
    """A distinct valid CPR number for every n < 134 400 (born in the 1900s)."""
    return (
        f"{1 + n % 28:02d}{1 + (n // 28) % 12:02d}{(n // 336) % 100:02d}{n // 33600}{n % 1000:03d}"
    )


def _paired(
    runs: int, with_it: Callable[[int], None], without: Callable[[int], None], calls: int
) -> tuple[float, float]:
    """Median calls per second of each side over `runs` runs, interleaved."""
    rates: dict[str, list[float]] = {"with": [], "without": []}
    for run in range(runs):
        order = [("with", with_it), ("without", without)]
        for name, action in order if run % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            for call in range(calls):
                action(run * calls + call)
            rates[name].append(calls / (time.perf_counter() - start))
    return statistics.median(rates["with"]), statistics.median(rates["without"])


def commands(directory: Path, calls: int, runs: int) -> list[tuple[str, float, float]]:
    """Rates of the commands and the query with and without personal data."""
    app = Caseload(
        f"sqlite:///{directory / 'commands.db'}",
        pseudonym_key=KEY,
        master_key=MASTER,
        clock=lambda: TODAY,
    )
    broker = app.register_broker(name="Broker", team="Team A", on=DAY)
    cases = [
        app.open_trajectory(cpr=_cpr(n), on=DAY, personal=PersonalData(name=f"Citizen {n}"))
        for n in range(100)
    ]
    for case in cases:
        app.trajectory(case)

    def contact(note: str | None) -> Callable[[int], None]:
        def run(n: int) -> None:
            app.record_contact(
                cases[n % len(cases)], on=DAY, roles=Role.COACH, channel=Channel.PHONE,
                by=broker, note=note,
            )  # fmt: skip

        return run

    def opening(personal: PersonalData | None, offset: int) -> Callable[[int], None]:
        def run(n: int) -> None:
            app.open_trajectory(cpr=_cpr(offset + n), on=DAY, personal=personal)

        return run

    person = PersonalData(name="Mette Nielsen", phone="20 304050", address="Skovvej 12, 8000")
    results = [
        ("record_contact", *_paired(runs, contact("wants a job"), contact(None), calls)),
        (
            "open_trajectory",
            *_paired(runs, opening(person, 1_000), opening(None, 60_000), calls),
        ),
        (
            "personal_data / trajectory query",
            *_paired(
                runs,
                lambda n: app.personal_data(cases[n % len(cases)]),
                lambda n: app.trajectory(cases[n % len(cases)]),
                calls,
            ),
        ),
        (
            "personal_data / reading the trajectory's events",
            *_paired(
                runs,
                lambda n: app.personal_data(cases[n % len(cases)]),
                lambda n: list(app.wiring.events.events.get(cases[n % len(cases)])),
                calls,
            ),
        ),
    ]
    app.close()
    return results


def rebuilds(directory: Path, citizens: int, months: int, runs: int) -> tuple[float, float, int]:
    """Median rebuild seconds with and without personal data, and the events in each."""
    config = SimulationConfig(brokers=max(2, citizens // 25), citizens=citizens, months=months)
    apps = {}
    for personal in (True, False):
        app = Caseload(
            f"sqlite:///{directory / f'simulated-{personal}.db'}",
            pseudonym_key=KEY,
            master_key=MASTER,
            clock=lambda: TODAY,
        )
        simulate(app, attrs.evolve(config, personal=personal))
        apps[personal] = app
    assert apps[True].head() == apps[False].head()
    timings: dict[bool, list[float]] = {True: [], False: []}
    for run in range(runs):
        for personal in (True, False) if run % 2 == 0 else (False, True):
            start = time.perf_counter()
            apps[personal].projections.rebuild()
            timings[personal].append(time.perf_counter() - start)
    events = apps[True].head()
    for app in apps.values():
        app.close()
    return statistics.median(timings[True]), statistics.median(timings[False]), events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--citizens", type=int, default=300)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="caseload-personal-") as scratch:
        directory = Path(scratch)
        rates = commands(directory, args.calls, args.runs)
        sealed, plain, events = rebuilds(directory, args.citizens, args.months, args.runs)
    rows = [
        "| measurement | with personal data | without | with/without |",
        "|---|---:|---:|---:|",
        *(
            f"| `{name}`, calls/s | {with_it:,.0f} | {without:,.0f} | {with_it / without:.2f}× |"
            for name, with_it, without in rates
        ),
        f"| rebuild of every read model, {events:,} events, s | {sealed:.2f} | {plain:.2f} | "
        f"{sealed / plain:.2f}× |",
    ]
    table = "\n".join(rows)
    body = f"""
Commands and a rebuild with personal data against the same without it, SQLite files, in
one run: `record_contact` with a note (on 100 warm trajectories) against the same
contacts without one; `open_trajectory` with name, phone and address against one
without; `personal_data` of a trajectory against the plain `trajectory` query and
against reading the trajectory's events, which it does first; and a
rebuild over a simulated programme ({args.citizens} citizens, {args.months} months) with
invented personal data against the same simulation without it. Each rate is the median of
{args.runs} runs of {args.calls} calls, the two sides interleaved.

Reproduce: `.venv/bin/python -m benchmarks.personal` (options: `--calls`, `--runs`,
`--citizens`, `--months`).
Machine: {machine()}.

{table}
"""
    if not args.no_doc:
        write_section("Personal data", body)
    print(table)


if __name__ == "__main__":
    main()

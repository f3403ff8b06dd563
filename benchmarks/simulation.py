"""The simulation written in bulk (`Caseload.batch`) against one write per command.

Run: `.venv/bin/python -m benchmarks.simulation` (writes its section to docs/benchmarks.md;
options: `--citizens`, `--brokers`, `--months` for the bulk run, `--compare-citizens`,
`--compare-brokers`, `--compare-months` for the run both paths make, `--national` to add
the national preset in bulk, `--seed`, `--no-doc`).

Every run simulates into a new SQLite file in a temporary directory, with today the
simulation's last day. The comparison simulates the same programme both ways in this
process (the per-command path first, then the bulk path): the ratio of their rates is the
bulk path's gain. A one-write-per-command run of the full size would take tens of minutes,
so the full size (3,000 citizens, 100 brokers, 36 months by default, the size of the
issue's reproduction) runs in bulk only, and its rate is also given as a multiple of the
per-command rate measured on the comparison. Finally one more bulk run of the comparison
size is profiled with cProfile, to show where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import attrs

from benchmarks._report import load, machine, write_section
from caseload import Caseload
from caseload.simulation import PRESETS, SimulationConfig, default_start, simulate

KEY = "benchmark-key-0123456789"
TODAY = date(2026, 1, 1)
GOAL = 20_000
"""Events per second the bulk path should write at the full size, on a SQLite file."""


@attrs.frozen
class Timed:
    """One simulation run: its size, events and wall time."""

    label: str
    config: SimulationConfig
    bulk: bool
    events: int
    seconds: float
    cpu_seconds: float

    @property
    def rate(self) -> float:
        """Events written per second."""
        return self.events / self.seconds

    @property
    def cpu_rate(self) -> float:
        """Events written per second of this process's CPU time (on a machine shared with
        other work, a steadier measure than the wall clock)."""
        return self.events / self.cpu_seconds


def config_of(
    citizens: int, brokers: int, months: int, seed: int, teams: int = 2
) -> SimulationConfig:
    """A configuration that ends by the benchmark's today."""
    return SimulationConfig(
        citizens=citizens,
        brokers=brokers,
        months=months,
        seed=seed,
        teams=teams,
        start=default_start(months, TODAY),
    )


def run(label: str, config: SimulationConfig, *, bulk: bool) -> Timed:
    """Simulate into a new SQLite file; time the simulation alone (not opening the store)."""
    with tempfile.TemporaryDirectory(prefix="caseload-simulation-") as directory:
        url = f"sqlite:///{Path(directory) / 'simulated.db'}"
        # The last day, computed once: every command asks the clock.
        end = config.end
        with Caseload(url, pseudonym_key=KEY, clock=lambda: end) as app:
            started, cpu_started = time.perf_counter(), time.process_time()
            simulate(app, config, bulk=bulk)
            seconds = time.perf_counter() - started
            cpu_seconds = time.process_time() - cpu_started
            return Timed(label, config, bulk, app.head(), seconds, cpu_seconds)


_STAGES: dict[str, Callable[[str, str], bool]] = {
    "encoding events": lambda file, name: (
        name == "to_stored_event" or (file.endswith("event_rows.py") and name == "rows")
    ),
    "hash chain": lambda file, name: name in ("chain_links", "row_links"),
    "SQLite writes": lambda file, name: (
        (file.endswith("sqlite.py") and name == "insert_events")
        or (file.endswith("recorders.py") and name == "insert_rows")
    ),
    "commands (checks, domain, events)": lambda file, name: (
        file.endswith("batch.py") and name == "run"
    ),
}
_WRITES_INSIDE_COMMANDS = ("run", "events_containing")
"""A batch writes inside a command when it reaches its size, and before a search of the
log: that time is the writing stages', not the command's."""


def profile(config: SimulationConfig) -> tuple[float, dict[str, float]]:
    """A profiled bulk run: total seconds and the cumulative seconds of each stage."""
    with tempfile.TemporaryDirectory(prefix="caseload-simulation-") as directory:
        url = f"sqlite:///{Path(directory) / 'profiled.db'}"
        end = config.end
        with Caseload(url, pseudonym_key=KEY, clock=lambda: end) as app:
            profiler = cProfile.Profile()
            profiler.enable()
            simulate(app, config)
            profiler.disable()
    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]
    total = max(cumulative for (_, _, _, cumulative, _) in entries.values())
    stages = {}
    for stage, matches in _STAGES.items():
        stages[stage] = sum(
            cumulative
            for (file, _, name), (_, _, _, cumulative, _) in entries.items()
            if matches(file, name)
        )
    # The write's cumulative time includes the chain; report the SQLite part alone.
    stages["SQLite writes"] -= stages["hash chain"]
    stages["commands (checks, domain, events)"] -= sum(
        cumulative
        for (file, _, name), (_, _, _, _, callers) in entries.items()
        if file.endswith("batch.py") and name == "flush"
        for (_, _, caller), (_, _, _, cumulative) in callers.items()
        if caller in _WRITES_INSIDE_COMMANDS
    )
    return total, stages


def goal_paragraph(bulk_runs: list[Timed]) -> str:
    """Whether the bulk runs meet the goal, by CPU time and by the wall clock."""
    by_cpu = [timed for timed in bulk_runs if timed.cpu_rate >= GOAL]
    by_wall = [timed for timed in bulk_runs if timed.rate >= GOAL]

    def named(runs: list[Timed]) -> str:
        return " and ".join(timed.label for timed in runs) if runs else "no size"

    figures = "; ".join(
        f"{timed.label}: {timed.cpu_rate:,.0f} events per CPU-second "
        f"({1e6 / timed.cpu_rate:.0f} µs an event), {timed.rate:,.0f} events/s by the wall clock"
        for timed in bulk_runs
    )
    return (
        f"The goal is {GOAL:,} events/s on a SQLite file ({1e6 / GOAL:.0f} µs of CPU an "
        f"event). In this run: {figures}. Met by CPU time at {named(by_cpu)}, by the wall "
        f"clock at {named(by_wall)}. The wall clock counts the time this process waited for "
        "a core (the machine is shared: see the load averages above) and for the disk; "
        "the CPU time counts neither."
    )


GREW = (
    "What grew with the size of the programme was the SQLite write. The events' index is "
    "keyed by random aggregate ids, so each write changes pages all over it; the batch "
    "wrote every 5,000 commands with SQLite's 2 MiB page cache, so those pages were read "
    "back from the operating system, spilled to the log before the commit, and written "
    "again at every write, more of them for every event as the index grew. A batch now "
    "writes every 20,000 commands, each write with a 64 MiB page cache (memory traded "
    "for speed: the events of 20,000 commands, and the cache while a write runs). That "
    "halves the growth without removing it: a "
    "write still rewrites most pages of the index that hold open trajectories, and their "
    "number grows with the programme (the section *Bulk writes as the log grows* "
    "measures both ways on the 1 M-event log). The simulation's transfers also compared "
    "every broker's id with the giver's (a Python call each, hundreds per transfer in the "
    "national preset); they now pick from a list filtered in C. What remains of a run is "
    "spread: the commands (their handlers, checks, events built and applied), encoding "
    "the events and hashing the chain, the simulation's own loop and draws, the cyclic "
    "garbage collector (whose full collections walk every aggregate the batch holds), "
    "the simulation's questions about every broker when it decides the caseload policy, "
    "and two searches of the whole log when a broker and a colleague leave (the rule "
    "that nobody leaves before a contact they made)."
)


def _size(config: SimulationConfig) -> str:
    return f"{config.citizens:,} citizens, {config.brokers:,} brokers, {config.months} months"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=3_000)
    parser.add_argument("--brokers", type=int, default=100)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--compare-citizens", type=int, default=300)
    parser.add_argument("--compare-brokers", type=int, default=10)
    parser.add_argument("--compare-months", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--national", action="store_true", help="add the national preset")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--doc", type=Path, default=None, help="write this file instead")
    args = parser.parse_args()

    small = config_of(args.compare_citizens, args.compare_brokers, args.compare_months, args.seed)
    full = config_of(args.citizens, args.brokers, args.months, args.seed)
    load_before = load()
    per_command = run("comparison", small, bulk=False)
    bulk_small = run("comparison", small, bulk=True)
    runs = [per_command, bulk_small, run("full size", full, bulk=True)]
    if args.national:
        preset = PRESETS["national"]
        national = config_of(
            preset.citizens, preset.brokers, preset.months, args.seed, teams=preset.teams
        )
        national = attrs.evolve(national, colleagues=preset.colleagues)
        runs.append(run("national preset", national, bulk=True))
    total, stages = profile(small)

    baseline, cpu_baseline = per_command.rate, per_command.cpu_rate
    lines = [
        "| run | size | path | events | wall time | events/s | × per-command "
        "| CPU time | events per CPU-second | × per-command |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for timed in runs:
        path = "bulk (one transaction per batch)" if timed.bulk else "one write per command"
        lines.append(
            f"| {timed.label} | {_size(timed.config)} | {path} | {timed.events:,} | "
            f"{timed.seconds:.1f} s | {timed.rate:,.0f} | {timed.rate / baseline:.1f}× | "
            f"{timed.cpu_seconds:.1f} s | {timed.cpu_rate:,.0f} | "
            f"{timed.cpu_rate / cpu_baseline:.1f}× |"
        )
    table = "\n".join(lines)
    shares = ", ".join(f"{stage} {seconds / total:.0%}" for stage, seconds in stages.items())
    where = (
        f"Where the time goes in a bulk run of the comparison size, under cProfile "
        f"({total:.1f} s with the profiler's overhead): {shares}; the rest is the "
        "facade's methods and command values, the simulation's queries, and its own "
        "bookkeeping and random draws. The commands' share holds the same handlers and "
        "checks as one write per command, and each event built and applied to its "
        "aggregate; writes a batch makes inside a command count as writing."
    )
    goal = goal_paragraph([timed for timed in runs if timed.bulk and timed.label != "comparison"])
    paragraphs = "\n\n".join(textwrap.fill(text, width=90) for text in (where, goal, GREW))
    given = " ".join(sys.argv[1:])
    command = ".venv/bin/python -m benchmarks.simulation" + (f" {given}" if given else "")
    body = f"""
The simulation written through `Caseload.batch` (the same commands, checks and events,
written in one transaction per few thousand commands) against one write per command, each
into a new SQLite file. Each row is one run; the "× per-command" columns divide the run's
rate by the per-command rate measured on the comparison size in the same process, by the
wall clock and by this process's CPU time (the machine is shared, so the wall clock also
counts time spent waiting for a core; the CPU time does not, and does not count waiting
for the disk either).

Reproduce: `{command}` (options: `--citizens`, `--brokers`, `--months`,
`--compare-citizens`, `--compare-brokers`, `--compare-months`, `--national`, `--seed`).
Machine: {machine()}; load averages (1 / 5 / 15 min) {load_before} before the run,
{load()} after it.

{table}

{paragraphs}
"""
    if not args.no_doc:
        write_section("Simulation", body, args.doc)
    print(table)
    print(paragraphs)


if __name__ == "__main__":
    main()

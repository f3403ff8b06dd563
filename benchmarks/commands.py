"""Commands through `Caseload` against a raw `eventsourcing` application on the same store.

Run: `.venv/bin/python -m benchmarks.commands` (writes its section to docs/benchmarks.md;
options: `--calls`, `--pg-calls`, `--runs`, `--postgres URL`, `--no-postgres`, `--no-doc`).

For each store (a SQLite file in a temporary directory and, when it answers, PostgreSQL in
a fresh schema) it times N calls of two commands, each against a baseline measured in the
same run on the same kind of store:

- `record_contact`: `Caseload.record_contact` on trajectories spread over 200 cases, against
  a raw application that loads one tiny aggregate (`repository.get`), calls one `@event`
  method and saves it (`app.save`);
- `assign`: `Caseload.assign` of a fresh trajectory to a broker (a new broker every 30
  assignments, so no one passes the 30-case limit), against a raw application that loads
  two aggregates, triggers one event on each and saves both in one `save(a, b)` (the
  library writes trajectory and broker atomically too).

The raw application gets the settings the library gives eventsourcing (the persistence
environment `caseload.adapters.storage.parse_store_url` makes for the same kind of URL, another file
or schema, and the library's `AGGREGATE_CACHE_MAXSIZE`) but eventsourcing's own recorder,
without the hash chain: the chain's cost counts against the library. Brokers, trajectories
and baseline aggregates are created before timing; the contact aggregates are loaded once so
that both sides run warm from the aggregate cache. Each cell is the median of `--runs` runs,
caseload and raw interleaved (the order alternates between runs). Finally one more run of
each command, caseload and raw, is profiled with cProfile on SQLite to show where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from benchmarks._report import machine, write_section
from caseload import Caseload, Channel, Role
from caseload.adapters.storage import parse_store_url, postgres_conninfo

KEY = "benchmark-key-0123456789"
DAY = date(2024, 1, 1)
TODAY = date(2100, 1, 1)
POSTGRES = "postgresql://root@127.0.0.1:5432/test"
CONTACT_CASES = 200
PER_BROKER = 30
COMMANDS = ("record_contact", "assign")


class Case(Aggregate):
    """The baseline's tiny aggregate."""

    @event("Created")
    def __init__(self) -> None:
        self.holder: UUID | None = None

    @event("Contacted")
    def contact(self, note: str) -> None:
        pass

    @event("Assigned")
    def assign(self, holder: UUID) -> None:
        self.holder = holder


class Holder(Aggregate):
    """The other side of the baseline's two-aggregate write."""

    @event("Created")
    def __init__(self) -> None:
        self.cases = 0

    @event("Took")
    def take(self, case: UUID) -> None:
        self.cases += 1


class Raw(Application[UUID]):
    """A plain eventsourcing application: no facade, no validation, no retries."""


@dataclass
class Target:
    """One kind of store: the URL for Caseload and the environment for the raw baseline."""

    name: str
    caseload_url: str
    raw_env: dict[str, str]


def _cpr(n: int) -> str:
    """A distinct valid CPR number for every n < 134 400 (born in the 1900s)."""
    return (
        f"{1 + n % 28:02d}{1 + (n // 28) % 12:02d}{(n // 336) % 100:02d}{n // 33600}{n % 1000:03d}"
    )


def _chunks(items: list[Aggregate], size: int = 500) -> Iterator[list[Aggregate]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Workload:
    """Both applications on one kind of store, with their aggregates created (untimed)."""

    def __init__(self, target: Target, calls: int, batches: int) -> None:
        self.calls = calls
        self.app = Caseload(target.caseload_url, pseudonym_key=KEY, clock=lambda: TODAY)
        cache_size = self.app.wiring.events.env.get("AGGREGATE_CACHE_MAXSIZE")
        assert cache_size is not None, "the library no longer sets an aggregate cache size"
        self.raw = Raw(env={**target.raw_env, "AGGREGATE_CACHE_MAXSIZE": cache_size})
        n_brokers = -(-calls * batches // PER_BROKER)

        app = self.app
        self.contact_by = app.register_broker(name="Contact", team="Team A", fte=1.0, on=DAY)
        self.brokers = [
            app.register_broker(name=f"Broker {n}", team="Team A", fte=1.0, on=DAY)
            for n in range(n_brokers)
        ]
        self.contact_cases = [
            app.open_trajectory(cpr=_cpr(n), on=DAY) for n in range(CONTACT_CASES)
        ]
        self.fresh_cases = [
            app.open_trajectory(cpr=_cpr(CONTACT_CASES + n), on=DAY) for n in range(calls * batches)
        ]
        for trajectory in self.contact_cases:
            app.trajectory(trajectory)

        raw_contact = [Case() for _ in range(CONTACT_CASES)]
        raw_holders = [Holder() for _ in range(n_brokers)]
        raw_fresh = [Case() for _ in range(calls * batches)]
        for chunk in _chunks([*raw_contact, *raw_holders, *raw_fresh]):
            self.raw.save(*chunk)
        self.raw_contact = [case.id for case in raw_contact]
        self.raw_holders = [holder.id for holder in raw_holders]
        self.raw_fresh = [case.id for case in raw_fresh]
        for case_id in self.raw_contact:
            self.raw.repository.get(case_id)

    def close(self) -> None:
        self.app.close()
        self.raw.close()

    # Each returns the action for batch number `batch` (assign uses fresh trajectories).

    def caseload_contact(self, batch: int) -> Callable[[], None]:
        app, cases, by, calls = self.app, self.contact_cases, self.contact_by, self.calls

        def run() -> None:
            for n in range(calls):
                app.record_contact(
                    cases[n % CONTACT_CASES],
                    on=DAY,
                    roles={Role.COACH},
                    channel=Channel.PHONE,
                    by=by,
                )

        return run

    def raw_contact_run(self, batch: int) -> Callable[[], None]:
        raw, cases, calls = self.raw, self.raw_contact, self.calls

        def run() -> None:
            for n in range(calls):
                case: Case = raw.repository.get(cases[n % CONTACT_CASES])
                case.contact(note="coach, phone")
                raw.save(case)

        return run

    def caseload_assign(self, batch: int) -> Callable[[], None]:
        app, brokers, first = self.app, self.brokers, batch * self.calls
        cases = self.fresh_cases[first : first + self.calls]

        def run() -> None:
            for n, trajectory in enumerate(cases, start=first):
                app.assign(trajectory, brokers[n // PER_BROKER], on=DAY)

        return run

    def raw_assign_run(self, batch: int) -> Callable[[], None]:
        raw, holders, first = self.raw, self.raw_holders, batch * self.calls
        cases = self.raw_fresh[first : first + self.calls]

        def run() -> None:
            for n, case_id in enumerate(cases, start=first):
                case: Case = raw.repository.get(case_id)
                holder: Holder = raw.repository.get(holders[n // PER_BROKER])
                case.assign(holder.id)
                holder.take(case.id)
                raw.save(case, holder)

        return run


def _seconds(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


Rates = dict[str, tuple[float, float]]
Profile = tuple[dict[str, dict[str, float]], str, int]


def measure(target: Target, calls: int, runs: int, profiled: bool) -> tuple[Rates, Profile | None]:
    """Per command: (caseload calls/s, raw calls/s), medians of `runs` interleaved runs.

    With `profiled`, one more caseload run of each command (on the same aggregates) is
    profiled afterwards.
    """
    work = Workload(target, calls, runs + profiled)
    timings: dict[str, tuple[list[float], list[float]]] = {c: ([], []) for c in COMMANDS}
    try:
        pairs = {
            "record_contact": (work.caseload_contact, work.raw_contact_run),
            "assign": (work.caseload_assign, work.raw_assign_run),
        }
        for batch in range(runs):
            for command, (ours, theirs) in pairs.items():
                mine, raw = timings[command]
                if batch % 2 == 0:
                    mine.append(_seconds(ours(batch)))
                    raw.append(_seconds(theirs(batch)))
                else:
                    raw.append(_seconds(theirs(batch)))
                    mine.append(_seconds(ours(batch)))
        found = profile(work, runs) if profiled else None
    finally:
        work.close()
    rates = {
        command: (calls / statistics.median(mine), calls / statistics.median(raw))
        for command, (mine, raw) in timings.items()
    }
    return rates, found


# ----------------------------------------------------------------------- profile

# (label, file suffix or C type, function name): the entries the summary reports.
_ENTRIES = (
    ("command", "caseload/application.py", "record_contact"),
    ("command", "caseload/application.py", "assign"),
    ("retry wrapper", "caseload/application.py", "_run"),
    ("body", "caseload/application.py", "command"),
    ("date check", "caseload/application.py", "_day"),
    ("roles check", "caseload/application.py", "_roles"),
    ("programme", "caseload/application.py", "_programme"),
    ("trajectory", "caseload/application.py", "_trajectory"),
    ("broker", "caseload/application.py", "_broker"),
    ("replay", "eventsourcing/application.py", "_reconstruct_aggregate"),
    ("copy", "copy.py", "deepcopy"),
    ("save", "caseload/application.py", "_save"),
    ("snapshots", "caseload/application.py", "_take_snapshots"),
    ("domain", "domain/trajectory.py", "record_contact"),
    ("domain", "domain/trajectory.py", "assign"),
    ("domain", "domain/broker.py", "assign"),
    ("domain", "domain/programme.py", "strictest_from"),
    ("execute", "sqlite3.Cursor", "execute"),
    ("commit", "sqlite3.Connection", "commit"),
    ("rollback", "sqlite3.Connection", "rollback"),
)


def _entries(stats: pstats.Stats, calls: int) -> dict[str, float]:
    """Milliseconds per call of the entries in `_ENTRIES` (cProfile counts recursion once),
    and `statements`: SQL statements executed per call."""
    found: dict[str, float] = {"total": stats.total_tt * 1e3 / calls}  # type: ignore[attr-defined]
    table = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, function), (_cc, ncalls, _tt, cumulative, _callers) in table.items():
        for label, where, name in _ENTRIES:
            if filename == "~":
                matches = where in function and f"'{name}'" in function
            else:
                matches = filename.endswith(where) and function == name
            if matches:
                found[label] = found.get(label, 0.0) + cumulative * 1e3 / calls
                if label == "execute":
                    found["statements"] = ncalls / calls
    return found


def profile(work: Workload, batch: int) -> Profile:
    """Profile one caseload run of each command; the entries per call, and a top-N dump."""
    results: dict[str, dict[str, float]] = {}
    dumps = []
    for command, action in (
        ("record_contact", work.caseload_contact(batch)),
        ("raw record_contact", work.raw_contact_run(batch)),
        ("assign", work.caseload_assign(batch)),
        ("raw assign", work.raw_assign_run(batch)),
    ):
        profiler = cProfile.Profile()
        profiler.runcall(action)
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream)
        results[command] = _entries(stats, work.calls)
        stats.sort_stats("cumulative").print_stats(25)
        dumps.append(f"--- {command}: top entries by cumulative time ({work.calls} calls)")
        dumps.append(stream.getvalue())
    return results, "\n".join(dumps), len(work.brokers) + 1


def profile_summary(found: dict[str, dict[str, float]], calls: int, brokers: int) -> str:
    """The where-the-time-goes paragraphs, from the profile's numbers (ms per call)."""

    def shares(entries: dict[str, float], *parts: tuple[str, float]) -> str:
        total = entries["total"]
        return "; ".join(f"{what} {ms:.3f} ms ({ms / total:.0%})" for what, ms in parts)

    contact, assign = found["record_contact"], found["assign"]
    intro = (
        f"Where the time goes: cProfile of one more caseload run of {calls} calls of each "
        f"command on the SQLite file after the timed runs ({brokers} brokers registered). "
        "The profiler slows Python code more than SQLite's C code, so read the shares as "
        "relative; cumulative milliseconds per call:"
    )
    items = []
    for name, entries, loads, domain in (
        (
            "record_contact",
            contact,
            (("loading the trajectory", contact.get("trajectory", 0.0)),),
            "the domain method `Trajectory.record_contact`",
        ),
        (
            "assign",
            assign,
            (
                ("loading the programme", assign.get("programme", 0.0)),
                (
                    "loading the fresh trajectory (a cache miss: snapshot lookup and replay)",
                    assign.get("trajectory", 0.0),
                ),
            ),
            "the domain checks (`Trajectory.assign`, `Broker.assign`, `strictest_from`)",
        ),
    ):
        wrapper = entries.get("retry wrapper", 0.0) - entries.get("body", 0.0)
        validation = entries.get("date check", 0.0) + entries.get("roles check", 0.0)
        listed = shares(
            entries,
            *loads,
            ("loading the broker", entries.get("broker", 0.0)),
            ("of all loads, copying aggregates out of the cache", entries.get("copy", 0.0)),
            ("the save", entries.get("save", 0.0)),
            ("of which the snapshot check", entries.get("snapshots", 0.0)),
            (domain, entries.get("domain", 0.0)),
            ("argument validation", validation),
            ("the retry wrapper itself", wrapper),
            (
                f"all {entries.get('statements', 0.0):.0f} `cursor.execute` calls (`BEGIN`s "
                "included)",
                entries.get("execute", 0.0),
            ),
            ("the commit", entries.get("commit", 0.0)),
            ("the read transactions' rollbacks", entries.get("rollback", 0.0)),
        )
        items.append(f"- `{name}`, {entries['total']:.3f} ms a call: {listed}.")
    own = [
        sum(found[name].get(k, 0.0) for k in ("date check", "roles check", "domain"))
        + found[name].get("retry wrapper", 0.0)
        - found[name].get("body", 0.0)
        for name in COMMANDS
    ]
    raw = [found[f"raw {name}"] for name in COMMANDS]
    items.append(
        f"- raw eventsourcing under the same profiler: {raw[0]['total']:.3f} ms for a contact "
        f"({raw[0].get('statements', 0.0):.0f} `execute` calls), {raw[1]['total']:.3f} ms for "
        f"an assignment ({raw[1].get('statements', 0.0):.0f} `execute` calls)."
    )
    conclusion = (
        "So the gap to raw eventsourcing is reads, not the facade: `record_contact` also loads "
        "the broker (to refuse a contact by a broker who has left), and `assign` also loads "
        "the programme (for the caseload policy in force) and, for a trajectory not yet in "
        "the cache, looks for a snapshot before replaying its events; each load is its own "
        "read transaction. The facade's own work (argument validation, the retry wrapper and "
        f"the domain checks) is {own[0] / contact['total']:.0%} of a contact and "
        f"{own[1] / assign['total']:.0%} of an assignment."
    )
    listing = "\n".join(_wrap(item, indent="  ") for item in items)
    return f"{_wrap(intro)}\n\n{listing}\n\n{_wrap(conclusion)}"


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(text, width=92, subsequent_indent=indent, break_on_hyphens=False)


# ----------------------------------------------------------------------- stores


def _plain(env: dict[str, str]) -> dict[str, str]:
    """A store's settings with eventsourcing's own application recorder (no hash chain)."""
    return {key: value for key, value in env.items() if key != "APPLICATION_RECORDER_TOPIC"}


def sqlite_target(directory: Path) -> Target:
    return Target(
        name="SQLite file",
        caseload_url=f"sqlite:///{directory / 'caseload.db'}",
        raw_env=_plain(parse_store_url(f"sqlite:///{directory / 'raw.db'}").env),
    )


def _schema(kind: str) -> str:
    return f"bench_{kind}_{uuid.uuid4().hex[:12]}"


@contextmanager
def postgres_target(url: str) -> Iterator[Target]:
    """Caseload and raw in two fresh schemas of the database at `url`, dropped afterwards."""
    conninfo = postgres_conninfo(parse_store_url(url).env)
    ours, theirs = _schema("caseload"), _schema("raw")
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{theirs}"')
    try:
        separator = "&" if "?" in url else "?"
        yield Target(
            name="PostgreSQL",
            caseload_url=f"{url}{separator}schema={ours}",
            raw_env=_plain(parse_store_url(f"{url}{separator}schema={theirs}").env),
        )
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            for schema in (ours, theirs):
                connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def postgres_unavailable(url: str) -> str | None:
    """Why PostgreSQL at `url` cannot be used, or None when it answers."""
    try:
        conninfo = postgres_conninfo(parse_store_url(url).env)
        with psycopg.connect(conninfo, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return f"no PostgreSQL at {url}: {str(error).strip().splitlines()[0]}"
    return None


def table(rows: list[tuple[str, str, int, float, float]]) -> str:
    lines = [
        "| store | command | N | caseload calls/s | raw eventsourcing calls/s | caseload/raw |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for store, command, calls, ours, theirs in rows:
        lines.append(
            f"| {store} | `{command}` | {calls} | {ours:,.0f} | {theirs:,.0f} | "
            f"{ours / theirs:.2f}× |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per run on SQLite")
    parser.add_argument("--pg-calls", type=int, default=1000, help="calls per run on PostgreSQL")
    parser.add_argument("--runs", type=int, default=3, help="runs per cell (median)")
    parser.add_argument("--postgres", default=POSTGRES, help="PostgreSQL URL (no schema)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-doc", action="store_true", help="print only")
    args = parser.parse_args()

    rows: list[tuple[str, str, int, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="caseload-bench-") as directory:
        sqlite = sqlite_target(Path(directory))
        rates, profiled = measure(sqlite, args.calls, args.runs, profiled=True)
    assert profiled is not None
    for command, (ours, theirs) in rates.items():
        rows.append((sqlite.name, command, args.calls, ours, theirs))
        print(f"{sqlite.name} {command}: {ours:.0f}/s vs {theirs:.0f}/s", flush=True)
    found, dump, brokers = profiled
    print(dump)

    skipped = ""
    reason = "skipped (--no-postgres)" if args.no_postgres else postgres_unavailable(args.postgres)
    if reason is None:
        with postgres_target(args.postgres) as pg:
            rates, _ = measure(pg, args.pg_calls, args.runs, profiled=False)
            for command, (ours, theirs) in rates.items():
                rows.append((pg.name, command, args.pg_calls, ours, theirs))
                print(f"{pg.name} {command}: {ours:.0f}/s vs {theirs:.0f}/s", flush=True)
    else:
        skipped = f"\nPostgreSQL was not measured: {reason}.\n"
        print(f"PostgreSQL skipped: {reason}")

    summary = profile_summary(found, args.calls, brokers)
    result = table(rows)
    print(result)
    print(summary)
    if args.no_doc:
        return
    body = f"""
Commands through `Caseload` against a raw `eventsourcing` application on the same kind of
store, measured in the same run. *Raw* loads an aggregate from the repository, calls one
`@event` method and saves it (for `assign`: two aggregates, one event each, one
`save(a, b)`), with the persistence settings and aggregate cache size the library uses,
but eventsourcing's own recorder: the hash chain's cost counts against `Caseload`.
Each rate is the median of {args.runs} runs of N calls, caseload and raw interleaved;
`record_contact` cycles over {CONTACT_CASES} warm trajectories, `assign` takes a fresh
trajectory every call and a new broker every {PER_BROKER}. The goal is caseload/raw ≥ 0.5.

Reproduce: `.venv/bin/python -m benchmarks.commands` (options: `--calls`, `--pg-calls`,
`--runs`, `--postgres URL`, `--no-postgres`).
Machine: {machine()}.
{skipped}
{result}

{summary}
"""
    write_section("Commands", body)


if __name__ == "__main__":
    main()

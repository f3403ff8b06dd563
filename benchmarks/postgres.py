"""Read models and commands on PostgreSQL: the rebuild against PostgreSQL's own floor, and
command throughput with 1, 2 and 4 writer processes.

Run: `.venv/bin/python -m benchmarks.postgres` (writes its section to docs/benchmarks.md;
options: `--size CITIZENS:BROKERS` (default 3500:130, about 100 k events), `--postgres URL`
(default postgresql://root@127.0.0.1:5432/test), `--writers 1,2,4`, `--calls` per writer).

In one run, each in a fresh schema dropped afterwards:

- the cached SQLite log (see `benchmarks.logs`) is copied into PostgreSQL; the floor is a
  server-side cursor's SELECT of every event row in log order plus an orjson decode of
  each; the rebuild is `app.projections.rebuild()` of every read model in a fresh process;
- writers: each process records contacts (`record_contact`) on cases of its own broker,
  all processes started together; the throughput is every command over the wall time from
  the first start to the last finish, against one writer's.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from uuid import UUID

import orjson
import psycopg
from psycopg import sql

from benchmarks import logs, worker
from benchmarks._report import load, machine, write_section
from benchmarks.commands import _cpr as cpr
from benchmarks.logs import KEY, generate
from caseload import Caseload, Channel, Role
from caseload.adapters.storage import parse_store_url, postgres_conninfo

POSTGRES = "postgresql://root@127.0.0.1:5432/test"
DAY = date(2024, 1, 1)
TODAY = date(2100, 1, 1)
CASES_PER_WRITER = 20
COLUMNS = {
    "rebuild": ("log", "events", "floor events/s", "rebuild events/s", "rebuild / floor"),
    "writers": ("writer processes", "commands", "commands/s", "against one writer"),
}
"""The columns of each table, by table (the smoke test checks them)."""


def _conninfo(url: str) -> str:
    return postgres_conninfo(parse_store_url(url).env)


@contextmanager
def fresh_schema(url: str, kind: str) -> Iterator[tuple[str, str]]:
    """A store URL in a new schema and the schema's name; the schema is dropped after."""
    schema = f"bench_{kind}_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}schema={schema}", schema
    finally:
        with psycopg.connect(_conninfo(url), autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            )


def unavailable(url: str) -> str | None:
    """Why PostgreSQL at `url` cannot be used, or None when it answers."""
    try:
        with psycopg.connect(_conninfo(url), connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return f"no PostgreSQL at {url}: {str(error).strip().splitlines()[0]}"
    return None


def events_table(url: str, schema: str) -> str:
    """The name of the events table in `schema`."""
    with psycopg.connect(_conninfo(url)) as connection:
        row = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
            " AND table_name LIKE %s",
            (schema, "%_events"),
        ).fetchone()
    assert row is not None, f"no events table in {schema}"
    return str(row[0])


def floor(url: str, schema: str) -> tuple[int, float]:
    """Events and seconds for a server-side SELECT of every row plus an orjson decode."""
    table = sql.Identifier(schema, events_table(url, schema))
    with psycopg.connect(_conninfo(url)) as connection:
        started = time.perf_counter()
        count = 0
        with connection.cursor(name="floor") as cursor:
            cursor.itersize = 5_000
            cursor.execute(
                sql.SQL(
                    "SELECT notification_id, originator_id, originator_version, topic, state"
                    " FROM {} ORDER BY notification_id"
                ).format(table)
            )
            for _position, _originator, _version, _topic, state in cursor:
                orjson.loads(state)
                count += 1
        return count, time.perf_counter() - started


def copy_log(source: Path, url: str) -> None:
    """The events of a SQLite log into the empty store at `url`."""
    with tempfile.TemporaryDirectory(prefix="caseload-pg-") as directory:
        copy = logs.working_copy(source, Path(directory), "log.db")
        with (
            Caseload(f"sqlite:///{copy}", clock=lambda: TODAY) as reader,
            Caseload(url, clock=lambda: TODAY) as target,
        ):
            logs.copy_events(reader, target, batch=10_000)


# ----------------------------------------------------------------------- writers


def _write(
    url: str, broker: UUID, cases: list[UUID], calls: int, start_at: float
) -> tuple[float, float]:
    """One writer process: `calls` contacts on its own cases, from the agreed moment."""
    with Caseload(url, pseudonym_key=KEY, clock=lambda: TODAY) as app:
        app.trajectory(cases[0])  # connected and warm before the clock starts
        while time.time() < start_at:
            time.sleep(0.001)
        started = time.time()
        for n in range(calls):
            app.record_contact(
                cases[n % len(cases)], on=DAY, roles={Role.COACH}, channel=Channel.PHONE, by=broker
            )
        return started, time.time()


def _prepare(url: str, writers: int) -> list[tuple[UUID, list[UUID]]]:
    """A broker with its own cases for each writer."""
    with Caseload(url, pseudonym_key=KEY, clock=lambda: TODAY) as app:
        found = []
        for w in range(writers):
            broker = app.register_broker(name=f"Writer {w}", team="Bench", fte=1.0, on=DAY)
            cases = []
            for c in range(CASES_PER_WRITER):
                case = app.open_trajectory(cpr=cpr(w * CASES_PER_WRITER + c), on=DAY)
                app.assign(case, broker, on=DAY)
                cases.append(case)
            found.append((broker, cases))
        return found


def writer_throughput(url: str, writers: int, calls: int) -> tuple[int, float]:
    """Commands and seconds for `writers` processes of `calls` contacts each, on a fresh
    schema."""
    with fresh_schema(url, "writers") as (store, _):
        plan = _prepare(store, writers)
        context = multiprocessing.get_context("spawn")
        start_at = time.time() + 3.0 + writers
        with context.Pool(writers) as pool:
            spans = pool.starmap(
                _write, [(store, broker, cases, calls, start_at) for broker, cases in plan]
            )
    seconds = max(end for _, end in spans) - min(start for start, _ in spans)
    return writers * calls, seconds


# ----------------------------------------------------------------------- report


def _table(name: str, rows: list[list[object]]) -> str:
    columns = COLUMNS[name]
    lines = ["| " + " | ".join(columns) + " |", "|---" + "|---:" * (len(columns) - 1) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    logs.add_log_options(parser, "3500:130")
    parser.add_argument("--postgres", default=POSTGRES, help="PostgreSQL URL (no schema)")
    parser.add_argument("--writers", default="1,2,4")
    parser.add_argument("--calls", type=int, default=300, help="contacts per writer")
    parser.add_argument("--doc", type=Path, default=None, help="write to this file instead")
    args = parser.parse_args(argv)
    reason = unavailable(args.postgres)
    if reason is not None:
        raise SystemExit(reason)
    size = logs.log_size(args)
    source = generate(size.citizens, size.brokers, size.months, size.seed, args.cache)
    with fresh_schema(args.postgres, "rebuild") as (store, schema):
        copy_log(source, store)
        events, floor_seconds = floor(args.postgres, schema)
        rebuilt = worker.run("rebuild", store)
    print(f"floor {floor_seconds:.1f} s, rebuild {rebuilt['seconds']:.1f} s", flush=True)
    rebuild_rows: list[list[object]] = [
        [
            f"{events / 1000:,.0f}k",
            f"{events:,}",
            f"{events / floor_seconds:,.0f}",
            f"{rebuilt['events'] / rebuilt['seconds']:,.0f}",
            f"{floor_seconds / rebuilt['seconds']:.3f}",
        ]
    ]
    writer_rows: list[list[object]] = []
    single = None
    for writers in (int(text) for text in args.writers.split(",")):
        commands, seconds = writer_throughput(args.postgres, writers, args.calls)
        rate = commands / seconds
        single = rate if single is None else single
        writer_rows.append([writers, f"{commands:,}", f"{rate:,.0f}", f"{rate / single:.2f}×"])
        print(f"{writers} writers: {rate:,.0f} commands/s", flush=True)
    reproduce = (
        f"`.venv/bin/python -m benchmarks.postgres --size {size.option} --months {size.months} "
        f"--seed {size.seed} --writers {args.writers} --calls {args.calls}`"
    )
    text = f"""
PostgreSQL at {args.postgres}, each measurement in a fresh schema (dropped afterwards).
The log: {size.label} (seed {size.seed}), {events:,} events copied from the cached SQLite
log. The floor is a server-side cursor's SELECT of every event row in log order plus an
orjson decode of each; the rebuild is `app.projections.rebuild()` of every read model in a
fresh process. Goal: the same rebuild / floor ratio as on SQLite (≥ 0.5).

Reproduce:
{reproduce}.
Machine: {machine()}; PostgreSQL on the same machine; load average at the end of the
run {load()} (1 / 5 / 15 minutes).

{_table("rebuild", rebuild_rows)}

Command throughput: each writer process records {args.calls} contacts on {CASES_PER_WRITER}
cases of its own broker (no two writers touch the same aggregate), all processes started
at the same moment; commands per second over the wall time from the first start to the
last finish, against one writer's rate in the same run. Every write takes PostgreSQL's
EXCLUSIVE lock on the events table (eventsourcing takes it so that notification ids follow
commit order, and the library writes each event's hash-chain link under it), so writers
queue for the log whatever aggregates they touch: more processes add throughput only as far
as their work outside that lock (loading, deciding, the round trips) runs in parallel, and
no further than the machine's cores.

{_table("writers", writer_rows)}
"""
    write_section("Read models and writers on PostgreSQL", text, doc=args.doc)
    print(text)


if __name__ == "__main__":
    main()

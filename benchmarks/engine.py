"""The read-model engine on one log: a full rebuild and a rebuild of one read model against
their peers, and a persisted catch-up of one event.

Run: `.venv/bin/python -m benchmarks.engine` (about a million events; `--citizens 3500
--brokers 130` for about 100k). It prints one table in Markdown; nothing is written.

In one run, on a copy of the cached log made by `benchmarks.rebuild`:

- the floor: a plain `sqlite3` SELECT of every event row plus an orjson decode of each;
- a full rebuild of every read model (`projections.rebuild()`), against the floor;
- a rebuild of the caseload read model alone (`projections.rebuild("caseload")`), against
  its peer: eventsourcing's recorder selecting the rows of the model's topics
  (`select_notifications(topics=...)`), its mapper decoding them, and the model's own
  handlers folding them into a state in memory (the digests are checked equal);
- catch-up of one new event with the states written (p50 and the largest of `--catch-ups`).
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import orjson

from benchmarks import logs
from benchmarks._report import machine
from benchmarks.logs import TODAY, generate
from caseload import Caseload, Channel, Role
from caseload.programmes import PROGRAMMES
from caseload.programmes.resource_pathway.read_models.caseload_counts import CaseloadCounts


def floor_seconds(path: Path) -> tuple[int, float]:
    """Events and seconds for a plain SELECT of every row plus an orjson decode of each."""
    connection = sqlite3.connect(path)
    started = time.perf_counter()
    count = 0
    for row in connection.execute(
        "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events"
        " ORDER BY rowid"
    ):
        orjson.loads(row[4])
        count += 1
    seconds = time.perf_counter() - started
    connection.close()
    return count, seconds


def peer_seconds(app: Caseload) -> tuple[float, str]:
    """Seconds and digest of the caseload model folded the plain eventsourcing way: the
    recorder selects the rows of its topics, the mapper decodes them."""
    model = CaseloadCounts()
    handled = tuple(model.handlers())
    topics = [
        topic
        for kind in PROGRAMMES
        for topic, cls in kind.event_topics().items()
        if issubclass(cls, handled)
    ]
    recorder, mapper = app.wiring.events.recorder, app.wiring.events.mapper
    gc.disable()
    started = time.perf_counter()
    state, start = model.initial(), 1
    while batch := recorder.select_notifications(start=start, limit=5_000, topics=topics):
        for notification in batch:
            model.apply(state, mapper.to_domain_event(notification))
        start = batch[-1].id + 1
    seconds = time.perf_counter() - started
    gc.enable()
    return seconds, model.digest(state)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=35_000)
    parser.add_argument("--brokers", type=int, default=1_300)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--catch-ups", type=int, default=30)
    parser.add_argument("--cache", type=Path, default=logs.CACHE)
    args = parser.parse_args()
    source = generate(args.citizens, args.brokers, args.months, args.seed, args.cache)
    work = Path(tempfile.mkdtemp(prefix="caseload-engine-")) / "log.db"
    shutil.copy(source, work)
    events, floor = floor_seconds(work)
    with Caseload(f"sqlite:///{work}", clock=lambda: TODAY) as app:
        started = time.perf_counter()
        app.projections.rebuild()
        full = time.perf_counter() - started
        started = time.perf_counter()
        one = app.projections.rebuild("caseload")
        alone = time.perf_counter() - started
        peer, peer_digest = peer_seconds(app)
        if dict(one.digests)["caseload"] != peer_digest:
            raise SystemExit("the caseload model rebuilt alone differs from its peer's fold")
        broker = app.caseload()[0].broker_id
        case = next(iter(app.broker(broker).active_cases))
        timings = []
        for _ in range(args.catch_ups):
            app.record_contact(case, on=TODAY, roles={Role.COACH}, channel=Channel.PHONE, by=broker)
            started = time.perf_counter()
            app.projections.catch_up(persist=True)
            timings.append(time.perf_counter() - started)
    shutil.rmtree(work.parent)
    print(f"{events:,} events; {machine()}\n")
    print("| measurement | seconds | ratio |")
    print("|---|---:|---|")
    print(f"| floor: SELECT + orjson | {floor:.1f} | baseline |")
    print(f"| full rebuild | {full:.1f} | {floor / full:.2f} × the floor's rate |")
    print(f"| peer: eventsourcing, caseload topics only | {peer:.1f} | baseline |")
    print(f"| rebuild of the caseload model | {alone:.1f} | {peer / alone:.2f} × the peer's rate |")
    print(
        f"| catch-up of one event, persisted: p50 / largest of {len(timings)} | "
        f"{statistics.median(timings) * 1e3:.0f} / {max(timings) * 1e3:.0f} ms | |"
    )


if __name__ == "__main__":
    main()

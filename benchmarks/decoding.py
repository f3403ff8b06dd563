"""What decoding stored rows into events costs: CPU microseconds per event for orjson alone
(the floor's decode) and for the log reader's decoder, over every row of a cached log.

Run: `.venv/bin/python -m benchmarks.decoding --size 35000:1300 --months 24 --seed 1`
(the decoding figures of "Measured since this run" in docs/benchmarks.md). The rows are
read into memory first, so only the decoding is timed; each pass decodes every row with a
fresh decoder (its caches of ids, dates and sets start empty), and the passes alternate so
that a busy machine weighs on both alike. `--against TREE` adds a row for the decoder of
another checkout of the library (a baseline worktree), loaded into the same process and
timed in the same alternation, which is steadier than two runs on a busy machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from benchmarks import logs
from benchmarks.logs import TODAY
from caseload import Caseload
from caseload.adapters.log import EventDecoder

__all__ = ["main", "passes"]


def _rows(path: Path) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events"
            " ORDER BY rowid"
        ).fetchall()
    finally:
        connection.close()


def decoder_of(tree: Path) -> Any:
    """The `EventDecoder` class of another checkout of the library, loaded from its source
    (the module that holds it there: the decoding module, or the log module before it)."""
    for name in ("event_decoding", "log"):
        source = tree / "src" / "caseload" / "adapters" / f"{name}.py"
        if source.exists() and "class EventDecoder" in source.read_text(encoding="utf-8"):
            spec = importlib.util.spec_from_file_location(f"_against_{name}", source)
            assert spec is not None
            assert spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module.EventDecoder
    raise SystemExit(f"no EventDecoder under {tree}/src/caseload/adapters")


def _decoding(rows: list[tuple[Any, ...]], decoder: Any) -> float:
    decode = decoder.decode
    cpu = time.process_time()
    for _position, originator_id, version, topic, state in rows:
        decode(originator_id, version, topic, state)
    return (time.process_time() - cpu) * 1e6 / len(rows)


def passes(path: Path, count: int, against: Path | None = None) -> dict[str, list[float]]:
    """CPU µs per event of each pass over every row, by what the pass does."""
    rows = _rows(path)
    with Caseload(f"sqlite:///{path}", clock=lambda: TODAY) as app:
        transcoder = app.wiring.events.mapper.transcoder
    found: dict[str, list[float]] = {"orjson.loads": [], "EventDecoder.decode": []}
    other = None if against is None else decoder_of(against)
    if against is not None:
        found[f"EventDecoder.decode of {against}"] = []
    for _ in range(count):
        cpu = time.process_time()
        for row in rows:
            orjson.loads(row[4])
        found["orjson.loads"].append((time.process_time() - cpu) * 1e6 / len(rows))
        found["EventDecoder.decode"].append(_decoding(rows, EventDecoder(transcoder)))  # type: ignore[arg-type]
        if other is not None:
            found[f"EventDecoder.decode of {against}"].append(_decoding(rows, other(transcoder)))
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    logs.add_log_options(parser)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument(
        "--against", type=Path, help="another checkout whose decoder alternates with this one"
    )
    args = parser.parse_args(argv)
    size = logs.log_size(args)
    source = logs.generate(size.citizens, size.brokers, size.months, size.seed, args.cache)
    with tempfile.TemporaryDirectory(prefix="caseload-decoding-") as directory:
        copy = logs.working_copy(source, Path(directory), "log.db")
        found = passes(copy, args.passes, args.against)
    print("| decoding | µs of CPU per event, each pass | least |")
    print("| --- | ---: | ---: |")
    for label, values in found.items():
        each = " / ".join(f"{value:.2f}" for value in values)
        print(f"| `{label}` | {each} | {min(values):.2f} |")


if __name__ == "__main__":
    main()

"""A full rebuild's CPU time, and the share of it spent encoding maps of entities, at this
tree and at a baseline tree, alternating in one run; with a fingerprint of everything the
rebuild stored (every checkpoint's and state's canonical text and digest), which must be
the same on both sides.

Run: `.venv/bin/python -m benchmarks.encoding --sizes 3500:130,35000:1300 --months 24
--seed 1 --baseline ../baseline-worktree --rounds 3` (the figures of "Encoding maps of
entities" in docs/benchmarks.md). Each rebuild runs in a fresh process on a fresh copy of
the cached log, with `PYTHONPATH` pointing at one tree's sources; the sides alternate,
the first side changing from round to round. `--persist-seconds 1e9` (the default here)
leaves the checkpoints as the only encodings but the last, so that both sides encode the
same number of times however loaded the machine is.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["compare", "main", "measure"]

ROOT = Path(__file__).resolve().parents[1]


def measure(log: Path, copy: Path, persist_seconds: float | None) -> dict[str, Any]:
    """A full rebuild of a copy of `log` in this process, with the caseload package found
    on `sys.path`: CPU seconds in all and inside `EntityMap.chunks`, peak resident memory,
    and the fingerprint of the stored checkpoints and states."""
    import datetime
    import hashlib
    import resource
    import shutil
    import sqlite3
    import time
    import zlib

    from caseload import Caseload
    from caseload.adapters.read_model_store import decompress
    from caseload.projections.entities import EntityMap
    from caseload.projections.settings import ProjectionSettings

    shutil.copy(log, copy)
    spent = [0.0, 0]
    original = EntityMap.chunks

    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return original(self, *args, **kwargs)
        finally:
            spent[0] += time.process_time() - started
            spent[1] += 1

    EntityMap.chunks = timed  # type: ignore[method-assign]
    settings = (
        None if persist_seconds is None else ProjectionSettings(persist_seconds=persist_seconds)
    )
    today = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    with Caseload(f"sqlite:///{copy}", clock=lambda: today, projection_settings=settings) as app:
        started = time.process_time()
        result = app.projections.rebuild()
        cpu = time.process_time() - started
    fingerprint = hashlib.sha256()
    with sqlite3.connect(copy) as db:
        for name, version, position, digest, state in db.execute(
            "SELECT name, version, position, digest, state FROM caseload_checkpoints"
            " ORDER BY name, version, position"
        ):
            fingerprint.update(repr((name, version, position, digest)).encode())
            fingerprint.update(hashlib.sha256(decompress(state)).digest())
        for name, version, position, digest, header in db.execute(
            "SELECT name, version, position, digest, header FROM caseload_read_model_states"
            " ORDER BY name, version"
        ):
            fingerprint.update(repr((name, version, position, digest)).encode())
            fingerprint.update(hashlib.sha256(zlib.decompress(header)).digest())
        for name, version, chunk, body, digest in db.execute(
            "SELECT name, version, chunk, body, digest FROM caseload_read_model_chunks"
            " ORDER BY name, version, chunk"
        ):
            fingerprint.update(repr((name, version, chunk)).encode() + digest)
            fingerprint.update(hashlib.sha256(zlib.decompress(body)).digest())
    copy.unlink()
    return {
        "events": result.events,
        "cpu": cpu,
        "encoding_cpu": spent[0],
        "encodings": spent[1],
        "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "fingerprint": fingerprint.hexdigest()[:16],
    }


def _run(tree: Path, log: Path, persist_seconds: float | None) -> dict[str, Any]:
    """`measure` in a fresh process on the sources of `tree`."""
    environment = dict(os.environ, PYTHONPATH=f"{tree / 'src'}{os.pathsep}{tree}")
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as directory:
        arguments = [
            sys.executable,
            __file__,
            "--measure",
            str(log),
            str(Path(directory) / "copy.db"),
        ]
        if persist_seconds is not None:
            arguments.append(str(persist_seconds))
        output = subprocess.run(
            arguments, cwd=tree, env=environment, capture_output=True, text=True, check=False
        )
    if output.returncode != 0:
        raise RuntimeError(f"rebuild at {tree} failed:\n{output.stderr[-4000:]}")
    return dict(json.loads(output.stdout.strip().splitlines()[-1]))


def compare(
    log: Path, trees: dict[str, Path], rounds: int, persist_seconds: float | None
) -> dict[str, list[dict[str, Any]]]:
    """`rounds` rebuilds of `log` on each tree, alternating (the first tree of a round
    changes from round to round)."""
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    names = list(trees)
    for round_number in range(rounds):
        for name in names if round_number % 2 == 0 else names[::-1]:
            run = _run(trees[name], log, persist_seconds)
            found[name].append(run)
            print(
                f"{log.name} {name} round {round_number + 1}: {run['cpu']:.2f} s CPU, "
                f"{run['encoding_cpu']:.2f} s encoding ({run['encodings']} encodings), "
                f"peak {run['peak_kib'] / 1024:.0f} MiB, fingerprint {run['fingerprint']}",
                file=sys.stderr,
                flush=True,
            )
    return found


def _table(results: dict[str, dict[str, list[dict[str, Any]]]]) -> str:
    """A Markdown table: per log and tree, the median CPU µs per event of the whole
    rebuild and of its encodings, each run's, peak memory, and whether the fingerprints
    of all runs of the log are one."""
    lines = [
        "| log | events | tree | rebuild µs/event (median) | each run | encoding µs/event"
        " (median) | peak RSS (median) | same stored bytes |",
        "| --- | ---: | --- | ---: | --- | ---: | ---: | --- |",
    ]
    for log, by_tree in results.items():
        prints = {run["fingerprint"] for runs in by_tree.values() for run in runs}
        for tree, runs in by_tree.items():
            events = runs[0]["events"]
            per_event = [1e6 * run["cpu"] / events for run in runs]
            encoding = [1e6 * run["encoding_cpu"] / events for run in runs]
            peak = statistics.median(run["peak_kib"] for run in runs) / 1024
            lines.append(
                f"| {log} | {events:,} | {tree} | {statistics.median(per_event):.2f} | "
                + " / ".join(f"{value:.2f}" for value in per_event)
                + f" | {statistics.median(encoding):.2f} | {peak:.0f} MiB | "
                + ("yes" if len(prints) == 1 else "NO")
                + " |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments and arguments[0] == "--measure":
        persist = float(arguments[3]) if len(arguments) > 3 else None
        print(json.dumps(measure(Path(arguments[1]), Path(arguments[2]), persist)))
        return
    from benchmarks import logs
    from benchmarks.logs import LogSize

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="3500:130,35000:1300", help="CITIZENS:BROKERS,...")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline", type=Path, required=True, help="a tree to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--persist-seconds", type=float, default=1e9, help="between writes (0: the default)"
    )
    parser.add_argument("--cache", type=Path, default=logs.CACHE)
    options = parser.parse_args(arguments)
    trees = {"baseline": options.baseline.resolve(), "this tree": ROOT}
    persist = options.persist_seconds or None
    results = {}
    for size in options.sizes.split(","):
        parsed = LogSize.parse(size, options.months, options.seed)
        log = logs.generate(
            parsed.citizens, parsed.brokers, parsed.months, parsed.seed, options.cache
        )
        results[parsed.option] = compare(log, trees, options.rounds, persist)
    print(_table(results))


if __name__ == "__main__":
    main()

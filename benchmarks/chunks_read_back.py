"""How often a full rebuild reads a chunk back from the store (a map of entities keeps
only the digest of a retired chunk a committed checkpoint holds), and why: to decode it
back (an entry joins or leaves it, a late fact, a walk) or to send it again in a write.

Run: `.venv/bin/python -m benchmarks.chunks_read_back --size 35000:1300 --months 24
--seed 1` (the figure in docs/benchmarks.md, "Retired chunks kept in the store only"),
on a fresh copy of a cached simulated log.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks import logs
from benchmarks.logs import TODAY
from caseload import Caseload
from caseload.adapters.read_model_sql import SQLProjectionStore

__all__ = ["main", "read_back"]


@contextmanager
def _counted(reads: Counter[str]) -> Iterator[None]:
    """Count each chunk read back from a SQL store by the function that asked for it."""
    original = SQLProjectionStore.checkpoint_chunk

    def counted(self: SQLProjectionStore, name: str, version: int, digest: bytes) -> bytes:
        reads[sys._getframe(1).f_code.co_name] += 1
        return original(self, name, version, digest)

    SQLProjectionStore.checkpoint_chunk = counted  # type: ignore[method-assign]
    try:
        yield
    finally:
        SQLProjectionStore.checkpoint_chunk = original  # type: ignore[method-assign]


def read_back(path: Path) -> tuple[int, Counter[str]]:
    """Rebuild every read model of the store at `path`; the events folded and the chunks
    read back from the store, by the function that read them (`_fetched`: to decode a
    chunk back; `_filled`: to send it again in a write)."""
    reads: Counter[str] = Counter()
    with Caseload(f"sqlite:///{path}", clock=lambda: TODAY) as app, _counted(reads):
        result: Any = app.projections.rebuild()
    return int(result.events), reads


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    logs.add_log_options(parser)
    args = parser.parse_args(argv)
    size = logs.log_size(args)
    source = logs.generate(size.citizens, size.brokers, size.months, size.seed, args.cache)
    with tempfile.TemporaryDirectory(prefix="caseload-read-back-") as directory:
        copy = logs.working_copy(source, Path(directory), "log.db")
        events, reads = read_back(copy)
    print(f"{size.label}, {events:,} events folded\n")
    print("| chunks read back from the store | count |")
    print("| --- | ---: |")
    print(f"| to decode a chunk back | {reads['_fetched']:,} |")
    print(f"| to send a chunk again in a write | {reads['_filled']:,} |")


if __name__ == "__main__":
    main()

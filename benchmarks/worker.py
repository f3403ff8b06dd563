"""Measurements that need a process of their own (so that memory and warm caches are
theirs alone), each printing one JSON line. The benchmarks start them with `run(...)`:

    python -m benchmarks.worker rebuild URL       full rebuild: seconds, events, peak memory
    python -m benchmarks.worker staged URL        full rebuild timed by stage
    python -m benchmarks.worker model URL NAME    the library's rebuild of one read model
    python -m benchmarks.worker peer URL NAME TOPIC...   eventsourcing's Projection peer
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.logs import ROOT, TODAY


def run(*arguments: str) -> dict[str, Any]:
    """Run one measurement in a fresh process and return what it reported."""
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.worker", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if output.returncode != 0:
        raise RuntimeError(f"benchmarks.worker {arguments[0]} failed:\n{output.stderr[-4000:]}")
    return dict(json.loads(output.stdout.strip().splitlines()[-1]))


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_kib() -> int:
    """Reset the process's peak resident size where Linux allows it, and return the
    resident size now. (A process started by a large parent may otherwise inherit the
    parent's peak, which hides its own.)"""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return _status_kib("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak_kib() -> int:
    """The peak resident size since the reset."""
    return _status_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def rebuild(url: str) -> dict[str, Any]:
    """A full rebuild of every read model: events, seconds and memory. First, as
    `caseload rebuild` does, the whole hash chain is checked and its head recorded (timed
    apart), so `status` on the rebuilt copy checks only what comes after it."""
    from caseload import Caseload
    from caseload.audit.anchor import check_and_anchor

    with Caseload(url, clock=lambda: TODAY) as app:
        chain_cpu = time.process_time()
        chain_started = time.perf_counter()
        check = check_and_anchor(app.wiring.chain(), app.wiring.read_models())
        chain_seconds = time.perf_counter() - chain_started
        chain_cpu = time.process_time() - chain_cpu
        assert check.ok, check.summary
        before = _reset_peak_kib()
        cpu = time.process_time()
        started = time.perf_counter()
        result = app.projections.rebuild()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        peak = _peak_kib()
    return {
        "events": result.events,
        "seconds": seconds,
        "cpu": cpu,
        "rss_before_kib": before,
        "rss_peak_kib": peak,
        "digests": dict(result.digests),
        "chain_seconds": chain_seconds,
        "chain_cpu": chain_cpu,
    }


def main(argv: list[str]) -> None:
    command, url, *rest = argv
    from caseload import Caseload

    if command == "rebuild":
        found = rebuild(url)
    elif command == "staged":
        from benchmarks.stages import staged_rebuild

        with Caseload(url, clock=lambda: TODAY) as app:
            found = staged_rebuild(app)
    elif command == "model":
        from benchmarks.peer import library_rebuild

        seconds, cpu, digest = library_rebuild(url, rest[0])
        found = {"seconds": seconds, "cpu": cpu, "digest": digest}
    elif command == "peer":
        from benchmarks.peer import peer_rebuild

        rows, seconds, cpu, digest = peer_rebuild(url, rest[0], tuple(rest[1:]))
        found = {"rows": rows, "seconds": seconds, "cpu": cpu, "digest": digest}
    else:
        raise SystemExit(f"unknown measurement {command!r}")
    print(json.dumps(found))


if __name__ == "__main__":
    main(sys.argv[1:])

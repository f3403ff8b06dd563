"""Where plain `caseload status` spends its CPU time: each step it takes, timed in a fresh
process on a copy of a store, then the whole command as a subprocess, in the same run.

Run: `.venv/bin/python -m benchmarks.status_steps --store PATH` (PATH a rebuilt store; it is
copied first and the copy is read; `--runs` processes, the median of each step printed as
the table of docs/benchmarks.md's "Where `caseload status` spends its time").
"""

import time

_STARTED = time.process_time()  # before any import: the interpreter's start-up is counted

# isort: split
import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

STEPS = (
    "starting Python, importing the library and the command line",
    "opening the store, checking the chain from the last rebuild's anchor",
    "loading the four states shown (headers; maps stay in their chunks)",
    "decoding the brokers (their series stay as stored)",
    "the caseload rows of the day",
    "reading the open trajectories of coverage (their JSON only)",
    "coverage per broker and colleague, counted as stored",
    "outcome totals (no trajectory decoded)",
    "reading the open trajectories of attention (their JSON only)",
    "the attention counts of the day, counted as stored",
    "printing the tables (to memory, 160 columns, as to a file)",
)
"""The steps, in the order `caseload status` takes them."""


def one_run(path: str) -> dict[str, float]:
    """The CPU seconds of each step of `caseload status --store PATH`, in this process."""
    spent: dict[str, float] = {}
    mark = [time.process_time()]
    spent[STEPS[0]] = mark[0] - _STARTED

    import caseload.cli  # the command line, every command registered

    now = time.process_time()
    spent[STEPS[0]] += now - mark[0]
    mark[0] = now

    def step(name: str, action: Callable[[], Any]) -> Any:
        result = action()
        now = time.process_time()
        spent[name] = now - mark[0]
        mark[0] = now
        return result

    from io import StringIO

    from rich.console import Console

    from caseload.application.caseload import Caseload
    from caseload.cli.checks import check_log
    from caseload.cli.render import StatusData, print_status
    from caseload.programmes.resource_pathway.read_models.attention import AttentionModel
    from caseload.programmes.resource_pathway.read_models.attention_counts import attention_counts
    from caseload.programmes.resource_pathway.read_models.caseload_counts import (
        CaseloadCounts,
        caseload_rows,
    )
    from caseload.programmes.resource_pathway.read_models.coverage_reports import (
        coverage_summary,
    )
    from caseload.programmes.resource_pathway.read_models.outcomes import (
        OutcomesModel,
        outcome_totals,
    )
    from caseload.programmes.resource_pathway.read_models.role_coverage import RoleCoverageModel
    from caseload.projections.stored_entries import unread_entries

    # The command reads and prints with the cyclic collector paused (`_collector_paused`
    # of caseload.cli.programme), and so do these steps.
    gc.disable()
    mark[0] = time.process_time()  # the names above are imported already: no cost
    app = Caseload.open_readonly(path)
    with app:
        step(STEPS[1], lambda: check_log(app, unverified=False, from_anchor=True))
        states = step(
            STEPS[2],
            lambda: app.read_models(
                CaseloadCounts, RoleCoverageModel, OutcomesModel, AttentionModel
            ),
        )
        on = app.today()
        caseload = states[CaseloadCounts]
        step(STEPS[3], lambda: len(caseload.brokers))
        rows = step(STEPS[4], lambda: caseload_rows(caseload, on))
        coverage = states[RoleCoverageModel]
        step(STEPS[5], lambda: unread_entries(coverage.trajectories))
        summary = step(STEPS[6], lambda: coverage_summary(coverage))
        placements, closures = step(STEPS[7], lambda: outcome_totals(states[OutcomesModel], on))
        attention = states[AttentionModel]
        step(STEPS[8], lambda: unread_entries(attention.trajectories))
        report = step(STEPS[9], lambda: attention_counts(attention, on))
        data = StatusData(
            store=app.store,
            as_true_on=on,
            as_known_at=None,
            caseload=rows,
            coverage=summary,
            placements=placements,
            closures=closures,
            attention=report,
        )
    step(STEPS[10], lambda: print_status(Console(file=StringIO(), width=160), data))
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="a rebuilt SQLite store")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one:
        print(json.dumps(one_run(str(arguments.store))))
        return

    from benchmarks.latency import command_seconds
    from benchmarks.logs import KEY

    with tempfile.TemporaryDirectory() as directory:
        copy = Path(directory) / "status.db"
        shutil.copyfile(arguments.store, copy)
        env = {**os.environ, "CASELOAD_PSEUDONYM_KEY": KEY}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        runs: list[dict[str, float]] = []
        for _ in range(arguments.runs):
            found = subprocess.run(
                [sys.executable, "-m", "benchmarks.status_steps", "--one", "--store", str(copy)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(found.stdout))
        wall, cpu = command_seconds(copy, [], arguments.runs)
    print("| step | CPU seconds (median) | range |\n|---|---:|---:|")
    for name in STEPS:
        values = [run[name] for run in runs]
        low, high = min(values), max(values)
        print(f"| {name} | {statistics.median(values):.3f} | {low:.3f}–{high:.3f} |")
    total = statistics.median(sum(run.values()) for run in runs)
    print(f"| the steps together | {total:.3f} | |")
    command = f"`caseload status` as a subprocess, median of {arguments.runs}"
    print(f"\n{command}: {wall:.2f} s, {cpu:.2f} s CPU")


if __name__ == "__main__":
    main()

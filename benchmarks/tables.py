"""Printing the two long tables of `caseload status` (caseload and four-role coverage per
broker) with rich's `Table` and as plain tables, in the same run.

Run: `.venv/bin/python -m benchmarks.tables` (writes its table to docs/benchmarks.md).

The tables have a row per broker: 1,300 brokers by default, as in the 1,145k-event log of
35,000 citizens, with Danish names, part-time posts, one broker in ten over the limit in
force (a red row in a terminal) and one in twenty gone, and 40 colleagues below them in
the coverage table. With `--store PATH` they are read instead from a copy of a store, as
`caseload status` reads them, and the table goes to a section of its own. Each table is
printed into memory on a console like the command's `out` writing to a file or pipe (160
wide, no styles) and on a colour terminal of the same width; rich's bytes and the plain
table's must be the same, and the ratios of wall time and of CPU time compare the two
renderers measured side by side.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from uuid import UUID

from rich.console import Console

from benchmarks._report import DOC, load, machine, write_section
from caseload import Caseload
from caseload.cli.render import caseload_table, coverage_table
from caseload.cli.tables import PlainTable, print_table
from caseload.programmes.resource_pathway.domain.values import Role
from caseload.programmes.resource_pathway.read_models.caseload_counts import (
    CaseloadCounts,
    CaseloadRow,
    caseload_rows,
)
from caseload.programmes.resource_pathway.read_models.coverage_reports import coverage_summary
from caseload.programmes.resource_pathway.read_models.role_coverage import (
    BrokerCoverage,
    ColleagueCoverage,
    RoleCoverage,
    RoleCoverageModel,
)

FIRST = ["Søren", "Åse", "Mette", "Jørgen", "Birthe", "Ænne", "Ole", "Kirsten", "Niels", "Anne"]
LAST = ["Ærøskøbing", "Østergård", "Nielsen", "Bæk", "Sørensen", "Hansen", "Møller", "Lund"]
DAY = date(2025, 1, 17)
COLUMNS = (
    "table",
    "rows",
    "console",
    "rich: wall / CPU",
    "plain: wall / CPU",
    "rich / plain, wall",
    "rich / plain, CPU",
    "same bytes",
)


def invented(
    brokers: int, colleagues: int, seed: int
) -> tuple[tuple[CaseloadRow, ...], RoleCoverage]:
    """The caseload and coverage of `brokers` invented brokers and `colleagues` colleagues."""
    chance = random.Random(seed)
    roles = list(Role)
    rows = []
    for number in range(brokers):
        fte = Decimal(chance.choice(["1.00", "1.00", "0.80", "0.50", "0.37"]))
        limit = int(30 * fte)
        active = chance.randint(0, limit + (3 if chance.random() < 0.1 else 0))
        rows.append(
            CaseloadRow(
                broker_id=UUID(int=number),
                name=f"{chance.choice(FIRST)} {chance.choice(LAST)} {number + 1}",
                team=f"Jobcenter {chance.choice(LAST)}",
                fte=fte,
                active_cases=active,
                limit=limit,
                utilisation=active / limit if limit else 0.0,
                policy="default",
                left_on=DAY - timedelta(days=number % 300) if number % 20 == 7 else None,
            )
        )
    coverage = RoleCoverage(
        trajectories=(),
        brokers=tuple(
            BrokerCoverage(
                broker_id=row.broker_id,
                name=row.name,
                roles_covered=frozenset(chance.sample(roles, chance.randint(0, len(roles)))),
                active_cases=row.active_cases,
                cases_with_all_four_by_broker=chance.randint(0, row.active_cases),
            )
            for row in rows
        ),
        active_cases=sum(row.active_cases for row in rows),
        share_all_four=0.5,
        share_all_four_by_assigned_broker=0.25,
        colleagues=tuple(
            ColleagueCoverage(
                colleague_id=UUID(int=1_000_000 + number),
                name=f"{chance.choice(FIRST)} {chance.choice(LAST)}",
                roles_covered=frozenset(chance.sample(roles, chance.randint(0, len(roles)))),
                active_cases_with_contact=chance.randint(0, 300),
            )
            for number in range(colleagues)
        ),
    )
    return tuple(rows), coverage


def from_store(path: Path) -> tuple[tuple[CaseloadRow, ...], RoleCoverage]:
    """The caseload and coverage `caseload status` shows for a copy of the store at `path`
    (the file itself is never opened)."""
    with tempfile.TemporaryDirectory(prefix="caseload-tables-") as scratch:
        copy = Path(scratch) / path.name
        shutil.copy(path, copy)
        with Caseload.open_readonly(f"sqlite:///{copy}") as app:
            on = app.today()
            states = app.read_models(CaseloadCounts, RoleCoverageModel)
            return (
                caseload_rows(states[CaseloadCounts], on),
                coverage_summary(states[RoleCoverageModel]),
            )


def console(terminal: bool) -> Console:
    """A console writing into memory: a file or pipe as `caseload.cli.app.out` sets it up
    (160 wide, no styles), or a colour terminal of the same width."""
    return Console(
        file=StringIO(),
        width=160,
        force_terminal=terminal,
        color_system="truecolor" if terminal else None,
    )


def measured(
    print_it: Callable[[Console], None], terminal: bool, repeat: int
) -> tuple[float, float, str]:
    """Median wall and CPU seconds of `print_it` on a fresh console, and what it wrote."""
    walls, cpus, written = [], [], ""
    for _ in range(repeat):
        target = console(terminal)
        cpu = time.process_time()
        started = time.perf_counter()
        print_it(target)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        output = target.file
        assert isinstance(output, StringIO)
        written = output.getvalue()
    return statistics.median(walls), statistics.median(cpus), written


def compare(name: str, table: PlainTable, repeat: int) -> list[list[str]]:
    """One line per console: rich's time, the plain table's, their ratios."""
    lines = []
    rich_table = table.to_rich()
    for terminal in (False, True):
        rich_wall, rich_cpu, rich_bytes = measured(
            lambda target: target.print(rich_table), terminal, repeat
        )
        plain_wall, plain_cpu, plain_bytes = measured(
            lambda target: print_table(target, table), terminal, repeat
        )
        same = rich_bytes == plain_bytes
        if not same:
            raise SystemExit(f"{name}: the plain table's bytes differ from rich's")
        lines.append(
            [
                name,
                f"{len(table.rows):,}",
                "terminal (ANSI)" if terminal else "file or pipe",
                f"{rich_wall * 1000:,.0f} / {rich_cpu * 1000:,.0f} ms",
                f"{plain_wall * 1000:,.1f} / {plain_cpu * 1000:,.1f} ms",
                f"{rich_wall / plain_wall:,.0f}×",
                f"{rich_cpu / plain_cpu:,.0f}×",
                "yes" if same else "no",
            ]
        )
        print(" | ".join(lines[-1]), flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brokers", type=int, default=1300, help="invented brokers")
    parser.add_argument("--colleagues", type=int, default=40, help="invented colleagues")
    parser.add_argument("--store", type=Path, help="read the tables from a copy of this store")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--doc", type=Path, default=DOC, help="the document to write")
    args = parser.parse_args()
    if args.store is None:
        rows, coverage = invented(args.brokers, args.colleagues, args.seed)
        source = (
            f"{args.brokers:,} invented brokers and {args.colleagues} colleagues (seed {args.seed})"
        )
        command = (
            f"`.venv/bin/python -m benchmarks.tables --brokers {args.brokers} "
            f"--colleagues {args.colleagues} --seed {args.seed} --repeat {args.repeat}`"
        )
    else:
        rows, coverage = from_store(args.store)
        source = (
            f"the store {args.store.name} (read from a copy as `caseload status` reads it: "
            f"{len(rows):,} brokers, {len(coverage.colleagues)} colleagues)"
        )
        command = f"`.venv/bin/python -m benchmarks.tables --store PATH --repeat {args.repeat}`"
    lines = compare("caseload", caseload_table(rows, f"Caseload on {DAY}"), args.repeat)
    lines += compare("four-role coverage", coverage_table(coverage), args.repeat)
    header = "| " + " | ".join(COLUMNS) + " |\n|---|---:|---|" + "---:|" * 4 + "---|\n"
    body = "".join("| " + " | ".join(line) + " |\n" for line in lines)
    write_section(
        "Printing tables" if args.store is None else "Printing tables of a store",
        f"""The two long tables of `caseload status` (caseload and four-role coverage per
broker), each printed into memory by rich's `Table` and as a plain table
(`caseload.cli.tables`), side by side in one run; median of {args.repeat} prints each.
Tables of {source}.
Both renderers must write the same bytes (checked in the run), on a console like the
command's output to a file or pipe (160 wide, no styles) and on a colour terminal of the
same width (bold header, italic title, red rows over the limit). CPU time is the
process's own (`time.process_time`), which other work on a shared machine disturbs less
than the wall time.

Reproduce: {command}.
Machine: {machine()}; load average at the end of the run {load()} (1 / 5 / 15 minutes).

{header}{body}""",
        args.doc,
    )


if __name__ == "__main__":
    main()

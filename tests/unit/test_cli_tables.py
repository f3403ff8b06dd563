"""The command's long tables (caseload, coverage, attention, the daily series) print the
bytes they printed when rich's `Table` laid them out, on a simulated programme and on a
large staff of brokers with Danish names, some over their limit and some gone, in a
terminal and to a file or pipe."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from io import StringIO

import pytest
from benchmarks.tables import DAY, invented
from rich.console import Console
from rich.segment import Segment
from rich.table import Table

from caseload import Caseload
from caseload.cli import render
from caseload.cli.tables import PlainTable, print_table
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from tests.unit import _rich_tables as before
from tests.unit._support import new_app


def consoles() -> Iterator[Console]:
    """A file or pipe as the command's `out` is set up (160 wide, no styles), and
    terminals of two widths and colour systems."""
    yield Console(file=StringIO(), width=160)
    yield Console(file=StringIO(), width=120, force_terminal=True, color_system="truecolor")
    yield Console(file=StringIO(), width=80, force_terminal=True, color_system="standard")


def written(console: Console, print_it: Callable[[Console], None]) -> str:
    """What `print_it` writes on a fresh console like `console`."""
    fresh = Console(
        file=StringIO(),
        width=console.width,
        force_terminal=console.is_terminal,
        color_system=console.color_system,  # type: ignore[arg-type]
    )
    print_it(fresh)
    output = fresh.file
    assert isinstance(output, StringIO)
    return output.getvalue()


def assert_same_bytes(old: Table, new: PlainTable) -> None:
    """On every console the plain table writes what rich's table wrote; on the widest,
    it is laid out directly (the test would prove nothing if it fell back to rich)."""
    for console in consoles():
        expected = written(console, lambda c: c.print(old))
        assert written(console, lambda c: print_table(c, new)) == expected
        assert written(console, lambda c: c.print(new)) == expected
    wide = Console(file=StringIO(), width=160)
    assert all(isinstance(part, Segment) for part in new.__rich_console__(wide, wide.options))


@pytest.fixture(scope="module")
def simulated() -> Iterator[Caseload]:
    """A small simulated programme (three brokers, forty citizens, three months)."""
    with new_app() as app:
        simulate(app, SimulationConfig(brokers=3, citizens=40, months=3))
        yield app


def test_the_caseload_table_of_a_simulated_programme(simulated: Caseload) -> None:
    """The caseload per broker of a simulated programme."""
    rows = simulated.caseload()
    assert rows
    title = "Caseload on 2024-03-31 as known at 2024-04-01T00:00:00"
    assert_same_bytes(before.caseload_table(rows, title), render.caseload_table(rows, title))


def test_the_caseload_table_of_many_brokers() -> None:
    """A hundred and fifty brokers, some over their limit (a red row) and some gone."""
    rows, _ = invented(brokers=150, colleagues=0, seed=7)
    assert any(row.active_cases > row.limit for row in rows)
    assert any(row.left_on for row in rows)
    title = f"Caseload on {DAY}"
    assert_same_bytes(before.caseload_table(rows, title), render.caseload_table(rows, title))


def test_the_coverage_table_of_a_simulated_programme(simulated: Caseload) -> None:
    """The four-role coverage per broker and colleague of a simulated programme."""
    coverage = simulated.role_coverage()
    assert coverage.brokers
    assert coverage.colleagues
    assert_same_bytes(before.coverage_table(coverage), render.coverage_table(coverage))


def test_the_coverage_table_of_many_brokers() -> None:
    """A hundred and fifty brokers, some without an active case (– marks), and colleagues."""
    _, coverage = invented(brokers=150, colleagues=30, seed=3)
    assert any(not broker.active_cases for broker in coverage.brokers)
    assert coverage.colleagues
    assert_same_bytes(before.coverage_table(coverage), render.coverage_table(coverage))


def test_the_attention_table_of_a_simulated_programme(simulated: Caseload) -> None:
    """The attention list's counts per reason of a simulated programme."""
    report = simulated.attention_list()
    assert any(count for _, count in report.counts)
    assert_same_bytes(before.attention_table(report), render.attention_table(report))


def test_the_daily_series_of_a_simulated_programme(simulated: Caseload) -> None:
    """The daily caseload per broker (`status --series`) of a simulated programme: a row
    per broker and day."""
    rows = simulated.caseload_series(first_day=date(2024, 2, 1), last_day=date(2024, 2, 29))
    assert len(rows) > 50
    assert_same_bytes(before.series_table(rows), render.series_table(rows))

"""The benchmark harness at a tiny size, as CI runs it: every table is written with its
columns, the other sections of the document stay as they were, and the peer's state
equals the library's. No timing is judged here; the figures come from the documented
commands at full size."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks import postgres, rebuild_report
from benchmarks import tables as tables_benchmark

ROOT = Path(__file__).resolve().parents[2]
OTHER = "## Simulation\n\nA section another benchmark writes; it must stay as it is.\n"


def run_benchmark(module: str, *arguments: str) -> str:
    env = {key: value for key, value in os.environ.items() if key != "CASELOAD_STORE"}
    return subprocess.run(
        [sys.executable, "-m", module, *arguments],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=900,
        capture_output=True,
        text=True,
    ).stdout


def section(doc: Path, name: str) -> str:
    text = doc.read_text(encoding="utf-8")
    found = re.search(rf"^## {re.escape(name)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert found is not None, f"no section {name!r} in {text[:500]}"
    return found.group(1)


def tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """Each markdown table of `text`: its header cells and its body rows' cells."""
    found = []
    for block in re.findall(r"(?:^\|.*\|\n)+", text, re.M):
        lines = block.strip().splitlines()
        cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
        found.append((cells[0], cells[2:]))
    return found


def table_with(text: str, columns: tuple[str, ...]) -> list[list[str]]:
    for header, rows in tables(text):
        if tuple(header) == columns:
            return rows
    raise AssertionError(f"no table with columns {columns}")


@pytest.mark.slow
def test_the_rebuild_benchmark_writes_every_table(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n" + OTHER, encoding="utf-8")
    run_benchmark(
        "benchmarks.rebuild",
        "--sizes=40:3,70:4",
        "--months=3",
        "--catch-ups=4",
        f"--cache={tmp_path / 'cache'}",
        f"--doc={doc}",
    )
    assert OTHER in doc.read_text(encoding="utf-8")
    text = section(doc, "Rebuilding read models")
    assert "--sizes 40:3,70:4 --months 3" in text
    rebuilt = table_with(text, rebuild_report.COLUMNS["rebuild"])
    assert len(rebuilt) == 2
    model = table_with(text, rebuild_report.COLUMNS["model"])
    assert [row[-1] for row in model] == ["yes", "yes"]
    commands = table_with(text, rebuild_report.COLUMNS["commands"])
    assert {row[1] for row in commands} >= {
        "`caseload status`",
        "`caseload status --as-known-at T`",
    }
    assert any("--as-true-on" in row[1] for row in commands)
    catch_up = table_with(text, rebuild_report.COLUMNS["catch-up"])
    assert sorted(row[1] for row in catch_up) == [
        "in memory",
        "in memory",
        "persisted",
        "persisted",
    ]
    assert "### Where a rebuild's time goes" in text
    assert "### 10 M events" in text


@pytest.mark.slow
def test_the_simulation_benchmark_writes_its_table(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    other = "## Loading an aggregate\n\nA section another benchmark writes.\n"
    doc.write_text("# Benchmarks\n\n" + other, encoding="utf-8")
    run_benchmark(
        "benchmarks.simulation",
        "--citizens=30",
        "--brokers=3",
        "--months=2",
        "--compare-citizens=20",
        "--compare-brokers=2",
        "--compare-months=2",
        f"--doc={doc}",
    )
    assert other in doc.read_text(encoding="utf-8")
    text = section(doc, "Simulation")
    rows = [
        row
        for header, rows in tables(text)
        if header[:3] == ["run", "size", "path"]
        for row in rows
    ]
    assert [row[2] for row in rows] == [
        "one write per command",
        "bulk (one transaction per batch)",
        "bulk (one transaction per batch)",
    ]
    # Both paths of the comparison simulate the same programme: the same events.
    assert rows[0][3] == rows[1][3]


@pytest.mark.slow
def test_the_catch_up_benchmark_writes_its_table(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n" + OTHER, encoding="utf-8")
    run_benchmark(
        "benchmarks.catch_up",
        "--sizes=40:3",
        "--months=3",
        "--count=3",
        f"--cache={tmp_path / 'cache'}",
        f"--doc={doc}",
    )
    assert OTHER in doc.read_text(encoding="utf-8")
    text = section(doc, "Catch-up of one new event, states written")
    assert "--sizes 40:3 --months 3 --seed 1 --count 3" in text
    rows = table_with(
        text,
        ("log", "persisted catch-up of one event", "p50", "p99", "CPU p50", "CPU p99", "goal"),
    )
    assert [row[1] for row in rows] == [
        "states in memory (3 times)",
        "first after loading (3 times)",
    ]


@pytest.mark.slow
def test_the_tables_benchmark_writes_its_table(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n" + OTHER, encoding="utf-8")
    run_benchmark(
        "benchmarks.tables", "--brokers=30", "--colleagues=3", "--repeat=1", f"--doc={doc}"
    )
    assert OTHER in doc.read_text(encoding="utf-8")
    text = section(doc, "Printing tables")
    assert "--brokers 30 --colleagues 3 --seed 1 --repeat 1" in text
    rows = table_with(text, tables_benchmark.COLUMNS)
    assert [(row[0], row[1], row[2]) for row in rows] == [
        ("caseload", "30", "file or pipe"),
        ("caseload", "30", "terminal (ANSI)"),
        ("four-role coverage", "33", "file or pipe"),
        ("four-role coverage", "33", "terminal (ANSI)"),
    ]
    assert {row[-1] for row in rows} == {"yes"}


@pytest.mark.slow
def test_the_engine_benchmark_prints_its_table(tmp_path: Path) -> None:
    printed = run_benchmark(
        "benchmarks.engine",
        "--citizens=40",
        "--brokers=3",
        "--months=3",
        "--catch-ups=3",
        f"--cache={tmp_path / 'cache'}",
    )
    rows = table_with(printed, ("measurement", "seconds", "ratio"))
    assert [row[0] for row in rows] == [
        "floor: SELECT + orjson",
        "full rebuild",
        "peer: eventsourcing, caseload topics only",
        "rebuild of the caseload model",
        "catch-up of one event, persisted: p50 / largest of 3",
    ]


@pytest.mark.slow
@pytest.mark.postgres
def test_the_postgres_benchmark_writes_both_tables(
    tmp_path: Path, postgres_available: None
) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n" + OTHER, encoding="utf-8")
    run_benchmark(
        "benchmarks.postgres",
        "--size=40:3",
        "--months=3",
        "--writers=1,2",
        "--calls=10",
        f"--cache={tmp_path / 'cache'}",
        f"--doc={doc}",
    )
    assert OTHER in doc.read_text(encoding="utf-8")
    text = section(doc, "Read models and writers on PostgreSQL")
    assert len(table_with(text, postgres.COLUMNS["rebuild"])) == 1
    writers = table_with(text, postgres.COLUMNS["writers"])
    assert [row[0] for row in writers] == ["1", "2"]
    assert [row[1] for row in writers] == ["10", "20"]


@pytest.mark.slow
def test_the_cost_curve_benchmark_prints_every_stretch(tmp_path: Path) -> None:
    """Every stretch of the log gets a row with a cost, and the stretches cover the log;
    with floor passes, the rebuild against the floor and the memory per trajectory."""
    out = run_benchmark(
        "benchmarks.curve",
        "--size=40:3",
        "--months=3",
        "--every=200",
        "--batch=50",
        "--floor-passes=2",
        f"--cache={tmp_path / 'cache'}",
    )
    rows = table_with(out, ("positions", "µs of CPU per event"))
    assert len(rows) >= 2
    starts = [int(first.replace(",", "")) for first, _ in (row[0].split("–") for row in rows)]
    assert starts[0] == 0
    assert all(float(row[1]) > 0 for row in rows)
    ratio = re.search(r"rebuild / floor by CPU time: (\d+\.\d+)", out)
    assert ratio is not None, out
    assert float(ratio.group(1)) > 0
    assert "(2 passes)" in out
    assert re.search(r"B per trajectory \(\d+ trajectories\)", out), out


@pytest.mark.slow
def test_the_checkpoint_spacing_benchmark_thins_the_checkpoints(tmp_path: Path) -> None:
    """Each spacing gets a row per as-of command, with the checkpoints it leaves: fewer
    as the spacing widens, each one a position of its schedule."""
    from caseload.projections.checkpointing import CheckpointSchedule

    out = run_benchmark(
        "benchmarks.checkpoint_spacing",
        "--size=40:3",
        "--months=3",
        "--checkpoint-every=20",
        "--per-doubling=0,2,1",
        "--runs=1",
        f"--cache={tmp_path / 'cache'}",
    )
    rows = table_with(out, ("checkpoints per doubling", "checkpoints at", "command", "CPU seconds"))
    assert [row[0] for row in rows] == ["0", "0", "2", "2", "1", "1"]
    kept = [[int(p.replace(",", "")) for p in row[1].split(", ")] for row in rows[::2]]
    assert len(kept[0]) > len(kept[1]) > len(kept[2])
    for per_doubling, positions in zip((0, 2, 1), kept, strict=True):
        schedule = CheckpointSchedule(20, per_doubling)
        assert positions == list(schedule.between(1, positions[-1]))
    assert all(float(row[3]) > 0 for row in rows)


@pytest.mark.slow
def test_the_status_steps_benchmark_prints_every_step(tmp_path: Path) -> None:
    """On a small rebuilt store: a row per step of `caseload status`, each a CPU time, and
    the whole command's figure."""
    from benchmarks.status_steps import STEPS

    from tests.e2e._cli import simulated_store

    store = simulated_store(tmp_path, rebuild=True)
    printed = run_benchmark("benchmarks.status_steps", f"--store={store}", "--runs=1")
    rows = table_with(printed, ("step", "CPU seconds (median)", "range"))
    assert [row[0] for row in rows] == [*STEPS, "the steps together"]
    assert all(float(row[1]) >= 0 for row in rows)
    assert "`caseload status` as a subprocess, median of 1:" in printed


@pytest.mark.slow
@pytest.mark.parametrize("against", [False, True], ids=["alone", "against-a-checkout"])
def test_the_decoding_benchmark_prints_a_cost_per_pass(tmp_path: Path, against: bool) -> None:
    """orjson alone and the log reader's decoder each get a row, with one cost per pass;
    `--against TREE` adds a row for that checkout's decoder, timed beside this one's."""
    out = run_benchmark(
        "benchmarks.decoding",
        "--size=40:3",
        "--months=3",
        "--passes=2",
        f"--cache={tmp_path / 'cache'}",
        *([f"--against={ROOT}"] if against else []),
    )
    rows = table_with(out, ("decoding", "µs of CPU per event, each pass", "least"))
    expected = ["`orjson.loads`", "`EventDecoder.decode`"]
    if against:
        expected.append(f"`EventDecoder.decode of {ROOT}`")
    assert [row[0] for row in rows] == expected
    for row in rows:
        each = [float(value) for value in row[1].split(" / ")]
        assert len(each) == 2
        assert all(value > 0 for value in each)
        assert float(row[2]) == min(each)


@pytest.mark.slow
def test_the_bulk_writes_benchmark_writes_its_table(tmp_path: Path) -> None:
    """Both ways of writing write the same rows, part by part, up to the log's end."""
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n" + OTHER, encoding="utf-8")
    run_benchmark(
        "benchmarks.bulk_writes",
        "--size=40:3",
        "--months=3",
        "--events=100000",
        "--parts=2",
        f"--cache={tmp_path / 'cache'}",
        f"--doc={doc}",
    )
    text = doc.read_text(encoding="utf-8")
    assert OTHER in text
    rows = [
        row
        for header, rows in tables(section(doc, "Bulk writes as the log grows"))
        if header[:2] == ["writes", "events written so far"]
        for row in rows
    ]
    assert len(rows) == 4
    assert rows[0][0] != rows[2][0]  # the two ways, each in its own rows
    halves = [int(row[1].replace(",", "")) for row in rows]
    assert halves[:2] == halves[2:]
    assert 0 < halves[0] < halves[1] < 100_000


@pytest.mark.slow
def test_the_encoding_benchmark_compares_two_trees_by_what_they_stored(tmp_path: Path) -> None:
    """Against itself as the baseline: a row per log and tree, each with a CPU time per
    event for the rebuild and its encodings, and every run storing the same bytes."""
    out = run_benchmark(
        "benchmarks.encoding",
        "--sizes=40:3,70:4",
        "--months=3",
        f"--baseline={ROOT}",
        "--rounds=1",
        f"--cache={tmp_path / 'cache'}",
    )
    columns = (
        "log",
        "events",
        "tree",
        "rebuild µs/event (median)",
        "each run",
        "encoding µs/event (median)",
        "peak RSS (median)",
        "same stored bytes",
    )
    rows = table_with(out, columns)
    assert [(row[0], row[2]) for row in rows] == [
        ("40:3", "baseline"),
        ("40:3", "this tree"),
        ("70:4", "baseline"),
        ("70:4", "this tree"),
    ]
    assert all(float(row[3]) > 0 and float(row[5]) > 0 for row in rows)
    assert all(row[7] == "yes" for row in rows)


@pytest.mark.slow
def test_the_checkpoint_store_benchmark_compares_two_trees(tmp_path: Path) -> None:
    """Against itself as the baseline: a row per measure with both medians and their
    ratio, and the two trees giving the same digests."""
    out = run_benchmark(
        "benchmarks.checkpoint_store",
        "--size=40:3",
        "--months=3",
        f"--baseline={ROOT}",
        "--rounds=1",
        f"--cache={tmp_path / 'cache'}",
    )
    assert "same digests: yes" in out
    rows = {
        row[0]: row[1:] for row in table_with(out, ("measure", "before", "after", "after / before"))
    }
    assert list(rows) == [
        "rebuild CPU s",
        "peak B per trajectory",
        "store MB",
        "checkpoint tables MB",
        "as-true-on status CPU s",
        "as-known-at status CPU s",
    ]
    for measure in ("rebuild CPU s", "store MB", "as-true-on status CPU s"):
        before, after = (float(value.replace(",", "")) for value in rows[measure][:2])
        assert before > 0, (measure, rows[measure])
        assert after > 0, (measure, rows[measure])


@pytest.mark.slow
def test_the_status_against_benchmark_compares_two_trees_command_by_command(
    tmp_path: Path,
) -> None:
    """Against itself as the baseline: a row per status command (plain, JSON, as true on
    a day, as known at a moment) with both medians, their ratio, and the same bytes
    printed by both trees."""
    out = run_benchmark(
        "benchmarks.status_against",
        "--size=40:3",
        "--months=3",
        f"--baseline={ROOT}",
        "--runs=1",
        f"--cache={tmp_path / 'cache'}",
    )
    rows = table_with(
        out, ("command", "before, CPU s", "after, CPU s", "after / before", "same output")
    )
    labels = [row[0] for row in rows]
    assert labels[:2] == ["`caseload status`", "`caseload status --json`"]
    assert labels[2].startswith("`caseload status --as-true-on 20")
    assert labels[3] == "`caseload status --as-known-at T`"
    for row in rows:
        before, after = (float(cell.split(" ")[0]) for cell in row[1:3])
        assert before > 0, row
        assert after > 0, row
        assert row[4] == "yes", row


@pytest.mark.slow
def test_the_memory_peak_benchmark_names_where_the_memory_lay(tmp_path: Path) -> None:
    """Both traced sizes per trajectory, the largest at any moment no less than the one
    before a write, and the allocation sites then, largest first."""
    out = run_benchmark(
        "benchmarks.memory_peak",
        "--size=40:3",
        "--months=3",
        "--top=4",
        f"--cache={tmp_path / 'cache'}",
    )
    sizes = {
        row[0]: float(row[1]) for row in table_with(out, ("measure", "MiB", "B per trajectory"))
    }
    before_write = sizes["traced at the largest moment before a write"]
    assert 0 < before_write <= sizes["traced at the most, any moment"]
    sites = table_with(out, ("allocated at (largest moment before a write)", "MiB", "blocks"))
    assert 0 < len(sites) <= 4
    assert all(site[0].startswith("`") and ":" in site[0] for site in sites)
    shown = [float(site[1]) for site in sites]
    assert shown == sorted(shown, reverse=True)

"""The export's business-date cut (`as_true_on`): exactly the facts that had happened by a
day, with the decisions that hold on every day; and the chain check before an export."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload import Caseload
from caseload.export import Manifest, export_dataset, to_pandas
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from tests.conftest import KEY, examples, fixed_clock
from tests.unit.test_export import needs

EXPORT_KEY = "an export key of at least 16 bytes"
CONFIG = SimulationConfig(brokers=2, citizens=16, months=3, seed=5)


@pytest.fixture(scope="module")
def programme() -> Iterator[tuple[Caseload, Path]]:
    """A small simulated programme in memory, and its whole export (no cut)."""
    app = Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)
    simulate(app, CONFIG)
    with tempfile.TemporaryDirectory() as scratch:
        whole = Path(scratch) / "whole"
        export_dataset(app, whole, key=EXPORT_KEY)
        yield app, whole
    app.close()


def rows(directory: Path, table: str) -> list[dict[str, str]]:
    """The rows of one exported CSV table, in file order."""
    with (directory / f"{table}.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def cut_on(app: Caseload, day: date) -> tuple[Manifest, Path, tempfile.TemporaryDirectory[str]]:
    """The export as true on `day`, in a scratch directory the caller cleans up."""
    scratch = tempfile.TemporaryDirectory()
    out = Path(scratch.name) / "cut"
    return export_dataset(app, out, key=EXPORT_KEY, as_true_on=day), out, scratch


@settings(max_examples=examples(15))
@given(offset=st.integers(min_value=-10, max_value=110))
def test_a_cut_holds_exactly_the_facts_dated_by_its_day(
    programme: tuple[Caseload, Path], offset: int
) -> None:
    """For any day: the contacts are the whole export's contacts dated on or before it,
    in the same order under the same key; the trajectories are those opened by then;
    no business date in the cut lies after the day."""
    app, whole = programme
    day = CONFIG.start + timedelta(days=offset)
    manifest, cut, scratch = cut_on(app, day)
    with scratch:
        assert manifest.as_true_on == day
        assert manifest.reference_date is None or manifest.reference_date <= day
        assert rows(cut, "contacts") == [
            row for row in rows(whole, "contacts") if date.fromisoformat(row["contact_on"]) <= day
        ]
        assert [row["trajectory_id"] for row in rows(cut, "trajectories")] == [
            row["trajectory_id"]
            for row in rows(whole, "trajectories")
            if date.fromisoformat(row["opened_on"]) <= day
        ]
        for row in rows(cut, "trajectories"):
            closed = row["closed_on"]
            assert not closed or date.fromisoformat(closed) <= day


def test_a_cut_after_the_last_fact_is_the_whole_export(programme: tuple[Caseload, Path]) -> None:
    """A day after everything changes no table: the same bytes as the export without a cut."""
    app, whole = programme
    manifest, cut, scratch = cut_on(app, fixed_clock())
    with scratch:
        for table in manifest.tables:
            assert (cut / table.file).read_bytes() == (whole / table.file).read_bytes()


def test_to_pandas_takes_the_same_cut(programme: tuple[Caseload, Path]) -> None:
    """`to_pandas(as_true_on=D)` gives the rows of the export as true on D."""
    needs("pandas")
    app, _ = programme
    day = CONFIG.start + timedelta(days=40)
    manifest, cut, scratch = cut_on(app, day)
    with scratch:
        frames = to_pandas(app, key=EXPORT_KEY, as_true_on=day)
        for table in manifest.tables:
            assert len(frames[table.name]) == table.rows, table.name
        assert list(frames["contacts"]["trajectory_id"]) == [
            row["trajectory_id"] for row in rows(cut, "contacts")
        ]

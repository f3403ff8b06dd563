"""The bulk path writes what the per-command path writes: the same seed gives the same log
either way, byte for byte once the random aggregate ids and the recorded-at timestamps are
set aside, and the bulk-written store verifies (hash chain, rules, read models, snapshots)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import attrs
import pytest

from caseload import Caseload
from caseload.simulation import SimulationConfig, simulate
from tests.conftest import KEY, fixed_clock
from tests.logs import normalised_log

CONFIG = SimulationConfig(brokers=3, citizens=80, months=4, seed=12, start=date(2024, 9, 2))
"""Small enough for every run, with the first broker full so that the caseload rule
refuses one assignment inside the batch, and a broker who hands over several cases and
leaves at the end."""


def _simulated(url: str, *, bulk: bool) -> Caseload:
    app = Caseload(url, pseudonym_key=KEY, clock=fixed_clock)
    report = simulate(app, CONFIG, bulk=bulk)
    assert len(report.refused) == 1
    return app


@pytest.fixture(scope="module")
def per_command_log(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[int, int, str, bytes]]:
    """The same simulation written per command into a SQLite file, normalised: written
    once for the module, as it is the same log for every store kind it is compared with."""
    path = tmp_path_factory.mktemp("per-command") / "per-command.db"
    with _simulated(f"sqlite:///{path}", bulk=False) as per_command:
        return normalised_log(per_command)


@pytest.fixture
def bulk(shared_store_url: str) -> Iterator[Caseload]:
    """The simulation written in bulk into a store of each kind that other processes can
    read (a SQLite file, PostgreSQL)."""
    app = _simulated(shared_store_url, bulk=True)
    yield app
    app.close()


def test_the_same_seed_gives_the_same_log_in_bulk_and_per_command(
    per_command_log: list[tuple[int, int, str, bytes]], bulk: Caseload
) -> None:
    expected = per_command_log
    assert len(expected) > 500
    assert any(topic.endswith("Broker.Left") for _, _, topic, _ in expected)
    assert normalised_log(bulk) == expected


def test_the_bulk_written_store_verifies(bulk: Caseload) -> None:
    report = bulk.verify()
    assert report.ok, [check for check in report.checks if not check.ok]
    assert report.position == bulk.head()
    # The batch took snapshots of the long-lived aggregates, and verify checked them.
    assert bulk.wiring.chain().snapshot_rows()


def test_a_different_seed_gives_a_different_log(tmp_path: Path) -> None:
    """The comparison above can fail: another seed is told apart."""
    with Caseload(f"sqlite:///{tmp_path / 'a.db'}", pseudonym_key=KEY, clock=fixed_clock) as one:
        simulate(one, CONFIG)
        with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as other:
            simulate(other, attrs.evolve(CONFIG, seed=13))
            assert normalised_log(one) != normalised_log(other)

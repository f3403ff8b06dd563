"""A batch on a store that others write too: a write that lost a race keeps nothing of the
batch; a read-only session refuses to open one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from caseload import Caseload
from caseload.domain.errors import ConcurrencyConflict, ReadOnlySession
from tests.conftest import KEY, fixed_clock

DAY = date(2025, 1, 6)


def _app(url: str) -> Caseload:
    return Caseload(url, pseudonym_key=KEY, clock=fixed_clock)


def test_a_write_that_lost_a_race_keeps_nothing_of_the_batch(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'raced.db'}"
    with _app(url) as app, _app(url) as other:
        broker = app.register_broker(name="Broker 1", team="Team A", on=DAY)
        case = app.open_trajectory(cpr="0101901234", on=DAY)
        head = app.head()
        batch = app.batch()
        batch.__enter__()
        app.assign(case, broker, on=DAY)
        app.change_fte(broker, fte=0.5, on=DAY)
        other.assign(case, broker, on=DAY)  # another writer gets there first
        with pytest.raises(ConcurrencyConflict, match="none of its 2 commands"):
            batch.__exit__(None, None, None)
        assert app.head() == other.head() > head  # only the other writer's assignment
        assert app.broker(broker).fte == 1
        assert app.verify().ok


def test_a_read_only_session_refuses_a_batch(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with _app(url) as app:
        app.register_broker(name="Broker 1", team="Team A", on=DAY)
    with Caseload.open_readonly(url, clock=fixed_clock) as session:
        batch = session.batch()
        with pytest.raises(ReadOnlySession):
            batch.__enter__()

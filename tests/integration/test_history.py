"""`Caseload.history`: the log with its positions, whole or as known at a moment."""

from __future__ import annotations

from datetime import datetime

import pytest

from caseload import Caseload
from caseload.domain.errors import InvalidValue
from tests.unit._support import START, give_cases, recorded_by


def test_history_is_the_whole_log_in_order(app: Caseload) -> None:
    broker = app.register_broker(name="B", team="T", on=START)
    give_cases(app, broker, 3)
    history = list(app.history())
    assert [position for position, _ in history] == sorted({p for p, _ in history})
    assert len(history) == app.head()
    assert [type(event) for _, event in history] == [type(event) for event in app.events()]
    assert [event.originator_id for _, event in history] == [
        event.originator_id for event in app.events()
    ]


def test_history_as_known_at_stops_at_the_moment(app: Caseload) -> None:
    broker = app.register_broker(name="B", team="T", on=START)
    give_cases(app, broker, 2)
    known = app.head()
    moment = recorded_by(app)
    give_cases(app, broker, 2)
    assert app.head() > known
    cut = list(app.history(as_known_at=moment))
    assert [position for position, _ in cut] == [position for position, _ in app.history()][:known]
    assert all(event.timestamp <= moment for _, event in cut)


def test_history_refuses_a_naive_moment(memory_app: Caseload) -> None:
    with pytest.raises(InvalidValue, match="timezone-aware"):
        list(memory_app.history(as_known_at=datetime(2025, 1, 1)))

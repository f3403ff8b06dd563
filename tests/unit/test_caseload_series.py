"""`Caseload.caseload_series`: the daily caseload per broker over a range of days."""

from __future__ import annotations

from datetime import timedelta

import pytest

from caseload.domain.errors import InvalidValue
from tests.unit._support import START, give_cases, new_app, register


def test_each_day_holds_the_cases_at_its_end_and_the_limit_in_force() -> None:
    """Broker A gets two cases on START and one more two days later; a half-time broker B
    joins the next day. Every day has one row per broker on staff, in name order."""
    app = new_app()
    a = register(app, name="A")
    give_cases(app, a, 2)
    register(app, fte=0.5, on=START + timedelta(days=1), name="B")
    give_cases(app, a, 1, on=START + timedelta(days=2))

    rows = app.caseload_series(last_day=START + timedelta(days=2))

    assert [(row.on - START).days for row in rows] == [0, 1, 1, 2, 2]
    assert [(row.name, row.active_cases, row.limit) for row in rows] == [
        ("A", 2, 30),
        ("A", 2, 30),
        ("B", 0, 15),
        ("A", 3, 30),
        ("B", 0, 15),
    ]
    assert (
        app.caseload_series(first_day=START + timedelta(days=2), last_day=START + timedelta(days=2))
        == rows[3:]
    )


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    """--from after --to says so, with both days."""
    app = new_app()
    register(app)
    with pytest.raises(InvalidValue, match="must not be after"):
        app.caseload_series(first_day=START + timedelta(days=3), last_day=START)

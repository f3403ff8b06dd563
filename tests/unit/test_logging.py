"""What the library logs through `logging.getLogger("caseload...")`: refusals and retries
at DEBUG, a rebuild's progress, never a CPR number or a name, nothing at INFO when a
command simply succeeds."""

from __future__ import annotations

import logging
import random

import pytest
from eventsourcing.persistence import RecordConflictError
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload.application.unit_of_work import run_with_retries
from caseload.domain.errors import ConcurrencyConflict, TrajectoryAlreadyOpen
from tests.conftest import examples
from tests.unit._support import START, give_cases, new_app, next_cpr, register


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every record under the caseload loggers, formatted with its arguments."""
    return "\n".join(
        f"{record.name} {record.levelname} {record.getMessage()}"
        for record in caplog.records
        if record.name.startswith("caseload")
    )


def test_a_refusal_is_logged_at_debug_without_the_cpr_or_names(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A command the rules refuse leaves one DEBUG record naming the command and the
    refusal's class; neither the CPR number it carried nor the broker's name appears."""
    app = new_app()
    register(app, name="Ingrid Broker")
    cpr = next_cpr()
    app.open_trajectory(cpr=cpr, on=START)
    with (
        caplog.at_level(logging.DEBUG, logger="caseload"),
        pytest.raises(TrajectoryAlreadyOpen),
    ):
        app.open_trajectory(cpr=cpr, on=START)
    logged = _logged(caplog)
    assert "caseload.commands DEBUG OpenTrajectory refused: TrajectoryAlreadyOpen" in logged
    assert cpr not in logged
    assert cpr[:6] not in logged
    assert "Ingrid" not in logged


def test_the_happy_path_logs_nothing_at_info(caplog: pytest.LogCaptureFixture) -> None:
    """Commands that succeed and queries that answer log nothing at INFO or above."""
    app = new_app()
    with caplog.at_level(logging.INFO, logger="caseload"):
        broker = register(app)
        give_cases(app, broker, 3)
        assert app.caseload()[0].active_cases == 3
    assert _logged(caplog) == ""


@settings(max_examples=examples(20))
@given(conflicts=st.integers(min_value=0, max_value=7))
def test_retries_are_logged_once_each(conflicts: int) -> None:
    """Each write that lost a race is one DEBUG record with its attempt number; giving up
    is a WARNING, and naming the store is all it says about where."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("caseload.commands")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    failures = iter(range(conflicts))

    def work() -> str:
        if next(failures, None) is not None:
            raise RecordConflictError("lost a race")
        return "done"

    try:
        if conflicts < 5:
            assert run_with_retries(work, max_attempts=5, store="s", rng=random.Random(0)) == (
                "done"
            )
        else:
            with pytest.raises(ConcurrencyConflict):
                run_with_retries(work, max_attempts=5, store="s", rng=random.Random(0))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    retried = [r.getMessage() for r in records if r.levelno == logging.DEBUG]
    gave_up = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert retried == [
        f"write conflict on attempt {attempt}; retrying on fresh state"
        for attempt in range(1, min(conflicts, 4) + 1)
    ]
    assert gave_up == (["gave up after 5 attempts on s"] if conflicts >= 5 else [])


def test_a_stopped_rebuild_logs_where_its_work_is_written(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A rebuild told to stop logs at INFO the position its work is written up to (the
    position the next rebuild resumes from), and its writes at DEBUG."""
    app = new_app()
    broker = register(app)
    give_cases(app, broker, 20)
    with caplog.at_level(logging.DEBUG, logger="caseload"):
        result = app.projections.rebuild(batch_size=5, stop=lambda: True)
        resumed = app.projections.rebuild(batch_size=5)
    assert not result.complete
    assert result.saved == 5
    assert resumed.complete
    assert resumed.resumed_from == 5
    logged = _logged(caplog)
    assert "caseload.projections INFO rebuild stopped at position 5" in logged
    assert "caseload.projections INFO rebuild resumed from position 5" in logged
    assert "caseload.projections DEBUG rebuild: read models written up to position 5" in logged

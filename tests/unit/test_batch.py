"""Commands in a batch (`Caseload.batch`): the same checks and the same events as one write
per command; a refused command leaves nothing behind and the batch keeps what it accepted;
later commands see earlier ones; the events are written when the batch is flushed."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload import Caseload, ClosureReason
from caseload.domain.errors import (
    CaseloadLimitExceeded,
    ConfigurationError,
    InvalidValue,
    UnknownTrajectory,
)
from caseload.testing import Plan, histories, run_history
from tests.conftest import KEY, examples, fixed_clock
from tests.logs import normalised_log

DAY = date(2025, 1, 6)


def _app(url: str = "memory://") -> Caseload:
    return Caseload(url, pseudonym_key=KEY, clock=fixed_clock)


def _cpr(n: int) -> str:
    return f"{1 + n % 28:02d}0190{n % 10}{n:03d}"


def _run_in_parts(app: Caseload, history: list[Plan], cuts: list[int], flush: object) -> list:
    """Run `history` in parts cut at `cuts` (each part refers to what it creates), calling
    `flush` between parts; returns the refused and accepted commands of every part."""
    outcome = []
    done = 0
    for cut in [*cuts, len(history)]:
        result = run_history(app, history[done:cut], start=DAY + timedelta(days=done))
        outcome += [("refused", type(error)) for _, error in result.refused]
        outcome += [("accepted", type(step.command)) for step in result.accepted]
        done = cut
        if callable(flush):
            flush()
    return outcome


@settings(max_examples=examples(25))
@given(
    history=histories(max_size=40),
    size=st.integers(1, 50),
    cuts=st.lists(st.integers(0, 40), max_size=4).map(sorted),
)
def test_a_batch_leaves_the_log_and_the_refusals_of_one_write_per_command(
    history: list[Plan], size: int, cuts: list[int]
) -> None:
    """For any history, batch size and extra flushes between its parts: the same commands
    are refused (with errors of the same rule) and the same log is written as with one
    write per command."""
    cuts = [min(cut, len(history)) for cut in cuts]
    with _app() as one_by_one:
        expected = _run_in_parts(one_by_one, history, cuts, None)
        expected_log = normalised_log(one_by_one)
    with _app() as batched:
        with batched.batch(size=size) as batch:
            outcome = _run_in_parts(batched, history, cuts, batch.flush)
            assert batch.unwritten_events == 0
        assert normalised_log(batched) == expected_log
    assert outcome == expected


@settings(max_examples=examples(10), deadline=None)
@given(history=histories(max_size=40), size=st.integers(1, 50))
def test_a_batch_into_a_sqlite_file_writes_the_log_of_one_write_per_command(
    history: list[Plan], size: int
) -> None:
    """Into a SQLite file the batch encodes its events to rows itself and writes each
    row's chain link in the same pass: the same refusals, the same stored bytes as one
    write per command, and a chain that checks."""
    with _app() as one_by_one:
        expected = _run_in_parts(one_by_one, history, [], None)
        expected_log = normalised_log(one_by_one)
    with (
        tempfile.TemporaryDirectory() as directory,
        _app(f"sqlite:///{Path(directory) / 'batched.db'}") as batched,
    ):
        with batched.batch(size=size):
            outcome = _run_in_parts(batched, history, [], None)
        assert normalised_log(batched) == expected_log
        assert batched.check_chain().ok
    assert outcome == expected


def test_an_aggregate_a_refused_command_dropped_is_found_after_a_write(tmp_path: Path) -> None:
    """A batch on an empty store does not ask the store about ids it never wrote, but an
    aggregate that a refused command dropped from memory, written since, is read back."""
    with _app(f"sqlite:///{tmp_path / 'store.db'}") as app:
        with app.batch() as batch:
            broker = app.register_broker(name="Broker 1", team="Team A", fte=0.1, on=DAY)
            cases = [app.open_trajectory(cpr=_cpr(n), on=DAY) for n in range(4)]
            for case in cases[:3]:
                app.assign(case, broker, on=DAY)
            with pytest.raises(CaseloadLimitExceeded):
                app.assign(cases[3], broker, on=DAY)
            batch.flush()
            later = DAY + timedelta(days=1)
            app.close_trajectory(cases[0], on=later, reason=ClosureReason.MOVED)
            app.assign(cases[3], broker, on=later)
        assert app.broker(broker).active_cases == {*cases[1:]}
        assert app.verify().ok


def test_events_are_written_when_the_batch_is_flushed() -> None:
    with _app() as app, app.batch() as batch:
        broker = app.register_broker(name="Broker 1", team="Team A", on=DAY)
        case = app.open_trajectory(cpr=_cpr(1), on=DAY)
        app.assign(case, broker, on=DAY)
        assert app.head() == 0
        assert batch.unwritten_commands == 3
        written = batch.flush()
        assert app.head() == written == batch.written_events
        assert batch.written_commands == 3
        assert app.broker(broker).active_cases == {case}


def test_a_batch_is_written_when_its_block_ends() -> None:
    with _app() as app:
        with app.batch():
            broker = app.register_broker(name="Broker 1", team="Team A", on=DAY)
        assert app.broker(broker).name == "Broker 1"
        assert app.verify().ok


def test_a_batch_writes_every_size_commands() -> None:
    with _app() as app, app.batch(size=2) as batch:
        app.register_broker(name="Broker 1", team="Team A", on=DAY)
        assert app.head() == 0
        app.register_colleague(name="Colleague 1", team="Team A", on=DAY)
        assert app.head() == batch.written_events > 0
        assert batch.unwritten_commands == 0


def test_a_refused_command_leaves_nothing_and_the_batch_keeps_what_it_accepted() -> None:
    with _app() as app:
        with app.batch() as batch:
            broker = app.register_broker(name="Broker 1", team="Team A", fte=0.1, on=DAY)
            cases = [app.open_trajectory(cpr=_cpr(n), on=DAY) for n in range(4)]
            for case in cases[:3]:
                app.assign(case, broker, on=DAY)
            before = batch.unwritten_events
            with pytest.raises(CaseloadLimitExceeded, match="3 of 3"):
                app.assign(cases[3], broker, on=DAY)
            assert batch.unwritten_events == before
            # The refused assignment touched the trajectory before the broker refused it:
            # the trajectory is as it was, so closing it releases no broker.
            later = DAY + timedelta(days=1)
            app.close_trajectory(cases[3], on=later, reason=ClosureReason.MOVED)
            app.close_trajectory(cases[0], on=later, reason=ClosureReason.MOVED)
        assert app.broker(broker).active_cases == set(cases[1:3])
        assert app.trajectory(cases[3]).broker_id is None
        assert app.verify().ok


def test_later_commands_in_a_batch_see_earlier_ones() -> None:
    with _app() as app, app.batch():
        broker = app.register_broker(name="Broker 1", team="Team A", fte=0.1, on=DAY)
        cases = [app.open_trajectory(cpr=_cpr(n), on=DAY) for n in range(4)]
        for case in cases[:3]:
            app.assign(case, broker, on=DAY)
        # Nothing is written yet, and still the limit counts the three in the batch.
        assert app.head() == 0
        with pytest.raises(CaseloadLimitExceeded):
            app.assign(cases[3], broker, on=DAY)


def test_an_unknown_trajectory_in_a_batch_is_refused_like_outside() -> None:
    with _app() as app, app.batch() as batch:
        broker = app.register_broker(name="Broker 1", team="Team A", on=DAY)
        with pytest.raises(UnknownTrajectory):
            app.assign(broker, broker, on=DAY)
        assert batch.unwritten_commands == 1


def test_a_block_that_raises_drops_the_unwritten_commands() -> None:
    with _app() as app:
        interrupted = KeyboardInterrupt()
        with pytest.raises(KeyboardInterrupt) as raised, app.batch() as batch:  # noqa: PT012
            app.register_broker(name="Broker 1", team="Team A", on=DAY)
            batch.flush()
            app.register_broker(name="Broker 2", team="Team A", on=DAY)
            raise interrupted
        assert raised.value is interrupted
        assert [b.name for b in app.caseload()] == ["Broker 1"]


def test_batches_do_not_nest_and_need_a_size() -> None:
    with _app() as app:
        with app.batch():
            inner = app.batch()
            with pytest.raises(ConfigurationError, match="do not nest"):
                inner.__enter__()
        with pytest.raises(InvalidValue, match="at least 1"):
            app.batch(size=0).__enter__()


def test_the_education_programme_in_a_batch_leaves_the_same_log() -> None:
    """The second programme kind's commands batch the same way (its sample run)."""
    from caseload.programmes.education.simulation import SAMPLE, simulate_education

    with _app() as one_by_one:
        simulate_education(one_by_one, SAMPLE, bulk=False)
        expected = normalised_log(one_by_one)
    with _app() as batched:
        simulate_education(batched, SAMPLE)  # in a batch by default
        assert normalised_log(batched) == expected
    assert len(expected) > 100

"""Writers racing on the same brokers never push one past the limit, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from datetime import date
from uuid import UUID

import pytest

from caseload import Caseload, CaseloadError
from caseload.programmes.resource_pathway.domain.broker import Broker
from tests.conftest import KEY, fixed_clock

DAY = date(2025, 3, 3)
WRITERS = 4
TRAJECTORIES = 200
LIMIT = 30


def _prepare(url: str) -> tuple[list[UUID], list[UUID]]:
    """Three full-time brokers and 200 unassigned trajectories."""
    with Caseload(url, pseudonym_key=KEY, clock=fixed_clock) as app:
        brokers = [
            app.register_broker(name=f"Broker {n}", team="Team A", fte=1.0, on=DAY)
            for n in range(3)
        ]
        trajectories = [
            app.open_trajectory(cpr=f"{1 + n % 28:02d}{1 + n // 28:02d}85{2000 + n:04d}", on=DAY)
            for n in range(TRAJECTORIES)
        ]
    return brokers, trajectories


def _assign_slice(
    url: str, brokers: list[UUID], trajectories: list[UUID], writer: int
) -> Counter[str]:
    """One writer's work: assign its share of trajectories, spread over all brokers."""
    outcomes: Counter[str] = Counter()
    with Caseload(url, clock=fixed_clock) as app:
        for n, trajectory in enumerate(trajectories[writer::WRITERS]):
            try:
                app.assign(trajectory, brokers[(n + writer) % len(brokers)], on=DAY)
            except CaseloadError as error:
                outcomes[type(error).__name__] += 1
            except Exception as error:
                outcomes[f"unexpected {type(error).__name__}: {error}"] += 1
            else:
                outcomes["assigned"] += 1
    return outcomes


def _check_log(url: str, brokers: list[UUID], outcomes: Counter[str]) -> None:
    """Replay the log: at no point did a broker hold more than the limit."""
    unexpected = [outcome for outcome in outcomes if outcome.startswith("unexpected")]
    assert not unexpected, unexpected
    assert sum(outcomes.values()) == TRAJECTORIES
    assert set(outcomes) <= {"assigned", "CaseloadLimitExceeded", "ConcurrencyConflict"}
    held: Counter[UUID] = Counter()
    peak: Counter[UUID] = Counter()
    with Caseload(url, clock=fixed_clock) as app:
        for event in app.events():
            if isinstance(event, Broker.CaseAssigned):
                held[event.originator_id] += 1
                peak[event.originator_id] = max(
                    peak[event.originator_id], held[event.originator_id]
                )
            elif isinstance(event, Broker.CaseReleased):
                held[event.originator_id] -= 1
        assert all(peak[broker] <= LIMIT for broker in brokers), peak
        assert sum(held.values()) == outcomes["assigned"]
        for broker in brokers:
            assert len(app.broker(broker).active_cases) == held[broker] <= LIMIT
        # 200 attempts for 90 places: every broker fills up unless retries ran out.
        if "ConcurrencyConflict" not in outcomes:
            assert outcomes["assigned"] == 3 * LIMIT


@pytest.mark.slow
def test_four_threads_on_one_sqlite_file_never_exceed_the_limit(sqlite_url: str) -> None:
    """Four threads, each with its own application on one SQLite file, race to assign."""
    brokers, trajectories = _prepare(sqlite_url)
    results: list[Counter[str]] = []
    lock = threading.Lock()

    def writer(number: int) -> None:
        outcome = _assign_slice(sqlite_url, brokers, trajectories, number)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == WRITERS
    _check_log(sqlite_url, brokers, sum(results, Counter()))


@pytest.mark.slow
@pytest.mark.postgres
def test_four_processes_on_postgresql_never_exceed_the_limit(postgres_url: str) -> None:
    """Four processes on one PostgreSQL schema race to assign; the limit holds in the log."""
    brokers, trajectories = _prepare(postgres_url)
    context = multiprocessing.get_context("spawn")
    with context.Pool(WRITERS) as pool:
        results = pool.starmap(
            _assign_slice, [(postgres_url, brokers, trajectories, n) for n in range(WRITERS)]
        )
    _check_log(postgres_url, brokers, sum(results, Counter()))

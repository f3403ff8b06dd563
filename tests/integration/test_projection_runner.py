"""The projection runner: exactly once, resumable, and right about the past."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseload import (
    Caseload,
    CaseloadError,
    Channel,
    ClosureReason,
    InvalidValue,
    ProjectionSettings,
    Role,
)
from caseload.adapters.log import LogReader
from caseload.adapters.read_model_sql import projection_store
from caseload.adapters.read_model_store import MemoryProjectionStore
from caseload.adapters.storage import parse_store_url
from caseload.programmes import default_read_models
from caseload.programmes.resource_pathway.read_models.caseload_counts import CaseloadCounts
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from caseload.projections.base import is_true_on
from caseload.projections.runner import Projections
from caseload.testing import histories, run_history
from tests.conftest import KEY, fixed_clock
from tests.unit._support import recorded_by

ROOT = Path(__file__).resolve().parents[2]
START = date(2025, 1, 6)


def runner(app: Caseload, **options: Any) -> Projections:
    """A runner over the app's log with its own in-memory store."""
    return Projections(
        LogReader(app.wiring.events), MemoryProjectionStore(), default_read_models(), **options
    )


def folded_digests(events: list[Any]) -> dict[str, str]:
    """Digests of every read model folded directly over `events`."""
    digests = {}
    for model in default_read_models():
        state = model.initial()
        for event in events:
            model.apply(state, event)
        digests[model.name] = model.digest(state)
    return digests


@given(
    history=histories(max_size=40),
    cuts=st.lists(st.integers(0, 40), max_size=4),
    batch=st.integers(1, 50),
    persist_every=st.integers(1, 30),
)
def test_catch_up_in_any_batches_equals_rebuild_and_direct_fold(
    history: list[Any], cuts: list[int], batch: int, persist_every: int
) -> None:
    """Catching up after every stretch of commands, in any batch size, reaches the same
    digests as a rebuild from zero and as folding the whole log directly."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        incremental = runner(app, batch_size=batch, persist_every=persist_every, checkpoint_every=7)
        done = 0
        for cut in sorted(cuts):
            run_history(app, history[done:cut], start=START + timedelta(days=done))
            incremental.catch_up(persist=bool(cut % 2))
            done = max(done, cut)
        run_history(app, history[done:], start=START + timedelta(days=done))
        incremental.catch_up()
        rebuilt = runner(app)
        result = rebuilt.rebuild(batch_size=max(1, batch // 2))
        expected = folded_digests(list(app.events()))
        assert incremental.digests() == expected
        assert dict(result.digests) == expected
        assert result.events == app.head()


def late_history(app: Caseload) -> dict[str, Any]:
    """A hand-written history with a late registration, noting moments between commands."""
    broker = app.register_broker(name="Broker 1", team="Team A", fte=1.0, on=START)
    first = app.open_trajectory(cpr="0101901234", on=START)
    second = app.open_trajectory(cpr="0201901234", on=START)
    app.assign(first, broker, on=START)
    moments = {"after_first_assignment": recorded_by(app)}
    app.assign(second, broker, on=START + timedelta(days=14))
    moments["after_second_assignment"] = recorded_by(app)
    # Recorded now, but it happened on day 4: a late registration.
    app.record_contact(
        first, on=START + timedelta(days=4), roles=set(Role), channel=Channel.MEETING, by=broker
    )
    moments["after_late_contact"] = recorded_by(app)
    app.close_trajectory(first, on=START + timedelta(days=28), reason=ClosureReason.JOB)
    return {"broker": broker, "first": first, "second": second, **moments}


@pytest.mark.parametrize("checkpoint_every", [2, 3, 20_000])
def test_as_known_at_and_as_true_on_on_a_hand_written_history(
    store_url: str, checkpoint_every: int
) -> None:
    """Known-at cuts the log at a moment, true-on keeps facts dated by a day (late ones
    included), and both combine; each answer computed by hand."""
    settings = ProjectionSettings(checkpoint_every=checkpoint_every, index_every=2)
    with Caseload(
        store_url, pseudonym_key=KEY, clock=fixed_clock, projection_settings=settings
    ) as app:
        h = late_history(app)

        def held(**as_of: Any) -> int:
            return app.caseload(**as_of)[0].active_cases

        def one_person_share(**as_of: Any) -> float:
            return app.role_coverage(**as_of).share_all_four_by_assigned_broker

        # As true on a day: the caseload as it stood then.
        assert held(as_true_on=START) == 1
        assert held(as_true_on=START + timedelta(days=14)) == 2
        assert held(as_true_on=START + timedelta(days=28)) == 1
        assert held() == 1
        # As known at a moment: only what had been recorded by then.
        assert held(as_known_at=h["after_first_assignment"]) == 1
        assert held(as_known_at=h["after_second_assignment"]) == 2
        # The late contact (dated day 4) counts for day 10 once it is known ...
        assert one_person_share(as_true_on=START + timedelta(days=10)) == 1.0
        # ... but was not yet known at the moment after the second assignment.
        assert (
            one_person_share(
                as_true_on=START + timedelta(days=10), as_known_at=h["after_second_assignment"]
            )
            == 0.0
        )
        assert one_person_share(as_true_on=START + timedelta(days=14)) == 0.5
        assert (
            one_person_share(
                as_true_on=START + timedelta(days=14), as_known_at=h["after_late_contact"]
            )
            == 0.5
        )
        # Before anything was recorded, nothing was known.
        assert app.caseload(as_known_at=datetime(2000, 1, 1, tzinfo=UTC)) == ()


def test_a_naive_moment_is_refused(memory_app: Caseload) -> None:
    """as_known_at must say its timezone; a naive datetime is refused with InvalidValue."""
    memory_app.register_broker(name="B", team="T", on=START)
    with pytest.raises(InvalidValue, match="timezone-aware"):
        memory_app.caseload(as_known_at=datetime(2025, 1, 1))


@given(
    history=histories(min_size=5, max_size=30),
    late=st.lists(
        st.tuples(st.integers(0, 100), st.integers(0, 100), st.integers(0, 40)), max_size=6
    ),
    day_offset=st.integers(0, 45),
    cut_at=st.floats(0, 1),
    index_every=st.sampled_from([3, 256]),
)
def test_as_of_equals_a_direct_filtered_fold(
    history: list[Any],
    late: list[tuple[int, int, int]],
    day_offset: int,
    cut_at: float,
    index_every: int,
) -> None:
    """For random histories with late registrations, every as-of state equals the fold of
    exactly the events it should see, in log order."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        result = run_history(app, history, start=START)
        for t, b, days in late:
            if result.trajectories and result.brokers:
                with contextlib.suppress(CaseloadError):
                    app.record_contact(
                        result.trajectories[t % len(result.trajectories)],
                        on=START + timedelta(days=days),
                        roles={Role.COACH},
                        channel=Channel.PHONE,
                        by=result.brokers[b % len(result.brokers)],
                    )
        events = list(app.events())
        projections = runner(app, checkpoint_every=4, index_every=index_every)
        projections.catch_up()
        on = START + timedelta(days=day_offset)
        moment = events[min(len(events) - 1, int(cut_at * len(events)))].timestamp
        known, running = [], None
        for event in events:
            running = event.timestamp if running is None else max(running, event.timestamp)
            if running > moment:
                break
            known.append(event)
        for model in default_read_models():
            for as_of, expected_events in (
                ({"as_true_on": on}, [e for e in events if is_true_on(e, on)]),
                ({"as_known_at": moment}, known),
                (
                    {"as_true_on": on, "as_known_at": moment},
                    [e for e in known if is_true_on(e, on)],
                ),
            ):
                expected = model.initial()
                for event in expected_events:
                    model.apply(expected, event)
                got = projections.state_as_of(model.name, **as_of)
                assert model.digest(got) == model.digest(expected), (model.name, as_of)


def simulated(url: str) -> int:
    """A simulated programme in the store; returns the log's head."""
    with Caseload(url, pseudonym_key=KEY, clock=fixed_clock) as app:
        simulate(app, SimulationConfig(brokers=3, citizens=40, months=3, seed=11))
        return app.head()


def clean_digests(url: str) -> dict[str, str]:
    """Digests of a clean, in-memory fold of the store's whole log."""
    with Caseload(url, clock=fixed_clock) as app:
        return folded_digests(list(app.events()))


def stored_digests(url: str) -> dict[str, str]:
    """Digests of the states the store holds, after a catch-up that must find nothing new."""
    store = projection_store(parse_store_url(url))
    with Caseload(url, clock=fixed_clock) as app:
        projections = Projections(LogReader(app.wiring.events), store, default_read_models())
        head = app.head()
        assert projections.position() == head
        assert projections.catch_up() == 0
        digests = projections.digests()
    store.close()
    return digests


def start_worker(url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration._worker", url],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def killed_mid_run(url: str, head: int) -> None:
    """Start a worker, SIGKILL it once it has stored some but not all of the log."""
    store = projection_store(parse_store_url(url))
    with Caseload(url, clock=fixed_clock) as app:
        probe = Projections(LogReader(app.wiring.events), store, default_read_models())
        worker = start_worker(url)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if 0 < probe.position() < head:
                    break
                time.sleep(0.005)
            worker.send_signal(signal.SIGKILL)
        finally:
            worker.wait(timeout=60)
        position = probe.position()
    store.close()
    assert worker.returncode == -signal.SIGKILL
    assert 0 < position < head, "the worker was killed mid-run"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_worker_killed_mid_run_resumes_to_the_clean_digests(
    kind: str, request: pytest.FixtureRequest
) -> None:
    """SIGKILL at any point loses and double-counts nothing: a restarted worker ends
    digest-equal to a clean fold of the log."""
    url = request.getfixturevalue("sqlite_url" if kind == "sqlite" else "postgres_url")
    head = simulated(url)
    killed_mid_run(url, head)
    worker = start_worker(url)
    _out, err = worker.communicate(timeout=300)
    assert worker.returncode == 0, err
    assert stored_digests(url) == clean_digests(url)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_two_workers_on_one_store_do_not_double_count(
    kind: str, request: pytest.FixtureRequest
) -> None:
    """Two workers started together on the same read models end with the clean digests."""
    url = request.getfixturevalue("sqlite_url" if kind == "sqlite" else "postgres_url")
    simulated(url)
    workers = [start_worker(url), start_worker(url)]
    for worker in workers:
        _out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
    assert stored_digests(url) == clean_digests(url)


def test_an_interrupted_rebuild_resumes_where_it_stopped(sqlite_url: str) -> None:
    """A rebuild interrupted after its first batch picks up from there when run again."""
    head = simulated(sqlite_url)
    store = projection_store(parse_store_url(sqlite_url))
    with Caseload(sqlite_url, clock=fixed_clock) as app:
        projections = Projections(LogReader(app.wiring.events), store, default_read_models())

        def interrupt(progress: Any) -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            projections.rebuild(progress=interrupt, batch_size=300, persist_every=300)
        seen = []
        result = projections.rebuild(progress=seen.append, batch_size=300, persist_every=300)
        assert result.events == head - 300
        assert seen[-1].done == head - 300
        assert seen[-1].total == head - 300
        assert dict(result.digests) == folded_digests(list(app.events()))
    store.close()


def test_a_new_read_model_version_is_rebuilt_from_the_log(sqlite_url: str) -> None:
    """A stored state of another version is not trusted: the runner folds that read model
    from the start of the log."""
    simulated(sqlite_url)

    class CaseloadCountsV2(CaseloadCounts):
        version = 2

    store = projection_store(parse_store_url(sqlite_url))
    with Caseload(sqlite_url, clock=fixed_clock) as app:
        first = Projections(LogReader(app.wiring.events), store, [CaseloadCounts()])
        first.catch_up(persist=True)
        second = Projections(LogReader(app.wiring.events), store, [CaseloadCountsV2()])
        assert second.catch_up(persist=True) == app.head()
        assert second.digests() == first.digests()
        assert store.load(["caseload"])["caseload"].version == 2
    store.close()


def test_every_report_answers_as_of_from_the_persisted_models(sqlite_url: str) -> None:
    """Each query on the facade, as true on a past day and as known at a past moment,
    equals its report over a direct fold of exactly the events it should see."""
    from caseload.programmes.resource_pathway.read_models.attention import attention_report
    from caseload.programmes.resource_pathway.read_models.caseload_counts import caseload_report
    from caseload.programmes.resource_pathway.read_models.coverage_reports import role_coverage
    from caseload.programmes.resource_pathway.read_models.employer_activity import (
        employer_activity_report,
    )
    from caseload.programmes.resource_pathway.read_models.flow import flow_report
    from caseload.programmes.resource_pathway.read_models.outcomes import outcomes_report
    from caseload.programmes.resource_pathway.read_models.progression import progression_report
    from caseload.programmes.resource_pathway.read_models.reviews import review_report
    from caseload.programmes.resource_pathway.read_models.staffing import staffing_report

    reports: dict[str, tuple[str, Any]] = {
        "caseload_report": ("caseload", caseload_report),
        "outcomes": ("outcomes", outcomes_report),
        "progression": ("progression", progression_report),
        "attention_list": ("attention", attention_report),
        "staffing": ("staffing", staffing_report),
        "reviews": ("reviews", review_report),
        "flow": ("flow", flow_report),
        "employer_activity": ("employer_activity", employer_activity_report),
    }
    settings = ProjectionSettings(checkpoint_every=97, index_every=13)
    with Caseload(
        sqlite_url, pseudonym_key=KEY, clock=fixed_clock, projection_settings=settings
    ) as app:
        simulate(app, SimulationConfig(brokers=3, citizens=25, months=2, seed=4))
        events = list(app.events())
        moment = events[len(events) // 2].timestamp
        day = date(2024, 1, 31)
        models = {model.name: model for model in default_read_models()}

        def folded(name: str, chosen: list[Any]) -> Any:
            state = models[name].initial()
            for event in chosen:
                models[name].apply(state, event)
            return state

        # As known at a moment is the log's longest prefix whose running maximum timestamp
        # is at most the moment (docs/read-models.md): one write saves several aggregates,
        # whose events' timestamps need not follow their log order.
        known = []
        latest = events[0].timestamp
        for event in events:
            latest = max(latest, event.timestamp)
            if latest > moment:
                break
            known.append(event)
        for method, (name, report) in reports.items():
            query = getattr(app, method)
            assert query(as_true_on=day) == report(
                folded(name, [e for e in events if is_true_on(e, day)]), day
            ), method
            assert query(as_known_at=moment) == report(folded(name, known), fixed_clock()), method
        assert app.role_coverage(as_true_on=day) == role_coverage(
            folded("role_coverage", [e for e in events if is_true_on(e, day)])
        )


def test_states_are_written_when_due_and_queries_see_everything(sqlite_url: str) -> None:
    """A catch-up writes states only when enough events have gathered (or when asked);
    in between, the state in memory already answers with every event."""
    head = simulated(sqlite_url)
    store = projection_store(parse_store_url(sqlite_url))
    with Caseload(sqlite_url, clock=fixed_clock) as app:
        settings = ProjectionSettings(persist_every=head + 1, persist_seconds=3600)
        projections = Projections(
            LogReader(app.wiring.events), store, default_read_models(), settings
        )
        assert projections.catch_up() == head
        assert projections.position() == 0
        assert projections.digests() == folded_digests(list(app.events()))
        projections.catch_up(persist=True)
        assert projections.position() == head
    store.close()


def test_only_late_registrations_and_programme_events_are_indexed_as_late() -> None:
    """Events written in business-date order are not late, even when the programme was set
    up with a later date (here: the clock's today); so an as-true-on query replays little."""
    from caseload.programmes.resource_pathway.domain.programme import Programme

    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        late_history(app)
        store = MemoryProjectionStore()
        projections = Projections(LogReader(app.wiring.events), store, default_read_models())
        projections.catch_up(persist=True)
        events = dict(enumerate(app.events(), 1))
        late = store.late_events(0, app.head(), "9999-12-31")
        ordinary = [p for p in late if not isinstance(events[p], Programme.Event)]
        contact = [
            p for p, e in events.items() if getattr(e, "occurred_on", None) == START + timedelta(4)
        ]
        assert ordinary == contact


def test_reading_some_kinds_of_event_skips_the_others(store_url: str) -> None:
    """A reader asked for some classes of event returns exactly those events of a range,
    and the last position it read, as filtering a full read would."""
    from caseload.adapters.log import log_reader
    from caseload.programmes.resource_pathway.domain.broker import Broker

    def wanted(kind: type[Any]) -> bool:
        return issubclass(kind, Broker.Event)

    with Caseload(store_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        simulate(app, SimulationConfig(brokers=3, citizens=10, months=1, seed=2))
        reader = log_reader(app.wiring.events, app.wiring.store)
        try:
            for start, limit in [(1, 7), (5, 60), (1, app.head() + 10), (app.head() + 1, 5)]:
                full = reader.read(start, limit)
                reached, some = reader.read_kinds(start, limit, wanted)
                assert reached == (full[-1][0] if full else 0)
                assert [p for p, _ in some] == [p for p, e in full if wanted(type(e))]
                assert [e.__dict__ for _, e in some] == [
                    e.__dict__ for _, e in full if wanted(type(e))
                ]
        finally:
            reader.close()


def test_events_no_model_folds_are_indexed_like_decoded_ones() -> None:
    """Events no read model has a handler for are read as stand-ins (not decoded), yet the
    time index, the late events and the digests come out as from fully decoded events."""
    from caseload.adapters.log import Unread

    class PlainSource:
        """The log as any source gives it: every event decoded."""

        def __init__(self, reader: LogReader) -> None:
            self.head, self.read = reader.head, reader.read

    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        simulate(app, SimulationConfig(brokers=3, citizens=20, months=2, seed=5))
        reader = LogReader(app.wiring.events)
        models = default_read_models()
        assert any(
            isinstance(event, Unread)
            for _, event in reader.read_for(1, app.head(), lambda kind: False)
        )
        stores = [MemoryProjectionStore(), MemoryProjectionStore()]
        runners = [
            Projections(reader, stores[0], models, index_every=7),
            Projections(PlainSource(reader), stores[1], models, index_every=7),  # type: ignore[arg-type]
        ]
        for projections in runners:
            projections.catch_up(persist=True)
        assert runners[0].digests() == runners[1].digests()
        assert stores[0].index_rows() == stores[1].index_rows()
        every = ("9999-12-31", "0001-01-01", "2024-01-15")
        for on in every:
            assert stores[0].late_events(0, app.head(), on) == stores[1].late_events(
                0, app.head(), on
            )


@given(history=histories(max_size=30), cuts=st.lists(st.integers(0, 30), max_size=5))
def test_states_written_after_any_catch_up_reload_to_the_direct_fold(
    history: list[Any], cuts: list[int]
) -> None:
    """After catch-ups that write (a read model no new event concerns only moves its
    position), a fresh runner on the same store loads states at the head whose digests
    equal a direct fold of the log."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        store = MemoryProjectionStore()
        writer = Projections(LogReader(app.wiring.events), store, default_read_models())
        done = 0
        for cut in sorted(cuts):
            run_history(app, history[done:cut], start=START + timedelta(days=done))
            writer.catch_up(persist=True)
            done = max(done, cut)
        run_history(app, history[done:], start=START + timedelta(days=done))
        writer.catch_up(persist=True)
        reader = Projections(LogReader(app.wiring.events), store, default_read_models())
        assert reader.position() == app.head()
        expected = folded_digests(list(app.events()))
        assert reader.digests() == expected
        stored = store.load(list(expected))
        assert {name: state.digest for name, state in stored.items()} == expected

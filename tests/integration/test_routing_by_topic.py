"""Reading the log by topic: a read model that folds a few classes reads only their rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload import Caseload
from caseload.adapters.log import LogReader, log_reader
from caseload.adapters.read_model_store import MemoryProjectionStore
from caseload.domain.errors import LogAltered
from caseload.programmes import default_read_models, event_topics
from caseload.programmes.resource_pathway.domain.broker import Broker
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from caseload.projections.base import ReadModel
from caseload.projections.checkpointing import CheckpointSchedule
from caseload.projections.runner import Projections
from caseload.testing import histories, run_history
from tests.conftest import KEY, TODAY, fixed_clock
from tests.integration.test_projection_runner import START, folded_digests

WANTED_SETS: list[tuple[str, Any]] = [
    ("broker events", lambda kind: issubclass(kind, Broker.Event)),
    ("contacts", lambda kind: issubclass(kind, Trajectory.ContactRecorded)),
    ("nothing", lambda kind: False),
    ("everything", lambda kind: True),
]


@pytest.mark.parametrize(("label", "wanted"), WANTED_SETS)
def test_reading_by_topic_gives_exactly_the_wanted_events(
    store_url: str, label: str, wanted: Any
) -> None:
    """Events of the wanted classes in a range, at most `limit` of them, and how far the
    search went: the same events, in order and equal, as filtering a full read."""
    with Caseload(store_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        simulate(app, SimulationConfig(brokers=3, citizens=12, months=1, seed=3))
        head = app.head()
        reader = log_reader(app.wiring.events, app.wiring.store, event_topics())
        try:
            everything = reader.read(1, head)
            for start, last, limit in [(1, head, head), (1, head, 5), (7, head - 3, 2), (4, 3, 9)]:
                reached, some = reader.read_topics(start, last, limit, wanted)
                expected = [(p, e) for p, e in everything if start <= p <= last and wanted(type(e))]
                if len(expected) >= limit:
                    assert reached == expected[limit - 1][0], label
                    expected = expected[:limit]
                else:
                    assert reached == max(last, start - 1), label
                assert [p for p, _ in some] == [p for p, _ in expected]
                assert [e.__dict__ for _, e in some] == [e.__dict__ for _, e in expected]
        finally:
            reader.close()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_database_selects_the_rows_by_topic(kind: str, request: pytest.FixtureRequest) -> None:
    """The choice is made in the database, by the topics the catalogue names for the
    wanted classes: rows whose topic it names for a class nobody wants are not read at
    all (here the topic of `CaseAssigned`, named for another class: its rows would decode
    as broker events if they were read), and a catalogue without the broker topics reads
    no broker row; a reader without a catalogue goes through every row."""
    url = request.getfixturevalue("sqlite_url" if kind == "sqlite" else "postgres_url")

    def brokers(kind: type[Any]) -> bool:
        return issubclass(kind, Broker.Event)

    with Caseload(url, pseudonym_key=KEY, clock=fixed_clock) as app:
        simulate(app, SimulationConfig(brokers=3, citizens=12, months=1, seed=3))
        head = app.head()
        full = [p for p, e in LogReader(app.wiring.events).read(1, head) if brokers(type(e))]
        topics = event_topics()
        assigned = next(t for t, c in topics.items() if c is Broker.CaseAssigned)
        misnamed = {**topics, assigned: Trajectory.ContactRecorded}
        reader = log_reader(app.wiring.events, app.wiring.store, misnamed)
        _, some = reader.read_topics(1, head, head, brokers)
        reader.close()
        assert some
        assert all(type(e) is not Broker.CaseAssigned for _, e in some)
        assert len(some) < len(full)
        unnamed = {t: c for t, c in topics.items() if not issubclass(c, Broker.Event)}
        reader = log_reader(app.wiring.events, app.wiring.store, unnamed)
        reached, none = reader.read_topics(1, head, head, brokers)
        reader.close()
        assert (reached, none) == (head, [])
        reader = log_reader(app.wiring.events, app.wiring.store)
        _, every = reader.read_topics(1, head, head, brokers)
        reader.close()
        assert [p for p, _ in every] == full


FOREIGN = "elsewhere.domain:Thing.Happened"
"""A topic no programme kind stores events under (nor resolves)."""


def test_rows_of_other_topics_are_not_returned(store_url: str) -> None:
    """Rows of a topic outside the catalogue, whose state no decoder can read, lie among
    the log's rows: a read of every class by topic passes over them (the database never
    returns them, or their decoding would fail), and gives exactly the events a full read
    of the log without them gives; a full read of every row meets them and refuses the
    log, naming the position."""
    with Caseload(store_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        simulate(app, SimulationConfig(brokers=2, citizens=6, months=1, seed=6))
        before = LogReader(app.wiring.events).read(1, app.head())
        foreign = [StoredEvent(uuid4(), 1, FOREIGN, state) for state in (b"not an event", b"")]
        app.wiring.events.recorder.insert_events(foreign)
        app.register_broker(name="Broker after", team="Team A", fte=1.0, on=TODAY)
        head = app.head()
        reader = log_reader(app.wiring.events, app.wiring.store, event_topics)
        try:
            reached, found = reader.read_topics(1, head, head, lambda kind: True)
            assert reached == head
            skipped = {len(before) + 1, len(before) + 2}
            assert [p for p, _ in found] == [p for p in range(1, head + 1) if p not in skipped]
            assert [e.__dict__ for _, e in found[: len(before)]] == [e.__dict__ for _, e in before]
            with pytest.raises(LogAltered, match=f"position {len(before) + 1} "):
                reader.read(1, head)
        finally:
            reader.close()


class CountingSource:
    """A log source that notes the class of every decoded event it hands out."""

    def __init__(self, reader: LogReader) -> None:
        self._reader = reader
        self.seen: list[type[Any]] = []

    def head(self) -> int:
        return self._reader.head()

    def read(self, start: int, limit: int) -> list[tuple[int, Any]]:
        batch = self._reader.read(start, limit)
        self.seen.extend(type(event) for _, event in batch)
        return batch

    def read_topics(
        self, start: int, last: int, limit: int, wanted: Any
    ) -> tuple[int, list[tuple[int, Any]]]:
        reached, batch = self._reader.read_topics(start, last, limit, wanted)
        self.seen.extend(type(event) for _, event in batch)
        return reached, batch


def test_a_rebuild_of_one_model_reads_only_the_events_it_folds(store_url: str) -> None:
    """Rebuilding one read model decodes only events of classes it has a handler for,
    reaches the digest of a direct fold, and leaves the other models' stored states as
    they were."""
    with Caseload(store_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        simulate(app, SimulationConfig(brokers=3, citizens=12, months=1, seed=4))
        reader = log_reader(app.wiring.events, app.wiring.store, event_topics())
        source = CountingSource(reader)
        store = MemoryProjectionStore()
        projections = Projections(source, store, default_read_models())  # type: ignore[arg-type]
        projections.catch_up(persist=True)
        names = [model.name for model in default_read_models()]
        before = store.load(names)
        source.seen.clear()
        result = projections.rebuild("caseload")
        model = next(m for m in default_read_models() if m.name == "caseload")
        assert source.seen
        assert all(model.handler(kind) is not None for kind in source.seen)
        assert result.events == app.head()
        expected = folded_digests(list(app.events()))
        assert dict(result.digests) == {"caseload": expected["caseload"]}
        after = store.load(names)
        assert {n: after[n] for n in names if n != "caseload"} == {
            n: before[n] for n in names if n != "caseload"
        }
        reader.close()


def test_a_rebuild_of_one_model_on_a_new_store_reads_only_its_rows(store_url: str) -> None:
    """On a store whose read models were never folded, rebuilding one decodes only the
    events it folds (not every event for the shared time index), leaves the others and
    the index unwritten, and the others catch up afterwards to the digests of a direct
    fold; an as-of state then equals one from a store folded whole."""
    with Caseload(store_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        config = SimulationConfig(brokers=3, citizens=12, months=2, seed=5)
        simulate(app, config)
        reader = log_reader(app.wiring.events, app.wiring.store, event_topics())
        source = CountingSource(reader)
        store = MemoryProjectionStore()
        projections = Projections(source, store, default_read_models())  # type: ignore[arg-type]
        result = projections.rebuild("caseload")
        model = next(m for m in default_read_models() if m.name == "caseload")
        assert source.seen
        assert all(model.handler(kind) is not None for kind in source.seen)
        assert len(source.seen) < app.head()
        expected = folded_digests(list(app.events()))
        assert dict(result.digests) == {"caseload": expected["caseload"]}
        names = [m.name for m in default_read_models()]
        assert set(store.load([*names, "log_index"])) == {"caseload"}
        assert projections.digests() == expected
        other = log_reader(app.wiring.events, app.wiring.store, event_topics())
        whole = Projections(other, MemoryProjectionStore(), default_read_models())  # type: ignore[arg-type]
        whole.catch_up(persist=True)
        day = config.start + timedelta(days=30)  # part way through the simulation
        assert model.digest(projections.state_as_of("caseload", as_true_on=day)) == model.digest(
            whole.state_as_of("caseload", as_true_on=day)
        )
        assert (
            model.digest(projections.state_as_of("caseload", as_true_on=day))
            != (expected["caseload"])
        )
        reader.close()
        other.close()


@settings(max_examples=25)
@given(
    history=histories(max_size=30),
    every=st.integers(1, 6),
    per_doubling=st.integers(0, 3),
    batch=st.integers(1, 12),
    cut=st.integers(0, 30),
)
def test_models_that_lag_take_the_checkpoints_a_full_fold_takes(
    history: list[Any], every: int, per_doubling: int, batch: int, cut: int
) -> None:
    """Read models folded on their own rows only (they lag behind the others, as in a
    rebuild or after a version change; here one from the start and one from part way)
    end with the same states, and checkpoints at the same positions with the same
    digests, as when they are folded with every event."""
    lagging_models = ("caseload", "role_coverage")
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        models: list[ReadModel[Any]] = list(default_read_models())
        together, alone = MemoryProjectionStore(), MemoryProjectionStore()
        options = {
            "checkpoint_every": every,
            "checkpoints_per_doubling": per_doubling,
            "batch_size": batch,
        }

        def folded(store: MemoryProjectionStore, chosen: list[ReadModel[Any]]) -> None:
            Projections(LogReader(app.wiring.events), store, chosen, **options).catch_up(
                persist=True
            )

        run_history(app, history[:cut], start=START + timedelta(days=1))
        folded(alone, [m for m in models if m.name == "role_coverage"])
        run_history(app, history[cut:], start=START + timedelta(days=1 + cut))
        folded(together, models)
        folded(alone, [m for m in models if m.name not in lagging_models])
        lagging = Projections(LogReader(app.wiring.events), alone, models, **options)
        lagging.catch_up(persist=True)
        assert lagging.digests() == folded_digests(list(app.events()))
        for name in lagging_models:
            version = next(m.version for m in models if m.name == name)
            for at in CheckpointSchedule(every, per_doubling).between(1, app.head()):
                kept = together.checkpoint(name, version, at)
                found = alone.checkpoint(name, version, at)
                assert kept is not None
                assert found is not None
                assert kept.position == at
                assert (found.position, found.digest) == (kept.position, kept.digest)

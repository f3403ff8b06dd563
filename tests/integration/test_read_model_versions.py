"""The read-model store keeps each version of a read model apart and its state in chunks:
a new version is built beside the served one, and a catch-up writes only what changed."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.domain import DomainEvent

from caseload import Caseload, CaseloadError
from caseload.adapters.log import LogReader
from caseload.adapters.read_model_sql import SQLProjectionStore, projection_store
from caseload.adapters.read_model_store import MemoryProjectionStore, ProjectionStore
from caseload.adapters.storage import parse_store_url
from caseload.domain.errors import ReadModelVersionInUse, UnknownReadModelVersion
from caseload.programmes import default_read_models
from caseload.programmes.resource_pathway.read_models.caseload_counts import CaseloadCounts
from caseload.projections.base import Entries, Handler, ReadModel
from caseload.projections.entities import EntityMap
from caseload.projections.runner import Projections
from tests.conftest import KEY, fixed_clock

START = date(2025, 1, 6)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def some_commands(app: Caseload, citizens: range, on: date = START) -> None:
    """A broker, and trajectories opened, assigned and contacted."""
    broker = app.register_broker(name=f"Broker {citizens.start}", team="Team A", fte=1.0, on=on)
    for number in citizens:
        trajectory = app.open_trajectory(cpr=f"{number % 28 + 1:02d}0190{number:04d}", on=on)
        app.assign(trajectory, broker, on=on)


def folded(models: list[ReadModel[Any]], app: Caseload) -> dict[str, str]:
    """Each model's digest after folding the whole log directly."""
    events = list(app.events())
    digests = {}
    for model in models:
        state = model.initial()
        for event in events:
            model.apply(state, event)
        digests[model.name] = model.digest(state)
    return digests


def store_of(url: str) -> ProjectionStore:
    """A projection store of its own on a store (as another process opens it)."""
    return projection_store(parse_store_url(url))


class CaseloadCountsNext(CaseloadCounts):
    """The next version of a read model: the same fold, stored under another version."""

    version = CaseloadCounts.version + 1


# ------------------------------------------------------------- a new version beside the old


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_new_version_is_built_beside_the_served_one_and_the_switch_loses_nothing(
    kind: str, request: pytest.FixtureRequest, tmp_path: Any
) -> None:
    """Version N+1 is rebuilt and caught up while version N's process goes on folding and
    writing new events; neither touches the other's state, both end at the head with the
    digest of a direct fold, and after the switch version N is dropped."""
    url = (
        f"sqlite:///{tmp_path / 'caseload.db'}"
        if kind == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    with Caseload(url, pseudonym_key=KEY, clock=fixed_clock) as app:
        some_commands(app, range(6))
        old_store, new_store = store_of(url), store_of(url)
        source = LogReader(app.wiring.events)
        served = Projections(source, old_store, [CaseloadCounts()], persist_every=1)
        served.catch_up(persist=True)
        building = Projections(source, new_store, [CaseloadCountsNext()], persist_every=1)
        result = building.rebuild(batch_size=3)
        assert result.complete
        # The old version's process keeps writing while the new one catches up.
        some_commands(app, range(100, 104), on=START + timedelta(days=3))
        served.catch_up(persist=True)
        some_commands(app, range(200, 203), on=START + timedelta(days=5))
        building.catch_up(persist=True)
        served.catch_up(persist=True)
        head = app.head()
        expected = folded([CaseloadCounts()], app)["caseload"]
        versions = {(v.name, v.version): v.position for v in building.stored_versions()}
        assert versions == {
            ("caseload", CaseloadCounts.version): head,
            ("caseload", CaseloadCountsNext.version): head,
        }
        assert served.digests() == {"caseload": expected}
        assert building.digests() == {"caseload": expected}
        # The switch: the new version's processes serve; the old version is dropped.
        dropped = building.drop_version("caseload", CaseloadCounts.version)
        assert (dropped.version, dropped.position) == (CaseloadCounts.version, head)
        after = Projections(source, store_of(url), [CaseloadCountsNext()])
        assert [(v.version, v.position) for v in after.stored_versions()] == [
            (CaseloadCountsNext.version, head)
        ]
        assert after.catch_up() == 0
        assert after.digests() == {"caseload": expected}
        for store in (old_store, new_store):
            store.close()


def test_dropping_the_served_or_an_absent_version_is_refused_and_changes_nothing(
    sqlite_url: str,
) -> None:
    with Caseload(sqlite_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        some_commands(app, range(3))
        app.projections.catch_up(persist=True)
        before = app.projections.stored_versions()
        with pytest.raises(ReadModelVersionInUse, match="version 1 of read model 'caseload'"):
            app.projections.drop_version("caseload", CaseloadCounts.version)
        with pytest.raises(UnknownReadModelVersion, match=r"it holds version 1$"):
            app.projections.drop_version("caseload", 7)
        with pytest.raises(UnknownReadModelVersion, match="no version of that read model"):
            app.projections.drop_version("no_such_model", 1)
        assert app.projections.stored_versions() == before
        assert issubclass(UnknownReadModelVersion, CaseloadError)


def test_the_records_kept_beside_the_read_models_are_neither_listed_nor_dropped(
    sqlite_url: str,
) -> None:
    """The chain anchor a checked rebuild stores, the time index and a rebuild's marker
    live among the read models' states; they are no read model of another version."""
    from caseload.audit.anchor import ANCHOR, check_and_anchor, load_anchor
    from caseload.projections.time_index import INDEX

    with Caseload(sqlite_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        some_commands(app, range(3))
        app.projections.catch_up(persist=True)
        store = app.wiring.read_models()
        assert check_and_anchor(app.wiring.chain(), store).ok
        assert load_anchor(store) is not None
        listed = {v.name for v in app.projections.stored_versions()}
        assert listed == set(app.projections.names)
        for record in (ANCHOR, INDEX, "caseload#rebuild"):
            with pytest.raises(UnknownReadModelVersion, match="no read model but a record"):
                app.projections.drop_version(record, 1)
        assert load_anchor(store) is not None


def test_a_rebuild_leaves_other_versions_alone(sqlite_url: str) -> None:
    url = sqlite_url
    with Caseload(sqlite_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        some_commands(app, range(3))
        source = LogReader(app.wiring.events)
        old = Projections(source, store_of(url), [CaseloadCounts()])
        old.catch_up(persist=True)
        new = Projections(source, store_of(url), [CaseloadCountsNext()])
        new.rebuild()
        positions = {v.version: v.position for v in new.stored_versions()}
        assert positions == {
            CaseloadCounts.version: app.head(),
            CaseloadCountsNext.version: app.head(),
        }
        assert old.digests() == new.digests()


# ------------------------------------------------------------- writes of changed chunks only


class SmallChunks(EntityMap[str, int]):
    """Chunks of two entries or so, so that a few aggregates make many chunks."""

    chunk_entries = 2


class EventsPerAggregate(ReadModel[dict[str, Any]]):
    """How many events each aggregate has: one entry per aggregate, in small chunks."""

    name = "events_per_aggregate"

    def initial(self) -> dict[str, Any]:
        return {"total": 0, "counts": SmallChunks()}

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return {DomainEvent: self._count}

    @staticmethod
    def _count(state: dict[str, Any], event: DomainEvent) -> None:
        state["total"] += 1
        key = event.originator_id.hex
        state["counts"][key] = state["counts"].get(key, 0) + 1

    def encode(self, state: dict[str, Any]) -> Any:
        return {"total": state["total"], "counts": Entries(state["counts"], str, int)}

    def decode(self, data: Any) -> dict[str, Any]:
        return {"total": data["total"], "counts": SmallChunks(data["counts"])}


def test_a_persisted_catch_up_of_one_event_rewrites_only_the_changed_chunk(
    sqlite_url: str,
) -> None:
    """After one new event, a persisted catch-up writes the model's header row, the one
    chunk holding the aggregate the event belongs to, and the time index's row; the same
    holds for a process that has just loaded the state (its chunk caches come from the
    store), and every state still equals a direct fold."""
    url = sqlite_url
    with Caseload(sqlite_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        some_commands(app, range(20))
        broker = app.register_broker(name="Last", team="Team A", fte=1.0, on=START)
        model = EventsPerAggregate()
        source = LogReader(app.wiring.events)
        store = store_of(url)
        assert isinstance(store, SQLProjectionStore)
        projections = Projections(source, store, [model])
        projections.catch_up(persist=True)
        stored = store.load([model.name], {model.name: model.version})[model.name]
        assert len(stored.chunks) > 8
        for step in range(2):
            if step == 1:
                # Another process: it reads the state from the store, then catches up.
                store.close()
                store = store_of(url)
                assert isinstance(store, SQLProjectionStore)
                projections = Projections(source, store, [model])
                assert projections.digests() == folded([model], app)
            app.change_fte(broker, fte=0.5 + step / 10, on=START)
            before = store.rows_written
            assert projections.catch_up(persist=True) == 1
            assert store.rows_written - before == 3  # header, one chunk, the time index
            assert projections.digests() == folded([model], app)
        store.close()


# ------------------------------------------------------------- the same digests on every store


def test_persisted_catch_ups_reloads_and_a_rebuild_equal_a_direct_fold(store_url: str) -> None:
    """On memory, SQLite and PostgreSQL: states written in chunks by catch-ups, read back
    by another process that folds on, and rebuilt from zero, all have the digests of a
    direct fold of the log."""
    with Caseload(store_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        source = LogReader(app.wiring.events)
        shared = None if store_url.startswith("memory") else store_url
        first_store = app.wiring.read_models() if shared is None else store_of(shared)
        first = Projections(source, first_store, default_read_models(), persist_every=2)
        for step in range(3):
            some_commands(app, range(10 * step, 10 * step + 4), on=START + timedelta(days=step))
            first.catch_up(persist=True)
        second_store = app.wiring.read_models() if shared is None else store_of(shared)
        second = Projections(source, second_store, default_read_models())
        stored_at = app.head()
        some_commands(app, range(90, 93), on=START + timedelta(days=9))
        assert second.catch_up(persist=True) == app.head() - stored_at
        expected = folded(list(default_read_models()), app)
        assert second.digests() == expected
        assert first.digests() == expected
        rebuilt = Projections(source, MemoryProjectionStore(), default_read_models())
        assert dict(rebuilt.rebuild(batch_size=4).digests) == expected
        if shared is not None:
            first_store.close()
            second_store.close()


def test_a_store_of_the_earlier_layout_reads_as_it_is_and_is_rewritten_on_write(
    tmp_path: Path,
) -> None:
    """The 0.1 fixture keeps one whole state per read model: read-only it is read from
    there; opened for writing, its states are copied, and a write stores them in chunks
    with the digests of a direct fold."""
    copy = tmp_path / "store.db"
    shutil.copy(FIXTURES / "store-0.1.db", copy)
    url = f"sqlite:///{copy}"
    with Caseload.open_readonly(url) as app:
        held = {v.name: v.position for v in app.projections.stored_versions()}
        assert held["caseload"] == app.head()
    with Caseload(url) as app:
        assert {v.name: v.position for v in app.projections.stored_versions()} == held
        app.projections.catch_up(persist=True)
        expected = folded(list(default_read_models()), app)
        assert app.projections.digests() == expected
    with sqlite3.connect(copy) as db:
        chunked = db.execute("SELECT COUNT(*) FROM caseload_read_model_chunks").fetchone()[0]
        unknown = db.execute(
            "SELECT name, version FROM caseload_read_model_states WHERE digest = ''"
        ).fetchall()
    # Written again: every state of a version this release serves (the time index, and the
    # states of versions it no longer serves, keep no digest).
    served = {(model.name, model.version) for model in default_read_models()}
    assert unknown
    assert not set(unknown) & served
    assert chunked > 0
    with Caseload.open_readonly(url) as app:
        assert app.projections.digests() == expected

"""Checkpoints are stored as a header and a list of chunks, each chunk's text once per read
model, version and digest: what is read back is what was checkpointed, on memory, SQLite
and PostgreSQL alike, and whole checkpoints of earlier releases are still read."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseload import Caseload, ProjectionSettings
from caseload.adapters.log import LogReader
from caseload.adapters.read_model_store import ProjectionStore, compress
from caseload.domain.errors import CheckpointChunkMissing
from caseload.programmes import default_read_models
from caseload.programmes.resource_pathway.read_models.caseload_counts import CaseloadCounts
from caseload.projections import stored_state
from caseload.projections.base import canonical_chunks
from caseload.projections.folding import Live
from caseload.projections.runner import Projections
from caseload.projections.time_index import TimeIndex
from caseload.projections.writing import StateWriter
from tests.conftest import KEY, fixed_clock
from tests.integration.test_read_model_versions import (
    START,
    CaseloadCountsNext,
    EventsPerAggregate,
    SmallChunks,
    some_commands,
    store_of,
)

_names = itertools.count()

KEYS = st.sampled_from([f"{letter}{digit}" for letter in "abcdef" for digit in range(4)])
CHANGES = st.lists(st.tuples(KEYS, st.none() | st.integers(0, 3)), max_size=6)
"""A step's changes to the map: set a key's count, or delete it (None)."""
STEPS = st.lists(
    st.tuples(CHANGES, st.booleans(), st.booleans()),
    min_size=1,
    max_size=8,
)
"""Per checkpoint: the changes before it, whether a write follows it, and whether the
write is by a new writer (another process, which remembers no chunk it wrote)."""


@pytest.fixture
def store(store_url: str) -> Iterator[ProjectionStore]:
    """A read-model store of each kind, opened as a process of its own opens it."""
    with Caseload(store_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        opened = app.wiring.read_models() if store_url.startswith("memory") else None
        store = opened if opened is not None else store_of(store_url)
        yield store
        if opened is None:
            store.close()


def _plain(total: int, counts: dict[str, int]) -> dict[str, Any]:
    """A fresh state holding these counts (its map encodes everything anew)."""
    return {"total": total, "counts": SmallChunks(dict(counts))}


@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=STEPS)
def test_every_checkpoint_reads_back_as_taken_and_shared_chunks_are_stored_once(
    store: ProjectionStore, steps: list[tuple[list[tuple[str, int | None]], bool, bool]]
) -> None:
    """For any sequence of states checkpointed (written one by one or several at once, by
    one writer or by writers that remember nothing), each checkpoint read back has the
    digest and the data of the state it was taken of, and the store holds each distinct
    chunk once."""
    model = type("Counted", (EventsPerAggregate,), {"name": f"counted_{next(_names)}"})()
    state = model.initial()
    live = {model.name: Live(model, state, 0, 0)}
    index = TimeIndex()
    writer = StateWriter(store, seconds=0, work_ratio=0)
    taken: dict[int, tuple[str, dict[str, Any]]] = {}
    digests: set[bytes] = set()
    for position, (changes, write, new_writer) in enumerate(steps, start=1):
        for key, count in changes:
            if count is None:
                state["counts"].pop(key, None)
            else:
                state["counts"][key] = count
        state["total"] = sum(state["counts"].values())
        checkpoint = stored_state.freeze(model, state, position)
        writer.pending.append((model.name, checkpoint))
        digests.update(digest for _, digest in checkpoint.chunks.values())
        expected = _plain(state["total"], state["counts"])
        taken[position] = (
            model.digest(expected),
            {"total": state["total"], "counts": dict(state["counts"])},
        )
        live[model.name].position = position
        live[model.name].dirty = True
        if write or position == len(steps):
            if new_writer:
                pending = writer.pending
                writer = StateWriter(store, seconds=0, work_ratio=0)
                writer.pending = pending
            assert writer.write(live, index)
    for position, (digest, data) in taken.items():
        read = store.checkpoint(model.name, model.version, position)
        assert read is not None
        assert read.position == position
        assert read.digest == digest
        assert stored_state.thaw_state(read) == data
        restored = stored_state.restore(model, read)
        assert restored["total"] == data["total"]
        assert dict(restored["counts"]) == data["counts"]
    assert store.checkpoint_chunks(model.name, model.version) == len(digests)


def test_a_write_that_leaves_out_a_chunk_the_store_lacks_is_refused_in_memory() -> None:
    """The in-memory store checks what a database cannot cheaply: a checkpoint that counts
    on a chunk the store does not hold is refused, naming the model, position and chunk,
    and nothing of the commit is kept."""
    from caseload.adapters.read_model_store import MemoryProjectionStore

    store = MemoryProjectionStore()
    model = EventsPerAggregate()
    state = model.initial()
    state["counts"].update({"a1": 1, "b2": 2})
    checkpoint = stored_state.freeze(model, state, 7)
    leaving_out = checkpoint.__class__(
        checkpoint.version,
        checkpoint.position,
        checkpoint.state,
        checkpoint.digest,
        checkpoint.chunks,
        frozenset(),
    )
    with pytest.raises(CheckpointChunkMissing) as refused:
        store.commit({}, {}, checkpoints=[(model.name, leaving_out)])
    assert "events_per_aggregate" in str(refused.value)
    assert "log position 7" in str(refused.value)
    assert store.checkpoint(model.name, model.version, 7) is None
    assert store.checkpoint_chunks(model.name, model.version) == 0


def _rebuilt_with_checkpoints(url: str, versions: list[Any]) -> tuple[Caseload, list[Any]]:
    app = Caseload(url, pseudonym_key=KEY, clock=fixed_clock)
    some_commands(app, range(12))
    some_commands(app, range(20, 30))
    source = LogReader(app.wiring.events)
    built = []
    for model in versions:
        projections = Projections(
            source, app.wiring.read_models(), [model], ProjectionSettings(checkpoint_every=5)
        )
        projections.rebuild()
        built.append(projections)
    return app, built


def test_dropping_a_version_deletes_its_checkpoints_and_their_chunks(store_url: str) -> None:
    """Dropping a version deletes its checkpoints and the chunks they hold; the other
    version's stay, and its as-of answers with them. A rebuild started over keeps every
    checkpoint and chunk (the same state at the same position) and stores no chunk twice."""
    old, new = CaseloadCounts(), CaseloadCountsNext()
    app, (_, serving) = _rebuilt_with_checkpoints(store_url, [old, new])
    with app:
        store = app.wiring.read_models()
        held = store.checkpoint_chunks(new.name, new.version)
        assert store.checkpoint_chunks(old.name, old.version) > 0
        assert held > 0
        before = serving.state_as_of(new.name, as_true_on=START)
        serving.rebuild()
        assert store.checkpoint_chunks(new.name, new.version) == held
        serving.drop_version(old.name, old.version)
        assert store.checkpoint_chunks(old.name, old.version) == 0
        assert store.checkpoint(old.name, old.version, app.head()) is None
        assert store.checkpoint_chunks(new.name, new.version) == held
        assert store.checkpoint(new.name, new.version, app.head()) is not None
        assert serving.state_as_of(new.name, as_true_on=START) == before


def test_a_whole_checkpoint_of_an_earlier_release_is_read_until_a_later_one_in_chunks(
    tmp_path: Path,
) -> None:
    """A store written before checkpoints were kept in chunks has them whole: such a
    checkpoint is read as it is, and a checkpoint in chunks at a later position is
    preferred from there on."""
    url = f"sqlite:///{tmp_path / 'earlier.db'}"
    model = EventsPerAggregate()
    with Caseload(url, pseudonym_key=KEY, clock=fixed_clock) as app:
        some_commands(app, range(6))
        store = app.wiring.read_models()
        state = model.initial()
        state["counts"].update({"a1": 3, "c2": 1})
        state["total"] = 4
        whole = compress(b"".join(canonical_chunks(model.encode(state))))
        with sqlite3.connect(tmp_path / "earlier.db") as db:
            db.execute(
                "INSERT INTO caseload_checkpoints VALUES (?, ?, ?, ?, ?)",
                (model.name, model.version, 10, whole, model.digest(state)),
            )
        read = store.checkpoint(model.name, model.version, 15)
        assert read is not None
        assert (read.position, read.digest, read.chunks) == (10, model.digest(state), {})
        assert dict(stored_state.restore(model, read)["counts"]) == {"a1": 3, "c2": 1}
        state["counts"]["d3"] = 2
        later = stored_state.freeze(model, state, 20)
        assert store.commit({}, {}, checkpoints=[(model.name, later)])
        newest = store.checkpoint(model.name, model.version, 25)
        assert newest is not None
        assert (newest.position, newest.digest) == (20, model.digest(state))
        assert store.checkpoint(model.name, model.version, 19) == read


def test_a_checkpoint_naming_a_chunk_the_store_lost_is_an_error_and_a_finding(
    tmp_path: Path,
) -> None:
    """A checkpoint whose chunk row is gone is refused on reading, naming the model and
    position, and `verify` reports it instead of failing."""
    path = tmp_path / "lost.db"
    settings_ = ProjectionSettings(checkpoint_every=10, index_every=8)
    with Caseload(str(path), pseudonym_key=KEY, projection_settings=settings_) as app:
        some_commands(app, range(15))
        app.projections.rebuild()
    with sqlite3.connect(path) as db:
        position = db.execute(
            "SELECT MAX(position) FROM caseload_checkpoint_heads WHERE name = 'outcomes'"
        ).fetchone()[0]
        db.execute("DELETE FROM caseload_checkpoint_chunks WHERE name = 'outcomes'")
    with Caseload(str(path), pseudonym_key=KEY) as app:
        store = app.wiring.read_models()
        with pytest.raises(CheckpointChunkMissing) as refused:
            store.checkpoint("outcomes", default_outcomes_version(), position)
        assert f"read model 'outcomes' (version {default_outcomes_version()}) at log " in str(
            refused.value
        )
        assert f"position {position}" in str(refused.value)
        check = app.verify().checks[2]
    assert not check.ok
    assert check.finding is not None
    assert "the store does not hold" in check.finding.message


def default_outcomes_version() -> int:
    """The version of the `outcomes` read model this library serves."""
    return next(model.version for model in default_read_models() if model.name == "outcomes")

"""A rebuild lets go of the compressed text of the retired chunks its checkpoints stored,
and reads them back from the store by digest when they are needed: on memory, SQLite and
PostgreSQL the states, digests and answers are those of a direct fold, and a chunk the
store no longer holds is a clear error."""

from __future__ import annotations

from typing import Any

import pytest

from caseload import Caseload
from caseload.adapters.log import LogReader
from caseload.domain.errors import CheckpointChunkMissing
from caseload.programmes import default_read_models
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from caseload.projections.base import Entries, ReadModel, canonical_chunks
from caseload.projections.chunked import ChunkedDict
from caseload.projections.runner import Projections
from tests.conftest import KEY, fixed_clock
from tests.integration.test_projection_runner import folded_digests

CONFIG = SimulationConfig(citizens=40, brokers=2, months=8, seed=4)
"""Enough closures for retired chunks of several months."""


def _maps(model: ReadModel[Any], state: Any) -> list[ChunkedDict[Any, Any]]:
    encoded = model.encode(state)
    found = [encoded] if isinstance(encoded, Entries) else []
    if type(encoded) is dict:
        found = [item for item in encoded.values() if isinstance(item, Entries)]
    return [entries.items for entries in found if isinstance(entries.items, ChunkedDict)]


def _rebuilt(app: Caseload) -> tuple[Projections, dict[str, ReadModel[Any]], dict[str, str]]:
    models = {model.name: model for model in default_read_models()}
    runner = Projections(
        LogReader(app.wiring.events),
        app.wiring.read_models(),
        list(models.values()),
        checkpoint_every=40,
        batch_size=25,
    )
    result = runner.rebuild()
    return runner, models, dict(result.digests)


def _in_store(runner: Projections, models: dict[str, ReadModel[Any]]) -> int:
    return sum(
        chunks.in_store
        for name, model in models.items()
        for chunks in _maps(model, runner.state(name))
    )


def test_a_rebuild_reads_its_released_chunks_back_from_the_store(store_url: str) -> None:
    """A rebuild ends holding retired chunks in the store only, with every digest that of
    a direct fold; walking the states reads those chunks back from the store (the same
    canonical text as a fresh fold's), and a catch-up after more events still equals a
    direct fold of the whole log."""
    with Caseload(store_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        simulate(app, CONFIG)
        reads = 0
        store = app.wiring.read_models()
        original = store.checkpoint_chunk

        def counted(name: str, version: int, digest: bytes) -> bytes:
            nonlocal reads
            reads += 1
            return original(name, version, digest)

        store.checkpoint_chunk = counted  # type: ignore[method-assign]
        runner, models, digests = _rebuilt(app)
        assert digests == folded_digests(list(app.events()))
        assert _in_store(runner, models) > 0
        reads = 0
        for name, model in models.items():
            state = runner.state(name)
            fresh = model.initial()
            for event in app.events():
                model.apply(fresh, event)
            assert b"".join(canonical_chunks(model.encode(state))) == b"".join(
                canonical_chunks(model.encode(fresh))
            )
        assert reads > 0
        simulate(app, SimulationConfig(citizens=10, brokers=1, months=2, seed=9))
        runner.catch_up()
        assert runner.digests() == folded_digests(list(app.events()))


def test_a_released_chunk_the_store_lost_is_a_clear_error(store_url: str) -> None:
    """A version dropped under a rebuild's states in memory takes their released chunks
    with it: reading one back is a `CheckpointChunkMissing` naming the model and version,
    never wrong data."""
    with Caseload(store_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        simulate(app, CONFIG)
        runner, models, _ = _rebuilt(app)
        name, model = next(
            (name, model)
            for name, model in models.items()
            if any(chunks.in_store for chunks in _maps(model, runner.state(name)))
        )
        held = [chunks for chunks in _maps(model, runner.state(name)) if chunks.in_store]
        app.wiring.read_models().drop_version(name, model.version)
        with pytest.raises(CheckpointChunkMissing) as refused:
            list(held[0].values())
        assert f"read model {name!r} (version {model.version})" in str(refused.value)

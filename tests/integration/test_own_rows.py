"""A read model folded from its own rows (selected by topic in the database) equals one
folded from every row, on every kind of store."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseload import Caseload
from caseload.adapters.log import LogReader, log_reader
from caseload.adapters.read_model_store import MemoryProjectionStore
from caseload.programmes import default_read_models, event_topics
from caseload.projections.checkpointing import CheckpointSchedule
from caseload.projections.runner import Projections
from caseload.testing import histories, run_history
from tests.conftest import KEY, POSTGRES_URL, drop_schema, examples, fixed_clock
from tests.integration.test_projection_runner import START, folded_digests
from tests.integration.test_routing_by_topic import CountingSource

NAMES = [model.name for model in default_read_models()]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_kind(request: pytest.FixtureRequest) -> str:
    """A kind of store (PostgreSQL only where a server answers, as `postgres_url` says)."""
    if request.param == "postgresql":
        request.getfixturevalue("postgres_available")
    return str(request.param)


@contextmanager
def fresh_store(kind: str, directory: Path) -> Iterator[str]:
    """The URL of a new, empty store of `kind` (one per example), removed afterwards."""
    if kind == "memory":
        yield "memory://"
    elif kind == "sqlite":
        yield f"sqlite:///{directory / f'{uuid.uuid4().hex}.db'}"
    else:
        schema = f"caseload_test_{uuid.uuid4().hex[:12]}"
        separator = "&" if "?" in POSTGRES_URL else "?"
        try:
            yield f"{POSTGRES_URL}{separator}schema={schema}"
        finally:
            drop_schema(schema)


def checkpoints(
    store: MemoryProjectionStore, name: str, schedule: CheckpointSchedule, head: int
) -> list[tuple[int, str] | None]:
    """The position and digest of each checkpoint of `name` the schedule puts up to `head`."""
    version = next(m.version for m in default_read_models() if m.name == name)
    found = [store.checkpoint(name, version, at) for at in schedule.between(1, head)]
    return [None if c is None else (c.position, c.digest) for c in found]


def stop_after(batches: int) -> Callable[[], bool]:
    """A rebuild's `stop`, which asks it to stop after `batches` batches."""
    asked = iter(range(batches))
    return lambda: next(asked, None) is None


@settings(
    max_examples=examples(15),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    history=histories(max_size=30),
    name=st.sampled_from(NAMES),
    every=st.integers(1, 6),
    batch=st.integers(1, 12),
    stops=st.lists(st.integers(1, 6), max_size=2),
)
def test_a_model_folded_from_its_own_rows_equals_one_folded_from_all_rows(
    store_kind: str,
    tmp_path_factory: pytest.TempPathFactory,
    history: list[Any],
    name: str,
    every: int,
    batch: int,
    stops: list[int],
) -> None:
    """A read model rebuilt alone reads only the events of classes it folds (the rows of
    their topics, selected by the store), however often the rebuild is stopped after a
    few batches and resumed, and ends with the digest of a direct fold of every event and
    the checkpoints, at the same positions with the same digests, of every model folded
    together from every row."""
    directory = tmp_path_factory.mktemp("own-rows")
    with (
        fresh_store(store_kind, directory) as url,
        Caseload(url, pseudonym_key=KEY, clock=fixed_clock) as app,
    ):
        run_history(app, history, start=START)
        head = app.head()
        options = {"checkpoint_every": every, "batch_size": batch}
        schedule = CheckpointSchedule(every, 4)
        reader = log_reader(app.wiring.events, app.wiring.store, event_topics)
        source = CountingSource(reader)
        alone = MemoryProjectionStore()
        projections = Projections(source, alone, default_read_models(), **options)  # type: ignore[arg-type]
        saved = 0
        for after in stops:
            result = projections.rebuild(name, batch_size=batch, stop=stop_after(after))
            # A stopped rebuild goes on, next time, from where it wrote its progress.
            assert result.resumed_from == saved
            saved = 0 if result.complete else result.saved
        result = projections.rebuild(name, batch_size=batch)
        assert result.resumed_from == saved
        reader.close()
        model = next(m for m in default_read_models() if m.name == name)
        assert all(model.handler(kind) is not None for kind in source.seen)
        assert dict(result.digests) == {name: folded_digests(list(app.events()))[name]}
        together = MemoryProjectionStore()
        whole = Projections(
            LogReader(app.wiring.events), together, default_read_models(), **options
        )
        whole.catch_up(persist=True)
        assert checkpoints(alone, name, schedule, head) == checkpoints(
            together, name, schedule, head
        )

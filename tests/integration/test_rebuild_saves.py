"""A rebuild writes its work on a schedule of events and of seconds of work, and stops on
request with its work written: what lets `caseload rebuild` resume within seconds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseload import Caseload
from caseload.projections.runner import Progress, ProjectionSettings
from tests.conftest import KEY, examples, fixed_clock
from tests.unit._support import give_cases, register


def _store(path: Path, persist_seconds: float, work_ratio: float = 10.0) -> Caseload:
    """A SQLite store of 2 brokers and 24 cases, read with the given save interval."""
    with Caseload(f"sqlite:///{path}", pseudonym_key=KEY, clock=fixed_clock) as writer:
        if not writer.head():
            for _ in range(2):
                give_cases(writer, register(writer), 12)
    return Caseload(
        f"sqlite:///{path}",
        pseudonym_key=KEY,
        clock=fixed_clock,
        projection_settings=ProjectionSettings(
            persist_seconds=persist_seconds, persist_work_ratio=work_ratio
        ),
    )


def test_a_late_write_is_due_after_every_batch_when_the_interval_is_zero(tmp_path: Path) -> None:
    """With no seconds between writes and no share of the work they must keep to, every
    batch's work is written before it is reported: the saved position follows the folded
    one."""
    steps: list[Progress] = []
    with _store(tmp_path / "s.db", persist_seconds=0.0, work_ratio=0.0) as app:
        app.projections.rebuild(batch_size=7, progress=steps.append)
        head = app.head()
    assert len(steps) > 3
    assert [step.saved for step in steps] == [step.position for step in steps]
    assert steps[-1].position == head


def test_without_time_or_count_due_only_the_end_is_written(tmp_path: Path) -> None:
    """With a long interval and the default checkpoint spacing, nothing is written before
    the last batch: the seconds, not the count, are what make the earlier writes."""
    steps: list[Progress] = []
    with _store(tmp_path / "s.db", persist_seconds=3600.0) as app:
        app.projections.rebuild(batch_size=7, progress=steps.append)
    assert [step.saved for step in steps[:-1]] == [0] * (len(steps) - 1)
    assert steps[-1].saved == steps[-1].position


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The log of `_store`, written once: each example rebuilds a copy of it, since what
    varies is where the rebuild stops, never the log."""
    path = tmp_path_factory.mktemp("rebuild-saves") / "written.db"
    _store(path, persist_seconds=3600.0).close()
    return path


@settings(max_examples=examples(10), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stop_after=st.integers(min_value=1, max_value=12), every=st.integers(1, 40))
def test_a_stopped_rebuild_resumes_where_its_work_was_written(
    written: Path, tmp_path: Path, stop_after: int, every: int
) -> None:
    """Stopped after any batch, the rebuild has written everything it folded; the next
    rebuild resumes from exactly there, and ends with the digests of one that never
    stopped."""
    path = tmp_path / f"s-{stop_after}-{every}.db"
    shutil.copyfile(written, path)
    with _store(path, persist_seconds=3600.0) as app:
        whole = app.projections.rebuild(batch_size=5)
        batches = [0]

        def stop() -> bool:
            batches[0] += 1
            return batches[0] >= stop_after

        steps: list[Progress] = []
        stopped = app.projections.rebuild(
            batch_size=5, persist_every=every, stop=stop, progress=steps.append
        )
        resumed = app.projections.rebuild(batch_size=5, persist_every=every)
        head = app.head()
    assert not stopped.complete
    # Everything folded before the stop is written (a batch reads at least 5 positions:
    # the read models' rows only, when the time index is already ahead of them).
    assert stopped.saved == steps[-1].position
    assert min(5 * stop_after, head) <= stopped.saved <= head
    assert resumed.resumed_from == stopped.saved
    assert resumed.events == head - stopped.saved
    assert resumed.digests == whole.digests

"""The peer for rebuilding one read model: eventsourcing's own `Projection`.

The peer is a `Projection` whose `topics` are the stored topics of the events the read
model folds, with an in-memory view (eventsourcing's `POPOTrackingRecorder`) holding the
read model's state, folded by the library's own handlers. It is fed the way
eventsourcing's runner feeds a projection: the application recorder's
`select_notifications(..., topics=...)`, so the database returns only those rows, each
turned into a domain event by the application's mapper and passed to `process_event`
with its `Tracking`. (SQLite's recorder offers no subscription, so the benchmark pulls the
notifications in batches itself, as the subscription would on PostgreSQL.)

Its state's digest must equal the library's rebuild of the same model, or the comparison
is void.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from functools import singledispatchmethod
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.popo import POPOTrackingRecorder
from eventsourcing.projection import Projection
from eventsourcing.utils import resolve_topic

from caseload import Caseload
from caseload.programmes import default_read_models, programme_kinds
from caseload.projections.base import ReadModel

BATCH = 5_000


class StateView(POPOTrackingRecorder):
    """An in-memory materialised view: one read model's state and the tracking position."""

    def __init__(self, model: ReadModel[Any]) -> None:
        super().__init__()
        self.model = model
        self.state = model.initial()


class ModelProjection(Projection[StateView]):
    """One read model as an eventsourcing projection, filtered by topic in the database."""

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        view = self.view
        view.model.apply(view.state, domain_event)
        view.insert_tracking(tracking)


def model_named(name: str) -> ReadModel[Any]:
    """The library's read model of that name."""
    return next(model for model in default_read_models() if model.name == name)


def folded_topics(stored: Iterable[str], model: ReadModel[Any]) -> tuple[str, ...]:
    """Of the topics stored in a log, those whose events the model has a handler for."""
    return tuple(sorted(topic for topic in stored if model.handler(resolve_topic(topic))))


def sqlite_topics(path: Path) -> list[str]:
    """The distinct topics of a SQLite log."""
    connection = sqlite3.connect(path)
    try:
        return [
            topic for (topic,) in connection.execute("SELECT DISTINCT topic FROM stored_events")
        ]
    finally:
        connection.close()


def peer_rebuild(url: str, name: str, topics: tuple[str, ...]) -> tuple[int, float, float, str]:
    """Rows read, seconds, CPU seconds and the state's digest of the peer's rebuild of one
    model."""
    with Caseload(url) as app:
        events = app.wiring.events
        projection = type("Peer", (ModelProjection,), {"topics": topics})(
            view=StateView(model_named(name))
        )
        programme_kinds()  # a process's one-time import, before the clock on both sides
        cpu = time.process_time()
        started = time.perf_counter()
        rows = 0
        start = 1
        while batch := events.recorder.select_notifications(
            start=start, limit=BATCH, topics=projection.topics
        ):
            for notification in batch:
                projection.process_event(
                    events.mapper.to_domain_event(notification),
                    Tracking(events.name, notification.id),
                )
            rows += len(batch)
            start = batch[-1].id + 1
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        view = projection.view
        return rows, seconds, cpu, view.model.digest(view.state)


def library_rebuild(url: str, name: str) -> tuple[float, float, str]:
    """Seconds, CPU seconds and digest of the library's rebuild of one read model."""
    with Caseload(url) as app:
        programme_kinds()  # a process's one-time import, before the clock on both sides
        cpu = time.process_time()
        result = app.projections.rebuild(name)
        cpu = time.process_time() - cpu
        return result.seconds, cpu, dict(result.digests)[name]

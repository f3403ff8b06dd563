"""Every aggregate class of every programme can be snapshotted, and the snapshot equals a
replay of its events (the store snapshots each aggregate every 50 events)."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from eventsourcing.persistence import IntegrityError

from caseload import Caseload
from caseload.audit.snapshots import check_store_snapshots
from caseload.programmes import PROGRAMMES, ProgrammeKind
from tests.conftest import KEY


@pytest.mark.parametrize("kind", PROGRAMMES, ids=lambda kind: kind.key)
def test_each_aggregate_class_snapshots_and_equals_its_replay(kind: ProgrammeKind) -> None:
    """One aggregate of each class of the kind, from its small simulation, is snapshotted
    at its latest version; every snapshot then equals the aggregate replayed from events."""
    with Caseload("memory://", pseudonym_key=KEY, clock=lambda: date(2025, 6, 30)) as app:
        kind.simulation(app)
        events = app.wiring.events
        first_of: dict[type, object] = {}
        for event in app.events():
            owner = type(events.repository.get(event.originator_id))
            first_of.setdefault(owner, event.originator_id)
        assert set(first_of) >= set(kind.aggregates)
        for aggregate_class in kind.aggregates:
            # The store may have snapshotted it at this very version already (every 50
            # events): then that snapshot is the one checked.
            with contextlib.suppress(IntegrityError):
                events.take_snapshot(first_of[aggregate_class])
        checked, problems = check_store_snapshots(app.wiring)
    assert problems == []
    assert checked >= len(kind.aggregates)

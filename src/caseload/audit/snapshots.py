"""Checking aggregate snapshots against a replay of the events they summarise.

A snapshot lets a command load a long-lived broker or trajectory without replaying all its
events. It is derived data like a read model: an altered snapshot would make commands
decide on a false state (a broker's cases, a trajectory's broker) while the log itself is
intact. So each snapshot must equal the aggregate rebuilt from its events up to the
snapshot's version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import groupby
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent

if TYPE_CHECKING:
    from caseload.application.bootstrap import Wiring

__all__ = ["check_snapshots", "check_store_snapshots"]


def _state(aggregate: Any) -> dict[str, Any]:
    state = dict(vars(aggregate))
    state.pop("_pending_events", None)
    return state


def check_snapshots(
    snapshots: Iterable[StoredEvent],
    mapper: Mapper[UUID],
    events: Callable[[UUID, int], Sequence[Any]],
) -> tuple[int, list[str]]:
    """Compare every snapshot with a replay; return how many agree and what differs.

    `events(aggregate_id, version)` gives an aggregate's events up to a version, in order.
    Each aggregate is replayed once, up to its latest snapshot.
    """
    agreed, problems = 0, []
    ordered = sorted(snapshots, key=lambda s: (str(s.originator_id), s.originator_version))
    for originator_id, group in groupby(ordered, key=lambda s: s.originator_id):
        taken = list(group)
        identity = UUID(str(originator_id))
        history = list(events(identity, taken[-1].originator_version))
        aggregate: Any = None
        applied = 0
        for stored in taken:
            version = stored.originator_version
            try:
                snapshot: Any = mapper.to_domain_event(stored)
                from_snapshot = snapshot.mutate(None)
            except Exception as error:  # an altered snapshot may not even decode
                problems.append(
                    f"the snapshot of aggregate {identity} at version {version} cannot be "
                    f"read ({type(error).__name__}): it was altered"
                )
                continue
            while applied < len(history) and history[applied].originator_version <= version:
                aggregate = history[applied].mutate(aggregate)
                applied += 1
            if aggregate is None or _state(aggregate) != _state(from_snapshot):
                problems.append(
                    f"the snapshot of aggregate {identity} at version {version} differs from "
                    "a replay of its events: it was altered"
                )
            else:
                agreed += 1
    return agreed, problems


def check_store_snapshots(wiring: Wiring) -> tuple[int, list[str]]:
    """`check_snapshots` over every snapshot the store holds, replayed from its events."""

    def events(aggregate_id: UUID, version: int) -> list[Any]:
        return list(wiring.events.events.get(aggregate_id, lte=version))

    return check_snapshots(wiring.chain().snapshot_rows(), wiring.events.mapper, events)

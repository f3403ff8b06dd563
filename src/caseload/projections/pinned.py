"""Read-only replay sessions pinned to a log position.

An auditor's session reads the log and the stored read models up to one position, however
far writers and projection workers move on meanwhile, and writes nothing: whatever the
runner would persist (states folded past the stored ones, index rows) stays in memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from eventsourcing.domain import DomainEvent

from caseload.adapters.read_model_store import (
    IndexRow,
    LateEvent,
    MemoryProjectionStore,
    ProjectionStore,
    StoredState,
    StoredVersion,
    compress,
)
from caseload.domain.errors import CheckpointChunkMissing, ReadOnlySession
from caseload.projections.canonical import canonical_bytes
from caseload.projections.source import EventSource, read_wanted

__all__ = ["PinnedProjectionStore", "PinnedSource"]

INDEX = "log_index"


class PinnedSource:
    """The log up to position `last`, and nothing after it."""

    def __init__(self, source: EventSource, last: int) -> None:
        self._source = source
        self.last = last

    def head(self) -> int:
        return min(self._source.head(), self.last)

    def read(self, start: int, limit: int) -> list[tuple[int, DomainEvent]]:
        if start > self.last:
            return []
        return [
            item
            for item in self._source.read(start, min(limit, self.last - start + 1))
            if item[0] <= self.last
        ]

    # The source's faster reads, where it has them (the runner looks for these by name).

    def read_for(
        self, start: int, limit: int, wanted: Callable[[type[Any]], bool]
    ) -> list[tuple[int, Any]]:
        if start > self.last:
            return []
        read_for = getattr(self._source, "read_for", None)
        clipped = min(limit, self.last - start + 1)
        batch = read_for(start, clipped, wanted) if read_for else self._source.read(start, clipped)
        return [item for item in batch if item[0] <= self.last]

    def read_topics(
        self, start: int, last: int, limit: int, wanted: Callable[[type[Any]], bool]
    ) -> tuple[int, list[tuple[int, DomainEvent]]]:
        return read_wanted(self._source, start, min(last, self.last), limit, wanted)

    def read_kinds(
        self, start: int, limit: int, wanted: Callable[[type[Any]], bool]
    ) -> tuple[int, list[tuple[int, DomainEvent]]]:
        if start > self.last:
            return 0, []
        clipped = min(limit, self.last - start + 1)
        read_kinds = getattr(self._source, "read_kinds", None)
        if read_kinds is None:
            batch = self._source.read(start, clipped)
            reached = batch[-1][0] if batch else 0
            batch = [item for item in batch if wanted(type(item[1]))]
        else:
            reached, batch = read_kinds(start, clipped, wanted)
        return min(reached, self.last), [item for item in batch if item[0] <= self.last]


class PinnedProjectionStore(ProjectionStore):
    """A store's read models as they stood at log position `last`, never written.

    A stored state past `last` is replaced by its latest checkpoint at or before `last`
    (the runner folds on from there); the log index by its last row at or before `last`.
    Commits go to memory only.
    """

    def __init__(self, base: ProjectionStore, last: int) -> None:
        self._base = base
        self._last = last
        self._lock = threading.RLock()
        self._overlay = MemoryProjectionStore()
        """What the session folded past the stored states: kept here, never written."""

    def _pinned(self, name: str, stored: StoredState) -> StoredState | None:
        if stored.position <= self._last:
            return stored
        if name == INDEX:
            rows = self.index_rows()
            if not rows:
                return None
            row = rows[-1]
            data = {"max_recorded": row.max_recorded, "max_occurred": row.max_occurred}
            return StoredState(1, row.position, compress(canonical_bytes(data)), "")
        return self._base.checkpoint(name, stored.version, self._last)

    def load(
        self, names: Sequence[str], versions: Mapping[str, int] | None = None
    ) -> dict[str, StoredState]:
        with self._lock:
            found = self._overlay.load(names, versions)
            rest = [name for name in names if name not in found]
            for name, stored in self._base.load(rest, versions).items():
                pinned = self._pinned(name, stored)
                if pinned is not None:
                    found[name] = pinned
            return found

    def commit(
        self,
        expected: dict[str, int],
        states: dict[str, StoredState],
        index: Sequence[IndexRow] = (),
        late: Sequence[LateEvent] = (),
        checkpoints: Sequence[tuple[str, StoredState]] = (),
    ) -> bool:
        # Compare with what the session sees (the overlay over the pinned stored states),
        # then keep the new states in the overlay unconditionally.
        with self._lock:
            versions = {name: state.version for name, state in states.items()}
            current = self.load(list(expected), versions)
            for name, position in expected.items():
                if (current[name].position if name in current else 0) != position:
                    return False
            return self._overlay.commit({}, states, index, late, checkpoints)

    def checkpoint(self, name: str, version: int, at_most: int) -> StoredState | None:
        bound = min(at_most, self._last)
        found = [
            c
            for c in (
                self._overlay.checkpoint(name, version, bound),
                self._base.checkpoint(name, version, bound),
            )
            if c is not None
        ]
        return max(found, key=lambda c: c.position) if found else None

    def checkpoint_chunk(self, name: str, version: int, digest: bytes) -> bytes:
        try:
            return self._overlay.checkpoint_chunk(name, version, digest)
        except CheckpointChunkMissing:
            return self._base.checkpoint_chunk(name, version, digest)

    def checkpoint_chunks(self, name: str, version: int) -> int:
        return self._base.checkpoint_chunks(name, version) + self._overlay.checkpoint_chunks(
            name, version
        )

    def index_rows(self) -> list[IndexRow]:
        rows = {row.position: row for row in self._base.index_rows() if row.position <= self._last}
        rows.update((row.position, row) for row in self._overlay.index_rows())
        return [rows[position] for position in sorted(rows)]

    def late_events(self, after: int, until: int, on: str) -> list[int]:
        until = min(until, self._last)
        positions = set(self._base.late_events(after, until, on))
        positions.update(self._overlay.late_events(after, until, on))
        return sorted(positions)

    def delete(self, names: Sequence[str], versions: Mapping[str, int] | None = None) -> None:
        raise ReadOnlySession(
            f"this session is pinned read-only at log position {self._last}: "
            "read models cannot be rebuilt from it"
        )

    def stored_versions(self) -> list[StoredVersion]:
        return self._base.stored_versions()

    def _drop(self, name: str, version: int) -> None:
        raise ReadOnlySession(
            f"this session is pinned read-only at log position {self._last}: "
            "no read model's version can be dropped from it"
        )

    def close(self) -> None:
        """The base store belongs to the application, which closes it."""

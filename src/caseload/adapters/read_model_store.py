"""Where read models live: state, tracking position, checkpoints and the log's time indexes.

Everything is kept in the database that holds the events (a SQLite file, or the store's
PostgreSQL schema), so one transaction writes a read model's new state together with the
log position it has reached: a worker killed at any point leaves a consistent pair behind,
and resumes without losing or double-counting an event. `memory://` keeps it in a dict.

Tables (prefixed `caseload_`):

- `read_model_states`: per read model *and version* its position, digest and compressed
  header (the canonical JSON of the state with its maps of entities left empty), so a new
  version is built beside the one being served;
- `read_model_chunks`: per read model and version, one row per chunk of its maps of
  entities (compressed canonical text and digest): a catch-up rewrites the chunks it
  changed and the header row, nothing else;
- `checkpoints`: the state of each read model every N events, for as-of queries (whole,
  compressed canonical JSON);
- `log_index`: at positions along the log, the running maximum of recorded timestamps and
  of business dates up to there (monotone, so a moment or a day maps to a log prefix);
- `late_events`: positions of events dated before the running maximum business date, and
  of programme events, which an as-true-on query must add after its prefix.

A store written before states were kept per version (one `read_models` row per name, the
whole state in it) is read as it is when opened read-only; the first open for writing
copies its rows into `read_model_states` (with an empty digest: the state is rewritten in
chunks by its next write) and leaves the old table for processes of the earlier release.
"""

from __future__ import annotations

import threading
import zlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import attrs

from caseload.domain.errors import UnknownReadModelVersion

__all__ = [
    "COMPRESSION_LEVEL",
    "IndexRow",
    "LateEvent",
    "MemoryProjectionStore",
    "ProjectionStore",
    "StoredState",
    "StoredVersion",
    "compress",
    "decompress",
]


COMPRESSION_LEVEL = 1
"""zlib's level for stored states: a fast one, since states are rewritten often."""


def compress(data: bytes) -> bytes:
    """Compress a canonical state for storage."""
    return zlib.compress(data, COMPRESSION_LEVEL)


def decompress(data: bytes) -> bytes:
    """Inflate a stored state: one zlib stream, or several one after another (a state
    whose unchanged chunks kept their compressed form)."""
    parts = []
    while True:
        inflater = zlib.decompressobj()
        parts.append(inflater.decompress(data))
        parts.append(inflater.flush())
        if not inflater.eof:
            raise zlib.error("the stored state ends inside a compressed stream")
        data = inflater.unused_data
        if not data:
            return b"".join(parts)


@attrs.frozen
class StoredState:
    """A read model's persisted state and the log position it reflects."""

    version: int
    position: int
    state: bytes
    """Compressed canonical JSON: of the whole state when there are no `chunks`, else of
    its header (the state with each map of entities written as `{}`)."""
    digest: str
    """The state's digest; empty where unknown (a state of an earlier store layout)."""
    chunks: Mapping[str, tuple[bytes, bytes]] = attrs.field(factory=dict)
    """By chunk key (`field:prefix`): the chunk's compressed canonical text and sha256."""
    rewrite: frozenset[str] | None = None
    """For a write: the chunk keys to write (those in `chunks`) or delete (the others),
    the rest being stored already; None replaces every stored chunk."""


@attrs.frozen
class StoredVersion:
    """One version of a read model's state that a store holds."""

    name: str
    version: int
    position: int


class IndexRow(NamedTuple):
    """At log position `position`: the latest recorded moment and business date so far."""

    position: int
    max_recorded: str
    """ISO UTC timestamp with microseconds (compares as text)."""
    max_occurred: str
    """ISO date (compares as text)."""


class LateEvent(NamedTuple):
    """An event an as-true-on query must add after its log prefix.

    A named tuple rather than an attrs class: a rebuild may make one for most events of
    the log, and a tuple is made in a fiftieth of the time."""

    position: int
    occurred_on: str
    always: bool
    """Programme events count for every date (their policies say when they apply)."""


class _Moved(Exception):
    """Another worker moved a read model on since it was loaded."""


class ProjectionStore(ABC):
    """Persistence for read models, with compare-and-set on their positions."""

    @abstractmethod
    def load(
        self, names: Sequence[str], versions: Mapping[str, int] | None = None
    ) -> dict[str, StoredState]:
        """The stored states of these read models (missing ones are left out): of the
        version `versions` gives for a name, else of the highest version stored."""

    @abstractmethod
    def commit(
        self,
        expected: dict[str, int],
        states: dict[str, StoredState],
        index: Sequence[IndexRow] = (),
        late: Sequence[LateEvent] = (),
        checkpoints: Sequence[tuple[str, StoredState]] = (),
    ) -> bool:
        """Write states (and index rows) in one transaction, if every read model is still
        at the position `expected` says (0 for none yet) in the version being written
        (version 1 for a name not written). Returns False, writing nothing, when another
        worker moved one of them first."""

    @abstractmethod
    def checkpoint(self, name: str, version: int, at_most: int) -> StoredState | None:
        """The latest checkpoint of a read model at or before a log position."""

    @abstractmethod
    def index_rows(self) -> list[IndexRow]:
        """Every log index row, by position."""

    @abstractmethod
    def late_events(self, after: int, until: int, on: str) -> list[int]:
        """Positions in (after, until] of late events dated on or before `on`, or always."""

    @abstractmethod
    def delete(self, names: Sequence[str], versions: Mapping[str, int] | None = None) -> None:
        """Forget the stored states of read models, of the version `versions` gives for a
        name, else of every version (their checkpoints stay: a checkpoint of one version at
        one position is the same however it was made)."""

    @abstractmethod
    def stored_versions(self) -> list[StoredVersion]:
        """Every read-model state the store holds, by name and version."""

    def drop_version(self, name: str, version: int) -> StoredVersion:
        """Delete one version of a read model: its state and its checkpoints. Refused with
        `UnknownReadModelVersion` when the store holds no such state."""
        found = [v for v in self.stored_versions() if (v.name, v.version) == (name, version)]
        if not found:
            held = [v.version for v in self.stored_versions() if v.name == name]
            raise UnknownReadModelVersion(
                f"the store holds no state of read model {name!r} at version {version}; "
                + (
                    f"it holds version{'s' if len(held) > 1 else ''} "
                    + ", ".join(str(v) for v in sorted(held))
                    if held
                    else "it holds no version of that read model"
                )
            )
        self._drop(name, version)
        return found[0]

    @abstractmethod
    def _drop(self, name: str, version: int) -> None:
        """Delete a version's state, chunks and checkpoints."""

    def close(self) -> None:  # noqa: B027  (stores without connections need nothing)
        """Release connections."""


class MemoryProjectionStore(ProjectionStore):
    """Read models of a `memory://` store, kept beside its events in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[tuple[str, int], StoredState] = {}
        self._checkpoints: dict[str, list[StoredState]] = {}
        self._index: list[IndexRow] = []
        self._late: list[LateEvent] = []
        self.rows_written = 0
        """How many state and chunk rows commits have written (a written state is kept
        whole here; this counts what a database would write)."""

    def _get(self, name: str, version: int | None) -> StoredState | None:
        if version is not None:
            return self._states.get((name, version))
        held = [v for (n, v) in self._states if n == name]
        return self._states[(name, max(held))] if held else None

    def load(
        self, names: Sequence[str], versions: Mapping[str, int] | None = None
    ) -> dict[str, StoredState]:
        versions = versions or {}
        with self._lock:
            found = {name: self._get(name, versions.get(name)) for name in names}
            return {name: state for name, state in found.items() if state is not None}

    def commit(
        self,
        expected: dict[str, int],
        states: dict[str, StoredState],
        index: Sequence[IndexRow] = (),
        late: Sequence[LateEvent] = (),
        checkpoints: Sequence[tuple[str, StoredState]] = (),
    ) -> bool:
        with self._lock:
            for name, position in expected.items():
                current = self._get(name, states[name].version if name in states else 1)
                if (current.position if current else 0) != position:
                    return False
            for name, state in states.items():
                # A state in memory holds all its chunks: a partial write's rows are counted.
                written = len(state.chunks) if state.rewrite is None else len(state.rewrite)
                self.rows_written += 1 + written
                self._states[(name, state.version)] = attrs.evolve(state, rewrite=None)
            known = {row.position for row in self._index}
            self._index.extend(row for row in index if row.position not in known)
            self._index.sort(key=lambda row: row.position)
            seen = {event.position for event in self._late}
            self._late.extend(event for event in late if event.position not in seen)
            self._late.sort(key=lambda event: event.position)
            for name, checkpoint in checkpoints:
                self._checkpoints.setdefault(name, []).append(checkpoint)
            return True

    def checkpoint(self, name: str, version: int, at_most: int) -> StoredState | None:
        with self._lock:
            fitting = [
                c
                for c in self._checkpoints.get(name, [])
                if c.version == version and c.position <= at_most
            ]
            return max(fitting, key=lambda c: c.position) if fitting else None

    def index_rows(self) -> list[IndexRow]:
        with self._lock:
            return list(self._index)

    def late_events(self, after: int, until: int, on: str) -> list[int]:
        with self._lock:
            return [
                e.position
                for e in self._late
                if after < e.position <= until and (e.always or e.occurred_on <= on)
            ]

    def delete(self, names: Sequence[str], versions: Mapping[str, int] | None = None) -> None:
        versions = versions or {}
        with self._lock:
            for name, version in list(self._states):
                if name in names and versions.get(name, version) == version:
                    del self._states[(name, version)]

    def stored_versions(self) -> list[StoredVersion]:
        with self._lock:
            return [
                StoredVersion(name, version, state.position)
                for (name, version), state in sorted(self._states.items())
            ]

    def _drop(self, name: str, version: int) -> None:
        with self._lock:
            self._states.pop((name, version), None)
            kept = [c for c in self._checkpoints.get(name, []) if c.version != version]
            self._checkpoints[name] = kept

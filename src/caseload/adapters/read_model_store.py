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
- `checkpoint_heads`: the state of each read model every N events, for as-of queries: its
  compressed header, digest and the list of its chunks (key and digest, `pack_chunk_list`);
- `checkpoint_chunks`: per read model and version, each chunk's compressed canonical text
  once by its digest, shared by every checkpoint that holds it (a retired month's chunk,
  which never changes, is stored once however many checkpoints follow);
- `checkpoints`: checkpoints written whole (compressed canonical JSON) by earlier releases,
  still read;
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

from caseload.domain.errors import CheckpointChunkMissing, UnknownReadModelVersion

__all__ = [
    "COMPRESSION_LEVEL",
    "IndexRow",
    "LateEvent",
    "MemoryProjectionStore",
    "ProjectionStore",
    "StoredState",
    "StoredVersion",
    "chunk_missing",
    "compress",
    "decompress",
    "pack_chunk_list",
    "unpack_chunk_list",
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
    chunks: Mapping[str, tuple[bytes | None, bytes]] = attrs.field(factory=dict)
    """By chunk key (`field:prefix`): the chunk's compressed canonical text and sha256.
    The text is None for a chunk that a live state holds only in the store (a map of
    entities lets go of a chunk's compressed text once a checkpoint of its version has
    stored it, see `ProjectionStore.checkpoint_chunk`): a state read from a store always
    has every text; a write fills in the ones it sends."""
    rewrite: frozenset[str] | None = None
    """For a write: the chunk keys to write (those in `chunks`) or delete (the others),
    the rest being stored already; None replaces every stored chunk. For a checkpoint: the
    chunk keys whose compressed text the store may not hold yet (the others it holds, from
    an earlier checkpoint of the same version); None sends them all."""

    def body(self, key: str) -> bytes:
        """The compressed text of chunk `key`; `CheckpointChunkMissing` where the state
        holds it in the store only (a state read from a store holds every text)."""
        body, digest = self.chunks[key]
        if body is None:
            raise CheckpointChunkMissing(
                f"the state at log position {self.position} (version {self.version}) holds "
                f"chunk {key!r} ({digest.hex()[:16]}…) in the store only, not its text"
            )
        return body


_DIGEST_SIZE = 32
"""A chunk's digest is a sha256."""


def pack_chunk_list(chunks: Mapping[str, tuple[bytes | None, bytes]]) -> bytes:
    """A checkpoint's chunk keys and digests as one value: per chunk, in key order, the
    key's length in UTF-8 (two bytes, big-endian), the key, and its 32-byte digest."""
    parts = []
    for key in sorted(chunks):
        text = key.encode("utf-8")
        parts.append(len(text).to_bytes(2, "big") + text + chunks[key][1])
    return b"".join(parts)


def unpack_chunk_list(packed: bytes) -> dict[str, bytes]:
    """The chunk keys and digests of `pack_chunk_list`, by key."""
    found, at = {}, 0
    while at < len(packed):
        length = int.from_bytes(packed[at : at + 2], "big")
        key = packed[at + 2 : at + 2 + length].decode("utf-8")
        at += 2 + length
        found[key] = packed[at : at + _DIGEST_SIZE]
        at += _DIGEST_SIZE
    return found


@attrs.frozen
class StoredVersion:
    """One version of a read model's state that a store holds."""

    name: str
    version: int
    position: int


def chunk_missing(name: str, version: int, digest: bytes) -> str:
    """What `CheckpointChunkMissing` says of a chunk a state holds only in the store."""
    return (
        f"a map of entities of read model {name!r} (version {version}) holds chunk "
        f"{digest.hex()[:16]}… only in the store, and the store does not hold it (were the "
        "version's checkpoints dropped while it was being built?)"
    )


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
    def checkpoint_chunk(self, name: str, version: int, digest: bytes) -> bytes:
        """The compressed text of the checkpoint chunk of a read model's version with this
        digest; `CheckpointChunkMissing` when the store does not hold it."""

    @abstractmethod
    def checkpoint_chunks(self, name: str, version: int) -> int:
        """How many chunks the checkpoints of a read model's version hold, each counted
        once however many checkpoints share it."""

    @abstractmethod
    def index_rows(self) -> list[IndexRow]:
        """Every log index row, by position."""

    @abstractmethod
    def late_events(self, after: int, until: int, on: str) -> list[int]:
        """Positions in (after, until] of late events dated on or before `on`, or always."""

    @abstractmethod
    def delete(self, names: Sequence[str], versions: Mapping[str, int] | None = None) -> None:
        """Forget the stored states of read models, of the version `versions` gives for a
        name, else of every version (their checkpoints and the chunks these hold stay: a
        checkpoint of one version at one position is the same however it was made)."""

    @abstractmethod
    def stored_versions(self) -> list[StoredVersion]:
        """Every read-model state the store holds, by name and version."""

    def drop_version(self, name: str, version: int) -> StoredVersion:
        """Delete one version of a read model: its state, its checkpoints and their chunks.
        Refused with `UnknownReadModelVersion` when the store holds no such state."""
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
        self._checkpoints: dict[tuple[str, int], dict[int, tuple[StoredState, bytes]]] = {}
        """By read model and version, by position: the checkpoint's header (a state
        without chunks) and its chunk list (`pack_chunk_list`)."""
        self._chunks: dict[tuple[str, int], dict[bytes, bytes]] = {}
        """By read model and version: each checkpoint chunk's compressed text by digest."""
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
            self._check_chunks(checkpoints)
            for name, state in states.items():
                # A state in memory holds all its chunks: a partial write's rows are counted.
                written = len(state.chunks) if state.rewrite is None else len(state.rewrite)
                self.rows_written += 1 + written
                self._states[(name, state.version)] = self._whole(name, state)
            known = {row.position for row in self._index}
            self._index.extend(row for row in index if row.position not in known)
            self._index.sort(key=lambda row: row.position)
            seen = {event.position for event in self._late}
            self._late.extend(event for event in late if event.position not in seen)
            self._late.sort(key=lambda event: event.position)
            for name, checkpoint in checkpoints:
                self._keep_checkpoint(name, checkpoint)
            return True

    def _whole(self, name: str, state: StoredState) -> StoredState:
        """The state as the store keeps it: the chunks a partial write does not send (whose
        text the writer may not hold) are those already stored, as a database keeps its
        rows."""
        kept = self._states.get((name, state.version))
        chunks = {}
        for key, (body, digest) in state.chunks.items():
            if state.rewrite is not None and key not in state.rewrite and kept is not None:
                old = kept.chunks.get(key)
                if old is not None and old[1] == digest:
                    body = old[0]
            if body is None:
                raise CheckpointChunkMissing(
                    f"the state of read model {name!r} (version {state.version}) at log "
                    f"position {state.position} leaves out the text of chunk {key!r}, which "
                    "the store does not hold"
                )
            chunks[key] = (body, digest)
        return attrs.evolve(state, chunks=chunks, rewrite=None)

    def _check_chunks(self, checkpoints: Sequence[tuple[str, StoredState]]) -> None:
        """Refuse checkpoints that leave out a chunk the store does not hold."""
        sent: set[tuple[str, int, bytes]] = set()
        for name, checkpoint in checkpoints:
            sending = checkpoint.chunks.keys() if checkpoint.rewrite is None else checkpoint.rewrite
            for key in sending:
                sent.add((name, checkpoint.version, checkpoint.chunks[key][1]))
        for name, checkpoint in checkpoints:
            held = self._chunks.get((name, checkpoint.version), {})
            for key, (_, digest) in checkpoint.chunks.items():
                if digest not in held and (name, checkpoint.version, digest) not in sent:
                    raise CheckpointChunkMissing(
                        f"the checkpoint of read model {name!r} (version "
                        f"{checkpoint.version}) at log position {checkpoint.position} leaves "
                        f"out chunk {key!r}, which the store does not hold"
                    )

    def _keep_checkpoint(self, name: str, checkpoint: StoredState) -> None:
        """Keep a checkpoint as its header and chunk list, and each chunk's text once."""
        held = self._checkpoints.setdefault((name, checkpoint.version), {})
        if checkpoint.position in held:
            return  # the same checkpoint, written again (a rebuild): kept as it was
        bodies = self._chunks.setdefault((name, checkpoint.version), {})
        for body, digest in checkpoint.chunks.values():
            if body is not None:  # else held already (`_check_chunks`)
                bodies.setdefault(digest, body)
        header = StoredState(
            checkpoint.version, checkpoint.position, checkpoint.state, checkpoint.digest
        )
        held[checkpoint.position] = (header, pack_chunk_list(checkpoint.chunks))

    def checkpoint(self, name: str, version: int, at_most: int) -> StoredState | None:
        with self._lock:
            held = self._checkpoints.get((name, version), {})
            fitting = [position for position in held if position <= at_most]
            if not fitting:
                return None
            header, packed = held[max(fitting)]
            bodies = self._chunks[(name, version)]
            chunks = {
                key: (bodies[digest], digest) for key, digest in unpack_chunk_list(packed).items()
            }
            return attrs.evolve(header, chunks=chunks)

    def checkpoint_chunk(self, name: str, version: int, digest: bytes) -> bytes:
        with self._lock:
            body = self._chunks.get((name, version), {}).get(digest)
        if body is None:
            raise CheckpointChunkMissing(chunk_missing(name, version, digest))
        return body

    def checkpoint_chunks(self, name: str, version: int) -> int:
        with self._lock:
            return len(self._chunks.get((name, version), {}))

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
            self._checkpoints.pop((name, version), None)
            self._chunks.pop((name, version), None)

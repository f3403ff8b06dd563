"""Writing the read models' states, with their log positions and the checkpoints taken on
the way, in one transaction; and when a write is due by time.

A write costs more as the states grow (it encodes every chunk changed since the last one),
so a write due by time also waits for the work since the last write to be a set multiple
of what that write took: writes then stay a bounded share of a long rebuild or catch-up,
whatever the size of the states, while a small store is still written every few seconds.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import attrs

from caseload.adapters.read_model_store import IndexRow, ProjectionStore, StoredState
from caseload.projections import stored_state
from caseload.projections.folding import Live
from caseload.projections.time_index import INDEX, TimeIndex

__all__ = ["StateWriter"]


class StateWriter:
    """Writes states, positions, the time index and pending checkpoints to a store, and
    says when a write is due by time."""

    def __init__(
        self,
        store: ProjectionStore,
        *,
        seconds: float,
        work_ratio: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._seconds = seconds
        self._work_ratio = work_ratio
        self._clock = clock
        self._written_at = clock()
        self._took = 0.0
        self.pending: list[tuple[str, StoredState]] = []
        """Checkpoints taken since the last write, written with the next one."""
        self._held: dict[tuple[str, int], set[bytes]] = {}
        """By read model and version, the digests of the checkpoint chunks this writer
        has written: a later checkpoint sends only the chunks not among them. The store
        deletes a version's chunks only when the version is dropped, which is done once
        no process serves it (one dropped under a running writer leaves its later
        checkpoints naming chunks the store lost: `CheckpointChunkMissing` on reading,
        and a finding of `verify`)."""

    def restart_clock(self) -> None:
        """Count the time to the next write from now (a rebuild starting its work)."""
        self._written_at = self._clock()

    def late(self) -> bool:
        """Whether a write is due by time: `seconds` since the last one, and at least
        `work_ratio` times what the last one took."""
        elapsed = self._clock() - self._written_at
        return elapsed >= self._seconds and elapsed >= self._work_ratio * self._took

    def write(self, live: dict[str, Live], index: TimeIndex) -> bool:
        """Write every state that moved on since it was stored, the time index and the
        pending checkpoints, in one transaction that expects the stored positions to be
        those last read or written (False, and nothing written, when another writer moved
        them first)."""
        started = self._clock()
        states = {}
        for name, entry in live.items():
            if not entry.dirty and entry.position == entry.stored_position:
                continue
            if not entry.dirty and entry.stored is not None:
                # No event changed this state since it was written: move its position only.
                states[name] = attrs.evolve(
                    entry.stored, position=entry.position, rewrite=frozenset()
                )
            else:
                # Only the chunks that differ from the stored ones are written.
                states[name] = stored_state.freeze_chunked(
                    entry.model, entry.state, entry.position, entry.written
                )
        if index.position != index.stored_position:
            index.rows.append(IndexRow(index.position, index.recorded(), index.max_day()))
            states[INDEX] = index.stored()
        if not states:
            return True
        expected = {name: live[name].stored_position for name in states if name in live}
        if INDEX in states:
            expected[INDEX] = index.stored_position
        checkpoints, fresh = self._new_chunks()
        states = {name: self._filled(name, state) for name, state in states.items()}
        checkpoints = [(name, self._filled(name, c)) for name, c in checkpoints]
        committed = self._store.commit(expected, states, index.rows, index.late, checkpoints)
        if committed:
            for key, digests in fresh.items():
                self._held.setdefault(key, set()).update(digests)
            self._written_at = self._clock()
            self._took = self._written_at - started
            for name, written in states.items():
                if name in live:
                    live[name].stored_position = live[name].position
                    live[name].dirty = False
                    live[name].digest = written.digest
                    live[name].stored = live[name].written = attrs.evolve(written, rewrite=None)
            if any(fresh.values()):
                self._release(live)
            index.stored_position = index.position
            index.rows, index.late = [], []
            self.pending = []
        return committed

    def _filled(self, name: str, state: StoredState) -> StoredState:
        """`state` with the compressed text of every chunk it sends that a map holds in the
        store only read back from there (a map lets such a chunk go once a checkpoint of
        its version stored it, so a write that sends it again is rare: one over a base
        that is not the store's, say)."""
        sending = state.chunks.keys() if state.rewrite is None else state.rewrite
        missing = [key for key in sending if key in state.chunks and state.chunks[key][0] is None]
        if not missing:
            return state
        chunks = dict(state.chunks)
        for key in missing:
            digest = chunks[key][1]
            chunks[key] = (self._store.checkpoint_chunk(name, state.version, digest), digest)
        return attrs.evolve(state, chunks=chunks)

    def _release(self, live: dict[str, Live]) -> None:
        """Let the maps of entities of the states in memory go of the compressed text of
        their evicted chunks that the store now holds in a checkpoint of their version
        (read back from there when one is decoded back), and the states as last written go
        of those texts too (a write sends only the chunks that changed since). Done after
        a write that stored new checkpoint chunks: the writes between checkpoints (every
        write of a service catching up event by event) pay nothing for it."""
        for name, entry in live.items():
            if not entry.decoded:
                continue
            held = self._held.get((name, entry.model.version))
            if not held:
                continue
            load = functools.partial(self._store.checkpoint_chunk, name, entry.model.version)
            if not stored_state.release(entry.model, entry.state, held, load):
                continue
            written = entry.written
            if written is not None and written.version == entry.model.version:
                kept = {
                    key: (None if digest in held else body, digest)
                    for key, (body, digest) in written.chunks.items()
                }
                entry.written = attrs.evolve(written, chunks=kept)
                if entry.stored is written:
                    entry.stored = entry.written

    def _new_chunks(
        self,
    ) -> tuple[list[tuple[str, StoredState]], dict[tuple[str, int], set[bytes]]]:
        """The pending checkpoints, each to send only the chunks that neither an earlier
        write nor an earlier checkpoint of this one sends, and those chunks' digests by
        read model and version (held once the write commits)."""
        checkpoints = []
        fresh: dict[tuple[str, int], set[bytes]] = {}
        for name, checkpoint in self.pending:
            key = (name, checkpoint.version)
            held = self._held.get(key, set())
            new = fresh.setdefault(key, set())
            sending = []
            for chunk, (_, digest) in checkpoint.chunks.items():
                if digest not in held and digest not in new:
                    new.add(digest)
                    sending.append(chunk)
            checkpoints.append((name, attrs.evolve(checkpoint, rewrite=frozenset(sending))))
        return checkpoints, fresh

    def write_index(self, index: TimeIndex) -> bool:
        """Write the time index alone (cheap), expecting its stored position to be the one
        last read or written (False, and nothing written, when another writer moved it)."""
        index.rows.append(IndexRow(index.position, index.recorded(), index.max_day()))
        committed = self._store.commit(
            {INDEX: index.stored_position}, {INDEX: index.stored()}, index.rows, index.late
        )
        if committed:
            index.stored_position = index.position
            index.rows, index.late = [], []
        return committed

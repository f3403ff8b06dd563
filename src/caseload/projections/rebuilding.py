"""Rebuilding read models from the start of the log, resumably, batch by batch up to the
head: every model with the time index, or chosen models alone on their own rows."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from caseload.adapters.read_model_store import StoredState, compress
from caseload.domain.errors import InvalidValue
from caseload.projections.catching_up import REBUILDING, CatchingUp, logger, serialised
from caseload.projections.entities import evicting
from caseload.projections.folding import Live, collector_paused
from caseload.projections.settings import Progress, RebuildResult
from caseload.projections.source import read_to_fold

__all__ = ["Rebuilding"]


class Rebuilding(CatchingUp):
    """Read models rebuilt from the start of the log."""

    @serialised
    def rebuild(
        self,
        name: str | None = None,
        *,
        progress: Callable[[Progress], None] | None = None,
        batch_size: int = 5_000,
        persist_every: int | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> RebuildResult:
        """Rebuild read models from the start of the log, resumably.

        The chosen read models start over from an empty state and fold the whole log in
        batches of `batch_size` events (larger batches are no faster, and a batch of
        decoded events is most of a rebuild's memory besides the states), writing state and
        position every `persist_every` events (by default at each checkpoint, whose
        encoding the write reuses), whenever `persist_seconds` of work went by since the
        last write, and at the end. A model rebuilt alone (`name`) reads only the rows of
        the classes it folds, so a write costs more than the folding between two
        checkpoints: by default it is written by time and at the end only, and its
        checkpoints go with those writes. A rebuild killed at any point resumes from its last
        write when called again (so it loses at most a few seconds of work): a marker says
        a rebuild is under way, so the next call goes on instead of starting over.
        `stop()`, asked after every batch, ends the rebuild early with its progress
        written (a Ctrl-C handler sets it): the result is then not `complete`.
        Meanwhile readers stay correct: a stored state at position p is the fold of the log
        up to p, and they catch up from there.
        """
        names = [name] if name is not None else list(self._models)
        for chosen in names:
            if chosen not in self._models:
                raise InvalidValue(
                    f"no read model has the name given; there are {', '.join(self.names)}"
                )
        # Other versions' states are left alone: they serve the processes of those versions.
        versions = self._versions(names)
        markers = [n + REBUILDING for n in names]
        under_way = self._store.load(markers, versions)
        fresh = [n for n in names if n + REBUILDING not in under_way]
        if fresh:
            self._store.delete(fresh, versions)
            self._store.commit(
                {},
                {n + REBUILDING: StoredState(versions[n], 0, compress(b"{}"), "") for n in fresh},
            )
        self._live = None
        started = time.perf_counter()
        with collector_paused(), evicting():
            done, resumed_from, saved, stopped = self._fold_to_head(
                batch_size, persist_every, progress, started, stop, None if name is None else names
            )
        if stopped:
            return RebuildResult(
                events=done,
                seconds=time.perf_counter() - started,
                digests=(),
                resumed_from=resumed_from,
                complete=False,
                saved=saved,
            )
        self._store.delete(markers, versions)
        # The models rebuilt stand at the head; the others are left where they were.
        digests = self._digests(names, catch_up=name is None)
        return RebuildResult(
            events=done,
            seconds=time.perf_counter() - started,
            digests=tuple((n, digests[n]) for n in names),
            resumed_from=resumed_from,
            saved=saved,
        )

    def _fold_to_head(
        self,
        batch_size: int,
        persist_every: int | None,
        progress: Callable[[Progress], None] | None,
        started: float,
        stop: Callable[[], bool] | None = None,
        names: Sequence[str] | None = None,
    ) -> tuple[int, int, int, bool]:
        """Fold the read models `names` (all by default) batch by batch up to the head,
        persisting every `persist_every` events (at each checkpoint if None), when a write
        is due by time and at the end,
        and reporting progress after every batch. Returns the events folded, the position
        resumed from, the position saved, and whether `stop` ended it early."""

        def load() -> dict[str, Live]:
            every_model = self._load()
            return every_model if names is None else {n: every_model[n] for n in names}

        # Some read models alone read only the rows of the classes they fold, up to the
        # head, and leave the time index (which reads every row) and the other models
        # where they stand: they catch up when next used.
        alone = names is not None and self._handled is not None
        live = load()
        first = saved = self._reached(live, alone=alone)
        if first:
            logger.info("rebuild resumed from position %d", first)
        self._writer.restart_clock()
        total = max(0, self._source.head() - first)
        done = 0
        while True:
            head = self._source.head() if alone else None
            lagging = self._lagging(live, head)
            at_head = False
            if lagging:
                # The models being rebuilt read only their own rows up to the index.
                start = min(entry.position for entry in lagging)
                reached = self._fold_lagging(lagging, batch_size, head)
                done += max(0, reached - start)
                at_head = alone and reached >= (head or 0)
            elif alone:
                if self._unsaved(live) > 0 and not self._persist(live):
                    live = load()
                    continue
                saved = self._reached(live, stored=True, alone=True)
                break
            if not alone and (not lagging or reached <= start):
                start = min([e.position for e in live.values()] + [self._index.position]) + 1
                # A batch ends at a checkpoint, so that the write after it finds every
                # chunk as the checkpoint encoded it.
                limit = min(batch_size, self._checkpoints.after(start - 1) - start + 1)
                batch = read_to_fold(self._source, start, limit, self._handled)
                if not batch:
                    # The head fell on a batch's end: what that batch folded is unwritten.
                    if self._unsaved(live) > 0:
                        if not self._persist(live):
                            live = load()
                            continue
                        saved = self._reached(live, stored=True)
                        if progress is not None:
                            elapsed = time.perf_counter() - started
                            progress(Progress(done, total, elapsed, first, saved, saved))
                    break
                self._fold(live, batch)
                done += len(batch)
                at_head = len(batch) < limit
                reached = batch[-1][0]
            # The models' positions, not the index's: a rebuild starts the models over
            # while the time index, still valid, may already stand at the head.
            unsaved = self._reached(live, alone=alone) - saved
            stopping = stop is not None and stop()
            # By default the states are written at each checkpoint, whose encoding the
            # write reuses; models rebuilt alone only by time and at the end (see `rebuild`).
            if persist_every is None:
                counted = bool(self._writer.pending) and not alone
            else:
                counted = unsaved >= persist_every
            if counted or at_head or self._writer.late() or stopping:
                if not self._persist(live):
                    live = load()
                    continue
                saved = self._reached(live, stored=True, alone=alone)
                logger.debug("rebuild: read models written up to position %d", saved)
            total = max(total, done + self._source.head() - reached)
            if progress is not None:
                elapsed = time.perf_counter() - started
                reached = self._reached(live, alone=alone)
                progress(Progress(done, total, elapsed, first, saved, reached))
            if stopping:
                logger.info("rebuild stopped at position %d; its progress is written", saved)
                return done, first, saved, True
        return done, first, saved, False

    def _reached(self, live: dict[str, Live], *, stored: bool = False, alone: bool = False) -> int:
        """The position every state (and the time index, unless the states are folded
        `alone`) has folded, or written, up to."""
        index = self._index
        if stored:
            own = [e.stored_position for e in live.values()]
            return min(own if alone else [*own, index.stored_position])
        own = [e.position for e in live.values()]
        return min(own if alone else [*own, index.position])

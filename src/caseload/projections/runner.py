"""The projection runner: keeps read models up to date, rebuilds them, answers as-of queries.

Read models are folded in memory and persisted with their log position in one transaction
(compare-and-set on the position, so two workers never double-count: the loser reloads and
goes on from the winner's state). The in-memory state may run ahead of the stored one; it
is only a cache of the log, so a crash loses nothing: the next run resumes from the stored
position. Along the way the runner keeps the log's time indexes and checkpoints that let a
query see the log as known at a moment, or the world as true on a day, with a short replay.
"""

from __future__ import annotations

import gc
import hashlib
import json
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, Protocol

import attrs
import orjson
from eventsourcing.domain import DomainEvent

from caseload.adapters.log import Unread
from caseload.adapters.read_model_store import (
    COMPRESSION_LEVEL,
    IndexRow,
    LateEvent,
    ProjectionStore,
    StoredState,
    compress,
    decompress,
)
from caseload.domain.errors import InvalidValue
from caseload.domain.events import HoldsOnEveryDay, holds_on_every_day
from caseload.projections.base import (
    Handler,
    ReadModel,
    canonical_bytes,
    canonical_chunks,
    is_true_on,
)

__all__ = ["EventSource", "Progress", "ProjectionSettings", "Projections", "RebuildResult"]

_INDEX = "log_index"
_REBUILD = "#rebuild"


class EventSource(Protocol):
    """The log, as the runner reads it."""

    def head(self) -> int:
        """The latest position."""

    def read(self, start: int, limit: int) -> list[tuple[int, DomainEvent]]:
        """Up to `limit` events from position `start` on, with their positions."""


@attrs.frozen
class ProjectionSettings:
    """How the runner reads, persists and checkpoints.

    Larger `persist_every` writes states less often (a query still sees every event: the
    state in memory runs ahead of the stored one). Smaller `checkpoint_every` makes as-of
    queries replay less, at the cost of one stored state per read model per checkpoint.
    """

    batch_size: int = 5_000
    """Events read from the log at a time."""
    persist_every: int = 1_000
    """Events folded in memory before the states are written (catch_up() always writes)."""
    checkpoint_every: int = 100_000
    """Every this many log positions, each read model's state is kept as a checkpoint."""
    index_every: int = 256
    """Every this many log positions, the time indexes get a row."""
    persist_seconds: float = 5.0
    """A catch-up also writes the states when the last write is this old."""


@attrs.frozen
class Progress:
    """How far a rebuild has come."""

    done: int
    total: int
    seconds: float

    @property
    def rate(self) -> float:
        """Events per second so far."""
        return self.done / self.seconds if self.seconds > 0 else 0.0


@attrs.frozen
class RebuildResult:
    """What a rebuild did."""

    events: int
    seconds: float
    digests: tuple[tuple[str, str], ...]

    @property
    def events_per_second(self) -> float:
        """Events folded per second."""
        return self.events / self.seconds if self.seconds > 0 else 0.0


def _stamp(moment: datetime) -> str:
    """A UTC moment as fixed-width ISO text, so text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


@attrs.define
class _Live:
    model: ReadModel[Any]
    state: Any
    position: int
    stored_position: int
    dirty: bool = False
    """The state differs from the stored one (new events, or a stored state of another version)."""
    digest: str | None = None
    """The digest of the state as this process last wrote it (valid while not dirty)."""
    stored: StoredState | None = None
    """The state as this process last wrote it, kept while the state is unchanged: a write
    that only moves the position (no event for this model since) reuses it. (A state
    loaded from the store is encoded afresh on its first write, not trusted as read.)"""


@attrs.define
class _Index:
    """The running maxima of recorded moment and business date, and what is pending."""

    position: int = 0
    stored_position: int = 0
    rows: list[IndexRow] = attrs.Factory(list)
    late: list[LateEvent] = attrs.Factory(list)
    _latest: datetime | None = None
    _max_day: date | None = None
    _max_day_text: tuple[date | None, str] = (None, "")

    def see(self, position: int, event: DomainEvent, every: int) -> None:
        self.see_all([(position, event)], every)

    def see_all(self, events: Sequence[tuple[int, DomainEvent]], every: int) -> None:
        """Take events (in log order, all after `position`) into the running maxima."""
        late, rows = self.late, self.rows
        latest, max_day = self._latest, self._max_day
        programme: dict[type[Any], bool] = {}
        # Many late events share a day: one text per day, not one per event.
        texts: dict[date, str] = {}
        for position, event in events:
            kind: type[Any] = type(event)
            if kind is Unread:
                kind = event.kind  # type: ignore[attr-defined]
            always = programme.get(kind)
            if always is None:
                always = programme[kind] = holds_on_every_day(kind)
            occurred = getattr(event, "occurred_on", None)
            if always:
                text = occurred.isoformat() if occurred is not None else ""
                late.append(LateEvent(position, text, True))
            elif occurred is not None:
                # Programme events are replayed for every day anyway (above); their date (a
                # policy decision, or the day the programme was set up) must not move the
                # running maximum, or every event after an early-dated set-up would count
                # as late.
                if max_day is None or occurred > max_day:
                    max_day = occurred
                elif occurred < max_day:
                    text = texts.get(occurred)
                    if text is None:
                        text = texts[occurred] = occurred.isoformat()
                    late.append(LateEvent(position, text, False))
            moment = event.timestamp
            if latest is None or moment > latest:
                latest = moment
            if position % every == 0:
                self._latest, self._max_day = latest, max_day
                rows.append(IndexRow(position, self.recorded(), self.max_day()))
        if events:
            self.position = events[-1][0]
        self._latest, self._max_day = latest, max_day

    def max_day(self) -> str:
        """The running maximum business date, as ISO text."""
        if self._max_day is None:
            return ""
        if self._max_day_text[0] != self._max_day:
            self._max_day_text = (self._max_day, self._max_day.isoformat())
        return self._max_day_text[1]

    def recorded(self) -> str:
        """The running maximum recorded moment, as fixed-width text."""
        return "" if self._latest is None else _stamp(self._latest)

    def stored(self) -> StoredState:
        data = canonical_bytes({"max_recorded": self.recorded(), "max_occurred": self.max_day()})
        return StoredState(1, self.position, compress(data), "")


class Projections:
    """The read models of one store, kept beside its events."""

    def __init__(
        self,
        source: EventSource,
        store: ProjectionStore,
        models: Sequence[ReadModel[Any]],
        settings: ProjectionSettings | None = None,
        **overrides: int,
    ) -> None:
        chosen = attrs.evolve(settings or ProjectionSettings(), **overrides)
        self._source = source
        self._store = store
        self._models = {model.name: model for model in models}
        self._batch_size = chosen.batch_size
        self._persist_every = chosen.persist_every
        self._checkpoint_every = chosen.checkpoint_every
        self._index_every = chosen.index_every
        self._persist_seconds = chosen.persist_seconds
        self._persisted_at = time.monotonic()
        self._live: dict[str, _Live] | None = None
        self._index = _Index()
        self._pending_checkpoints: list[tuple[str, StoredState]] = []
        self._handled: Callable[[type[Any]], bool] | None = None
        if all(type(model).apply is ReadModel.apply for model in models):
            tables = list(self._models.values())
            self._handled = lambda kind: any(m.handler(kind) is not None for m in tables)

    @property
    def names(self) -> tuple[str, ...]:
        """The names of the read models, in registration order."""
        return tuple(self._models)

    # --------------------------------------------------------------- state

    def _stored(self, model: ReadModel[Any], stored: StoredState | None) -> _Live:
        if stored is None:
            return _Live(model, model.initial(), 0, 0)
        if stored.version != model.version:
            # Another version's state: fold this one from the beginning of the log.
            return _Live(model, model.initial(), 0, stored.position, dirty=True)
        state = model.decode(_json(stored.state))
        return _Live(model, state, stored.position, stored.position)

    def _load(self) -> dict[str, _Live]:
        stored = self._store.load([*self._models, _INDEX])
        self._live = {
            name: self._stored(model, stored.get(name)) for name, model in self._models.items()
        }
        index = stored.get(_INDEX)
        self._index = _Index()
        if index is not None:
            data = _json(index.state)
            self._index = _Index(
                position=index.position,
                stored_position=index.position,
                latest=datetime.fromisoformat(data["max_recorded"])
                if data["max_recorded"]
                else None,
                max_day=date.fromisoformat(data["max_occurred"]) if data["max_occurred"] else None,
            )
        self._pending_checkpoints = []
        return self._live

    def _fold(self, live: dict[str, _Live], events: Sequence[tuple[int, DomainEvent]]) -> None:
        entries = list(live.values())
        first = events[0][0] if events else 0
        if all(entry.position < first for entry in entries) and self._index.position < first:
            self._fold_all(entries, events)
            return
        for position, event in events:
            if position > self._index.position:
                self._index.see(position, event, self._index_every)
            for entry in entries:
                if position > entry.position:
                    entry.model.apply(entry.state, event)
                    entry.position = position
                    entry.dirty = True
                    entry.stored = None
                    if position % self._checkpoint_every == 0:
                        self._pending_checkpoints.append(
                            (entry.model.name, _freeze(entry.model, entry.state, position))
                        )

    def _fold_all(self, entries: list[_Live], events: Sequence[tuple[int, DomainEvent]]) -> None:
        """The common case: every read model and the index take every event of the batch.

        Each event goes only to the models with a handler for its class (found once per
        class), so an event no model uses costs a dictionary lookup."""
        self._index.see_all(events, self._index_every)
        checkpoint_every = self._checkpoint_every
        routes: dict[type[Any], list[tuple[Handler, Any]]] = {}
        for position, event in events:
            kind = type(event)
            route = routes.get(kind)
            if route is None:
                route = routes[kind] = _route(entries, kind)
            for handle, state in route:
                handle(state, event)
            if position % checkpoint_every == 0:
                for entry in entries:
                    frozen = _freeze(entry.model, entry.state, position)
                    self._pending_checkpoints.append((entry.model.name, frozen))
        last = events[-1][0]
        touched = {id(state) for route in routes.values() for _, state in route}
        for entry in entries:
            entry.position = last
            if id(entry.state) in touched:
                entry.dirty = True
                entry.stored = None

    def _persist(self, live: dict[str, _Live]) -> bool:
        # A checkpoint taken at the position being persisted is the same state: reuse it.
        frozen = {(name, c.position): c for name, c in self._pending_checkpoints}
        states = {}
        for name, entry in live.items():
            if not entry.dirty and entry.position == entry.stored_position:
                continue
            if not entry.dirty and entry.stored is not None:
                # No event changed this state since it was written: move its position only.
                states[name] = attrs.evolve(entry.stored, position=entry.position)
            else:
                states[name] = frozen.get((name, entry.position)) or _freeze(
                    entry.model, entry.state, entry.position
                )
        index = self._index
        if index.position != index.stored_position:
            index.rows.append(IndexRow(index.position, index.recorded(), index.max_day()))
            states[_INDEX] = index.stored()
        if not states:
            return True
        expected = {name: live[name].stored_position for name in states if name in live}
        if _INDEX in states:
            expected[_INDEX] = index.stored_position
        committed = self._store.commit(
            expected, states, index.rows, index.late, self._pending_checkpoints
        )
        if committed:
            self._persisted_at = time.monotonic()
            for name, written in states.items():
                if name in live:
                    live[name].stored_position = live[name].position
                    live[name].dirty = False
                    live[name].digest = written.digest
                    live[name].stored = written
            index.stored_position = index.position
            index.rows, index.late = [], []
            self._pending_checkpoints = []
        return committed

    def catch_up(self, *, persist: bool | None = None) -> int:
        """Fold every event recorded since the read models' positions; return how many.

        The states are written with their positions, in one transaction, when it is due
        (`persist_every` events or `persist_seconds` since the last write): the state in
        memory is a cache of the log, so writing less often loses nothing. `persist=True`
        writes now (a worker that is about to stop does so); `persist=False` never writes.
        If another worker wrote first, its states are loaded and folding goes on from them.
        """
        with _collector_paused():
            return self._catch_up(persist)

    def _catch_up(self, persist: bool | None) -> int:
        live = self._live if self._live is not None else self._load()
        applied = 0
        while True:
            start = min([entry.position for entry in live.values()] + [self._index.position]) + 1
            batch = self._read_to_fold(start, self._batch_size)
            if not batch:
                break
            self._fold(live, batch)
            applied += len(batch)
            if persist is not False and self._due() and not self._persist(live):
                live = self._load()
        if (persist or (persist is None and self._due())) and not self._persist(live):
            self._load()
            return applied + self._catch_up(persist)
        return applied

    def _read_to_fold(self, start: int, limit: int) -> list[tuple[int, DomainEvent]]:
        """A batch of events to fold: events of classes no read model has a handler for
        come as `Unread` stand-ins when the source offers them (their decoding would be
        wasted), unless a read model folds every event in its own `apply`."""
        read_for = getattr(self._source, "read_for", None)
        if read_for is None or self._handled is None:
            return self._source.read(start, limit)
        return read_for(start, limit, self._handled)  # type: ignore[no-any-return]

    def _due(self) -> bool:
        unsaved = self._index.position - self._index.stored_position
        if unsaved == 0:
            return False
        late = time.monotonic() - self._persisted_at >= self._persist_seconds
        return unsaved >= self._persist_every or late

    def _persist_index(self) -> None:
        """Write the time indexes alone (cheap), so as-of queries see the whole log."""
        index = self._index
        while index.position != index.stored_position:
            index.rows.append(IndexRow(index.position, index.recorded(), index.max_day()))
            committed = self._store.commit(
                {_INDEX: index.stored_position},
                {_INDEX: index.stored()},
                index.rows,
                index.late,
            )
            if committed:
                index.stored_position = index.position
                index.rows, index.late = [], []
                return
            self._load()
            self.catch_up(persist=False)
            index = self._index

    def state(self, name: str) -> Any:
        """The current state of a read model (caught up with the log first)."""
        self.catch_up()
        assert self._live is not None
        return self._live[name].state

    def position(self, name: str | None = None) -> int:
        """The stored log position of a read model (the lowest of all without a name)."""
        stored = self._store.load([name] if name else list(self._models))
        if name is not None:
            return stored[name].position if name in stored else 0
        return min((stored[n].position if n in stored else 0) for n in self._models)

    def digests(self) -> dict[str, str]:
        """The digest of every read model's current state."""
        self.catch_up()
        assert self._live is not None
        return {
            name: entry.digest
            if entry.digest is not None and not entry.dirty
            else entry.model.digest(entry.state)
            for name, entry in self._live.items()
        }

    # --------------------------------------------------------------- rebuild

    def rebuild(
        self,
        name: str | None = None,
        *,
        progress: Callable[[Progress], None] | None = None,
        batch_size: int = 5_000,
        persist_every: int | None = None,
    ) -> RebuildResult:
        """Rebuild read models from the start of the log, resumably.

        The chosen read models start over from an empty state and fold the whole log in
        batches of `batch_size` events (larger batches are no faster, and a batch of
        decoded events is most of a rebuild's memory besides the states), writing state and
        position every `persist_every` events (by default at each checkpoint, whose
        encoding the write reuses) and at the end. A rebuild
        killed at any point resumes from its last write when called again: a marker says a
        rebuild is under way, so the next call goes on instead of starting over.
        Meanwhile readers stay correct: a stored state at position p is the fold of the log
        up to p, and they catch up from there.
        """
        names = [name] if name is not None else list(self._models)
        for chosen in names:
            if chosen not in self._models:
                raise InvalidValue(f"no read model named {chosen!r}; there are {self.names}")
        markers = [n + _REBUILD for n in names]
        under_way = self._store.load(markers)
        fresh = [n for n in names if n + _REBUILD not in under_way]
        if fresh:
            self._store.delete(fresh)
            marker = StoredState(1, 0, compress(b"{}"), "")
            self._store.commit({}, {n + _REBUILD: marker for n in fresh})
        self._live = None
        started = time.perf_counter()
        every = self._checkpoint_every if persist_every is None else persist_every
        with _collector_paused():
            done = self._fold_to_head(batch_size, every, progress, started)
        self._store.delete(markers)
        digests = self.digests()
        return RebuildResult(
            events=done,
            seconds=time.perf_counter() - started,
            digests=tuple((n, digests[n]) for n in names),
        )

    def _fold_to_head(
        self,
        batch_size: int,
        persist_every: int,
        progress: Callable[[Progress], None] | None,
        started: float,
    ) -> int:
        """Fold batch by batch up to the head, persisting every `persist_every` events and
        at the end, and reporting progress after every batch."""
        live = self._load()
        first = min([entry.position for entry in live.values()] + [self._index.position])
        total = max(0, self._source.head() - first)
        done = 0
        while True:
            start = min([entry.position for entry in live.values()] + [self._index.position]) + 1
            batch = self._read_to_fold(start, batch_size)
            if not batch:
                break
            self._fold(live, batch)
            done += len(batch)
            unsaved = self._index.position - self._index.stored_position
            at_head = len(batch) < batch_size
            if (unsaved >= persist_every or at_head) and not self._persist(live):
                live = self._load()
                continue
            total = max(total, done + self._source.head() - batch[-1][0])
            if progress is not None:
                progress(Progress(done, total, time.perf_counter() - started))
        return done

    # --------------------------------------------------------------- as of

    def _cut(
        self, bound: str, key: Callable[[IndexRow], str], scan: Callable[[DomainEvent], str]
    ) -> int:
        """The last log position whose running maximum (by `key`/`scan`) is at most `bound`."""
        rows = self._store.index_rows()
        previous = IndexRow(0, "", "")
        for row in rows:
            if key(row) > bound:
                running = key(previous)
                cut = previous.position
                for position, event in self._events(previous.position + 1, row.position):
                    running = max(running, scan(event))
                    if running > bound:
                        break
                    cut = position
                return cut
            previous = row
        return previous.position

    def _events(
        self, first: int, last: int, wanted: Callable[[type[Any]], bool] | None = None
    ) -> Iterator[tuple[int, DomainEvent]]:
        """The events at positions `first` to `last`; with `wanted`, only those of the
        classes it accepts (a source that can skip the others undecoded does so)."""
        read_kinds = getattr(self._source, "read_kinds", None) if wanted is not None else None
        position = first
        while position <= last:
            limit = min(self._batch_size, last - position + 1)
            if read_kinds is not None:
                reached, batch = read_kinds(position, limit, wanted)
                if not reached:
                    return
            else:
                batch = self._source.read(position, limit)
                if not batch:
                    return
                reached = batch[-1][0]
            for item in batch:
                if item[0] > last:
                    return
                if wanted is None or wanted(type(item[1])):
                    yield item
            position = reached + 1

    def known_position(self, as_known_at: datetime) -> int:
        """The last log position known at a moment: the longest prefix of the log whose
        running maximum recorded moment is at most `as_known_at`."""
        _check_aware(as_known_at)
        self.catch_up()
        self._persist_index()
        return self._cut(
            _stamp(as_known_at), lambda row: row.max_recorded, lambda e: _stamp(e.timestamp)
        )

    def history(self, last: int) -> Iterator[tuple[int, DomainEvent]]:
        """The events at positions 1 to `last`, with their positions, read in batches."""
        return self._events(1, last)

    def state_as_of(
        self, name: str, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> Any:
        """A read model's state as known at a moment, as true on a day, or both.

        As known at T: the log up to the last position whose running maximum recorded
        moment is at most T (event clocks of several processes need not agree; the running
        maximum makes the cut a prefix of the log that really existed). As true on D: every
        event recorded so far (up to that cut) that happened on or before D, including late
        registrations. Both come from the nearest checkpoint plus a short replay.
        """
        if as_known_at is not None:
            _check_aware(as_known_at)
        self.catch_up()
        self._persist_index()
        model = self._models[name]
        head = self._index.position
        known = head
        if as_known_at is not None:
            known = self._cut(
                _stamp(as_known_at), lambda row: row.max_recorded, lambda e: _stamp(e.timestamp)
            )
        prefix = known
        if as_true_on is not None:
            prefix = min(
                known,
                self._cut(
                    as_true_on.isoformat(),
                    lambda row: row.max_occurred,
                    _business_day,
                ),
            )
        checkpoint = self._store.checkpoint(name, model.version, prefix)
        # Only events the model has a handler for change its state: the others need not be
        # decoded (most of the log, for most models).
        wanted = None
        if type(model).apply is ReadModel.apply:
            wanted = _handled_by(model)
        with _collector_paused():
            state = model.decode(_json(checkpoint.state)) if checkpoint else model.initial()
            first = (checkpoint.position if checkpoint else 0) + 1
            for _, event in self._events(first, prefix, wanted):
                model.apply(state, event)
            if as_true_on is not None:
                late = self._store.late_events(prefix, known, as_true_on.isoformat())
                for _position, event in self._late_events(late, wanted):
                    if is_true_on(event, as_true_on):
                        model.apply(state, event)
        return state

    def _late_events(
        self, positions: list[int], kinds: Callable[[type[Any]], bool] | None = None
    ) -> Iterator[tuple[int, DomainEvent]]:
        """The events at `positions` (ascending; of the classes `kinds` accepts, if given),
        read in runs: late registrations cluster just after the prefix, so reading ranges
        beats one read per event."""
        wanted = set(positions)
        run = 0
        while run < len(positions):
            first = last = positions[run]
            while run + 1 < len(positions) and positions[run + 1] - last <= self._index_every:
                run += 1
                last = positions[run]
            for position, event in self._events(first, last, kinds):
                if position in wanted:
                    yield position, event
            run += 1


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while folding.

    Folding makes and drops objects by the million (events, their fields), all freed by
    reference counting; the cyclic collector, started by that allocation, would meanwhile
    walk the ever larger states again and again: more than half of a million-event
    rebuild's time went there. States and events hold no reference cycles, so nothing
    waits for the collector meanwhile; it is switched back on afterwards (unless it was
    off already)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _handled_by(model: ReadModel[Any]) -> Callable[[type[Any]], bool]:
    """Whether `model` has a handler for events of a class."""
    return lambda kind: model.handler(kind) is not None


def _route(entries: list[_Live], kind: type[Any]) -> list[tuple[Handler, Any]]:
    """The (handler, state) pairs that an event of class `kind` goes to."""
    route: list[tuple[Handler, Any]] = []
    for entry in entries:
        model = entry.model
        if type(model).apply is not ReadModel.apply:
            # A model that folds in its own `apply` sees every event.
            route.append((model.apply, entry.state))
        elif (handle := model.handler(kind)) is not None:
            route.append((handle, entry.state))
    return route


def _check_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue(
            f"as_known_at must be a timezone-aware datetime (e.g. in UTC); got {moment}"
        )
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise InvalidValue(
            "as_known_at lies outside the years 1 to 9999 once turned into UTC"
        ) from None


def _business_day(event: DomainEvent) -> str:
    """An event's business date as the running maximum counts it (programme events, which
    are replayed for every day, count for none)."""
    if isinstance(event, HoldsOnEveryDay):
        return ""
    day: date = getattr(event, "occurred_on", date.min)
    return day.isoformat()


def _json(stored: bytes) -> Any:
    text = decompress(stored)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # What orjson does not read (integers beyond 64 bits) the standard library does.
        return json.loads(text)


def _freeze(model: ReadModel[Any], state: Any, position: int) -> StoredState:
    """The state as stored: compressed canonical JSON and its digest, written piece by
    piece so the whole text is never in memory at once."""
    hasher = hashlib.sha256()
    packer = zlib.compressobj(COMPRESSION_LEVEL)
    packed = []
    for chunk in canonical_chunks(model.encode(state)):
        hasher.update(chunk)
        packed.append(packer.compress(chunk))
    packed.append(packer.flush())
    return StoredState(model.version, position, b"".join(packed), hasher.hexdigest())

"""Checking what is derived from the log against a fresh replay of it.

Three kinds of derived data are kept beside the events, and each must equal what the log
gives when folded again from the start:

- each read model's stored **state**, at the log position it says it reflects;
- each read model's **checkpoints**, which as-of queries start from;
- the **time index** (running maxima of recorded moment and business date at positions
  along the log) and the positions of **late events**, which decide the log prefix an
  as-known-at or as-true-on query reads.

A stored state must also hash to its own stored digest (chunk by chunk, then as a whole).
The index is recomputed here from its definition (docs/read-models.md),
independently of the runner that wrote it.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import attrs
from eventsourcing.domain import DomainEvent

from caseload.adapters.read_model_store import ProjectionStore, StoredState, decompress
from caseload.domain.errors import CheckpointChunkMissing
from caseload.domain.events import HoldsOnEveryDay
from caseload.projections import stored_state
from caseload.projections.base import ReadModel, segments_digest

__all__ = ["DerivedData"]

INDEX = "log_index"
_ALL_DAYS = "9999-12-31"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


@attrs.define
class _Target:
    """Something stored at `position` that a fresh fold must reproduce."""

    position: int
    kind: str
    """"state", "checkpoint" or "index"."""
    name: str
    expected: Any
    found: Any = None


class DerivedData:
    """Replays the log (as a listener of verify's single pass) and compares every stored
    state, checkpoint and index row with the fresh fold at its position."""

    def __init__(
        self,
        models: Sequence[ReadModel[Any]],
        store: ProjectionStore,
        stored: dict[str, StoredState],
        last: int,
        head: int,
    ) -> None:
        """Compare what `store` holds up to log position `last`; `stored` is its read-model
        and index states, loaded once before the log's `head` was read (so a worker moving
        them on meanwhile cannot make them look wrong)."""
        self.models = {model.name: model for model in models}
        self.problems: list[str] = []
        self.counts = {"state": 0, "checkpoint": 0, "index": 0, "index-state": 0}
        self.missing: list[str] = []
        self.outdated: list[str] = []
        """Read models stored by another version of the library: the runner never reads
        them (it folds those models again from the log), so no answer rests on them and
        there is nothing to compare; `caseload rebuild` replaces them."""
        self.snapshots: int | None = None
        """How many aggregate snapshots agreed with a replay (None: not compared)."""
        targets: list[_Target] = []
        for name, model in self.models.items():
            state = stored.get(name)
            if state is None:
                self.missing.append(name)
            elif state.position > head:
                self.problems.append(
                    f"read model {name} is stored at log position {state.position}, past the "
                    f"end of the log at {head}: run `caseload rebuild`"
                )
            elif state.version != model.version:
                self.outdated.append(f"{name} (version {state.version}, now {model.version})")
            elif state.position <= last and (
                found := self._intact(f"the stored state of read model {name}", state, model)
            ):
                targets.append(_Target(state.position, "state", name, found))
            # (a state stored past `last` was written after the pin: its checkpoints up to
            # the pin are compared instead)
            targets.extend(self._checkpoints(store, name, model.version, last))
        index = stored.get(INDEX)
        self.index_position = 0
        if index is not None and index.position > head:
            self.problems.append(
                f"the time index is stored at log position {index.position}, past the end "
                f"of the log at {head}"
            )
        elif index is not None and index.position <= last:
            self.index_position = index.position
            data = json.loads(decompress(index.state))
            expected = (data["max_recorded"], data["max_occurred"])
            targets.append(_Target(index.position, "index-state", INDEX, expected))
        elif index is not None:
            self.index_position = last
        targets.extend(
            _Target(row.position, "index", INDEX, (row.max_recorded, row.max_occurred))
            for row in store.index_rows()
            if row.position <= last
        )
        self.stored_late = set(store.late_events(0, self.index_position, _ALL_DAYS))
        self.targets = sorted(targets, key=lambda t: t.position)
        self._next = 0
        self.until = {
            name: max((t.position for t in self.targets if t.name == name), default=0)
            for name in self.models
        }
        self.states = {name: model.initial() for name, model in self.models.items()}
        self._appliers = [
            (self.until[name], model.apply, self.states[name])
            for name, model in self.models.items()
            if self.until[name] > 0
        ]
        self._latest: datetime | None = None
        self._max_day: date | None = None
        self.late: set[int] = set()

    def _intact(self, what: str, stored: StoredState, model: ReadModel[Any]) -> str | None:
        """The digest of what is stored, if it matches the stored digest (a state of the
        earlier layout, stored without one, is taken as it reads); else None, with the
        problem noted."""
        try:
            found = ""
            if stored.chunks:
                chunks = []
                for key, (_, digest) in stored.chunks.items():
                    if hashlib.sha256(decompress(stored.body(key))).digest() != digest:
                        break
                    chunks.append((key, digest))
                else:
                    header = hashlib.sha256(decompress(stored.state)).digest()
                    found = segments_digest(header, chunks)
            else:
                found = model.digest(model.decode(stored_state.thaw(stored.state)))
        except (zlib.error, ValueError, TypeError, KeyError) as error:
            self.problems.append(f"{what} at position {stored.position} cannot be read: {error}")
            return None
        if found == stored.digest or (not stored.digest and not stored.chunks):
            return found
        self.problems.append(f"{what} at position {stored.position} does not match its digest")
        return None

    def _checkpoint(
        self, store: ProjectionStore, name: str, version: int, at_most: int
    ) -> StoredState | None:
        """The checkpoint `store.checkpoint` finds, or None with the problem noted when it
        names a chunk the store does not hold."""
        try:
            return store.checkpoint(name, version, at_most)
        except CheckpointChunkMissing as error:
            self.problems.append(str(error))
            return None

    def _checkpoints(
        self, store: ProjectionStore, name: str, version: int, last: int
    ) -> list[_Target]:
        found = []
        at_most = last
        while (checkpoint := self._checkpoint(store, name, version, at_most)) is not None:
            if digest := self._intact(
                f"the checkpoint of read model {name}", checkpoint, self.models[name]
            ):
                found.append(_Target(checkpoint.position, "checkpoint", name, digest))
            at_most = checkpoint.position - 1
        return found

    # ------------------------------------------------------------------ the replay

    def __call__(self, position: int, event: DomainEvent) -> None:
        targets = self.targets
        while self._next < len(targets) and targets[self._next].position < position:
            self._capture(targets[self._next])
            self._next += 1
        for until, apply, state in self._appliers:
            if position <= until:
                apply(state, event)
        self._see(position, event)

    def _see(self, position: int, event: DomainEvent) -> None:
        """The time index's definition: running maxima, and which events are late."""
        moment = event.timestamp
        if self._latest is None or moment > self._latest:
            self._latest = moment
        occurred = getattr(event, "occurred_on", None)
        if isinstance(event, HoldsOnEveryDay):
            late = True
        elif occurred is None:
            late = False
        elif self._max_day is None or occurred > self._max_day:
            self._max_day, late = occurred, False
        else:
            late = occurred < self._max_day
        if late and position <= self.index_position:
            self.late.add(position)

    def _capture(self, target: _Target) -> None:
        if target.kind in ("index", "index-state"):
            target.found = (
                "" if self._latest is None else _stamp(self._latest),
                "" if self._max_day is None else self._max_day.isoformat(),
            )
        else:
            target.found = self.models[target.name].digest(self.states[target.name])

    def finish(self) -> None:
        """Capture what lies at or past the end of the log."""
        for target in self.targets[self._next :]:
            self._capture(target)
        self._next = len(self.targets)

    # ------------------------------------------------------------------ the verdict

    def differences(self) -> list[str]:
        """Everything stored that differs from the fresh fold (empty when all agree)."""
        problems = list(self.problems)
        for target in self.targets:
            if target.found == target.expected:
                self.counts[target.kind] += 1
                continue
            if target.kind == "state":
                problems.append(
                    f"read model {target.name}, stored at log position {target.position}, "
                    "differs from a fresh fold of the log up to there: run `caseload rebuild`"
                )
            elif target.kind == "checkpoint":
                problems.append(
                    f"the checkpoint of read model {target.name} at log position "
                    f"{target.position} differs from a fresh fold of the log up to there"
                )
            else:
                what = "time index" if target.kind == "index" else "stored time index state"
                problems.append(
                    f"the {what} at log position {target.position} differs from the "
                    "running maxima of the log up to there"
                )
        if self.late != self.stored_late:
            wrong = sorted(self.late ^ self.stored_late)
            problems.append(
                f"the late-event index differs from the log at {len(wrong)} positions, "
                f"the first at {wrong[0]}"
            )
        return problems

    def summary(self) -> str:
        """What was compared, for a passing check."""
        text = (
            f"{self.counts['state']} stored read models, {self.counts['checkpoint']} "
            f"checkpoints, {self.counts['index']} index rows and "
            f"{len(self.stored_late)} late events equal a fresh fold"
        )
        if self.snapshots is not None:
            text += f"; {self.snapshots} aggregate snapshots equal a replay"
        if self.missing:
            text += f"; not stored yet: {', '.join(self.missing)}"
        if self.outdated:
            text += (
                f"; stored by another version, to be rebuilt (run `caseload rebuild`): "
                f"{', '.join(self.outdated)}"
            )
        return text

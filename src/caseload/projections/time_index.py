"""The log's time indexes: the running maxima of recorded moment and business date along it.

Both maxima only grow along the log, so a moment or a day maps to a prefix of it: the
runner writes a row of them every `index_every` positions, and an as-of query finds its cut
from the rows and a short scan. Events dated before the running maximum business date (late
registrations), and programme events, are listed apart: an as-true-on query adds them after
its prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import attrs
from eventsourcing.domain import DomainEvent

from caseload.adapters.log import Unread
from caseload.adapters.read_model_store import IndexRow, LateEvent, StoredState, compress
from caseload.domain.events import HoldsOnEveryDay, holds_on_every_day
from caseload.projections import stored_state
from caseload.projections.canonical import canonical_bytes

__all__ = ["INDEX", "TimeIndex", "business_day", "stamp"]

INDEX = "log_index"
"""The name under which the running maxima are stored beside the read models' states."""


def stamp(moment: datetime) -> str:
    """A UTC moment as fixed-width ISO text, so text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def business_day(event: DomainEvent) -> str:
    """An event's business date as the running maximum counts it (programme events, which
    are replayed for every day, count for none)."""
    if isinstance(event, HoldsOnEveryDay):
        return ""
    day: date = getattr(event, "occurred_on", date.min)
    return day.isoformat()


@attrs.define
class TimeIndex:
    """The running maxima of recorded moment and business date, and what is pending."""

    position: int = 0
    stored_position: int = 0
    rows: list[IndexRow] = attrs.Factory(list)
    late: list[LateEvent] = attrs.Factory(list)
    _latest: datetime | None = None
    _max_day: date | None = None
    _max_day_text: tuple[date | None, str] = (None, "")

    @classmethod
    def from_stored(cls, stored: StoredState) -> TimeIndex:
        """The index as `stored()` wrote it (its rows and late events are in the store)."""
        data = stored_state.thaw(stored.state)
        return cls(
            position=stored.position,
            stored_position=stored.position,
            latest=datetime.fromisoformat(data["max_recorded"]) if data["max_recorded"] else None,
            max_day=date.fromisoformat(data["max_occurred"]) if data["max_occurred"] else None,
        )

    def see(self, position: int, event: DomainEvent, every: int) -> None:
        """Take one event (the next after `position`) into the running maxima."""
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
        return "" if self._latest is None else stamp(self._latest)

    def stored(self) -> StoredState:
        """The running maxima as stored beside the read models' states, under `INDEX`."""
        data = canonical_bytes({"max_recorded": self.recorded(), "max_occurred": self.max_day()})
        return StoredState(1, self.position, compress(data), "")

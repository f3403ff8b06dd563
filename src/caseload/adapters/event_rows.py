"""Domain events encoded straight to the rows the chained SQLite recorder stores.

eventsourcing's `Mapper.to_stored_event` makes a `StoredEvent` of each event, which the
recorder then takes apart into a row again. A writer of many events at once (a batch)
encodes each event straight to its row instead: the same topic, the same state bytes
(the same copy of the event's values, without its id and version, with its class version
when above 1, through the same transcoder), so the same rows and the same hash chain.
A mapper that compresses or encrypts, or whose transcoder is not ours, keeps
eventsourcing's way (`EventRows.for_mapper` gives None).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import Mapper
from eventsourcing.utils import get_topic

from caseload.adapters.fast_transcoder import FastJSONTranscoder
from caseload.adapters.hashes import id_text
from caseload.adapters.log import StoredTopicsMapper
from caseload.adapters.recorders import EventRow

__all__ = ["EventRows"]


class EventRows:
    """Encodes domain events to `EventRow`s: the bytes `Mapper.to_stored_event` gives."""

    def __init__(self, transcoder: FastJSONTranscoder) -> None:
        self._encode = transcoder.encode
        self._classes: dict[type[Any], tuple[str, int]] = {}

    @classmethod
    def for_mapper(cls, mapper: Mapper[Any]) -> EventRows | None:
        """Rows for what `mapper` stores, or None when it does more than encode to JSON
        with our transcoder (it compresses, encrypts, or is not eventsourcing's own or the
        one that also reads earlier topics)."""
        if (
            type(mapper) not in (Mapper, StoredTopicsMapper)
            or mapper.compressor is not None
            or mapper.cipher is not None
            or not isinstance(mapper.transcoder, FastJSONTranscoder)
        ):
            return None
        return cls(mapper.transcoder)

    def rows(self, events: Sequence[DomainEvent]) -> list[EventRow]:
        """The rows of `events`, in order."""
        classes = self._classes
        encode = self._encode
        rows = []
        for event in events:
            kind = type(event)
            known = classes.get(kind)
            if known is None:
                known = classes[kind] = (get_topic(kind), getattr(kind, "class_version", 1))
            topic, class_version = known
            state = dict(event.__dict__)
            originator_id = state.pop("originator_id")
            originator_version = state.pop("originator_version")
            if class_version > 1:
                state["class_version"] = class_version
            rows.append((id_text(originator_id), originator_version, topic, encode(state)))
        return rows

"""Stored rows of the event log decoded into their domain events, in one pass each.

eventsourcing's mapper decodes JSON with a Python hook on every object; here a row's state
is parsed by orjson and its tagged values (ids, dates, enum members, sets) decoded in one
pass over the result. The events are the same objects the mapper makes (same class, same
attributes, upcasters applied); a property test compares the two.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent, Transcoding
from eventsourcing.utils import TopicError, resolve_topic

from caseload.adapters.transcodings import EnumAsValue

__all__ = ["EventDecoder", "StoredTopicsMapper", "Unread", "resolve_stored_topic"]

_CONTAINERS = (dict, list)


def resolve_stored_topic(topic: str) -> Any:
    """The class a stored topic names, that of an earlier version too: those are registered
    when the programme kinds load (on first use, not when the log is opened), so a topic
    that does not resolve loads them and is tried once more."""
    try:
        return resolve_topic(topic)
    except TopicError:
        from caseload.programmes import programme_kinds

        programme_kinds()
        return resolve_topic(topic)


class StoredTopicsMapper(Mapper[UUID]):
    """eventsourcing's mapper, which finds the classes of stored topics of earlier versions
    too (see `resolve_stored_topic`); it stores events exactly as eventsourcing's does."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        try:
            return super().to_domain_event(stored_event)
        except TopicError:
            resolve_stored_topic(stored_event.topic)
            return super().to_domain_event(stored_event)


class Unread:
    """A stand-in for an event that no read model folds: its class, and the only two
    fields the runner's time index reads of every event."""

    __slots__ = ("kind", "occurred_on", "timestamp")

    def __init__(self, kind: type[Any], timestamp: datetime, occurred_on: date | None) -> None:
        self.kind = kind
        self.timestamp = timestamp
        self.occurred_on = occurred_on


class _Parsed(dict[Any, Any]):
    """Values by their text, parsed on first sight, so that getting one is a C-level
    lookup; cleared when it reaches `bound` entries. A `ready` value maps to itself."""

    def __init__(self, parse: Callable[[Any], Any], bound: int, ready: type | None = None) -> None:
        super().__init__()
        self._parse = parse
        self._bound = bound
        self._ready = ready

    def __missing__(self, text: Any) -> Any:
        if len(self) >= self._bound:
            self.clear()
        ready = self._ready is not None and isinstance(text, self._ready)
        value = self[text] = text if ready else self._parse(text)
        return value


class EventDecoder:
    """Turns a stored row (id, version, topic, state bytes) into its domain event."""

    def __init__(self, transcoder: JSONTranscoder) -> None:
        self._transcodings: dict[str, Transcoding] = dict(transcoder.names)
        self._classes: dict[str, tuple[type[Any], int]] = {}
        self._uuids = _Parsed(UUID, 1_000_000, ready=UUID)
        # Business dates repeat across events: one object per day is faster to get than
        # to parse, and read models that keep dates then share them.
        self._dates = _Parsed(date.fromisoformat, 100_000)
        # Transcodings whose data is a plain string or number decode in one call; the
        # same functions the transcodings use, without the per-object hook around them.
        self._scalar: dict[Any, Callable[[Any], Any]] = {
            "uuid_hex": self._uuids.__getitem__,
            "date_iso": self._dates.__getitem__,
            "datetime_iso": datetime.fromisoformat,
            "decimal_str": Decimal,
        }
        # The same few frozensets (a contact's roles) recur in most events: each is made
        # once, by its members' JSON, and shared (it cannot change), which spares decoding
        # the members and hashing them in Python (an enum member hashes in Python).
        self._frozensets: dict[bytes, frozenset[Any]] = {}
        # Every tag's decoder of its data, looked up by subscript: the tagged values of a
        # stored event are looked up once each, without a method call per lookup.
        self._decoders: dict[Any, Callable[[Any], Any]] = {}
        for name, transcoding in self._transcodings.items():
            if isinstance(transcoding, EnumAsValue):
                self._scalar[name] = transcoding.members.__getitem__
            elif transcoding.type is frozenset:
                self._scalar[name] = self._frozenset
            elif transcoding.type is set:
                self._decoders[name] = self._set
            else:
                self._decoders[name] = partial(self._tagged, transcoding.decode)
        self._decoders.update(self._scalar)

    def _tagged(self, decode: Callable[[Any], Any], data: Any) -> Any:
        return decode(self._untag(data))

    def _set(self, items: Any) -> set[Any]:
        return set(self._members(items))

    def _untag(self, value: Any) -> Any:
        """Decode tagged objects inside a parsed JSON value, innermost first."""
        kind = type(value)
        if kind is dict:
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                return self._decoders[value["_type_"]](value["_data_"])
            return {
                key: self._untag(item) if type(item) in _CONTAINERS else item
                for key, item in value.items()
            }
        if kind is list:
            return [self._untag(item) if type(item) in _CONTAINERS else item for item in value]
        return value

    def _frozenset(self, items: Any) -> frozenset[Any]:
        """A stored frozenset, decoded once for every distinct list of members."""
        if type(items) is not list:
            return frozenset(self._members(items))
        key = orjson.dumps(items)
        found = self._frozensets.get(key)
        if found is None:
            if len(self._frozensets) >= 10_000:
                self._frozensets.clear()
            found = self._frozensets[key] = frozenset(self._members(items))
        return found

    def _members(self, items: list[Any]) -> list[Any]:
        """A set's members, decoded: mostly tagged scalars (enum members, ids)."""
        scalars, members = self._scalar, []
        for item in items:
            if type(item) is dict and len(item) == 2:
                scalar = scalars.get(item.get("_type_"))
                if scalar is not None and "_data_" in item:
                    members.append(scalar(item["_data_"]))
                    continue
            members.append(self._untag(item) if type(item) in _CONTAINERS else item)
        return members

    def kind(self, topic: str) -> type[Any]:
        """The event class a topic names."""
        return (self._classes.get(topic) or self._class(topic))[0]

    def unread(self, topic: str, state: bytes) -> Unread:
        """The stand-in for a stored event: its class, recorded moment and business date."""
        data = orjson.loads(state)
        occurred = data.get("occurred_on")
        return Unread(
            self.kind(topic),
            self._untag(data["timestamp"]),
            None if occurred is None else self._untag(occurred),
        )

    def _class(self, topic: str) -> tuple[type[Any], int]:
        cls = resolve_stored_topic(topic)
        found = self._classes[topic] = (cls, getattr(cls, "class_version", 1))
        return found

    def decode(self, originator_id: Any, version: int, topic: str, state: bytes) -> DomainEvent:
        """The domain event a stored row holds."""
        cls, class_version = self._classes.get(topic) or self._class(topic)
        data = orjson.loads(state)
        decoders, untag = self._decoders, self._untag
        # The event's own fields, decoded in place: most are one tagged scalar (a date, an
        # id, an enum member), decoded here without a call per level. A two-key object
        # that is not a known tag (rare) misses the lookups and takes the general way.
        for key, value in data.items():
            kind = type(value)
            if kind is dict:
                if len(value) == 2:
                    try:
                        data[key] = decoders[value["_type_"]](value["_data_"])
                    except KeyError:
                        data[key] = untag(value)
                else:
                    data[key] = untag(value)
            elif kind is list:
                data[key] = untag(value)
        data["originator_id"] = self._uuids[originator_id]
        data["originator_version"] = version
        from_version = data.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(data)
            from_version += 1
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", data)
        return event  # type: ignore[no-any-return]

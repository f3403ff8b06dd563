"""The JSON transcoder of stored events: eventsourcing's, with its output written by orjson.

eventsourcing's `JSONTranscoder` encodes through the standard library, calling back into
Python for every value it cannot write itself (ids, dates, enums, sets, attrs values);
encoding was the largest single cost of writing events. `FastJSONTranscoder` turns the
event state into plain JSON values in one pass over it, applying the same registered
transcodings, and hands the result to orjson, which writes the same bytes the standard
library would. Stored bytes are the hash chain's input, so "the same" is exact: whatever
the two writers might spell differently (floats, subclasses of the built-in types, keys
that are not strings, text that is not valid UTF-8) is left to eventsourcing's encoder,
and a property test compares the two on every kind of value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    UUIDAsHex,
)

from caseload.adapters.transcodings import DateAsISO, EnumAsValue, FrozensetAsList, SetAsList

__all__ = ["FastJSONTranscoder"]


class _NotPlain(Exception):
    """A value orjson might write differently from the standard library."""


_BUILT_IN = (str, int, float, list, tuple, dict)
_TO_TEXT = (UUIDAsHex, DecimalAsStr, DatetimeAsISO, DateAsISO)
"""Transcodings whose encoding is always text, which needs no further conversion."""
_TO_LIST = (SetAsList, FrozensetAsList)
"""Transcodings whose encoding is always a list, whose members need converting."""


class FastJSONTranscoder(JSONTranscoder):
    """eventsourcing's JSON transcoder, encoding to the same bytes in a fraction of the time."""

    def __init__(self) -> None:
        super().__init__()
        self._converters: dict[type, Callable[[Any], Any]] = {}
        self._by_identity: set[type] = set()
        """Registered types whose values equal only themselves (enums without a mixin)."""

    def register(self, transcoding: Transcoding) -> None:
        """Register `transcoding`, and how the fast writer applies it."""
        super().register(transcoding)
        if issubclass(transcoding.type, _BUILT_IN):
            # The standard library writes these as their base type, never transcoded.
            self._converters.pop(transcoding.type, None)
            return
        self._converters[transcoding.type] = self._converter(transcoding)
        if transcoding.type.__eq__ is object.__eq__:
            self._by_identity.add(transcoding.type)

    def _converter(self, transcoding: Transcoding) -> Callable[[Any], Any]:
        name, encode = transcoding.name, transcoding.encode
        if type(transcoding) is DateAsISO:
            # Business dates repeat from event to event: each is converted once.
            dates: dict[Any, dict[str, Any]] = {}

            def convert_date(value: Any) -> dict[str, Any]:
                found = dates.get(value)
                if found is None:
                    if len(dates) >= 10_000:
                        dates.clear()
                    found = dates[value] = {"_type_": name, "_data_": encode(value)}
                return found

            return convert_date
        if type(transcoding) is UUIDAsHex:
            # Ids repeat too (a broker's in each of their contacts), kept by their numbers:
            # a UUID hashes in Python, its number in C.
            ids: dict[int, dict[str, Any]] = {}

            def convert_id(value: Any) -> dict[str, Any]:
                number = value.int
                found = ids.get(number)
                if found is None:
                    if len(ids) >= 10_000:
                        ids.clear()
                    found = ids[number] = {"_type_": name, "_data_": encode(value)}
                return found

            return convert_id
        if type(transcoding) in _TO_TEXT:
            return lambda value: {"_type_": name, "_data_": encode(value)}
        if type(transcoding) is FrozensetAsList:
            return self._frozenset_converter(name, encode)
        if type(transcoding) in _TO_LIST:
            plain = self._plain
            return lambda value: {"_type_": name, "_data_": [plain(m) for m in encode(value)]}
        if isinstance(transcoding, EnumAsValue) and type(transcoding) is EnumAsValue:
            try:
                encoded = {
                    member: {"_type_": name, "_data_": self._plain(encode(member))}
                    for member in transcoding.members.values()
                }
            except _NotPlain:
                pass
            else:
                return encoded.__getitem__
        return lambda value: {"_type_": name, "_data_": self._plain(encode(value))}

    def _frozenset_converter(self, name: str, encode: Callable[[Any], Any]) -> Callable[[Any], Any]:
        # The same few sets of enum members (a contact's roles) recur in many events: each
        # is converted once. Only sets whose members all equal nothing but themselves are
        # kept, so that a set found equal holds the very same members.
        plain, by_identity = self._plain, self._by_identity
        converted: dict[frozenset[Any], dict[str, Any]] = {}

        def convert(value: frozenset[Any]) -> dict[str, Any]:
            if not all(type(member) in by_identity for member in value):
                return {"_type_": name, "_data_": [plain(m) for m in encode(value)]}
            found = converted.get(value)
            if found is None:
                if len(converted) >= 10_000:
                    converted.clear()
                found = {"_type_": name, "_data_": [plain(m) for m in encode(value)]}
                converted[value] = found
            return found

        return convert

    def encode(self, obj: Any) -> bytes:
        """`obj` as the bytes `JSONTranscoder.encode` gives."""
        try:
            return orjson.dumps(self._plain(obj))
        except (_NotPlain, orjson.JSONEncodeError):
            return super().encode(obj)

    def _plain(self, value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            return value
        converter = self._converters.get(kind)
        if converter is not None:
            return converter(value)
        if kind is dict:
            plain = {}
            converters = self._converters
            for key, member in value.items():
                if type(key) is not str:
                    # The standard library turns numbers and None into text keys.
                    raise _NotPlain
                # The common members (text, numbers, ids, dates, enums) without a call.
                member_kind = type(member)
                if member_kind is str or member_kind is int or member is None:
                    plain[key] = member
                elif (converter := converters.get(member_kind)) is not None:
                    plain[key] = converter(member)
                else:
                    plain[key] = self._plain(member)
            return plain
        if kind is list or kind is tuple:
            return [self._plain(member) for member in value]
        # Floats (whose text the two writers may spell differently), subclasses of the
        # built-in types (which the standard library writes as their base) and
        # unregistered types (which it refuses) go the standard library's way.
        raise _NotPlain

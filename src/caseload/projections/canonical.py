"""Canonical JSON of read-model states, in pieces: maps of entities written entry by entry
(`Entries`), and a state's segments and digest.

A state's canonical form is kept, and digested, in segments (`segments`): a header (the
canonical JSON of the state with each map of entities written as `{}`) and the chunks of
every map of entities. The digest is the sha256 of the header's digest and the chunks'
keys and digests, so a state in which one entity changed is digested again by hashing one
chunk and a few hundred short digests, never the whole state.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from enum import Enum
from operator import itemgetter
from typing import Any, Generic, TypeVar
from uuid import UUID

import orjson

from caseload.adapters.read_model_store import COMPRESSION_LEVEL
from caseload.projections.chunking import RETIRED_KEY_CHARACTERS
from caseload.projections.entities import (
    CHUNK_ENTRIES,
    EntityMap,
    Retired,
    chunk_text,
    cut,
    prefix_length,
    text_of,
)
from caseload.projections.evicted import Restore

__all__ = [
    "DIGEST_FORMAT",
    "Entries",
    "Segment",
    "canonical_bytes",
    "canonical_chunks",
    "canonical_pieces",
    "digest_of",
    "plain_bytes",
    "reference_bytes",
    "segments",
    "segments_digest",
]

K = TypeVar("K")
V = TypeVar("V")

DIGEST_FORMAT = 2
"""How a state's digest is made. 1: the sha256 of its whole canonical JSON (up to 0.3);
2: the sha256 of the segments' digests (`segments_digest`), so that a catch-up digests
only the chunks it changed."""

Segment = tuple[bytes | None, bytes | None, bytes]
"""A chunk of a map of entities: its canonical text after a comma, that text compressed,
and the sha256 digest of the text. Either of the first two may be None, never both: a
chunk kept compressed comes without its text, one written afresh without its compressed
form."""


class Entries(Generic[K, V]):
    """A JSON object with one entry per entity (a trajectory, a broker), encoded entry by
    entry: its canonical form is written in chunks straight from the state, a run of
    entries at a time, so a state of many entities is never held whole a second time as
    data before it becomes text.

    The chunks are cut as `EntityMap.chunks` cuts them: open entries by the first
    characters of their key text, and, with a retirement policy `retired` (see
    `Retired`), each retired entry in the chunk the policy names. The object's canonical
    JSON is its chunks in chunk-key order, each in key order: without a policy, the
    entries in key order."""

    __slots__ = ("_items", "_key", "_restore", "_retired", "_value")

    def __init__(
        self,
        items: Mapping[K, V],
        key: Callable[[K], str],
        value: Callable[[V], Any],
        retired: Retired | None = None,
        *,
        restore: Restore | None = None,
    ) -> None:
        self._items = items
        self._key = key
        self._value = value
        self._retired = retired
        self._restore = restore
        """With a policy, the decoders of an entry (its key from its text, its value from
        its JSON data, as the model's `entities` reads them): an `EntityMap` then keeps
        its encoded retired chunks in their compressed form only (see `EntityMap.chunks`)."""

    @property
    def items(self) -> Mapping[K, V]:
        """The entities, by key."""
        return self._items

    @property
    def key(self) -> Callable[[K], str]:
        """An entity's key as text."""
        return self._key

    @property
    def value(self) -> Callable[[V], Any]:
        """An entity as JSON-able data."""
        return self._value

    @property
    def retired(self) -> Retired | None:
        """The retirement policy: the chunk of an entity that no longer changes (None for
        none)."""
        return self._retired

    def as_dict(self) -> dict[str, Any]:
        """The object as plain data."""
        key, value = self._key, self._value
        return {key(k): value(v) for k, v in self._items.items()}

    def pieces(self) -> Iterator[tuple[bytes | None, bytes | None]]:
        """The canonical JSON of the object in pieces, each with its compressed form where
        one is kept (an `EntityMap` keeps its chunks encoded and re-encodes only those
        with changed entries), or None; a piece whose compressed form is given may come
        without its text (None), which is then that form inflated."""
        items = self._items
        if not isinstance(items, EntityMap):
            for chunk in self.chunks():
                yield chunk, None
            return
        cached = list(
            items.chunks(
                self._key,
                self._value,
                COMPRESSION_LEVEL,
                self._retired,
                self._restore,
                loaded=True,
            ).values()
        )
        if not cached:
            yield b"{}", None
            return
        yield b"{", None
        yield chunk_text(cached[0])[1:], None
        yield from ((text, packed) for text, packed, _ in cached[1:])
        yield b"}", None

    def chunk_map(self) -> dict[str, Segment]:
        """The entries in chunks by chunk key, in chunk-key order (see
        `EntityMap.chunks`, whose cut a plain mapping follows too, so both have the same
        chunks)."""
        items = self._items
        if isinstance(items, EntityMap):
            return dict(
                items.chunks(
                    self._key, self._value, COMPRESSION_LEVEL, self._retired, self._restore
                )
            )
        key, value = self._key, self._value
        _, _, runs = cut(((key(k), k, v) for k, v in items.items()), self._retired, CHUNK_ENTRIES)
        chunks: dict[str, Segment] = {}
        for chunk_key in sorted(runs):
            run = {text: value(entry) for text, entry in runs[chunk_key].items()}
            chunk = b"," + canonical_bytes(run)[1:-1]
            chunks[chunk_key] = (chunk, None, hashlib.sha256(chunk).digest())
        return chunks

    def chunks(self, entries_per_chunk: int = 2_000) -> Iterator[bytes]:
        """The canonical JSON of the object, in pieces: without a retirement policy, runs
        of entries in key order, each written by one orjson call over a dict of the run
        (then stripped of its braces); with one, its chunks in chunk-key order."""
        if isinstance(self._items, EntityMap):
            for text, packed in self.pieces():
                yield text_of(text, packed)
            return
        if self._retired is not None:
            separator = b"{"
            for text, _, _ in self.chunk_map().values():
                assert text is not None, "a plain mapping's chunks come with their text"
                yield separator + text[1:]
                separator = b","
            yield b"}" if separator == b"," else b"{}"
            return
        key, value = self._key, self._value
        keyed = sorted(((key(k), v) for k, v in self._items.items()), key=itemgetter(0))
        separator = b"{"
        for start in range(0, len(keyed), entries_per_chunk):
            run = {text: value(item) for text, item in keyed[start : start + entries_per_chunk]}
            yield separator + canonical_bytes(run)[1:-1]
            separator = b","
        yield b"}" if keyed else b"{}"


def canonical_chunks(data: Any) -> Iterator[bytes]:
    """The canonical JSON of `data` in pieces (`Entries` written entry by entry)."""
    for text, packed in canonical_pieces(data):
        yield text_of(text, packed)


def canonical_pieces(data: Any) -> Iterator[tuple[bytes | None, bytes | None]]:
    """The canonical JSON of `data` in pieces, each with its compressed form where an
    `Entries` keeps one (else None)."""
    if isinstance(data, Entries):
        yield from data.pieces()
    elif type(data) is dict and any(isinstance(item, Entries) for item in data.values()):
        separator = b"{"
        for key in sorted(data):
            yield separator + orjson.dumps(key) + b":", None
            yield from canonical_pieces(data[key])
            separator = b","
        yield b"}", None
    else:
        yield canonical_bytes(data), None


def _default(value: object) -> object:
    if isinstance(value, Entries):
        return value.as_dict()
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot encode {type(value).__name__} canonically")


_CANONICAL = orjson.OPT_SORT_KEYS


def canonical_bytes(data: Any) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8.

    The bytes are those of `reference_bytes` (the standard library's `json.dumps` with
    sorted keys), made by orjson, which writes the same bytes for the data read models
    encode: strings, integers, booleans, None, lists, dicts with string keys, dates (ISO),
    enum members (their value) and Decimals (as text). Encoders write ids as hex
    themselves, and never floats or datetimes: orjson would write a UUID hyphenated and
    some floats differently (1e16). What orjson refuses (integers beyond 64 bits,
    non-string keys) goes through `json` itself.
    """
    if isinstance(data, Entries) or (
        type(data) is dict and any(isinstance(item, Entries) for item in data.values())
    ):
        return b"".join(canonical_chunks(data))
    try:
        return orjson.dumps(data, default=_default, option=_CANONICAL)
    except TypeError:
        return reference_bytes(data)


def plain_bytes(data: Any) -> bytes:
    """`canonical_bytes` of data known to hold no `Entries` (a chunk's entries, each the
    JSON data of one entity): the same bytes, without looking through the data for one."""
    try:
        return orjson.dumps(data, default=_default, option=_CANONICAL)
    except TypeError:
        return reference_bytes(data)


def reference_bytes(data: Any) -> bytes:
    """The canonical JSON written by the standard library: the definition
    `canonical_bytes` keeps to. An `Entries` object is written chunk by chunk: its entries
    in the order of (chunk key, key text), each chunk key as `EntityMap.chunks` names it
    (a retired entry's by its policy, an open one's by the first `prefix_length(open
    entries)` characters of its key text); without a policy, that is key order."""
    if isinstance(data, Entries):
        return _reference_entries(data)
    if type(data) is dict and any(isinstance(item, Entries) for item in data.values()):
        fields = (_reference_json(key) + b":" + reference_bytes(data[key]) for key in sorted(data))
        return b"{" + b",".join(fields) + b"}"
    return _reference_json(data)


def _reference_json(data: Any) -> bytes:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    ).encode("utf-8")


def _retired_place(place: str | None, text: str) -> str | None:
    # A retired entry's chunk: its policy's key, then its key text's first characters.
    return None if place is None else place + text[:RETIRED_KEY_CHARACTERS]


def _reference_entries(entries: Entries[Any, Any]) -> bytes:
    retired = entries.retired
    by_text = {entries.key(key): entry for key, entry in entries.items.items()}
    places = {
        text: None if retired is None else _retired_place(retired(entry), text)
        for text, entry in by_text.items()
    }
    length = prefix_length(sum(place is None for place in places.values()), CHUNK_ENTRIES)

    def chunk_of(text: str) -> tuple[str, str]:
        place = places[text]
        return (text[:length] if place is None else place), text

    written = (
        _reference_json(text) + b":" + _reference_json(entries.value(by_text[text]))
        for text in sorted(by_text, key=chunk_of)
    )
    return b"{" + b",".join(written) + b"}"


def segments(data: Any) -> tuple[bytes, dict[str, Segment]]:
    """The canonical form of `data` in segments: the header (its canonical JSON with every
    `Entries` written as `{}`) and the chunks of each `Entries`, keyed `field:prefix` (the
    field of the top-level object that holds it, empty when `data` is one itself, and the
    chunk's key), in key order."""
    if isinstance(data, Entries):
        return b"{}", {":" + prefix: chunk for prefix, chunk in data.chunk_map().items()}
    if type(data) is dict and any(isinstance(item, Entries) for item in data.values()):
        header = canonical_bytes(
            {key: {} if isinstance(item, Entries) else item for key, item in data.items()}
        )
        chunks: dict[str, Segment] = {}
        for field in sorted(data):
            item = data[field]
            if isinstance(item, Entries):
                for prefix, chunk in item.chunk_map().items():
                    chunks[f"{field}:{prefix}"] = chunk
        return header, chunks
    return canonical_bytes(data), {}


def segments_digest(header: bytes, chunks: Iterable[tuple[str, bytes]]) -> str:
    """A state's digest from its header's sha256 digest and its chunks' keys and sha256
    digests (in any order: they are taken in key order)."""
    hasher = hashlib.sha256(b"caseload state digest 2\n")
    hasher.update(header)
    for key, digest in sorted(chunks):
        text = key.encode("utf-8")
        hasher.update(len(text).to_bytes(4, "big") + text + digest)
    return hasher.hexdigest()


def digest_of(data: Any) -> str:
    """The digest of the canonical form of `data` (`DIGEST_FORMAT` 2)."""
    header, chunks = segments(data)
    return segments_digest(
        hashlib.sha256(header).digest(), ((key, chunk[2]) for key, chunk in chunks.items())
    )

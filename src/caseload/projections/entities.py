"""Maps of entities whose canonical encoding is kept in chunks, re-encoded only where changed.

A read model keeps one entry per trajectory or broker; a catch-up of one event changes one
or two of them. An `EntityMap` notes the keys a fold looks up or changes, and keeps the
canonical JSON of its entries in chunks by the first characters of their key text (so the
chunks, in order, are the entries in key order); encoding the map again re-encodes only
the chunks with a noted key, and reuses each other chunk's text, compressed form and digest.

A map read back from the store (`entities` over `StoredEntries`) stays in its stored chunks
until something first looks at it: a query that reads one field of a state (the totals of
the outcomes model, say) never decodes the entities of another.

A map may also be given a retirement policy (`Retired`): a function of an entry's value
that names the chunk of an entry that no longer changes (a closed trajectory's, by the
month it closed: `"~2024-05"`), or None for an entry still open. Retired entries are kept
in those chunks, which stop changing once their month is over, so that encoding the map
again touches the chunks of open entries and of the newly retired only; open entries stay
chunked by the first characters of their key.

How many first characters make an open entry's chunk key depends only on how many open
entries the map holds (`prefix_length`), and a retired entry's chunk only on its value,
so the chunks, and a digest made of theirs, are a function of the entries alone, however
the map came to hold them. The chunks are taken in chunk-key order: a map without a
policy is then in key order, one with a policy in key order chunk by chunk.
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from caseload.projections.chunking import (
    CHUNK_ENTRIES,
    Retired,
    closed_month,
    cut,
    prefix_length,
    retired_chunk,
)

__all__ = [
    "CHUNK_ENTRIES",
    "Chunk",
    "EntityMap",
    "Retired",
    "StoredEntries",
    "as_entity_map",
    "chunk_text",
    "closed_month",
    "cut",
    "entities",
    "folding",
    "in_either",
    "moved",
    "prefix_length",
    "retired_chunk",
    "text_of",
    "unread_entries",
]

K = TypeVar("K")
V = TypeVar("V")

Chunk = tuple[bytes | None, bytes, bytes]
"""A chunk's entries as canonical JSON after a comma (None where a map gives a chunk it
did not encode again: the text is then that of the compressed form), that text compressed,
and the sha256 digest of the text."""


def text_of(text: bytes | None, packed: bytes | None) -> bytes:
    """A piece's canonical text: `text`, or its compressed form `packed` inflated when the
    text is not at hand (one of the two is always given)."""
    if text is not None:
        return text
    assert packed is not None, "a piece without its text comes with its compressed form"
    return zlib.decompress(packed)


def chunk_text(chunk: Chunk) -> bytes:
    """A chunk's canonical text (inflated from its compressed form if not at hand)."""
    return text_of(chunk[0], chunk[1])


_folding = [0]


@contextmanager
def folding() -> Iterator[None]:
    """While events are folded, walking a map's entries notes them all as changed (a
    handler might change what it walks over); a query's walk notes nothing."""
    _folding[0] += 1
    try:
        yield
    finally:
        _folding[0] -= 1


class EntityMap(dict[K, V]):
    """A dict that notes which entries may have changed since its chunks were encoded.

    Every way a fold can reach an entry to change it (looking it up, setting, removing,
    walking the map while folding) notes its key; the cached chunks of noted keys are
    encoded again on the next `chunks` call, the others reused.
    """

    __slots__ = (
        "_cache",
        "_members",
        "_noted",
        "_order",
        "_owner",
        "_places",
        "_prefix",
        "_unread",
        "_whole",
    )

    chunk_entries = CHUNK_ENTRIES
    """About how many entries a chunk holds (see `prefix_length`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._noted: set[Any] = set()
        self._whole = True
        self._owner: tuple[Any, Any, Any] | None = None
        self._members: dict[str, set[Any]] = {}
        self._cache: dict[str, tuple[bytes, bytes]] = {}
        """By chunk key, the chunk's compressed text and digest (not its text: a state
        would be held a second time, uncompressed)."""
        self._order: list[str] | None = None
        self._prefix = 0
        self._places: dict[Any, str] = {}
        """By key, the chunk of each retired entry (an open entry's chunk is its key's)."""
        self._unread: (
            tuple[Mapping[str, Any], Callable[[str], Any], Callable[[Any], Any], Retired | None]
            | None
        ) = None

    # Every route to an entry that may change it notes the key.

    def __getitem__(self, key: K) -> V:
        self._noted.add(key)
        return dict.__getitem__(self, key)

    def get(self, key: K, default: Any = None) -> Any:
        self._noted.add(key)
        return dict.get(self, key, default)

    def __setitem__(self, key: K, value: V) -> None:
        self._noted.add(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: K) -> None:
        self._noted.add(key)
        dict.__delitem__(self, key)

    def peek(self, key: K, default: Any = None) -> Any:
        """The entry of `key` (or `default`) for reading only: notes nothing, so a fold
        that reads an entry and finds nothing to change leaves its chunk as encoded."""
        return dict.get(self, key, default)

    def setdefault(self, key: K, default: Any = None) -> Any:
        self._noted.add(key)
        return dict.setdefault(self, key, default)

    def pop(self, key: K, *default: Any) -> Any:
        self._noted.add(key)
        return dict.pop(self, key, *default)

    def popitem(self) -> tuple[K, V]:
        self._whole = True
        return dict.popitem(self)

    def clear(self) -> None:
        self._whole = True
        dict.clear(self)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._whole = True
        dict.update(self, *args, **kwargs)

    def __ior__(self, other: Any) -> EntityMap[K, V]:  # type: ignore[override,misc]
        self._whole = True
        dict.update(self, other)
        return self

    def values(self) -> Any:
        if _folding[0]:
            self._whole = True
        return dict.values(self)

    def items(self) -> Any:
        if _folding[0]:
            self._whole = True
        return dict.items(self)

    def __iter__(self) -> Iterator[K]:
        if _folding[0]:
            self._whole = True
        return dict.__iter__(self)

    def __reduce__(self) -> Any:
        return (EntityMap, (dict(dict.items(self)),))

    # The cached encoding.

    def chunks(
        self,
        key: Callable[[K], str],
        value: Callable[[V], Any],
        level: int,
        retired: Retired | None = None,
    ) -> dict[str, Chunk]:
        """The map's entries as canonical JSON in chunks, in chunk-key order: an open
        entry's chunk key is the first `prefix_length(open entries)` characters of its key
        text, a retired entry's the one `retired` gives (see `Retired`). Each chunk's text
        after a comma (`,"key":value,...`, in key order; None for a chunk not encoded again
        in this call), that text compressed at zlib `level`, and its digest. Only the
        chunks with entries noted since the last call (with the same `key`, `value` and
        `retired`) are encoded again."""
        from caseload.projections.base import canonical_bytes

        get = dict.__getitem__
        owner = (key, value, retired)
        if self._owner is not None and self._owner[0] is _ADOPT and self._owner[2] is retired:
            self._owner = owner  # the stored chunks were written by these
        runs: dict[str, dict[str, Any]] = {}
        dirty: set[str] = set()
        whole = self._whole or self._owner != owner
        if not whole:
            members, places, prefix = self._members, self._places, self._prefix
            for item in self._noted:
                text = None
                old = places.get(item)
                if old is None:
                    text = key(item)
                    old = text[:prefix]
                new = None
                if dict.__contains__(self, item):
                    text = key(item) if text is None else text
                    new = retired_chunk(retired, get(self, item), text)
                    if new is None:
                        new = text[:prefix]
                        places.pop(item, None)
                    else:
                        places[item] = new
                else:
                    places.pop(item, None)
                dirty.add(old)
                if new != old:
                    if old in members:
                        members[old].discard(item)
                    if new is not None:
                        dirty.add(new)
                if new is not None:
                    members.setdefault(new, set()).add(item)
            # Open entries crossing a chunk size cut every open chunk anew.
            opened = dict.__len__(self) - len(places)
            whole = prefix != prefix_length(opened, self.chunk_entries)
        if whole:
            self._prefix, self._places, runs = cut(
                ((key(item), item, entry) for item, entry in dict.items(self)),
                retired,
                self.chunk_entries,
            )
            members = {chunk: set(run.values()) for chunk, run in runs.items()}
            self._members, self._order = members, None
            # Kept compressed forms stay right where a chunk's digest comes out the same.
            for chunk in self._cache.keys() - members.keys():
                del self._cache[chunk]
            dirty = set(members)
            self._owner, self._whole = owner, False
        self._noted.clear()
        cache = self._cache
        fresh: dict[str, bytes] = {}
        for chunk in dirty:
            keys = members.get(chunk)
            if not keys:
                members.pop(chunk, None)
                if cache.pop(chunk, None) is not None:
                    self._order = None
                continue
            if chunk not in cache:
                self._order = None
            run = runs.get(chunk)
            if run is not None:  # the key texts of a whole cut, computed once
                data = {text: value(get(self, item)) for text, item in run.items()}
            else:
                data = {key(item): value(get(self, item)) for item in keys}
            encoded = b"," + canonical_bytes(data)[1:-1]
            digest = hashlib.sha256(encoded).digest()
            fresh[chunk] = encoded
            old_chunk = cache.get(chunk)
            if old_chunk is not None and old_chunk[1] == digest:
                continue  # looked up, not changed: the chunk as stored is still right
            cache[chunk] = (zlib.compress(encoded, level), digest)
        if self._order is None:
            self._order = sorted(cache)
        return {chunk: (fresh.get(chunk), *cache[chunk]) for chunk in self._order}

    def seed(
        self,
        key: Callable[[K], str],
        value: Callable[[V], Any],
        chunks: Mapping[str, Chunk],
        retired: Retired | None = None,
    ) -> None:
        """Take `chunks` (as `chunks` with the same `key`, `value` and `retired` would give
        them, read back from the store) as the encoded form of the entries, so that the
        next encoding re-encodes only what changes from now on. Chunks that do not fit the
        entries (other chunk keys) are left out and encoded anew."""
        self._take(
            ((key(item), item, entry) for item, entry in dict.items(self)),
            (key, value, retired),
            chunks,
        )

    def _take(
        self,
        entries: Iterable[tuple[str, Any, Any]],
        owner: tuple[Any, Any, Any],
        chunks: Mapping[str, Chunk],
    ) -> None:
        """Take `chunks` as the encoded form of `entries` (key text, key, value: the map's
        own) if the map cuts its entries into the same chunks."""
        prefix, places, runs = cut(entries, owner[2], self.chunk_entries)
        if runs.keys() != chunks.keys():
            return
        self._prefix, self._places, self._owner, self._whole = prefix, places, owner, False
        self._members = {chunk: set(run.values()) for chunk, run in runs.items()}
        self._cache = {chunk: (packed, digest) for chunk, (_, packed, digest) in chunks.items()}
        self._order, self._noted = sorted(chunks), set()


def in_either(key: K, first: dict[K, V], second: dict[K, V]) -> V:
    """The entry of `key` in `first`, else in `second` (a read model that keeps open and
    closed entities apart finds a late fact's entity in either)."""
    if key in first:
        return first[key]
    return second[key]


def moved(key: K, source: dict[K, V], target: dict[K, V]) -> V:
    """The entry of `key`, moved from `source` into `target` (found there if it already
    moved)."""
    if key in source:
        entry = target[key] = source.pop(key)
        return entry
    return target[key]


def as_entity_map(items: Mapping[Any, Any]) -> EntityMap[Any, Any]:
    """`items` as an `EntityMap` (itself if it is one): the converter of a read model's
    field that holds a map of entities."""
    return items if isinstance(items, EntityMap) else EntityMap(items)


_ADOPT: Any = object()
"""The owner of a map's chunks read from the store: the encoders the next `chunks` call
names (those of the read model whose state the chunks were written for)."""


class StoredEntries(Mapping[str, Any]):
    """A map of entities as its stored chunks (by chunk key: compressed canonical text and
    digest), read only when something asks for its entries.

    What `ReadModel.decode` gets for a field written as `Entries`: `entities` turns it into
    an `EntityMap` that decodes itself on first use; read as a plain mapping (key text to
    the entry's JSON data), it decodes every chunk at once."""

    __slots__ = ("_chunks", "_data", "_texts")

    def __init__(self, chunks: Mapping[str, tuple[bytes, bytes]]) -> None:
        self._chunks = dict(chunks)
        self._data: dict[str, Any] | None = None
        self._texts: dict[str, Chunk] | None = None

    def __len__(self) -> int:
        return len(self._read())

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __getitem__(self, key: str) -> Any:
        return self._read()[key]

    def texts(self) -> dict[str, Chunk] | None:
        """By chunk key, each chunk's text, compressed form and digest, once read (else
        None)."""
        return self._texts

    def _read(self) -> dict[str, Any]:
        if self._data is None:
            self._data, self._texts = {}, {}
            for prefix in sorted(self._chunks):
                packed, digest = self._chunks[prefix]
                text = _inflate(packed)
                self._texts[prefix] = (text, packed, digest)
                self._data.update(_loads(b"{" + text[1:] + b"}"))
        return self._data


def _inflate(packed: bytes) -> bytes:
    from caseload.adapters.read_model_store import decompress

    return decompress(packed)


def _loads(text: bytes) -> Any:
    from caseload.projections.stored_state import loads

    return loads(text)


class _UnreadMap(EntityMap[K, V]):
    """An `EntityMap` still in its stored chunks: the first use of any kind decodes every
    entry (and keeps the chunks as their encoded form), after which it is a plain
    `EntityMap` (its class changes), with no cost on later calls."""

    __slots__ = ()

    def _read(self) -> None:
        # One thread decodes; another that uses the map meanwhile waits, then finds it
        # read. The class changes last, once every entry is in: a map that is an
        # `EntityMap` is whole. A decoding that fails leaves the map unread (and raising
        # again on its next use), never part-read.
        with _READING:
            unread = self._unread
            if unread is None:
                return
            stored, key, value, retired = unread
            data = stored._read() if isinstance(stored, StoredEntries) else stored
            for text, entry in data.items():
                dict.__setitem__(self, key(text), value(entry))
            if isinstance(stored, StoredEntries):
                self._adopt(data, stored.texts() or {}, retired)
            self._unread = None
            self.__class__ = EntityMap  # type: ignore[assignment]

    def _adopt(
        self, data: Mapping[str, Any], texts: Mapping[str, Chunk], retired: Retired | None
    ) -> None:
        """Take the chunks the entries were read from as their encoded form, if they are
        cut as this map cuts them under `retired` (else they are encoded afresh when
        written)."""
        self._take(
            (
                (text, item, dict.__getitem__(self, item))
                for text, item in zip(data, dict.__iter__(self), strict=True)
            ),
            (_ADOPT, _ADOPT, retired),
            texts,
        )


_READING = threading.RLock()
"""Held while a map read back from the store decodes its entries."""


def _reading_first(name: str) -> Any:
    method = getattr(EntityMap, name)

    def read_first(self: _UnreadMap[Any, Any], *args: Any, **kwargs: Any) -> Any:
        self._read()
        return method(self, *args, **kwargs)

    read_first.__name__ = name
    return read_first


for _name in (
    "__contains__",
    "__delitem__",
    "__eq__",
    "__getitem__",
    "__ior__",
    "__iter__",
    "__len__",
    "__ne__",
    "__or__",
    "__reduce__",
    "__repr__",
    "__reversed__",
    "__ror__",
    "__setitem__",
    "chunks",
    "clear",
    "copy",
    "get",
    "items",
    "keys",
    "peek",
    "pop",
    "popitem",
    "seed",
    "setdefault",
    "update",
    "values",
):
    setattr(_UnreadMap, _name, _reading_first(_name))


def unread_entries(found: Mapping[Any, Any]) -> Mapping[str, Any] | None:
    """The entries of a map read back from the store that nothing has used yet, as they
    were stored (each key's text to its entry's JSON data), for a query that can answer
    from them without making an entity of each; None for any other map.

    The map stays undecoded; if it is used later, it decodes from the same JSON data
    without parsing the chunks again."""
    if type(found) is not _UnreadMap:
        return None
    with _READING:
        unread = found._unread
        if unread is None:
            return None
        stored = unread[0]
        return stored._read() if isinstance(stored, StoredEntries) else stored


def entities(
    stored: Mapping[str, Any],
    key: Callable[[str], K],
    value: Callable[[Any], V],
    retired: Retired | None = None,
) -> EntityMap[K, V]:
    """The `EntityMap` of a decoded state's field from its stored form (`StoredEntries`,
    for a state stored in chunks, or the field's JSON object, for a whole one such as a
    checkpoint): each entry's key from its text by `key`, its value from its JSON data by
    `value`, decoded when something first uses the map. Read from chunks cut as `retired`
    (the policy the model's `Entries` gives) cuts them, the map keeps them as its
    encoding."""
    made: EntityMap[K, V] = _UnreadMap()
    made._unread = (stored, key, value, retired)
    return made

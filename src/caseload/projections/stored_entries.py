"""A map of entities read back from the store: its stored chunks, decoded only when
something first uses the map (or read as stored, for a query that counts)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from caseload.projections.chunked import _ADOPT, _READING, Chunk, _loads
from caseload.projections.entities import EntityMap, Retired

__all__ = ["StoredEntries", "entities", "unread_entries"]

K = TypeVar("K")
V = TypeVar("V")


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

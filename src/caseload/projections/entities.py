"""Maps of entities that note which entries a fold may have changed, so that their
canonical encoding (kept in chunks, see `caseload.projections.chunked`) is made again only
where it may differ.

A map read back from the store (`entities` over `StoredEntries`) stays in its stored chunks
until something first looks at it: a query that reads one field of a state (the totals of
the outcomes model, say) never decodes the entities of another.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from caseload.projections.chunked import ABSENT, Chunk, ChunkedDict, chunk_text, evicting, text_of
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
    "as_entity_map",
    "chunk_text",
    "closed_month",
    "cut",
    "evicting",
    "folding",
    "in_either",
    "moved",
    "prefix_length",
    "retired_chunk",
    "text_of",
]

K = TypeVar("K")
V = TypeVar("V")

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


class EntityMap(ChunkedDict[K, V]):
    """A dict that notes which entries may have changed since its chunks were encoded.

    Every way a fold can reach an entry to change it (looking it up, setting, removing,
    walking the map while folding) notes its key; the cached chunks of noted keys are
    encoded again on the next `chunks` call, the others reused.
    """

    __slots__ = ()

    # Every route to an entry that may change it notes the key; one that misses the dict
    # first brings back the evicted chunk that holds the key, if one does.

    def __getitem__(self, key: K) -> V:
        self._noted.add(key)
        return dict.__getitem__(self, key)

    def __missing__(self, key: K) -> V:
        if self._bring_back(key):
            return dict.__getitem__(self, key)
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or self._bring_back(key)

    def __len__(self) -> int:
        evicted = self._evicted
        return dict.__len__(self) + (0 if evicted is None else evicted.total)

    def get(self, key: K, default: Any = None) -> Any:
        self._noted.add(key)
        return self._found(key, default)

    def __setitem__(self, key: K, value: V) -> None:
        self._noted.add(key)
        self._back_if_evicted(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: K) -> None:
        self._noted.add(key)
        self._back_if_evicted(key)
        dict.__delitem__(self, key)

    def peek(self, key: K, default: Any = None) -> Any:
        """The entry of `key` (or `default`) for reading only: notes nothing, so a fold
        that reads an entry and finds nothing to change leaves its chunk as encoded."""
        return self._found(key, default)

    def setdefault(self, key: K, default: Any = None) -> Any:
        self._noted.add(key)
        self._back_if_evicted(key)
        return dict.setdefault(self, key, default)

    def pop(self, key: K, *default: Any) -> Any:
        self._noted.add(key)
        self._back_if_evicted(key)
        return dict.pop(self, key, *default)

    def popitem(self) -> tuple[K, V]:
        self._whole = True
        self._bring_back_all()
        return dict.popitem(self)

    def clear(self) -> None:
        self._whole = True
        self._bring_back_all()
        dict.clear(self)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._whole = True
        self._bring_back_all()
        dict.update(self, *args, **kwargs)

    def __ior__(self, other: Any) -> EntityMap[K, V]:  # type: ignore[override,misc]
        self._whole = True
        self._bring_back_all()
        dict.update(self, other)
        return self

    def values(self) -> Any:
        if _folding[0]:
            self._whole = True
        self._bring_back_all()
        return dict.values(self)

    def items(self) -> Any:
        if _folding[0]:
            self._whole = True
        self._bring_back_all()
        return dict.items(self)

    def keys(self) -> Any:
        # Keys alone change no entry: a fold that walks them notes nothing.
        self._bring_back_all()
        return dict.keys(self)

    def __iter__(self) -> Iterator[K]:
        if _folding[0]:
            self._whole = True
        self._bring_back_all()
        return dict.__iter__(self)

    def __reduce__(self) -> Any:
        self._bring_back_all()
        return (EntityMap, (dict(dict.items(self)),))

    def _found(self, key: K, default: Any) -> Any:
        """The entry of `key`, brought back first if it is evicted, or `default`."""
        found = dict.get(self, key, ABSENT)
        if found is ABSENT:
            return dict.__getitem__(self, key) if self._bring_back(key) else default
        return found

    def _back_if_evicted(self, key: object) -> None:
        """Bring back the evicted chunk of `key` before the dict changes it, if one holds it."""
        if self._evicted and not dict.__contains__(self, key):
            self._bring_back(key)


def _whole_first(name: str) -> Any:
    method = getattr(dict, name)

    def whole_first(self: EntityMap[Any, Any], *args: Any) -> Any:
        self._bring_back_all()
        for other in args:
            if isinstance(other, EntityMap):
                other._bring_back_all()
        return method(self, *args)

    whole_first.__name__ = name
    return whole_first


# What reads the dict whole in C (comparing, copying, printing) sees every entry.
for _name in ("__eq__", "__ne__", "__or__", "__ror__", "__repr__", "__reversed__", "copy"):
    setattr(EntityMap, _name, _whole_first(_name))


def in_either(key: K, first: dict[K, V], second: dict[K, V]) -> V:
    """The entry of `key` in `first`, else in `second` (a read model that keeps open and
    closed entities apart finds a late fact's entity in either)."""
    if type(first) is EntityMap:
        # The common case in one lookup: an entry in the dict, noted as `first[key]` notes it.
        found: V = dict.get(first, key, ABSENT)
        if found is not ABSENT:
            first._noted.add(key)
            return found
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

"""Chunks of retired entries that an `EntityMap` keeps in their compressed form only, and
the compact index that still finds their keys.

A closed trajectory's entry no longer changes, and once its month's chunk is encoded the
chunk's compressed text holds all there is to know of it: keeping the decoded entry too
(its value objects, its slots in the map's dict and in the chunk's member set) costs
several times the compressed bytes. An evicted chunk leaves the map's dict and keeps, per
entry, the hash of its key and the number of its chunk (ten bytes, in two arrays sorted by
hash); a lookup that misses the dict looks the key's hash up there, and a hit decodes the
chunk back (`Restore`) before the lookup goes on, so the map answers as if it had never let
the entries go.
"""

from __future__ import annotations

import hashlib
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from caseload.domain.errors import CheckpointChunkMissing

__all__ = ["Evicted", "Load", "Restore", "read_back"]

Restore = tuple[Callable[[str], Any], Callable[[Any], Any]]
"""How an evicted chunk's entries come back: an entry's key from its key text, and its
value from its JSON data (the decoders of the read model's `entities`)."""

Load = Callable[[bytes], bytes]
"""Reads a chunk's compressed text back from the store by its digest (raising
`CheckpointChunkMissing` when the store does not hold it)."""


def read_back(load: Load, digest: bytes) -> tuple[bytes, bytes]:
    """The text and compressed text of a chunk a map holds in the store only, read back
    with `load` and checked against its digest (a store that answers with other bytes is
    refused, never decoded)."""
    packed = load(digest)
    try:
        text = zlib.decompress(packed)
    except zlib.error:
        text = b""
    if hashlib.sha256(text).digest() != digest:
        raise CheckpointChunkMissing(
            f"the store's chunk {digest.hex()[:16]}… of a map of entities is not the "
            f"text of that digest ({len(packed)} compressed bytes that inflate to "
            f"{len(text)} of another digest): it cannot be decoded back"
        )
    return text, packed


class Evicted:
    """The chunks of one map whose entries are out of its dict: how many entries each
    holds, and by the hash of each entry's key, its chunk.

    Two keys may share a hash: a lookup then names every chunk holding one of them, and
    the map decodes them all before it looks the key up again, so a shared hash costs a
    decoding, never a wrong answer.

    The index is a few runs of (hash, chunk number) pairs, each sorted by hash: chunks
    evicted together make a new run, which is merged with the runs before it no larger
    than itself (so there are at most about log2(entries) runs, and evicting a chunk costs
    its own entries, not every entry evicted before it); a lookup bisects each run."""

    __slots__ = ("_names", "_numbers", "_runs", "counts", "restore", "total")

    def __init__(self, restore: Restore) -> None:
        self.restore = restore
        """The decoders that bring an evicted chunk's entries back."""
        self.counts: dict[str, int] = {}
        """By chunk key, how many entries of the chunk are out of the dict."""
        self.total = 0
        """How many entries are out of the dict in all."""
        self._runs: list[tuple[array[int], array[int]]] = []
        """Runs of (hashes, chunk numbers), each sorted by hash."""
        self._names: list[str | None] = []
        """By chunk number, the chunk's key (None once its entries are back)."""
        self._numbers: dict[str, int] = {}

    def __bool__(self) -> bool:
        return self.total > 0

    def add(self, chunks: Mapping[str, Iterable[Any]]) -> None:
        """Note the entries of `chunks` (by chunk key, the keys of its entries) as out of
        the dict."""
        live = self._names
        pairs: list[tuple[int, int]] = []
        for chunk, keys in chunks.items():
            number = len(live)
            live.append(chunk)
            self._numbers[chunk] = number
            before = len(pairs)
            pairs.extend((hash(item), number) for item in keys)
            self.counts[chunk] = len(pairs) - before
            self.total += len(pairs) - before
        runs = self._runs
        # A run merges with those before it no larger than itself, dropping the pairs of
        # chunks whose entries came back meanwhile.
        while runs and len(runs[-1][0]) <= len(pairs):
            hashes, slots = runs.pop()
            pairs.extend(
                (found, slot)
                for found, slot in zip(hashes, slots, strict=True)
                if live[slot] is not None
            )
        if pairs:
            pairs.sort()
            runs.append((array("q", [p[0] for p in pairs]), array("I", [p[1] for p in pairs])))

    def chunks_of(self, item: Any) -> list[str]:
        """The evicted chunks that may hold `item` (those holding a key of its hash)."""
        found = hash(item)
        names = self._names
        chunks: list[str] = []
        for hashes, slots in self._runs:
            at = bisect_left(hashes, found)
            while at < len(hashes) and hashes[at] == found:
                name = names[slots[at]]
                if name is not None and name not in chunks:
                    chunks.append(name)
                at += 1
        return chunks

    def back(self, chunk: str) -> None:
        """Note the entries of `chunk` as back in the dict."""
        self.total -= self.counts.pop(chunk)
        self._names[self._numbers.pop(chunk)] = None
        if not self.counts:
            self._runs, self._names = [], []

"""The canonical encoding of a map of entities, kept in chunks and re-encoded only where
its entries were noted as changed.

A read model keeps one entry per trajectory or broker; a catch-up of one event changes one
or two of them. A map keeps the canonical JSON of its entries in chunks by the first
characters of their key text (so the chunks, in order, are the entries in key order);
encoding the map again re-encodes only the chunks with a noted key (`EntityMap` notes
every key a fold looks up or changes), and reuses each other chunk's compressed form and
digest. Each chunk's members (key text to value) are kept as of the last encoding, so that
encoding a chunk again makes no key text and looks no entry up: only the noted keys move.

A map may also be given a retirement policy (`Retired`): a function of an entry's value
that names the chunk of an entry that no longer changes (a closed trajectory's, by the
month it closed: `"~2024-05"`), or None for an entry still open. Retired entries are kept
in those chunks, which stop changing once their month is over, so that encoding the map
again touches the chunks of open entries and of the newly retired only; open entries stay
chunked by the first characters of their key. During a rebuild (`evicting`), the entries
of encoded retired chunks leave the dict, kept only in the chunk's compressed form.

How many first characters make an open entry's chunk key depends only on how many open
entries the map holds (`prefix_length`), and a retired entry's chunk only on its value,
so the chunks, and a digest made of theirs, are a function of the entries alone, however
the map came to hold them. The chunks are taken in chunk-key order: a map without a
policy is then in key order, one with a policy in key order chunk by chunk.

Once the store holds an evicted chunk (a checkpoint of its version wrote it), the map may
let go of its compressed form too (`release`), keeping its digest only: decoding the chunk
back then reads it from the store by digest, through the loader the writer hands over.
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from contextlib import contextmanager
from sys import intern
from typing import Any, TypeVar

from caseload.projections.chunking import (
    CHUNK_ENTRIES,
    RETIRED_KEY_CHARACTERS,
    Retired,
    cut,
    prefix_length,
    recut_open,
)
from caseload.projections.evicted import Evicted, Load, Restore, read_back

__all__ = ["ABSENT", "Chunk", "ChunkedDict", "Load", "chunk_text", "evicting", "text_of"]

K = TypeVar("K")
V = TypeVar("V")

Chunk = tuple[bytes | None, bytes | None, bytes]
"""A chunk's entries as canonical JSON after a comma (None where a map gives a chunk it
did not encode again: the text is then that of the compressed form), that text compressed
(None for a chunk the map holds only in the store, not encoded again: see `release`), and
the sha256 digest of the text."""

ABSENT: Any = object()
"""What a lookup finds for a key the dict does not hold (no entry is this object)."""


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


_evicting = [0]


@contextmanager
def evicting() -> Iterator[None]:
    """While a rebuild folds the log, encoding a map whose read model gives `restore` lets
    the entries of its retired chunks leave memory (see `ChunkedDict.chunks`). Outside one
    (a service catching up, a query), entries a walk or a lookup brought back stay: letting
    them go again at the next write would cost that write every such entry."""
    _evicting[0] += 1
    try:
        yield
    finally:
        _evicting[0] -= 1


class ChunkedDict(dict[K, V]):
    """A dict with its canonical encoding kept in chunks (see the module's description).

    The keys whose chunks `chunks` encodes again are those in `_noted` (every chunk while
    `_whole`), which `EntityMap` fills in on every route to an entry that may change it;
    changed any other way, the dict would keep encoding as it was.
    """

    __slots__ = (
        "_cache",
        "_evicted",
        "_load",
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
        self._members: dict[str, dict[str, Any]] = {}
        """By chunk key, the chunk's entries as of the last encoding: key text to value.
        Encoding a chunk again then calls the value encoder on each without making its
        key text again or looking it up in the dict. Between encodings an entry changes
        only in place or by a route that notes its key, so a member not noted since is
        the dict's own value; a noted one is brought up to date when the map is encoded.
        Key texts are interned: the maps of a state keyed by the same trajectories hold
        one text for each, not one per map."""
        self._cache: dict[str, tuple[bytes | None, bytes]] = {}
        """By chunk key, the chunk's compressed text and digest (not its text: a state
        would be held a second time, uncompressed); the compressed text is None for a
        chunk held in the store only (see `release`)."""
        self._load: Load | None = None
        """Reads back from the store the chunks whose compressed text is None here."""
        self._order: list[str] | None = None
        self._prefix = 0
        self._places: dict[Any, str] = {}
        """By key, the chunk of each retired entry (an open entry's chunk is its key's)."""
        self._unread: (
            tuple[Mapping[str, Any], Callable[[str], Any], Callable[[Any], Any], Retired | None]
            | None
        ) = None
        self._evicted: Evicted | None = None
        """The retired chunks whose entries are out of the dict (see `evicted`)."""

    @property
    def evicted(self) -> int:
        """How many entries are held only in their chunk's compressed form (decoded back
        when something looks one up or walks the map)."""
        return 0 if self._evicted is None else self._evicted.total

    @property
    def in_store(self) -> int:
        """How many chunks the map holds in the store only: their digest, not their
        compressed text (see `release`)."""
        return sum(1 for packed, _ in self._cache.values() if packed is None)

    def _bring_back(self, key: object) -> bool:
        """Decode back the evicted chunks that may hold `key`; whether the dict holds it
        now."""
        evicted = self._evicted
        if not evicted:
            return False
        chunks = evicted.chunks_of(key)
        for chunk in chunks:
            self._decode_chunk(chunk)
        return bool(chunks) and dict.__contains__(self, key)

    def _bring_back_all(self) -> None:
        """Decode every evicted chunk back into the dict."""
        evicted = self._evicted
        if evicted:
            for chunk in list(evicted.counts):
                self._decode_chunk(chunk)

    def _decode_chunk(self, chunk: str) -> None:
        evicted = self._evicted
        assert evicted is not None, "only an evicted chunk is decoded back"
        with _READING:
            if chunk not in evicted.counts:
                return  # another thread brought it back meanwhile
            key_of, value_of = evicted.restore
            packed, digest = self._cache[chunk]
            text = self._fetched(digest)[0] if packed is None else zlib.decompress(packed)
            data = _loads(b"{" + text[1:] + b"}")
            members = self._members.setdefault(chunk, {})
            places = self._places
            for text, entry in data.items():
                item = key_of(text)
                members[intern(text)] = decoded = value_of(entry)
                dict.__setitem__(self, item, decoded)
                places[item] = chunk
            evicted.back(chunk)

    def _fetched(self, digest: bytes) -> tuple[bytes, bytes]:
        """The text and compressed text of a chunk held in the store only (`read_back`)."""
        assert self._load is not None, "a chunk is held in the store only once released"
        return read_back(self._load, digest)

    def release(self, stored: Container[bytes], load: Load) -> int:
        """Let go of the compressed text of every evicted chunk (its entries out of the
        dict) whose digest is among `stored` (the chunks the store holds for good: those of
        the version's committed checkpoints), keeping its digest: `load` reads it back when
        the chunk is decoded back. Returns how many were let go.

        A chunk not encoded again since is not written again (the store holds it), so the
        map needs its bytes only to decode it back: when an entry joins or leaves it (a
        trajectory closing later in the month of a chunk), a late fact looks one of its
        entries up, or the map is walked."""
        evicted = self._evicted
        if not evicted:
            return 0
        # The loader first: a thread decoding a chunk back may find it released at once.
        self._load = load
        cache, released = self._cache, 0
        for chunk in evicted.counts:
            packed, digest = cache[chunk]
            if packed is not None and digest in stored:
                cache[chunk] = (None, digest)
                released += 1
        return released

    def _evict(self, restore: Restore) -> None:
        """Let the entries of every retired chunk (encoded: its compressed form is in the
        cache) leave the dict, to be decoded back from that form when needed."""
        evicted = self._evicted
        if evicted is not None and evicted.restore != restore:
            self._bring_back_all()
            evicted = None
        if evicted is None:
            evicted = self._evicted = Evicted(restore)
        # Every retired entry in the dict has its place; walking the places (not looking
        # each key up) groups them by chunk.
        cache, leaving, staying = self._cache, dict[str, list[Any]](), dict[Any, str]()
        for item, chunk in self._places.items():
            if chunk in cache:
                leaving.setdefault(chunk, []).append(item)
            else:
                staying[item] = chunk
        if not leaving:
            return
        members = self._members
        for chunk, keys in leaving.items():
            del members[chunk]
            for item in keys:
                dict.__delitem__(self, item)
        self._places = staying
        evicted.add(leaving)

    # The cached encoding.

    def chunks(
        self,
        key: Callable[[K], str],
        value: Callable[[V], Any],
        level: int,
        retired: Retired | None = None,
        restore: Restore | None = None,
        *,
        loaded: bool = False,
    ) -> dict[str, Chunk]:
        """The map's entries as canonical JSON in chunks, in chunk-key order: an open
        entry's chunk key is the first `prefix_length(open entries)` characters of its key
        text, a retired entry's the one `retired` gives (see `Retired`). Each chunk's text
        after a comma (`,"key":value,...`, in key order; None for a chunk not encoded again
        in this call), that text compressed at zlib `level`, and its digest. Only the
        chunks with entries noted since the last call (with the same `key`, `value` and
        `retired`) are encoded again.

        Given `restore` (the decoders of the entries, see `Restore`), within `evicting()`
        (a rebuild), the entries of the retired chunks then leave the dict, kept only in
        their chunk's compressed form (see `evicted`): the map answers lookups and walks
        as before, decoding a chunk back when one of its entries is looked up (a late
        fact) or the map is walked.

        A chunk held in the store only (see `release`) comes as (None, None, digest), or
        with its text and compressed text read back from the store when `loaded`."""
        from caseload.projections.canonical import plain_bytes

        owner = (key, value, retired)
        if self._owner is not None and self._owner[0] is _ADOPT and self._owner[2] is retired:
            self._owner = owner  # the stored chunks were written by these
        members = self._members
        dirty: set[str] = set()
        whole = self._whole or self._owner != owner
        if whole:
            self._bring_back_all()
        else:
            self._move_noted(key, retired, dirty)
            # Open entries crossing a chunk size cut every open chunk anew.
            opened = dict.__len__(self) - len(self._places)
            prefix = prefix_length(opened, self.chunk_entries)
            if prefix != self._prefix:
                self._recut_open(prefix, dirty)
        if whole:
            self._prefix, self._places, members = cut(
                ((intern(key(item)), item, entry) for item, entry in dict.items(self)),
                retired,
                self.chunk_entries,
            )
            self._members, self._order = members, None
            # Kept compressed forms stay right where a chunk's digest comes out the same.
            for chunk in self._cache.keys() - members.keys():
                del self._cache[chunk]
            dirty = set(members)
            self._owner, self._whole = owner, False
        self._noted.clear()
        cache = self._cache
        fresh: dict[str, bytes] = {}
        evicted = self._evicted
        for chunk in dirty:
            if evicted and chunk in evicted.counts:
                self._decode_chunk(chunk)  # an entry joins it, or leaves it
            run = members.get(chunk)
            if not run:
                members.pop(chunk, None)
                if cache.pop(chunk, None) is not None:
                    self._order = None
                continue
            data = {text: value(entry) for text, entry in run.items()}
            if chunk not in cache:
                self._order = None
            encoded = b"," + plain_bytes(data)[1:-1]
            digest = hashlib.sha256(encoded).digest()
            fresh[chunk] = encoded
            old_chunk = cache.get(chunk)
            if old_chunk is not None and old_chunk[1] == digest:
                continue  # looked up, not changed: the chunk as stored is still right
            cache[chunk] = (zlib.compress(encoded, level), digest)
        if self._order is None:
            self._order = sorted(cache)
        found: dict[str, Chunk] = {
            chunk: (fresh.get(chunk), *cache[chunk]) for chunk in self._order
        }
        if loaded:
            for chunk, (text, packed, digest) in found.items():
                if text is None and packed is None:
                    found[chunk] = (*self._fetched(digest), digest)
        if restore is not None and retired is not None and _evicting[0]:
            self._evict(restore)
        return found

    def _recut_open(self, prefix: int, dirty: set[str]) -> None:
        """Cut the open entries anew by their first `prefix` characters (their number
        crossed a chunk size; see `recut_open`), adding the new chunks to `dirty` and
        dropping the old ones' compressed forms."""
        retired = set(self._places.values())
        if self._evicted:
            retired.update(self._evicted.counts)
        cache = self._cache
        left, runs = recut_open(self._members, retired, prefix)
        for chunk in left:
            cache.pop(chunk, None)
            dirty.discard(chunk)
        for chunk in cache.keys() - self._members.keys() - retired:
            del cache[chunk]  # an open chunk left empty, if any
        dirty.update(runs)
        self._prefix, self._order = prefix, None

    def _move_noted(
        self, key: Callable[[K], str], retired: Retired | None, dirty: set[str]
    ) -> None:
        """Bring the members of every chunk up to date with the keys noted since the last
        encoding (each noted entry leaves the chunk it was in, and joins the one it is in
        now, if it is still in the map), adding to `dirty` the chunks whose members may
        have changed."""
        members, places, prefix = self._members, self._places, self._prefix
        found = dict.get
        for item in self._noted:
            text = intern(key(item))
            # Few retired entries stay in the dict while a rebuild evicts them: most noted
            # keys need no lookup there.
            old = places.pop(item, None) if places else None
            if old is None:
                old = text[:prefix]
            run = members.get(old)
            if run is not None and run.pop(text, ABSENT) is not ABSENT:
                dirty.add(old)
            entry = found(self, item, ABSENT)
            if entry is ABSENT:
                continue
            # `retired_chunk`, inline: this loop runs for every noted key.
            new = None if retired is None else retired(entry)
            if new is None:
                new = text[:prefix]
            else:
                new += text[:RETIRED_KEY_CHARACTERS]
                places[item] = new
            run = members.get(new)
            if run is None:
                run = members[new] = {}
            run[text] = entry
            dirty.add(new)

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
        self._bring_back_all()
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
        prefix, places, runs = cut(
            ((intern(text), item, entry) for text, item, entry in entries),
            owner[2],
            self.chunk_entries,
        )
        if runs.keys() != chunks.keys():
            return
        self._prefix, self._places, self._owner, self._whole = prefix, places, owner, False
        self._members = runs
        self._cache = {chunk: (packed, digest) for chunk, (_, packed, digest) in chunks.items()}
        self._order, self._noted = sorted(chunks), set()


_ADOPT: Any = object()
"""The owner of a map's chunks read from the store: the encoders the next `chunks` call
names (those of the read model whose state the chunks were written for)."""


def _loads(text: bytes) -> Any:
    from caseload.projections.stored_state import loads

    return loads(text)


_READING = threading.RLock()
"""Held while a map read back from the store decodes its entries."""

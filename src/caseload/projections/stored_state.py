"""A read model's state as stored, with its digest, and back: in chunks (the live state, of
which a write sends only the chunks that changed, and checkpoints, whose chunks the store
keeps once however many checkpoints hold them) or whole (as earlier releases stored it)."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Container
from typing import Any

import orjson

from caseload.adapters.read_model_store import COMPRESSION_LEVEL, StoredState, decompress
from caseload.projections.base import ReadModel
from caseload.projections.canonical import Entries, Segment, segments, segments_digest
from caseload.projections.chunked import ChunkedDict, Load
from caseload.projections.entities import EntityMap
from caseload.projections.stored_entries import StoredEntries

__all__ = ["freeze", "freeze_chunked", "release", "restore", "thaw", "thaw_state"]


def _digest(header: bytes, chunks: dict[str, Segment]) -> str:
    return segments_digest(
        hashlib.sha256(header).digest(), ((key, chunk[2]) for key, chunk in chunks.items())
    )


def freeze(model: ReadModel[Any], state: Any, position: int) -> StoredState:
    """The state as a checkpoint: its compressed header and its chunks with its digest.

    A chunk whose compressed form a map of entities keeps is taken as that very bytes
    object, not copied: a checkpoint waiting for the next write costs the state's memory
    only what changes in the maps after it, and the store keeps each chunk once however
    many checkpoints hold it."""
    return freeze_chunked(model, state, position)


def _packed(text: bytes | None, packed: bytes | None) -> bytes | None:
    """A chunk's compressed text: kept, made from its text, or None for a chunk the map
    holds in the store only (see `ChunkedDict.release`)."""
    if packed is not None or text is None:
        return packed
    return zlib.compress(text, COMPRESSION_LEVEL)


def freeze_chunked(
    model: ReadModel[Any], state: Any, position: int, base: StoredState | None = None
) -> StoredState:
    """The state as a header and chunks with its digest, to be written over `base` (what
    the store holds for this version, if known): only the chunks whose digest differs from
    `base`'s, or that `base` has and the state no longer does, are to be written."""
    header, chunks = segments(model.encode(state))
    stored = {
        key: (_packed(text, packed), digest) for key, (text, packed, digest) in chunks.items()
    }
    rewrite: frozenset[str] | None = None
    if base is not None and base.version == model.version:
        old = base.chunks
        changed = {
            key for key, (_, digest) in stored.items() if key not in old or old[key][1] != digest
        }
        rewrite = frozenset(changed | (old.keys() - stored.keys()))
    return StoredState(
        model.version,
        position,
        zlib.compress(header, COMPRESSION_LEVEL),
        _digest(header, chunks),
        stored,
        rewrite,
    )


def _maps(encoded: Any) -> dict[str, Entries[Any, Any]]:
    """The maps of entities of an encoded state, by field (empty for the state itself)."""
    if isinstance(encoded, Entries):
        return {"": encoded}
    if type(encoded) is dict:
        return {k: v for k, v in encoded.items() if isinstance(v, Entries)}
    return {}


def release(model: ReadModel[Any], state: Any, stored: Container[bytes], load: Load) -> int:
    """Let each map of entities of `state` go of the compressed text of its evicted chunks
    whose digests are among `stored` (held by the store for the model's version for good),
    reading them back with `load` when needed (see `ChunkedDict.release`). Returns how many
    chunks were let go."""
    released = 0
    for entries in _maps(model.encode(state)).values():
        items = entries.items
        if isinstance(items, ChunkedDict):
            released += items.release(stored, load)
    return released


def thaw(stored: bytes) -> Any:
    """The JSON data of a whole stored state (what `ReadModel.decode` takes)."""
    return loads(decompress(stored))


def loads(text: bytes) -> Any:
    """JSON data from a stored state's text."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # What orjson does not read (integers beyond 64 bits) the standard library does.
        return json.loads(text)


def _parts(stored: StoredState) -> tuple[Any, dict[str, bytes]]:
    """The data of a stored state and, by chunk key, each chunk's canonical text."""
    data = thaw(stored.state)
    texts = {}
    for key in sorted(stored.chunks):
        field, _, _ = key.partition(":")
        text = decompress(stored.body(key))
        texts[key] = text
        (data if field == "" else data[field]).update(loads(b"{" + text[1:] + b"}"))
    return data, texts


def thaw_state(stored: StoredState) -> Any:
    """The JSON data of a stored state, whole or in chunks."""
    return _parts(stored)[0]


def restore(model: ReadModel[Any], stored: StoredState) -> Any:
    """The state of a stored one. A state stored in chunks is decoded with each map of
    entities as `StoredEntries`: a read model whose `decode` makes it an `EntityMap` with
    `entities` leaves it in its chunks until first used (and the chunks become its encoded
    form, so that the next write encodes only the chunks that change from then on)."""
    if not stored.chunks:
        return model.decode(thaw(stored.state))
    data = thaw(stored.state)
    by_field: dict[str, dict[str, tuple[bytes, bytes]]] = {}
    for key, (_, digest) in stored.chunks.items():
        field, _, prefix = key.partition(":")
        by_field.setdefault(field, {})[prefix] = (stored.body(key), digest)
    fields = {field: StoredEntries(chunks) for field, chunks in by_field.items()}
    if "" in fields:
        data = fields[""]
    else:
        data.update(fields)
    state = model.decode(data)
    # A map that `decode` read at once (not through `entities`) takes the chunks it was
    # read from as its encoded form here.
    for field, entries in _maps(model.encode(state)).items():
        items = entries.items
        source = fields.get(field)
        texts = None if source is None else source.texts()
        if type(items) is EntityMap and texts is not None:
            items.seed(entries.key, entries.value, texts, entries.retired)
    return state

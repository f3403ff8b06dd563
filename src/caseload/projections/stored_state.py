"""A read model's state as stored, with its digest, and back: whole (checkpoints) or in
chunks (the live state, of which a write sends only the chunks that changed)."""

from __future__ import annotations

import hashlib
import json
import zlib
from typing import Any

import orjson

from caseload.adapters.read_model_store import COMPRESSION_LEVEL, StoredState, decompress
from caseload.projections.base import (
    Entries,
    ReadModel,
    Segment,
    canonical_pieces,
    segments,
    segments_digest,
)
from caseload.projections.entities import EntityMap

__all__ = ["freeze", "freeze_chunked", "restore", "thaw", "thaw_state"]


def _digest(header: bytes, chunks: dict[str, Segment]) -> str:
    return segments_digest(
        hashlib.sha256(header).digest(), ((key, chunk[2]) for key, chunk in chunks.items())
    )


def freeze(model: ReadModel[Any], state: Any, position: int) -> StoredState:
    """The state as one compressed canonical JSON text (a checkpoint) with its digest.

    The compressed form is a run of zlib streams: pieces whose compressed form a map of
    entities keeps are taken as they are, the pieces between them compressed afresh."""
    data = model.encode(state)
    header, chunks = segments(data)
    packer: Any = None
    packed = []
    for text, kept in canonical_pieces(data):
        if kept is None:
            if packer is None:
                packer = zlib.compressobj(COMPRESSION_LEVEL)
            packed.append(packer.compress(text))
        else:
            if packer is not None:
                packed.append(packer.flush())
                packer = None
            packed.append(kept)
    if packer is not None:
        packed.append(packer.flush())
    return StoredState(model.version, position, b"".join(packed), _digest(header, chunks))


def freeze_chunked(
    model: ReadModel[Any], state: Any, position: int, base: StoredState | None = None
) -> StoredState:
    """The state as a header and chunks with its digest, to be written over `base` (what
    the store holds for this version, if known): only the chunks whose digest differs from
    `base`'s, or that `base` has and the state no longer does, are to be written."""
    header, chunks = segments(model.encode(state))
    stored = {
        key: (zlib.compress(text, COMPRESSION_LEVEL) if packed is None else packed, digest)
        for key, (text, packed, digest) in chunks.items()
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


def thaw(stored: bytes) -> Any:
    """The JSON data of a whole stored state (what `ReadModel.decode` takes)."""
    return _loads(decompress(stored))


def _loads(text: bytes) -> Any:
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
        text = decompress(stored.chunks[key][0])
        texts[key] = text
        (data if field == "" else data[field]).update(_loads(b"{" + text[1:] + b"}"))
    return data, texts


def thaw_state(stored: StoredState) -> Any:
    """The JSON data of a stored state, whole or in chunks."""
    return _parts(stored)[0]


def restore(model: ReadModel[Any], stored: StoredState) -> Any:
    """The state of a stored one, its maps of entities holding the stored chunks as their
    encoded form, so that the next write encodes only the chunks that change from now on."""
    data, texts = _parts(stored)
    state = model.decode(data)
    if not stored.chunks:
        return state
    encoded = model.encode(state)
    fields = (
        {"": encoded}
        if isinstance(encoded, Entries)
        else {k: v for k, v in encoded.items() if isinstance(v, Entries)}
        if type(encoded) is dict
        else {}
    )
    for field, entries in fields.items():
        items = entries.items
        if not isinstance(items, EntityMap):
            continue
        chunks = {
            key.partition(":")[2]: (texts[key], packed, digest)
            for key, (packed, digest) in stored.chunks.items()
            if key.partition(":")[0] == field
        }
        items.seed(entries.key, entries.value, chunks)
    return state

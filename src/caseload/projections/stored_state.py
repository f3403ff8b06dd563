"""A read model's state as stored: compressed canonical JSON with its digest, and back."""

from __future__ import annotations

import hashlib
import json
import zlib
from typing import Any

import orjson

from caseload.adapters.read_model_store import COMPRESSION_LEVEL, StoredState, decompress
from caseload.projections.base import ReadModel, canonical_pieces

__all__ = ["freeze", "thaw"]


def freeze(model: ReadModel[Any], state: Any, position: int) -> StoredState:
    """The state as stored: compressed canonical JSON and its digest, written piece by
    piece so the whole text is never in memory at once.

    The compressed form is a run of zlib streams: pieces whose compressed form a map of
    entities keeps are taken as they are, the pieces between them compressed afresh."""
    hasher = hashlib.sha256()
    packer: Any = None
    packed = []
    for text, kept in canonical_pieces(model.encode(state)):
        hasher.update(text)
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
    return StoredState(model.version, position, b"".join(packed), hasher.hexdigest())


def thaw(stored: bytes) -> Any:
    """The JSON data of a stored state (what `ReadModel.decode` takes)."""
    text = decompress(stored)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # What orjson does not read (integers beyond 64 bits) the standard library does.
        return json.loads(text)

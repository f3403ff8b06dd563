"""What the log's hashes are: the chain link of each stored event, and the digest of each seal.

Every stored event gets a link `h_i = sha256(h_(i-1) || position || stored bytes of event
i)`, where the stored bytes are the event's aggregate id, version, topic and state, each
length-prefixed so no two different rows hash alike. Seals are chained the same way:
`s_k = sha256(s_(k-1) || k || position || head || sealed_at)`. The recorders write links
with these definitions, sealing writes seal digests, and verify recomputes both.
"""

from __future__ import annotations

import hashlib
import struct
from uuid import UUID

__all__ = ["GENESIS", "SEAL_GENESIS", "id_text", "link", "seal_digest"]

GENESIS = hashlib.sha256(b"caseload event chain v1").digest()
"""The link before the first event."""

SEAL_GENESIS = hashlib.sha256(b"caseload seal chain v1").digest()
"""The seal digest before the first seal."""


def _part(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


_SIGNED = struct.Struct(">q").pack
_POSITION_AND_ID_LENGTH = struct.Struct(">qQ").pack
_TOPIC_PARTS: dict[str, bytes] = {}
"""Each topic's length-prefixed bytes: a log has a few dozen topics and many events."""


def link(
    previous: bytes, position: int, originator_id: str, version: int, topic: str, state: bytes
) -> bytes:
    """The chain hash of the event stored at `position`, following `previous`."""
    topic_part = _TOPIC_PARTS.get(topic)
    if topic_part is None:
        topic_part = _part(topic.encode())
        if len(_TOPIC_PARTS) < 1000:
            _TOPIC_PARTS[topic] = topic_part
    identity = originator_id.encode()
    # previous || position || len(id) id || version || len(topic) topic || len(state) state
    return hashlib.sha256(
        b"".join(
            (
                previous,
                _POSITION_AND_ID_LENGTH(position, len(identity)),
                identity,
                _SIGNED(version),
                topic_part,
                len(state).to_bytes(8, "big"),
                state,
            )
        )
    ).digest()


def seal_digest(previous: bytes, number: int, position: int, head: bytes, sealed_at: str) -> bytes:
    """The digest of seal number `number` (from 1), following the previous seal's digest."""
    return hashlib.sha256(
        previous
        + number.to_bytes(8, "big")
        + position.to_bytes(8, "big", signed=True)
        + _part(head)
        + _part(sealed_at.encode())
    ).digest()


def id_text(originator_id: UUID | str) -> str:
    """An aggregate id as the SQLite recorder stores it (hex without dashes)."""
    return originator_id.hex if isinstance(originator_id, UUID) else str(originator_id)

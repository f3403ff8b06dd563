"""What the log's hashes are: the chain link of each stored event, and the digest of each seal.

Every stored event gets a link `h_i = sha256(h_(i-1) || position || stored bytes of event
i)`, where the stored bytes are the event's aggregate id, version, topic and state, each
length-prefixed so no two different rows hash alike. Seals are chained the same way:
`s_k = sha256(s_(k-1) || k || position || head || sealed_at)`. The recorders write links
with these definitions, sealing writes seal digests, and verify recomputes both.
"""

from __future__ import annotations

import hashlib
from uuid import UUID

__all__ = ["GENESIS", "SEAL_GENESIS", "id_text", "link", "seal_digest"]

GENESIS = hashlib.sha256(b"caseload event chain v1").digest()
"""The link before the first event."""

SEAL_GENESIS = hashlib.sha256(b"caseload seal chain v1").digest()
"""The seal digest before the first seal."""


def _part(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def link(
    previous: bytes, position: int, originator_id: str, version: int, topic: str, state: bytes
) -> bytes:
    """The chain hash of the event stored at `position`, following `previous`."""
    return hashlib.sha256(
        previous
        + position.to_bytes(8, "big", signed=True)
        + _part(originator_id.encode())
        + version.to_bytes(8, "big", signed=True)
        + _part(topic.encode())
        + _part(state)
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

"""Seals: the chain's head (position and hash) and the moment, recorded in a chain of their own.

A seal's digest (see `caseload.adapters.hashes`), kept outside the database, pins the whole
log up to its position: rewriting history and recomputing every link and seal after it
changes the digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import attrs

from caseload.adapters.hashes import SEAL_GENESIS, seal_digest

__all__ = ["Seal", "as_seal", "new_seal", "seal_chain_break", "well_formed_seal"]


@attrs.frozen
class Seal:
    """A recorded seal: the chain head at `position` when it was taken."""

    number: int
    position: int
    head: str
    """The chain hash at `position`, hex."""
    sealed_at: datetime
    digest: str
    """The seal's own chained digest, hex: keep it outside the database."""


def new_seal(
    seals: list[tuple[int, int, bytes, str, bytes]], position: int, head: bytes, now: datetime
) -> tuple[int, int, bytes, str, bytes]:
    """The row of the seal that follows `seals`: the chain head `head` at `position`, now."""
    number = seals[-1][0] + 1 if seals else 1
    previous = seals[-1][4] if seals else SEAL_GENESIS
    sealed_at = now.astimezone(UTC).isoformat(timespec="microseconds")
    return (
        number,
        position,
        head,
        sealed_at,
        seal_digest(previous, number, position, head, sealed_at),
    )


def well_formed_seal(seal: tuple[Any, ...]) -> bool:
    """Whether a seal row holds the types the seal table is written with."""
    number, position, head, sealed_at, digest = seal
    return (
        type(number) is int
        and type(position) is int
        and type(head) is bytes
        and type(sealed_at) is str
        and type(digest) is bytes
    )


def seal_chain_break(seals: Sequence[tuple[Any, ...]]) -> str | None:
    """Where the recorded seals stop forming their chain, in words (None when they do):
    a malformed row, a missing number, or a seal that no longer matches its digest."""
    previous = SEAL_GENESIS
    for number, seal in enumerate(seals, 1):
        if not well_formed_seal(seal):
            return "the seals table holds a malformed row: it was altered"
        if seal[0] != number:
            return f"seal {number} is missing: seals were deleted"
        if seal_digest(previous, number, seal[1], seal[2], seal[3]) != seal[4]:
            return f"seal {number} does not match its digest: it was altered"
        previous = seal[4]
    return None


def as_seal(row: tuple[int, int, bytes, str, bytes]) -> Seal:
    """A seal row as a `Seal`."""
    number, position, head, sealed_at, digest = row
    return Seal(number, position, head.hex(), datetime.fromisoformat(sealed_at), digest.hex())

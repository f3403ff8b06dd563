"""Secret keys and the one keyed hash made with them: hex HMAC-SHA-256.

Citizen pseudonyms, the check value that pins a store's pseudonym key, export ids and the
check value of an export key are all this construction over different messages. They are
stored or compared by people, so their bytes never change: a new use gets a new message,
never a new construction.
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID

from caseload.domain.errors import CaseloadError

__all__ = [
    "EXPORT_KEY_CHECK",
    "MIN_KEY_BYTES",
    "PSEUDONYM_KEY_CHECK",
    "export_id",
    "export_key_check",
    "keyed_hex",
    "pseudonym_key_check",
    "secret_bytes",
]

MIN_KEY_BYTES = 16
"""The least secret material a key may hold."""

PSEUDONYM_KEY_CHECK = b"caseload pseudonym key check"
"""The message whose keyed hash identifies a store's pseudonym key."""

EXPORT_KEY_CHECK = b"caseload export key check"
"""The message whose keyed hash tells export keys apart."""


def secret_bytes(key: object, what: str, error: type[CaseloadError]) -> bytes:
    """A secret key given as text or bytes, as bytes, refused with `error` unless it holds
    at least 16 bytes. The message names `what` and the length, never the key."""
    if not isinstance(key, str | bytes):
        raise error(f"the {what} must be text or bytes, not {type(key).__name__}")
    # surrogateescape gives back the bytes of a key read from an environment variable or a
    # command line that was not valid UTF-8.
    try:
        raw = key.encode("utf-8", "surrogateescape") if isinstance(key, str) else bytes(key)
    except UnicodeEncodeError:
        raise error(f"the {what} is text that cannot be encoded as bytes") from None
    if len(raw) < MIN_KEY_BYTES:
        raise error(f"the {what} must be at least {MIN_KEY_BYTES} bytes; it is {len(raw)}")
    return raw


def keyed_hex(key: bytes, message: bytes) -> str:
    """Hex HMAC-SHA-256 of `message` under `key`: 64 lowercase hexadecimal characters."""
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def pseudonym_key_check(key: bytes) -> str:
    """A value that identifies a pseudonym key without revealing it."""
    return keyed_hex(key, PSEUDONYM_KEY_CHECK)


def export_key_check(key: bytes) -> str:
    """A value that tells export keys apart without revealing them."""
    return keyed_hex(key, EXPORT_KEY_CHECK)


def export_id(key: bytes, stored: UUID | str) -> str:
    """The export pseudonym of a stored id (a UUID or a citizen pseudonym): the keyed hash
    of its text (a UUID in its hyphenated form), UTF-8 encoded."""
    return keyed_hex(key, str(stored).encode("utf-8"))

"""The one encryption construction for personal data: AES-256-GCM with associated data.

A data key seals a field's JSON text with a fresh 96-bit nonce; the associated data names
the format, the field and the citizen's pseudonym, so a ciphertext moved to another field
or another citizen does not decrypt. A master key wraps each data key the same way, bound
to the pseudonym it belongs to. Plain text is padded to a multiple of 32 bytes, so the
stored length says little about the text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from typing import TYPE_CHECKING, Any

from caseload.domain.errors import ConfigurationError, PersonalDataUnreadable, WrongMasterKey
from caseload.domain.keys import keyed_hex
from caseload.domain.personal import Sealed

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "KEY_BYTES",
    "MIN_PASSPHRASE_CHARACTERS",
    "SEALED_VERSION",
    "master_key_bytes",
    "master_key_check",
    "new_data_key",
    "seal",
    "unseal",
    "unwrap",
    "wrap",
]

KEY_BYTES = 32
"""Master and data keys are 256-bit AES keys."""
NONCE_BYTES = 12
SEALED_VERSION = 1
"""The version of the `Sealed` format written today."""
MIN_PASSPHRASE_CHARACTERS = 16
"""The shortest passphrase accepted as a master key."""
_PASSPHRASE_SALT = b"caseload master key v1"
_PAD = 32
_MASTER_CHECK = b"caseload master key check"
_SEAL_CONTEXT = b"caseload sealed v1\x00"
_WRAP_CONTEXT = b"caseload data key v1\x00"


def master_key_bytes(key: object) -> bytes:
    """A master key as 32 bytes: 32 bytes as given, 64 hexadecimal characters, or a
    passphrase of at least 16 characters stretched with scrypt (n=2**15, r=8, p=1, a
    fixed salt: the same passphrase gives the same key on every machine).

    `ConfigurationError` says which form was expected and the length, never the key."""
    if isinstance(key, bytes):
        if len(key) != KEY_BYTES:
            raise ConfigurationError(
                f"a master key given as bytes is {KEY_BYTES} bytes; got {len(key)}"
            )
        return bytes(key)
    if not isinstance(key, str):
        raise ConfigurationError(
            f"a master key is 32 bytes, 64 hexadecimal characters or a passphrase, "
            f"not a {type(key).__name__}"
        )
    stripped = key.strip()
    if len(stripped) == 2 * KEY_BYTES:
        try:
            return bytes.fromhex(stripped)
        except ValueError:
            pass
    if len(key) < MIN_PASSPHRASE_CHARACTERS:
        raise ConfigurationError(
            f"a master key passphrase is at least {MIN_PASSPHRASE_CHARACTERS} characters; "
            f"got {len(key)}"
        )
    try:
        secret = key.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise ConfigurationError("the master key is text that cannot be encoded") from None
    return hashlib.scrypt(
        secret, salt=_PASSPHRASE_SALT, n=2**15, r=8, p=1, maxmem=64 * 2**20, dklen=KEY_BYTES
    )


def master_key_check(master: bytes) -> str:
    """A value that identifies a master key without revealing it (kept with each wrapped
    data key, so a different master key is refused before it wraps anything)."""
    return keyed_hex(master, _MASTER_CHECK)


def _aes_gcm() -> tuple[type[AESGCM], type[Exception]]:
    """The AES-GCM cipher and its authentication failure, imported on first use: a command
    that neither seals nor unseals (`caseload status`) is spared loading the library."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM, InvalidTag


def new_data_key() -> bytes:
    """A fresh random data key."""
    aes_gcm, _ = _aes_gcm()
    return aes_gcm.generate_key(bit_length=8 * KEY_BYTES)


def wrap(master: bytes, pseudonym: str, data_key: bytes) -> bytes:
    """A data key encrypted under the master key, bound to its citizen: nonce + ciphertext."""
    aes_gcm, _ = _aes_gcm()
    nonce = os.urandom(NONCE_BYTES)
    bound = _WRAP_CONTEXT + pseudonym.encode("utf-8", "surrogatepass")
    return nonce + aes_gcm(master).encrypt(nonce, data_key, bound)


def unwrap(master: bytes, pseudonym: str, wrapped: bytes) -> bytes:
    """The data key a wrapped key holds; `WrongMasterKey` when it does not decrypt."""
    aes_gcm, invalid_tag = _aes_gcm()
    bound = _WRAP_CONTEXT + pseudonym.encode("utf-8", "surrogatepass")
    try:
        return aes_gcm(master).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], bound)
    except (invalid_tag, ValueError):
        raise WrongMasterKey(
            "a citizen's data key does not decrypt with this master key: it is not the one "
            "the store's data keys were wrapped with (or the key table was altered)"
        ) from None


def _associated(pseudonym: str, field: str) -> bytes:
    return (
        _SEAL_CONTEXT + field.encode("utf-8") + b"\x00" + pseudonym.encode("utf-8", "surrogatepass")
    )


def seal(data_key: bytes, pseudonym: str, field: str, value: Any) -> Sealed:
    """`value` (JSON-able) encrypted under a citizen's data key, bound to the citizen's
    pseudonym and the field's name."""
    plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    plain += b" " * (-len(plain) % _PAD)
    aes_gcm, _ = _aes_gcm()
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = aes_gcm(data_key).encrypt(nonce, plain, _associated(pseudonym, field))
    return Sealed(
        v=SEALED_VERSION,
        nonce=base64.b64encode(nonce).decode("ascii"),
        ct=base64.b64encode(ciphertext).decode("ascii"),
    )


def unseal(data_key: bytes, pseudonym: str, field: str, sealed: Sealed) -> Any:
    """The value a `Sealed` field holds; `PersonalDataUnreadable` when it was altered, is
    bound to another citizen or field, or was sealed under another key."""
    unreadable = PersonalDataUnreadable(
        f"a sealed {field} does not decrypt for this citizen: it was altered, belongs to "
        "another citizen or field, or was sealed under another data key"
    )
    if not isinstance(sealed, Sealed) or sealed.v != SEALED_VERSION:
        raise unreadable
    aes_gcm, invalid_tag = _aes_gcm()
    try:
        nonce = base64.b64decode(sealed.nonce, validate=True)
        ciphertext = base64.b64decode(sealed.ct, validate=True)
        plain = aes_gcm(data_key).decrypt(nonce, ciphertext, _associated(pseudonym, field))
        return json.loads(plain.decode("utf-8"))
    except (invalid_tag, ValueError, TypeError, binascii.Error, UnicodeError):
        raise unreadable from None

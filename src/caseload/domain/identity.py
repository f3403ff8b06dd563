"""Citizen identity: CPR numbers are validated, then replaced by a keyed pseudonym.

The raw CPR number (CPR-nummer) never leaves this module: not into events, logs or error
messages. The pseudonym is HMAC-SHA-256 of the normalised number under a key that the
service supplies (made by `caseload.domain.keys`, like every keyed id), so the same
citizen always gets the same pseudonym within one store and nobody without the key can
reverse or recompute it.
"""

from __future__ import annotations

from datetime import date

from caseload.domain.errors import ConfigurationError, InvalidCitizenId, MissingPseudonymKey
from caseload.domain.keys import MIN_KEY_BYTES, keyed_hex, pseudonym_key_check, secret_bytes

__all__ = [
    "MIN_KEY_BYTES",
    "birth_date",
    "key_bytes",
    "normalise_cpr",
    "pseudonym_key_check",
    "pseudonymise",
    "secret_bytes",
]


def normalise_cpr(cpr: str) -> str:
    """Return the ten digits of a CPR number, accepting the `DDMMYY-SSSS` form too.

    Raises `InvalidCitizenId` (without echoing the number) when it is malformed.
    """
    if not isinstance(cpr, str):
        raise InvalidCitizenId(
            f"a CPR number must be given as a string of 10 digits, not {type(cpr).__name__}"
        )
    digits = cpr.strip()
    if len(digits) == 11 and digits[6] == "-":
        digits = digits[:6] + digits[7:]
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        raise InvalidCitizenId(
            f"a CPR number must be 10 digits (DDMMYYSSSS or DDMMYY-SSSS); "
            f"got {len(cpr)} characters that are not of that form"
        )
    birth_date(digits)
    return digits


def _century(two_digit_year: int, seventh_digit: int) -> int:
    """The century of a CPR birth year by the 7th-digit rule of the CPR office."""
    if seventh_digit <= 3:
        return 1900
    if seventh_digit in (4, 9):
        return 2000 if two_digit_year <= 36 else 1900
    # 5, 6, 7 and 8.
    return 2000 if two_digit_year <= 57 else 1800


def birth_date(digits: str) -> date:
    """The birth date a normalised CPR number encodes (day, month, year and century)."""
    day, month, year = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    full_year = _century(year, int(digits[6])) + year
    try:
        return date(full_year, month, day)
    except ValueError:
        # The message names no part of the number: even a mistyped birth date is personal.
        raise InvalidCitizenId(
            "a CPR number must begin with a real birth date (DDMMYY, with the century "
            "given by the 7th digit); the date in the number given does not exist"
        ) from None


def key_bytes(key: str | bytes | None) -> bytes:
    """Check and encode a pseudonym key: at least 16 bytes of secret material."""
    if key is None or key in ("", b""):
        raise MissingPseudonymKey(
            "a pseudonym key is required to store citizens: pass pseudonym_key=... "
            "or set CASELOAD_PSEUDONYM_KEY"
        )
    return secret_bytes(key, "pseudonym key", ConfigurationError)


def pseudonymise(cpr: str, key: bytes) -> str:
    """The keyed pseudonym (hex HMAC-SHA-256) of a citizen's CPR number."""
    digits = normalise_cpr(cpr)
    return keyed_hex(key, digits.encode("ascii"))

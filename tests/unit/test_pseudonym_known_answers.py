"""The pseudonym is HMAC-SHA-256 of the CPR number's ten digits under the service's key,
as the docs promise: known answers computed with the standard library's `hmac`, never
with `caseload`'s own code."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseload import Caseload
from caseload.domain.identity import pseudonymise
from caseload.testing.strategies import cprs
from tests.conftest import KEY, TODAY, fixed_clock

RAW_KEY = KEY.encode("utf-8")

KNOWN = "e4f757551b5443935944791f254680b6e204c528704b38b8f341a8a39bef2d13"
"""HMAC-SHA-256 of b"0101901234" under the tests' key, written down once (from Python's
`hmac.new(b"test-pseudonym-key-not-secret", b"0101901234", hashlib.sha256)`), so this
file holds one answer that no code computes at all."""


def hmac_sha256(key: bytes, digits: str) -> str:
    """The documented construction, from the standard library."""
    return hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()


def test_the_written_down_answer_is_the_standard_librarys() -> None:
    """The constant above is what the standard library computes (a check of the test)."""
    assert hmac_sha256(RAW_KEY, "0101901234") == KNOWN


@pytest.mark.parametrize(
    "written",
    ["0101901234", "010190-1234", " 0101901234", "010190-1234 ", "\t0101901234\n"],
)
def test_every_accepted_form_gets_the_hmac_of_the_ten_digits(written: str) -> None:
    """Ten digits, the hyphenated DDMMYY-SSSS form, and either with surrounding spaces:
    the pseudonym is the HMAC of the ten digits alone."""
    assert pseudonymise(written, RAW_KEY) == KNOWN


@pytest.mark.parametrize(
    ("key", "digits"),
    [
        (bytes(range(32)), "2902004123"),
        (b"\xff" * 16, "3112999999"),
        ("æøå-nøgle-til-test".encode(), "0101588000"),
    ],
)
def test_other_keys_and_citizens_get_the_standard_hmac(key: bytes, digits: str) -> None:
    """A binary key, a key of exactly 16 bytes and a UTF-8 key; a leap day and 7th digits
    of other centuries."""
    assert pseudonymise(digits, key) == hmac_sha256(key, digits)
    assert pseudonymise(f"{digits[:6]}-{digits[6:]}", key) == hmac_sha256(key, digits)


@given(cpr=cprs(hyphen=None), key=st.binary(min_size=16, max_size=64))
def test_any_citizen_under_any_key_gets_the_standard_hmac(cpr: str, key: bytes) -> None:
    """For any valid CPR number, in either form, and any key of 16 bytes or more."""
    assert pseudonymise(cpr, key) == hmac_sha256(key, cpr.replace("-", ""))


@pytest.mark.parametrize("written", ["0101901234", "010190-1234", " 010190-1234 "])
def test_the_stored_citizen_is_the_hmac_under_the_keys_utf8_bytes(written: str) -> None:
    """Through the application: a key given as text keys the HMAC with its UTF-8 bytes,
    and the trajectory stores exactly that pseudonym."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        trajectory = app.open_trajectory(cpr=written, on=TODAY)
        assert app.trajectory(trajectory).citizen == KNOWN

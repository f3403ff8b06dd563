"""Sealing personal fields: what goes in comes out, and nothing else opens it.

The construction (`caseload.privacy.crypto`) is AES-256-GCM with associated data naming
the field and the citizen's pseudonym; the data key is wrapped by the master key, bound to
the same pseudonym. Every refusal is a `CaseloadError` whose message holds no input value.
"""

from __future__ import annotations

import base64
from typing import Any

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from caseload.domain.errors import (
    CaseloadError,
    ConfigurationError,
    InvalidValue,
    PersonalDataUnreadable,
    WrongMasterKey,
)
from caseload.domain.personal import PersonalData, Sealed
from caseload.privacy import crypto

keys = st.binary(min_size=32, max_size=32)
pseudonyms = st.text("0123456789abcdef", min_size=64, max_size=64)
fields = st.sampled_from(["personal", "contact_note", "plan_note"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(keys, pseudonyms, fields, json_values)
def test_a_sealed_value_opens_to_itself(key: bytes, pseudonym: str, field: str, value: Any) -> None:
    """Sealing then opening under the same key, citizen and field gives the value back."""
    sealed = crypto.seal(key, pseudonym, field, value)
    assert crypto.unseal(key, pseudonym, field, sealed) == value


@given(keys, pseudonyms, fields, st.text(min_size=1))
def test_the_stored_form_holds_no_plain_text_and_hides_the_exact_length(
    key: bytes, pseudonym: str, field: str, text: str
) -> None:
    """The ciphertext is base64 of padded text: the text is not in it, and its length is
    a multiple of 32 bytes plus the 16-byte tag."""
    sealed = crypto.seal(key, pseudonym, field, text)
    ciphertext = base64.b64decode(sealed.ct)
    assert (len(ciphertext) - 16) % 32 == 0
    assume(len(text) >= 4)
    assert text not in sealed.ct
    assert text.encode("utf-8") not in ciphertext


@given(keys, keys, pseudonyms, fields, st.text())
def test_another_data_key_is_refused(
    key: bytes, other: bytes, pseudonym: str, field: str, text: str
) -> None:
    """A value sealed under one citizen's key does not open under another key."""
    assume(key != other)
    sealed = crypto.seal(key, pseudonym, field, text)
    with pytest.raises(PersonalDataUnreadable):
        crypto.unseal(other, pseudonym, field, sealed)


@given(keys, pseudonyms, pseudonyms, fields, fields, st.text())
def test_a_value_moved_to_another_citizen_or_field_is_refused(
    key: bytes, pseudonym: str, other: str, field: str, other_field: str, text: str
) -> None:
    """The associated data binds a sealed value to its citizen and its field: copied into
    another citizen's event, or into another field, it does not open (even under the
    same key)."""
    assume((pseudonym, field) != (other, other_field))
    sealed = crypto.seal(key, pseudonym, field, text)
    with pytest.raises(PersonalDataUnreadable):
        crypto.unseal(key, other, other_field, sealed)


@given(keys, pseudonyms, fields, st.text(), st.data())
def test_a_tampered_ciphertext_or_nonce_is_refused(
    key: bytes, pseudonym: str, field: str, text: str, data: st.DataObject
) -> None:
    """Changing any bit of the nonce or the ciphertext, or the format version, is found."""
    sealed = crypto.seal(key, pseudonym, field, text)
    part = data.draw(st.sampled_from(["nonce", "ct", "v"]))
    if part == "v":
        tampered = attrs.evolve(sealed, v=data.draw(st.integers().filter(lambda v: v != 1)))
    else:
        raw = bytearray(base64.b64decode(getattr(sealed, part)))
        index = data.draw(st.integers(0, len(raw) - 1))
        raw[index] ^= 1 << data.draw(st.integers(0, 7))
        tampered = attrs.evolve(sealed, **{part: base64.b64encode(bytes(raw)).decode()})
    with pytest.raises(PersonalDataUnreadable) as refused:
        crypto.unseal(key, pseudonym, field, tampered)
    assert text not in str(refused.value) or len(text) < 4


@given(keys, pseudonyms, fields, st.text(), st.text(max_size=40), st.text(max_size=40))
def test_garbage_in_a_sealed_value_is_refused_as_unreadable(
    key: bytes, pseudonym: str, field: str, text: str, nonce: str, ct: str
) -> None:
    """A stored value altered into anything (not base64, wrong lengths) is refused with
    the same error, never a decoding exception."""
    with pytest.raises(PersonalDataUnreadable):
        crypto.unseal(key, pseudonym, field, Sealed(v=1, nonce=nonce, ct=ct))


@given(keys, keys, pseudonyms, keys)
def test_a_data_key_unwraps_only_under_its_master_key_and_citizen(
    master: bytes, other_master: bytes, pseudonym: str, data_key: bytes
) -> None:
    """Wrapping round-trips; another master key, or the wrapped key filed under another
    citizen, is refused with `WrongMasterKey`."""
    wrapped = crypto.wrap(master, pseudonym, data_key)
    assert crypto.unwrap(master, pseudonym, wrapped) == data_key
    assert data_key not in wrapped
    if other_master != master:
        with pytest.raises(WrongMasterKey):
            crypto.unwrap(other_master, pseudonym, wrapped)
    with pytest.raises(WrongMasterKey):
        crypto.unwrap(master, pseudonym[::-1] + "x", wrapped)


def test_a_master_key_is_32_bytes_hex_or_a_passphrase() -> None:
    """Three forms, one key each; the passphrase is stretched the same way every time."""
    raw = bytes(range(32))
    assert crypto.master_key_bytes(raw) == raw
    assert crypto.master_key_bytes(raw.hex()) == raw
    phrase = "correct horse battery staple"
    derived = crypto.master_key_bytes(phrase)
    assert len(derived) == 32
    assert derived == crypto.master_key_bytes(phrase)
    assert derived != crypto.master_key_bytes(phrase + "!")


@given(
    st.one_of(
        st.binary(max_size=31),
        st.binary(min_size=33, max_size=64),
        st.text(max_size=15),
        st.integers(),
        st.none(),
    )
)
def test_a_master_key_of_another_shape_is_refused_without_echoing_it(key: object) -> None:
    """Too short, too long or not text or bytes: `ConfigurationError` that names the form
    and the length, never the key."""
    with pytest.raises(ConfigurationError) as refused:
        crypto.master_key_bytes(key)
    message = str(refused.value)
    if isinstance(key, str | bytes) and len(key) >= 4:
        assert str(key) not in message
        assert repr(key) not in message


personal_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=200
).filter(str.strip)


@given(st.none() | personal_text, st.none() | personal_text, st.none() | personal_text)
def test_personal_data_takes_one_line_of_text_per_field(
    name: str | None, phone: str | None, address: str | None
) -> None:
    """Each field follows the free-text rule; at least one must be given; the repr shows
    none of them."""
    if name is None and phone is None and address is None:
        with pytest.raises(InvalidValue):
            PersonalData(name=name, phone=phone, address=address)
        return
    data = PersonalData(name=name, phone=phone, address=address)
    assert data.as_json() == {
        "name": None if name is None else name.strip(),
        "phone": None if phone is None else phone.strip(),
        "address": None if address is None else address.strip(),
    }
    for value in (name, phone, address):
        if value is not None and len(value.strip()) >= 4:
            assert value.strip() not in repr(data)


@given(
    st.sampled_from(["name", "phone", "address"]),
    st.one_of(
        st.text(min_size=201, max_size=300),
        st.just("0101901234\n"),
        st.just("   "),
        st.integers(),
        st.just("line\u2028break"),
    ),
)
def test_personal_data_refuses_what_the_free_text_rule_refuses(field: str, value: object) -> None:
    """Too long, several lines, blank or not text: `InvalidValue` naming the field and
    the rule, never the value."""
    with pytest.raises(CaseloadError) as refused:
        PersonalData(**{field: value})
    assert isinstance(refused.value, InvalidValue)
    message = str(refused.value)
    assert field in message
    if isinstance(value, str) and len(value.strip()) >= 4:
        assert value.strip() not in message

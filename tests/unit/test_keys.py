"""Every keyed id is one construction, made in `caseload.domain.keys`, and its bytes never
change: pseudonyms are stored and export ids are compared by evaluators, so each is checked
against the standard library's `hmac` and against a value pinned when it was first made."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

import caseload
from caseload import Caseload
from caseload.domain.identity import pseudonymise
from caseload.domain.keys import MIN_KEY_BYTES, keyed_hex
from caseload.export import key_check
from caseload.programmes.resource_pathway.domain.programme import Programme
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.programmes.tables import keyed_id
from caseload.testing.strategies import cprs
from tests.conftest import fixed_clock

KEY = b"known-answer key, 32 bytes long!"
CPR = "0101901234"
STORED_ID = UUID("6f1c8a52-3b7e-4c8e-9a41-0d2b7e5f9c13")

# Pinned when each value was first computed with `hmac.new(KEY, message, hashlib.sha256)`.
PSEUDONYM = "cebcba474e10d434453fcfa95f10bac7a8c44e000c88213c364decd374d8a37c"
PSEUDONYM_KEY_CHECK = "d3c2e09fecba6e4741b38c0d01a1d4fa574f6d6a9c6655cfcccc054a1c8bed0f"
EXPORT_KEY_CHECK = "2baaa643de92b51cbe03ed20e152e8060a38fe4621ae10b56e80d946d2158a25"
EXPORT_ID_OF_UUID = "9c08bcceaee299071f425fee0be607d1ba1176c31ff75f7c46682fe1a10666fc"
EXPORT_ID_OF_PSEUDONYM = "bb850b977555f2f6ef022c40472198a2b92629b209b2840de8cb88a4a5ffe7b6"

keys = st.binary(min_size=MIN_KEY_BYTES, max_size=64)


def reference(key: bytes, message: bytes) -> str:
    """Hex HMAC-SHA-256 straight from the standard library."""
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def test_a_citizen_pseudonym_is_the_known_answer() -> None:
    """A pseudonym is HMAC-SHA-256 of the CPR number's ten ASCII digits."""
    assert pseudonymise(CPR, KEY) == reference(KEY, CPR.encode("ascii")) == PSEUDONYM
    assert pseudonymise("010190-1234", KEY) == PSEUDONYM


def test_the_stored_pseudonym_and_key_check_are_the_known_answers() -> None:
    """What a store records when it opens a trajectory: the citizen's pseudonym, and the
    check value of the key (HMAC of a fixed text) that pins the key to the store."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        app.open_trajectory(cpr=CPR, on=fixed_clock())
        events = [event for _, event in app.history()]
    (registered,) = [e for e in events if isinstance(e, Programme.PseudonymKeyRegistered)]
    (opened,) = [e for e in events if isinstance(e, Trajectory.Opened)]
    assert opened.citizen == PSEUDONYM
    assert registered.key_check == reference(KEY, b"caseload pseudonym key check")
    assert registered.key_check == PSEUDONYM_KEY_CHECK


def test_export_ids_and_the_export_key_check_are_the_known_answers() -> None:
    """An export id is HMAC-SHA-256 of the stored id's text (a UUID hyphenated, a
    pseudonym as it is), UTF-8 encoded; the manifest's key check is HMAC of a fixed text."""
    assert keyed_id(KEY, STORED_ID) == reference(KEY, str(STORED_ID).encode()) == EXPORT_ID_OF_UUID
    assert keyed_id(KEY, PSEUDONYM) == reference(KEY, PSEUDONYM.encode()) == EXPORT_ID_OF_PSEUDONYM
    assert key_check(KEY) == reference(KEY, b"caseload export key check") == EXPORT_KEY_CHECK


@given(key=keys, cpr=cprs(), stored=st.uuids() | st.text())
def test_every_keyed_id_agrees_with_the_standard_library(
    key: bytes, cpr: str, stored: object
) -> None:
    """Under any key, for any citizen and stored id, each keyed id equals the standard
    library's HMAC-SHA-256 of its message."""
    assert isinstance(stored, UUID | str)
    assert pseudonymise(cpr, key) == reference(key, cpr.encode("ascii"))
    assert keyed_id(key, stored) == reference(key, str(stored).encode("utf-8"))
    assert key_check(key) == reference(key, b"caseload export key check")
    assert keyed_hex(key, b"") == reference(key, b"")


def test_no_module_but_keys_computes_a_keyed_hash() -> None:
    """One construction, one home: no other module of the library calls `hmac.new`."""
    source = Path(caseload.__file__).parent
    computing = sorted(
        str(path.relative_to(source))
        for path in source.rglob("*.py")
        if "hmac.new(" in path.read_text(encoding="utf-8")
    )
    assert computing == ["domain/keys.py"]

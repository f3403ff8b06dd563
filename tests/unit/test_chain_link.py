"""A chain link is the hash its definition names, whatever the values: the stored chain of
every existing log depends on it."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from caseload.adapters.hashes import GENESIS, link


def by_definition(
    previous: bytes, position: int, originator_id: str, version: int, topic: str, state: bytes
) -> bytes:
    """sha256(previous || position || id || version || topic || state), each of id, topic
    and state prefixed with its length, the numbers as 8 big-endian bytes."""

    def part(data: bytes) -> bytes:
        return len(data).to_bytes(8, "big") + data

    return hashlib.sha256(
        previous
        + position.to_bytes(8, "big", signed=True)
        + part(originator_id.encode())
        + version.to_bytes(8, "big", signed=True)
        + part(topic.encode())
        + part(state)
    ).digest()


@given(
    st.binary(min_size=32, max_size=32),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from(["caseload.programmes:Trajectory.ContactRecorded", "", "ø"]) | st.text(),
    st.binary(),
)
def test_a_link_is_the_hash_of_its_definition(
    previous: bytes, position: int, originator_id: str, version: int, topic: str, state: bytes
) -> None:
    expected = by_definition(previous, position, originator_id, version, topic, state)
    assert link(previous, position, originator_id, version, topic, state) == expected
    # Asked again (the topic's bytes are then remembered), the same.
    assert link(previous, position, originator_id, version, topic, state) == expected


def test_a_known_first_link() -> None:
    """The digest as the chain's first definition computed it (a log written then)."""
    found = link(GENESIS, 1, "0" * 32, 1, "a:B.C", b'{"x":1}')
    assert found.hex() == "627a6bc994558c5533c2a280d97be53bbf9d22033d73f4d337e1283bb63225d2"

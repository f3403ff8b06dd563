"""The log reader's decoder turns stored bytes into the very state eventsourcing's
transcoder decodes: same values, same types, whatever the fields hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEvent
from eventsourcing.utils import get_topic
from hypothesis import given
from hypothesis import strategies as st

from caseload.adapters.fast_transcoder import FastJSONTranscoder
from caseload.adapters.log import EventDecoder
from caseload.programmes.resource_pathway.domain.values import (
    Role,
)
from tests.unit.test_fast_transcoder import DOMAIN_VALUES, FAST, STANDARD

ORIGINATOR = UUID(int=42)


@dataclass(frozen=True)
class Happened(DomainEvent):
    """A stand-in event class whose stored fields the test chooses freely."""


TOPIC = get_topic(Happened)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(),
    st.uuids(),
    st.dates(),
    st.datetimes(timezones=st.just(UTC)),
    st.decimals(allow_nan=False, allow_infinity=False),
    *DOMAIN_VALUES,
    st.frozensets(st.uuids(), max_size=3),
    st.frozensets(st.dates(), max_size=3),
)
fields = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(), inner, max_size=3),
        # Plain objects of two keys, which a decoder could mistake for tagged values.
        st.fixed_dictionaries({"_type_": st.text(max_size=3), "other": inner}),
        st.fixed_dictionaries({"_type_": st.sampled_from(["date_iso", "Role"]), "x": inner}),
    ),
    max_leaves=8,
)
states = st.dictionaries(
    st.text().filter(lambda name: name not in {"originator_id", "originator_version"}),
    fields,
    max_size=6,
)


def decoded_twice(transcoder: FastJSONTranscoder, state: dict[str, Any]) -> list[Any]:
    stored = STANDARD.encode(state)
    decoder = EventDecoder(transcoder)
    # Twice: values the decoder keeps from the first event must not change the second.
    return [decoder.decode(ORIGINATOR.hex, 3, TOPIC, stored) for _ in range(2)]


@given(states)
def test_any_stored_state_decodes_as_the_transcoder_decodes_it(state: dict[str, Any]) -> None:
    expected = STANDARD.decode(STANDARD.encode(state))
    expected.update(originator_id=ORIGINATOR, originator_version=3)
    for event in decoded_twice(FAST, state):
        assert type(event) is Happened
        assert vars(event) == expected
        assert_same_types(vars(event), expected)


def assert_same_types(found: Any, expected: Any) -> None:
    assert type(found) is type(expected)
    if isinstance(expected, dict):
        for key, value in expected.items():
            assert_same_types(found[key], value)
    elif isinstance(expected, list | tuple):
        for member, value in zip(found, expected, strict=True):
            assert_same_types(member, value)
    elif isinstance(expected, set | frozenset):
        assert sorted(map(type, found), key=str) == sorted(map(type, expected), key=str)


def test_a_decoded_set_is_a_new_set_each_time() -> None:
    """Sets are mutable: a decoded one is never shared with another event's."""
    first, second = decoded_twice(FAST, {"roles": {Role.COACH}})
    assert first.roles == second.roles == {Role.COACH}
    assert first.roles is not second.roles


def test_the_same_dates_and_times_decode_equal() -> None:
    state = {"on": date(2024, 1, 2), "at": datetime(2024, 1, 2, 3, tzinfo=UTC)}
    first, second = decoded_twice(FAST, state)
    assert vars(first) == vars(second)

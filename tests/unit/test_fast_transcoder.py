"""The orjson-written transcoder stores exactly the bytes eventsourcing's JSON transcoder
would: the hash chain and every stored log depend on it."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload import Caseload
from caseload.adapters.fast_transcoder import FastJSONTranscoder
from caseload.adapters.transcodings import ENUMS, register_transcodings
from caseload.domain.personal import Sealed
from caseload.programmes.resource_pathway.domain.values import (
    Placement,
    PlacementKind,
    Role,
    Scores,
)
from caseload.programmes.resource_pathway.simulation import SAMPLE, simulate
from tests.conftest import KEY, fixed_clock


def _registered(transcoder: JSONTranscoder) -> JSONTranscoder:
    transcoder.register(UUIDAsHex())
    transcoder.register(DecimalAsStr())
    transcoder.register(DatetimeAsISO())
    register_transcodings(transcoder)
    return transcoder


STANDARD = _registered(JSONTranscoder())
FAST = _registered(FastJSONTranscoder())


class Label(str):
    """A subclass of str, which the standard library writes as plain text."""


class Level(enum.IntEnum):
    """An int enum, which the standard library writes as its number."""

    LOW = 1


def outcome(transcoder: JSONTranscoder, value: Any) -> bytes | str:
    """The encoded bytes, or the name of the exception the encoding raised."""
    try:
        return transcoder.encode(value)
    except Exception as error:
        return type(error).__name__


DOMAIN_VALUES = [
    st.sampled_from([member for enum_class in ENUMS for member in enum_class]),
    st.frozensets(st.sampled_from(Role)),
    st.sets(st.sampled_from(Role)),
    st.builds(
        Placement, kind=st.just(PlacementKind.ORDINARY_JOB), hours_per_week=st.integers(1, 37)
    ),
    st.builds(
        Scores,
        st.dictionaries(st.sampled_from(["job_confidence", "cooperation"]), st.integers(1, 5)),
    ),
    st.builds(Sealed, v=st.integers(1, 2), nonce=st.text(), ct=st.text()),
]
"""Strategies for the domain's own stored values (enums, role sets, placements, scores,
sealed data), shared with the tests of the log reader's decoder."""


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.text(st.characters(max_codepoint=0x7F)),
    st.text(st.characters(codec=None, categories=["Cc", "Cs", "Zl", "Zp", "Co"])),
    st.uuids(),
    st.dates(),
    st.datetimes(timezones=st.just(UTC)),
    st.decimals(allow_nan=False),
    *DOMAIN_VALUES,
    st.text().map(Label),
    st.just(Level.LOW),
    st.just(object()),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text(), inner, max_size=4),
        st.dictionaries(st.one_of(st.text(), st.integers(), st.none()), inner, max_size=3),
        st.dictionaries(st.text().map(Label), inner, max_size=2),
    ),
    max_leaves=12,
)


@settings(max_examples=400)
@given(values)
def test_any_value_encodes_to_the_standard_bytes_or_fails_alike(value: Any) -> None:
    assert outcome(FAST, value) == outcome(STANDARD, value)


@given(st.dictionaries(st.text(), st.text(), min_size=1))
def test_plain_text_takes_the_fast_writer_and_still_matches(value: dict[str, str]) -> None:
    """Not only the fallback is compared: text that is valid UTF-8 goes through orjson."""
    assert FAST._plain(value) == value
    assert outcome(FAST, value) == outcome(STANDARD, value)


def test_every_event_of_a_simulation_encodes_to_the_standard_bytes() -> None:
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        simulate(app, SAMPLE)
        mapper = app.wiring.events.mapper
        assert isinstance(mapper.transcoder, FastJSONTranscoder)
        notifications = app.wiring.events.recorder.select_notifications(start=1, limit=10**6)
        assert len(notifications) > 500
        for notification in notifications:
            event = mapper.to_domain_event(notification)
            state = dict(vars(event))
            state.pop("originator_id")
            state.pop("originator_version")
            version = getattr(type(event), "class_version", 1)
            if version > 1:
                state["class_version"] = version
            assert FAST.encode(state) == STANDARD.encode(state) == notification.state


def test_a_decimal_inside_a_value_and_a_date_before_1000_match() -> None:
    value = {"fte": Decimal("0.80"), "on": date(999, 1, 2), "id": UUID(int=7), "at": datetime.min}
    assert FAST.encode(value) == STANDARD.encode(value)

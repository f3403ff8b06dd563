"""A map of entities keeps each chunk's members (key text to value) from one encoding to the
next, bringing up to date only the keys noted in between: whatever happened in between, its
encoding is the one a map made afresh from the same entries gives."""

from __future__ import annotations

import zlib
from contextlib import nullcontext
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from caseload.projections.entities import EntityMap, chunk_text, evicting
from tests.conftest import examples
from tests.unit._entity_maps import SmallChunks
from tests.unit.test_evicted_chunks import RESTORE, _key, _retired, _value, run

few_keys = st.sampled_from(["0", "01", "1f", "a", "a0"])
"""Few keys, so that one key meets several changes between two encodings."""

operations = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(["set", "append", "get-append", "setdefault-append", "walk-append"]),
            few_keys,
            st.integers(0, 9),
        ),
        st.tuples(st.sampled_from(["delete", "pop", "peek", "encode"]), few_keys, st.just(0)),
    ),
    max_size=30,
)


def _encoded(chunks: dict[str, Any]) -> dict[str, tuple[bytes, bytes, bytes]]:
    """By chunk key: the chunk's text, its compressed form inflated, and its digest."""
    return {
        chunk: (chunk_text(segment), zlib.decompress(segment[1]), segment[2])
        for chunk, segment in chunks.items()
    }


@settings(max_examples=examples(200))  # fast examples: more of them find rarer sequences
@given(
    operations=operations,
    small=st.booleans(),
    retiring=st.booleans(),
    rebuild=st.booleans(),
)
def test_an_encoding_after_any_changes_equals_an_encoding_from_scratch(
    operations: list[tuple[str, str, int]], small: bool, retiring: bool, rebuild: bool
) -> None:
    """After any run of changes between encodings (an entry set, replaced, changed in
    place, removed and set again, retired, reopened, looked up unchanged, several of these
    to one key), encoding the map gives, chunk by chunk, the text, compressed form and
    digest of a map made afresh from the same entries and encoded once; in a rebuild
    (retired entries leaving memory) or not."""
    tracked: EntityMap[str, list[int]] = SmallChunks() if small else EntityMap()
    plain: dict[str, list[int]] = {}
    retired = _retired if retiring else None
    for operation in [*operations, ("encode", "", 0)]:
        if operation[0] != "encode":
            run(tracked, operation)
            run(plain, operation)
            continue
        with evicting() if rebuild else nullcontext():
            found = tracked.chunks(_key, _value, 1, retired, RESTORE)
        fresh = SmallChunks() if small else EntityMap()
        fresh.update({key: list(items) for key, items in plain.items()})
        assert _encoded(found) == _encoded(fresh.chunks(_key, _value, 1, retired))
    assert tracked == plain

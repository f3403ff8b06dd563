"""Maps of entities re-encode only the chunks that changed, and always encode as a plain dict."""

from __future__ import annotations

import threading
import time
import zlib
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseload.adapters.read_model_store import decompress
from caseload.projections.base import (
    Entries,
    canonical_bytes,
    canonical_chunks,
    canonical_pieces,
    digest_of,
    reference_bytes,
)
from caseload.projections.entities import EntityMap, chunk_text, folding
from caseload.projections.stored_entries import StoredEntries, entities
from tests.unit._entity_maps import SmallChunks, keys


def _key(item: str) -> str:
    return item


def _value(items: list[int]) -> Any:
    return {"n": len(items), "items": list(items)}


def encoded(entries: dict[str, list[int]]) -> tuple[bytes, bytes]:
    """The canonical text of a map's entries, and the text its stored form inflates to."""
    data = {"map": Entries(entries, _key, _value), "other": 1}
    pieces = list(canonical_pieces(data))
    # A piece without its compressed form has its text (a piece kept compressed may not).
    packed = b"".join(
        zlib.compress(text or b"", 1) if kept is None else kept for text, kept in pieces
    )
    return b"".join(canonical_chunks(data)), decompress(packed)


operations = st.lists(
    st.one_of(
        st.tuples(st.just("set"), keys, st.integers(0, 9)),
        st.tuples(st.just("append"), keys, st.integers(0, 9)),
        st.tuples(st.just("get-append"), keys, st.integers(0, 9)),
        st.tuples(st.just("delete"), keys, st.just(0)),
        st.tuples(st.just("pop"), keys, st.just(0)),
        st.tuples(st.just("setdefault-append"), keys, st.integers(0, 9)),
        st.tuples(st.just("walk-append"), keys, st.integers(0, 9)),
        st.tuples(st.just("update"), keys, st.integers(0, 9)),
    ),
    max_size=40,
)


def run(entries: dict[str, list[int]], operation: tuple[str, str, int]) -> None:
    """One change of the kinds folds make, the same on any dict."""
    kind, key, number = operation
    if kind == "set":
        entries[key] = [number]
    elif kind == "append" and key in entries:
        entries[key].append(number)
    elif kind == "get-append":
        found = entries.get(key)
        if found is not None:
            found.append(number)
    elif kind == "delete" and key in entries:
        del entries[key]
    elif kind == "pop":
        entries.pop(key, None)
    elif kind == "setdefault-append":
        entries.setdefault(key, []).append(number)
    elif kind == "walk-append":
        with folding():
            for items in entries.values():
                items.append(number)
                break
    elif kind == "update":
        entries.update({key: [number, number]})


@given(operations=operations)
def test_an_entity_map_encodes_like_a_plain_dict_after_any_changes(
    operations: list[tuple[str, str, int]],
) -> None:
    """After each of any run of the changes folds make, a map of entities gives the
    canonical bytes of a plain dict with the same entries, and its stored form (kept
    compressed chunks between fresh ones) inflates to them."""
    tracked = SmallChunks()
    plain: dict[str, list[int]] = {}
    for operation in operations:
        run(tracked, operation)
        run(plain, operation)
        text, inflated = encoded(tracked)
        expected = canonical_bytes({"map": {k: _value(v) for k, v in plain.items()}, "other": 1})
        assert text == expected
        assert inflated == expected


def test_only_chunks_with_noted_entries_are_encoded_again() -> None:
    """Encoding a large map again after one entry changed calls the value encoder for the
    entries of that entry's chunk only."""
    calls: list[str] = []

    def value(items: list[int]) -> Any:
        calls.append("x")
        return list(items)

    tracked: EntityMap[str, list[int]] = EntityMap({f"{n:05x}": [n] for n in range(20_000)})
    tracked.chunks(_key, value, 1)
    assert len(calls) == 20_000
    calls.clear()
    tracked["00abc"].append(1)
    chunks = tracked.chunks(_key, value, 1)
    assert 0 < len(calls) <= 20_000 / len(chunks) * 4
    assert b'"00abc":[2748,1]' in b"".join(chunk_text(chunk) for chunk in chunks.values())


def test_a_query_walking_the_map_leaves_the_encoding_cached() -> None:
    """Outside a fold, walking the entries (as a report does) notes nothing."""
    calls: list[int] = []

    def value(items: list[int]) -> Any:
        calls.append(1)
        return list(items)

    tracked: EntityMap[str, list[int]] = EntityMap({f"{n:04x}": [n] for n in range(1_000)})
    tracked.chunks(_key, value, 1)
    calls.clear()
    assert sum(len(items) for items in tracked.values()) == 1_000
    tracked.chunks(_key, value, 1)
    assert calls == []


def test_a_stored_state_cut_inside_a_stream_is_refused() -> None:
    """A stored state of several zlib streams inflates to their texts one after another;
    one that ends inside a stream is an error, not a shorter state."""
    packed = zlib.compress(b'{"a":', 1) + zlib.compress(b"1}", 1)
    assert decompress(packed) == b'{"a":1}'
    with pytest.raises(zlib.error):
        decompress(packed[:-3])


@given(
    steps=st.lists(
        st.tuples(st.booleans(), st.integers(0, 700), st.integers(1, 400)), min_size=1, max_size=6
    )
)
def test_a_maps_digest_depends_on_its_entries_alone(steps: list[tuple[bool, int, int]]) -> None:
    """Grown past a chunk size and shrunk below it again, in any order, a map of entities
    has the digest of a plain dict with the same entries: its chunks follow its size, not
    its history."""
    tracked: EntityMap[str, list[int]] = EntityMap()
    plain: dict[str, list[int]] = {}
    for add, start, count in steps:
        for number in range(start, start + count):
            key = f"{number * 7919 % 4096:03x}-{number}"
            if add:
                tracked[key] = plain[key] = [number]
            else:
                tracked.pop(key, None)
                plain.pop(key, None)
        assert digest_of({"map": Entries(tracked, _key, _value), "other": 1}) == digest_of(
            {"map": Entries(plain, _key, _value), "other": 1}
        )


def _decoded(value: Any) -> list[int]:
    return list(value["items"])


def stored_form(tracked: EntityMap[str, list[int]]) -> StoredEntries:
    """A map as a state stored in chunks holds it: by chunk key, the compressed text and
    digest."""
    chunks = tracked.chunks(_key, _value, 1)
    return StoredEntries(
        {prefix: (packed, digest) for prefix, (_, packed, digest) in chunks.items()}
    )


@given(
    start=st.dictionaries(keys, st.lists(st.integers(0, 9), max_size=3)),
    small=st.booleans(),
    operations=operations,
)
def test_a_map_read_back_from_its_chunks_behaves_as_the_map_it_was(
    start: dict[str, list[int]], small: bool, operations: list[tuple[str, str, int]]
) -> None:
    """A map decoded from its stored chunks on first use (`entities` over `StoredEntries`)
    holds the entries that were stored and, after any run of changes, encodes like a plain
    dict with the same entries: whether its chunks were cut as this map cuts them (and are
    kept as its encoding) or otherwise (and are encoded anew)."""
    # In key order, the order a map read back walks its entries in (the order matters to
    # a walk that stops at the first entry).
    original: EntityMap[str, list[int]] = SmallChunks() if small else EntityMap()
    for key in sorted(start):
        original[key] = list(start[key])
    restored = entities(stored_form(original), _key, _decoded)
    plain = {key: list(start[key]) for key in sorted(start)}
    assert restored == plain
    for operation in operations:
        run(restored, operation)
        run(plain, operation)
        text, inflated = encoded(restored)
        expected = canonical_bytes({"map": {k: _value(v) for k, v in plain.items()}, "other": 1})
        assert text == expected
        assert inflated == expected


@pytest.mark.parametrize("form", ["chunks", "whole"])
def test_a_map_read_back_decodes_nothing_until_used(form: str) -> None:
    """Decoding a state gives its maps of entities still in their stored form (chunks, or
    the JSON object of a whole state such as a checkpoint): no entry is decoded until
    something looks at the map, and then every entry once."""
    original: EntityMap[str, list[int]] = EntityMap({f"{n:04x}": [n] for n in range(1_000)})
    calls: list[int] = []

    def value(data: Any) -> list[int]:
        calls.append(1)
        return _decoded(data)

    stored = (
        stored_form(original)
        if form == "chunks"
        else {key: _value(items) for key, items in original.items()}
    )
    restored = entities(stored, _key, value)
    assert calls == []
    assert len(restored) == 1_000
    assert len(calls) == 1_000
    assert restored["03e7"] == [999]
    assert len(calls) == 1_000


def test_a_map_read_back_and_changed_in_one_entry_encodes_one_chunk_again() -> None:
    """The chunks a map is read from are its encoding: after one entry changes, the next
    encoding calls the value encoder for that entry's chunk only."""
    original: EntityMap[str, list[int]] = EntityMap({f"{n:05x}": [n] for n in range(20_000)})
    calls: list[int] = []

    def value(items: list[int]) -> Any:
        calls.append(1)
        return _value(items)

    restored = entities(stored_form(original), _key, _decoded)
    restored["00abc"].append(1)
    chunks = restored.chunks(_key, value, 1)
    assert 0 < len(calls) <= 20_000 / len(chunks) * 4
    texts = b"".join(chunk_text(chunk) for chunk in chunks.values())
    assert b'"00abc":{"items":[2748,1],"n":2}' in texts


def test_a_map_read_back_is_whole_to_a_thread_that_uses_it_while_another_decodes() -> None:
    """A thread that uses the map while another is decoding it waits for the decoding and
    sees every entry, never part of them."""
    original: EntityMap[str, list[int]] = EntityMap({f"{n:04x}": [n] for n in range(2_000)})
    halfway = threading.Event()
    decoded = 0

    def value(data: Any) -> list[int]:
        nonlocal decoded
        decoded += 1
        if decoded == 1_000:
            halfway.set()
            time.sleep(0.05)  # the other thread asks now, mid-decoding
        return _decoded(data)

    restored = entities(stored_form(original), _key, value)
    seen: list[int] = []

    def other() -> None:
        halfway.wait(timeout=10)
        seen.append(len(restored))

    thread = threading.Thread(target=other)
    thread.start()
    assert len(restored) == 2_000
    thread.join(timeout=10)
    assert seen == [2_000]
    assert decoded == 2_000


def test_a_map_whose_decoding_fails_stays_unread_and_fails_again() -> None:
    """An entry that cannot be decoded makes every use of the map raise, not just the
    first: the map is never left holding the entries decoded before it."""
    original: EntityMap[str, list[int]] = EntityMap({f"{n:04x}": [n] for n in range(600)})

    def value(data: Any) -> list[int]:
        if data["items"] == [500]:
            raise ValueError("entry 500 is damaged")
        return _decoded(data)

    restored = entities(stored_form(original), _key, value)
    with pytest.raises(ValueError, match="entry 500"):
        len(restored)
    with pytest.raises(ValueError, match="entry 500"):
        restored.get("0001")


# ------------------------------------------------------------- retired entries' own chunks


def _retired(items: list[int]) -> str | None:
    """A policy for tests: an entry whose last item is 5 or more is retired into the chunk
    named after that item; appending to it may move it to another chunk or back."""
    if items and items[-1] >= 5:
        return f"~{items[-1]}"
    return None


def _plain_chunks(entries: dict[str, list[int]]) -> dict[str, Any]:
    chunks = Entries(entries, _key, _value, _retired).chunk_map()
    return {chunk: (segment[0], segment[2]) for chunk, segment in chunks.items()}


def _tracked_chunks(entries: EntityMap[str, list[int]]) -> dict[str, Any]:
    chunks = entries.chunks(_key, _value, 1, _retired)
    return {chunk: (chunk_text(segment), segment[2]) for chunk, segment in chunks.items()}


def _retiring_encoded(entries: dict[str, list[int]]) -> tuple[bytes, bytes, str]:
    """The canonical text of a map under `_retired`, the text its stored form inflates
    to, and the state's digest."""
    data = {"map": Entries(entries, _key, _value, _retired), "other": 1}
    pieces = list(canonical_pieces(data))
    packed = b"".join(
        zlib.compress(text or b"", 1) if kept is None else kept for text, kept in pieces
    )
    return b"".join(canonical_chunks(data)), decompress(packed), digest_of(data)


def _expected(plain: dict[str, list[int]], like: EntityMap[str, list[int]]) -> tuple[bytes, str]:
    """The reference bytes of a map with the entries of `plain`, and the digest of a map
    of `like`'s kind (its chunk size) built afresh from them."""
    fresh = type(like)(plain)
    return (
        reference_bytes({"map": Entries(dict(plain), _key, _value, _retired), "other": 1}),
        digest_of({"map": Entries(fresh, _key, _value, _retired), "other": 1}),
    )


@given(operations=operations)
def test_a_map_with_a_retirement_policy_is_cut_as_its_entries_say_after_any_changes(
    operations: list[tuple[str, str, int]],
) -> None:
    """After each of any run of changes, some retiring entries, moving them between
    retired chunks or back among the open ones, a map with a retirement policy has the
    chunks, canonical bytes (those of the reference serialiser) and digest of a plain
    dict with the same entries; its stored form inflates to the same bytes."""
    tracked = SmallChunks()
    plain: dict[str, list[int]] = {}
    for operation in operations:
        run(tracked, operation)
        run(plain, operation)
        assert _tracked_chunks(tracked) == _tracked_chunks(SmallChunks(plain))
        text, inflated, digest = _retiring_encoded(tracked)
        expected, expected_digest = _expected(plain, tracked)
        assert text == inflated == expected
        assert digest == expected_digest


@given(
    start=st.dictionaries(keys, st.lists(st.integers(0, 9), max_size=3)),
    small=st.booleans(),
    route=st.sampled_from(["chunks", "whole", "seed"]),
    operations=operations,
)
def test_a_retiring_map_read_back_by_any_route_behaves_as_the_map_it_was(
    start: dict[str, list[int]], small: bool, route: str, operations: list[tuple[str, str, int]]
) -> None:
    """A map with a retirement policy read back from its stored chunks (kept as its
    encoding), from a whole state's JSON object (a checkpoint), or decoded at once and
    seeded with its chunks, encodes after any run of changes like a plain dict with the
    same entries: the same bytes and digest on every route."""
    original: EntityMap[str, list[int]] = SmallChunks() if small else EntityMap()
    for key in sorted(start):
        original[key] = list(start[key])
    chunks = original.chunks(_key, _value, 1, _retired)
    stored = StoredEntries(
        {chunk: (packed, digest) for chunk, (_, packed, digest) in chunks.items()}
    )
    restored: EntityMap[str, list[int]]
    if route == "chunks":
        restored = entities(stored, _key, _decoded, _retired)
    elif route == "whole":
        restored = entities({k: _value(v) for k, v in start.items()}, _key, _decoded, _retired)
    else:
        restored = SmallChunks() if small else EntityMap()
        for text, data in stored.items():
            dict.__setitem__(restored, text, _decoded(data))
        restored.seed(_key, _value, stored.texts() or {}, _retired)
    assert restored == start
    # In the order the map read back walks its entries (chunk order: a walk that stops at
    # the first entry changes that one).
    plain = {key: list(items) for key, items in restored.items()}
    for operation in [*operations, ("set", "zz", 0)]:
        run(restored, operation)
        run(plain, operation)
        text, inflated, digest = _retiring_encoded(restored)
        expected, expected_digest = _expected(plain, restored)
        assert text == inflated == expected
        assert digest == expected_digest


def _closing(count: int, retired_count: int) -> EntityMap[str, list[int]]:
    """`count` entries of which the first `retired_count` (in no key order) are retired
    over ten chunks."""
    made: EntityMap[str, list[int]] = EntityMap()
    for number in range(count):
        made[f"{number * 2654435761 % 2**32:08x}"] = (
            [number % 10 + 10] if number < retired_count else [number % 5]
        )
    return made


def _by_tens(items: list[int]) -> str | None:
    return f"~{items[-1]:02d}" if items and items[-1] >= 10 else None


@given(
    entries=st.dictionaries(
        st.text("0123456789abcdef", min_size=1, max_size=4), st.lists(st.integers(0, 9), max_size=3)
    )
)
def test_a_plain_mapping_with_a_retirement_policy_is_cut_as_a_map_of_entities(
    entries: dict[str, list[int]],
) -> None:
    """A plain mapping given as `Entries` with a policy has the chunks of an `EntityMap`
    with the same entries (both are cut by one rule)."""
    assert _plain_chunks(entries) == {
        chunk: (text, digest)
        for chunk, (text, digest) in _tracked_chunks(EntityMap(entries)).items()
    }


def test_retired_entries_keep_their_chunks_while_open_ones_change() -> None:
    """With most entries retired, changing every open entry encodes the open entries'
    chunks only: the retired chunks keep their encoding (no text in this call, the value
    encoder never called for them); open entries are cut by how many are open."""
    calls: list[int] = []

    def value(items: list[int]) -> Any:
        calls.append(items[-1])
        return list(items)

    tracked = _closing(20_000, 19_000)
    first = tracked.chunks(_key, value, 1, _by_tens)
    assert len(calls) == 20_000
    retired_chunks = [chunk for chunk in first if chunk.startswith("~")]
    assert len(retired_chunks) == 10 * 16  # ten policy keys, each by the key's first digit
    assert len(first) - len(retired_chunks) == 16  # 1,000 open entries: one hex digit
    calls.clear()
    for key, items in list(dict.items(tracked)):
        if items[-1] < 10:
            tracked[key].append(1)
    again = tracked.chunks(_key, value, 1, _by_tens)
    assert len(calls) == 1_000
    assert all(again[chunk][0] is None for chunk in retired_chunks)
    assert all(again[chunk][1:] == first[chunk][1:] for chunk in retired_chunks)


def test_an_entry_that_retires_leaves_its_open_chunk_and_joins_its_month() -> None:
    """An open entry that retires is encoded in its retired chunk and no longer in the
    chunk of its key; reopened, it moves back."""
    tracked = _closing(2_000, 1_000)
    tracked.chunks(_key, _value, 1, _by_tens)
    key = next(k for k, items in dict.items(tracked) if items[-1] < 10)
    tracked[key].append(12)
    chunks = tracked.chunks(_key, _value, 1, _by_tens)
    holding = [
        chunk for chunk, segment in chunks.items() if f'"{key}"'.encode() in chunk_text(segment)
    ]
    assert holding == [f"~12{key[0]}"]
    tracked[key].append(3)
    chunks = tracked.chunks(_key, _value, 1, _by_tens)
    holding = [
        chunk for chunk, segment in chunks.items() if f'"{key}"'.encode() in chunk_text(segment)
    ]
    assert holding == [key[: len(holding[0])]]
    assert not holding[0].startswith("~")


def test_a_whole_encoding_computes_each_key_text_once() -> None:
    """Cutting a map into chunks and encoding them all asks for each entry's key text
    once, not once to cut and again to write."""
    calls: list[str] = []

    def key(item: str) -> str:
        calls.append(item)
        return item

    tracked: EntityMap[str, list[int]] = EntityMap({f"{n:04x}": [n] for n in range(3_000)})
    tracked.chunks(key, _value, 1)
    assert len(calls) == 3_000


def test_a_months_retired_entries_are_spread_by_their_keys_first_character() -> None:
    """Retired entries of one month sit in one chunk per first character of their key
    text, so changing one of them re-encodes only its sixteenth of the month."""
    from caseload.projections.entities import closed_month

    month = date(2024, 5, 20)
    items = EntityMap({f"{digit}{n:031x}": month for digit in "0a" for n in range(3)})
    chunks = items.chunks(str, date.isoformat, 1, closed_month)
    assert list(chunks) == ["~2024-050", "~2024-05a"]
    items[f"a{0:031x}"] = month
    again = items.chunks(str, date.isoformat, 1, closed_month)
    assert again["~2024-050"][0] is None  # not encoded again
    assert again["~2024-05a"][0] is not None

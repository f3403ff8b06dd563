"""A map of entities given the decoders of its entries keeps its encoded retired chunks in
their compressed form only, and answers every lookup, walk and encoding as a map that
never lets them go."""

from __future__ import annotations

import zlib
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseload.domain.errors import CheckpointChunkMissing
from caseload.projections.base import Entries, canonical_chunks, digest_of
from caseload.projections.chunked import ChunkedDict
from caseload.projections.entities import EntityMap, chunk_text, evicting, folding
from caseload.projections.evicted import Evicted
from tests.unit._entity_maps import SmallChunks, keys


def _key(item: str) -> str:
    return item


def _value(items: list[int]) -> Any:
    return {"n": len(items), "items": list(items)}


def _decoded(value: Any) -> list[int]:
    return list(value["items"])


def _retired(items: list[int]) -> str | None:
    """An entry whose last item is 5 or more is retired into the chunk named after it."""
    if items and items[-1] >= 5:
        return f"~{items[-1]}"
    return None


RESTORE = (_key, _decoded)


operations = st.lists(
    st.one_of(
        st.tuples(st.just("set"), keys, st.integers(0, 9)),
        st.tuples(st.just("append"), keys, st.integers(0, 9)),
        st.tuples(st.just("get-append"), keys, st.integers(0, 9)),
        st.tuples(st.just("peek"), keys, st.just(0)),
        st.tuples(st.just("delete"), keys, st.just(0)),
        st.tuples(st.just("pop"), keys, st.just(0)),
        st.tuples(st.just("setdefault-append"), keys, st.integers(0, 9)),
        st.tuples(st.just("walk-append"), keys, st.integers(0, 9)),
        st.tuples(st.just("update"), keys, st.integers(0, 9)),
        st.tuples(st.just("encode"), keys, st.just(0)),
        st.tuples(st.just("encode"), keys, st.just(0)),
    ),
    max_size=50,
)


def run(entries: dict[str, list[int]], operation: tuple[str, str, int]) -> Any:
    """One change or question of the kinds folds and queries make, the same on any map
    (the order of a walk does not matter: it changes every entry alike); what it saw."""
    kind, key, number = operation
    if kind == "set":
        entries[key] = [number]
    elif kind == "append" and key in entries:
        entries[key].append(number)
    elif kind == "get-append":
        found = entries.get(key)
        if found is not None:
            found.append(number)
    elif kind == "peek":
        return list(entries.peek(key) or []) if isinstance(entries, EntityMap) else None
    elif kind == "delete" and key in entries:
        del entries[key]
    elif kind == "pop":
        return entries.pop(key, None)
    elif kind == "setdefault-append":
        entries.setdefault(key, []).append(number)
    elif kind == "walk-append":
        with folding():
            for items in entries.values():
                items.append(number)
    elif kind == "update":
        entries.update({key: [number, number]})
    return (key in entries, len(entries))


def _chunks(entries: EntityMap[str, list[int]], restore: Any) -> dict[str, Any]:
    with evicting():
        found = entries.chunks(_key, _value, 1, _retired, restore)
    return {chunk: (chunk_text(segment), segment[2]) for chunk, segment in found.items()}


@given(operations=operations, small=st.booleans())
def test_a_map_that_evicts_its_retired_chunks_answers_as_one_that_never_does(
    operations: list[tuple[str, str, int]], small: bool
) -> None:
    """After each of any run of folds' changes, lookups, late facts reaching evicted
    entries, walks and encodings, a map given its entries' decoders holds the same
    entries, answers the same, and has the same chunks and digest as the same map never
    given them (which keeps every entry decoded)."""
    evicting: EntityMap[str, list[int]] = SmallChunks() if small else EntityMap()
    keeping: EntityMap[str, list[int]] = SmallChunks() if small else EntityMap()
    for operation in operations:
        if operation[0] == "encode":
            assert _chunks(evicting, RESTORE) == _chunks(keeping, None)
            assert keeping.evicted == 0
            assert dict.__len__(evicting) + evicting.evicted == len(keeping)
            continue
        assert run(evicting, operation) == run(keeping, operation)
        assert len(evicting) == len(keeping)
    assert digest_of({"map": Entries(evicting, _key, _value, _retired, restore=RESTORE)}) == (
        digest_of({"map": Entries(keeping, _key, _value, _retired)})
    )
    assert evicting == keeping
    assert sorted(evicting.items()) == sorted(keeping.items())


_many_keys = st.sampled_from([f"{number:02x}" for number in range(0, 256, 5)])
growing_and_shrinking = st.lists(
    st.one_of(
        st.tuples(st.just("set"), _many_keys, st.integers(0, 9)),
        st.tuples(st.just("set"), keys, st.integers(0, 4)),
        st.tuples(st.just("append"), _many_keys, st.integers(0, 9)),
        st.tuples(st.just("delete"), _many_keys, st.just(0)),
        st.tuples(st.just("encode"), keys, st.just(0)),
    ),
    max_size=80,
)
"""Runs that open, retire and delete entries between encodings, so that the open entries
cross a chunk size often while retired chunks are evicted."""


class _ThreeAChunk(EntityMap[str, list[int]]):
    """Chunks of about three entries: a map of a few open entries crosses a chunk size
    (3, then 48) often as entries open, retire and go."""

    chunk_entries = 3


@given(
    operations=st.one_of(operations, growing_and_shrinking),
    kind=st.sampled_from([SmallChunks, _ThreeAChunk]),
)
def test_the_chunks_after_any_run_are_those_of_a_fresh_map_of_the_same_entries(
    operations: list[tuple[str, str, int]], kind: type[EntityMap[str, list[int]]]
) -> None:
    """Whatever way a map of small chunks came to hold its entries (open entries crossing
    a chunk size now and then, retired chunks evicted meanwhile), each encoding gives the
    chunk keys, texts and digests of a fresh map holding the same entries, cut at once."""
    tracked = kind()
    plain: dict[str, list[int]] = {}  # the same entries, never walking the tracked map
    for operation in operations:
        if operation[0] != "encode":
            run(tracked, operation)
            run(plain, operation)
            continue
        fresh = kind({key: list(items) for key, items in plain.items()})
        assert _chunks(tracked, RESTORE) == _chunks(fresh, None)


def test_open_entries_crossing_a_chunk_size_leave_the_evicted_chunks_as_they_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the open entries cross a chunk size (and back), only their chunks are cut
    anew: no evicted retired chunk is decoded back, and the chunks are those of a fresh
    map of the same entries."""
    tracked = _ThreeAChunk({f"{number:02x}": [7] for number in range(0, 200, 9)})
    _chunks(tracked, RESTORE)
    assert tracked.evicted == 23  # every entry retired, encoded and out of the dict
    plain = {f"{number:02x}": [7] for number in range(0, 200, 9)}
    decoded: list[str] = []

    def note(_: object, chunk: str) -> None:
        decoded.append(chunk)

    # Four open entries (more than three: a chunk each first character), one, four again.
    steps = [(["a1", "a2", "b1", "c1"], []), ([], ["a1", "a2", "b1"]), (["d1", "d2", "e1"], [])]
    for opened, closed in steps:
        for key in opened:
            tracked[key] = plain[key] = [1]
        for key in closed:
            del tracked[key], plain[key]
        prefix = tracked._prefix
        decoded.clear()
        with monkeypatch.context() as patched:  # while the map is encoded only
            patched.setattr(ChunkedDict, "_decode_chunk", note)
            found = _chunks(tracked, RESTORE)
        assert decoded == []  # no evicted chunk decoded back to encode the map
        assert tracked._prefix != prefix  # the open entries crossed a chunk size
        fresh = _ThreeAChunk({key: list(items) for key, items in plain.items()})
        assert found == _chunks(fresh, None)


def _closing(count: int, retired_count: int) -> EntityMap[str, list[int]]:
    made: EntityMap[str, list[int]] = EntityMap()
    for number in range(count):
        made[f"{number * 2654435761 % 2**32:08x}"] = (
            [number % 4 + 5] if number < retired_count else [number % 5]
        )
    return made


def test_encoded_retired_entries_leave_the_dict_and_one_lookup_brings_back_one_chunk() -> None:
    """Encoded with its decoders, a map keeps only its open entries decoded; looking up
    a retired entry (a late fact) decodes that entry's chunk alone, which the next
    encoding writes again and lets go."""
    tracked = _closing(2_000, 1_500)
    with evicting():
        first = tracked.chunks(_key, _value, 1, _retired, RESTORE)
    assert dict.__len__(tracked) == 500
    assert tracked.evicted == 1_500
    assert len(tracked) == 2_000
    late = f"{0:08x}"  # the first entry made: retired into "~5" and its first character
    held = orjson.loads(b"{" + chunk_text(first[f"~5{late[0]}"])[1:] + b"}")
    tracked[late].append(7)
    assert tracked.evicted == 1_500 - len(held)
    with evicting():
        chunks = tracked.chunks(_key, _value, 1, _retired, RESTORE)
    assert chunks[f"~7{late[0]}"][0] is not None  # the late fact's new chunk, encoded
    assert tracked.evicted == 1_500
    assert tracked[late] == [5, 7]


def test_keys_sharing_a_hash_are_told_apart() -> None:
    """Two keys whose hashes are equal (-1 and -2 in CPython) evicted in two chunks: a
    lookup of one decodes both candidates and finds the right entry; an absent key of
    that hash is still absent."""
    assert hash(-1) == hash(-2) == hash(-2.0)
    tracked: EntityMap[int, list[int]] = EntityMap({-1: [5], -2: [6], 3: [1]})
    restore = (int, _decoded)
    with evicting():
        tracked.chunks(str, _value, 1, _retired, restore)
    assert tracked.evicted == 2
    assert tracked[-2] == [6]
    assert tracked.evicted == 0  # both candidates' chunks are back
    assert tracked[-1] == [5]
    with evicting():
        tracked.chunks(str, _value, 1, _retired, restore)
    assert tracked.get(-2.0) == [6]  # an equal key of the same hash finds it too
    assert 4 not in tracked


def test_outside_a_rebuild_encoding_lets_no_entry_go() -> None:
    """Encoding outside `evicting()` (a service's catch-up) keeps every entry decoded, and
    entries a walk brought back stay in the dict: the next write does not pay for letting
    them go again. Inside it (a rebuild), the retired entries leave."""
    tracked = _closing(2_000, 1_500)
    tracked.chunks(_key, _value, 1, _retired, RESTORE)
    assert tracked.evicted == 0
    with evicting():
        tracked.chunks(_key, _value, 1, _retired, RESTORE)
    assert tracked.evicted == 1_500
    assert dict.__len__(tracked) == 500
    assert len(list(tracked.values())) == 2_000  # a query's walk brings them back
    tracked[f"{1_999 * 2654435761 % 2**32:08x}"].append(1)  # an open entry changes
    tracked.chunks(_key, _value, 1, _retired, RESTORE)
    assert tracked.evicted == 0
    assert dict.__len__(tracked) == 2_000


def test_the_index_of_evicted_keys_finds_every_key_however_many_evictions_made_it() -> None:
    """Chunks evicted one at a time (as late facts and closures come) make runs of the
    index that merge as they grow: every evicted key is still found in its own chunk, and
    a key of a chunk brought back is no longer found."""
    index = Evicted((str, list))
    chunks = {
        f"~{number:03d}": [f"{number}-{entry}" for entry in range(number % 7 + 1)]
        for number in range(200)
    }
    for chunk, members in chunks.items():
        index.add({chunk: members})
    for chunk in list(chunks)[::3]:
        index.back(chunk)
    index.add({"~late": ["late-0", "late-1"]})
    for number, (chunk, members) in enumerate(chunks.items()):
        for key in members:
            assert index.chunks_of(key) == ([] if number % 3 == 0 else [chunk])
    assert index.chunks_of("late-1") == ["~late"]
    assert (
        index.total
        == sum(len(members) for number, members in enumerate(chunks.values()) if number % 3) + 2
    )


class _Store:
    """A store of chunks by digest, as a checkpoint leaves them, counting reads."""

    def __init__(self) -> None:
        self.bodies: dict[bytes, bytes] = {}
        self.reads = 0

    def keep(self, chunks: dict[str, Any]) -> None:
        for _, packed, digest in chunks.values():
            if packed is not None:
                self.bodies.setdefault(digest, packed)

    def load(self, digest: bytes) -> bytes:
        self.reads += 1
        if digest not in self.bodies:
            raise CheckpointChunkMissing(f"no chunk {digest.hex()}")
        return self.bodies[digest]


def _released(count: int, retired_count: int) -> tuple[EntityMap[str, list[int]], _Store]:
    """A map whose retired chunks are evicted, stored, and released."""
    tracked, store = _closing(count, retired_count), _Store()
    with evicting():
        store.keep(tracked.chunks(_key, _value, 1, _retired, RESTORE))
    assert tracked.release(store.bodies.keys(), store.load) > 0
    return tracked, store


@given(operations=operations, small=st.booleans())
def test_a_map_that_releases_its_stored_chunks_answers_as_one_that_keeps_them(
    operations: list[tuple[str, str, int]], small: bool
) -> None:
    """A map that lets go of the compressed text of each evicted chunk once the store holds
    it (after every encoding) holds, answers and encodes, chunk for chunk, as the same map
    that keeps every entry decoded; the chunks it holds only in the store come without
    their bytes, and are read back from the store when one of their entries is needed."""
    releasing: EntityMap[str, list[int]] = SmallChunks() if small else EntityMap()
    keeping: EntityMap[str, list[int]] = SmallChunks() if small else EntityMap()
    store = _Store()
    for operation in operations:
        if operation[0] == "encode":
            with evicting():
                found = releasing.chunks(_key, _value, 1, _retired, RESTORE)
            store.keep(found)
            expected = _chunks(keeping, None)
            assert {chunk: segment[2] for chunk, segment in found.items()} == {
                chunk: digest for chunk, (_, digest) in expected.items()
            }
            for chunk, (text, packed, _) in found.items():
                if text is not None or packed is not None:
                    assert chunk_text((text, packed, b"")) == expected[chunk][0]
            releasing.release(store.bodies.keys(), store.load)
            assert releasing.in_store <= len(found)
            continue
        assert run(releasing, operation) == run(keeping, operation)
        assert len(releasing) == len(keeping)
    assert b"".join(canonical_chunks({"map": Entries(releasing, _key, _value, _retired)})) == (
        b"".join(canonical_chunks({"map": Entries(keeping, _key, _value, _retired)}))
    )
    assert releasing == keeping


def test_released_chunks_come_back_from_the_store_one_lookup_one_read() -> None:
    """Released, the retired chunks come without their bytes (a write does not send them
    again) and the map keeps their digests; a late fact reads its entry's chunk alone back
    from the store, and a walk reads back the rest."""
    tracked, store = _released(2_000, 1_500)
    chunks = tracked.chunks(_key, _value, 1, _retired, RESTORE)
    held = [chunk for chunk, (text, packed, _) in chunks.items() if packed is None]
    assert held
    assert all(chunk.startswith("~") for chunk in held)
    assert all(chunks[chunk][0] is None for chunk in held)
    assert tracked.in_store == len(held)
    assert store.reads == 0
    late = f"{0:08x}"
    assert tracked[late] == [5]
    assert store.reads == 1
    assert len(list(tracked.values())) == 2_000
    assert store.reads == len(held)
    assert tracked == _closing(2_000, 1_500)


def test_a_released_chunk_the_store_lost_or_garbled_is_an_error_not_wrong_data() -> None:
    """A map that needs back a chunk the store no longer holds raises the store's
    `CheckpointChunkMissing`; one the store answers with other bytes is refused with a
    `CheckpointChunkMissing` that names the digest. Nothing is decoded either way."""
    tracked, store = _released(2_000, 1_500)
    late = f"{0:08x}"
    store.bodies.clear()
    with pytest.raises(CheckpointChunkMissing):
        tracked.get(late)
    tracked, store = _released(2_000, 1_500)
    store.bodies = dict.fromkeys(store.bodies, zlib.compress(b',"x":1'))
    with pytest.raises(CheckpointChunkMissing) as refused:
        tracked.get(late)
    assert "is not the text of that digest" in str(refused.value)
    assert tracked.evicted == 1_500
    assert dict.__len__(tracked) == 500

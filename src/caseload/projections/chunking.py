"""How a map of entities is cut into chunks: open entries by the first characters of their
key text, entries that no longer change (retired: a closed trajectory, say) by the chunk
their read model's policy names. The one rule every route to a map's chunks follows, so
that the chunks, and a digest made of theirs, are a function of the entries alone."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from datetime import date
from typing import Any

__all__ = [
    "CHUNK_ENTRIES",
    "RETIRED_KEY_CHARACTERS",
    "Retired",
    "closed_month",
    "cut",
    "prefix_length",
    "recut_open",
    "retired_chunk",
]


CHUNK_ENTRIES = 256
"""Entries whose key texts share their first characters form a chunk; as many first
characters as keep a chunk of hex ids (whose first characters spread evenly) at about this
many entries."""


Retired = Callable[[Any], "str | None"]
"""A retirement policy: the chunk key of an entry that no longer changes, from the entry's
value (a key that no key text starts with, such as `"~2024-05"`, so that it sorts after
the chunks of open entries), or None for an entry still open."""


RETIRED_KEY_CHARACTERS = 1
"""A retired entry's chunk is its policy's key followed by this many first characters of
the entry's key text (`"~2024-05a"`): a month's closures are spread over 16 chunks of hex
ids, so a late fact, or a closing, re-encodes a sixteenth of the month, not all of it."""


def retired_chunk(retired: Retired | None, entry: Any, text: str) -> str | None:
    """The chunk of an entry whose key text is `text` under the policy `retired`, if the
    entry is retired (None while it is open, or without a policy)."""
    if retired is None:
        return None
    place = retired(entry)
    return None if place is None else place + text[:RETIRED_KEY_CHARACTERS]


def closed_month(closed_on: date | None) -> str | None:
    """The retirement policy of a closed entity (`Retired`, from its closing date): the
    month it closed, `"~2024-05"`; None while it is open. A month's chunk stops changing
    once the month is over and no late fact reaches its entities."""
    if closed_on is None:
        return None
    return f"~{closed_on.year:04d}-{closed_on.month:02d}"


def cut(
    entries: Iterable[tuple[str, Any, Any]], retired: Retired | None, per_chunk: int
) -> tuple[int, dict[Any, str], dict[str, dict[str, Any]]]:
    """How a map of `entries` (key text, key, value) is cut into chunks: the number of
    first characters of an open entry's key text that names its chunk (`prefix_length` of
    the open entries), the chunk of each retired entry by key, and by chunk key each
    chunk's entries (key text to value). The one rule every route to a map's chunks
    follows."""
    runs: dict[str, dict[str, Any]] = {}
    places: dict[Any, str] = {}
    if retired is None:
        opens = [(text, entry) for text, _, entry in entries]
    else:
        opens = []
        for text, item, entry in entries:
            place = retired_chunk(retired, entry, text)
            if place is None:
                opens.append((text, entry))
            else:
                places[item] = place
                runs.setdefault(place, {})[text] = entry
    prefix = prefix_length(len(opens), per_chunk)
    for text, entry in opens:
        runs.setdefault(text[:prefix], {})[text] = entry
    return prefix, places, runs


def recut_open(
    runs: dict[str, dict[str, Any]], retired: Container[str], prefix: int
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """Cut the open entries of a map's chunks (`runs`: by chunk key, key text to value)
    anew by their first `prefix` characters, in place, as `cut` would cut them: a retired
    chunk (one of `retired`) is named by its policy, whatever the prefix, and stays as it
    is. Returns the open chunk keys taken out and the new open chunks put in."""
    left = [chunk for chunk in runs if chunk not in retired]
    fresh: dict[str, dict[str, Any]] = {}
    for chunk in left:
        for text, entry in runs.pop(chunk).items():
            run = fresh.get(text[:prefix])
            if run is None:
                run = fresh[text[:prefix]] = {}
            run[text] = entry
    runs.update(fresh)
    return left, fresh


def prefix_length(entries: int, per_chunk: int = CHUNK_ENTRIES) -> int:
    """How many first characters of the key text name the chunk of a map of `entries`
    entries: the fewest that keep 16**n chunks at `per_chunk` entries or fewer each."""
    length = 0
    while entries > per_chunk * 16**length:
        length += 1
    return length

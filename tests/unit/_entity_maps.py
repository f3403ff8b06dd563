"""What the tests of entity maps share: a map cut into many small chunks, and the keys
their generated operations use (hex-like texts of several lengths, so that chunks of
one, two and three first characters all occur)."""

from __future__ import annotations

from hypothesis import strategies as st

from caseload.projections.entities import EntityMap


class SmallChunks(EntityMap[str, list[int]]):
    """Chunks of an entry or two, so that a small map has many."""

    chunk_entries = 1


keys = st.sampled_from(["0", "00", "01", "0a", "1", "1f", "a", "a0", "a01", "b", "ff", "ff0"])
"""The keys of generated map operations."""

"""Checkpoints in SQL: each as a header row naming its chunks, each chunk's text stored once
per read model, version and digest, and the whole checkpoints of earlier releases read
beside them (see `caseload.adapters.read_model_store` for the tables)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from caseload.adapters.read_model_store import StoredState, pack_chunk_list, unpack_chunk_list
from caseload.domain.errors import CheckpointChunkMissing

__all__ = ["CHECKPOINT_TABLES", "read_checkpoint", "write_checkpoints"]

CHECKPOINT_TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}checkpoint_heads (name TEXT NOT NULL,"
    " version INTEGER NOT NULL, position BIGINT NOT NULL, header {blob} NOT NULL,"
    " digest TEXT NOT NULL, chunks {blob} NOT NULL, PRIMARY KEY (name, version, position))",
    "CREATE TABLE IF NOT EXISTS {p}checkpoint_chunks (name TEXT NOT NULL,"
    " version INTEGER NOT NULL, digest {blob} NOT NULL, body {blob} NOT NULL,"
    " PRIMARY KEY (name, version, digest))",
)
"""The tables of checkpoints stored in chunks. Whole checkpoints (`{p}checkpoints`, of
earlier releases) are still read; new ones are written here only."""

_IN_ONE_QUERY = 500
"""Chunk digests asked for in one query (well under every database's parameter limit)."""

Query = Callable[[str, Sequence[Any]], list[Any]]
"""Runs one statement (`{p}` for the table prefix, `?` for parameters) and returns its rows."""


def write_checkpoints(
    cursor: Any, sql: Callable[[str], str], checkpoints: Sequence[tuple[str, StoredState]]
) -> None:
    """Write checkpoints in the transaction of `cursor`: a header row each (a checkpoint
    already stored at its position is left as it is: one version's state at one position
    is the same however it was made) and the chunks each one sends (`rewrite`, or all),
    those the store holds already being left as they are."""
    if not checkpoints:
        return
    cursor.executemany(
        sql(
            "INSERT INTO {p}checkpoint_heads (name, version, position, header, digest, chunks)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name, version, position) DO NOTHING"
        ),
        [
            (name, c.version, c.position, c.state, c.digest, pack_chunk_list(c.chunks))
            for name, c in checkpoints
        ],
    )
    bodies: dict[tuple[str, int, bytes], bytes] = {}
    for name, c in checkpoints:
        for key in c.chunks if c.rewrite is None else c.rewrite:
            bodies.setdefault((name, c.version, c.chunks[key][1]), c.body(key))
    if bodies:
        cursor.executemany(
            sql(
                "INSERT INTO {p}checkpoint_chunks (name, version, digest, body)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (name, version, digest) DO NOTHING"
            ),
            [(*key, body) for key, body in bodies.items()],
        )


def read_checkpoint(
    query: Query, name: str, version: int, at_most: int, *, chunked: bool = True
) -> StoredState | None:
    """The latest checkpoint of a read model's version at or before a log position, in
    chunks, or whole where an earlier release wrote it so (`chunked`: whether the store
    has the tables of checkpoints in chunks)."""
    whole = query(
        "SELECT version, position, state, digest FROM {p}checkpoints"
        " WHERE name = ? AND version = ? AND position <= ? ORDER BY position DESC LIMIT 1",
        (name, version, at_most),
    )
    heads = (
        query(
            "SELECT version, position, header, digest, chunks FROM {p}checkpoint_heads"
            " WHERE name = ? AND version = ? AND position <= ? ORDER BY position DESC LIMIT 1",
            (name, version, at_most),
        )
        if chunked
        else []
    )
    if heads and (not whole or int(heads[0][1]) >= int(whole[0][1])):
        version_, position, header, digest, packed = heads[0]
        listed = unpack_chunk_list(bytes(packed))
        return StoredState(
            int(version_),
            int(position),
            bytes(header),
            digest,
            _chunks(query, name, version, int(position), listed),
        )
    if not whole:
        return None
    version_, position, state, digest = whole[0]
    return StoredState(int(version_), int(position), bytes(state), digest)


def _chunks(
    query: Query, name: str, version: int, position: int, listed: dict[str, bytes]
) -> dict[str, tuple[bytes, bytes]]:
    """The compressed texts of a checkpoint's chunks, by chunk key."""
    wanted = sorted(set(listed.values()))
    bodies: dict[bytes, bytes] = {}
    for start in range(0, len(wanted), _IN_ONE_QUERY):
        part = wanted[start : start + _IN_ONE_QUERY]
        marks = ", ".join("?" * len(part))
        for digest, body in query(
            "SELECT digest, body FROM {p}checkpoint_chunks WHERE name = ? AND version = ?"
            f" AND digest IN ({marks})",
            (name, version, *part),
        ):
            bodies[bytes(digest)] = bytes(body)
    missing = [key for key, digest in listed.items() if digest not in bodies]
    if missing:
        raise CheckpointChunkMissing(
            f"the checkpoint of read model {name!r} (version {version}) at log position "
            f"{position} names {len(missing)} chunk{'s' if len(missing) > 1 else ''} the "
            f"store does not hold, first {missing[0]!r}"
        )
    return {key: (bodies[digest], digest) for key, digest in listed.items()}

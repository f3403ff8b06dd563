"""The projection runner: keeps read models up to date and rebuilds them.

Read models are folded in memory and persisted with their log position in one transaction
(compare-and-set on the position, so two workers never double-count: the loser reloads and
goes on from the winner's state). The in-memory state may run ahead of the stored one; it
is only a cache of the log, so a crash loses nothing: the next run resumes from the stored
position. Along the way the runner keeps the log's time indexes and checkpoints, which let
`state_as_of` see the log as known at a moment, or the world as true on a day, with a short
replay.
"""

from __future__ import annotations

from typing import Any

from caseload.adapters.read_model_store import StoredVersion
from caseload.domain.errors import ReadModelVersionInUse, UnknownReadModelVersion
from caseload.projections.as_of_queries import AsOfQueries
from caseload.projections.catching_up import REBUILDING, serialised
from caseload.projections.rebuilding import Rebuilding
from caseload.projections.settings import Progress, ProjectionSettings, RebuildResult
from caseload.projections.time_index import INDEX

__all__ = ["Progress", "ProjectionSettings", "Projections", "RebuildResult"]


class Projections(Rebuilding, AsOfQueries):
    """The read models of one store, kept beside its events.

    Built from `catching_up.CatchingUp` (the states in memory, caught up and written),
    `rebuilding.Rebuilding` (`rebuild`) and `as_of_queries.AsOfQueries` (`state_as_of`,
    `states_as_of`, `known_position`, `history`)."""

    @serialised
    def state(self, name: str) -> Any:
        """The current state of a read model (caught up with the log first)."""
        self.catch_up()
        assert self._live is not None
        return self._live[name].state

    @serialised
    def position(self, name: str | None = None) -> int:
        """The stored log position of a read model (the lowest of all without a name)."""
        stored = self._store.load([name] if name else list(self._models), self._versions())
        if name is not None:
            return stored[name].position if name in stored else 0
        return min((stored[n].position if n in stored else 0) for n in self._models)

    @serialised
    def digests(self) -> dict[str, str]:
        """The digest of every read model's current state."""
        return self._digests(list(self._models))

    # --------------------------------------------------------------- versions

    @serialised
    def stored_versions(self) -> list[StoredVersion]:
        """Every read-model state the store holds, by name and version (a new version
        built beside the one being served shows as a second row). The store's own records
        beside them (the time index, a rebuild's marker, the chain anchor of
        `caseload.audit.anchor`: names with a `#`, which no read model has) are left out."""
        return [stored for stored in self._store.stored_versions() if not _record(stored.name)]

    @serialised
    def drop_version(self, name: str, version: int) -> StoredVersion:
        """Delete one stored version of a read model, its state and checkpoints: the old
        version, once every process serves the new one. The version this library serves is
        refused (`ReadModelVersionInUse`: rebuild it instead), as is a version the store
        does not hold (`UnknownReadModelVersion`), and so is a record the store keeps
        beside the read models (a name with a `#`, or the time index's)."""
        if _record(name):
            raise UnknownReadModelVersion(
                f"{name!r} is no read model but a record the store keeps beside them "
                "(the time index, a rebuild's marker or the chain anchor); it is not dropped"
            )
        model = self._models.get(name)
        if model is not None and model.version == version:
            raise ReadModelVersionInUse(
                f"version {version} of read model {name!r} is the one this library serves; "
                "only another version can be dropped (`caseload rebuild` rebuilds this one)"
            )
        dropped = self._store.drop_version(name, version)
        self._store.delete([name + REBUILDING], {name + REBUILDING: version})
        return dropped


def _record(name: str) -> bool:
    """Whether a stored name is one of the store's own records kept beside the read models
    (the time index, a rebuild's marker, the chain anchor), not a read model: no read
    model's name has a `#`."""
    return name == INDEX or "#" in name

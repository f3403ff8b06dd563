"""What the projection runner is told (how often it reads, writes and checkpoints) and
what it reports (a rebuild's progress and result)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from caseload.domain.errors import InvalidValue

__all__ = ["Progress", "ProjectionSettings", "RebuildResult"]


def _at_least(least: int) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """An attrs validator: a setting is a number (not a bool) no smaller than `least`,
    or the settings are refused with the setting's name and value."""

    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < least:
            raise InvalidValue(
                f"projection setting {attribute.name} must be a number of at least {least};"
                f" got {value!r}"
            )

    return check


@attrs.frozen
class ProjectionSettings:
    """How the runner reads, persists and checkpoints.

    Larger `persist_every` writes states less often (a query still sees every event: the
    state in memory runs ahead of the stored one). Smaller `checkpoint_every` makes as-of
    queries replay less, at the cost of one stored state per read model per checkpoint.
    """

    batch_size: int = attrs.field(default=5_000, validator=_at_least(1))
    """Events read from the log at a time."""
    persist_every: int = attrs.field(default=1_000, validator=_at_least(1))
    """Events folded in memory before the states are written (catch_up() always writes)."""
    checkpoint_every: int = attrs.field(default=100_000, validator=_at_least(1))
    """Each read model's state is kept as a checkpoint at multiples of this many log
    positions: every multiple at first, then fewer as the log grows (see
    `checkpoints_per_doubling`)."""
    checkpoints_per_doubling: int = attrs.field(default=4, validator=_at_least(0))
    """How many checkpoints each doubling of the log gets once their spacing widens
    (`CheckpointSchedule`): checkpoints then cost the rebuild in proportion to the states,
    not to log length × states, and an as-of replay folds at most this fraction of the
    log before its cut. 0 keeps a checkpoint at every multiple of `checkpoint_every`."""
    index_every: int = attrs.field(default=256, validator=_at_least(1))
    """Every this many log positions, the time indexes get a row."""
    persist_seconds: float = attrs.field(default=5.0, validator=_at_least(0))
    """A catch-up also writes the states when the last write is this old (and the work
    since it is `persist_work_ratio` times what that write took)."""
    persist_work_ratio: float = attrs.field(default=10.0, validator=_at_least(0))
    """A write that is due by time waits until the time since the last write is at least
    this many times what that write took: writes grow with the states, and this keeps
    them to a bounded share of a long catch-up or rebuild (0: by `persist_seconds`
    alone)."""


@attrs.frozen
class Progress:
    """How far a rebuild has come."""

    done: int
    total: int
    seconds: float
    resumed_from: int = 0
    """The log position the rebuild went on from (0 when it started over)."""
    saved: int = 0
    """The log position up to which the rebuilt states are written (a rerun after a
    kill resumes from at least here)."""
    position: int = 0
    """The log position folded up to."""

    @property
    def rate(self) -> float:
        """Events per second so far."""
        return self.done / self.seconds if self.seconds > 0 else 0.0


@attrs.frozen
class RebuildResult:
    """What a rebuild did."""

    events: int
    seconds: float
    digests: tuple[tuple[str, str], ...]
    resumed_from: int = 0
    """The log position the rebuild went on from (0 when it started over)."""
    complete: bool = True
    """False when `stop` asked the rebuild to stop: its progress is written, and the
    next `rebuild()` goes on from `saved`; `digests` is then empty."""
    saved: int = 0
    """The log position up to which the rebuilt states are written."""

    @property
    def events_per_second(self) -> float:
        """Events folded per second."""
        return self.events / self.seconds if self.seconds > 0 else 0.0

"""Where along the log checkpoints fall: at multiples of a spacing that widens as the log
grows, so that their number grows with the logarithm of the log, not with its length.

A checkpoint encodes every state (its open entities' chunks, which change between any
two checkpoints, anew), and the states grow with the log, so checkpoints
at a fixed spacing cost the rebuild in proportion to log length × state size. Here the
spacing at position p is the largest `every` × 2^k (k ≥ 0) that fits `per_doubling` times
into p: each doubling of the log gets `per_doubling` checkpoints, and an as-of replay,
which starts at the nearest checkpoint before its cut, folds at most a `per_doubling`-th
of the log before it (or `every` positions, early on). The positions are a function of
the log position and the settings alone: a rebuild, a catch-up in pieces and a model
folded on its own rows all take their checkpoints at the same positions.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

__all__ = ["CheckpointSchedule"]


@attrs.frozen
class CheckpointSchedule:
    """The log positions at which each read model's state is kept as a checkpoint."""

    every: int
    """The least spacing, and the unit of every spacing: checkpoints fall on multiples of it."""
    per_doubling: int = 4
    """Checkpoints per doubling of the log once the spacing widens (0: never widens, a
    checkpoint at every multiple of `every`)."""

    def spacing(self, position: int) -> int:
        """The spacing of checkpoints around `position`: `every` × 2^k for the largest k
        whose spacing fits `per_doubling` times into `position` (`every` when none does)."""
        spacing = self.every
        if self.per_doubling > 0:
            while spacing * 2 * self.per_doubling <= position:
                spacing *= 2
        return spacing

    def at(self, position: int) -> bool:
        """Whether a checkpoint falls at `position`."""
        return position > 0 and position % self.spacing(position) == 0

    def after(self, position: int) -> int:
        """The first checkpoint position past `position`."""
        candidate = (position // self.every + 1) * self.every
        while True:
            # The spacing never narrows along the log, and every wider spacing is a
            # multiple of a narrower one: no checkpoint lies before the next multiple of
            # the spacing here.
            spacing = self.spacing(candidate)
            found = -(-candidate // spacing) * spacing
            if found == candidate:
                return candidate
            candidate = found

    def between(self, first: int, last: int) -> Iterator[int]:
        """The checkpoint positions from `first` to `last`, both included, in order."""
        at = self.after(first - 1)
        while at <= last:
            yield at
            at = self.after(at)

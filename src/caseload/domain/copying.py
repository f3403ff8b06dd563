"""Fast copies of aggregates, whose containers hold only immutable values."""

from __future__ import annotations

from typing import Any, Self

__all__ = ["ImmutableMembers"]


class ImmutableMembers:
    """Copies an aggregate by copying its lists, sets and dicts one level deep.

    eventsourcing hands out a deep copy of a cached aggregate on every load, so that a
    failed command cannot corrupt the cache. Our aggregates keep only immutable values
    (UUIDs, dates, enums, Decimals, frozen attrs values) inside their containers, so a copy
    of the containers is a complete, independent copy, without `copy.deepcopy` walking
    every UUID (which made each load of a programme with hundreds of brokers take ms).
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        copied = object.__new__(type(self))
        object.__setattr__(
            copied,
            "__dict__",
            {
                name: value.copy() if isinstance(value, list | set | dict) else value
                for name, value in self.__dict__.items()
            },
        )
        return copied

"""The read-only guard of command methods: a pinned session refuses them before anything."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, Protocol, TypeVar

__all__ = ["Writable", "command"]

P = ParamSpec("P")
T = TypeVar("T")


class Writable(Protocol):
    """What the guard asks of the object whose method it wraps."""

    def _writable(self) -> None:
        """Raise `ReadOnlySession` when the object is a pinned, read-only session."""


W = TypeVar("W", bound=Writable)


def command(method: Callable[Concatenate[W, P], T]) -> Callable[Concatenate[W, P], T]:
    """Mark a method as a command: a read-only session refuses it before anything else,
    even before its arguments are looked at."""

    @functools.wraps(method)
    def refusing_when_read_only(self: W, /, *args: P.args, **kwargs: P.kwargs) -> T:
        self._writable()
        return method(self, *args, **kwargs)

    return refusing_when_read_only

"""A module imported on first use: the facade's command methods name a programme's
commands through one, so that opening a store to read imports no programme's commands."""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["LazyModule"]


class LazyModule:
    """Stands for the module `name`, which is imported when an attribute is first asked
    of it (the import system's lock makes that safe from several threads)."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"

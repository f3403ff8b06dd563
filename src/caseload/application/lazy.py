"""A module imported on first use: the facade's command methods name a programme's
commands through one, so that opening a store to read imports no programme's commands."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import Any

__all__ = ["LazyModule"]


class LazyModule:
    """Stands for the module `name`, which is imported when an attribute is first asked
    of it (the import system's lock makes that safe from several threads)."""

    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        # Every command names its class through here: the module is looked up once.
        module = self._module
        if module is None:
            module = self._module = import_module(self._name)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"

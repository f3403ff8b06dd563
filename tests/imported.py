"""Which parts of the programme kinds a process imported: the import-cost tests' measure of
"loads no programme kind"."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["kind_modules"]

READING = ("read_models",)
"""The part of a kind's package that reading stored read models needs."""

STORED_VALUES = ("values", "eligibility")
"""The modules of a kind's `domain` package whose values stored states and events hold."""


def kind_modules(modules: Iterable[str]) -> set[str]:
    """The modules among `modules` that belong to a programme kind proper: everything in a
    kind's package except its read models and the value modules of its domain, that is its
    registration (`kind`), aggregates and their events, commands, handlers, rules, export,
    reports and simulation."""
    found = set()
    for name in modules:
        parts = name.split(".")
        if parts[:2] != ["caseload", "programmes"] or len(parts) < 4:
            continue  # the registry, `kind.py` of the registry, a kind's package itself
        part = parts[3]
        if part in READING:
            continue
        if part == "domain" and (len(parts) == 4 or parts[4] in STORED_VALUES):
            continue
        found.add(name)
    return found

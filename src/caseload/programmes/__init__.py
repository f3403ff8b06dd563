"""The programme kinds a store can hold, each a package of its own behind this registry.

A new kind is a package and one line in `PACKAGES`; the application, the projection
runner, `verify`, export and the command line find it here. A kind is loaded on first
use, all the way down: a command that only reads stored read models (`caseload status`)
imports the kinds' read models, and none of their aggregates, commands, rules or export.
"""

from __future__ import annotations

import functools
from importlib import import_module
from typing import TYPE_CHECKING, Any

from eventsourcing.utils import register_topic

from caseload.programmes.kind import ProgrammeKind

if TYPE_CHECKING:
    from caseload.projections.base import ReadModel

    PROGRAMMES: tuple[ProgrammeKind, ...]

__all__ = [
    "PACKAGES",
    "PROGRAMMES",
    "ProgrammeKind",
    "default_read_models",
    "event_topics",
    "programme_kinds",
]

PACKAGES: tuple[str, ...] = (
    "caseload.programmes.resource_pathway",
    "caseload.programmes.education",
)
"""Every programme kind this version knows, by its package, in a fixed order. A kind's
package holds the kind in its module `kind` (`KIND`, a `ProgrammeKind`) and its read
models in its package `read_models` (`read_models()`, the same function as the kind's)."""


@functools.cache
def programme_kinds() -> tuple[ProgrammeKind, ...]:
    """Every programme kind, in `PACKAGES`' order, imported on the first call (with the
    old topics of their moved classes registered, so stores written before a move read)."""
    kinds: tuple[ProgrammeKind, ...] = tuple(
        import_module(package + ".kind").KIND for package in PACKAGES
    )
    # Stored events keep the topic they were written under; a class that moved is found
    # under its old topic too (eventsourcing resolves nested names through the parent).
    for kind in kinds:
        for topic, moved_to in kind.moved_topics:
            register_topic(topic, moved_to)
    return kinds


def __getattr__(name: str) -> Any:
    # `PROGRAMMES` is the registry loaded: it is made on first access, not on import.
    if name == "PROGRAMMES":
        return programme_kinds()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_read_models() -> tuple[ReadModel[Any], ...]:
    """One instance of every read model of every programme kind, without loading the
    kinds themselves (their aggregates, commands, rules)."""
    return tuple(
        model
        for package in PACKAGES
        for model in import_module(package + ".read_models").read_models()
    )


def event_topics() -> dict[str, type[Any]]:
    """Every topic under which the events of every programme kind may be stored, with
    the class each names (what lets the log be read by topic in the database)."""
    return {topic: cls for kind in programme_kinds() for topic, cls in kind.event_topics().items()}

"""The programme kinds a store can hold, each a package of its own behind this registry.

A new kind is a package that defines a `ProgrammeKind` and one line in `PROGRAMMES`; the
application, the projection runner, `verify`, export and the command line find it here.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.utils import register_topic

from caseload.programmes.education import EDUCATION
from caseload.programmes.kind import ProgrammeKind
from caseload.programmes.resource_pathway import RESOURCE_PATHWAY
from caseload.projections.base import ReadModel

__all__ = ["PROGRAMMES", "ProgrammeKind", "default_read_models", "event_topics"]

PROGRAMMES: tuple[ProgrammeKind, ...] = (RESOURCE_PATHWAY, EDUCATION)
"""Every programme kind this version knows, in a fixed order."""


def default_read_models() -> tuple[ReadModel[Any], ...]:
    """One instance of every read model of every programme kind."""
    return tuple(model for kind in PROGRAMMES for model in kind.read_models())


def event_topics() -> dict[str, type[Any]]:
    """Every topic under which the events of every programme kind may be stored, with
    the class each names (what lets the log be read by topic in the database)."""
    return {topic: cls for kind in PROGRAMMES for topic, cls in kind.event_topics().items()}


def _register_moved_topics() -> None:
    # Stored events keep the topic they were written under; a class that moved is found
    # under its old topic too (eventsourcing resolves nested names through the parent).
    for kind in PROGRAMMES:
        for topic, moved_to in kind.moved_topics:
            register_topic(topic, moved_to)


_register_moved_topics()

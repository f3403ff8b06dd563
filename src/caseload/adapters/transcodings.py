"""JSON transcodings for the domain's value types, so stored events decode to themselves.

Enums, dates, sets, frozensets and the frozen attrs value classes each get a named
transcoding. Names are part of the stored format: never rename one.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs
from eventsourcing.persistence import JSONTranscoder, Transcoding

from caseload.domain.personal import ErasureReason, Sealed
from caseload.domain.policy import CaseloadPolicy, PolicyHistory
from caseload.programmes.education.domain.eligibility import EligibilityRule, EligibilityTable
from caseload.programmes.education.domain.values import (
    BaselineCount,
    BaselineCounts,
    DropOutReason,
    Financing,
    GroupSize,
    GroupSizes,
    NotRelevant,
    Scheme,
    SessionKind,
    TargetDecision,
    TargetGroup,
    TargetRow,
)
from caseload.programmes.resource_pathway.domain.values import (
    Channel,
    ClosureReason,
    EmployerActivityKind,
    IndicatorSet,
    PathwayKind,
    Placement,
    PlacementKind,
    ReviewOutcome,
    Role,
    Scores,
)

__all__ = ["AttrsAsDict", "DateAsISO", "EnumAsValue", "register_transcodings"]


class DateAsISO(Transcoding):
    """A `datetime.date` as `YYYY-MM-DD`."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


_ENUM_SORT_KEYS: dict[enum.Enum, tuple[str, str]] = {}
"""Each enum member's sort key, worked out once (str of a member is slow, and sets of
roles are in every contact)."""


def _sort_key(member: Any) -> tuple[str, str]:
    if isinstance(member, enum.Enum):
        key = _ENUM_SORT_KEYS.get(member)
        if key is None:
            key = _ENUM_SORT_KEYS[member] = (type(member).__name__, str(member))
        return key
    return (type(member).__name__, str(member))


def _sorted_members(members: Iterable[Any]) -> list[Any]:
    # Sorted so that equal sets always encode to equal bytes.
    return sorted(members, key=_sort_key)


class SetAsList(Transcoding):
    """A `set` as a sorted list."""

    type = set
    name = "set"

    def encode(self, obj: set[Any]) -> list[Any]:
        return _sorted_members(obj)

    def decode(self, data: list[Any]) -> set[Any]:
        return set(data)


class FrozensetAsList(Transcoding):
    """A `frozenset` as a sorted list."""

    type = frozenset
    name = "frozenset"

    def encode(self, obj: frozenset[Any]) -> list[Any]:
        return _sorted_members(obj)

    def decode(self, data: list[Any]) -> frozenset[Any]:
        return frozenset(data)


class EnumAsValue(Transcoding):
    """An enum member as its value, named after the enum class."""

    def __init__(self, enum_class: type[enum.Enum]) -> None:
        self.type = enum_class
        self.name = enum_class.__name__
        self.members: dict[Any, enum.Enum] = {member.value: member for member in enum_class}

    def encode(self, obj: enum.Enum) -> Any:
        return obj.value

    def decode(self, data: Any) -> enum.Enum:
        # A dict of the members by value: Enum.__call__ does the same, more slowly.
        return self.members[data]


class AttrsAsDict(Transcoding):
    """A frozen attrs value as a dict of its fields; its converters restore tuples."""

    def __init__(self, value_class: type[Any]) -> None:
        self.type = value_class
        self.name = value_class.__name__
        self._value_class = value_class
        self._fields = [field.name for field in attrs.fields(value_class)]

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self._fields}

    def decode(self, data: dict[str, Any]) -> Any:
        return self._value_class(**data)


class PolicyHistoryAsList(Transcoding):
    """A programme's `PolicyHistory` as the list of its policies (in a snapshot)."""

    type = PolicyHistory
    name = "PolicyHistory"

    def encode(self, obj: PolicyHistory) -> list[CaseloadPolicy]:
        return list(obj.policies)

    def decode(self, data: list[CaseloadPolicy]) -> PolicyHistory:
        return PolicyHistory(tuple(data))


ENUMS: tuple[type[enum.Enum], ...] = (
    Channel,
    ClosureReason,
    EmployerActivityKind,
    PathwayKind,
    PlacementKind,
    ReviewOutcome,
    Role,
    # The education programme's.
    DropOutReason,
    Financing,
    NotRelevant,
    Scheme,
    SessionKind,
    TargetGroup,
    # Personal data and erasure.
    ErasureReason,
)
VALUES: tuple[type[Any], ...] = (
    CaseloadPolicy,
    IndicatorSet,
    Placement,
    Scores,
    # The education programme's.
    BaselineCount,
    BaselineCounts,
    EligibilityRule,
    EligibilityTable,
    GroupSize,
    GroupSizes,
    TargetDecision,
    TargetRow,
    # Personal data, sealed.
    Sealed,
)


def register_transcodings(transcoder: JSONTranscoder) -> None:
    """Register every caseload transcoding on an eventsourcing JSON transcoder."""
    transcoder.register(DateAsISO())
    transcoder.register(SetAsList())
    transcoder.register(FrozensetAsList())
    for enum_class in ENUMS:
        transcoder.register(EnumAsValue(enum_class))
    transcoder.register(PolicyHistoryAsList())
    for value_class in VALUES:
        transcoder.register(AttrsAsDict(value_class))

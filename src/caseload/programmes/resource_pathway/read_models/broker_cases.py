"""What the caseload and staffing read models keep of one broker, and its stored form.

A broker read back from the store keeps its cases and daily series as stored until they
are first used, so that a report of one day reads a thousand brokers' series without
decoding years of change points.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs

from caseload.projections.base import Entries, day, hex_of, uid
from caseload.projections.stored_entries import entities

__all__ = ["BrokerCases", "decode_brokers", "encode_brokers"]


@attrs.define(eq=False)
class BrokerCases:
    """What the caseload read model keeps of one broker.

    Read back from the store, a broker keeps its cases and its daily series as stored
    (`stored_active`, `stored_series`) until first used: a report of one day (`count_on`)
    reads the stored series as it is, without decoding years of change points for each
    of a thousand brokers."""

    name: str
    team: str
    registered_on: date
    fte: list[tuple[date, Decimal]]
    _active: set[UUID] | None = attrs.field(factory=set, alias="active", repr=False)
    _series: list[tuple[date, int]] | None = attrs.field(factory=list, alias="series", repr=False)
    left_on: date | None = None
    _stored_active: list[str] | None = attrs.field(default=None, alias="stored_active", repr=False)
    """The active cases as stored (hex ids), while `active` is not decoded."""
    _stored_series: list[list[Any]] | None = attrs.field(
        default=None, alias="stored_series", repr=False
    )
    """The series as stored (`[ISO day, count]`), while `series` is not decoded."""

    @property
    def active(self) -> set[UUID]:
        """The broker's active cases."""
        if self._active is None:
            self._active = {uid(case) for case in self._stored_active or ()}
            self._stored_active = None
        return self._active

    @property
    def series(self) -> list[tuple[date, int]]:
        """The days the caseload changed, with the count at the end of each, in order."""
        if self._series is None:
            self._series = [(date.fromisoformat(s), int(n)) for s, n in self._stored_series or ()]
            self._stored_series = None
        return self._series

    def stored_active_or_hex(self) -> list[str]:
        """The active cases in their stored form: their hex ids in order."""
        if self._stored_active is not None:
            return self._stored_active
        return sorted(case.hex for case in self.active)

    def stored_series_or_pairs(self) -> list[Any]:
        """The series in a form that encodes as stored: as read, or the (day, count)
        pairs themselves (a pair is written as an array, a day as its ISO text)."""
        if self._stored_series is not None:
            return self._stored_series
        return self.series

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BrokerCases):
            return NotImplemented
        return (
            self.name,
            self.team,
            self.registered_on,
            self.fte,
            self.active,
            self.series,
            self.left_on,
        ) == (
            other.name,
            other.team,
            other.registered_on,
            other.fte,
            other.active,
            other.series,
            other.left_on,
        )

    # Mutable, so not hashable (as attrs makes a class whose instances compare by value).
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"BrokerCases(name={self.name!r}, team={self.team!r}, "
            f"registered_on={self.registered_on!r}, fte={self.fte!r}, active={self.active!r}, "
            f"series={self.series!r}, left_on={self.left_on!r})"
        )

    def fte_on(self, on: date) -> Decimal:
        """The broker's FTE on a day."""
        current = self.fte[0][1]
        for since, value in self.fte:
            if since <= on:
                current = value
        return current

    def count_on(self, on: date) -> int:
        """The broker's active cases at the end of a day."""
        stored = self._stored_series
        if stored is not None:
            # ISO days sort as the days do: the latest change point on or before `on`.
            text = on.isoformat()
            for since_text, value in reversed(stored):
                if since_text <= text:
                    return int(value)
            return 0
        count = 0
        for since, value in self.series:
            if since > on:
                break
            count = value
        return count

    def on_staff(self, on: date) -> bool:
        """Registered by the end of `on` and not left by then."""
        return self.registered_on <= on and (self.left_on is None or self.left_on > on)

    def record(self, on: date) -> None:
        """Note the caseload after an event on `on` (a broker's events are in date order)."""
        if self.series and self.series[-1][0] == on:
            self.series[-1] = (on, len(self.active))
        else:
            self.series.append((on, len(self.active)))


def encode_brokers(brokers: dict[UUID, BrokerCases]) -> Any:
    """Brokers with their cases and change points, canonically."""
    return Entries(brokers, hex_of, _encode_broker)


def _encode_broker(b: BrokerCases) -> Any:
    return {
        "name": b.name,
        "team": b.team,
        "registered_on": b.registered_on,
        "left_on": b.left_on,
        "fte": [[since, str(value)] for since, value in b.fte],
        "active": b.stored_active_or_hex(),
        # Pairs are written as arrays and days as ISO text, as stored: a series read back
        # and not changed since is written as it was read.
        "series": b.stored_series_or_pairs(),
    }


def decode_brokers(data: Any) -> dict[UUID, BrokerCases]:
    """Brokers back from `encode_brokers`."""
    return entities(data, uid, _decode_broker)


def _decode_broker(b: Any) -> BrokerCases:
    return BrokerCases(
        name=b["name"],
        team=b["team"],
        registered_on=date.fromisoformat(b["registered_on"]),
        left_on=day(b["left_on"]),
        fte=[(date.fromisoformat(s), Decimal(v)) for s, v in b["fte"]],
        active=None,
        series=None,
        stored_active=b["active"],
        stored_series=b["series"],
    )

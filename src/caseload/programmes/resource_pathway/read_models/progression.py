"""Progression: each trajectory's first and latest score per indicator, and who improves."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
from eventsourcing.domain import DomainEvent

from caseload.programmes.resource_pathway.domain.values import IndicatorSet
from caseload.projections.base import Entries, Handler, ReadModel, day, hex_of, uid
from caseload.projections.entities import EntityMap, as_entity_map, closed_month
from caseload.projections.stored_entries import entities

if TYPE_CHECKING:
    from caseload.programmes.resource_pathway.domain.programme import Programme
    from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

__all__ = [
    "IndicatorProgress",
    "IndicatorSummary",
    "Measure",
    "Measurement",
    "ProgressionModel",
    "ProgressionReport",
    "ProgressionState",
    "TrajectoryProgress",
    "measures_of",
    "progression_report",
    "project_progression",
]


@attrs.frozen
class Measurement:
    """One score on one indicator, with the business date it was measured."""

    on: date
    score: int


@attrs.frozen
class IndicatorProgress:
    """A trajectory's first and latest score on one indicator."""

    indicator: str
    first: Measurement
    latest: Measurement
    measurements: int
    """How many times the indicator was scored for the trajectory."""

    @property
    def change(self) -> int:
        """Latest score minus first score (0 when measured once)."""
        return self.latest.score - self.first.score

    @property
    def measured_twice(self) -> bool:
        """The indicator was scored at least twice, so its change means something."""
        return self.measurements >= 2


@attrs.frozen
class TrajectoryProgress:
    """One trajectory's progression, per indicator it was scored on."""

    trajectory_id: UUID
    indicators: tuple[IndicatorProgress, ...]
    """By indicator name."""

    @property
    def has_change(self) -> bool:
        """At least one indicator was scored at least twice."""
        return any(row.measured_twice for row in self.indicators)

    @property
    def change(self) -> int:
        """The sum of changes over the indicators scored at least twice."""
        return sum(row.change for row in self.indicators if row.measured_twice)

    @property
    def improving(self) -> bool:
        """The trajectory has a change and its summed change is above 0."""
        return self.has_change and self.change > 0


@attrs.frozen
class IndicatorSummary:
    """One indicator across trajectories.

    The mean latest score is over the trajectories scored at least once; the mean change and
    the share improving (change above 0) are over those scored at least twice. A mean of no
    trajectory is None; a share of none is 0.0.
    """

    indicator: str
    trajectories_measured: int
    trajectories_measured_twice: int
    mean_latest: float | None
    mean_change: float | None
    share_improving: float


@attrs.frozen
class ProgressionReport:
    """Progression per trajectory and per indicator, and the programme's share improving."""

    on: date
    indicators: tuple[str, ...]
    """The programme's indicators plus any other name seen in a measurement, sorted."""
    trajectories: tuple[TrajectoryProgress, ...]
    """Trajectories with at least one measurement, by id."""
    summaries: tuple[IndicatorSummary, ...]
    """One per name in `indicators`, in that order."""
    trajectories_with_change: int
    """Trajectories with at least one indicator scored at least twice."""
    trajectories_improving: int
    """Of those, the ones whose summed change is above 0."""
    share_improving: float
    """`trajectories_improving / trajectories_with_change`, 0.0 when there is none."""


@attrs.define
class Measure:
    """The first and latest score of one indicator for one trajectory, by business date.

    A late-recorded measurement dated before the first becomes the first; on equal dates the
    earlier-recorded stays first and the later-recorded becomes latest.
    """

    first_on: date
    first_score: int
    latest_on: date
    latest_score: int
    count: int = 1

    def add(self, on: date, score: int) -> None:
        """Take one more measurement into account (in the order they were recorded)."""
        if on < self.first_on:
            self.first_on, self.first_score = on, score
        if on >= self.latest_on:
            self.latest_on, self.latest_score = on, score
        self.count += 1


_SLOTS: dict[str, int] = {}
"""Indicator names by the slot their measures take in a trajectory's row."""
_NAMES: list[str] = []
"""The indicator name of each slot."""
_WIDTH = 5
"""Values per slot: first date, first score, latest date, latest score, count."""


def _slot(name: str) -> int:
    slot = _SLOTS.get(name)
    if slot is None:
        slot = _SLOTS[name] = len(_NAMES)
        _NAMES.append(name)
    return slot


_FIRST = 1
"""Where a row's first slot starts: its first value is the day the trajectory closed."""


def measures_of(row: list[Any]) -> dict[str, Measure]:
    """A trajectory's row of measures as a `Measure` per indicator it was scored on."""
    return {
        _NAMES[(at - _FIRST) // _WIDTH]: Measure(*row[at : at + _WIDTH])
        for at in range(_FIRST, len(row), _WIDTH)
        if row[at] is not None
    }


@attrs.define
class ProgressionState:
    """Per trajectory and indicator, the first and latest measure; the configured indicators.

    A trajectory's measures are one flat row: the day the trajectory closed (None while
    open), then per indicator (in the slot `_SLOTS` gives it, None where never scored)
    its first date, first score, latest date, latest score and count. That is a third of
    the memory of a dict of `Measure` objects, and already the values the canonical form
    writes. A trajectory has a row once it is measured."""

    trajectories: dict[UUID, list[Any]] = attrs.field(factory=EntityMap, converter=as_entity_map)
    indicators: IndicatorSet | None = None
    """The programme's indicator set, None until a `Programme.Configured` is seen."""


def _configured(state: ProgressionState, event: Programme.Configured) -> None:
    state.indicators = event.indicators


def _measured(state: ProgressionState, event: Trajectory.ProgressMeasured) -> None:
    # The same rule as `Measure.add`: a measurement dated before the first becomes the
    # first; on equal dates the later-recorded becomes the latest.
    row = state.trajectories.get(event.originator_id)
    if row is None:
        row = state.trajectories[event.originator_id] = [None]
    on = event.occurred_on
    for name, score in event.scores.values:
        slot = _SLOTS.get(name)
        at = _FIRST + (_slot(name) if slot is None else slot) * _WIDTH
        if len(row) <= at:
            row.extend([None] * (at + _WIDTH - len(row)))
        if row[at] is None:
            row[at : at + _WIDTH] = [on, score, on, score, 1]
            continue
        if on < row[at]:
            row[at], row[at + 1] = on, score
        if on >= row[at + 2]:
            row[at + 2], row[at + 3] = on, score
        row[at + 4] += 1


def _closed(state: ProgressionState, event: Trajectory.Closed) -> None:
    # A trajectory never measured has no row, and needs none to say it closed.
    row = state.trajectories.get(event.originator_id)
    if row is not None:
        row[0] = event.occurred_on


def _retired(row: list[Any]) -> str | None:
    return closed_month(row[0])


def _encode_row(row: list[Any]) -> Any:
    return [
        row[0],
        {
            _NAMES[(at - _FIRST) // _WIDTH]: row[at : at + _WIDTH]
            for at in range(_FIRST, len(row), _WIDTH)
            if row[at] is not None
        },
    ]


def _decode_row(value: list[Any]) -> list[Any]:
    closed, measures = value
    row: list[Any] = [day(closed)]
    for name, (first_on, first_score, latest_on, latest_score, count) in measures.items():
        at = _FIRST + _slot(name) * _WIDTH
        if len(row) <= at:
            row.extend([None] * (at + _WIDTH - len(row)))
        row[at : at + _WIDTH] = [
            date.fromisoformat(first_on),
            int(first_score),
            date.fromisoformat(latest_on),
            int(latest_score),
            int(count),
        ]
    return row


class ProgressionModel(ReadModel[ProgressionState]):
    """The progression read model."""

    name = "progression"
    version = 3
    """2: measures are kept in one row per trajectory (the canonical form is unchanged).
    3: a measured trajectory's row keeps the day it closed (`[closed, {indicator:
    measure}]`), and closed trajectories are kept in chunks by the month they closed
    (`closed_month`), so that a checkpoint or a write encodes the open trajectories' and
    the newly closed month's chunks only, not every chunk a measurement reached."""

    def initial(self) -> ProgressionState:
        return ProgressionState()

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        # The aggregates are imported when events are first folded: reading a stored
        # state needs none of them.
        from caseload.programmes.resource_pathway.domain.programme import Programme
        from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

        return {
            Programme.Configured: _configured,
            Trajectory.ProgressMeasured: _measured,
            Trajectory.Closed: _closed,
        }

    def encode(self, state: ProgressionState) -> Any:
        indicators = state.indicators
        return {
            "indicators": None
            if indicators is None
            else [list(indicators.names), indicators.min_score, indicators.max_score],
            "trajectories": Entries(
                state.trajectories, hex_of, _encode_row, _retired, restore=(uid, _decode_row)
            ),
        }

    def decode(self, data: Any) -> ProgressionState:
        indicators = data["indicators"]
        return ProgressionState(
            trajectories=entities(data["trajectories"], uid, _decode_row, _retired),
            indicators=None
            if indicators is None
            else IndicatorSet(
                names=indicators[0], min_score=indicators[1], max_score=indicators[2]
            ),
        )


def project_progression(
    events: Iterable[DomainEvent], *, as_true_on: date | None = None
) -> ProgressionState:
    """Fold events into a progression state, keeping only facts true on `as_true_on` if given."""
    return ProgressionModel().project(events, as_true_on=as_true_on)


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def _summary(name: str, rows: list[IndicatorProgress]) -> IndicatorSummary:
    twice = [row for row in rows if row.measured_twice]
    return IndicatorSummary(
        indicator=name,
        trajectories_measured=len(rows),
        trajectories_measured_twice=len(twice),
        mean_latest=_mean([row.latest.score for row in rows]),
        mean_change=_mean([row.change for row in twice]),
        share_improving=sum(1 for row in twice if row.change > 0) / len(twice) if twice else 0.0,
    )


def progression_report(state: ProgressionState, on: date) -> ProgressionReport:
    """The progression report with reference date `on`.

    The state should hold the facts true on `on`: fold it with `as_true_on=on` for a past
    date. Indicators come from the programme's `IndicatorSet` (the default set when no
    programme was configured) plus any other name seen in a measurement.
    """
    configured = state.indicators if state.indicators is not None else IndicatorSet()
    measured = {
        trajectory_id: measures_of(row) for trajectory_id, row in state.trajectories.items()
    }
    seen = {name for measures in measured.values() for name in measures}
    indicators = tuple(sorted(set(configured.names) | seen))
    trajectories = tuple(
        TrajectoryProgress(
            trajectory_id=trajectory_id,
            indicators=tuple(
                IndicatorProgress(
                    indicator=name,
                    first=Measurement(m.first_on, m.first_score),
                    latest=Measurement(m.latest_on, m.latest_score),
                    measurements=m.count,
                )
                for name, m in sorted(measures.items())
            ),
        )
        for trajectory_id, measures in sorted(measured.items(), key=lambda item: str(item[0]))
    )
    per_indicator: dict[str, list[IndicatorProgress]] = {name: [] for name in indicators}
    for trajectory in trajectories:
        for row in trajectory.indicators:
            per_indicator[row.indicator].append(row)
    with_change = [t for t in trajectories if t.has_change]
    improving = sum(1 for t in with_change if t.improving)
    return ProgressionReport(
        on=on,
        indicators=indicators,
        trajectories=trajectories,
        summaries=tuple(_summary(name, per_indicator[name]) for name in indicators),
        trajectories_with_change=len(with_change),
        trajectories_improving=improving,
        share_improving=improving / len(with_change) if with_change else 0.0,
    )

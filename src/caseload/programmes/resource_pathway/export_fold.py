"""One fold of the log into the resource-pathway programme's evaluator tables.

Row order follows the keyed ids, so exports under different keys do not line up row by row
either (the order is set when the files are written).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, timedelta
from decimal import Decimal
from uuid import UUID

import attrs
from eventsourcing.domain import DomainEvent

from caseload.domain.events import HoldsOnEveryDay
from caseload.programmes.resource_pathway.domain.broker import Broker
from caseload.programmes.resource_pathway.domain.colleague import Colleague
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.programmes.resource_pathway.domain.values import Role
from caseload.programmes.resource_pathway.export_tables import TABLES
from caseload.programmes.resource_pathway.read_models.caseload_counts import (
    BrokerCases,
    CaseloadCounts,
    CaseloadState,
)
from caseload.programmes.resource_pathway.read_models.outcomes import (
    OutcomesModel,
    add_months,
    month_of,
    outcomes_report,
)
from caseload.programmes.tables import Value, keyed_id

__all__ = ["Dataset", "fold_dataset"]


@attrs.frozen
class Dataset:
    """The tables of one export, with the log prefix and reference date they describe."""

    rows: dict[str, list[tuple[Value, ...]]]
    """Per table name, the rows in the column order of `TABLES`, unsorted."""
    log_position: int
    """The position of the last event folded (0 for an empty log)."""
    reference_date: date | None
    """The latest business date in the folded events: the day the dataset describes."""


@attrs.define
class _Spell:
    trajectory: UUID
    broker: UUID
    how: str
    from_broker: UUID | None
    started_on: date
    recorded_on: date
    ended_on: date | None = None
    ended_by: str | None = None


@attrs.define
class _Measurement:
    trajectory: UUID
    measured_on: date
    position: int
    scores: tuple[tuple[str, int], ...]
    recorded_on: date


@attrs.define
class _Activity:
    trajectory: UUID
    started_on: date
    position: int
    kind: str
    ends_on: date | None
    recorded_on: date


def _recorded(event: DomainEvent) -> date:
    return event.timestamp.astimezone(UTC).date()


class _Fold:
    """Accumulates one pass over the log; `dataset` turns it into keyed rows."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self._ids: dict[UUID | str, str] = {}
        self.position = 0
        self.reference: date | None = None
        self.caseload_model = CaseloadCounts()
        self.caseload: CaseloadState = self.caseload_model.initial()
        self.outcomes_model = OutcomesModel()
        self.outcomes = self.outcomes_model.initial()
        self.opened: dict[UUID, Trajectory.Opened] = {}
        self.closed: dict[UUID, Trajectory.Closed] = {}
        self.spells: dict[UUID, list[_Spell]] = {}
        self.measurements: list[_Measurement] = []
        self.colleagues: dict[UUID, list[Value]] = {}
        """Per colleague, their row: team, registered_on, left_on."""
        self.activities: list[_Activity] = []
        self.rows: dict[str, list[tuple[Value, ...]]] = {table.name: [] for table in TABLES}

    def k(self, stored: UUID | str | None) -> str | None:
        """The export id of a stored id, made once per id and shared by every row."""
        if stored is None:
            return None
        found = self._ids.get(stored)
        if found is None:
            found = self._ids[stored] = keyed_id(self.key, stored)
        return found

    def add(self, position: int, event: DomainEvent) -> None:
        self.position = position
        # A programme's events, and the notices of a policy to every broker, are dated when
        # the programme was set up or a policy decided, which says nothing about how far
        # the programme's own history reaches.
        occurred: date | None = getattr(event, "occurred_on", None)
        if isinstance(event, HoldsOnEveryDay | Broker.LimitChanged):
            occurred = None
        if occurred is not None and (self.reference is None or occurred > self.reference):
            self.reference = occurred
        self.caseload_model.apply(self.caseload, event)
        self.outcomes_model.apply(self.outcomes, event)
        self._trajectory_event(position, event)
        self._colleague_event(event)

    def _colleague_event(self, event: DomainEvent) -> None:
        match event:
            case Colleague.Registered():
                self.colleagues[event.originator_id] = [event.team, event.occurred_on, None]
            case Colleague.Left() if event.originator_id in self.colleagues:
                self.colleagues[event.originator_id][2] = event.occurred_on
            case _:
                pass

    def _spell(self, event: Trajectory.Event, broker: UUID, how: str, src: UUID | None) -> None:
        spells = self.spells.setdefault(event.originator_id, [])
        if spells:
            spells[-1].ended_on, spells[-1].ended_by = event.occurred_on, "transfer"
        spells.append(
            _Spell(event.originator_id, broker, how, src, event.occurred_on, _recorded(event))
        )

    def _trajectory_event(self, position: int, event: DomainEvent) -> None:
        rows = self.rows
        match event:
            case Trajectory.Opened():
                self.opened[event.originator_id] = event
            case Trajectory.Assigned():
                self._spell(event, event.broker_id, "assigned", None)
            case Trajectory.Transferred():
                self._spell(event, event.to_broker_id, "transferred", event.from_broker_id)
            case Trajectory.ContactRecorded():
                by_colleague = event.by in self.colleagues
                rows["contacts"].append(
                    (
                        self.k(event.originator_id),
                        event.occurred_on,
                        None if by_colleague else self.k(event.by),
                        self.k(event.by) if by_colleague else None,
                        event.channel.value,
                        *(role in event.roles for role in _ROLE_COLUMNS),
                        _recorded(event),
                    )
                )
            case Trajectory.ProgressMeasured():
                self.measurements.append(
                    _Measurement(
                        event.originator_id,
                        event.occurred_on,
                        position,
                        event.scores.values,
                        _recorded(event),
                    )
                )
            case Trajectory.JobPlaced():
                placement = event.placement
                rows["placements"].append(
                    (
                        self.k(event.originator_id),
                        event.occurred_on,
                        placement.kind.value,
                        _hours(placement.hours_per_week),
                        _recorded(event),
                    )
                )
            case Trajectory.EmployerActivityStarted():
                self.activities.append(
                    _Activity(
                        event.originator_id,
                        event.occurred_on,
                        position,
                        event.kind.value,
                        event.ends_on,
                        _recorded(event),
                    )
                )
            case Trajectory.Reviewed():
                rows["reviews"].append(
                    (
                        self.k(event.originator_id),
                        event.occurred_on,
                        event.outcome.value,
                        _recorded(event),
                    )
                )
            case Trajectory.Closed():
                self.closed[event.originator_id] = event
                spells = self.spells.get(event.originator_id)
                if spells:
                    spells[-1].ended_on, spells[-1].ended_by = event.occurred_on, "closure"
                rows["closures"].append(
                    (
                        self.k(event.originator_id),
                        event.occurred_on,
                        event.reason.value,
                        _recorded(event),
                    )
                )
            case _:
                pass

    def dataset(self) -> Dataset:
        rows = self.rows
        for broker_id, broker in self.caseload.brokers.items():
            rows["brokers"].append(
                (
                    self.k(broker_id),
                    broker.team,
                    broker.registered_on,
                    broker.left_on,
                    broker.fte[-1][1],
                )
            )
        rows["colleagues"].extend(
            (self.k(colleague_id), *row) for colleague_id, row in self.colleagues.items()
        )
        for trajectory_id, opened in self.opened.items():
            closed = self.closed.get(trajectory_id)
            rows["trajectories"].append(
                (
                    self.k(trajectory_id),
                    self.k(opened.citizen),
                    opened.pathway.value,
                    opened.occurred_on,
                    None if closed is None else closed.occurred_on,
                    None if closed is None else closed.reason.value,
                )
            )
        for spells in self.spells.values():
            rows["assignments"].extend(
                (
                    self.k(s.trajectory),
                    number,
                    self.k(s.broker),
                    s.how,
                    self.k(s.from_broker),
                    s.started_on,
                    s.ended_on,
                    s.ended_by,
                    s.recorded_on,
                )
                for number, s in enumerate(spells, 1)
            )
        self._progression()
        self._activities()
        if self.reference is not None:
            self._after_exit(self.reference)
            self._monthly(self.reference)
        return Dataset(rows=rows, log_position=self.position, reference_date=self.reference)

    def _progression(self) -> None:
        number: dict[UUID, int] = {}
        ordered = sorted(self.measurements, key=lambda m: (m.measured_on, m.position))
        for m in ordered:
            number[m.trajectory] = number.get(m.trajectory, 0) + 1
            self.rows["progression"].extend(
                (
                    self.k(m.trajectory),
                    number[m.trajectory],
                    m.measured_on,
                    indicator,
                    score,
                    m.recorded_on,
                )
                for indicator, score in m.scores
            )

    def _activities(self) -> None:
        number: dict[UUID, int] = {}
        for a in sorted(self.activities, key=lambda a: (a.started_on, a.position)):
            number[a.trajectory] = number.get(a.trajectory, 0) + 1
            self.rows["employer_activities"].append(
                (
                    self.k(a.trajectory),
                    number[a.trajectory],
                    a.kind,
                    a.started_on,
                    a.ends_on,
                    a.recorded_on,
                )
            )

    def _after_exit(self, reference: date) -> None:
        report = outcomes_report(self.outcomes, reference)
        self.rows["after_exit"].extend(
            (
                self.k(row.trajectory_id),
                row.closed_on,
                row.reason.value,
                check.months,
                check.on,
                check.status.value,
            )
            for row in report.after_exit
            for check in row.checks
        )

    def _monthly(self, reference: date) -> None:
        state = self.caseload
        for broker_id, broker in state.brokers.items():
            # Leavers stay, with no cases, as in the caseload report.
            last = reference
            start = broker.registered_on.replace(day=1)
            while start <= last:
                following = add_months(start, 1)
                cut = min(following - timedelta(days=1), reference)
                self.rows["monthly_caseload"].append(
                    (
                        self.k(broker_id),
                        broker.team,
                        month_of(start),
                        cut,
                        broker.fte_on(cut),
                        broker.count_on(cut),
                        _peak(broker, start, cut),
                        state.limit_on(broker, cut),
                        state.policy_on(cut).name,
                    )
                )
                start = following


_ROLE_COLUMNS = (Role.AUTHORITY, Role.EMPLOYER_LIAISON, Role.MENTOR_LIKE, Role.COACH)


def _hours(hours: object) -> Decimal | None:
    """Hours per week in one form however they were given (20, 20.0 and Decimal("20.00")
    are all 20; 7.50 is 7.5)."""
    if hours is None:
        return None
    value = Decimal(str(hours))
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _peak(broker: BrokerCases, first: date, last: date) -> int:
    """The highest end-of-day caseload on the days from `first` to `last`."""
    peak = broker.count_on(first)
    for since, count in broker.series:
        if first < since <= last:
            peak = max(peak, count)
    return peak


def fold_dataset(events: Iterable[tuple[int, DomainEvent]], key: bytes) -> Dataset:
    """Fold `(position, event)` pairs, in log order, into the dataset's keyed rows.

    A pure function of the events and the key: no clock, no store.
    """
    fold = _Fold(key)
    for position, event in events:
        fold.add(position, event)
    return fold.dataset()

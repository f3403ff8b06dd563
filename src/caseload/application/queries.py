"""The questions a store answers: its log, and each read model's report as frozen values.

Every report can be asked as things stand today, as true on a past business date
(`as_true_on`, late registrations included) or as the log knew it at a past moment
(`as_known_at`); the two combine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from eventsourcing.domain import DomainEvent

from caseload.application.views import BrokerView, ColleagueView, ProgrammeView, TrajectoryView
from caseload.domain.dates import check_date, check_days
from caseload.domain.errors import (
    InvalidValue,
    UnknownBroker,
    UnknownColleague,
    UnknownTrajectory,
)
from caseload.domain.inputs import as_id, optional_moment
from caseload.programmes import programme_kinds
from caseload.programmes.resource_pathway.domain.values import CaseloadPolicy
from caseload.programmes.resource_pathway.read_models.attention import (
    AttentionModel,
    AttentionReport,
    AttentionThresholds,
    attention_report,
)
from caseload.programmes.resource_pathway.read_models.caseload_counts import (
    CaseloadCounts,
    CaseloadReport,
    CaseloadRow,
    CaseloadState,
    caseload_report,
    caseload_rows,
)
from caseload.programmes.resource_pathway.read_models.caseload_daily import (
    DailyCaseload,
    daily_caseload,
    first_registration,
)
from caseload.programmes.resource_pathway.read_models.coverage_reports import role_coverage
from caseload.programmes.resource_pathway.read_models.employer_activity import (
    DEFAULT_WITHIN_DAYS,
    MAX_WITHIN_DAYS,
    EmployerActivityModel,
    EmployerActivityReport,
    employer_activity_report,
)
from caseload.programmes.resource_pathway.read_models.flow import FlowModel, FlowReport, flow_report
from caseload.programmes.resource_pathway.read_models.outcomes import (
    OutcomesModel,
    OutcomesReport,
    outcomes_report,
)
from caseload.programmes.resource_pathway.read_models.progression import (
    ProgressionModel,
    ProgressionReport,
    progression_report,
)
from caseload.programmes.resource_pathway.read_models.reviews import (
    ReviewReport,
    ReviewsModel,
    review_report,
)
from caseload.programmes.resource_pathway.read_models.role_coverage import (
    RoleCoverage,
    RoleCoverageModel,
)
from caseload.programmes.resource_pathway.read_models.staffing import (
    StaffingModel,
    StaffingReport,
    staffing_report,
)
from caseload.projections.base import ReadModel

if TYPE_CHECKING:
    from caseload.application.bootstrap import Wiring
    from caseload.application.unit_of_work import StoreUnitOfWork
    from caseload.projections.runner import Projections

__all__ = ["Queries"]

S = TypeVar("S")
R = TypeVar("R")
_BATCH = 1000


class Queries:
    """The query methods of `Caseload`: the log, the read models' reports, one aggregate."""

    _wiring: Wiring
    _pin: int | None
    _lock: threading.RLock

    @property
    def projections(self) -> Projections:  # pragma: no cover  (defined by Caseload)
        """The store's read models."""
        raise NotImplementedError

    def today(self) -> date:  # pragma: no cover  (defined by Caseload)
        """Today by the application's clock."""
        raise NotImplementedError

    def _unit_of_work(self) -> StoreUnitOfWork:  # pragma: no cover  (defined by Caseload)
        raise NotImplementedError

    # ----------------------------------------------------------------- the log

    def events(self) -> Iterator[DomainEvent]:
        """Every stored event in the order it was recorded (read in batches)."""
        recorder, mapper = self._wiring.events.recorder, self._wiring.events.mapper
        start = 1
        while True:
            batch = recorder.select_notifications(start=start, limit=_BATCH, stop=self._pin)
            if not batch:
                return
            for notification in batch:
                event = mapper.to_domain_event(notification)
                assert isinstance(event, DomainEvent)
                yield event
            start = batch[-1].id + 1

    def history(self, *, as_known_at: datetime | None = None) -> Iterator[tuple[int, DomainEvent]]:
        """Every event with its log position, in log order, read fast in large batches.

        With `as_known_at` (a timezone-aware moment), only the prefix of the log that had
        been recorded by then (see `Projections.known_position`).
        """
        moment = optional_moment(as_known_at)
        projections = self.projections
        last = self.head() if moment is None else projections.known_position(moment)
        return projections.history(last)

    def head(self) -> int:
        """The position of the latest event in the log (0 when the log is empty); for a
        read-only session, the position it is pinned at."""
        return self._wiring.head() if self._pin is None else self._pin

    # ----------------------------------------------------------------- read models

    def read_model(
        self,
        model: type[ReadModel[S]],
        *,
        as_known_at: datetime | None = None,
        as_true_on: date | None = None,
    ) -> S:
        """The state of one read model (by class), now, as known at a moment, or as true
        on a day; the reports below are made from these states."""
        moment = optional_moment(as_known_at)
        day = None if as_true_on is None else check_date(as_true_on, "as_true_on")
        name = _model_name(model)
        if moment is None and day is None:
            state: S = self.projections.state(name)
        else:
            state = self.projections.state_as_of(name, as_known_at=moment, as_true_on=day)
        return state

    def read_models(
        self,
        *models: type[ReadModel[Any]],
        as_known_at: datetime | None = None,
        as_true_on: date | None = None,
    ) -> dict[type[ReadModel[Any]], Any]:
        """The states of several read models (by class) at the same cut, keyed by class:
        now, as known at a moment, or as true on a day. As of a moment or a day, they are
        replayed together in one pass over the log, which costs about what one costs."""
        moment = optional_moment(as_known_at)
        day = None if as_true_on is None else check_date(as_true_on, "as_true_on")
        names = [_model_name(model) for model in models]
        if moment is None and day is None:
            pairs = zip(models, names, strict=True)
            return {model: self.projections.state(name) for model, name in pairs}
        states = self.projections.states_as_of(names, as_known_at=moment, as_true_on=day)
        return {model: states[model.name] for model in models}

    def _report(
        self,
        model: type[ReadModel[S]],
        build: Callable[[S], R],
        as_known_at: datetime | None,
        as_true_on: date | None,
    ) -> R:
        # The states in memory are shared and a catch-up changes them in place: a report
        # is built from a state while no other thread of this application folds into it.
        with self._lock:
            return build(self.read_model(model, as_known_at=as_known_at, as_true_on=as_true_on))

    def _on(self, as_true_on: date | None) -> date:
        return self.today() if as_true_on is None else check_date(as_true_on, "as_true_on")

    def caseload(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> tuple[CaseloadRow, ...]:
        """Per broker: active cases, the limit in force, and utilisation.

        By default as things stand today. `as_true_on=D` gives the caseload as it stood on
        business date D (late registrations recorded since included); `as_known_at=T` (a
        timezone-aware moment) gives it as the log knew it at T. They combine.
        """
        return self._report(
            CaseloadCounts,
            lambda state: caseload_rows(state, self._on(as_true_on)),
            as_known_at,
            as_true_on,
        )

    def caseload_report(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> CaseloadReport:
        """Caseload per broker and team, daily series, peaks and every breach of the limit."""
        return self._report(
            CaseloadCounts,
            lambda state: caseload_report(state, self._on(as_true_on)),
            as_known_at,
            as_true_on,
        )

    def caseload_series(
        self,
        *,
        first_day: date | None = None,
        last_day: date | None = None,
        as_known_at: datetime | None = None,
        as_true_on: date | None = None,
    ) -> tuple[DailyCaseload, ...]:
        """The daily caseload per broker with the limit in force, from `first_day` (the
        first registration by default) to `last_day` (the reference day by default)."""
        on = self._on(as_true_on)
        last = on if last_day is None else check_date(last_day, "last_day")

        def build(state: CaseloadState) -> tuple[DailyCaseload, ...]:
            first = first_registration(state, last) if first_day is None else first_day
            if check_date(first, "first_day") > last:
                raise InvalidValue(f"the first day ({first}) must not be after the last ({last})")
            return daily_caseload(state, first, last)

        return self._report(CaseloadCounts, build, as_known_at, as_true_on)

    def role_coverage(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> RoleCoverage:
        """Four-role coverage per trajectory, per broker, and as programme shares."""
        return self._report(RoleCoverageModel, role_coverage, as_known_at, as_true_on)

    def outcomes(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> OutcomesReport:
        """Placements and closures by month and kind, the monthly share with paid hours or
        education, and each closed trajectory's status 1, 3, 6 and 12 months after exit."""
        return self._report(
            OutcomesModel,
            lambda state: outcomes_report(state, self._on(as_true_on)),
            as_known_at,
            as_true_on,
        )

    def progression(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> ProgressionReport:
        """First and latest score and change per indicator and trajectory; shares improving."""
        return self._report(
            ProgressionModel,
            lambda state: progression_report(state, self._on(as_true_on)),
            as_known_at,
            as_true_on,
        )

    def attention_list(
        self,
        *,
        thresholds: AttentionThresholds | None = None,
        as_known_at: datetime | None = None,
        as_true_on: date | None = None,
    ) -> AttentionReport:
        """Open trajectories that need a case review, and why (thresholds configurable)."""
        if thresholds is not None and not isinstance(thresholds, AttentionThresholds):
            raise InvalidValue(
                f"thresholds must be AttentionThresholds, not {type(thresholds).__name__}"
            )
        return self._report(
            AttentionModel,
            lambda state: attention_report(state, self._on(as_true_on), thresholds),
            as_known_at,
            as_true_on,
        )

    def staffing(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> StaffingReport:
        """Per team and month: brokers needed at the limit against the FTE available."""
        return self._report(
            StaffingModel,
            lambda state: staffing_report(state, self._on(as_true_on)),
            as_known_at,
            as_true_on,
        )

    def reviews(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> ReviewReport:
        """Case reviews (sagssparring): each trajectory's latest, and the reviews per broker
        and month (counted for the broker holding the case on the review day)."""
        return self._report(
            ReviewsModel,
            lambda state: review_report(state, self._on(as_true_on)),
            as_known_at,
            as_true_on,
        )

    def flow(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> FlowReport:
        """Trajectories opened, closed and open per month, and the time from opening to the
        first placement (per trajectory, and median and mean per month of placement)."""
        return self._report(
            FlowModel,
            lambda state: flow_report(state, self._on(as_true_on)),
            as_known_at,
            as_true_on,
        )

    def employer_activity(
        self,
        *,
        within_days: int = DEFAULT_WITHIN_DAYS,
        as_known_at: datetime | None = None,
        as_true_on: date | None = None,
    ) -> EmployerActivityReport:
        """The share of open trajectories with employer-directed activity in the last
        `within_days` days (1 to MAX_WITHIN_DAYS), on the reference date and per month."""
        within = check_days(within_days, "within_days", maximum=MAX_WITHIN_DAYS)
        return self._report(
            EmployerActivityModel,
            lambda state: employer_activity_report(state, self._on(as_true_on), within),
            as_known_at,
            as_true_on,
        )

    # ----------------------------------------------------------------- aggregates

    def colleague(self, colleague: UUID) -> ColleagueView:
        """One colleague, as a frozen value."""
        from caseload.programmes.resource_pathway.domain.colleague import Colleague

        uow = self._unit_of_work()
        colleague_id = as_id(colleague, UnknownColleague, "colleague")
        aggregate = uow.load(Colleague, colleague_id, UnknownColleague)
        return ColleagueView(
            colleague_id=aggregate.id,
            name=aggregate.name,
            team=aggregate.team,
            registered_on=aggregate.registered_on,
            left_on=aggregate.left_on,
        )

    def programmes(self) -> tuple[ProgrammeView, ...]:
        """The programmes the store holds, one per kind at most, in the registry's order."""
        uow = self._unit_of_work()
        found = []
        for kind in programme_kinds():
            programme_id = uow.programme_id(kind.programme_aggregate)
            aggregate = None if programme_id is None else uow.find(programme_id)
            if aggregate is not None:
                name = str(getattr(aggregate, "name", ""))
                found.append(ProgrammeView(kind.key, aggregate.id, name))
        return tuple(found)

    def limit_in_force(self, on: date | None = None) -> CaseloadPolicy:
        """The caseload policy in force on `on` (today if omitted)."""
        from caseload.programmes.resource_pathway.handlers import programme_of

        day = self.today() if on is None else check_date(on, "on")
        return programme_of(self._unit_of_work()).limit_in_force(day)

    def broker(self, broker: UUID) -> BrokerView:
        """One broker, as a frozen value."""
        from caseload.programmes.resource_pathway.domain.broker import Broker

        uow = self._unit_of_work()
        aggregate = uow.load(Broker, as_id(broker, UnknownBroker, "broker"), UnknownBroker)
        return BrokerView(
            broker_id=aggregate.id,
            name=aggregate.name,
            team=aggregate.team,
            fte=Decimal(aggregate.fte),
            pathway=aggregate.pathway,
            registered_on=aggregate.registered_on,
            left_on=aggregate.left_on,
            active_cases=frozenset(aggregate.active_cases),
            limit=aggregate.limit_under(self.limit_in_force()),
        )

    def trajectory(self, trajectory: UUID) -> TrajectoryView:
        """One trajectory, as a frozen value."""
        from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

        uow = self._unit_of_work()
        trajectory_id = as_id(trajectory, UnknownTrajectory, "trajectory")
        aggregate = uow.load(Trajectory, trajectory_id, UnknownTrajectory)
        return TrajectoryView(
            trajectory_id=aggregate.id,
            citizen=aggregate.citizen,
            pathway=aggregate.pathway,
            broker_id=aggregate.broker_id,
            opened_on=aggregate.opened_on,
            closed_on=aggregate.closed_on,
            closure_reason=aggregate.closure_reason,
        )


def _model_name(model: object) -> str:
    """The stored name of a read model given by its class; anything else is refused."""
    if not (isinstance(model, type) and issubclass(model, ReadModel)):
        raise InvalidValue(
            f"a read model is given by its class (for example CaseloadCounts), not a "
            f"{type(model).__name__}"
        )
    return model.name

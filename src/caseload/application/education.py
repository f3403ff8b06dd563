"""The education programme's commands and queries on `Caseload` (a mixin of the facade).

Each command method builds a frozen command of `caseload.programmes.education.commands`
and hands it to `handle`; each query folds the education read models now, as known at a
moment, or as true on a day, and makes a frozen report of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar
from uuid import UUID

from caseload.application.guard import command
from caseload.application.lazy import LazyModule
from caseload.domain.dates import check_date
from caseload.programmes.education.domain.eligibility import EligibilityTable
from caseload.programmes.education.domain.values import (
    BaselineCount,
    DropOutReason,
    Financing,
    GroupSize,
    Scheme,
    SessionKind,
    TargetGroup,
    TargetValue,
)
from caseload.programmes.education.read_models.plans import EducationPlansModel, PlansState
from caseload.programmes.education.read_models.sessions import SessionsModel, SessionsState
from caseload.programmes.education.read_models.targets import EducationTargetsModel, TargetsState

if TYPE_CHECKING:
    from caseload.programmes.education import commands as ed
    from caseload.programmes.education import reports, status
    from caseload.programmes.education.reports import (
        ContactToStart,
        EndingCount,
        Grain,
        HistoryPoint,
        StartCount,
        WeekActivity,
    )
    from caseload.programmes.education.status import HalfYearStatus, MonthlyStatus
    from caseload.projections.base import ReadModel
else:
    # The commands, reports and status are imported when a method first needs them.
    ed = LazyModule("caseload.programmes.education.commands")
    reports = LazyModule("caseload.programmes.education.reports")
    status = LazyModule("caseload.programmes.education.status")

__all__ = ["EducationCommands", "EducationQueries"]

P = ParamSpec("P")
T = TypeVar("T")
S = TypeVar("S")


class EducationCommands:
    """The education programme's command methods of `Caseload`."""

    if TYPE_CHECKING:  # defined by Caseload

        def _writable(self) -> None: ...

        def handle(self, command: object) -> Any: ...

    @command
    def configure_education_programme(
        self,
        *,
        name: str,
        on: date,
        period_start: date,
        period_end: date,
        group_sizes: Iterable[GroupSize] = (),
        eligibility: EligibilityTable | None = None,
    ) -> UUID:
        """Set up the store's education programme once: its period, gross target groups
        and eligibility table (the public rules unless given); returns its id."""
        programme_id: UUID = self.handle(
            ed.ConfigureEducationProgramme(
                name=name,
                on=on,
                period_start=period_start,
                period_end=period_end,
                group_sizes=list(group_sizes) if isinstance(group_sizes, Iterable) else group_sizes,
                eligibility=eligibility,
            )
        )
        return programme_id

    @command
    def replace_eligibility(self, eligibility: EligibilityTable, *, on: date) -> None:
        """Check later starts against another eligibility table (a service's own rules)."""
        self.handle(ed.ReplaceEligibility(eligibility=eligibility, on=on))

    @command
    def set_target(
        self,
        scheme: Scheme,
        target_group: TargetGroup | Iterable[TargetGroup],
        year: int,
        count: TargetValue,
        *,
        on: date,
    ) -> None:
        """Decide on `on` the target for starts of `scheme` by `target_group` (one group or
        several) in `year`: a whole number, or `NOT_RELEVANT` (which is not 0)."""
        groups = (
            list(target_group)
            if isinstance(target_group, Iterable) and not isinstance(target_group, str)
            else target_group
        )
        self.handle(ed.SetTarget(scheme=scheme, target_group=groups, year=year, count=count, on=on))

    @command
    def record_baseline(
        self,
        counts: Iterable[BaselineCount] | Mapping[tuple[int, Scheme], int],
        *,
        on: date,
        source: str = "the programme's application",
    ) -> None:
        """Record yearly starts from before the programme, for the history line."""
        given = (
            list(counts)
            if isinstance(counts, Iterable) and not isinstance(counts, Mapping | str)
            else counts
        )
        self.handle(ed.RecordBaseline(counts=given, on=on, source=source))

    @command
    def register_ambassador(self, *, name: str, team: str, on: date) -> UUID:
        """Register an education ambassador (no caseload limit); returns their id."""
        ambassador_id: UUID = self.handle(ed.RegisterAmbassador(name=name, team=team, on=on))
        return ambassador_id

    @command
    def ambassador_left(self, ambassador: UUID, *, on: date) -> None:
        """Record that an ambassador left the programme."""
        self.handle(ed.AmbassadorLeaves(ambassador=ambassador, on=on))

    @command
    def draft_education_plan(
        self,
        *,
        cpr: str,
        on: date,
        ambassador: UUID,
        target_group: TargetGroup,
        job_prospect: str,
        education: str,
        on_positive_list: bool,
        planned_start: date,
        planned_end: date,
        place: str,
        financing: Financing,
        first_contact_on: date | None = None,
        note: str | None = None,
    ) -> UUID:
        """Draft the education plan of the citizen with CPR number `cpr` (only a keyed
        pseudonym is stored); returns the plan's id. A citizen has one plan. `note`, the
        plan's free text, is stored encrypted under the citizen's data key."""
        plan_id: UUID = self.handle(
            ed.DraftEducationPlan(
                cpr=cpr,
                on=on,
                ambassador=ambassador,
                target_group=target_group,
                job_prospect=job_prospect,
                education=education,
                on_positive_list=on_positive_list,
                planned_start=planned_start,
                planned_end=planned_end,
                place=place,
                financing=financing,
                first_contact_on=first_contact_on,
                note=note,
            )
        )
        return plan_id

    @command
    def start_scheme(
        self,
        plan: UUID,
        *,
        cpr: str,
        scheme: Scheme,
        on: date,
        provider: str,
        target_group: TargetGroup | None = None,
        override: str | None = None,
    ) -> None:
        """Record that the plan's citizen started `scheme`; refused with `NotEligible`
        unless the eligibility table admits it or `override` gives why it was granted."""
        self.handle(
            ed.StartScheme(
                plan=plan,
                cpr=cpr,
                scheme=scheme,
                on=on,
                provider=provider,
                target_group=target_group,
                override=override,
            )
        )

    @command
    def complete_scheme(self, plan: UUID, *, on: date) -> None:
        """Record that the plan's running scheme was completed."""
        self.handle(ed.CompleteScheme(plan=plan, on=on))

    @command
    def record_drop_out(self, plan: UUID, *, on: date, reason: DropOutReason) -> None:
        """Record that the citizen left the plan's running scheme early."""
        self.handle(ed.RecordDropOut(plan=plan, on=on, reason=reason))

    @command
    def hold_session(self, *, kind: SessionKind, on: date, place: str, ambassador: UUID) -> UUID:
        """Record drop-in hours or a booked guidance session; returns its id."""
        session_id: UUID = self.handle(
            ed.HoldSession(kind=kind, on=on, place=place, ambassador=ambassador)
        )
        return session_id

    @command
    def record_visit(self, session: UUID, *, plan: UUID | None = None, count: int = 1) -> None:
        """Record `count` anonymous visitors at a session, or the visit of the citizen of
        plan `plan` (a contact on their plan)."""
        self.handle(ed.RecordVisit(session=session, plan=plan, count=count))


class EducationQueries:
    """The education programme's reports on `Caseload`; each takes `as_known_at` (what
    the log knew at a moment) and `as_true_on` (the world as it stood on a day)."""

    if TYPE_CHECKING:  # defined by Queries and Caseload

        def read_model(
            self,
            model: type[ReadModel[S]],
            *,
            as_known_at: datetime | None = None,
            as_true_on: date | None = None,
        ) -> S: ...

        def today(self) -> date: ...

    def _education(
        self, as_known_at: datetime | None, as_true_on: date | None
    ) -> tuple[PlansState, TargetsState, SessionsState, date]:
        on = self.today() if as_true_on is None else check_date(as_true_on, "as_true_on")
        return (
            self.read_model(EducationPlansModel, as_known_at=as_known_at, as_true_on=as_true_on),
            self.read_model(EducationTargetsModel, as_known_at=as_known_at, as_true_on=as_true_on),
            self.read_model(SessionsModel, as_known_at=as_known_at, as_true_on=as_true_on),
            on,
        )

    def education_half_year(
        self,
        period: str,
        *,
        as_known_at: datetime | None = None,
        as_true_on: date | None = None,
    ) -> HalfYearStatus:
        """The half-year status ("2021H2") for the national agency: per target row, the
        targets and actual starts of each year of the programme, the share of the
        half-year's year, the activities and the overrides."""
        plans, targets, sessions, on = self._education(as_known_at, as_true_on)
        return status.half_year_status(plans, targets, sessions, period, on)

    def education_monthly(
        self,
        month: str,
        *,
        as_known_at: datetime | None = None,
        as_true_on: date | None = None,
    ) -> MonthlyStatus:
        """The monthly status ("2022-03") for management: starts in the month and the year
        to date against the target and its linear pace, and the rows behind it."""
        plans, targets, sessions, on = self._education(as_known_at, as_true_on)
        return status.monthly_status(plans, targets, sessions, month, on)

    def education_starts(
        self,
        grain: Grain = "month",
        *,
        as_known_at: datetime | None = None,
        as_true_on: date | None = None,
    ) -> tuple[StartCount, ...]:
        """Starts by month, half-year or year, scheme and target group."""
        plans, _targets, _sessions, on = self._education(as_known_at, as_true_on)
        return reports.starts_by(plans, grain, on)

    def education_endings(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> tuple[EndingCount, ...]:
        """Completions and drop-outs by month, scheme and target group."""
        plans, _targets, _sessions, on = self._education(as_known_at, as_true_on)
        return reports.endings(plans, on)

    def education_contact_to_start(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> tuple[ContactToStart, ...]:
        """Days from first contact to each start, per scheme."""
        plans, _targets, _sessions, on = self._education(as_known_at, as_true_on)
        return reports.contact_to_start(plans, on)

    def education_sessions(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> tuple[WeekActivity, ...]:
        """Drop-in and booked sessions and their visits per ISO week."""
        _plans, _targets, sessions, on = self._education(as_known_at, as_true_on)
        return reports.weekly_sessions(sessions, on)

    def education_history(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> tuple[HistoryPoint, ...]:
        """The history line: baseline years before the programme, then its own years."""
        plans, targets, _sessions, on = self._education(as_known_at, as_true_on)
        return reports.history(plans, targets, on)

    def education_target(
        self,
        scheme: Scheme,
        target_group: TargetGroup | Iterable[TargetGroup],
        year: int,
        *,
        as_known_at: datetime | None = None,
        as_true_on: date | None = None,
    ) -> TargetValue | None:
        """The target for a scheme, target group(s) and year as decided by `as_true_on`
        (today by default), as the log knew it at `as_known_at` (None: never decided)."""
        from caseload.programmes.education.domain.values import TargetRow, check_year

        row = TargetRow(scheme, target_group)
        check_year(year)
        _plans, targets, _sessions, on = self._education(as_known_at, as_true_on)
        return targets.target(row, year, on)

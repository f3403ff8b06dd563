"""The resource-pathway programme's commands as typed methods of `Caseload`.

Each method builds the command value (`caseload.commands`) and hands it to
`Caseload.handle`; a read-only session refuses it before its arguments are looked at.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from caseload.application.guard import command
from caseload.application.lazy import LazyModule
from caseload.domain.personal import PersonalData
from caseload.programmes.resource_pathway.domain.values import (
    CaseloadPolicy,
    Channel,
    ClosureReason,
    EmployerActivityKind,
    IndicatorSet,
    PathwayKind,
    PlacementKind,
    ReviewOutcome,
    Role,
)

if TYPE_CHECKING:
    from caseload.programmes.resource_pathway import commands as rp
else:
    # The commands are imported when a method first needs them.
    rp = LazyModule("caseload.programmes.resource_pathway.commands")

__all__ = ["ResourcePathwayCommands"]


class ResourcePathwayCommands:
    """The resource-pathway programme's command methods of `Caseload`."""

    if TYPE_CHECKING:  # defined by Caseload

        def _writable(self) -> None: ...

        def handle(self, command: object) -> Any: ...

    @command
    def configure_programme(
        self,
        *,
        name: str,
        on: date,
        pathway: PathwayKind = PathwayKind.RESOURCE_PATHWAY,
        indicators: IndicatorSet | None = None,
        limit_per_fte: int = 30,
    ) -> UUID:
        """Set up the store's resource-pathway programme once, before anything of it is
        recorded; returns its id (derived from its name)."""
        command = rp.ConfigureProgramme(
            name=name, on=on, pathway=pathway, indicators=indicators, limit_per_fte=limit_per_fte
        )
        programme_id: UUID = self.handle(command)
        return programme_id

    @command
    def set_caseload_policy(
        self,
        *,
        limit_per_fte: int,
        effective_from: date,
        name: str | None = None,
        on: date | None = None,
    ) -> CaseloadPolicy:
        """Set the caseload limit per full-time broker from `effective_from` on.

        `on` is the business date of the decision (today if omitted); `effective_from` may
        lie in the future. A policy lowered below a broker's caseload is recorded: it is
        management's decision, and the caseload report shows the breach it causes.
        """
        command = rp.SetCaseloadPolicy(
            limit_per_fte=limit_per_fte, effective_from=effective_from, name=name, on=on
        )
        policy: CaseloadPolicy = self.handle(command)
        return policy

    @command
    def register_broker(self, *, name: str, team: str, on: date, fte: Any = 1.0) -> UUID:
        """Register a broker in the programme; returns the broker's id."""
        broker_id: UUID = self.handle(rp.RegisterBroker(name=name, team=team, on=on, fte=fte))
        return broker_id

    @command
    def change_fte(self, broker: UUID, *, fte: Any, on: date) -> None:
        """Change a broker's FTE; refused if the new limit is below their caseload."""
        self.handle(rp.ChangeFte(broker=broker, fte=fte, on=on))

    @command
    def broker_left(self, broker: UUID, *, on: date) -> None:
        """Record that a broker left the programme; refused while they hold cases, and on a
        day before a contact they made (which the log would then show made after leaving)."""
        self.handle(rp.BrokerLeaves(broker=broker, on=on))

    @command
    def open_trajectory(
        self,
        *,
        cpr: str,
        on: date,
        pathway: PathwayKind = PathwayKind.RESOURCE_PATHWAY,
        personal: PersonalData | None = None,
    ) -> UUID:
        """Open a trajectory for the citizen with CPR number `cpr`; returns its id.

        Only a keyed pseudonym of the CPR number is stored. A citizen has at most one open
        trajectory at a time. `personal` (name, phone, address) is stored encrypted under
        the citizen's data key; it needs the application's master key.
        """
        trajectory_id: UUID = self.handle(
            rp.OpenTrajectory(cpr=cpr, on=on, pathway=pathway, personal=personal)
        )
        return trajectory_id

    @command
    def assign(self, trajectory: UUID, broker: UUID, *, on: date) -> None:
        """Give an unassigned trajectory to a broker, within the broker's limit."""
        self.handle(rp.Assign(trajectory=trajectory, broker=broker, on=on))

    @command
    def transfer(self, trajectory: UUID, *, to_broker: UUID, on: date) -> None:
        """Move a trajectory to another broker; both brokers and the case in one write."""
        self.handle(rp.Transfer(trajectory=trajectory, to_broker=to_broker, on=on))

    @command
    def close_trajectory(self, trajectory: UUID, *, on: date, reason: ClosureReason) -> None:
        """Close a trajectory; its broker's case is released in the same write."""
        self.handle(rp.CloseTrajectory(trajectory=trajectory, on=on, reason=reason))

    @command
    def record_contact(
        self,
        trajectory: UUID,
        *,
        on: date,
        roles: Role | Iterable[Role],
        channel: Channel,
        by: UUID,
        note: str | None = None,
    ) -> None:
        """Record a contact: the roles exercised (one or more), the channel, and by whom;
        `note` is stored encrypted under the citizen's data key (it needs the master key)."""
        self.handle(
            rp.RecordContact(
                trajectory=trajectory, on=on, roles=roles, channel=channel, by=by, note=note
            )
        )

    @command
    def record_progress(self, trajectory: UUID, *, on: date, scores: dict[str, int]) -> None:
        """Record scores on the programme's progression indicators."""
        self.handle(rp.RecordProgress(trajectory=trajectory, on=on, scores=scores))

    @command
    def record_job_placement(
        self,
        trajectory: UUID,
        *,
        on: date,
        kind: PlacementKind,
        hours_per_week: float | None = None,
    ) -> None:
        """Record a placement in an ordinary job (with paid hours), a flex job or education."""
        self.handle(
            rp.RecordJobPlacement(
                trajectory=trajectory, on=on, kind=kind, hours_per_week=hours_per_week
            )
        )

    @command
    def record_review(self, trajectory: UUID, *, on: date, outcome: ReviewOutcome) -> None:
        """Record the outcome of a management case review (sagssparring)."""
        self.handle(rp.RecordReview(trajectory=trajectory, on=on, outcome=outcome))

    @command
    def register_colleague(self, *, name: str, team: str, on: date) -> UUID:
        """Register a colleague (kollega) who makes contacts but holds no cases, such as the
        employment caseworker (beskæftigelsesfaglig medarbejder) who keeps the authority
        role while roles are split; returns their id. A colleague has no caseload, no limit
        and no FTE in staffing."""
        colleague_id: UUID = self.handle(rp.RegisterColleague(name=name, team=team, on=on))
        return colleague_id

    @command
    def colleague_left(self, colleague: UUID, *, on: date) -> None:
        """Record that a colleague stopped working with the programme's citizens; refused on
        a day before a contact they made (the log would then show it made after leaving)."""
        self.handle(rp.ColleagueLeaves(colleague=colleague, on=on))

    @command
    def record_employer_activity(
        self,
        trajectory: UUID,
        *,
        on: date,
        kind: EmployerActivityKind,
        ends_on: date | None = None,
    ) -> None:
        """Record an employer-directed activity (virksomhedsrettet indsats) that started on
        `on`: a company internship, a wage-subsidy job or another activity at a company.
        `ends_on` is its planned last day (it may lie ahead), None when open-ended."""
        self.handle(
            rp.RecordEmployerActivity(trajectory=trajectory, on=on, kind=kind, ends_on=ends_on)
        )

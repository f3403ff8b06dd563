"""The citizen aggregate (borger): known by pseudonym only, one open trajectory at a time."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from caseload.domain.copying import ImmutableMembers
from caseload.domain.errors import (
    CitizenErased,
    DateOutOfRange,
    ErasureRefused,
    TrajectoryAlreadyOpen,
)
from caseload.domain.events import event
from caseload.domain.personal import ErasureReason

__all__ = ["Citizen"]

_CITIZEN_NAMESPACE = UUID("0b6d4f0e-81a4-4c37-9d3c-2a7e51f0c8b9")


class Citizen(ImmutableMembers, Aggregate):
    """A citizen in the programme, keyed by pseudonym, guarding one open trajectory.

    Its id is derived from the pseudonym, so two writers opening a trajectory for the same
    citizen at once collide on this aggregate and the loser retries and is refused.
    """

    class Event(Aggregate.Event):
        """Base of citizen events: each carries the business date it happened."""

        occurred_on: date

    class Registered(Event, Aggregate.Created):
        """The citizen first appeared in the programme."""

        pseudonym: str

    class TrajectoryStarted(Event):
        """A trajectory opened for the citizen."""

        trajectory_id: UUID

    class TrajectoryEnded(Event):
        """The citizen's open trajectory closed."""

        trajectory_id: UUID

    class Erased(Event):
        """The citizen's personal data was erased: their data key was deleted, so every
        personal field sealed under it is unreadable, and their pseudonym is retired. The
        event holds no personal data: the reason is one of a closed list."""

        reason: ErasureReason

    erased_on: date | None = None
    """The day the citizen's personal data was erased (None while it is kept); a class
    default, so that snapshots taken before erasure existed read as not erased."""

    @staticmethod
    def create_id(pseudonym: str) -> UUID:
        """The citizen's aggregate id, derived from the pseudonym."""
        return uuid5(_CITIZEN_NAMESPACE, pseudonym)

    @event(Registered)
    def __init__(self, pseudonym: str, occurred_on: date) -> None:
        self.pseudonym = pseudonym
        self.open_trajectory: UUID | None = None
        self.trajectories: list[UUID] = []
        self.last_closed_on: date | None = None

    def start_trajectory(self, trajectory_id: UUID, on: date) -> None:
        """Take a new trajectory, unless one is still open."""
        self.check_can_start(on)
        self._trajectory_started(trajectory_id=trajectory_id, occurred_on=on)

    def check_retired(self) -> None:
        """Refuse anything new for a citizen whose personal data was erased."""
        if self.erased_on is not None:
            raise CitizenErased(
                f"this citizen's personal data was erased on {self.erased_on}: their "
                "pseudonym is retired, and nothing new is recorded for them"
            )

    def check_can_start(self, on: date) -> None:
        """Refuse a new trajectory on `on` (checked before any personal data is sealed)."""
        self.check_retired()
        if self.open_trajectory is not None:
            raise TrajectoryAlreadyOpen(
                f"this citizen already has open trajectory {self.open_trajectory}; "
                "a citizen has at most 1 open trajectory in the programme"
            )
        if self.last_closed_on is not None and on < self.last_closed_on:
            raise DateOutOfRange(
                f"cannot open a trajectory on {on}: this citizen's previous trajectory closed "
                f"on {self.last_closed_on}, and trajectories of one citizen may not overlap"
            )

    @event(TrajectoryStarted)
    def _trajectory_started(self, trajectory_id: UUID, occurred_on: date) -> None:
        self.open_trajectory = trajectory_id
        self.trajectories.append(trajectory_id)

    def end_trajectory(self, trajectory_id: UUID, on: date) -> None:
        """The open trajectory closed."""
        self._trajectory_ended(trajectory_id=trajectory_id, occurred_on=on)

    @event(TrajectoryEnded)
    def _trajectory_ended(self, trajectory_id: UUID, occurred_on: date) -> None:
        if self.open_trajectory == trajectory_id:
            self.open_trajectory = None
        self.last_closed_on = occurred_on

    def erase(self, reason: ErasureReason, on: date) -> None:
        """Record the erasure of the citizen's personal data; refused while a trajectory
        of theirs is open, and before their last trajectory closed."""
        self.check_retired()
        if self.open_trajectory is not None:
            raise ErasureRefused(
                f"this citizen's trajectory {self.open_trajectory} is open: close it "
                "before erasing the citizen's personal data"
            )
        if self.last_closed_on is not None and on < self.last_closed_on:
            raise DateOutOfRange(
                f"cannot erase on {on}: this citizen's last trajectory closed later, on "
                f"{self.last_closed_on}"
            )
        self._erased(reason=reason, occurred_on=on)

    @event(Erased)
    def _erased(self, reason: ErasureReason, occurred_on: date) -> None:
        self.erased_on = occurred_on

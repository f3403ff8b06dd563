"""The citizen aggregate (borger): known by pseudonym only, one open trajectory at a time."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from caseload.domain.copying import ImmutableMembers
from caseload.domain.errors import DateOutOfRange, TrajectoryAlreadyOpen

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
        self._trajectory_started(trajectory_id=trajectory_id, occurred_on=on)

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

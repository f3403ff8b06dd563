"""Rules about citizens: one open trajectory at a time, and trajectories that do not overlap.

A citizen is followed through the trajectories' own events (`Trajectory.Opened` carries the
citizen's pseudonym), which `trajectory_life` hands on here when a trajectory opens or
closes; the citizen aggregate's events repeat those facts and are not checked again.
"""

from __future__ import annotations

from uuid import UUID

from caseload.audit.rules import Cause, RuleFamily
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.programmes.resource_pathway.rules.state import (
    CitizenState,
    PathwayState,
    TrajectoryState,
    d,
)

__all__ = ["CITIZENS", "closed", "opened"]


def opened(check: PathwayState, cause: Cause, event: Trajectory.Opened, day: int) -> None:
    """A new trajectory (not a second opening of one) for the citizen it names."""
    case_id = event.originator_id
    citizen = check.citizens.get(event.citizen)
    if citizen is None:
        check.citizens[event.citizen] = CitizenState(case_id)
        return
    if citizen.open_trajectory is not None:
        check.report(
            "one-open-trajectory",
            cause,
            day,
            None,
            f"one-open-trajectory: trajectory {case_id} opened on {d(day)} for a "
            f"citizen whose trajectory {citizen.open_trajectory} is open",
        )
    elif citizen.last_closed_on is not None and day < citizen.last_closed_on:
        check.report(
            "one-open-trajectory",
            cause,
            day,
            None,
            f"one-open-trajectory: trajectory {case_id} opened on {d(day)} for a "
            f"citizen whose previous trajectory closed later, on "
            f"{d(citizen.last_closed_on)}",
        )
    citizen.open_trajectory = case_id


def closed(check: PathwayState, case_id: UUID, case: TrajectoryState, day: int) -> None:
    """The citizen's trajectory `case_id` closed on `day` (its first closure)."""
    citizen = check.citizens[case.citizen]
    if citizen.open_trajectory == case_id:
        citizen.open_trajectory = None
    citizen.last_closed_on = max(citizen.last_closed_on or day, day)


CITIZENS = RuleFamily(
    "citizens",
    rules={
        "one-open-trajectory": "a citizen has at most one open trajectory, and a citizen's "
        "trajectories do not overlap",
    },
    handlers={},
)
"""The citizens' rule; checked from trajectory events (see the module's docstring)."""

"""Which tables of the evaluator dataset each resource-pathway event class is read into.

`export_fold.fold_dataset` dispatches on event classes in several places (the caseload
and outcomes read models it reuses, and its own `match`), so this table states the outcome
for every class, an empty tuple saying explicitly that a class is not exported. The
registry's tests hold it to the fold: leaving a class's events out of a log changes no
table it does not name. Besides, every dated event that does not hold on every day moves the
dataset's reference date, up to which `monthly_caseload` and `after_exit` are counted.
"""

from __future__ import annotations

import types
from collections.abc import Mapping

from eventsourcing.domain import DomainEvent

from caseload.programmes.resource_pathway.domain.broker import Broker
from caseload.programmes.resource_pathway.domain.citizen import Citizen
from caseload.programmes.resource_pathway.domain.colleague import Colleague
from caseload.programmes.resource_pathway.domain.programme import Programme
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

__all__ = ["EXPORTED"]

EXPORTED: Mapping[type[DomainEvent], tuple[str, ...]] = types.MappingProxyType(
    {
        # The policy in force gives monthly_caseload its case_limit and policy columns.
        Programme.Configured: ("monthly_caseload",),
        Programme.PolicyChanged: ("monthly_caseload",),
        # The programme's list of brokers repeats Broker.Registered.
        Programme.BrokerJoined: (),
        # The check value of the store's pseudonym key is no evaluator's business.
        Programme.PseudonymKeyRegistered: (),
        Broker.Registered: ("brokers", "monthly_caseload"),
        Broker.CaseAssigned: ("monthly_caseload",),
        Broker.CaseReleased: ("monthly_caseload",),
        Broker.FteChanged: ("brokers", "monthly_caseload"),
        Broker.Left: ("brokers",),
        # A notice of the programme's PolicyChanged, which is exported.
        Broker.LimitChanged: (),
        Trajectory.Opened: ("trajectories", "after_exit"),
        Trajectory.Assigned: ("assignments",),
        Trajectory.Transferred: ("assignments",),
        # A contact by a colleague names them in contacts.colleague_id.
        Trajectory.ContactRecorded: ("contacts",),
        Trajectory.EmployerActivityStarted: ("employer_activities",),
        Colleague.Registered: ("colleagues", "contacts"),
        Colleague.Left: ("colleagues",),
        Trajectory.ProgressMeasured: ("progression",),
        Trajectory.JobPlaced: ("placements",),
        Trajectory.Reviewed: ("reviews",),
        Trajectory.Closed: ("trajectories", "assignments", "closures", "after_exit"),
        # A citizen is exported through the trajectories' keyed citizen_id; the citizen
        # aggregate's own events repeat what the trajectories say.
        Citizen.Registered: (),
        Citizen.TrajectoryStarted: (),
        Citizen.TrajectoryEnded: (),
        # An erasure is the auditor's business, not the evaluator's: the evaluator's
        # tables hold no personal data to erase.
        Citizen.Erased: (),
    }
)
"""Per event class, the dataset tables it is read into; `()` means explicitly not exported."""

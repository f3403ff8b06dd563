"""Which tables of the evaluator dataset each education event class is read into.

`export_tables.EducationFold` dispatches on event classes; this table states the outcome
for every class, an empty tuple saying explicitly that a class is not exported.
"""

from __future__ import annotations

import types
from collections.abc import Mapping

from eventsourcing.domain import DomainEvent

from caseload.programmes.education.domain.ambassador import Ambassador
from caseload.programmes.education.domain.plan import EducationPlan
from caseload.programmes.education.domain.programme import EducationProgramme
from caseload.programmes.education.domain.session import GuidanceSession

__all__ = ["EXPORTED"]

EXPORTED: Mapping[type[DomainEvent], tuple[str, ...]] = types.MappingProxyType(
    {
        # The period and the eligibility table are configuration: the starts carry the rule
        # each was admitted by, and the targets table the decisions.
        EducationProgramme.Configured: (),
        EducationProgramme.EligibilityReplaced: (),
        EducationProgramme.TargetSet: ("education_targets",),
        EducationProgramme.BaselineRecorded: ("education_history",),
        # The check value of the store's pseudonym key is no evaluator's business.
        EducationProgramme.PseudonymKeyRegistered: (),
        Ambassador.Registered: ("education_ambassadors",),
        Ambassador.Left: ("education_ambassadors",),
        EducationPlan.Drafted: ("education_plans",),
        # A start numbers the completions and drop-outs that end it.
        EducationPlan.SchemeStarted: (
            "education_starts",
            "education_completions",
            "education_drop_outs",
        ),
        EducationPlan.SchemeCompleted: ("education_completions",),
        EducationPlan.DroppedOut: ("education_drop_outs",),
        # A contact is exported as the visit it agrees with (education_visits).
        EducationPlan.ContactRecorded: (),
        GuidanceSession.Held: ("education_sessions",),
        GuidanceSession.VisitRecorded: ("education_visits", "education_sessions"),
    }
)

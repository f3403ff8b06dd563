"""Education plans and their scheme starts, completions and drop-outs, folded from the log."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
from eventsourcing.domain import DomainEvent

from caseload.programmes.education.domain.values import DropOutReason, Scheme, TargetGroup
from caseload.projections.base import Entries, Handler, ReadModel, day, hex_of, uid
from caseload.projections.entities import EntityMap, as_entity_map
from caseload.projections.stored_entries import entities

if TYPE_CHECKING:
    from caseload.programmes.education.domain.plan import EducationPlan

__all__ = [
    "EducationPlansModel",
    "Ending",
    "PlanRecord",
    "PlansState",
    "StartRecord",
    "project_plans",
]


class Ending(enum.Enum):
    """How a started scheme ended."""

    COMPLETED = "completed"
    DROPPED_OUT = "dropped_out"


@attrs.define
class StartRecord:
    """One scheme started on a plan, and how it ended (if it has)."""

    scheme: Scheme
    group: TargetGroup
    started_on: date
    rule: str | None
    """The eligibility rule that admitted it (None for an override)."""
    override: str | None
    """The reason recorded for an override (None when a rule admitted it)."""
    ended_on: date | None = None
    ending: Ending | None = None
    reason: DropOutReason | None = None


@attrs.define
class PlanRecord:
    """What the read model keeps of one plan (no pseudonym, no free text)."""

    drafted_on: date
    first_contact_on: date
    group: TargetGroup
    ambassador: UUID
    contacts: int = 0
    starts: list[StartRecord] = attrs.Factory(list)


@attrs.define
class PlansState:
    """Every plan by id."""

    plans: dict[UUID, PlanRecord] = attrs.field(factory=EntityMap, converter=as_entity_map)

    def starts(self) -> Iterable[tuple[UUID, PlanRecord, StartRecord]]:
        """Every start with its plan, in plan id order then start order."""
        for plan_id in sorted(self.plans):
            plan = self.plans[plan_id]
            for start in plan.starts:
                yield plan_id, plan, start


def _drafted(state: PlansState, event: EducationPlan.Drafted) -> None:
    state.plans[event.originator_id] = PlanRecord(
        drafted_on=event.occurred_on,
        first_contact_on=event.first_contact_on,
        group=event.target_group,
        ambassador=event.ambassador_id,
    )


def _started(state: PlansState, event: EducationPlan.SchemeStarted) -> None:
    state.plans[event.originator_id].starts.append(
        StartRecord(
            scheme=event.scheme,
            group=event.target_group,
            started_on=event.occurred_on,
            rule=event.rule,
            override=event.override,
        )
    )


def _completed(state: PlansState, event: EducationPlan.SchemeCompleted) -> None:
    start = state.plans[event.originator_id].starts[-1]
    start.ended_on, start.ending = event.occurred_on, Ending.COMPLETED


def _dropped_out(state: PlansState, event: EducationPlan.DroppedOut) -> None:
    start = state.plans[event.originator_id].starts[-1]
    start.ended_on, start.ending, start.reason = event.occurred_on, Ending.DROPPED_OUT, event.reason


def _contacted(state: PlansState, event: EducationPlan.ContactRecorded) -> None:
    # A contact may be dated before the plan was drafted (from its first contact on); as
    # true on a day between the two, the plan does not exist yet, and neither does it count.
    plan = state.plans.get(event.originator_id)
    if plan is not None:
        plan.contacts += 1


def _encode_start(start: StartRecord) -> Any:
    return [
        start.scheme,
        start.group,
        start.started_on,
        start.rule,
        start.override,
        start.ended_on,
        start.ending,
        start.reason,
    ]


def _decode_start(data: Any) -> StartRecord:
    scheme, group, started, rule, override, ended, ending, reason = data
    return StartRecord(
        scheme=Scheme(scheme),
        group=TargetGroup(group),
        started_on=date.fromisoformat(started),
        rule=rule,
        override=override,
        ended_on=day(ended),
        ending=None if ending is None else Ending(ending),
        reason=None if reason is None else DropOutReason(reason),
    )


def _encode_plan(plan: PlanRecord) -> Any:
    return [
        plan.drafted_on,
        plan.first_contact_on,
        plan.group,
        hex_of(plan.ambassador),
        plan.contacts,
        [_encode_start(start) for start in plan.starts],
    ]


def _decode_plan(data: Any) -> PlanRecord:
    drafted, first, group, ambassador, contacts, starts = data
    return PlanRecord(
        drafted_on=date.fromisoformat(drafted),
        first_contact_on=date.fromisoformat(first),
        group=TargetGroup(group),
        ambassador=uid(ambassador),
        contacts=int(contacts),
        starts=[_decode_start(start) for start in starts],
    )


class EducationPlansModel(ReadModel[PlansState]):
    """The education plans read model: plans, starts, completions, drop-outs, contacts."""

    name = "education_plans"
    version = 1

    def initial(self) -> PlansState:
        return PlansState()

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        # The aggregate is imported when events are first folded: reading a stored
        # state needs none of it.
        from caseload.programmes.education.domain.plan import EducationPlan

        return {
            EducationPlan.Drafted: _drafted,
            EducationPlan.SchemeStarted: _started,
            EducationPlan.SchemeCompleted: _completed,
            EducationPlan.DroppedOut: _dropped_out,
            EducationPlan.ContactRecorded: _contacted,
        }

    def encode(self, state: PlansState) -> Any:
        return {"plans": Entries(state.plans, hex_of, _encode_plan)}

    def decode(self, data: Any) -> PlansState:
        return PlansState(plans=entities(data["plans"], uid, _decode_plan))


def project_plans(events: Iterable[DomainEvent], *, as_true_on: date | None = None) -> PlansState:
    """Fold events into a plans state, keeping only facts true on `as_true_on` if given."""
    return EducationPlansModel().project(events, as_true_on=as_true_on)

"""One handler per education command: load, ask the domain, save in one write.

Each handler runs inside a unit of work that the application retries on fresh state when
another writer got there first, so a handler keeps nothing between runs.
"""

from __future__ import annotations

import hmac
from datetime import date
from uuid import UUID

from caseload.domain.errors import (
    ConfigurationError,
    InvalidCitizenId,
    PlanAlreadyDrafted,
    ProgrammeAlreadyConfigured,
    UnknownAmbassador,
    UnknownPlan,
    UnknownSession,
)
from caseload.domain.identity import birth_date, normalise_cpr, pseudonym_key_check, pseudonymise
from caseload.domain.personal import PLAN_NOTE
from caseload.programmes.education.commands import (
    AmbassadorLeaves,
    CompleteScheme,
    ConfigureEducationProgramme,
    DraftEducationPlan,
    HoldSession,
    RecordBaseline,
    RecordDropOut,
    RecordVisit,
    RegisterAmbassador,
    ReplaceEligibility,
    SetTarget,
    StartScheme,
)
from caseload.programmes.education.domain.ambassador import Ambassador
from caseload.programmes.education.domain.eligibility import age_on
from caseload.programmes.education.domain.plan import EducationPlan
from caseload.programmes.education.domain.programme import EducationProgramme
from caseload.programmes.education.domain.session import GuidanceSession
from caseload.programmes.education.domain.values import GroupSizes
from caseload.programmes.kind import Handler, UnitOfWork
from caseload.programmes.resource_pathway.domain.citizen import Citizen
from caseload.programmes.resource_pathway.domain.programme import Programme

__all__ = ["HANDLERS", "education_programme_of"]


def education_programme_of(uow: UnitOfWork) -> EducationProgramme:
    """The store's education programme; `ConfigurationError` when none is configured (its
    period and targets cannot be guessed)."""
    programme_id = uow.programme_id(EducationProgramme)
    if programme_id is None:
        raise ConfigurationError(
            f"{uow.store} has no education programme yet: configure it first "
            "(configure_education_programme), with its period"
        )
    return uow.load(EducationProgramme, programme_id, ConfigurationError)


def _ambassador(uow: UnitOfWork, ambassador_id: UUID) -> Ambassador:
    return uow.load(Ambassador, ambassador_id, UnknownAmbassador)


def _plan(uow: UnitOfWork, plan_id: UUID) -> EducationPlan:
    return uow.load(EducationPlan, plan_id, UnknownPlan)


def configure(command: ConfigureEducationProgramme, uow: UnitOfWork) -> UUID:
    """Set up the store's education programme; refused once one exists."""
    day = uow.business_date(command.on)
    existing = uow.programme_id(EducationProgramme)
    if existing is not None:
        raise ProgrammeAlreadyConfigured(
            f"{uow.store} already holds an education programme ({existing}); a store holds one "
            "programme of each kind, configured once (targets and eligibility change through "
            "their own commands)"
        )
    programme = EducationProgramme(
        name=command.name,
        period_start=command.period_start,
        period_end=command.period_end,
        group_sizes=GroupSizes(command.group_sizes),
        eligibility=command.eligibility,
        occurred_on=day,
    )
    uow.save(programme)
    return programme.id


def replace_eligibility(command: ReplaceEligibility, uow: UnitOfWork) -> None:
    """Check later starts against another table."""
    day = uow.business_date(command.on)
    programme = education_programme_of(uow)
    programme.replace_eligibility(command.eligibility, day)
    uow.save(programme)


def set_target(command: SetTarget, uow: UnitOfWork) -> None:
    """Record a target decision."""
    day = uow.business_date(command.on)
    programme = education_programme_of(uow)
    programme.set_target(command.row, command.year, command.count, day)
    uow.save(programme)


def record_baseline(command: RecordBaseline, uow: UnitOfWork) -> None:
    """Record the yearly counts from before the programme."""
    day = uow.business_date(command.on)
    programme = education_programme_of(uow)
    programme.record_baseline(command.counts, command.source, day)
    uow.save(programme)


def register_ambassador(command: RegisterAmbassador, uow: UnitOfWork) -> UUID:
    """Register an ambassador; returns their id."""
    day = uow.business_date(command.on)
    ambassador = Ambassador(name=command.name, team=command.team, occurred_on=day)
    uow.save(ambassador)
    return ambassador.id


def ambassador_leaves(command: AmbassadorLeaves, uow: UnitOfWork) -> None:
    """An ambassador leaves, not before the latest plan they drafted or session they held."""
    day = uow.business_date(command.on)
    ambassador = _ambassador(uow, command.ambassador)
    needle = ambassador.id.hex
    # Neither kind of act is heard by the ambassador aggregate, so the log is searched,
    # inside the database; leaving is rare.
    acts = [
        found.occurred_on
        for kind in (GuidanceSession.Held, EducationPlan.Drafted)
        for found in uow.events_containing(kind, needle)
        if isinstance(found, GuidanceSession.Held | EducationPlan.Drafted)
        and found.ambassador_id == ambassador.id
    ]
    ambassador.leave(day, max(acts, default=None))
    uow.save(ambassador)


def _check_key(uow: UnitOfWork, programme: EducationProgramme, day: date) -> None:
    """Pin the pseudonym key on the programme, and refuse a key other than the one either
    programme of the store made its pseudonyms with: a citizen in both programmes must have
    one pseudonym."""
    check = pseudonym_key_check(uow.pseudonym_key)
    if programme.key_check is None:
        programme.register_key(check, day)
    elif not hmac.compare_digest(programme.key_check, check):
        raise ConfigurationError(
            f"the pseudonym key differs from the one {uow.store} made its education "
            "pseudonyms with; with it, the same citizen would get a second identity"
        )
    other = uow.programme_id(Programme)
    if other is not None:
        pathway = uow.load(Programme, other, ConfigurationError)
        if pathway.key_check is not None and not hmac.compare_digest(pathway.key_check, check):
            raise ConfigurationError(
                f"the pseudonym key differs from the one {uow.store} made its resource-pathway "
                "pseudonyms with; a citizen in both programmes must have one pseudonym"
            )


def _pseudonym(uow: UnitOfWork, cpr: str) -> tuple[str, date]:
    """The citizen's pseudonym and birth date (never stored) from a CPR number."""
    born = birth_date(normalise_cpr(cpr))
    if born > uow.today():
        raise InvalidCitizenId("a CPR number cannot encode a birth date after today")
    return pseudonymise(cpr, uow.pseudonym_key), born


def draft_plan(command: DraftEducationPlan, uow: UnitOfWork) -> UUID:
    """Draft a citizen's plan (by keyed pseudonym only); one per citizen."""
    day = uow.business_date(command.on)
    pseudonym, _born = _pseudonym(uow, command.cpr)
    programme = education_programme_of(uow)
    _check_key(uow, programme, day)
    ambassador = _ambassador(uow, command.ambassador)
    ambassador.check_can_act(day, "draft an education plan")
    existing = uow.find(EducationPlan.create_id(pseudonym))
    if existing is not None:
        raise PlanAlreadyDrafted(
            f"this citizen has education plan {existing.id} already; a citizen has 1 plan in "
            "the programme"
        )
    citizen = uow.find(Citizen.create_id(pseudonym))
    if isinstance(citizen, Citizen):
        citizen.check_retired()
    note = None if command.note is None else uow.seal_personal(pseudonym, PLAN_NOTE, command.note)
    plan = EducationPlan(
        citizen=pseudonym,
        ambassador_id=ambassador.id,
        target_group=command.target_group,
        job_prospect=command.job_prospect,
        education=command.education,
        on_positive_list=command.on_positive_list,
        planned_start=command.planned_start,
        planned_end=command.planned_end,
        place=command.place,
        financing=command.financing,
        first_contact_on=command.first_contact_on or day,
        note=note,
        occurred_on=day,
    )
    uow.save(programme, plan)
    return plan.id


def start_scheme(command: StartScheme, uow: UnitOfWork) -> None:
    """Start a scheme on a plan, checked against the programme's eligibility table."""
    day = uow.business_date(command.on)
    plan = _plan(uow, command.plan)
    pseudonym, born = _pseudonym(uow, command.cpr)
    if not hmac.compare_digest(pseudonym, plan.citizen):
        raise InvalidCitizenId(f"the CPR number given is not that of plan {plan.id}'s citizen")
    programme = education_programme_of(uow)
    plan.start(
        scheme=command.scheme,
        target_group=command.target_group or plan.target_group,
        age=age_on(born, day),
        provider=command.provider,
        on=day,
        table=programme.eligibility,
        override=command.override,
    )
    uow.save(plan)


def complete_scheme(command: CompleteScheme, uow: UnitOfWork) -> None:
    """The running scheme was completed."""
    day = uow.business_date(command.on)
    plan = _plan(uow, command.plan)
    plan.complete(day)
    uow.save(plan)


def record_drop_out(command: RecordDropOut, uow: UnitOfWork) -> None:
    """The citizen left the running scheme."""
    day = uow.business_date(command.on)
    plan = _plan(uow, command.plan)
    plan.drop_out(command.reason, day)
    uow.save(plan)


def hold_session(command: HoldSession, uow: UnitOfWork) -> UUID:
    """An ambassador in service held a session; returns its id."""
    day = uow.business_date(command.on)
    ambassador = _ambassador(uow, command.ambassador)
    ambassador.check_can_act(day, "hold a session")
    session = GuidanceSession(
        kind=command.kind, place=command.place, ambassador_id=ambassador.id, occurred_on=day
    )
    uow.save(session)
    return session.id


def record_visit(command: RecordVisit, uow: UnitOfWork) -> None:
    """Visitors at a session; a known citizen's visit is a contact on their plan, saved in
    the same write."""
    session = uow.load(GuidanceSession, command.session, UnknownSession)
    if command.plan is None:
        session.record_visit(None, command.count)
        uow.save(session)
        return
    plan = _plan(uow, command.plan)
    session.record_visit(plan.id, command.count)
    plan.record_contact(session.id, session.kind, session.ambassador_id, session.held_on)
    uow.save(session, plan)


HANDLERS: dict[type, Handler] = {
    ConfigureEducationProgramme: configure,
    ReplaceEligibility: replace_eligibility,
    SetTarget: set_target,
    RecordBaseline: record_baseline,
    RegisterAmbassador: register_ambassador,
    AmbassadorLeaves: ambassador_leaves,
    DraftEducationPlan: draft_plan,
    StartScheme: start_scheme,
    CompleteScheme: complete_scheme,
    RecordDropOut: record_drop_out,
    HoldSession: hold_session,
    RecordVisit: record_visit,
}
"""Every education command class, with the function that runs it."""

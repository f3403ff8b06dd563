"""One handler per resource-pathway command: load, ask the domain, save in one write.

Each handler runs inside a unit of work that the application retries on fresh state when
another writer got there first, so a handler keeps nothing between runs.
"""

from __future__ import annotations

import hmac
from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate

from caseload.domain.errors import (
    ConfigurationError,
    DateOutOfRange,
    InvalidCitizenId,
    NotInProgramme,
    ProgrammeAlreadyConfigured,
    UnknownBroker,
    UnknownColleague,
    UnknownTrajectory,
)
from caseload.domain.identity import birth_date, normalise_cpr, pseudonym_key_check, pseudonymise
from caseload.domain.personal import CONTACT_NOTE, PERSONAL
from caseload.programmes.kind import Handler, UnitOfWork
from caseload.programmes.resource_pathway.commands import (
    Assign,
    BrokerLeaves,
    ChangeFte,
    CloseTrajectory,
    ColleagueLeaves,
    ConfigureProgramme,
    ForgetCitizen,
    OpenTrajectory,
    RecordContact,
    RecordEmployerActivity,
    RecordJobPlacement,
    RecordProgress,
    RecordReview,
    RegisterBroker,
    RegisterColleague,
    SetCaseloadPolicy,
    Transfer,
)
from caseload.programmes.resource_pathway.domain.broker import Broker
from caseload.programmes.resource_pathway.domain.citizen import Citizen
from caseload.programmes.resource_pathway.domain.colleague import Colleague
from caseload.programmes.resource_pathway.domain.programme import (
    DEFAULT_POLICY,
    DEFAULT_PROGRAMME_NAME,
    Programme,
)
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory, validated_scores
from caseload.programmes.resource_pathway.domain.values import (
    CaseloadPolicy,
    IndicatorSet,
    PathwayKind,
)

__all__ = ["HANDLERS", "programme_of"]


def programme_of(uow: UnitOfWork) -> Programme:
    """The store's resource-pathway programme; a default one, saved with the command that
    first needs it, when none is configured yet."""
    programme_id = uow.programme_id(Programme)
    if programme_id is None:
        return Programme(
            name=DEFAULT_PROGRAMME_NAME,
            pathway=PathwayKind.RESOURCE_PATHWAY,
            indicators=IndicatorSet(),
            policy=DEFAULT_POLICY,
            occurred_on=uow.today(),
        )
    return uow.load(Programme, programme_id, ConfigurationError)


def _broker(uow: UnitOfWork, broker_id: UUID) -> Broker:
    return uow.load(Broker, broker_id, UnknownBroker)


def _trajectory(uow: UnitOfWork, trajectory_id: UUID) -> Trajectory:
    return uow.load(Trajectory, trajectory_id, UnknownTrajectory)


def configure_programme(command: ConfigureProgramme, uow: UnitOfWork) -> UUID:
    """Set up the store's resource-pathway programme; refused once one exists."""
    day = uow.business_date(command.on)
    existing = uow.programme_id(Programme)
    if existing is not None:
        raise ProgrammeAlreadyConfigured(
            f"{uow.store} already holds a resource-pathway programme ({existing}); one is "
            "configured once, before anything else of it is recorded (a store holds one "
            "programme of each kind; change the limit with set_caseload_policy)"
        )
    programme = Programme(
        name=command.name,
        pathway=command.pathway,
        indicators=command.indicators,
        policy=CaseloadPolicy(
            effective_from=date.min, limit_per_fte=command.limit_per_fte, name="default"
        ),
        occurred_on=day,
    )
    uow.save(programme)
    return programme.id


def set_caseload_policy(command: SetCaseloadPolicy, uow: UnitOfWork) -> CaseloadPolicy:
    """Record a dated policy; every broker hears of it in the same write, so an assignment
    that read the old policy conflicts with it and is retried on the new one."""
    policy = command.policy
    day = uow.business_date(uow.today() if command.on is None else command.on)
    programme = programme_of(uow)
    programme.change_policy(policy, day, uow.today())
    brokers = [_broker(uow, broker_id) for broker_id in programme.brokers]
    for broker in brokers:
        if broker.left_on is None:
            broker.note_policy(policy, day)
    uow.save(programme, *brokers)
    return policy


def register_broker(command: RegisterBroker, uow: UnitOfWork) -> UUID:
    """Register a broker in the programme; returns the broker's id."""
    day = uow.business_date(command.on)
    programme = programme_of(uow)
    broker = Broker(
        name=command.name,
        team=command.team,
        fte=command.fte,
        pathway=programme.pathway,
        occurred_on=day,
    )
    programme.add_broker(broker.id, day)
    uow.save(programme, broker)
    return broker.id


def change_fte(command: ChangeFte, uow: UnitOfWork) -> None:
    """Change a broker's FTE within every limit in force from that day on."""
    day = uow.business_date(command.on)
    programme = programme_of(uow)
    broker = _broker(uow, command.broker)
    broker.change_fte(command.fte, day, programme.strictest_from(day, command.fte))
    uow.save(programme, broker)


def broker_leaves(command: BrokerLeaves, uow: UnitOfWork) -> None:
    """A broker leaves: refused while they hold cases, or before a contact they made."""
    day = uow.business_date(command.on)
    latest = _latest_contact_by(uow, command.broker)
    if latest is not None and latest > day:
        raise DateOutOfRange(
            f"broker {command.broker} made a contact on {latest}, after {day}; "
            "they cannot have left before it"
        )
    broker = _broker(uow, command.broker)
    broker.leave(day)
    uow.save(broker)


def _latest_contact_by(uow: UnitOfWork, broker_id: UUID) -> date | None:
    # The broker aggregate does not hear of contacts (they are facts of trajectories), so
    # the log is searched, inside the database; leaving is rare.
    days = [
        contact.occurred_on
        for contact in uow.events_containing(Trajectory.ContactRecorded, broker_id.hex)
        if isinstance(contact, Trajectory.ContactRecorded) and contact.by == broker_id
    ]
    return max(days, default=None)


def open_trajectory(command: OpenTrajectory, uow: UnitOfWork) -> UUID:
    """Open a trajectory for a citizen (by keyed pseudonym only); one open at a time."""
    day = uow.business_date(command.on)
    key = uow.pseudonym_key
    if birth_date(normalise_cpr(command.cpr)) > uow.today():
        raise InvalidCitizenId("a CPR number cannot encode a birth date after today")
    pseudonym = pseudonymise(command.cpr, key)
    check = pseudonym_key_check(key)
    programme = programme_of(uow)
    if programme.key_check is None:
        programme.register_key(check, day)
    elif not hmac.compare_digest(programme.key_check, check):
        raise ConfigurationError(
            f"the pseudonym key differs from the one {uow.store} made its pseudonyms "
            "with; with it, the same citizen would get a second identity"
        )
    citizen = uow.find(Citizen.create_id(pseudonym))
    if not isinstance(citizen, Citizen):
        citizen = Citizen(pseudonym=pseudonym, occurred_on=day)
    # Checked before anything is sealed: a refused opening makes no data key.
    citizen.check_can_start(day)
    personal = (
        None
        if command.personal is None
        else uow.seal_personal(pseudonym, PERSONAL, command.personal.as_json())
    )
    trajectory = Trajectory(
        citizen=pseudonym, pathway=command.pathway, personal=personal, occurred_on=day
    )
    citizen.start_trajectory(trajectory.id, day)
    uow.save(programme, citizen, trajectory)
    return trajectory.id


def assign(command: Assign, uow: UnitOfWork) -> None:
    """Give an unassigned trajectory to a broker, within every limit from that day on."""
    day = uow.business_date(command.on)
    programme = programme_of(uow)
    case = _trajectory(uow, command.trajectory)
    holder = _broker(uow, command.broker)
    case.assign(holder.id, day)
    holder.assign(case.id, case.pathway, day, programme.strictest_from(day, holder.fte))
    uow.save(programme, case, holder)


def transfer(command: Transfer, uow: UnitOfWork) -> None:
    """Move a trajectory to another broker; both brokers and the case in one write."""
    day = uow.business_date(command.on)
    programme = programme_of(uow)
    case = _trajectory(uow, command.trajectory)
    receiver = _broker(uow, command.to_broker)
    giver = _broker(uow, case.transfer(receiver.id, day))
    giver.release(case.id, day)
    receiver.assign(case.id, case.pathway, day, programme.strictest_from(day, receiver.fte))
    uow.save(programme, case, giver, receiver)


def close_trajectory(command: CloseTrajectory, uow: UnitOfWork) -> None:
    """Close a trajectory; its broker's case is released in the same write."""
    day = uow.business_date(command.on)
    case = _trajectory(uow, command.trajectory)
    holder_id = case.close(command.reason, day)
    citizen = uow.load(Citizen, Citizen.create_id(case.citizen), UnknownTrajectory)
    citizen.end_trajectory(case.id, day)
    changed: list[Aggregate] = [case, citizen]
    if holder_id is not None:
        holder = _broker(uow, holder_id)
        holder.release(case.id, day)
        changed.append(holder)
    uow.save(*changed)


def record_contact(command: RecordContact, uow: UnitOfWork) -> None:
    """A contact by a broker of the programme or a colleague without a caseload, within
    the time they served in it."""
    day = uow.business_date(command.on)
    case = _trajectory(uow, command.trajectory)
    actor = uow.find(command.by)
    if isinstance(actor, Colleague):
        actor.check_in_service(day, "record a contact by them")
    elif isinstance(actor, Broker):
        actor.check_can_make_contact(day)
    elif actor is None:
        raise UnknownBroker(f"no broker or colleague with id {command.by} in {uow.store}")
    else:
        raise UnknownBroker(
            f"{command.by} is a {type(actor).__name__.lower()}, not a broker or a colleague"
        )
    note = None
    if command.note is not None:
        # Checked before the note is sealed: a refused contact makes no data key. (Without
        # a note, recording the contact checks it first, with the same errors.)
        case.check_contact(command.roles, command.channel, day)
        citizen = uow.find(Citizen.create_id(case.citizen))
        if isinstance(citizen, Citizen):
            citizen.check_retired()
        note = uow.seal_personal(case.citizen, CONTACT_NOTE, command.note)
    case.record_contact(command.roles, command.channel, actor.id, day, note)
    uow.save(case)


def register_colleague(command: RegisterColleague, uow: UnitOfWork) -> UUID:
    """Register a colleague who makes contacts but holds no cases; returns their id."""
    day = uow.business_date(command.on)
    colleague = Colleague(name=command.name, team=command.team, occurred_on=day)
    uow.save(colleague)
    return colleague.id


def colleague_leaves(command: ColleagueLeaves, uow: UnitOfWork) -> None:
    """A colleague leaves: refused on a day before a contact they made."""
    day = uow.business_date(command.on)
    latest = _latest_contact_by(uow, command.colleague)
    if latest is not None and latest > day:
        raise DateOutOfRange(
            f"colleague {command.colleague} made a contact on {latest}, "
            f"{(latest - day).days} day(s) after {day}; they cannot have left before it"
        )
    colleague = uow.load(Colleague, command.colleague, UnknownColleague)
    colleague.leave(day)
    uow.save(colleague)


def record_employer_activity(command: RecordEmployerActivity, uow: UnitOfWork) -> None:
    """An employer-directed activity that started on a business date."""
    day = uow.business_date(command.on)
    case = _trajectory(uow, command.trajectory)
    case.record_employer_activity(command.kind, day, command.ends_on)
    uow.save(case)


def record_progress(command: RecordProgress, uow: UnitOfWork) -> None:
    """Scores on the programme's indicators."""
    day = uow.business_date(command.on)
    checked = validated_scores(dict(command.scores), programme_of(uow).indicators)
    case = _trajectory(uow, command.trajectory)
    case.record_progress(checked, day)
    uow.save(case)


def record_job_placement(command: RecordJobPlacement, uow: UnitOfWork) -> None:
    """A placement in an ordinary job, a flex job or education."""
    placement = command.placement
    day = uow.business_date(command.on)
    case = _trajectory(uow, command.trajectory)
    case.record_job_placement(placement, day)
    uow.save(case)


def record_review(command: RecordReview, uow: UnitOfWork) -> None:
    """The outcome of a case review (sagssparring)."""
    day = uow.business_date(command.on)
    case = _trajectory(uow, command.trajectory)
    case.record_review(command.outcome, day)
    uow.save(case)


def forget_citizen(command: ForgetCitizen, uow: UnitOfWork) -> None:
    """Erase a citizen's personal data: record the erasure, then delete their data key.

    Asked again for an erased citizen, it deletes the key (should an earlier run have
    stopped between the two) and records nothing.
    """
    day = uow.business_date(command.on)
    key = uow.pseudonym_key
    pseudonym = pseudonymise(command.cpr, key)
    programme_id = uow.programme_id(Programme)
    if programme_id is not None:
        programme = uow.load(Programme, programme_id, ConfigurationError)
        if programme.key_check is not None and not hmac.compare_digest(
            programme.key_check, pseudonym_key_check(key)
        ):
            raise ConfigurationError(
                f"the pseudonym key differs from the one {uow.store} made its pseudonyms "
                "with; with it, no citizen of the store can be found"
            )
    citizen = uow.find(Citizen.create_id(pseudonym))
    if isinstance(citizen, Citizen) and citizen.erased_on is not None:
        uow.forget_personal(pseudonym)
        return
    if not isinstance(citizen, Citizen):
        if not _has_education_plan(uow, pseudonym):
            raise NotInProgramme(
                f"no citizen with this CPR number in {uow.store}: nothing to erase (a "
                "CPR number mistyped here would retire another citizen's pseudonym)"
            )
        citizen = Citizen(pseudonym=pseudonym, occurred_on=day)
    citizen.erase(command.reason, day)
    uow.save(citizen)
    uow.forget_personal(pseudonym)


def _has_education_plan(uow: UnitOfWork, pseudonym: str) -> bool:
    # Imported here: the education programme builds on this one, not the other way round.
    from caseload.programmes.education.domain.plan import EducationPlan

    return uow.find(EducationPlan.create_id(pseudonym)) is not None


HANDLERS: dict[type, Handler] = {
    ConfigureProgramme: configure_programme,
    SetCaseloadPolicy: set_caseload_policy,
    RegisterBroker: register_broker,
    ChangeFte: change_fte,
    BrokerLeaves: broker_leaves,
    OpenTrajectory: open_trajectory,
    Assign: assign,
    Transfer: transfer,
    CloseTrajectory: close_trajectory,
    RecordContact: record_contact,
    RecordProgress: record_progress,
    RecordJobPlacement: record_job_placement,
    RecordReview: record_review,
    RegisterColleague: register_colleague,
    ColleagueLeaves: colleague_leaves,
    RecordEmployerActivity: record_employer_activity,
    ForgetCitizen: forget_citizen,
}
"""Every resource-pathway command class, with the function that runs it."""

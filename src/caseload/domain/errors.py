"""The error hierarchy: one root, one subclass per rule, messages that give the numbers.

Messages never contain a CPR number or a pseudonym; they name brokers and trajectories by id.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from uuid import UUID

__all__ = [
    "AlreadyAssigned",
    "AmbassadorHasLeft",
    "BrokerHasLeft",
    "BrokerHoldsCases",
    "CaseloadError",
    "CaseloadLimitExceeded",
    "CheckpointChunkMissing",
    "CitizenErased",
    "ColleagueHasLeft",
    "ColleagueNotYetRegistered",
    "ConcurrencyConflict",
    "ConfigurationError",
    "DateOutOfRange",
    "ErasureRefused",
    "ExportTargetNotEmpty",
    "InvalidCitizenId",
    "InvalidContact",
    "InvalidEligibilityTable",
    "InvalidExportKey",
    "InvalidFte",
    "InvalidPlacement",
    "InvalidPolicy",
    "InvalidScores",
    "InvalidStoreURL",
    "InvalidTarget",
    "InvalidThreshold",
    "InvalidValue",
    "LogAltered",
    "MissingExtra",
    "MissingMasterKey",
    "MissingPseudonymKey",
    "NoSchemeRunning",
    "NotAssigned",
    "NotEligible",
    "NotInProgramme",
    "PersonalDataUnreadable",
    "PlanAlreadyDrafted",
    "ProgrammeAlreadyConfigured",
    "ReadModelVersionInUse",
    "ReadOnlySession",
    "SchemeAlreadyRunning",
    "StoreUnavailable",
    "TrajectoryAlreadyOpen",
    "TrajectoryClosed",
    "UncheckedEvent",
    "UnknownAmbassador",
    "UnknownBroker",
    "UnknownColleague",
    "UnknownCommand",
    "UnknownPlan",
    "UnknownReadModelVersion",
    "UnknownSession",
    "UnknownTrajectory",
    "WrongMasterKey",
]


class CaseloadError(Exception):
    """Root of every error the library raises on purpose."""


class ConfigurationError(CaseloadError):
    """The application was set up wrongly (store URL, keys, options)."""


class UncheckedEvent(ConfigurationError):
    """The rule checker met an event class that no programme's rules decide on: neither a
    rule handles it nor is it listed as one to which no rule applies."""


class InvalidStoreURL(ConfigurationError, ValueError):
    """The storage URL has an unknown scheme or is malformed."""


class MissingPseudonymKey(ConfigurationError):
    """No key for pseudonymising citizen ids was given."""


class StoreUnavailable(CaseloadError):
    """The store could not be reached or opened."""


class CheckpointChunkMissing(CaseloadError):
    """A checkpoint names a chunk that the store does not hold (its version's chunks were
    deleted while a writer still counted on them)."""


class ProgrammeAlreadyConfigured(CaseloadError):
    """A store's programme is configured once; policies change through their own command."""


class InvalidCitizenId(CaseloadError, ValueError):
    """A CPR number is malformed. The message never repeats the number."""


class DateOutOfRange(CaseloadError, ValueError):
    """A business date is in the future, before the aggregate began, or out of order."""


class InvalidFte(CaseloadError, ValueError):
    """An FTE is outside 0 < fte ≤ 1 or finer than hundredths."""


class InvalidPolicy(CaseloadError, ValueError):
    """A caseload policy has a limit that is not a positive whole number."""


class InvalidContact(CaseloadError, ValueError):
    """A contact names no role or an unknown channel."""


class InvalidValue(CaseloadError, ValueError):
    """An argument is not of the kind the command takes (an enum member, a number)."""


class InvalidThreshold(InvalidValue):
    """A number of days behind a report (an attention threshold, a look-back window) is not
    a whole number within its documented range."""


class InvalidPlacement(CaseloadError, ValueError):
    """A job placement's hours do not fit its kind."""


class InvalidScores(CaseloadError, ValueError):
    """Progression scores name unknown indicators or fall outside the scale."""


class CaseloadLimitExceeded(CaseloadError):
    """An assignment would take a broker past the caseload limit in force on its day, or
    past a lower limit already decided for a later day (the case is still held then).

    `limit` is that limit and `limit_on` the first day it holds (`on`, the assignment's
    day, when the limit in force that day is the lowest)."""

    def __init__(
        self,
        *,
        broker: str,
        active_cases: int,
        limit: int,
        policy: str,
        limit_per_fte: int,
        fte: object,
        on: date,
        limit_on: date | None = None,
    ) -> None:
        self.active_cases = active_cases
        self.limit = limit
        self.on = on
        self.limit_on = on if limit_on is None else limit_on
        self.policy = policy
        if self.limit_on == on:
            held = f"they hold {active_cases} of {limit} cases; the limit under policy {policy!r}"
        else:
            held = (
                f"they hold {active_cases} of {limit} cases, the most allowed from "
                f"{self.limit_on}, and a case taken on {on} is still held then; the limit "
                f"under policy {policy!r}, decided for {self.limit_on},"
            )
        super().__init__(
            f"cannot assign another case to broker {broker} on {on}: {held} is "
            f"{limit_per_fte} per FTE × {fte} FTE = {limit}"
        )


class AlreadyAssigned(CaseloadError):
    """A trajectory already has a broker (use transfer), or the broker already holds it."""


class NotAssigned(CaseloadError):
    """A command needs a trajectory's broker, and it has none."""


class NotInProgramme(CaseloadError):
    """Exclusivity: a programme's brokers hold only trajectories of its pathway kind."""


class TrajectoryClosed(CaseloadError):
    """Nothing can be recorded on a closed trajectory."""


class TrajectoryAlreadyOpen(CaseloadError):
    """A citizen has at most one open trajectory in a programme."""


class BrokerHasLeft(CaseloadError):
    """A broker who has left takes no cases and no changes."""


class ColleagueHasLeft(CaseloadError):
    """A colleague who has left makes no contact dated after leaving, and leaves once."""


class ColleagueNotYetRegistered(DateOutOfRange):
    """A colleague makes no contact, and does not leave, before the day they were registered."""


class BrokerHoldsCases(CaseloadError):
    """A broker cannot leave, or drop FTE below their caseload, while holding cases.

    For an FTE change, `limit` is the limit the new FTE would give and `limit_on` the first
    day it would hold (None when the broker was leaving)."""

    def __init__(
        self,
        message: str,
        cases: Iterable[UUID],
        *,
        limit: int | None = None,
        limit_on: date | None = None,
    ) -> None:
        self.cases = tuple(sorted(cases))
        self.limit = limit
        self.limit_on = limit_on
        listed = ", ".join(str(case) for case in self.cases)
        super().__init__(f"{message}; cases held: {listed}")


class UnknownBroker(CaseloadError, LookupError):
    """No broker with that id exists in the store."""


class UnknownColleague(CaseloadError, LookupError):
    """No colleague with that id exists in the store."""


class UnknownTrajectory(CaseloadError, LookupError):
    """No trajectory with that id exists in the store."""


class ConcurrencyConflict(CaseloadError):
    """Other writers kept changing the same aggregates; the command gave up after retrying."""


class InvalidExportKey(ConfigurationError):
    """An evaluator export needs a key of at least 16 bytes to re-key its pseudonyms."""


class ExportTargetNotEmpty(CaseloadError):
    """An export is written only into a new or empty directory, never over other files."""


class MissingExtra(ConfigurationError):
    """An optional dependency is not installed; the message names the extra to install."""


class UnknownCommand(CaseloadError):
    """`Caseload.handle` was given something that is no registered programme's command."""


class UnknownReadModelVersion(CaseloadError):
    """The store holds no state of that read model at that version."""


class ReadModelVersionInUse(CaseloadError):
    """The version of a read model this library serves cannot be dropped (rebuild it
    instead)."""


class ReadOnlySession(CaseloadError):
    """A replay session opened with `Caseload.open_readonly` refuses every command."""


class LogAltered(CaseloadError):
    """The stored log, its chain or its seals were changed outside the application."""


class NotEligible(CaseloadError):
    """A scheme start that no rule of the eligibility table in force admits (by target
    group, age, positive list and date); a service may record it with an override reason."""


class UnknownPlan(CaseloadError, LookupError):
    """No education plan with that id exists in the store."""


class PlanAlreadyDrafted(CaseloadError):
    """A citizen has one education plan in the programme."""


class SchemeAlreadyRunning(CaseloadError):
    """A plan runs one scheme at a time: the running one completes or is dropped first."""


class NoSchemeRunning(CaseloadError):
    """A completion or drop-out needs a scheme that has started and not ended."""


class UnknownAmbassador(CaseloadError, LookupError):
    """No education ambassador with that id exists in the store."""


class AmbassadorHasLeft(CaseloadError):
    """An ambassador acts from the day they were registered until the day they left."""


class UnknownSession(CaseloadError, LookupError):
    """No drop-in or guidance session with that id exists in the store."""


class InvalidTarget(CaseloadError, ValueError):
    """A target is a whole number of starts from 0 up, or NOT_RELEVANT, for a year."""


class InvalidEligibilityTable(CaseloadError, ValueError):
    """An eligibility table must name its rules uniquely and give each a valid range."""


# Personal data and erasure (`caseload.privacy`).


class MissingMasterKey(ConfigurationError):
    """Personal data was given to a store opened without a master key to encrypt it."""


class WrongMasterKey(ConfigurationError):
    """The master key is not the one the store's data keys are wrapped with."""


class PersonalDataUnreadable(CaseloadError):
    """A sealed personal field does not decrypt: altered, or bound to another citizen or
    field than the one it is read for."""


class CitizenErased(CaseloadError):
    """The citizen's personal data was erased: their pseudonym is retired, so no new
    trajectory, plan or personal data is recorded for them."""


class ErasureRefused(CaseloadError):
    """A citizen cannot be erased yet (a trajectory of theirs is still open)."""

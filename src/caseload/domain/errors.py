"""The error hierarchy: one root, one subclass per rule, messages that give the numbers.

Messages never contain a CPR number or a pseudonym; they name brokers and trajectories by id.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

__all__ = [
    "AlreadyAssigned",
    "BrokerHasLeft",
    "BrokerHoldsCases",
    "CaseloadError",
    "CaseloadLimitExceeded",
    "ColleagueHasLeft",
    "ColleagueNotYetRegistered",
    "ConcurrencyConflict",
    "ConfigurationError",
    "DateOutOfRange",
    "ExportTargetNotEmpty",
    "InvalidCitizenId",
    "InvalidContact",
    "InvalidExportKey",
    "InvalidFte",
    "InvalidPlacement",
    "InvalidPolicy",
    "InvalidScores",
    "InvalidStoreURL",
    "InvalidThreshold",
    "InvalidValue",
    "LogAltered",
    "MissingExtra",
    "MissingPseudonymKey",
    "NotAssigned",
    "NotInProgramme",
    "ProgrammeAlreadyConfigured",
    "ReadOnlySession",
    "StoreUnavailable",
    "TrajectoryAlreadyOpen",
    "TrajectoryClosed",
    "UnknownBroker",
    "UnknownColleague",
    "UnknownTrajectory",
]


class CaseloadError(Exception):
    """Root of every error the library raises on purpose."""


class ConfigurationError(CaseloadError):
    """The application was set up wrongly (store URL, keys, options)."""


class InvalidStoreURL(ConfigurationError, ValueError):
    """The storage URL has an unknown scheme or is malformed."""


class MissingPseudonymKey(ConfigurationError):
    """No key for pseudonymising citizen ids was given."""


class StoreUnavailable(CaseloadError):
    """The store could not be reached or opened."""


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
    """An assignment would take a broker past the caseload limit in force."""

    def __init__(
        self,
        *,
        broker: str,
        active_cases: int,
        limit: int,
        policy: str,
        limit_per_fte: int,
        fte: object,
        on: object,
    ) -> None:
        self.active_cases = active_cases
        self.limit = limit
        super().__init__(
            f"cannot assign another case to broker {broker} on {on}: they hold "
            f"{active_cases} of {limit} cases; the limit under policy {policy!r} is "
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
    """A broker cannot leave, or drop FTE below their caseload, while holding cases."""

    def __init__(self, message: str, cases: Iterable[UUID]) -> None:
        self.cases = tuple(sorted(cases))
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


class ReadOnlySession(CaseloadError):
    """A replay session opened with `Caseload.open_readonly` refuses every command."""


class LogAltered(CaseloadError):
    """The stored log, its chain or its seals were changed outside the application."""

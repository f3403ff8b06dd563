"""Running a command: a unit of work over the store, retried when another writer won a race.

A handler loads aggregates, asks the domain, and saves them in one atomic write. When the
write conflicts with one made meanwhile (optimistic concurrency: the loser's versions are
taken), the whole handler runs again on fresh state, up to `max_attempts` times.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, DomainEvent
from eventsourcing.persistence import PersistenceError, RecordConflictError

from caseload.application.bootstrap import Wiring
from caseload.domain.dates import check_business_date
from caseload.domain.errors import (
    CaseloadError,
    ConcurrencyConflict,
    ConfigurationError,
    StoreUnavailable,
)
from caseload.domain.identity import key_bytes
from caseload.domain.personal import Sealed
from caseload.privacy.keyring import Keyring
from caseload.programmes import ProgrammeKind, programme_kinds

__all__ = ["StoreUnitOfWork", "kind_of_aggregate", "replayed", "run_with_retries"]

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)

logger = logging.getLogger("caseload.commands")


def kind_of_aggregate(aggregate_class: type[Aggregate]) -> ProgrammeKind:
    """The programme kind an aggregate class belongs to."""
    for kind in programme_kinds():
        if aggregate_class in kind.aggregates:
            return kind
    raise ConfigurationError(f"{aggregate_class.__name__} belongs to no registered programme")


class StoreUnitOfWork:
    """The `UnitOfWork` a handler gets: the store's aggregates as of now, one save."""

    def __init__(
        self,
        wiring: Wiring,
        *,
        clock: Callable[[], date],
        pseudonym_key: bytes | None,
        pin: int | None = None,
        keyring: Keyring | None = None,
    ) -> None:
        self._wiring = wiring
        self._keyring = keyring
        self._clock = clock
        self._key = pseudonym_key
        self._pin = pin

    @property
    def store(self) -> str:
        """A description of the store, for messages."""
        return self._wiring.description

    @property
    def pseudonym_key(self) -> bytes:
        """The key citizen pseudonyms are made with."""
        return self._key if self._key is not None else key_bytes(None)

    def today(self) -> date:
        """Today by the application's clock."""
        today = self._clock()
        if isinstance(today, datetime) or not isinstance(today, date):
            raise ConfigurationError(
                f"the clock must return a datetime.date, not {type(today).__name__}"
            )
        return today

    def business_date(self, on: object) -> date:
        """`on` as a business date: a plain date, not after today."""
        return check_business_date(on, today=self.today())

    def find(self, aggregate_id: UUID) -> Aggregate | None:
        """The aggregate as it stands now (or at the pin of a read-only session)."""
        repository = self._wiring.events.repository
        try:
            if self._pin is None:
                found: Aggregate = repository.get(aggregate_id, projector_func=replayed)
                return found
            version = self._wiring.chain().version_at(aggregate_id, self._pin)
            if version is None:
                return None
            pinned: Aggregate = repository.get(
                aggregate_id, version=version, projector_func=replayed
            )
            return pinned
        except AggregateNotFoundError:
            return None

    def load(self, kind: type[A], aggregate_id: UUID, error: type[CaseloadError]) -> A:
        """The aggregate with this id, which must be of class `kind`."""
        what = kind.__name__.lower()
        aggregate = self.find(aggregate_id)
        if aggregate is None:
            raise error(f"no {what} with id {aggregate_id} in {self.store}")
        if not isinstance(aggregate, kind):
            raise error(f"{aggregate_id} is a {type(aggregate).__name__.lower()}, not a {what}")
        return aggregate

    def programme_id(self, programme_class: type[Aggregate]) -> UUID | None:
        """The id of the store's programme whose aggregate is of `programme_class`."""
        return self._wiring.programme_id(kind_of_aggregate(programme_class), self._pin)

    def events_containing(
        self, event_class: type[DomainEvent], needle: str
    ) -> Sequence[DomainEvent]:
        """Stored events of one class whose stored state contains `needle`."""
        owner = event_class.__qualname__.split(".")[0]
        kinds = programme_kinds()
        kind = next((k for k in kinds for a in k.aggregates if a.__qualname__ == owner), None)
        if kind is None:
            raise ConfigurationError(f"{event_class.__qualname__} is no registered event")
        return self._wiring.events_containing(event_class, needle, kind)

    def save(self, *aggregates: Aggregate) -> None:
        """Write every pending event of `aggregates` in one atomic write."""
        self._wiring.events.save(*aggregates)

    def _keys(self) -> Keyring:
        if self._keyring is None:
            self._keyring = Keyring(self._wiring.data_keys, None)
        return self._keyring

    def seal_personal(self, pseudonym: str, field: str, value: object) -> Sealed:
        """`value` encrypted under the citizen's data key."""
        return self._keys().seal(pseudonym, field, value)

    def forget_personal(self, pseudonym: str) -> None:
        """Delete the citizen's data key."""
        self._keys().forget(pseudonym)


def replayed(aggregate: Any, events: Iterable[Any]) -> Any:
    """The aggregate with `events` applied in turn: eventsourcing's `project_aggregate`
    without its assertion that each event fits a runtime-checkable protocol, which costs
    tens of µs an event on Python 3.11 (every load and every fast-forward of a cached
    aggregate replays through it). Each event's `mutate` still checks that it is the
    aggregate's next."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def run_with_retries(
    work: Callable[[], T], *, max_attempts: int, store: str, rng: random.Random
) -> T:
    """Run `work`, again on fresh state when another writer got there first."""
    for attempt in range(1, max_attempts + 1):
        try:
            return work()
        except RecordConflictError:
            if attempt == max_attempts:
                logger.warning("gave up after %d attempts on %s", attempt, store)
                raise ConcurrencyConflict(
                    f"gave up after {attempt} attempts: other writers kept changing "
                    "the same broker or trajectory; nothing was written"
                ) from None
            logger.debug("write conflict on attempt %d; retrying on fresh state", attempt)
            time.sleep(rng.uniform(0, min(0.25, 0.002 * 2**attempt)))
        except PersistenceError as error:
            raise StoreUnavailable(
                f"{store} failed: {str(error).strip() or type(error).__name__}"
            ) from None
    raise AssertionError("unreachable")  # pragma: no cover

"""The `Caseload` facade: commands in, ids and frozen values out, over a store chosen by URL.

Every command is a frozen value of a programme kind (`caseload.commands`); `handle` runs
it in a unit of work, with one atomic save and retries on fresh state. The named methods
(`assign(...)`, `record_contact(...)`) are typed shorthands that build the command and
hand it over. Queries live in `caseload.application.queries`, read-only sessions in
`caseload.application.session`.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import PersistenceError

from caseload.application.batch import DEFAULT_BATCH_SIZE, Batch, BatchUnitOfWork, checked_size
from caseload.application.bootstrap import Wiring, bootstrap
from caseload.application.education import EducationCommands
from caseload.application.privacy import PrivacyCommands
from caseload.application.reporting import Reporting
from caseload.application.resource_pathway import ResourcePathwayCommands
from caseload.application.unit_of_work import StoreUnitOfWork, run_with_retries
from caseload.domain.errors import (
    CaseloadError,
    ConfigurationError,
    InvalidValue,
    ReadOnlySession,
    StoreUnavailable,
    UnknownCommand,
)
from caseload.domain.identity import key_bytes
from caseload.domain.inputs import is_digest
from caseload.privacy.crypto import master_key_bytes
from caseload.privacy.keyring import Keyring
from caseload.programmes import default_read_models, programme_kinds
from caseload.programmes.kind import Handler
from caseload.projections.pinned import PinnedProjectionStore, PinnedSource
from caseload.projections.runner import Progress as RebuildProgress
from caseload.projections.runner import Projections, ProjectionSettings, RebuildResult
from caseload.projections.source import EventSource

if TYPE_CHECKING:
    from caseload.adapters.seals import Seal
    from caseload.audit.findings import Check, VerifyReport

__all__ = ["Caseload"]

logger = logging.getLogger("caseload.commands")


@functools.cache
def _handlers() -> dict[type, Handler]:
    """Per command class of every programme kind, its handler (the kinds load on the first
    command, so that a store opened only to read loads none of them)."""
    return {
        command: handler for kind in programme_kinds() for command, handler in kind.handlers.items()
    }


class Caseload(ResourcePathwayCommands, EducationCommands, PrivacyCommands, Reporting):
    """A store of caseload-capped programmes, event-sourced in the store the URL names.

    >>> from datetime import date, datetime
    >>> app = Caseload("memory://", pseudonym_key="a key of at least 16 bytes")
    >>> broker = app.register_broker(name="Broker 1", team="Team A", fte=1.0, on=date(2024, 1, 8))
    >>> app.caseload()[0].limit
    30
    """

    def __init__(
        self,
        store: str | os.PathLike[str] | None = None,
        *,
        pseudonym_key: str | bytes | None = None,
        master_key: str | bytes | None = None,
        clock: Callable[[], date] = date.today,
        max_attempts: int = 8,
        projection_settings: ProjectionSettings | None = None,
    ) -> None:
        """Open (creating if needed) the store at `store`.

        `store` is `memory://`, `sqlite:///FILE` (or a bare path), or
        `postgresql://USER@HOST:PORT/DB[?schema=NAME]`; without it, `CASELOAD_STORE` or
        `sqlite:///caseload.db`. `pseudonym_key` (or `CASELOAD_PSEUDONYM_KEY`) keys the
        citizen pseudonyms; only commands that take a CPR number need it. `master_key` (or
        `CASELOAD_MASTER_KEY`) wraps the per-citizen keys that personal data is encrypted
        under: 32 bytes, 64 hexadecimal characters, or a passphrase of at least 16
        characters (see docs/privacy.md); without it, personal data is refused on writes
        and reads as withheld. `clock` gives
        today's date, the latest business date a command accepts. A command that loses an
        optimistic-concurrency race is retried on fresh state, `max_attempts` tries in all.
        `projection_settings` tunes how the read models are kept (see `ProjectionSettings`).
        """
        if pseudonym_key is None:
            pseudonym_key = os.environ.get("CASELOAD_PSEUDONYM_KEY") or None
        key = None if pseudonym_key is None else key_bytes(pseudonym_key)
        if master_key is None:
            master_key = os.environ.get("CASELOAD_MASTER_KEY") or None
        master = None if master_key is None else master_key_bytes(master_key)
        if not callable(clock):
            raise ConfigurationError("clock must be a function returning a date")
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise InvalidValue(
                "max_attempts must be a whole number of at least 1; "
                f"got a {type(max_attempts).__name__}"
            )
        if projection_settings is not None and not isinstance(
            projection_settings, ProjectionSettings
        ):
            raise ConfigurationError(
                "projection_settings must be a ProjectionSettings, "
                f"not {type(projection_settings).__name__}"
            )
        self._key = key
        self._master = master
        self._keyring: Keyring | None = None
        self._clock = clock
        self._max_attempts = max_attempts
        self._random = random.Random()
        self._projection_settings = projection_settings or ProjectionSettings()
        self._pin: int | None = None
        self._lock = threading.RLock()
        self._projections: Projections | None = None
        self._batches = threading.local()
        self._wiring = self._open(store)

    _opening_read_only = False

    def _open(self, store: str | os.PathLike[str] | None) -> Wiring:
        return bootstrap(store, read_only=self._opening_read_only)

    # ----------------------------------------------------------------- plumbing

    @classmethod
    def open_readonly(
        cls,
        store: str | os.PathLike[str] | None = None,
        *,
        as_known_at: datetime | None = None,
        clock: Callable[[], date] = date.today,
        projection_settings: ProjectionSettings | None = None,
    ) -> Caseload:
        """Open an existing store for replay only, pinned to one position of its log.

        The session sees the log as it stood when it was opened, or as it was known at
        `as_known_at` (a timezone-aware moment), and keeps seeing exactly that while
        writers go on: every query, `history()`, `head()` and `verify()` stop at the pin.
        Every command is refused with `ReadOnlySession`, and nothing is written: read
        models folded past their stored state stay in memory.
        """
        from caseload.application.session import open_readonly

        return open_readonly(
            cls,
            store,
            as_known_at=as_known_at,
            clock=clock,
            projection_settings=projection_settings,
        )

    @property
    def wiring(self) -> Wiring:
        """The collaborators that work on the store (event store, log reader, read-model
        store, chain): for tools and tests that need one part on its own."""
        return self._wiring

    @property
    def pinned_at(self) -> int | None:
        """The log position a read-only session is pinned to (None when writable)."""
        return self._pin

    def _pin_at(self, position: int) -> None:
        self._pin = position
        self._projections = None

    @property
    def store(self) -> str:
        """A description of the store (kind and location, without passwords)."""
        return self._wiring.description

    def close(self) -> None:
        """Release the store's connections."""
        self._wiring.close()

    def __enter__(self) -> Caseload:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def projections(self) -> Projections:
        """The store's read models: `catch_up()`, `rebuild()`, `position()`, `digests()`."""
        with self._lock:
            return self._open_projections()

    def _open_projections(self) -> Projections:
        if self._projections is None:
            source: EventSource = self._wiring.log_reader()
            store = self._wiring.read_models()
            if self._pin is not None:
                source = PinnedSource(source, self._pin)
                store = PinnedProjectionStore(store, self._pin)
            self._projections = Projections(
                source, store, default_read_models(), self._projection_settings
            )
        return self._projections

    def _keys(self) -> Keyring:
        with self._lock:
            if self._keyring is None:
                self._keyring = Keyring(self._wiring.data_keys, self._master)
            return self._keyring

    def rebuild_in_memory(
        self,
        *,
        progress: Callable[[RebuildProgress], None] | None = None,
        batch_size: int = 5_000,
    ) -> RebuildResult:
        """Fold every read model from the start of the log (up to a session's pin) in
        memory and return their digests, writing nothing: a rebuild's dry run, which a
        read-only session and a store on read-only media allow."""
        from caseload.adapters.read_model_store import MemoryProjectionStore

        source: EventSource = self._wiring.log_reader()
        if self._pin is not None:
            source = PinnedSource(source, self._pin)
        scratch = Projections(
            source, MemoryProjectionStore(), default_read_models(), self._projection_settings
        )
        return scratch.rebuild(progress=progress, batch_size=batch_size)

    def _unit_of_work(self) -> StoreUnitOfWork:
        return StoreUnitOfWork(
            self._wiring,
            clock=self._clock,
            pseudonym_key=self._key,
            pin=self._pin,
            keyring=self._keys() if self._pin is None else None,
        )

    def today(self) -> date:
        """Today by the application's clock: the latest business date a command accepts."""
        return self._unit_of_work().today()

    def _writable(self) -> None:
        if self._pin is not None:
            raise ReadOnlySession(
                f"this session is read-only, pinned at log position {self._pin} of "
                f"{self.store}: commands are refused; open the store with Caseload(...) to write"
            )

    # ----------------------------------------------------------------- commands

    def handle(self, command: object) -> Any:
        """Run one command (a frozen value such as `caseload.commands.Assign`): load,
        check, save in one atomic write, retried on fresh state when another writer got
        there first. Returns what the command makes (an id, a policy) or None."""
        self._writable()
        handler = _handlers().get(type(command))
        if handler is None:
            raise UnknownCommand(
                f"{type(command).__name__} is not a command of any registered programme"
            )
        batch: BatchUnitOfWork | None = getattr(self._batches, "open", None)
        try:
            if batch is not None:
                return batch.run(handler, command)
            uow = self._unit_of_work()
            return run_with_retries(
                lambda: handler(command, uow),
                max_attempts=self._max_attempts,
                store=self.store,
                rng=self._random,
            )
        except CaseloadError as refusal:
            # The classes only: a message may name a broker, and a command may hold a CPR.
            logger.debug("%s refused: %s", type(command).__name__, type(refusal).__name__)
            raise

    @contextmanager
    def batch(self, *, size: int = DEFAULT_BATCH_SIZE) -> Iterator[Batch]:
        """Run the commands of this thread inside the block as a batch: the same handlers
        and checks, the same events and hash chain, but written together in one
        transaction per `size` accepted commands (and on `Batch.flush()` and at the end
        of the block) instead of one per command.

        A command the rules refuse raises as always and leaves nothing behind; the batch
        keeps the commands accepted before it. Queries read the store, so they see a
        batch's commands once written: flush before asking. A batch suits one writer (an
        import, a simulation): if another writer changes an aggregate the batch changed,
        the next write raises `ConcurrencyConflict` and nothing since the last write is
        kept. If the block ends with an exception, the unwritten commands are dropped.
        This is the bulk path of an import or a simulation: what it skips (a transaction,
        a commit and fresh loads per command, retries of lost races) and what it keeps (every
        check and refusal, the same events and chain) is in docs/simulation.md.

        >>> from datetime import date
        >>> app = Caseload("memory://", pseudonym_key="a key of at least 16 bytes")
        >>> with app.batch() as batch:
        ...     broker = app.register_broker(name="Broker 1", team="Team A", on=date(2024, 1, 8))
        ...     batch.unwritten_events
        3
        >>> app.head()
        3
        """
        self._writable()
        size = checked_size(size)
        if getattr(self._batches, "open", None) is not None:
            raise ConfigurationError("a batch is already open in this thread; batches do not nest")
        uow = BatchUnitOfWork(
            self._wiring,
            clock=self._clock,
            pseudonym_key=self._key,
            size=size,
            keyring=self._keys(),
        )
        self._batches.open = uow
        try:
            yield Batch(uow)
            uow.flush()
        except BaseException:
            uow.discard()
            # What the batch wrote before stays, and is made durable as at a normal end.
            with suppress(CaseloadError):
                uow.flush()
            raise
        finally:
            self._batches.open = None

    # ----------------------------------------------------------------- audit

    def seal(self) -> Seal:
        """Record a seal of the log: the hash chain's head, its position and the moment.

        Keep the returned `digest` outside the database (print it, file it with the
        auditor): `verify(expect_seal=digest)` then proves the log up to the seal was not
        rewritten, even by someone who recomputed the whole chain.
        """
        import sqlite3

        self._writable()
        try:
            return self._wiring.chain().seal(datetime.now(UTC))
        except (PersistenceError, sqlite3.Error) as error:
            raise StoreUnavailable(f"{self.store} failed: {error}") from None

    def check_chain(
        self, *, progress: Callable[[int], None] | None = None, from_anchor: bool = False
    ) -> Check:
        """Recompute the hash chain and every seal up to the session's pin (or the head),
        in one pass over the stored rows; the first check of `verify`, on its own.

        Commands that hand numbers to someone else run it first, so an altered log is
        refused before anything is computed from it. `progress(position)` hears how far
        the pass has come. With `from_anchor`, for what reads stored read-model states,
        only the rows after the position `caseload rebuild` last checked are recomputed
        (see `caseload.audit.anchor`). Reads only.
        """
        from caseload.audit.anchor import check_since_anchor
        from caseload.audit.chain_check import check_chain
        from caseload.audit.findings import CHAIN, Check, Finding

        source = self._wiring.chain()
        seals = source.seals()
        head = source.head()
        last = head if self._pin is None else self._pin
        try:
            if from_anchor:
                store = self._wiring.read_models()
                return check_since_anchor(source, store, last, head=max(head, last), seals=seals)
            return check_chain(source, last, head=max(head, last), seals=seals, progress=progress)
        except CaseloadError:
            raise
        except Exception as error:  # rows altered into nonsense: a finding, not a crash
            finding = Finding(f"the chain could not be checked ({type(error).__name__})")
            return Check(CHAIN, False, finding.message, finding)

    def verify(
        self,
        *,
        expect_seal: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> VerifyReport:
        """Replay the whole log and prove it unaltered, every rule kept on every date, and
        every stored read model equal to a fresh fold; see `caseload.audit.verify`.

        `expect_seal` is a seal digest kept outside the database: it must be one of the
        store's seals, and the log must still have the head it pinned. `progress(done,
        total)` is called as the two passes over the log go on (a progress bar's feed).
        """
        from caseload.audit.snapshots import check_store_snapshots
        from caseload.audit.verify import verify_store

        if expect_seal is not None and not is_digest(expect_seal):
            raise InvalidValue("a seal digest is 64 hexadecimal characters")
        return verify_store(
            self._wiring.chain(),
            self._wiring.decoder(),
            self._wiring.read_models(),
            default_read_models(),
            last=self._pin,
            expect_seal=expect_seal,
            snapshots=lambda: check_store_snapshots(self._wiring),
            progress=progress,
            today=self.today(),
        )

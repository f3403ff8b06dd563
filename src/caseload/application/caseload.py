"""The Caseload application: commands in, ids and frozen values out, atomic saves, retries."""

from __future__ import annotations

import contextlib
import functools
import hmac
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar
from uuid import UUID

import attrs
from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate, DomainEvent
from eventsourcing.persistence import (
    JSONTranscoder,
    PersistenceError,
    RecordConflictError,
)
from eventsourcing.utils import Environment, EnvType, get_topic

from caseload.adapters.chain import ChainSource, Seal, chain_source
from caseload.adapters.log import EventDecoder, LogReader, log_reader
from caseload.adapters.read_model_store import ProjectionStore, projection_store
from caseload.adapters.storage import Store, parse_store_url
from caseload.adapters.transcodings import register_transcodings
from caseload.application.views import BrokerView, ColleagueView, TrajectoryView
from caseload.domain.dates import check_business_date, check_date, check_days
from caseload.domain.errors import (
    BrokerHasLeft,
    CaseloadError,
    ConcurrencyConflict,
    ConfigurationError,
    DateOutOfRange,
    InvalidCitizenId,
    InvalidContact,
    InvalidValue,
    ProgrammeAlreadyConfigured,
    ReadOnlySession,
    StoreUnavailable,
    UnknownBroker,
    UnknownColleague,
    UnknownTrajectory,
)
from caseload.domain.identity import birth_date, key_bytes, normalise_cpr, pseudonymise
from caseload.programmes import default_read_models
from caseload.programmes.resource_pathway.domain.broker import Broker, validated_fte
from caseload.programmes.resource_pathway.domain.citizen import Citizen
from caseload.programmes.resource_pathway.domain.colleague import Colleague
from caseload.programmes.resource_pathway.domain.programme import (
    DEFAULT_POLICY,
    PROGRAMME_ID,
    Programme,
    validated_policy,
)
from caseload.programmes.resource_pathway.domain.trajectory import (
    Trajectory,
    validated_placement,
    validated_scores,
)
from caseload.programmes.resource_pathway.domain.values import (
    CaseloadPolicy,
    Channel,
    ClosureReason,
    EmployerActivityKind,
    IndicatorSet,
    PathwayKind,
    PlacementKind,
    ReviewOutcome,
    Role,
    has_control_characters,
)
from caseload.programmes.resource_pathway.read_models.attention import (
    AttentionReport,
    AttentionState,
    AttentionThresholds,
    attention_report,
)
from caseload.programmes.resource_pathway.read_models.caseload_counts import (
    CaseloadReport,
    CaseloadRow,
    CaseloadState,
    caseload_report,
    caseload_rows,
)
from caseload.programmes.resource_pathway.read_models.employer_activity import (
    DEFAULT_WITHIN_DAYS,
    MAX_WITHIN_DAYS,
    EmployerActivityReport,
    EmployerActivityState,
    employer_activity_report,
)
from caseload.programmes.resource_pathway.read_models.flow import (
    FlowReport,
    FlowState,
    flow_report,
)
from caseload.programmes.resource_pathway.read_models.outcomes import (
    OutcomesReport,
    OutcomesState,
    outcomes_report,
)
from caseload.programmes.resource_pathway.read_models.progression import (
    ProgressionReport,
    ProgressionState,
    progression_report,
)
from caseload.programmes.resource_pathway.read_models.reviews import (
    ReviewReport,
    ReviewsState,
    review_report,
)
from caseload.programmes.resource_pathway.read_models.role_coverage import (
    CoverageState,
    RoleCoverage,
    role_coverage,
)
from caseload.programmes.resource_pathway.read_models.staffing import (
    StaffingReport,
    StaffingState,
    staffing_report,
)
from caseload.projections.pinned import PinnedProjectionStore, PinnedSource
from caseload.projections.runner import EventSource, Projections, ProjectionSettings

if TYPE_CHECKING:
    from caseload.audit.verify import VerifyReport

__all__ = ["Caseload"]

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)

DEFAULT_PROGRAMME_NAME = "Bedre indsats for borgere i ressourceforløb"
_BATCH = 1000


_SNAPSHOTS = "CASELOAD_SNAPSHOTS"
_CONTACT_TOPIC = get_topic(Trajectory.ContactRecorded)


class _EventStore(Application[UUID]):
    """The eventsourcing application underneath the facade."""

    name = "Caseload"
    # Snapshots keep a cold load of a long-lived broker or trajectory short; the
    # aggregate cache (fast-forwarded from the store on every get) keeps warm loads short.
    snapshotting_intervals = {Broker: 50, Trajectory: 50}  # noqa: RUF012  (eventsourcing's API)

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only the settings the store URL gave: eventsourcing would also read the process
        # environment, where a stray CASELOAD_APPLICATION_RECORDER_TOPIC could drop the
        # hash chain or a POSTGRES_SCHEMA move the events away from the rest of the store.
        settings = dict(env or {})
        if settings.pop(_SNAPSHOTS, "yes") == "yes":
            settings["IS_SNAPSHOTTING_ENABLED"] = "y"
        return Environment(name, settings)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_transcodings(transcoder)

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        # Snapshots are taken after the events are committed: a failure here must not
        # report a command that succeeded as failed. The next load replays the events.
        with contextlib.suppress(PersistenceError):
            super()._take_snapshots(processing_event)


# Messages about bad arguments name their type, never their value: a value passed in the
# wrong place may be a CPR number or a name.


def _as_id(value: object, error: type[CaseloadError], what: str) -> UUID:
    if isinstance(value, UUID):
        return value
    if isinstance(value, str):
        try:
            return UUID(value)
        except ValueError:
            pass
    raise error(
        f"a {what} id is a UUID (or its text); got a {type(value).__name__} that is not one"
    )


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"a {what} must be a non-empty string; got a {type(value).__name__}")
    if has_control_characters(value):
        raise InvalidValue(
            f"a {what} cannot contain control characters (line breaks, tabs and the like)"
        )
    return value.strip()


def _member(value: object, enum_class: type[T], what: str) -> T:
    if not isinstance(value, enum_class):
        options = ", ".join(m.name for m in enum_class)  # type: ignore[attr-defined]
        raise InvalidValue(
            f"a {what} must be one of {enum_class.__name__}.{{{options}}}; "
            f"got a {type(value).__name__}"
        )
    return value


def _roles(value: object) -> frozenset[Role]:
    members = [value] if isinstance(value, Role) else value
    if not isinstance(members, set | frozenset | list | tuple) or not all(
        isinstance(member, Role) for member in members
    ):
        raise InvalidContact(
            "a contact names one or more of the four roles, as a Role or a set of Roles "
            f"({', '.join(r.name for r in Role)}); got a {type(value).__name__} of other things"
        )
    return frozenset(members)


def _optional_moment(value: object) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    raise InvalidValue(f"as_known_at must be a timezone-aware datetime, not {type(value).__name__}")


P = ParamSpec("P")


def _command(
    method: Callable[Concatenate[Caseload, P], T],
) -> Callable[Concatenate[Caseload, P], T]:
    """Mark a method as a command: a read-only session refuses it before anything else."""

    @functools.wraps(method)
    def refusing_when_read_only(self: Caseload, /, *args: P.args, **kwargs: P.kwargs) -> T:
        self._writable()
        return method(self, *args, **kwargs)

    return refusing_when_read_only


def _is_digest(value: object) -> bool:
    if not isinstance(value, str):
        return False
    text = value.strip().lower()
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _key_check(key: bytes) -> str:
    """A value that identifies the pseudonym key without revealing it."""
    return hmac.new(key, b"caseload pseudonym key check", "sha256").hexdigest()


class Caseload:
    """A caseload-capped programme, event-sourced in the store the URL names.

    >>> from datetime import date, datetime
    >>> app = Caseload("memory://", pseudonym_key="a key of at least 16 bytes")
    >>> broker = app.register_broker(name="Broker 1", team="Team A", fte=1.0, on=date(2024, 1, 8))
    >>> app.caseload()[0].limit
    30
    """

    _opening_read_only = False

    def __init__(
        self,
        store: str | os.PathLike[str] | None = None,
        *,
        pseudonym_key: str | bytes | None = None,
        clock: Callable[[], date] = date.today,
        max_attempts: int = 8,
        projection_settings: ProjectionSettings | None = None,
    ) -> None:
        """Open (creating if needed) the store at `store`.

        `store` is `memory://`, `sqlite:///FILE` (or a bare path), or
        `postgresql://USER@HOST:PORT/DB[?schema=NAME]`; without it, `CASELOAD_STORE` or
        `sqlite:///caseload.db`. `pseudonym_key` (or `CASELOAD_PSEUDONYM_KEY`) keys the
        citizen pseudonyms; only commands that take a CPR number need it. `clock` gives
        today's date, the latest business date a command accepts. A command that loses an
        optimistic-concurrency race is retried on fresh state, `max_attempts` tries in all.
        `projection_settings` tunes how the read models are kept (see `ProjectionSettings`).
        """
        self._store: Store = parse_store_url(store)
        if pseudonym_key is None:
            pseudonym_key = os.environ.get("CASELOAD_PSEUDONYM_KEY") or None
        self._key = None if pseudonym_key is None else key_bytes(pseudonym_key)
        if not callable(clock):
            raise ConfigurationError("clock must be a function returning a date")
        self._clock = clock
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise InvalidValue(
                f"max_attempts must be a whole number of at least 1; got {max_attempts!r}"
            )
        self._max_attempts = max_attempts
        self._random = random.Random()
        self._projections: Projections | None = None
        self._projections_store: ProjectionStore | None = None
        self._log_reader: LogReader | None = None
        self._projection_settings = projection_settings or ProjectionSettings()
        self._pin: int | None = None
        self._chain: ChainSource | None = None
        env = {**self._store.env, "AGGREGATE_CACHE_MAXSIZE": "10000"}
        self._read_only = self._opening_read_only
        try:
            if self._read_only:
                # Replay only: create nothing, and rebuild aggregates from their events,
                # not from snapshots (which verify does not cover).
                env.update({"CREATE_TABLE": "no", _SNAPSHOTS: "no"})
                self._app = _EventStore(env=env)
            else:
                with self._store.setup_lock():
                    self._app = _EventStore(env=env)
        except (PersistenceError, sqlite3.Error, OSError) as error:
            reason = str(error).strip() or type(error).__name__
            raise StoreUnavailable(f"cannot open {self._store.description}: {reason}") from None

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
        moment = _optional_moment(as_known_at)
        parsed = parse_store_url(store)
        if parsed.kind == "memory" or parsed.env.get("SQLITE_DBNAME") == ":memory:":
            raise ConfigurationError(
                "an in-memory store lives only inside the application that wrote it; "
                "open a SQLite file or PostgreSQL store read-only"
            )
        if parsed.kind == "sqlite" and not Path(parsed.env["SQLITE_DBNAME"]).exists():
            raise StoreUnavailable(
                f"no store at {parsed.env['SQLITE_DBNAME']}: there is no such file"
            )
        if parsed.missing_tables(parsed.events_table):
            raise StoreUnavailable(f"{parsed.description} holds no caseload event log")
        app = cls.__new__(cls)
        app._opening_read_only = True
        app.__init__(store, clock=clock, projection_settings=projection_settings)  # type: ignore[misc]
        try:
            # The whole recorded log: events, chain links and seals (a link or seal past
            # the last event means events were deleted, and verify must see it).
            chain = app._chain_source()
            sealed = max((seal[1] for seal in chain.seals()), default=0)
            app._pin_at(max(app._recorded_head(), chain.head(), sealed))
            if moment is not None:
                app._pin_at(app.projections.known_position(moment))
        except BaseException:
            app.close()
            raise
        return app

    def _pin_at(self, position: int) -> None:
        self._pin = position
        self._projections = None

    @property
    def pinned_at(self) -> int | None:
        """The log position a read-only session is pinned to (None when writable)."""
        return self._pin

    def _chain_source(self) -> ChainSource:
        if self._chain is None:
            snapshots = self._app.snapshots
            self._chain = chain_source(
                self._store,
                self._app.recorder,
                read_only=self._read_only,
                snapshots=getattr(snapshots.recorder, "_stored_events", []) if snapshots else [],
            )
        return self._chain

    @property
    def store(self) -> str:
        """A description of the store (kind and location, without passwords)."""
        return self._store.description

    def close(self) -> None:
        """Release the store's connections."""
        if self._projections_store is not None:
            self._projections_store.close()
        if self._log_reader is not None:
            self._log_reader.close()
        if self._chain is not None:
            self._chain.close()
        self._app.close()

    @property
    def projections(self) -> Projections:
        """The store's read models: `catch_up()`, `rebuild()`, `position()`, `digests()`."""
        if self._projections is None:
            if self._log_reader is None:
                self._log_reader = log_reader(self._app, self._store)
            source: EventSource = self._log_reader
            store = self._stored_read_models()
            if self._pin is not None:
                source = PinnedSource(source, self._pin)
                store = PinnedProjectionStore(store, self._pin)
            self._projections = Projections(
                source, store, default_read_models(), self._projection_settings
            )
        return self._projections

    def _stored_read_models(self) -> ProjectionStore:
        """The store's own projection store (unpinned), opened on first use."""
        if self._projections_store is None:
            self._projections_store = projection_store(self._store, read_only=self._read_only)
        return self._projections_store

    def _decoder(self) -> EventDecoder:
        transcoder = self._app.mapper.transcoder
        assert isinstance(transcoder, JSONTranscoder)
        return EventDecoder(transcoder)

    def _read_model(self, name: str, as_known_at: datetime | None, as_true_on: date | None) -> Any:
        as_known_at = _optional_moment(as_known_at)
        as_true_on = None if as_true_on is None else check_date(as_true_on, "as_true_on")
        if as_known_at is None and as_true_on is None:
            return self.projections.state(name)
        return self.projections.state_as_of(name, as_known_at=as_known_at, as_true_on=as_true_on)

    def __enter__(self) -> Caseload:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def today(self) -> date:
        """Today by the application's clock: the latest business date a command accepts."""
        today = self._clock()
        if isinstance(today, datetime) or not isinstance(today, date):
            raise ConfigurationError(
                f"the clock must return a datetime.date, not {type(today).__name__}"
            )
        return today

    def _today(self) -> date:
        return self.today()

    def _day(self, on: object) -> date:
        return check_business_date(on, today=self._today())

    def _writable(self) -> None:
        if self._pin is not None:
            raise ReadOnlySession(
                f"this session is read-only, pinned at log position {self._pin} of "
                f"{self.store}: commands are refused; open the store with Caseload(...) to write"
            )

    def _run(self, command: Callable[[], T]) -> T:
        """Run a command, retrying on fresh state when another writer got there first."""
        self._writable()
        for attempt in range(1, self._max_attempts + 1):
            try:
                return command()
            except RecordConflictError:
                if attempt == self._max_attempts:
                    raise ConcurrencyConflict(
                        f"gave up after {attempt} attempts: other writers kept changing "
                        "the same broker or trajectory; nothing was written"
                    ) from None
                time.sleep(self._random.uniform(0, min(0.25, 0.002 * 2**attempt)))
            except PersistenceError as error:
                raise StoreUnavailable(
                    f"{self.store} failed: {str(error).strip() or type(error).__name__}"
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _load(self, kind: type[A], aggregate_id: UUID, error: type[CaseloadError]) -> A:
        what = kind.__name__.lower()
        try:
            aggregate: Aggregate = self._get(aggregate_id)
        except AggregateNotFoundError:
            raise error(f"no {what} with id {aggregate_id} in {self.store}") from None
        if not isinstance(aggregate, kind):
            raise error(f"{aggregate_id} is a {type(aggregate).__name__.lower()}, not a {what}")
        return aggregate

    def _get(self, aggregate_id: UUID) -> Aggregate:
        """An aggregate as it stands now, or at the pin of a read-only session."""
        if self._pin is None:
            aggregate: Aggregate = self._app.repository.get(aggregate_id)
            return aggregate
        version = self._chain_source().version_at(aggregate_id, self._pin)
        if version is None:
            raise AggregateNotFoundError(aggregate_id)
        pinned: Aggregate = self._app.repository.get(aggregate_id, version=version)
        return pinned

    def _broker(self, broker: object) -> Broker:
        return self._load(Broker, _as_id(broker, UnknownBroker, "broker"), UnknownBroker)

    def _trajectory(self, trajectory: object) -> Trajectory:
        trajectory_id = _as_id(trajectory, UnknownTrajectory, "trajectory")
        return self._load(Trajectory, trajectory_id, UnknownTrajectory)

    def _programme(self) -> Programme:
        """The store's programme; a default one (not yet saved) when none is configured."""
        try:
            programme: Aggregate = self._get(PROGRAMME_ID)
        except AggregateNotFoundError:
            return Programme(
                name=DEFAULT_PROGRAMME_NAME,
                pathway=PathwayKind.RESOURCE_PATHWAY,
                indicators=IndicatorSet(),
                policy=DEFAULT_POLICY,
                occurred_on=self._today(),
            )
        assert isinstance(programme, Programme)
        return programme

    def _save(self, *aggregates: Aggregate) -> None:
        """Write every pending event of `aggregates` in one atomic write."""
        self._app.save(*aggregates)

    # ----------------------------------------------------------------- programme

    @_command
    def configure_programme(
        self,
        *,
        name: str,
        on: date,
        pathway: PathwayKind = PathwayKind.RESOURCE_PATHWAY,
        indicators: IndicatorSet | None = None,
        limit_per_fte: int = DEFAULT_POLICY.limit_per_fte,
    ) -> None:
        """Set up the store's programme once, before anything else is recorded."""
        name = _text(name, "programme name")
        pathway = _member(pathway, PathwayKind, "pathway")
        indicators = IndicatorSet() if indicators is None else indicators
        if (
            not isinstance(indicators, IndicatorSet)
            or not indicators.names
            or not all(isinstance(n, str) and n for n in indicators.names)
            or not all(
                isinstance(s, int) and not isinstance(s, bool)
                for s in (indicators.min_score, indicators.max_score)
            )
            or indicators.min_score > indicators.max_score
        ):
            raise InvalidValue(
                "indicators must be an IndicatorSet with at least one name and whole-number "
                "scores min_score ≤ max_score"
            )
        policy = validated_policy(limit_per_fte, date.min, "default")
        day = self._day(on)

        def command() -> None:
            if self.head():
                raise ProgrammeAlreadyConfigured(
                    f"{self.store} already holds {self.head()} events; a programme is "
                    "configured once, before anything else is recorded (a store holds one "
                    "programme; change the limit with set_caseload_policy)"
                )
            programme = Programme(
                name=name, pathway=pathway, indicators=indicators, policy=policy, occurred_on=day
            )
            self._save(programme)

        self._run(command)

    @_command
    def set_caseload_policy(
        self,
        *,
        limit_per_fte: int,
        effective_from: date,
        name: str | None = None,
        on: date | None = None,
    ) -> CaseloadPolicy:
        """Set the caseload limit per full-time broker from `effective_from` on.

        `on` is the business date of the decision (today if omitted); `effective_from` may
        lie in the future. A policy lowered below a broker's caseload is recorded: it is
        management's decision, and the caseload report shows the breach it causes.
        """
        effective = check_date(effective_from, "effective_from")
        policy = validated_policy(limit_per_fte, effective, name if name is not None else "?")
        if name is None:
            policy = attrs.evolve(
                policy, name=f"{policy.limit_per_fte}-per-fte-from-{policy.effective_from}"
            )
        day = self._day(self._today() if on is None else on)

        def command() -> None:
            programme = self._programme()
            programme.change_policy(policy, day, self._today())
            # Every broker hears of the change in the same write, so an assignment that
            # read the old policy conflicts with it and is retried on the new one.
            brokers = [self._broker(broker_id) for broker_id in programme.brokers]
            for broker in brokers:
                if broker.left_on is None:
                    broker.note_policy(policy, day)
            self._save(programme, *brokers)

        self._run(command)
        return policy

    def limit_in_force(self, on: date | None = None) -> CaseloadPolicy:
        """The caseload policy in force on `on` (today if omitted)."""
        day = self._today() if on is None else check_date(on, "on")
        return self._programme().limit_in_force(day)

    # ----------------------------------------------------------------- brokers

    @_command
    def register_broker(self, *, name: str, team: str, on: date, fte: Any = 1.0) -> UUID:
        """Register a broker in the programme; returns the broker's id."""
        name = _text(name, "broker name")
        team = _text(team, "team")
        fte_value = validated_fte(fte)
        day = self._day(on)

        def command() -> UUID:
            programme = self._programme()
            broker = Broker(
                name=name, team=team, fte=fte_value, pathway=programme.pathway, occurred_on=day
            )
            programme.add_broker(broker.id, day)
            self._save(programme, broker)
            return broker.id

        return self._run(command)

    @_command
    def change_fte(self, broker: UUID, *, fte: Any, on: date) -> None:
        """Change a broker's FTE; refused if the new limit is below their caseload."""
        fte_value = validated_fte(fte)
        day = self._day(on)

        def command() -> None:
            programme = self._programme()
            aggregate = self._broker(broker)
            aggregate.change_fte(fte_value, day, programme.strictest_between(day, self._today()))
            self._save(programme, aggregate)

        self._run(command)

    @_command
    def broker_left(self, broker: UUID, *, on: date) -> None:
        """Record that a broker left the programme; refused while they hold cases, and on a
        day before a contact they made (which the log would then show made after leaving)."""
        day = self._day(on)
        broker_id = _as_id(broker, UnknownBroker, "broker")
        latest = self._latest_contact_by(broker_id)
        if latest is not None and latest > day:
            raise DateOutOfRange(
                f"broker {broker_id} made a contact on {latest}, after {day}; "
                "they cannot have left before it"
            )

        def command() -> None:
            aggregate = self._broker(broker_id)
            aggregate.leave(day)
            self._save(aggregate)

        self._run(command)

    def _latest_contact_by(self, broker: UUID) -> date | None:
        """The business date of the latest contact by a broker, found in the log.

        The broker aggregate does not hear of contacts (they are facts of trajectories), so
        the log is searched: contacts whose stored state mentions the broker's id, decoded
        and checked. Leaving is rare, and the search runs inside the database.
        """
        decoder = self._decoder()
        latest: date | None = None
        for row in self._chain_source().containing(_CONTACT_TOPIC, broker.hex):
            event = decoder.decode(row.originator_id, row.version, row.topic, row.state)
            if getattr(event, "by", None) == broker and (
                latest is None or event.occurred_on > latest  # type: ignore[attr-defined]
            ):
                latest = event.occurred_on  # type: ignore[attr-defined]
        return latest

    # ----------------------------------------------------------------- trajectories

    @_command
    def open_trajectory(
        self, *, cpr: str, on: date, pathway: PathwayKind = PathwayKind.RESOURCE_PATHWAY
    ) -> UUID:
        """Open a trajectory for the citizen with CPR number `cpr`; returns its id.

        Only a keyed pseudonym of the CPR number is stored. A citizen has at most one open
        trajectory at a time.
        """
        pathway = _member(pathway, PathwayKind, "pathway")
        day = self._day(on)
        key = self._key if self._key is not None else key_bytes(None)
        if birth_date(normalise_cpr(cpr)) > self._today():
            raise InvalidCitizenId("a CPR number cannot encode a birth date after today")
        pseudonym = pseudonymise(cpr, key)
        check = _key_check(key)

        def command() -> UUID:
            programme = self._programme()
            if programme.key_check is None:
                programme.register_key(check, day)
            elif not hmac.compare_digest(programme.key_check, check):
                raise ConfigurationError(
                    f"the pseudonym key differs from the one {self.store} made its pseudonyms "
                    "with; with it, the same citizen would get a second identity"
                )
            citizen_id = Citizen.create_id(pseudonym)
            try:
                citizen = self._load(Citizen, citizen_id, UnknownTrajectory)
            except UnknownTrajectory:
                citizen = Citizen(pseudonym=pseudonym, occurred_on=day)
            trajectory = Trajectory(citizen=pseudonym, pathway=pathway, occurred_on=day)
            citizen.start_trajectory(trajectory.id, day)
            self._save(programme, citizen, trajectory)
            return trajectory.id

        return self._run(command)

    @_command
    def assign(self, trajectory: UUID, broker: UUID, *, on: date) -> None:
        """Give an unassigned trajectory to a broker, within the broker's limit."""
        day = self._day(on)

        def command() -> None:
            programme = self._programme()
            case = self._trajectory(trajectory)
            holder = self._broker(broker)
            case.assign(holder.id, day)
            strictest = programme.strictest_between(day, self._today())
            holder.assign(case.id, case.pathway, day, strictest)
            self._save(programme, case, holder)

        self._run(command)

    @_command
    def transfer(self, trajectory: UUID, *, to_broker: UUID, on: date) -> None:
        """Move a trajectory to another broker; both brokers and the case in one write."""
        day = self._day(on)

        def command() -> None:
            programme = self._programme()
            case = self._trajectory(trajectory)
            receiver = self._broker(to_broker)
            giver = self._broker(case.transfer(receiver.id, day))
            giver.release(case.id, day)
            strictest = programme.strictest_between(day, self._today())
            receiver.assign(case.id, case.pathway, day, strictest)
            self._save(programme, case, giver, receiver)

        self._run(command)

    @_command
    def close_trajectory(self, trajectory: UUID, *, on: date, reason: ClosureReason) -> None:
        """Close a trajectory; its broker's case is released in the same write."""
        reason = _member(reason, ClosureReason, "closure reason")
        day = self._day(on)

        def command() -> None:
            case = self._trajectory(trajectory)
            holder_id = case.close(reason, day)
            citizen = self._load(Citizen, Citizen.create_id(case.citizen), UnknownTrajectory)
            citizen.end_trajectory(case.id, day)
            changed: list[Aggregate] = [case, citizen]
            if holder_id is not None:
                holder = self._broker(holder_id)
                holder.release(case.id, day)
                changed.append(holder)
            self._save(*changed)

        self._run(command)

    @_command
    def record_contact(
        self,
        trajectory: UUID,
        *,
        on: date,
        roles: Role | Iterable[Role],
        channel: Channel,
        by: UUID,
    ) -> None:
        """Record a contact: the roles exercised (one or more), the channel, and by whom
        (a broker, or a colleague without a caseload)."""
        role_set = _roles(roles)
        day = self._day(on)

        def command() -> None:
            case = self._trajectory(trajectory)
            actor_id = self._contact_actor(by, day)
            case.record_contact(role_set, channel, actor_id, day)
            self._save(case)

        self._run(command)

    @_command
    def record_progress(self, trajectory: UUID, *, on: date, scores: dict[str, int]) -> None:
        """Record scores on the programme's progression indicators."""
        day = self._day(on)

        def command() -> None:
            checked = validated_scores(scores, self._programme().indicators)
            case = self._trajectory(trajectory)
            case.record_progress(checked, day)
            self._save(case)

        self._run(command)

    @_command
    def record_job_placement(
        self,
        trajectory: UUID,
        *,
        on: date,
        kind: PlacementKind,
        hours_per_week: float | None = None,
    ) -> None:
        """Record a placement in an ordinary job (with paid hours), a flex job or education."""
        placement = validated_placement(kind, hours_per_week)
        day = self._day(on)

        def command() -> None:
            case = self._trajectory(trajectory)
            case.record_job_placement(placement, day)
            self._save(case)

        self._run(command)

    @_command
    def record_review(self, trajectory: UUID, *, on: date, outcome: ReviewOutcome) -> None:
        """Record the outcome of a management case review (sagssparring)."""
        outcome = _member(outcome, ReviewOutcome, "review outcome")
        day = self._day(on)

        def command() -> None:
            case = self._trajectory(trajectory)
            case.record_review(outcome, day)
            self._save(case)

        self._run(command)

    # ----------------------------------------------------------------- queries

    def events(self) -> Iterator[DomainEvent]:
        """Every stored event in the order it was recorded (read in batches)."""
        start = 1
        while True:
            batch = self._app.recorder.select_notifications(
                start=start, limit=_BATCH, stop=self._pin
            )
            if not batch:
                return
            for notification in batch:
                event = self._app.mapper.to_domain_event(notification)
                assert isinstance(event, DomainEvent)
                yield event
            start = batch[-1].id + 1

    def history(self, *, as_known_at: datetime | None = None) -> Iterator[tuple[int, DomainEvent]]:
        """Every event with its log position, in log order, read fast in large batches.

        With `as_known_at` (a timezone-aware moment), only the prefix of the log that had
        been recorded by then (see `Projections.known_position`).
        """
        moment = _optional_moment(as_known_at)
        projections = self.projections
        last = self.head() if moment is None else projections.known_position(moment)
        return projections.history(last)

    def head(self) -> int:
        """The position of the latest event in the log (0 when the log is empty); for a
        read-only session, the position it is pinned at."""
        return self._recorded_head() if self._pin is None else self._pin

    def _recorded_head(self) -> int:
        return self._app.recorder.max_notification_id() or 0

    # ----------------------------------------------------------------- audit

    def seal(self) -> Seal:
        """Record a seal of the log: the hash chain's head, its position and the moment.

        Keep the returned `digest` outside the database (print it, file it with the
        auditor): `verify(expect_seal=digest)` then proves the log up to the seal was not
        rewritten, even by someone who recomputed the whole chain.
        """
        self._writable()
        try:
            return self._chain_source().seal(datetime.now(UTC))
        except (PersistenceError, sqlite3.Error) as error:
            raise StoreUnavailable(f"{self.store} failed: {error}") from None

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
        from caseload.audit.verify import verify_store

        if expect_seal is not None and not _is_digest(expect_seal):
            raise InvalidValue("a seal digest is 64 hexadecimal characters")
        return verify_store(
            self._chain_source(),
            self._decoder(),
            self._stored_read_models(),
            default_read_models(),
            last=self._pin,
            expect_seal=expect_seal,
            snapshots=self._check_snapshots,
            progress=progress,
            today=self.today(),
        )

    def _check_snapshots(self) -> tuple[int, list[str]]:
        from caseload.audit.snapshots import check_snapshots

        def events(aggregate_id: UUID, version: int) -> list[Any]:
            return list(self._app.events.get(aggregate_id, lte=version))

        rows = self._chain_source().snapshot_rows()
        return check_snapshots(rows, self._app.mapper, events)

    def caseload(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> tuple[CaseloadRow, ...]:
        """Per broker: active cases, the limit in force, and utilisation.

        By default as things stand today. `as_true_on=D` gives the caseload as it stood on
        business date D (late registrations recorded since included); `as_known_at=T` (a
        timezone-aware moment) gives it as the log knew it at T. They combine.
        """
        state: CaseloadState = self._read_model("caseload", as_known_at, as_true_on)
        day = self._today() if as_true_on is None else check_date(as_true_on, "as_true_on")
        return caseload_rows(state, day)

    def caseload_report(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> CaseloadReport:
        """Caseload per broker and team, daily series, peaks and every breach of the limit."""
        state: CaseloadState = self._read_model("caseload", as_known_at, as_true_on)
        day = self._today() if as_true_on is None else check_date(as_true_on, "as_true_on")
        return caseload_report(state, day)

    def role_coverage(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> RoleCoverage:
        """Four-role coverage per trajectory, per broker, and as programme shares."""
        state: CoverageState = self._read_model("role_coverage", as_known_at, as_true_on)
        return role_coverage(state)

    def _on(self, as_true_on: date | None) -> date:
        return self._today() if as_true_on is None else check_date(as_true_on, "as_true_on")

    def outcomes(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> OutcomesReport:
        """Placements and closures by month and kind, the monthly share with paid hours or
        education, and each closed trajectory's status 1, 3, 6 and 12 months after exit."""
        state: OutcomesState = self._read_model("outcomes", as_known_at, as_true_on)
        return outcomes_report(state, self._on(as_true_on))

    def progression(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> ProgressionReport:
        """First and latest score and change per indicator and trajectory; shares improving."""
        state: ProgressionState = self._read_model("progression", as_known_at, as_true_on)
        return progression_report(state, self._on(as_true_on))

    def attention_list(
        self,
        *,
        thresholds: AttentionThresholds | None = None,
        as_known_at: datetime | None = None,
        as_true_on: date | None = None,
    ) -> AttentionReport:
        """Open trajectories that need a case review, and why (thresholds configurable)."""
        if thresholds is not None and not isinstance(thresholds, AttentionThresholds):
            raise InvalidValue(
                f"thresholds must be AttentionThresholds, not {type(thresholds).__name__}"
            )
        state: AttentionState = self._read_model("attention", as_known_at, as_true_on)
        return attention_report(state, self._on(as_true_on), thresholds)

    def staffing(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> StaffingReport:
        """Per team and month: brokers needed at the limit against the FTE available."""
        state: StaffingState = self._read_model("staffing", as_known_at, as_true_on)
        return staffing_report(state, self._on(as_true_on))

    def broker(self, broker: UUID) -> BrokerView:
        """One broker, as a frozen value."""
        aggregate = self._broker(broker)
        return BrokerView(
            broker_id=aggregate.id,
            name=aggregate.name,
            team=aggregate.team,
            fte=Decimal(aggregate.fte),
            pathway=aggregate.pathway,
            registered_on=aggregate.registered_on,
            left_on=aggregate.left_on,
            active_cases=frozenset(aggregate.active_cases),
            limit=aggregate.limit_under(self.limit_in_force()),
        )

    def trajectory(self, trajectory: UUID) -> TrajectoryView:
        """One trajectory, as a frozen value."""
        aggregate = self._trajectory(trajectory)
        return TrajectoryView(
            trajectory_id=aggregate.id,
            citizen=aggregate.citizen,
            pathway=aggregate.pathway,
            broker_id=aggregate.broker_id,
            opened_on=aggregate.opened_on,
            closed_on=aggregate.closed_on,
            closure_reason=aggregate.closure_reason,
        )

    # --- new resource-pathway commands ---
    # Colleagues without a caseload, employer-directed activity, and the reports on case
    # reviews, flow and employer activity: one block, so that it ports as one piece.

    @_command
    def register_colleague(self, *, name: str, team: str, on: date) -> UUID:
        """Register a colleague (kollega) who makes contacts but holds no cases, such as the
        employment caseworker (beskæftigelsesfaglig medarbejder) who keeps the authority
        role while roles are split; returns their id. A colleague has no caseload, no limit
        and no FTE in staffing."""
        name = _text(name, "colleague name")
        team = _text(team, "team")
        day = self._day(on)

        def command() -> UUID:
            colleague = Colleague(name=name, team=team, occurred_on=day)
            self._save(colleague)
            return colleague.id

        return self._run(command)

    @_command
    def colleague_left(self, colleague: UUID, *, on: date) -> None:
        """Record that a colleague stopped working with the programme's citizens; refused on
        a day before a contact they made (the log would then show it made after leaving)."""
        day = self._day(on)
        colleague_id = _as_id(colleague, UnknownColleague, "colleague")
        latest = self._latest_contact_by(colleague_id)
        if latest is not None and latest > day:
            raise DateOutOfRange(
                f"colleague {colleague_id} made a contact on {latest}, "
                f"{(latest - day).days} day(s) after {day}; they cannot have left before it"
            )

        def command() -> None:
            aggregate = self._colleague(colleague_id)
            aggregate.leave(day)
            self._save(aggregate)

        self._run(command)

    @_command
    def record_employer_activity(
        self,
        trajectory: UUID,
        *,
        on: date,
        kind: EmployerActivityKind,
        ends_on: date | None = None,
    ) -> None:
        """Record an employer-directed activity (virksomhedsrettet indsats) that started on
        `on`: a company internship, a wage-subsidy job or another activity at a company.
        `ends_on` is its planned last day (it may lie ahead), None when open-ended."""
        kind = _member(kind, EmployerActivityKind, "kind of employer-directed activity")
        day = self._day(on)
        until = None if ends_on is None else check_date(ends_on, "ends_on")

        def command() -> None:
            case = self._trajectory(trajectory)
            case.record_employer_activity(kind, day, until)
            self._save(case)

        self._run(command)

    def colleague(self, colleague: UUID) -> ColleagueView:
        """One colleague, as a frozen value."""
        aggregate = self._colleague(colleague)
        return ColleagueView(
            colleague_id=aggregate.id,
            name=aggregate.name,
            team=aggregate.team,
            registered_on=aggregate.registered_on,
            left_on=aggregate.left_on,
        )

    def reviews(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> ReviewReport:
        """Case reviews (sagssparring): each trajectory's latest, and the reviews per broker
        and month (counted for the broker holding the case on the review day)."""
        state: ReviewsState = self._read_model("reviews", as_known_at, as_true_on)
        return review_report(state, self._on(as_true_on))

    def flow(
        self, *, as_known_at: datetime | None = None, as_true_on: date | None = None
    ) -> FlowReport:
        """Trajectories opened, closed and open per month, and the time from opening to the
        first placement (per trajectory, and median and mean per month of placement)."""
        state: FlowState = self._read_model("flow", as_known_at, as_true_on)
        return flow_report(state, self._on(as_true_on))

    def employer_activity(
        self,
        *,
        within_days: int = DEFAULT_WITHIN_DAYS,
        as_known_at: datetime | None = None,
        as_true_on: date | None = None,
    ) -> EmployerActivityReport:
        """The share of open trajectories with employer-directed activity in the last
        `within_days` days (1 to MAX_WITHIN_DAYS), on the reference date and per month."""
        within_days = check_days(within_days, "within_days", maximum=MAX_WITHIN_DAYS)
        state: EmployerActivityState = self._read_model(
            "employer_activity", as_known_at, as_true_on
        )
        return employer_activity_report(state, self._on(as_true_on), within_days)

    def _colleague(self, colleague: object) -> Colleague:
        colleague_id = _as_id(colleague, UnknownColleague, "colleague")
        return self._load(Colleague, colleague_id, UnknownColleague)

    def _contact_actor(self, by: object, day: date) -> UUID:
        """The id of who made a contact on `day`: a broker in the programme that day, or a
        colleague registered by then who had not left. `UnknownBroker` when `by` is
        neither (the error a contact by an unknown id has always raised)."""
        actor_id = _as_id(by, UnknownBroker, "broker")
        try:
            actor = self._get(actor_id)
        except AggregateNotFoundError:
            raise UnknownBroker(
                f"no broker or colleague with id {actor_id} in {self.store}"
            ) from None
        if isinstance(actor, Colleague):
            actor.check_in_service(day, "record a contact by them")
            return actor.id
        if not isinstance(actor, Broker):
            raise UnknownBroker(
                f"{actor_id} is a {type(actor).__name__.lower()}, not a broker or a colleague"
            )
        if actor.left_on is not None and day > actor.left_on:
            raise BrokerHasLeft(
                f"broker {actor} left on {actor.left_on} and cannot have a contact on {day}"
            )
        if day < actor.registered_on:
            raise DateOutOfRange(
                f"broker {actor} was registered on {actor.registered_on}; "
                f"a contact by them on {day} is before that"
            )
        return actor.id

"""A Hypothesis state machine that drives a `Caseload` against a plain-dict model of the rules.

Subclass it to point it at your own store or service, and run `YourMachine.TestCase`:

    class TestMyService(CaseloadMachine):
        def make_app(self) -> Caseload:
            return Caseload("sqlite:///...", pseudonym_key=KEY, clock=...)

    TestCaseloadRules = TestMyService.TestCase
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule

from caseload.application.caseload import Caseload
from caseload.domain.errors import (
    AlreadyAssigned,
    BrokerHasLeft,
    BrokerHoldsCases,
    CaseloadError,
    CaseloadLimitExceeded,
    NotAssigned,
    TrajectoryAlreadyOpen,
    TrajectoryClosed,
)
from caseload.programmes.resource_pathway.domain.values import ClosureReason
from caseload.testing.strategies import closure_reasons, ftes

__all__ = ["CaseloadMachine"]


# Small FTEs give limits of 0 to 6 cases, which a short run of commands can reach.
machine_ftes = st.one_of(
    st.sampled_from(
        [Decimal("0.01"), Decimal("0.05"), Decimal("0.07"), Decimal("0.1"), Decimal("0.2")]
    ),
    ftes(),
)


def model_limit(fte: Decimal, limit_per_fte: int = 30) -> int:
    """The limit the rules promise: floor(limit_per_fte × FTE)."""
    return int(limit_per_fte * fte // 1)


class CaseloadMachine(RuleBasedStateMachine):
    """Random command sequences against a model: no broker ever exceeds their limit,
    no trajectory ever has two brokers, and the application always equals the model.

    Every command the model expects to be refused must raise exactly the model's
    `CaseloadError` subclass and leave the log as it was.
    """

    brokers = Bundle("brokers")
    trajectories = Bundle("trajectories")

    first_day = date(2024, 1, 1)
    """The business date of the first command; later ones move forward day by day."""
    citizens: tuple[str, ...] = tuple(
        f"{1 + n % 28:02d}0{1 + n // 28}90{1000 + n:04d}" for n in range(12)
    )
    """The citizens (CPR numbers) the machine draws from: few, so repeat openings occur."""
    limit_per_fte: int = 30
    """The limit per full-time post the model starts from: the programme's rule, written
    here rather than read from the store, so a store whose default differs fails the run."""

    def make_app(self) -> Caseload:
        """The application under test: override to use your own store."""
        return Caseload(
            "memory://",
            pseudonym_key="caseload-testing-machine-key",
            clock=lambda: date(2100, 1, 1),
        )

    def __init__(self) -> None:
        super().__init__()
        self.app = self.make_app()
        self.day = self.first_day
        # The model's policy: the limit per FTE from a day on.
        self.policies: list[tuple[date, int]] = [(date.min, self.limit_per_fte)]
        self.fte: dict[UUID, Decimal] = {}
        self.held: dict[UUID, set[UUID]] = {}
        self.left: set[UUID] = set()
        self.holder: dict[UUID, UUID | None] = {}
        self.closed: set[UUID] = set()
        self.citizen_of: dict[UUID, str] = {}
        self.open_for: dict[str, UUID] = {}

    def teardown(self) -> None:
        self.app.close()

    # --------------------------------------------------------------- helpers

    def limit(self, broker: UUID, on: date | None = None) -> int:
        """The model's limit for a broker on a day (today's business day by default)."""
        day = self.day if on is None else on
        per_fte = [limit for since, limit in self.policies if since <= day][-1]
        return model_limit(self.fte[broker], per_fte)

    def _refused(self, expected: type[CaseloadError], command: object) -> None:
        """Run `command`, which the model says breaks a rule, and check nothing was written."""
        before = self.app.head()
        try:
            command()  # type: ignore[operator]
        except CaseloadError as error:
            assert type(error) is expected, f"expected {expected.__name__}, got {error!r}"
        else:
            raise AssertionError(f"expected {expected.__name__}, but the command succeeded")
        assert self.app.head() == before, "a refused command wrote events"

    # --------------------------------------------------------------- rules

    @rule()
    def next_day(self) -> None:
        """Business time moves on."""
        self.day += timedelta(days=1)

    @rule(target=brokers, fte=machine_ftes)
    def register_broker(self, fte: Decimal) -> UUID:
        broker = self.app.register_broker(
            name=f"Broker {len(self.fte) + 1}", team="Team A", fte=fte, on=self.day
        )
        self.fte[broker] = fte
        self.held[broker] = set()
        return broker

    @rule(target=trajectories, pick=st.integers(0, 1_000))
    def open_trajectory(self, pick: int) -> UUID:
        cpr = self.citizens[pick % len(self.citizens)]
        if cpr in self.open_for:
            self._refused(
                TrajectoryAlreadyOpen, lambda: self.app.open_trajectory(cpr=cpr, on=self.day)
            )
            return self.open_for[cpr]
        trajectory = self.app.open_trajectory(cpr=cpr, on=self.day)
        self.open_for[cpr] = trajectory
        self.citizen_of[trajectory] = cpr
        self.holder[trajectory] = None
        return trajectory

    @rule(trajectory=trajectories, broker=brokers)
    def assign(self, trajectory: UUID, broker: UUID) -> None:
        def command() -> None:
            self.app.assign(trajectory, broker, on=self.day)

        if trajectory in self.closed:
            self._refused(TrajectoryClosed, command)
        elif self.holder[trajectory] is not None:
            self._refused(AlreadyAssigned, command)
        elif broker in self.left:
            self._refused(BrokerHasLeft, command)
        elif len(self.held[broker]) >= self.limit(broker):
            self._refused(CaseloadLimitExceeded, command)
        else:
            command()
            self.holder[trajectory] = broker
            self.held[broker].add(trajectory)

    @rule(trajectory=trajectories, broker=brokers)
    def transfer(self, trajectory: UUID, broker: UUID) -> None:
        def command() -> None:
            self.app.transfer(trajectory, to_broker=broker, on=self.day)

        giver = self.holder[trajectory]
        if trajectory in self.closed:
            self._refused(TrajectoryClosed, command)
        elif giver is None:
            self._refused(NotAssigned, command)
        elif giver == broker:
            self._refused(AlreadyAssigned, command)
        elif broker in self.left:
            self._refused(BrokerHasLeft, command)
        elif len(self.held[broker]) >= self.limit(broker):
            self._refused(CaseloadLimitExceeded, command)
        else:
            command()
            self.held[giver].discard(trajectory)
            self.held[broker].add(trajectory)
            self.holder[trajectory] = broker

    @rule(trajectory=trajectories, reason=closure_reasons())
    def close(self, trajectory: UUID, reason: ClosureReason) -> None:
        def command() -> None:
            self.app.close_trajectory(trajectory, on=self.day, reason=reason)

        if trajectory in self.closed:
            self._refused(TrajectoryClosed, command)
            return
        command()
        self.closed.add(trajectory)
        giver = self.holder[trajectory]
        if giver is not None:
            self.held[giver].discard(trajectory)
        self.holder[trajectory] = None
        del self.open_for[self.citizen_of[trajectory]]

    @rule(broker=brokers, fte=machine_ftes)
    def change_fte(self, broker: UUID, fte: Decimal) -> None:
        def command() -> None:
            self.app.change_fte(broker, fte=fte, on=self.day)

        if broker in self.left:
            self._refused(BrokerHasLeft, command)
        elif len(self.held[broker]) > model_limit(fte, self.policies[-1][1]):
            self._refused(BrokerHoldsCases, command)
        else:
            command()
            self.fte[broker] = fte

    @rule(limit_per_fte=st.integers(1, 40))
    def change_policy(self, limit_per_fte: int) -> None:
        """Management sets a new limit from tomorrow, unless a broker already holds more
        than it allows (a lower limit below a caseload is possible but makes a breach)."""
        tomorrow = self.day + timedelta(days=1)
        fits = all(
            len(self.held[b]) <= model_limit(self.fte[b], limit_per_fte)
            for b in self.fte
            if b not in self.left
        )
        if not fits:
            return
        self.app.set_caseload_policy(
            limit_per_fte=limit_per_fte, effective_from=tomorrow, on=self.day
        )
        self.policies = [p for p in self.policies if p[0] != tomorrow] + [(tomorrow, limit_per_fte)]
        self.day = tomorrow

    @precondition(lambda self: bool(self.fte))
    @rule(broker=brokers)
    def leave(self, broker: UUID) -> None:
        def command() -> None:
            self.app.broker_left(broker, on=self.day)

        if broker in self.left:
            self._refused(BrokerHasLeft, command)
        elif self.held[broker]:
            self._refused(BrokerHoldsCases, command)
        else:
            command()
            self.left.add(broker)

    # --------------------------------------------------------------- invariants

    @invariant()
    def no_broker_over_limit_and_app_equals_model(self) -> None:
        for broker, fte in self.fte.items():
            view = self.app.broker(broker)
            assert view.active_cases == self.held[broker]
            assert len(view.active_cases) <= self.limit(broker)
            assert view.limit == model_limit(fte, self.policies[-1][1])

    @invariant()
    def every_trajectory_has_at_most_one_broker(self) -> None:
        holders: dict[UUID, UUID | None] = {}
        for broker in self.fte:
            for trajectory in self.app.broker(broker).active_cases:
                assert trajectory not in holders, f"{trajectory} held by two brokers"
                holders[trajectory] = broker
        for trajectory, holder in self.holder.items():
            assert self.app.trajectory(trajectory).broker_id == holder
            assert holders.get(trajectory) == holder

    @invariant()
    def caseload_projection_equals_model(self) -> None:
        rows = {row.broker_id: row for row in self.app.caseload(as_true_on=self.day)}
        assert set(rows) == set(self.fte)
        for broker, row in rows.items():
            assert row.active_cases == len(self.held[broker])
            assert row.limit == self.limit(broker)
            assert (row.left_on is not None) == (broker in self.left)

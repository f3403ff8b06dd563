"""Command histories: random sequences of caseload commands, and a runner that replays them.

A history refers to brokers, colleagues and trajectories by their index in creation order,
so it is plain data that Hypothesis can shrink; `run_history` resolves the indices as it goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import attrs
from hypothesis import strategies as st

from caseload import commands as c
from caseload.application.caseload import Caseload
from caseload.domain.errors import CaseloadError
from caseload.testing.strategies import (
    channels,
    closure_reasons,
    cprs,
    employer_activity_kinds,
    ftes,
    placements,
    review_outcomes,
    role_sets,
    scores,
)

__all__ = [
    "HistoryResult",
    "Plan",
    "Step",
    "commands",
    "histories",
    "plan",
    "run_history",
]


@attrs.frozen(repr=False)
class Plan:
    """One step of a history, as plain data that Hypothesis can shrink: a command class of
    `caseload.commands`, the values of its fields, and the broker and trajectory it refers
    to by their number in creation order (resolved by `run_history` as it goes).

    The business date is the run's day for the step, `days_back` days earlier (a late
    registration when above 0). A `RegisterBroker` step is named after its number.
    """

    command: type[Any]
    values: tuple[tuple[str, Any], ...] = ()
    trajectory: int | None = None
    broker: int | None = None
    days_back: int = 0
    colleague: int | None = None
    """A colleague without a caseload, by number: who makes a contact or leaves."""

    def value(self, name: str) -> Any:
        """The value given for field `name`."""
        return dict(self.values)[name]

    def __repr__(self) -> str:
        parts = [f"trajectory=#{self.trajectory}"] if self.trajectory is not None else []
        parts += [f"broker=#{self.broker}"] if self.broker is not None else []
        parts += [f"colleague=#{self.colleague}"] if self.colleague is not None else []
        parts += [f"{name}={value!r}" for name, value in self.values]
        parts += [f"days_back={self.days_back}"] if self.days_back else []
        return f"{self.command.__name__}({', '.join(parts)})"


_BROKER_FIELDS = ("broker", "to_broker", "by")


def plan(command: type[Any], **values: Any) -> Plan:
    """A `Plan` of `command` with these field values; `trajectory` and `broker` are numbers
    in creation order, `days_back` dates the step that many days before its day."""
    trajectory = values.pop("trajectory", None)
    broker = values.pop("broker", None)
    days_back = values.pop("days_back", 0)
    colleague = values.pop("colleague", None)
    return Plan(command, tuple(sorted(values.items())), trajectory, broker, days_back, colleague)


_index = st.integers(0, 1_000)
_days_back = st.integers(0, 10)


def commands(citizens: Sequence[str] | None = None) -> st.SearchStrategy[Plan]:
    """Any one command. With `citizens`, CPR numbers are drawn from that pool (so repeats occur)."""
    cpr = st.sampled_from(list(citizens)) if citizens else cprs()
    return st.one_of(
        st.builds(
            plan, st.just(c.RegisterBroker), team=st.sampled_from(("Team A", "Team B")), fte=ftes()
        ),
        st.builds(plan, st.just(c.OpenTrajectory), cpr=cpr),
        st.builds(plan, st.just(c.Assign), trajectory=_index, broker=_index),
        st.builds(plan, st.just(c.Transfer), trajectory=_index, broker=_index),
        st.builds(plan, st.just(c.CloseTrajectory), trajectory=_index, reason=closure_reasons()),
        st.builds(plan, st.just(c.ChangeFte), broker=_index, fte=ftes()),
        st.builds(plan, st.just(c.BrokerLeaves), broker=_index),
        st.builds(
            plan,
            st.just(c.RecordContact),
            trajectory=_index,
            broker=_index,
            roles=role_sets(),
            channel=channels(),
        ),
        st.builds(
            plan,
            st.just(c.RecordProgress),
            trajectory=_index,
            scores=scores().map(lambda given: tuple(sorted(given.items()))),
            days_back=_days_back,
        ),
        placements().flatmap(
            lambda pair: st.builds(
                plan,
                st.just(c.RecordJobPlacement),
                trajectory=_index,
                kind=st.just(pair[0]),
                hours_per_week=st.just(pair[1]),
                days_back=_days_back,
            )
        ),
        st.builds(plan, st.just(c.RecordReview), trajectory=_index, outcome=review_outcomes()),
        st.builds(plan, st.just(c.RegisterColleague), team=st.sampled_from(("Team A", "Team B"))),
        st.builds(plan, st.just(c.ColleagueLeaves), colleague=_index),
        st.builds(
            plan,
            st.just(c.RecordContact),
            trajectory=_index,
            colleague=_index,
            roles=role_sets(),
            channel=channels(),
        ),
        st.builds(
            plan,
            st.just(c.RecordEmployerActivity),
            trajectory=_index,
            kind=employer_activity_kinds(),
            weeks=st.none() | st.integers(0, 26),
            days_back=_days_back,
        ),
    )


def histories(
    *, min_size: int = 0, max_size: int = 60, citizens: Sequence[str] | None = None
) -> st.SearchStrategy[list[Plan]]:
    """Sequences of commands, a broker registered first so assignments have a target."""
    first = st.builds(plan, st.just(c.RegisterBroker), team=st.just("Team A"), fte=ftes())
    rest = st.lists(commands(citizens), min_size=max(0, min_size - 1), max_size=max_size - 1)
    return st.builds(lambda head, tail: [head, *tail], first, rest)


@attrs.frozen
class Step:
    """One command as it was run: the command itself (with its business date and the ids
    its plan's numbers resolved to) and, for convenience, that date and those ids."""

    command: Any
    on: date
    trajectory: UUID | None
    broker: UUID | None
    colleague: UUID | None = None


@attrs.frozen
class HistoryResult:
    """What replaying a history did."""

    brokers: tuple[UUID, ...]
    trajectories: tuple[UUID, ...]
    accepted: tuple[Step, ...]
    refused: tuple[tuple[Step, CaseloadError], ...]
    colleagues: tuple[UUID, ...] = ()


def run_history(
    app: Caseload, history: Sequence[Plan], *, start: date = date(2024, 1, 1)
) -> HistoryResult:
    """Replay `history` on `app` through `Caseload.handle`, one business day per step from
    `start` on (less a step's `days_back`).

    Numbers wrap around the brokers and trajectories created so far; a step whose number
    has nothing to refer to yet is skipped. Each accepted or refused command is reported
    as a `Step` with the ids it used; refusals keep their `CaseloadError`.
    """
    brokers: list[UUID] = []
    colleagues: list[UUID] = []
    trajectories: list[UUID] = []
    accepted: list[Step] = []
    refused: list[tuple[Step, CaseloadError]] = []
    for number, plan in enumerate(history):
        day = start + timedelta(days=number - plan.days_back)
        trajectory = (
            trajectories[plan.trajectory % len(trajectories)]
            if trajectories and plan.trajectory is not None
            else None
        )
        broker = (
            brokers[plan.broker % len(brokers)] if brokers and plan.broker is not None else None
        )
        colleague = (
            colleagues[plan.colleague % len(colleagues)]
            if colleagues and plan.colleague is not None
            else None
        )
        if (
            (plan.trajectory is not None and trajectory is None)
            or (plan.broker is not None and broker is None)
            or (plan.colleague is not None and colleague is None)
        ):
            continue  # nothing to refer to yet
        fields = {field.name for field in attrs.fields(plan.command)}
        values: dict[str, Any] = {**dict(plan.values), "on": day}
        if trajectory is not None:
            values["trajectory"] = trajectory
        if broker is not None:
            values[next(name for name in _BROKER_FIELDS if name in fields)] = broker
        if colleague is not None:
            values["colleague" if "colleague" in fields else "by"] = colleague
        if plan.command is c.RegisterBroker:
            values["name"] = f"Broker {len(brokers) + 1}"
        if plan.command is c.RegisterColleague:
            values["name"] = f"Colleague {len(colleagues) + 1}"
        if plan.command is c.RecordProgress:
            values["scores"] = dict(values["scores"])
        if plan.command is c.RecordEmployerActivity:
            weeks = values.pop("weeks")
            values["ends_on"] = None if weeks is None else day + timedelta(weeks=weeks)
        try:
            command = plan.command(**values)
            made = app.handle(command)
        except CaseloadError as error:
            refused.append((Step(plan, day, trajectory, broker, colleague), error))
            continue
        if plan.command is c.RegisterBroker:
            broker = made
            brokers.append(made)
        elif plan.command is c.OpenTrajectory:
            trajectory = made
            trajectories.append(made)
        elif plan.command is c.RegisterColleague:
            colleague = made
            colleagues.append(made)
        accepted.append(Step(command, day, trajectory, broker, colleague))
    return HistoryResult(
        brokers=tuple(brokers),
        trajectories=tuple(trajectories),
        accepted=tuple(accepted),
        refused=tuple(refused),
        colleagues=tuple(colleagues),
    )

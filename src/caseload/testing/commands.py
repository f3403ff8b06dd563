"""Command histories: random sequences of caseload commands, and a runner that replays them.

A history refers to brokers and trajectories by their index in creation order, so it is
plain data that Hypothesis can shrink; `run_history` resolves the indices as it goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import attrs
from hypothesis import strategies as st

from caseload.application import Caseload
from caseload.domain.errors import CaseloadError
from caseload.domain.values import Channel, ClosureReason, Role
from caseload.testing.strategies import channels, closure_reasons, cprs, ftes, role_sets

__all__ = [
    "Assign",
    "ChangeFte",
    "Close",
    "Command",
    "HistoryResult",
    "Leave",
    "OpenTrajectory",
    "RecordContact",
    "RegisterBroker",
    "Transfer",
    "commands",
    "histories",
    "run_history",
]


@attrs.frozen
class RegisterBroker:
    """Register a broker with this FTE."""

    team: str
    fte: Decimal


@attrs.frozen
class OpenTrajectory:
    """Open a trajectory for this CPR number."""

    cpr: str


@attrs.frozen
class Assign:
    """Assign trajectory number `trajectory` to broker number `broker`."""

    trajectory: int
    broker: int


@attrs.frozen
class Transfer:
    """Transfer trajectory number `trajectory` to broker number `broker`."""

    trajectory: int
    broker: int


@attrs.frozen
class Close:
    """Close trajectory number `trajectory`."""

    trajectory: int
    reason: ClosureReason


@attrs.frozen
class ChangeFte:
    """Change broker number `broker` to this FTE."""

    broker: int
    fte: Decimal


@attrs.frozen
class Leave:
    """Broker number `broker` leaves."""

    broker: int


@attrs.frozen
class RecordContact:
    """A contact on trajectory number `trajectory` by broker number `broker`."""

    trajectory: int
    broker: int
    roles: frozenset[Role]
    channel: Channel


Command = (
    RegisterBroker | OpenTrajectory | Assign | Transfer | Close | ChangeFte | Leave | RecordContact
)

_index = st.integers(0, 1_000)


def commands(citizens: Sequence[str] | None = None) -> st.SearchStrategy[Command]:
    """Any one command. With `citizens`, CPR numbers are drawn from that pool (so repeats occur)."""
    cpr = st.sampled_from(list(citizens)) if citizens else cprs()
    return st.one_of(
        st.builds(RegisterBroker, team=st.sampled_from(("Team A", "Team B")), fte=ftes()),
        st.builds(OpenTrajectory, cpr=cpr),
        st.builds(Assign, trajectory=_index, broker=_index),
        st.builds(Transfer, trajectory=_index, broker=_index),
        st.builds(Close, trajectory=_index, reason=closure_reasons()),
        st.builds(ChangeFte, broker=_index, fte=ftes()),
        st.builds(Leave, broker=_index),
        st.builds(
            RecordContact,
            trajectory=_index,
            broker=_index,
            roles=role_sets(),
            channel=channels(),
        ),
    )


def histories(
    *, min_size: int = 0, max_size: int = 60, citizens: Sequence[str] | None = None
) -> st.SearchStrategy[list[Command]]:
    """Sequences of commands, a broker registered first so assignments have a target."""
    first = st.builds(RegisterBroker, team=st.just("Team A"), fte=ftes())
    rest = st.lists(commands(citizens), min_size=max(0, min_size - 1), max_size=max_size - 1)
    return st.builds(lambda head, tail: [head, *tail], first, rest)


@attrs.frozen
class HistoryResult:
    """What replaying a history did."""

    brokers: tuple[UUID, ...]
    trajectories: tuple[UUID, ...]
    accepted: tuple[Command, ...]
    refused: tuple[tuple[Command, CaseloadError], ...]


def run_history(
    app: Caseload, history: Sequence[Command], *, start: date = date(2024, 1, 1)
) -> HistoryResult:
    """Replay `history` on `app`, one business day per command from `start` on.

    Indices wrap around the brokers and trajectories created so far; a command whose
    index has nothing to refer to yet is skipped. Refusals (`CaseloadError`) are collected.
    """
    brokers: list[UUID] = []
    trajectories: list[UUID] = []
    accepted: list[Command] = []
    refused: list[tuple[Command, CaseloadError]] = []
    for step, command in enumerate(history):
        day = start + timedelta(days=step)
        try:
            match command:
                case RegisterBroker(team=team, fte=fte):
                    name = f"Broker {len(brokers) + 1}"
                    brokers.append(app.register_broker(name=name, team=team, fte=fte, on=day))
                case OpenTrajectory(cpr=cpr):
                    trajectories.append(app.open_trajectory(cpr=cpr, on=day))
                case Assign(trajectory=t, broker=b) if trajectories and brokers:
                    app.assign(
                        trajectories[t % len(trajectories)], brokers[b % len(brokers)], on=day
                    )
                case Transfer(trajectory=t, broker=b) if trajectories and brokers:
                    app.transfer(
                        trajectories[t % len(trajectories)],
                        to_broker=brokers[b % len(brokers)],
                        on=day,
                    )
                case Close(trajectory=t, reason=reason) if trajectories:
                    app.close_trajectory(trajectories[t % len(trajectories)], on=day, reason=reason)
                case ChangeFte(broker=b, fte=fte) if brokers:
                    app.change_fte(brokers[b % len(brokers)], fte=fte, on=day)
                case Leave(broker=b) if brokers:
                    app.broker_left(brokers[b % len(brokers)], on=day)
                case RecordContact(trajectory=t, broker=b, roles=roles, channel=channel) if (
                    trajectories and brokers
                ):
                    app.record_contact(
                        trajectories[t % len(trajectories)],
                        on=day,
                        roles=roles,
                        channel=channel,
                        by=brokers[b % len(brokers)],
                    )
                case _:
                    continue
        except CaseloadError as error:
            refused.append((command, error))
        else:
            accepted.append(command)
    return HistoryResult(
        brokers=tuple(brokers),
        trajectories=tuple(trajectories),
        accepted=tuple(accepted),
        refused=tuple(refused),
    )

"""Command histories: random sequences of caseload commands, and a runner that replays them.

A history refers to brokers, colleagues and trajectories by their index in creation order,
so it is plain data that Hypothesis can shrink; `run_history` resolves the indices as it goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import attrs
from hypothesis import strategies as st

from caseload.application.caseload import Caseload
from caseload.domain.errors import CaseloadError
from caseload.programmes.resource_pathway.domain.values import (
    Channel,
    ClosureReason,
    EmployerActivityKind,
    PlacementKind,
    ReviewOutcome,
    Role,
)
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
    "Assign",
    "ChangeFte",
    "Close",
    "ColleagueLeaves",
    "Command",
    "HistoryResult",
    "Leave",
    "OpenTrajectory",
    "RecordColleagueContact",
    "RecordContact",
    "RecordEmployerActivity",
    "RecordPlacement",
    "RecordProgress",
    "RecordReview",
    "RegisterBroker",
    "RegisterColleague",
    "Step",
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


@attrs.frozen
class RecordProgress:
    """Progression scores on trajectory number `trajectory`, measured `days_back` days
    before the command's day (a late registration when above 0)."""

    trajectory: int
    scores: tuple[tuple[str, int], ...]
    """(indicator, score) pairs, as `dict(scores)` is passed to `record_progress`."""
    days_back: int = 0


@attrs.frozen
class RecordPlacement:
    """A job placement on trajectory number `trajectory`, dated `days_back` days before the
    command's day (a late registration when above 0)."""

    trajectory: int
    kind: PlacementKind
    hours_per_week: int | None
    days_back: int = 0


@attrs.frozen
class RecordReview:
    """A management case review of trajectory number `trajectory`."""

    trajectory: int
    outcome: ReviewOutcome


@attrs.frozen
class RegisterColleague:
    """Register a colleague (no caseload) in this team."""

    team: str


@attrs.frozen
class ColleagueLeaves:
    """Colleague number `colleague` leaves."""

    colleague: int


@attrs.frozen
class RecordColleagueContact:
    """A contact on trajectory number `trajectory` by colleague number `colleague`."""

    trajectory: int
    colleague: int
    roles: frozenset[Role]
    channel: Channel


@attrs.frozen
class RecordEmployerActivity:
    """An employer-directed activity on trajectory number `trajectory`, started `days_back`
    days before the command's day and planned to end `weeks` weeks after its start (None:
    open-ended)."""

    trajectory: int
    kind: EmployerActivityKind
    weeks: int | None
    days_back: int = 0


Command = (
    RegisterBroker
    | OpenTrajectory
    | Assign
    | Transfer
    | Close
    | ChangeFte
    | Leave
    | RecordContact
    | RecordProgress
    | RecordPlacement
    | RecordReview
    | RegisterColleague
    | ColleagueLeaves
    | RecordColleagueContact
    | RecordEmployerActivity
)

_index = st.integers(0, 1_000)
_days_back = st.integers(0, 10)


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
        st.builds(
            RecordProgress,
            trajectory=_index,
            scores=scores().map(lambda given: tuple(sorted(given.items()))),
            days_back=_days_back,
        ),
        placements().flatmap(
            lambda pair: st.builds(
                RecordPlacement,
                trajectory=_index,
                kind=st.just(pair[0]),
                hours_per_week=st.just(pair[1]),
                days_back=_days_back,
            )
        ),
        st.builds(RecordReview, trajectory=_index, outcome=review_outcomes()),
        st.builds(RegisterColleague, team=st.sampled_from(("Team A", "Team B"))),
        st.builds(ColleagueLeaves, colleague=_index),
        st.builds(
            RecordColleagueContact,
            trajectory=_index,
            colleague=_index,
            roles=role_sets(),
            channel=channels(),
        ),
        st.builds(
            RecordEmployerActivity,
            trajectory=_index,
            kind=employer_activity_kinds(),
            weeks=st.none() | st.integers(0, 26),
            days_back=_days_back,
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
class Step:
    """One command as it was run: its business date and the ids its indices resolved to."""

    command: Command
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
    app: Caseload, history: Sequence[Command], *, start: date = date(2024, 1, 1)
) -> HistoryResult:
    """Replay `history` on `app`, one business day per command from `start` on.

    `RecordProgress`, `RecordPlacement` and `RecordEmployerActivity` are dated their
    `days_back` days before the command's day (their `Step.on` is that date), so a history
    can hold late registrations. Indices wrap around the brokers, colleagues and
    trajectories created so far; a command whose index has nothing to refer to yet is
    skipped. Each accepted or refused command is
    reported as a `Step` with the ids it used; refusals keep their `CaseloadError`.
    """
    brokers: list[UUID] = []
    colleagues: list[UUID] = []
    trajectories: list[UUID] = []
    accepted: list[Step] = []
    refused: list[tuple[Step, CaseloadError]] = []
    for number, command in enumerate(history):
        day = start + timedelta(days=number)
        t_index = getattr(command, "trajectory", None)
        b_index = getattr(command, "broker", None)
        trajectory = (
            trajectories[t_index % len(trajectories)]
            if trajectories and t_index is not None
            else None
        )
        broker = brokers[b_index % len(brokers)] if brokers and b_index is not None else None
        c_index = getattr(command, "colleague", None)
        colleague = (
            colleagues[c_index % len(colleagues)] if colleagues and c_index is not None else None
        )
        if (
            (t_index is not None and trajectory is None)
            or (b_index is not None and broker is None)
            or (c_index is not None and colleague is None)
        ):
            continue  # nothing to refer to yet
        try:
            match command:
                case RegisterBroker(team=team, fte=fte):
                    name = f"Broker {len(brokers) + 1}"
                    broker = app.register_broker(name=name, team=team, fte=fte, on=day)
                    brokers.append(broker)
                case OpenTrajectory(cpr=cpr):
                    trajectory = app.open_trajectory(cpr=cpr, on=day)
                    trajectories.append(trajectory)
                case Assign():
                    app.assign(_id(trajectory), _id(broker), on=day)
                case Transfer():
                    app.transfer(_id(trajectory), to_broker=_id(broker), on=day)
                case Close(reason=reason):
                    app.close_trajectory(_id(trajectory), on=day, reason=reason)
                case ChangeFte(fte=fte):
                    app.change_fte(_id(broker), fte=fte, on=day)
                case Leave():
                    app.broker_left(_id(broker), on=day)
                case RecordContact(roles=roles, channel=channel):
                    app.record_contact(
                        _id(trajectory), on=day, roles=roles, channel=channel, by=_id(broker)
                    )
                case RecordProgress(scores=given, days_back=back):
                    day -= timedelta(days=back)
                    app.record_progress(_id(trajectory), on=day, scores=dict(given))
                case RecordPlacement(kind=kind, hours_per_week=hours, days_back=back):
                    day -= timedelta(days=back)
                    app.record_job_placement(
                        _id(trajectory), on=day, kind=kind, hours_per_week=hours
                    )
                case RecordReview(outcome=outcome):
                    app.record_review(_id(trajectory), on=day, outcome=outcome)
                case RegisterColleague(team=team):
                    name = f"Colleague {len(colleagues) + 1}"
                    colleague = app.register_colleague(name=name, team=team, on=day)
                    colleagues.append(colleague)
                case ColleagueLeaves():
                    app.colleague_left(_id(colleague), on=day)
                case RecordColleagueContact(roles=roles, channel=channel):
                    app.record_contact(
                        _id(trajectory), on=day, roles=roles, channel=channel, by=_id(colleague)
                    )
                case RecordEmployerActivity(kind=kind, weeks=weeks, days_back=back):
                    day -= timedelta(days=back)
                    ends_on = None if weeks is None else day + timedelta(weeks=weeks)
                    app.record_employer_activity(
                        _id(trajectory), on=day, kind=kind, ends_on=ends_on
                    )
        except CaseloadError as error:
            refused.append((Step(command, day, trajectory, broker, colleague), error))
        else:
            accepted.append(Step(command, day, trajectory, broker, colleague))
    return HistoryResult(
        brokers=tuple(brokers),
        trajectories=tuple(trajectories),
        accepted=tuple(accepted),
        refused=tuple(refused),
        colleagues=tuple(colleagues),
    )


def _id(resolved: UUID | None) -> UUID:
    assert resolved is not None
    return resolved

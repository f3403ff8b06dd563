"""Helpers shared by the unit tests: a fresh application, fresh CPR numbers, cases, brokers,
and a table of every command taking a business date (for the trajectory and date tests)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import attrs

from caseload import (
    Caseload,
    Channel,
    ClosureReason,
    EmployerActivityKind,
    PathwayKind,
    PlacementKind,
    ReviewOutcome,
    Role,
)
from caseload.projections.base import canonical_bytes, reference_bytes
from tests.conftest import KEY, TODAY, fixed_clock

START = date(2025, 1, 6)
"""The first business day the tests record; TODAY (the clock) is SPAN days later."""
SPAN = (TODAY - START).days

_serials = itertools.count()


def new_app() -> Caseload:
    """A fresh in-memory application on the tests' key and clock (usable inside @given)."""
    return Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)


def next_cpr() -> str:
    """A valid CPR number (born 1890 or 1990) not handed out before in this test run."""
    i = next(_serials)
    return f"{1 + i % 28:02d}{1 + (i // 28) % 12:02d}90{(i // 336) % 10000:04d}"


def open_case(app: Caseload, on: date = START, pathway: PathwayKind | None = None) -> UUID:
    """Open a trajectory for a new citizen (on the default pathway unless one is given)."""
    if pathway is None:
        return app.open_trajectory(cpr=next_cpr(), on=on)
    return app.open_trajectory(cpr=next_cpr(), on=on, pathway=pathway)


def recorded_by(app: Caseload) -> datetime:
    """The moment by which every event in the log so far had been recorded, taken from the
    events themselves: asked `as_known_at` it gives exactly this prefix of the log, however
    coarse the clock or short a sleep would have been (the next command is recorded later)."""
    return max(event.timestamp for event in app.events())


def give_cases(app: Caseload, broker: UUID, count: int, on: date = START) -> list[UUID]:
    """Open `count` trajectories and assign them all to `broker` on `on`."""
    cases = []
    for _ in range(count):
        case = open_case(app, on)
        app.assign(case, broker, on=on)
        cases.append(case)
    return cases


def register(app: Caseload, fte: object = 1.0, on: date = START, name: str = "Broker") -> UUID:
    """Register a broker in team "T"."""
    return app.register_broker(name=name, team="T", fte=fte, on=on)


@attrs.frozen
class Office:
    """An application with two brokers (A holds `case`) and an unassigned trajectory."""

    app: Caseload
    a: UUID
    b: UUID
    case: UUID
    spare: UUID


def office(app: Caseload, opened: date = START) -> Office:
    """Register brokers A and B on START, open two cases on `opened`, give `case` to A."""
    a = app.register_broker(name="A", team="T", on=START)
    b = app.register_broker(name="B", team="T", on=START)
    case = app.open_trajectory(cpr=next_cpr(), on=opened)
    spare = app.open_trajectory(cpr=next_cpr(), on=opened)
    app.assign(case, a, on=opened)
    return Office(app, a, b, case, spare)


Command = Callable[[Office, Any], None]
"""A command run on an `Office`, given its business date (or, for enum tests, a value)."""

TRAJECTORY_COMMANDS: dict[str, Command] = {
    "contact": lambda o, on: o.app.record_contact(
        o.case, on=on, roles=Role.COACH, channel=Channel.PHONE, by=o.b
    ),
    "progress": lambda o, on: o.app.record_progress(o.case, on=on, scores={"job_search": 3}),
    "placement": lambda o, on: o.app.record_job_placement(
        o.case, on=on, kind=PlacementKind.FLEX_JOB
    ),
    "review": lambda o, on: o.app.record_review(o.case, on=on, outcome=ReviewOutcome.CONTINUE),
    "employer_activity": lambda o, on: o.app.record_employer_activity(
        o.case, on=on, kind=EmployerActivityKind.COMPANY_INTERNSHIP
    ),
    "assign": lambda o, on: o.app.assign(o.spare, o.b, on=on),
    "transfer": lambda o, on: o.app.transfer(o.case, to_broker=o.b, on=on),
    "close": lambda o, on: o.app.close_trajectory(o.case, on=on, reason=ClosureReason.MOVED),
}

ALL_COMMANDS: dict[str, Command] = {
    **TRAJECTORY_COMMANDS,
    "configure_programme": lambda o, on: o.app.configure_programme(name="P", on=on),
    "set_caseload_policy": lambda o, on: o.app.set_caseload_policy(
        limit_per_fte=20, effective_from=START, on=on
    ),
    "register_broker": lambda o, on: o.app.register_broker(name="C", team="T", on=on),
    "register_colleague": lambda o, on: o.app.register_colleague(name="K", team="T", on=on),
    "change_fte": lambda o, on: o.app.change_fte(o.b, fte=0.5, on=on),
    "broker_left": lambda o, on: o.app.broker_left(o.b, on=on),
    "open_trajectory": lambda o, on: o.app.open_trajectory(cpr=next_cpr(), on=on),
}


def assert_round_trip(model: Any, state: Any, report: Callable[[Any, date], Any], on: date) -> None:
    """Encoding a read model's state, decoding it through JSON and encoding again gives
    the same canonical bytes (those of the reference serialiser), digest and report."""
    data = canonical_bytes(model.encode(state))
    assert data == reference_bytes(model.encode(state))
    back = model.decode(json.loads(data))
    assert canonical_bytes(model.encode(back)) == data
    assert model.digest(back) == model.digest(state)
    assert report(back, on) == report(state, on)


def run_script(
    script: Sequence[tuple[date, Callable[[Any, dict[str, UUID], date], object]]],
    app: Any,
    cut: date | None = None,
) -> dict[str, UUID]:
    """Run a hand-written script in order, leaving out what is dated after `cut`; the ids
    by name."""
    ids: dict[str, UUID] = {}
    for on, action in script:
        if cut is None or on <= cut:
            action(app, ids, on)
    return ids


def renamed(value: Any, names: dict[UUID, str]) -> Any:
    """`value` with every UUID replaced by its name, so two stores' reports compare."""
    if isinstance(value, UUID):
        return names[value]
    if attrs.has(type(value)):
        fields = attrs.fields(type(value))
        return (type(value).__name__, tuple(renamed(getattr(value, f.name), names) for f in fields))
    if isinstance(value, tuple | list):
        return tuple(renamed(item, names) for item in value)
    if isinstance(value, frozenset | set):
        return frozenset(renamed(item, names) for item in value)
    return value

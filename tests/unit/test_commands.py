"""Commands as values: every programme's commands are frozen values that `handle` runs."""

from __future__ import annotations

import doctest
from datetime import date
from uuid import uuid4

import attrs
import pytest

import caseload.commands
from caseload import (
    Caseload,
    CaseloadError,
    Channel,
    ClosureReason,
    DateOutOfRange,
    InvalidContact,
    InvalidValue,
    Role,
    UnknownBroker,
    UnknownCommand,
)
from caseload.commands import (
    Assign,
    CloseTrajectory,
    OpenTrajectory,
    RecordContact,
    RegisterBroker,
)
from caseload.programmes import PROGRAMMES
from tests.conftest import KEY, fixed_clock

DAY = date(2025, 3, 3)


def test_every_registered_command_is_a_frozen_value_with_a_docstring() -> None:
    """A command class is a frozen attrs class that says what it does."""
    for kind in PROGRAMMES:
        assert kind.handlers, kind.key
        for command_class in kind.handlers:
            assert attrs.has(command_class), command_class
            assert command_class.__doc__, command_class
            instance = object.__new__(command_class)
            with pytest.raises(attrs.exceptions.FrozenInstanceError):
                instance.__setattr__(attrs.fields(command_class)[0].name, None)


def test_the_public_command_module_lists_every_registered_command() -> None:
    """`caseload.commands` names each command of each registered programme."""
    registered = {cls.__name__ for kind in PROGRAMMES for cls in kind.handlers}
    assert set(caseload.commands.__all__) == registered


def test_the_command_module_example_runs() -> None:
    """The example in `caseload.commands`' docstring gives what it says."""
    failures, tried = doctest.testmod(caseload.commands)
    assert tried > 0
    assert failures == 0


def test_handle_runs_a_command_like_the_named_method() -> None:
    """`handle(Command(...))` and the named method write the same events."""
    by_method = Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)
    by_value = Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)
    broker_a = by_method.register_broker(name="B", team="T", on=DAY)
    broker_b = by_value.handle(RegisterBroker(name="B", team="T", on=DAY))
    case_a = by_method.open_trajectory(cpr="0101901234", on=DAY)
    case_b = by_value.handle(OpenTrajectory(cpr="0101901234", on=DAY))
    by_method.assign(case_a, broker_a, on=DAY)
    by_value.handle(Assign(trajectory=case_b, broker=broker_b, on=DAY))
    by_method.record_contact(case_a, on=DAY, roles={Role.COACH}, channel=Channel.PHONE, by=broker_a)
    by_value.handle(
        RecordContact(
            trajectory=case_b, on=DAY, roles={Role.COACH}, channel=Channel.PHONE, by=broker_b
        )
    )
    by_method.close_trajectory(case_a, on=DAY, reason=ClosureReason.JOB)
    by_value.handle(CloseTrajectory(trajectory=case_b, on=DAY, reason=ClosureReason.JOB))

    def shapes(app: Caseload) -> list[tuple[str, date]]:
        return [(type(e).__qualname__, e.occurred_on) for e in app.events()]  # type: ignore[attr-defined]

    assert shapes(by_method) == shapes(by_value)
    assert by_method.caseload()[0].active_cases == by_value.caseload()[0].active_cases == 0


def test_an_ill_formed_command_cannot_be_made() -> None:
    """Shape is checked when the command is made, with the rule named."""
    with pytest.raises(UnknownBroker, match="broker id is a UUID"):
        Assign(trajectory=uuid4(), broker="no id", on=DAY)
    with pytest.raises(DateOutOfRange, match=r"business date must be a datetime\.date"):
        Assign(trajectory=uuid4(), broker=uuid4(), on="2025-03-03")
    with pytest.raises(InvalidContact, match="one or more of the four roles"):
        RecordContact(trajectory=uuid4(), on=DAY, roles="coach", channel=Channel.PHONE, by=uuid4())
    with pytest.raises(InvalidValue, match="broker name"):
        RegisterBroker(name=" ", team="T", on=DAY)


def test_something_that_is_no_command_is_refused_and_writes_nothing() -> None:
    """`handle` refuses a value of no registered command class."""
    app = Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)
    with pytest.raises(UnknownCommand) as refused:
        app.handle(("assign", uuid4()))
    assert isinstance(refused.value, CaseloadError)
    assert app.head() == 0


def test_a_refused_command_writes_nothing() -> None:
    """A command the domain refuses leaves the log as it was."""
    app = Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)
    broker = app.handle(RegisterBroker(name="B", team="T", on=DAY))
    before = app.head()
    with pytest.raises(DateOutOfRange, match="after today"):
        app.handle(OpenTrajectory(cpr="0101901234", on=date(2099, 1, 1)))
    with pytest.raises(CaseloadError):
        app.handle(Assign(trajectory=uuid4(), broker=broker, on=DAY))
    assert app.head() == before


def test_a_store_names_its_programme_by_the_name_it_was_given() -> None:
    """A configured programme is listed with its kind, its name and an id derived from it;
    a second one of the same kind is refused."""
    from caseload import ProgrammeAlreadyConfigured
    from caseload.programmes.resource_pathway.domain.programme import programme_id

    app = Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)
    assert app.programmes() == ()
    made = app.configure_programme(name="Viborg ressourceforløb", on=DAY)
    (listed,) = app.programmes()
    assert (listed.kind, listed.name, listed.programme_id) == (
        "resource_pathway",
        "Viborg ressourceforløb",
        made,
    )
    assert made == programme_id("Viborg ressourceforløb") != programme_id("Another")
    with pytest.raises(ProgrammeAlreadyConfigured, match="one programme of each kind"):
        app.configure_programme(name="Another", on=DAY)


def test_a_command_before_any_set_up_makes_the_default_programme() -> None:
    """The first command that needs a programme saves the default one with it."""
    from caseload.programmes.resource_pathway.domain.programme import (
        DEFAULT_PROGRAMME_NAME,
        programme_id,
    )

    app = Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)
    app.register_broker(name="B", team="T", on=DAY)
    (listed,) = app.programmes()
    assert listed.name == DEFAULT_PROGRAMME_NAME
    assert listed.programme_id == programme_id(DEFAULT_PROGRAMME_NAME)

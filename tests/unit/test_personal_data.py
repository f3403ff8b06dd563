"""Personal data kept next to trajectories and plans, read back, erased and re-keyed.

The rules: personal fields are written only under a master key; they read back as text
with it, and as `Hidden.ERASED` once the citizen is forgotten, for every field of that
citizen and no other; erasure writes one event with no personal data and retires the
pseudonym; a refused command writes nothing (no event, no data key); rotation changes no
event.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload import (
    Caseload,
    Channel,
    CitizenErased,
    ClosureReason,
    ErasureReason,
    ErasureRefused,
    Financing,
    Hidden,
    MissingMasterKey,
    NotInProgramme,
    PersonalData,
    Role,
    TargetGroup,
    WrongMasterKey,
)
from caseload.adapters.chain import iter_links
from caseload.domain.personal import CONTACT_NOTE, PLAN_NOTE
from caseload.privacy import crypto
from caseload.programmes.resource_pathway.domain.citizen import Citizen
from tests.conftest import KEY, fixed_clock
from tests.unit._education import PERIOD, ambassador, cpr_born

MASTER = bytes(range(32))
DAY = date(2024, 3, 4)


def cpr(n: int) -> str:
    """A valid CPR number, one per n."""
    return f"0101{90 + n % 10:02d}{1000 + n:04d}"


@pytest.fixture
def app() -> Iterator[Caseload]:
    """An in-memory application holding a master key."""
    with Caseload("memory://", pseudonym_key=KEY, master_key=MASTER, clock=fixed_clock) as a:
        yield a


def links(app: Caseload) -> list[tuple[int, bytes]]:
    """Every link of the store's hash chain."""
    return list(iter_links(app.wiring.chain(), app.head()))


def test_personal_data_reads_back_with_the_master_key(app: Caseload) -> None:
    """Name, phone and address from the opening, and each contact's note, in order."""
    broker = app.register_broker(name="Broker", team="Team", on=DAY)
    case = app.open_trajectory(
        cpr=cpr(1), on=DAY, personal=PersonalData(name="Mette Nielsen", phone="20 304050")
    )
    app.assign(case, broker, on=DAY)
    app.record_contact(case, on=DAY, roles=Role.COACH, channel=Channel.PHONE, by=broker)
    later = DAY + timedelta(days=3)
    app.record_contact(
        case, on=later, roles=Role.COACH, channel=Channel.MEETING, by=broker, note="wants a job"
    )
    record = app.personal_data(case)
    assert (record.name, record.phone, record.address) == ("Mette Nielsen", "20 304050", None)
    assert [(n.on, n.field, n.text) for n in record.notes] == [(later, CONTACT_NOTE, "wants a job")]
    assert "Mette" not in repr(record)


def test_a_trajectory_without_personal_data_reads_as_none(app: Caseload) -> None:
    """Nothing given, nothing sealed: every field is None and no data key is made."""
    case = app.open_trajectory(cpr=cpr(2), on=DAY)
    record = app.personal_data(case)
    assert (record.name, record.phone, record.address, record.notes) == (None, None, None, ())
    assert app.wiring.data_keys().all() == []


def test_an_education_plan_keeps_its_note_sealed() -> None:
    """The plan's free text is sealed under the same citizen's data key."""
    with Caseload("memory://", pseudonym_key=KEY, master_key=MASTER, clock=fixed_clock) as app:
        app.configure_education_programme(
            name="Education", on=date(2020, 11, 30), period_start=PERIOD[0], period_end=PERIOD[1]
        )
        by = ambassador(app)
        on = date(2021, 5, 3)
        plan = app.draft_education_plan(
            cpr=cpr_born(date(1990, 2, 3)),
            on=on,
            ambassador=by,
            target_group=TargetGroup.INSURED_UNEMPLOYED,
            job_prospect="welder",
            education="Smed",
            on_positive_list=True,
            planned_start=on,
            planned_end=on + timedelta(days=90),
            place="Aarhus Tech",
            financing=next(iter(Financing)),
            note="dyslexia; needs reading support",
        )
        record = app.personal_data(plan)
        assert [(n.field, n.text) for n in record.notes] == [
            (PLAN_NOTE, "dyslexia; needs reading support")
        ]


def test_without_a_master_key_personal_data_is_refused_and_nothing_is_written() -> None:
    """`MissingMasterKey`, no event and no data key: the command never happened."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        broker = app.register_broker(name="Broker", team="Team", on=DAY)
        head = app.head()
        with pytest.raises(MissingMasterKey):
            app.open_trajectory(cpr=cpr(3), on=DAY, personal=PersonalData(name="Lars Jensen"))
        case = app.open_trajectory(cpr=cpr(3), on=DAY)
        head = app.head()
        with pytest.raises(MissingMasterKey):
            app.record_contact(
                case, on=DAY, roles=Role.COACH, channel=Channel.PHONE, by=broker, note="x"
            )
        assert app.head() == head
        assert app.wiring.data_keys().all() == []


def test_a_refused_opening_makes_no_data_key(app: Caseload) -> None:
    """A second open trajectory is refused before the personal data is sealed."""
    app.open_trajectory(cpr=cpr(4), on=DAY)
    head = app.head()
    with pytest.raises(Exception, match="at most 1 open trajectory"):
        app.open_trajectory(cpr=cpr(4), on=DAY, personal=PersonalData(name="Anne Hansen"))
    assert app.head() == head
    assert app.wiring.data_keys().all() == []


def _open_and_close(app: Caseload, n: int, broker: object) -> object:
    case = app.open_trajectory(
        cpr=cpr(n), on=DAY, personal=PersonalData(name=f"Citizen {n}", address=f"Vej {n}")
    )
    app.record_contact(
        case, on=DAY, roles=Role.COACH, channel=Channel.PHONE, by=broker, note=f"note {n}"
    )
    app.close_trajectory(case, on=DAY, reason=ClosureReason.MOVED)
    return case


@settings(max_examples=10)
@given(st.sets(st.integers(0, 4)))
def test_erasure_hides_every_field_of_the_erased_and_none_of_the_others(
    erased: set[int],
) -> None:
    """After `forget_citizen`, each erased citizen's fields read `Hidden.ERASED`, each other
    citizen's read their text; one event per erasure, no personal data in it; only the
    erased citizens are refused a new trajectory."""
    with Caseload("memory://", pseudonym_key=KEY, master_key=MASTER, clock=fixed_clock) as app:
        broker = app.register_broker(name="Broker", team="Team", on=DAY)
        cases = {n: _open_and_close(app, n, broker) for n in range(5)}
        head = app.head()
        for n in sorted(erased):
            app.forget_citizen(cpr=cpr(n), on=DAY, reason=ErasureReason.CITIZEN_REQUEST)
        assert app.head() == head + len(erased)
        new_events = [event for position, event in app.history() if position > head]
        assert all(isinstance(event, Citizen.Erased) for event in new_events)
        assert all(set(vars(event)) >= {"reason"} for event in new_events)
        for n, case in cases.items():
            record = app.personal_data(case)  # type: ignore[arg-type]
            if n in erased:
                assert (record.name, record.address) == (Hidden.ERASED, Hidden.ERASED)
                assert [note.text for note in record.notes] == [Hidden.ERASED]
            else:
                assert (record.name, record.address) == (f"Citizen {n}", f"Vej {n}")
                assert [note.text for note in record.notes] == [f"note {n}"]
        assert len(app.wiring.data_keys().all()) == 5 - len(erased)
        # The erased citizens' pseudonyms are retired; the others may come back.
        for n in range(5):
            if n in erased:
                with pytest.raises(CitizenErased):
                    app.open_trajectory(cpr=cpr(n), on=DAY + timedelta(days=1))
            else:
                app.open_trajectory(cpr=cpr(n), on=DAY + timedelta(days=1))


def test_erasure_retires_the_pseudonym(app: Caseload) -> None:
    """A new trajectory, or a note, for an erased citizen is refused; asked again, the
    erasure records nothing more."""
    broker = app.register_broker(name="Broker", team="Team", on=DAY)
    case = _open_and_close(app, 5, broker)
    app.forget_citizen(cpr=cpr(5), on=DAY, reason=ErasureReason.RETENTION_ENDED)
    head = app.head()
    with pytest.raises(CitizenErased):
        app.open_trajectory(cpr=cpr(5), on=DAY + timedelta(days=1))
    with pytest.raises(CitizenErased):
        app.record_contact(
            case,  # type: ignore[arg-type]
            on=DAY,
            roles=Role.COACH,
            channel=Channel.PHONE,
            by=broker,
            note="too late",
        )
    app.forget_citizen(cpr=cpr(5), on=DAY, reason=ErasureReason.RETENTION_ENDED)
    assert app.head() == head
    assert app.wiring.data_keys().all() == []


def test_erasure_is_refused_while_a_trajectory_is_open_or_for_an_unknown_citizen(
    app: Caseload,
) -> None:
    """`ErasureRefused` while open, `NotInProgramme` for a CPR number the store never saw;
    neither writes anything nor deletes a key."""
    app.open_trajectory(cpr=cpr(6), on=DAY, personal=PersonalData(phone="12345678"))
    head, keys = app.head(), app.wiring.data_keys().all()
    with pytest.raises(ErasureRefused) as open_case:
        app.forget_citizen(cpr=cpr(6), on=DAY, reason=ErasureReason.CITIZEN_REQUEST)
    with pytest.raises(NotInProgramme) as unknown:
        app.forget_citizen(cpr=cpr(7), on=DAY, reason=ErasureReason.CITIZEN_REQUEST)
    assert app.head() == head
    assert app.wiring.data_keys().all() == keys
    for refusal in (open_case.value, unknown.value):
        assert cpr(6) not in str(refusal)
        assert cpr(7) not in str(refusal)


def test_rotation_re_wraps_every_key_and_changes_no_event(app: Caseload) -> None:
    """The log's head and every chain link stay; the data reads the same; the old master
    key unwraps nothing any more."""
    broker = app.register_broker(name="Broker", team="Team", on=DAY)
    cases = [_open_and_close(app, n, broker) for n in range(3)]
    before = [app.personal_data(case) for case in cases]  # type: ignore[arg-type]
    head, chain = app.head(), links(app)
    new_master = bytes(range(32, 64))
    assert app.rotate_master_key(new_master) == 3
    assert (app.head(), links(app)) == (head, chain)
    assert [app.personal_data(case) for case in cases] == before  # type: ignore[arg-type]
    for stored in app.wiring.data_keys().all():
        crypto.unwrap(new_master, stored.pseudonym, stored.wrapped)
        with pytest.raises(WrongMasterKey):
            crypto.unwrap(MASTER, stored.pseudonym, stored.wrapped)


def test_an_erasure_racing_a_note_leaves_no_new_key(app: Caseload) -> None:
    """Another process erases the citizen after this one checked them (their key is now a
    tombstone): sealing the note is refused, no key is made, and nothing is written."""
    broker = app.register_broker(name="Broker", team="Team", on=DAY)
    case = app.open_trajectory(cpr=cpr(8), on=DAY, personal=PersonalData(name="Jens"))
    pseudonym = app.wiring.events.repository.get(case).citizen
    app.wiring.data_keys().erase(pseudonym)
    head = app.head()
    with pytest.raises(CitizenErased):
        app.record_contact(
            case, on=DAY, roles=Role.COACH, channel=Channel.PHONE, by=broker, note="late"
        )
    assert app.head() == head
    assert app.wiring.data_keys().all() == []
    assert app.personal_data(case).name is Hidden.ERASED


def test_in_a_batch_a_key_is_deleted_only_once_its_erasure_is_written(app: Caseload) -> None:
    """An erasure in a batch keeps the order of one write per command: the erasure event is
    written first, then the key goes. A batch dropped before its write deletes no key, so
    no citizen's data is lost without an erasure in the log."""
    broker = app.register_broker(name="Broker", team="Team", on=DAY)
    first, second = _open_and_close(app, 1, broker), _open_and_close(app, 2, broker)
    head = app.head()
    with pytest.raises(KeyboardInterrupt), app.batch():  # noqa: PT012
        app.forget_citizen(cpr=cpr(1), on=DAY, reason=ErasureReason.CITIZEN_REQUEST)
        assert len(app.wiring.data_keys().all()) == 2
        raise KeyboardInterrupt
    assert app.head() == head
    assert app.personal_data(first).name == "Citizen 1"
    with app.batch() as batch:
        app.forget_citizen(cpr=cpr(2), on=DAY, reason=ErasureReason.CITIZEN_REQUEST)
        assert len(app.wiring.data_keys().all()) == 2
        batch.flush()
        assert len(app.wiring.data_keys().all()) == 1
    assert app.head() == head + 1
    assert app.personal_data(second).name == Hidden.ERASED
    assert app.personal_data(first).name == "Citizen 1"


def test_personal_data_given_in_a_batch_reads_back(app: Caseload) -> None:
    """A batch seals personal fields under the application's master key, as one write per
    command does."""
    broker = app.register_broker(name="Broker", team="Team", on=DAY)
    with app.batch():
        case = _open_and_close(app, 3, broker)
    record = app.personal_data(case)  # type: ignore[arg-type]
    assert (record.name, record.address) == ("Citizen 3", "Vej 3")
    assert [note.text for note in record.notes] == ["note 3"]

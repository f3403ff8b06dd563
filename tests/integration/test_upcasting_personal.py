"""Events stored before personal data existed read back with their personal field None.

`Trajectory.Opened` v1, `Trajectory.ContactRecorded` v2 and `EducationPlan.Drafted` v1
had no sealed field; the upcasters add it as None, and such a store takes personal data
from then on.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from caseload import Caseload, Channel, PersonalData, Role
from caseload.programmes.education.domain.plan import EducationPlan
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from tests.conftest import KEY, fixed_clock

DAY = date(2025, 2, 3)
MASTER = bytes(range(32))


def rewrite_as_older(app: Caseload, event_class: type[Any], version: int) -> None:
    """Append a copy of the aggregate's latest event of `event_class` as version `version`
    stored it: without its sealed field, with the older class_version (or none for 1)."""
    latest = app.wiring.events.recorder.select_notifications(1, app.head())
    row = next(n for n in reversed(latest) if n.topic == get_topic(event_class))
    state = json.loads(row.state)
    state.pop("personal", None)
    state.pop("note", None)
    state.pop("class_version", None)
    if version > 1:
        state["class_version"] = version
    aggregate = app.wiring.events.repository.get(UUID(str(row.originator_id)))
    app.wiring.events.recorder.insert_events(
        [
            StoredEvent(
                originator_id=aggregate.id,
                originator_version=aggregate.version + 1,
                topic=row.topic,
                state=json.dumps(state).encode(),
            )
        ]
    )


def test_an_older_contact_reads_with_no_note(sqlite_url: str) -> None:
    """A version-2 contact (a channel, no note) reads back with `note` None, by the fast
    reader and by the mapper alike."""
    with Caseload(sqlite_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        broker = app.register_broker(name="B", team="T", on=DAY)
        case = app.open_trajectory(cpr="0101901234", on=DAY)
        app.assign(case, broker, on=DAY)
        app.record_contact(case, on=DAY, roles={Role.COACH}, channel=Channel.PHONE, by=broker)
        rewrite_as_older(app, Trajectory.ContactRecorded, 2)
    with Caseload(sqlite_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        fast = [e for e in app.events() if isinstance(e, Trajectory.ContactRecorded)]
        mapped = [
            e
            for e in app.wiring.events.events.get(case)
            if isinstance(e, Trajectory.ContactRecorded)
        ]
        assert [e.note for e in fast] == [e.note for e in mapped] == [None, None]
        assert [e.channel for e in fast] == [Channel.PHONE, Channel.PHONE]
        assert app.personal_data(case).notes == ()


def test_an_older_opening_reads_with_no_personal_data_and_takes_notes_later(
    sqlite_url: str,
) -> None:
    """A version-1 opening (no `personal`) reads back with None; the trajectory then takes
    a sealed note like any other."""
    with Caseload(sqlite_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        broker = app.register_broker(name="B", team="T", on=DAY)
        case = app.open_trajectory(cpr="0101901234", on=DAY)
        app.assign(case, broker, on=DAY)
        # Rewrite the store's only opening in the old shape.
        connection = app.wiring.store.connect()
        (state,) = connection.execute(
            "SELECT state FROM stored_events WHERE topic = ?", (get_topic(Trajectory.Opened),)
        ).fetchone()
        old = json.loads(state)
        del old["personal"], old["class_version"]
        connection.execute(
            "UPDATE stored_events SET state = ? WHERE topic = ?",
            (json.dumps(old).encode(), get_topic(Trajectory.Opened)),
        )
        connection.close()
    with Caseload(sqlite_url, pseudonym_key=KEY, master_key=MASTER, clock=fixed_clock) as app:
        opened = next(e for e in app.events() if isinstance(e, Trajectory.Opened))
        assert opened.personal is None
        app.record_contact(
            case, on=DAY, roles={Role.COACH}, channel=Channel.PHONE, by=broker, note="a note"
        )
        record = app.personal_data(case)
        assert (record.name, [n.text for n in record.notes]) == (None, ["a note"])


def test_an_older_education_plan_reads_with_no_note() -> None:
    """A version-1 `EducationPlan.Drafted` decodes with `note` None."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        decoder = app.wiring.decoder()
        state = {
            "timestamp": {"_type_": "datetime_iso", "_data_": "2025-02-03T09:00:00+00:00"},
            "occurred_on": {"_type_": "date_iso", "_data_": DAY.isoformat()},
            "originator_topic": get_topic(EducationPlan),
            "citizen": "ab" * 32,
        }
        event = decoder.decode(
            UUID(int=1).hex, 1, get_topic(EducationPlan.Drafted), json.dumps(state).encode()
        )
        assert isinstance(event, EducationPlan.Drafted)
        assert event.note is None


def test_personal_data_on_a_new_opening_is_stored_sealed(sqlite_url: str) -> None:
    """Today's opening stores `personal` as a sealed value with class_version 2."""
    with Caseload(sqlite_url, pseudonym_key=KEY, master_key=MASTER, clock=fixed_clock) as app:
        app.open_trajectory(cpr="0101901234", on=DAY, personal=PersonalData(name="Ida Berg"))
        connection = app.wiring.store.connect()
        (state,) = connection.execute(
            "SELECT state FROM stored_events WHERE topic = ?", (get_topic(Trajectory.Opened),)
        ).fetchone()
        connection.close()
    stored = json.loads(state)
    assert stored["class_version"] == 2
    assert stored["personal"]["_type_"] == "Sealed"
    assert set(stored["personal"]["_data_"]) == {"v", "nonce", "ct"}
    assert b"Ida Berg" not in state

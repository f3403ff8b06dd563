"""Old shapes of stored events are read through upcasters and come back as today's events."""

from __future__ import annotations

import json
from datetime import date

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from caseload import Caseload, Channel, InvalidContact, Role
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from tests.conftest import KEY, fixed_clock

DAY = date(2025, 2, 3)


def store_version_1_contact(app: Caseload, trajectory: object, by: object) -> None:
    """Write a contact as version 1 stored it: no channel, no class_version."""
    aggregate = app.wiring.events.repository.get(trajectory)
    state = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2025-02-03T09:00:00+00:00"},
        "occurred_on": {"_type_": "date_iso", "_data_": DAY.isoformat()},
        "roles": {"_type_": "frozenset", "_data_": [{"_type_": "Role", "_data_": "coach"}]},
        "by": {"_type_": "uuid_hex", "_data_": by.hex},  # type: ignore[attr-defined]
    }
    app.wiring.events.recorder.insert_events(
        [
            StoredEvent(
                originator_id=aggregate.id,
                originator_version=aggregate.version + 1,
                topic=get_topic(Trajectory.ContactRecorded),
                state=json.dumps(state).encode(),
            )
        ]
    )


def test_a_version_1_contact_reads_as_a_contact_on_an_unknown_channel(sqlite_url: str) -> None:
    """A stored contact of the first version (without a channel) is read back with
    Channel.UNKNOWN, counts for coverage, and the trajectory goes on taking commands."""
    with Caseload(sqlite_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        broker = app.register_broker(name="B", team="T", on=DAY)
        trajectory = app.open_trajectory(cpr="0101901234", on=DAY)
        app.assign(trajectory, broker, on=DAY)
        store_version_1_contact(app, trajectory, broker)
    with Caseload(sqlite_url, pseudonym_key=KEY, clock=fixed_clock) as app:
        contact = next(e for e in app.events() if isinstance(e, Trajectory.ContactRecorded))
        assert contact.channel is Channel.UNKNOWN
        assert contact.roles == frozenset({Role.COACH})
        assert contact.occurred_on == DAY
        assert app.role_coverage().trajectories[0].exercised == {(Role.COACH, broker)}
        app.record_contact(
            trajectory, on=DAY, roles={Role.AUTHORITY}, channel=Channel.PHONE, by=broker
        )
        newer = [e for e in app.events() if isinstance(e, Trajectory.ContactRecorded)][-1]
        assert newer.channel is Channel.PHONE
        assert (
            json.loads(app.wiring.events.recorder.select_notifications(app.head(), 1)[0].state)[
                "class_version"
            ]
            == Trajectory.ContactRecorded.class_version
        )


def test_a_new_contact_cannot_claim_an_unknown_channel() -> None:
    """UNKNOWN exists for old events only; a new contact must say how it happened."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        broker = app.register_broker(name="B", team="T", on=DAY)
        trajectory = app.open_trajectory(cpr="0101901234", on=DAY)
        before = app.head()
        with pytest.raises(InvalidContact, match="channel is one of") as refusal:
            app.record_contact(
                trajectory, on=DAY, roles={Role.COACH}, channel=Channel.UNKNOWN, by=broker
            )
        offered = str(refusal.value).split("is one of")[1].split(";")[0]
        assert "UNKNOWN" not in offered
        assert "MEETING" in offered
        assert app.head() == before

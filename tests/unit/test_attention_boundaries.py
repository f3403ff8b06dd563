"""The attention list's intervals at their edges, worked out by hand: a fact dated exactly
an interval back still counts and one a day older does not, and a trajectory gets its
grace until it is exactly an interval old.

The intervals are the programme's defaults, written out here rather than read from
`AttentionThresholds`: a contact within 30 days, progression within 91 days (3 months),
an intervention within 182 days (6 months), all four roles by day 60, and a pathway near
its maximum of 1826 days (5 years) from 90 days before it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from uuid import UUID

from caseload import Caseload, Channel, Role
from caseload.programmes.resource_pathway.read_models.attention import AttentionReason
from tests.conftest import TODAY
from tests.unit._support import new_app, next_cpr

NO_CONTACT = AttentionReason.NO_CONTACT
NO_PROGRESSION = AttentionReason.NO_PROGRESSION
ROLES_MISSING = AttentionReason.ROLES_MISSING
NO_INTERVENTION = AttentionReason.NO_INTERVENTION
NEAR_MAX_LENGTH = AttentionReason.NEAR_MAX_LENGTH

LONG_AGO = 400
"""Days since most trajectories opened: past every grace period, far from the maximum."""
EVERY_ROLE = frozenset(Role)
INTERVENTION = frozenset({Role.EMPLOYER_LIAISON, Role.MENTOR_LIKE})
TALK = frozenset({Role.COACH, Role.AUTHORITY})


def back(days: int) -> date:
    return TODAY - timedelta(days=days)


Case = Callable[[Caseload, UUID, UUID], None]
"""Facts recorded on one trajectory (given the trajectory and the broker)."""


def facts(*dated: tuple[int, frozenset[Role] | str]) -> Case:
    """Contacts (a role set) and measurements ("progress"), each so many days back."""

    def record(app: Caseload, case: UUID, broker: UUID) -> None:
        for days, what in dated:
            if what == "progress":
                app.record_progress(case, on=back(days), scores={"job_search": 3})
            else:
                assert isinstance(what, frozenset)
                app.record_contact(
                    case, on=back(days), roles=what, channel=Channel.MEETING, by=broker
                )

    return record


# name: (days since opening, facts, the reasons expected on TODAY)
CASES: dict[str, tuple[int, Case, frozenset[AttentionReason]]] = {
    # Contact: 30 days back still counts, 31 does not.
    "contact_30_back": (LONG_AGO, facts((30, EVERY_ROLE), (0, "progress")), frozenset()),
    "contact_31_back": (
        LONG_AGO,
        facts((31, EVERY_ROLE), (0, "progress")),
        frozenset({NO_CONTACT}),
    ),
    # Progression: 91 days back still counts, 92 does not.
    "progress_91_back": (LONG_AGO, facts((0, EVERY_ROLE), (91, "progress")), frozenset()),
    "progress_92_back": (
        LONG_AGO,
        facts((0, EVERY_ROLE), (92, "progress")),
        frozenset({NO_PROGRESSION}),
    ),
    # Intervention (an employer-liaison or mentor-like contact): 182 back counts, 183 not.
    "intervention_182_back": (
        LONG_AGO,
        facts((182, INTERVENTION), (0, TALK), (0, "progress")),
        frozenset(),
    ),
    "intervention_183_back": (
        LONG_AGO,
        facts((183, INTERVENTION), (0, TALK), (0, "progress")),
        frozenset({NO_INTERVENTION}),
    ),
    # Roles: two of four are fine at 59 days open, missing at 60.
    "roles_open_59": (59, facts((0, TALK), (0, "progress")), frozenset()),
    "roles_open_60": (60, facts((0, TALK), (0, "progress")), frozenset({ROLES_MISSING})),
    # Grace: no contact is no fault until the trajectory is 30 days old.
    "new_open_29": (29, facts(), frozenset()),
    "new_open_30": (30, facts((0, "progress")), frozenset({NO_CONTACT})),
    # Near the maximum length: from 1826 - 90 = 1736 days open.
    "open_1735": (1735, facts((0, EVERY_ROLE), (0, "progress")), frozenset()),
    "open_1736": (
        1736,
        facts((0, EVERY_ROLE), (0, "progress")),
        frozenset({NEAR_MAX_LENGTH}),
    ),
}


def test_each_interval_at_its_edge() -> None:
    """On TODAY, each trajectory is listed with exactly the hand-given reasons of the five
    intervals pinned here, and those expecting none are not listed. (The cases are never
    assigned or reviewed: the reasons for those have edge tests of their own in
    test_attention.py, and are left out of the comparison.)"""
    with new_app() as app:
        oldest = max(opened for opened, _, _ in CASES.values())
        broker = app.register_broker(name="B", team="T", on=back(oldest))
        ids: dict[UUID, str] = {}
        for name, (opened, record, _) in CASES.items():
            case = app.open_trajectory(cpr=next_cpr(), on=back(opened))
            record(app, case, broker)
            ids[case] = name
        report = app.attention_list(as_true_on=TODAY)
    pinned = frozenset(AttentionReason) - {
        AttentionReason.UNASSIGNED,
        AttentionReason.NOT_REVIEWED,
    }
    listed = {
        ids[item.trajectory_id]: item.reasons & pinned
        for item in report.items
        if item.reasons & pinned
    }
    expected = {name: reasons for name, (_, _, reasons) in CASES.items() if reasons}
    assert listed == expected

"""Personal data as `Caseload` reads, erases and re-keys it (see docs/privacy.md).

`personal_data` decrypts the sealed fields of one trajectory or education plan for a
caller that holds the master key; `forget_citizen` erases a citizen by deleting their
data key and recording that it did; `rotate_master_key` re-wraps every data key.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import DomainEvent

from caseload.application.guard import command
from caseload.domain.errors import UnknownTrajectory
from caseload.domain.inputs import as_id
from caseload.domain.personal import (
    CONTACT_NOTE,
    PERSONAL,
    PLAN_NOTE,
    ErasureReason,
    Hidden,
    Note,
    PersonalRecord,
    Sealed,
)
from caseload.privacy.crypto import master_key_bytes

if TYPE_CHECKING:
    from caseload.application.bootstrap import Wiring
    from caseload.application.unit_of_work import StoreUnitOfWork
    from caseload.privacy.keyring import Keyring

__all__ = ["PrivacyCommands", "sealed_fields"]


@functools.cache
def sealed_fields() -> dict[type[DomainEvent], tuple[tuple[str, str], ...]]:
    """Per event class, its sealed attributes and the field name each is bound to."""
    from caseload.programmes.education.domain.plan import EducationPlan
    from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

    return {
        Trajectory.Opened: (("personal", PERSONAL),),
        Trajectory.ContactRecorded: (("note", CONTACT_NOTE),),
        EducationPlan.Drafted: (("note", PLAN_NOTE),),
    }


class PrivacyCommands:
    """The personal-data methods of `Caseload`."""

    if TYPE_CHECKING:  # defined by Caseload
        _wiring: Wiring
        _pin: int | None
        _master: bytes | None
        _keyring: Keyring | None

        def _writable(self) -> None: ...

        def handle(self, command: object) -> Any: ...

        def _keys(self) -> Keyring: ...

        def _unit_of_work(self) -> StoreUnitOfWork: ...

    @command
    def forget_citizen(self, *, cpr: str, on: date, reason: ErasureReason) -> None:
        """Erase the personal data of the citizen with CPR number `cpr`.

        Records `Citizen.Erased` (the day and a reason from a closed list, no personal
        data), then deletes the citizen's data key: every personal field sealed under it
        can no longer be decrypted, while every event stays as stored, so `verify` still
        proves the log. The citizen's pseudonym is retired: a new trajectory, plan or
        personal field for the same CPR number is refused with `CitizenErased`. Refused
        while a trajectory of theirs is open. Needs no master key.
        """
        from caseload.programmes.resource_pathway import commands as rp

        self.handle(rp.ForgetCitizen(cpr=cpr, on=on, reason=reason))

    @command
    def rotate_master_key(self, new_key: str | bytes) -> int:
        """Re-wrap every citizen's data key under `new_key`, in one transaction, and use
        it from now on; returns how many keys were re-wrapped. No event is written and no
        sealed field changes: the log's head and hash chain stay as they were."""
        new_master = master_key_bytes(new_key)
        count = self._keys().rotate(new_master)
        self._master = new_master
        return count

    def personal_data(self, aggregate: UUID) -> PersonalRecord:
        """The personal data kept with a trajectory or an education plan: the text for a
        caller whose application holds the master key, `Hidden.WITHHELD` for one without
        it, `Hidden.ERASED` once the citizen was forgotten; None where nothing was given."""
        from caseload.programmes.education.domain.plan import EducationPlan
        from caseload.programmes.resource_pathway.domain.citizen import Citizen
        from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

        aggregate_id = as_id(aggregate, UnknownTrajectory, "trajectory or education plan")
        uow = self._unit_of_work()
        found = uow.find(aggregate_id)
        if not isinstance(found, Trajectory | EducationPlan):
            raise UnknownTrajectory(
                f"no trajectory or education plan with id {aggregate_id} in {uow.store}"
            )
        pseudonym = found.citizen
        citizen = uow.find(Citizen.create_id(pseudonym))
        erased = isinstance(citizen, Citizen) and citizen.erased_on is not None
        opener: Callable[[str, Sealed], Any] | None = None

        def read(sealed: Sealed, field: str) -> Any:
            nonlocal opener
            if erased:
                return Hidden.ERASED
            if opener is None:
                opener = self._keys().opener(pseudonym)
            return opener(field, sealed)

        personal: Any = None
        notes: list[Note] = []
        for event in self._events_of(aggregate_id, found.version):
            for attribute, field in sealed_fields().get(type(event), ()):
                sealed = getattr(event, attribute, None)
                if not isinstance(sealed, Sealed):
                    continue
                value = read(sealed, field)
                if field == PERSONAL:
                    personal = value
                else:
                    occurred_on: date = getattr(event, "occurred_on")  # noqa: B009
                    notes.append(Note(on=occurred_on, field=field, text=value))
        if isinstance(personal, dict):
            name, phone, address = (personal.get(k) for k in ("name", "phone", "address"))
        else:
            name = phone = address = personal
        return PersonalRecord(
            aggregate=aggregate_id, name=name, phone=phone, address=address, notes=tuple(notes)
        )

    def _events_of(self, aggregate_id: UUID, version: int) -> list[DomainEvent]:
        events = self._wiring.events.events.get(aggregate_id, lte=version)
        return [event for event in events if isinstance(event, DomainEvent)]

"""Personal data next to a trajectory: what a service gives, how it is stored, what it reads.

A service may keep a citizen's name, phone number and address with a trajectory, a note
with a contact and a note with an education plan. The log never holds them as text: each
is stored as a `Sealed` value, encrypted under a data key of the citizen's own (see
`caseload.privacy`), so deleting that key erases them while every event stays in place.
Reading them back gives the text, or `Hidden.WITHHELD` to a caller without the master key,
or `Hidden.ERASED` once the citizen was forgotten.
"""

from __future__ import annotations

import enum
from datetime import date
from uuid import UUID

import attrs

from caseload.domain.errors import InvalidValue
from caseload.domain.inputs import text

__all__ = [
    "CONTACT_NOTE",
    "PERSONAL",
    "PLAN_NOTE",
    "ErasureReason",
    "Hidden",
    "Note",
    "PersonalData",
    "PersonalRecord",
    "Sealed",
    "optional_note",
]


PERSONAL = "personal"
"""The sealed field of a trajectory's opening that holds name, phone and address."""
CONTACT_NOTE = "contact_note"
"""The sealed field of a contact that holds the caseworker's note."""
PLAN_NOTE = "plan_note"
"""The sealed field of an education plan's drafting that holds the plan's note."""


def _optional_name(value: object) -> str | None:
    return None if value is None else text(value, "name")


def _optional_phone(value: object) -> str | None:
    return None if value is None else text(value, "phone")


def _optional_address(value: object) -> str | None:
    return None if value is None else text(value, "address")


def optional_note(value: object) -> str | None:
    """A note as the free-text rule takes it (`caseload.domain.text`), or None."""
    return None if value is None else text(value, "note")


@attrs.frozen
class PersonalData:
    """A citizen's name, phone number and address, each optional and each one line of free
    text under the project's one rule (`caseload.domain.text`). Its repr shows no value."""

    name: str | None = attrs.field(default=None, converter=_optional_name, repr=False)
    phone: str | None = attrs.field(default=None, converter=_optional_phone, repr=False)
    address: str | None = attrs.field(default=None, converter=_optional_address, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.name is None and self.phone is None and self.address is None:
            raise InvalidValue("personal data needs at least one of name, phone and address")

    def as_json(self) -> dict[str, str | None]:
        """The fields as the sealed JSON object holds them."""
        return {"name": self.name, "phone": self.phone, "address": self.address}


@attrs.frozen
class Sealed:
    """A personal field as the log stores it: AES-GCM ciphertext under the citizen's data
    key, bound to the citizen's pseudonym and the field's name (`v` is the format's
    version; `nonce` and `ct` are base64 text)."""

    v: int
    nonce: str
    ct: str


class Hidden(enum.Enum):
    """Why a personal field reads as no text."""

    WITHHELD = "withheld"
    """The caller holds no master key (or the store has no data key it can unwrap)."""
    ERASED = "erased"
    """The citizen was forgotten: the data key is deleted and nothing can decrypt it."""


class ErasureReason(enum.Enum):
    """Why a citizen's personal data was erased; a closed list, so that the erasure event
    itself can carry no personal data."""

    CITIZEN_REQUEST = "citizen-request"
    """The citizen asked for erasure (GDPR article 17)."""
    RETENTION_ENDED = "retention-ended"
    """The period for which the service keeps personal data ended."""
    UNLAWFUL_PROCESSING = "unlawful-processing"
    """The data should not have been recorded."""
    OTHER = "other"
    """Another ground, kept in the service's own case file."""


@attrs.frozen
class Note:
    """A note recorded with an event: the day, which note it is, and its text."""

    on: date
    field: str
    """`contact_note` or `plan_note`."""
    text: str | Hidden = attrs.field(repr=False)


@attrs.frozen
class PersonalRecord:
    """The personal data kept with one trajectory or education plan, as the caller may
    read it: text, None when none was recorded, or `Hidden`."""

    aggregate: UUID
    name: str | Hidden | None = attrs.field(repr=False)
    phone: str | Hidden | None = attrs.field(repr=False)
    address: str | Hidden | None = attrs.field(repr=False)
    notes: tuple[Note, ...] = ()

"""Made-up personal data for simulated citizens: names, phone numbers, addresses, notes.

Drawn from a generator of its own, so that a simulation with personal data issues the same
commands, in the same order, as one without. Every value is invented; none is a person's.
"""

from __future__ import annotations

import random

from caseload.domain.personal import PersonalData

__all__ = ["synthetic_note", "synthetic_person"]

_FIRST = ("Mette", "Lars", "Anne", "Søren", "Kirsten", "Jens", "Hanne", "Mikkel", "Aylin", "Omar")
_LAST = ("Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Kristensen", "Larsen", "Yilmaz")
_STREETS = ("Vestergade", "Nørrebrogade", "Skovvej", "Åboulevarden", "Møllevej", "Kirkegade")
_TOWNS = ("8000 Aarhus C", "5000 Odense C", "9000 Aalborg", "7100 Vejle", "4000 Roskilde")
_TOPICS = (
    "back pain limits sitting to an hour",
    "wants to try a warehouse internship",
    "anxious about returning to the old workplace",
    "started treatment; sleeping better",
    "interested in a forklift certificate",
    "mentor meeting went well",
)


def synthetic_person(rng: random.Random) -> PersonalData:
    """An invented citizen's name, phone number and address."""
    number = rng.randrange(1, 120)
    return PersonalData(
        name=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
        phone=f"{rng.randrange(20, 99)} {rng.randrange(100000):06d}",
        address=f"{rng.choice(_STREETS)} {number}, {rng.choice(_TOWNS)}",
    )


def synthetic_note(rng: random.Random) -> str:
    """An invented caseworker's note about a contact."""
    return f"{rng.choice(_TOPICS)} (case note {rng.randrange(10**6):06d})"

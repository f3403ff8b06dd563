"""Checks of the arguments a command or query is given, shared by every programme.

Messages about bad arguments name the argument and its type, never its value: a value
passed in the wrong place may be a CPR number or a name.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TypeVar
from uuid import UUID

from caseload.domain.dates import EARLIEST_DATE, LATEST_DATE
from caseload.domain.errors import CaseloadError, DateOutOfRange, InvalidValue
from caseload.domain.text import text_problem

__all__ = [
    "as_id",
    "business_day",
    "is_digest",
    "member",
    "optional_business_day",
    "optional_moment",
    "text",
]

E = TypeVar("E", bound=enum.Enum)


def as_id(value: object, error: type[CaseloadError], what: str) -> UUID:
    """`value` as a UUID (a UUID or its text), or `error` naming what it should identify."""
    if isinstance(value, UUID):
        return value
    if isinstance(value, str):
        try:
            return UUID(value)
        except ValueError:
            pass
    raise error(
        f"a {what} id is a UUID (or its text); got a {type(value).__name__} that is not one"
    )


def text(value: object, what: str) -> str:
    """A single line of text, stripped (see `caseload.domain.text`); `InvalidValue` else."""
    problem = text_problem(value, what)
    if problem is not None:
        raise InvalidValue(problem)
    assert isinstance(value, str)
    return value.strip()


def business_day(value: object) -> date:
    """A business date's shape: a plain day (whether it lies after today, or outside the
    programme's range, is checked by the handler against the clock)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise DateOutOfRange(
            f"a business date must be a datetime.date (a day, no time), not {type(value).__name__}"
        )
    if type(value) is date:
        return value  # already a plain day (dates are immutable): every command has one
    return date(value.year, value.month, value.day)


def optional_business_day(value: object) -> date | None:
    """`business_day`, or None."""
    return None if value is None else business_day(value)


def member(value: object, enum_class: type[E], what: str) -> E:
    """`value` if it is a member of `enum_class`; `InvalidValue` listing the members if not."""
    if not isinstance(value, enum_class):
        options = ", ".join(m.name for m in enum_class)
        raise InvalidValue(
            f"a {what} must be one of {enum_class.__name__}.{{{options}}}; "
            f"got a {type(value).__name__}"
        )
    return value


def optional_moment(value: object) -> datetime | None:
    """An `as_known_at` argument: None, or a timezone-aware datetime whose day lies from
    `EARLIEST_DATE` to `LATEST_DATE`; `InvalidValue` (naming the rule, never the value)
    else."""
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(
            "as_known_at must be a timezone-aware datetime (e.g. in UTC); "
            f"got a {type(value).__name__}"
            f"{' without a time zone' if isinstance(value, datetime) else ''}"
        )
    if not EARLIEST_DATE <= value.date() <= LATEST_DATE:
        raise DateOutOfRange(
            f"as_known_at must lie between {EARLIEST_DATE} and {LATEST_DATE}; "
            f"got a moment in the year {value.year}"
        )
    return value


def is_digest(value: object) -> bool:
    """Whether `value` is a sha256 digest written as 64 hexadecimal characters."""
    if not isinstance(value, str):
        return False
    stripped = value.strip().lower()
    return len(stripped) == 64 and all(c in "0123456789abcdef" for c in stripped)

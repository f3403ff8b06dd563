"""Business dates: the day a fact happened, checked against the application's today."""

from __future__ import annotations

from datetime import date, datetime

from caseload.domain.errors import DateOutOfRange, InvalidThreshold

__all__ = ["check_business_date", "check_date", "check_days"]


def check_business_date(on: object, *, today: date) -> date:
    """Return `on` if it is a plain `date` not after `today`; raise `DateOutOfRange` if not."""
    if isinstance(on, datetime) or not isinstance(on, date):
        raise DateOutOfRange(
            f"a business date must be a datetime.date (a day, no time), not {type(on).__name__}"
        )
    if on > today:
        raise DateOutOfRange(
            f"business date {on} is {(on - today).days} day(s) after today ({today}); "
            "facts are recorded when they have happened, never ahead"
        )
    # A subclass of date (from a time-freezing library, say) is stored as a plain date.
    return date(on.year, on.month, on.day)


def check_date(on: object, what: str) -> date:
    """Return `on` as a plain `date` (any day, future included), or raise `DateOutOfRange`."""
    if isinstance(on, datetime) or not isinstance(on, date):
        raise DateOutOfRange(
            f"{what} must be a datetime.date (a day, no time), not {type(on).__name__}"
        )
    return date(on.year, on.month, on.day)


def check_days(value: object, what: str, *, minimum: int = 1, maximum: int) -> int:
    """Return `value` if it is a whole number of days from `minimum` to `maximum`; raise
    `InvalidThreshold` if not. The message gives the range, never the value: a number
    passed in the wrong place may be something a report must not repeat."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidThreshold(
            f"{what} must be a whole number of days from {minimum} to {maximum}; "
            f"got a {type(value).__name__}"
        )
    if not minimum <= value <= maximum:
        raise InvalidThreshold(
            f"{what} must be a whole number of days from {minimum} to {maximum}; "
            "got a number outside that range"
        )
    return value

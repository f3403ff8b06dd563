"""Business dates: the day a fact happened, checked against the application's today."""

from __future__ import annotations

from datetime import date, datetime

from caseload.domain.errors import DateOutOfRange, InvalidThreshold

__all__ = ["EARLIEST_DATE", "LATEST_DATE", "check_business_date", "check_date", "check_days"]

EARLIEST_DATE = date(1970, 1, 1)
"""No business date of a programme, and no day a query asks about, lies before this."""
LATEST_DATE = date(2199, 12, 31)
"""No day a query asks about, and no policy's start, lies after this (a business date
cannot lie after today anyway)."""


def _within_range(day: date, what: str) -> date:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise DateOutOfRange(
            f"{what} must lie between {EARLIEST_DATE} and {LATEST_DATE}; "
            f"got a date in the year {day.year}"
        )
    return day


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
    _within_range(on, "a business date")
    if type(on) is date:
        return on
    # A subclass of date (from a time-freezing library, say) is stored as a plain date.
    return date(on.year, on.month, on.day)


def check_date(on: object, what: str) -> date:
    """Return `on` as a plain `date` (future included, within `EARLIEST_DATE` to
    `LATEST_DATE`), or raise `DateOutOfRange`."""
    if isinstance(on, datetime) or not isinstance(on, date):
        raise DateOutOfRange(
            f"{what} must be a datetime.date (a day, no time), not {type(on).__name__}"
        )
    _within_range(on, what)
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

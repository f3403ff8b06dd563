"""Targets against actuals: the programme's years, the linear pace, and the labels of rows."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from uuid import UUID

import attrs

from caseload.domain.dates import EARLIEST_DATE, LATEST_DATE
from caseload.domain.errors import InvalidValue
from caseload.programmes.education.domain.eligibility import group_label, scheme_label
from caseload.programmes.education.domain.values import (
    EMPLOYED,
    UNEMPLOYED,
    Scheme,
    TargetGroup,
    TargetRow,
    TargetValue,
)
from caseload.programmes.education.read_models.plans import PlansState, StartRecord
from caseload.programmes.education.read_models.targets import TargetsState

__all__ = [
    "SEED_ROWS",
    "Window",
    "YearStatus",
    "count_starts",
    "report_rows",
    "row_label",
    "windows",
    "year_status",
]

SEED_ROWS: tuple[TargetRow, ...] = (
    TargetRow(Scheme.EDUCATION_LIFT, TargetGroup.INSURED_UNEMPLOYED),
    TargetRow(Scheme.EDUCATION_LIFT, TargetGroup.JOB_READY_CASH_BENEFIT),
    TargetRow(Scheme.EDUCATION_LIFT_110, TargetGroup.INSURED_UNEMPLOYED),
    TargetRow(Scheme.ADULT_APPRENTICESHIP, UNEMPLOYED),
    TargetRow(Scheme.ADULT_APPRENTICESHIP, EMPLOYED),
)
"""The rows of the half-year status the national agency receives, in the application's
order ("Udfyld skema med måltal")."""


def row_label(row: TargetRow) -> str:
    """A row in words: who, then which scheme."""
    if row.groups == UNEMPLOYED:
        who = "unemployed"
    elif row.groups == EMPLOYED:
        who = "employed"
    else:
        who = " + ".join(group_label(g) for g in TargetGroup if g in row.groups)
    return f"{who} → {scheme_label(row.scheme)}"


def report_rows(targets: TargetsState) -> tuple[TargetRow, ...]:
    """The seed's rows first, then every other row a target was decided for."""
    seen = {row.key for row in SEED_ROWS}
    return SEED_ROWS + tuple(row for row in targets.rows() if row.key not in seen)


@attrs.frozen
class Window:
    """The days of one calendar year that lie within the programme's period."""

    year: int
    first: date
    last: date

    @property
    def days(self) -> int:
        """How many days the window holds."""
        return (self.last - self.first).days + 1

    def elapsed(self, on: date) -> int:
        """How many of the window's days have passed by the end of `on` (0 to `days`)."""
        return max(0, min(self.days, (on - self.first).days + 1))


def windows(targets: TargetsState) -> tuple[Window, ...]:
    """The programme's years, each cut to its period (none before it is configured)."""
    start, end = targets.period_start, targets.period_end
    if start is None or end is None:
        return ()
    return tuple(
        Window(year, max(date(year, 1, 1), start), min(date(year, 12, 31), end))
        for year in range(start.year, end.year + 1)
    )


def count_starts(
    plans: PlansState, row: TargetRow, first: date, last: date
) -> tuple[int, list[tuple[UUID, StartRecord]]]:
    """How many starts counted by `row` fall on the days from `first` to `last`, and the
    overrides among them."""
    count = 0
    overrides = []
    for plan_id, _plan, start in plans.starts():
        if first <= start.started_on <= last and row.counts(start.scheme, start.group):
            count += 1
            if start.override is not None:
                overrides.append((plan_id, start))
    return count, overrides


@attrs.frozen
class YearStatus:
    """One row's target and actual starts in one year of the programme, on a reference day.

    The pace is linear over the year's days within the programme's period: by the end of
    the reference day a share `elapsed / days` of the target should have started.
    """

    year: int
    target: TargetValue | None
    """The target as decided by the reference day (None: none was decided)."""
    actual: int | None
    """Starts in the year's window up to the reference day (None: the year had not begun)."""
    elapsed_days: int
    days: int
    overrides: int
    """Starts among `actual` that no eligibility rule admitted (recorded with a reason)."""

    @property
    def share(self) -> float | None:
        """`actual / target` (None when the target is not a number above 0)."""
        if self.actual is None or not isinstance(self.target, int) or self.target <= 0:
            return None
        return float(Fraction(self.actual, self.target))

    @property
    def expected(self) -> float | None:
        """Starts the linear pace asks for by the reference day."""
        if not isinstance(self.target, int):
            return None
        return float(Fraction(self.target * self.elapsed_days, self.days))

    @property
    def forecast(self) -> float | None:
        """Starts by the end of the year's window if they go on at the pace so far."""
        if self.actual is None or self.elapsed_days == 0:
            return None
        return float(Fraction(self.actual * self.days, self.elapsed_days))

    @property
    def behind(self) -> bool:
        """Whether fewer started than the linear pace asks for by the reference day."""
        if not isinstance(self.target, int) or self.actual is None:
            return False
        return self.actual * self.days < self.target * self.elapsed_days

    @property
    def on_track(self) -> bool | None:
        """Whether the forecast reaches the target (None without a number to reach)."""
        if not isinstance(self.target, int) or self.actual is None:
            return None
        return not self.behind


def year_status(
    plans: PlansState, targets: TargetsState, row: TargetRow, window: Window, on: date
) -> YearStatus:
    """`row`'s status in `window`'s year as of the end of day `on`."""
    target = targets.target(row, window.year, on)
    if on < window.first:
        return YearStatus(window.year, target, None, 0, window.days, 0)
    actual, overrides = count_starts(plans, row, window.first, min(on, window.last))
    return YearStatus(window.year, target, actual, window.elapsed(on), window.days, len(overrides))


def _is_year(text: str) -> bool:
    """Whether `text` is four ASCII digits of a year from EARLIEST_DATE's to LATEST_DATE's."""
    return (
        len(text) == 4
        and text.isascii()
        and text.isdigit()
        and EARLIEST_DATE.year <= int(text) <= LATEST_DATE.year
    )


def parse_half_year(text: str) -> tuple[str, date, date]:
    """ "2021H2" as its label, first and last day; `InvalidValue` for anything else."""
    cleaned = text.strip().upper() if isinstance(text, str) else ""
    if len(cleaned) == 6 and _is_year(cleaned[:4]) and cleaned[4:] in ("H1", "H2"):
        year = int(cleaned[:4])
        if cleaned[5] == "1":
            return cleaned, date(year, 1, 1), date(year, 6, 30)
        return cleaned, date(year, 7, 1), date(year, 12, 31)
    raise InvalidValue(
        "a half-year is written as its year's four digits and H1 or H2 (YYYYH1), for a year from "
        f"{EARLIEST_DATE.year} to {LATEST_DATE.year}"
    )


def parse_month(text: str) -> tuple[str, date, date]:
    """ "2022-03" as its label, first and last day; `InvalidValue` for anything else."""
    cleaned = text.strip() if isinstance(text, str) else ""
    parts = cleaned.split("-")
    if (
        len(parts) == 2
        and _is_year(parts[0])
        and len(parts[1]) == 2
        and parts[1].isascii()
        and parts[1].isdigit()
        and 1 <= int(parts[1]) <= 12
    ):
        first = date(int(parts[0]), int(parts[1]), 1)
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return f"{first:%Y-%m}", first, following - timedelta(days=1)
    raise InvalidValue(
        "a month is written as its year's four digits, a hyphen and two digits (YYYY-MM), for a "
        "year from "
        f"{EARLIEST_DATE.year} to {LATEST_DATE.year}"
    )


def within_programme(targets: TargetsState, first: date, last: date, what: str) -> None:
    """Refuse a report period that does not overlap the programme's period."""
    spans = windows(targets)
    if not spans:
        raise InvalidValue("the store has no education programme configured yet")
    if last < spans[0].first or first > spans[-1].last:
        raise InvalidValue(
            f"{what} lies outside the programme's period, {spans[0].first} to {spans[-1].last}"
        )

"""Tables, CSV and JSON of the education programme's half-year and monthly status."""

from __future__ import annotations

import csv
import io
from typing import Any

from rich.console import Console
from rich.text import Text

from caseload.cli.render import say
from caseload.programmes.education.domain.values import NOT_RELEVANT, TargetValue
from caseload.programmes.education.pace import YearStatus
from caseload.programmes.education.status import (
    Activity,
    HalfYearStatus,
    MonthlyStatus,
    Override,
)

__all__ = [
    "half_year_csv",
    "half_year_json",
    "monthly_csv",
    "monthly_json",
    "print_half_year",
    "print_monthly",
]


def _target(value: TargetValue | None) -> str:
    if value is None:
        return "–"
    return "not relevant" if value is NOT_RELEVANT else str(value)


def _target_data(value: TargetValue | None) -> Any:
    return "not_relevant" if value is NOT_RELEVANT else value


def _count(value: int | None) -> str:
    return "–" if value is None else str(value)


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _year_json(status: YearStatus) -> dict[str, Any]:
    return {
        "year": status.year,
        "target": _target_data(status.target),
        "actual": status.actual,
        "share": status.share,
        "expected_by_now": status.expected,
        "forecast": status.forecast,
        "behind": status.behind,
        "overrides": status.overrides,
    }


def _activity_json(activity: Activity) -> dict[str, int]:
    return {
        "drop_in_sessions": activity.drop_in_sessions,
        "booked_sessions": activity.booked_sessions,
        "anonymous_visits": activity.anonymous_visits,
        "known_visits": activity.known_visits,
        "plans_drafted": activity.plans_drafted,
        "completions": activity.completions,
        "drop_outs": activity.drop_outs,
    }


def _overrides_json(overrides: tuple[Override, ...]) -> list[dict[str, Any]]:
    return [
        {
            "plan_id": str(o.plan_id),
            "started_on": o.started_on.isoformat(),
            "scheme": o.scheme.value,
            "target_group": o.target_group.value,
            "reason": o.reason,
        }
        for o in overrides
    ]


def half_year_json(status: HalfYearStatus) -> dict[str, Any]:
    """The half-year status as a JSON document."""
    return {
        "period": status.period,
        "first": status.first.isoformat(),
        "last": status.last.isoformat(),
        "counted_to": status.reference.isoformat(),
        "programme": status.programme,
        "rows": [
            {
                "row": row.label,
                "scheme": row.row.scheme.value,
                "target_groups": sorted(group.value for group in row.row.groups),
                "years": [_year_json(year) for year in row.years],
                "in_period": row.in_period,
                "share": row.share,
            }
            for row in status.rows
        ],
        "activity": _activity_json(status.activity),
        "overrides": _overrides_json(status.overrides),
    }


def _counted(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _activity_line(activity: Activity, first: object, last: object) -> str:
    return (
        f"Activities {first} to {last}: "
        f"{_counted(activity.drop_in_sessions, 'drop-in session', 'drop-in sessions')}, "
        f"{_counted(activity.booked_sessions, 'booked session', 'booked sessions')}, "
        f"{activity.anonymous_visits} anonymous and "
        f"{_counted(activity.known_visits, 'known visit', 'known visits')}, "
        f"{_counted(activity.plans_drafted, 'plan drafted', 'plans drafted')}, "
        f"{_counted(activity.completions, 'completion', 'completions')}, "
        f"{_counted(activity.drop_outs, 'drop-out', 'drop-outs')}"
    )


def _print_overrides(console: Console, overrides: tuple[Override, ...]) -> None:
    say(console, f"Starts granted by override: {len(overrides)}")
    for o in overrides:
        say(
            console,
            f"  {o.started_on} {o.scheme.value} ({o.target_group.value}), plan {o.plan_id}: "
            f"{o.reason}",
        )


def _title(text: str) -> Text:
    """A table's title as plain text: a programme's name is never read as rich markup."""
    return Text(text, style="table.title")


def print_half_year(console: Console, status: HalfYearStatus) -> None:
    """The half-year status in the layout of the application's target table."""
    # Imported here: rich's tables cost every command about 0.01 s at start-up.
    from rich.table import Table

    years = [year.year for year in status.rows[0].years] if status.rows else []
    table = Table(
        title=_title(
            f"Half-year status {status.period} ({status.programme}), counted to {status.reference}"
        )
    )
    table.add_column("Target group → scheme")
    for year in years:
        table.add_column(f"Target {year}", justify="right")
        table.add_column(f"Actual {year}", justify="right")
    table.add_column(f"Share {status.first.year}", justify="right")
    table.add_column(f"In {status.period}", justify="right")
    for row in status.rows:
        cells = [cell for year in row.years for cell in (_target(year.target), _count(year.actual))]
        table.add_row(Text(row.label), *cells, _share(row.share), str(row.in_period))
    console.print(table)
    say(console, _activity_line(status.activity, status.first, status.reference))
    _print_overrides(console, status.overrides)


def half_year_csv(status: HalfYearStatus) -> str:
    """The half-year status as CSV: one line per row, targets and actuals per year."""
    years = [year.year for year in status.rows[0].years] if status.rows else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["row", "scheme", "target_groups"]
    for number in years:
        header += [f"target_{number}", f"actual_{number}"]
    writer.writerow([*header, "share", "in_period"])
    for row in status.rows:
        cells: list[Any] = [
            row.label,
            row.row.scheme.value,
            "+".join(sorted(group.value for group in row.row.groups)),
        ]
        for year in row.years:
            target = _target_data(year.target)
            cells += ["" if target is None else target, "" if year.actual is None else year.actual]
        share = "" if row.share is None else f"{row.share:.4f}"
        writer.writerow([*cells, share, row.in_period])
    return buffer.getvalue()


def monthly_json(status: MonthlyStatus) -> dict[str, Any]:
    """The monthly status as a JSON document."""
    return {
        "month": status.month,
        "first": status.first.isoformat(),
        "last": status.last.isoformat(),
        "counted_to": status.reference.isoformat(),
        "programme": status.programme,
        "rows": [
            {
                "row": row.label,
                "scheme": row.row.scheme.value,
                "target_groups": sorted(group.value for group in row.row.groups),
                "in_month": row.in_month,
                "year_to_date": _year_json(row.year),
            }
            for row in status.rows
        ],
        "behind": list(status.behind),
        "activity": _activity_json(status.activity),
        "overrides": _overrides_json(status.overrides),
    }


def _pace(status: YearStatus) -> str:
    if status.on_track is None:
        return "–"
    return "behind" if status.behind else "on track"


def print_monthly(console: Console, status: MonthlyStatus) -> None:
    """The monthly status: the month, the year to date, the pace and the rows behind it."""
    # Imported here: rich's tables cost every command about 0.01 s at start-up.
    from rich.table import Table

    year = status.first.year
    table = Table(
        title=_title(
            f"Monthly status {status.month} ({status.programme}), counted to {status.reference}"
        )
    )
    for column in (
        "Target group → scheme",
        "In month",
        f"{year} to date",
        f"Target {year}",
        "Expected by now",
        "Forecast",
        "Pace",
    ):
        table.add_column(column, justify="left" if column.startswith("Target group") else "right")
    for row in status.rows:
        table.add_row(
            Text(row.label),
            str(row.in_month),
            _count(row.year.actual),
            _target(row.year.target),
            _number(row.year.expected),
            _number(row.year.forecast),
            _pace(row.year),
            style="red" if row.behind else None,
        )
    console.print(table)
    behind = "; ".join(status.behind) if status.behind else "none"
    say(console, f"Behind pace: {behind}")
    say(console, _activity_line(status.activity, status.first, status.reference))
    _print_overrides(console, status.overrides)


def monthly_csv(status: MonthlyStatus) -> str:
    """The monthly status as CSV: one line per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "row",
            "scheme",
            "target_groups",
            "in_month",
            "year_to_date",
            "target",
            "expected_by_now",
            "forecast",
            "behind",
        ]
    )
    for row in status.rows:
        target = _target_data(row.year.target)
        writer.writerow(
            [
                row.label,
                row.row.scheme.value,
                "+".join(sorted(group.value for group in row.row.groups)),
                row.in_month,
                "" if row.year.actual is None else row.year.actual,
                "" if target is None else target,
                "" if row.year.expected is None else f"{row.year.expected:.2f}",
                "" if row.year.forecast is None else f"{row.year.forecast:.2f}",
                "true" if row.behind else "false",
            ]
        )
    return buffer.getvalue()

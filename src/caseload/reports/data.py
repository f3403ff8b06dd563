"""The numbers of the HTML report: each section's table, gathered from the read models.

Charts and tables are both drawn from these values, so the page's tables are exactly the
numbers behind its charts, and `caseload report html --json` prints the same values.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from caseload.domain.errors import CaseloadError, InvalidValue
from caseload.programmes.education.read_models.plans import EducationPlansModel
from caseload.programmes.education.read_models.sessions import SessionsModel
from caseload.programmes.education.read_models.targets import EducationTargetsModel
from caseload.programmes.resource_pathway.read_models.attention import AttentionModel
from caseload.programmes.resource_pathway.read_models.caseload_counts import (
    CaseloadCounts,
    CaseloadState,
)
from caseload.programmes.resource_pathway.read_models.outcomes import OutcomesModel
from caseload.programmes.resource_pathway.read_models.progression import ProgressionModel
from caseload.programmes.resource_pathway.read_models.role_coverage import RoleCoverageModel
from caseload.programmes.resource_pathway.read_models.staffing import StaffingModel
from caseload.projections.base import ReadModel

if TYPE_CHECKING:
    from caseload.application.reporting import Reporting

__all__ = ["Cell", "ReportData", "Section", "gather"]

Cell = str | int
"""A table cell: a count, or a text (names, dates, decimals and shares written out)."""

_MODELS: tuple[type[ReadModel[Any]], ...] = (
    CaseloadCounts,
    StaffingModel,
    RoleCoverageModel,
    OutcomesModel,
    ProgressionModel,
    AttentionModel,
)
"""The read models the report is made from, whose digests it shows."""
_EDUCATION_MODELS: tuple[type[ReadModel[Any]], ...] = (
    EducationPlansModel,
    EducationTargetsModel,
    SessionsModel,
)
"""The read models of the education sections, shown when the store holds that programme."""


@attrs.frozen
class Section:
    """One chart's numbers: what it shows, and the table behind it."""

    key: str
    title: str
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@attrs.frozen
class ReportData:
    """Everything one report shows, and what it was made from."""

    store: str
    head: int
    digests: tuple[tuple[str, str], ...]
    first_day: date
    last_day: date
    as_true_on: date
    as_known_at: datetime | None
    sections: tuple[Section, ...]

    def section(self, key: str) -> Section:
        """The section named `key`."""
        return next(section for section in self.sections if section.key == key)

    def as_json(self) -> dict[str, Any]:
        """The report's numbers as JSON-able data (the page's tables, cell for cell)."""
        return {
            "store": self.store,
            "head": self.head,
            "digests": dict(self.digests),
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
            "as_true_on": self.as_true_on.isoformat(),
            "as_known_at": None if self.as_known_at is None else self.as_known_at.isoformat(),
            "sections": {
                section.key: {
                    "columns": list(section.columns),
                    "rows": [list(row) for row in section.rows],
                }
                for section in self.sections
            },
        }


def _share(value: float) -> str:
    return f"{value:.3f}"


def _month_ends(first: date, last: date) -> list[date]:
    """The last day of every month from `first`'s to `last`'s; `last` ends the last one."""
    ends = []
    month = first.replace(day=1)
    while month <= last:
        following = (month + timedelta(days=32)).replace(day=1)
        ends.append(min(following - timedelta(days=1), last))
        month = following
    return ends


def _first_day(state: CaseloadState, last: date) -> date:
    registered = [broker.registered_on for broker in state.brokers.values()]
    return min(registered) if registered else last


def _digest(
    app: Reporting, model: type[ReadModel[Any]], known: datetime | None, true_on: date | None
) -> str:
    return model().digest(app.read_model(model, as_known_at=known, as_true_on=true_on))


def gather(
    app: Reporting,
    *,
    first_day: date | None = None,
    last_day: date | None = None,
    as_known_at: datetime | None = None,
    as_true_on: date | None = None,
) -> ReportData:
    """The report's numbers for the resource-pathway programme, from `first_day` (the
    first broker's registration by default) to `last_day` (the reference day by default),
    as known at `as_known_at` and as true on `as_true_on` (today by default)."""
    on = app.today() if as_true_on is None else as_true_on
    known, true_on = as_known_at, as_true_on
    state = app.read_model(CaseloadCounts, as_known_at=known, as_true_on=true_on)
    last = on if last_day is None else last_day
    first = _first_day(state, last) if first_day is None else first_day
    if first > last:
        raise InvalidValue(f"--from ({first}) must not be after --to ({last})")
    if last > on:
        raise InvalidValue(f"--to ({last}) must not be after the day reported on ({on})")
    months = {end.strftime("%Y-%m") for end in _month_ends(first, last)}
    head = app.head() if known is None else app.projections.known_position(known)
    education = any(programme.kind == "education" for programme in app.programmes())
    models = _MODELS + (_EDUCATION_MODELS if education else ())
    digests = tuple((model.name, _digest(app, model, known, true_on)) for model in models)
    sections: tuple[Section, ...] = (
        _caseload(app, state, first, last, known, true_on),
        _staffing(app, months, known, true_on),
        _coverage(app, known, true_on),
        _outcomes(app, months, known, true_on),
        _progression(app, known, true_on),
        _attention(app, first, last, known),
    )
    if education:
        sections += _education(app, last, known, true_on)
    return ReportData(
        store=app.store if hasattr(app, "store") else "",
        head=head,
        digests=digests,
        first_day=first,
        last_day=last,
        as_true_on=on,
        as_known_at=known,
        sections=sections,
    )


def _caseload(
    app: Reporting,
    state: CaseloadState,
    first: date,
    last: date,
    known: datetime | None,
    true_on: date | None,
) -> Section:
    report = app.caseload_report(as_known_at=known, as_true_on=true_on)
    rows: list[tuple[Cell, ...]] = []
    for broker_id, series in report.series:
        broker = state.brokers[broker_id]
        before = [count for day, count in series if day < first]
        days = [(first, before[-1])] if before else []
        days += [(day, count) for day, count in series if first <= day <= last]
        # The step chart ends on the last day shown, not on the last change before it.
        if days and days[-1][0] < last and broker.on_staff(last):
            days.append((last, days[-1][1]))
        for day, count in days:
            limit = state.limit_on(broker, day)
            breach = "yes" if count > limit else ""
            rows.append((broker.name, day.isoformat(), count, limit, breach))
    return Section(
        key="caseload",
        title="Caseload per broker (sagsstamme pr. jobformidler)",
        caption=(
            "Active cases per broker on each day their caseload changed, against the limit in "
            "force that day (the line); days over the limit are marked as breaches."
        ),
        columns=("broker", "day", "active cases", "limit", "breach"),
        rows=tuple(rows),
    )


def _staffing(
    app: Reporting, months: set[str], known: datetime | None, true_on: date | None
) -> Section:
    report = app.staffing(as_known_at=known, as_true_on=true_on)
    rows = tuple(
        (
            row.month,
            row.active_cases,
            row.unassigned,
            str(row.brokers_needed),
            str(row.fte_available),
            str(row.gap),
        )
        for row in report.programme
        if row.month in months
    )
    return Section(
        key="staffing",
        title="Team totals against staffing need (bemanding)",
        caption=(
            "Per month, the programme's active cases and the broker FTE needed to hold them at "
            "the limit in force, against the FTE available."
        ),
        columns=("month", "active cases", "unassigned", "FTE needed", "FTE available", "gap"),
        rows=rows,
    )


def _coverage(app: Reporting, known: datetime | None, true_on: date | None) -> Section:
    coverage = app.role_coverage(as_known_at=known, as_true_on=true_on)
    rows: list[tuple[Cell, ...]] = [
        (
            "programme",
            coverage.active_cases,
            _share(coverage.share_all_four_by_assigned_broker),
            _share(coverage.share_all_four),
        )
    ]
    for broker in sorted(coverage.brokers, key=lambda broker: broker.name):
        by_broker = (
            broker.cases_with_all_four_by_broker / broker.active_cases
            if broker.active_cases
            else 0.0
        )
        rows.append((broker.name, broker.active_cases, _share(by_broker), ""))
    return Section(
        key="coverage",
        title="Four-role coverage (de 4 roller)",
        caption=(
            "The share of active cases whose four roles were all exercised by the case's own "
            "broker, and by anyone (broker or colleague)."
        ),
        columns=("who", "active cases", "all four by the case's broker", "all four by anyone"),
        rows=tuple(rows),
    )


def _outcomes(
    app: Reporting, months: set[str], known: datetime | None, true_on: date | None
) -> Section:
    report = app.outcomes(as_known_at=known, as_true_on=true_on)
    rows: list[tuple[Cell, ...]] = [
        (row.month, "placement", row.kind.value, row.count)
        for row in report.placements
        if row.month in months
    ]
    rows += [
        (row.month, "closure", row.reason.value, row.count)
        for row in report.closures
        if row.month in months
    ]
    rows.sort(key=lambda row: (str(row[0]), str(row[1]), str(row[2])))
    return Section(
        key="outcomes",
        title="Outcomes and closures by month (resultater og afslutninger)",
        caption="Placements by kind and closures by reason, per month.",
        columns=("month", "what", "kind or reason", "count"),
        rows=tuple(rows),
    )


def _progression(app: Reporting, known: datetime | None, true_on: date | None) -> Section:
    report = app.progression(as_known_at=known, as_true_on=true_on)
    rows = tuple(
        (
            summary.indicator,
            summary.trajectories_measured,
            summary.trajectories_measured_twice,
            "" if summary.mean_change is None else f"{summary.mean_change:.2f}",
            _share(summary.share_improving),
        )
        for summary in report.summaries
    )
    return Section(
        key="progression",
        title="Progression by indicator (progressionsmåling)",
        caption=(
            "Per indicator, the trajectories measured (twice or more), the mean change from "
            "first to latest score, and the share of those measured twice that improved."
        ),
        columns=("indicator", "measured", "measured twice", "mean change", "share improving"),
        rows=rows,
    )


def _attention(app: Reporting, first: date, last: date, known: datetime | None) -> Section:
    rows: list[tuple[Cell, ...]] = []
    for end in _month_ends(first, last):
        report = app.attention_list(as_known_at=known, as_true_on=end)
        rows.append((end.isoformat(), "all", len(report.items)))
        rows += [(end.isoformat(), reason.value, count) for reason, count in report.counts]
    return Section(
        key="attention",
        title="Attention list (til sagssparring)",
        caption=(
            "At the end of each month, the open trajectories that need a case review, and how "
            "many for each reason (a trajectory may have several)."
        ),
        columns=("day", "reason", "trajectories"),
        rows=tuple(rows),
    )


def _education(
    app: Reporting, last: date, known: datetime | None, true_on: date | None
) -> tuple[Section, ...]:
    """The education programme's starts against target and pace in the last day's month
    (when the programme runs then), and its history line."""
    sections = []
    month = last.strftime("%Y-%m")
    try:
        status = app.education_monthly(month, as_known_at=known, as_true_on=true_on)
    except CaseloadError:
        status = None  # the month lies outside the programme's period: no pace to show
    if status is not None:
        rows: list[tuple[Cell, ...]] = []
        for row in status.rows:
            year = row.year
            target = year.target if isinstance(year.target, int) else ""
            expected = year.expected
            rows.append(
                (
                    row.label,
                    year.year,
                    target,
                    "" if year.actual is None else year.actual,
                    "" if expected is None else f"{expected:.1f}",
                    row.in_month,
                )
            )
        sections.append(
            Section(
                key="education_pace",
                title=f"Education starts against targets (måltal), to the end of {status.month}",
                caption=(
                    f"Per target row, the starts of the year to the end of {status.month} "
                    "against the year's target and the linear pace (what the target asks "
                    "for by then)."
                ),
                columns=("row", "year", "target", "starts", "pace", "in the month"),
                rows=tuple(rows),
            )
        )
    history = app.education_history(as_known_at=known, as_true_on=true_on)
    sections.append(
        Section(
            key="education_history",
            title="Education history line (uddannelsesløft de seneste år)",
            caption=(
                "Starts per year and scheme: the baseline years before the programme, then "
                "the programme's own years (a partial year is marked)."
            ),
            columns=("year", "scheme", "starts", "source", "partial"),
            rows=tuple(
                (
                    point.year,
                    point.scheme.value,
                    point.count,
                    point.source,
                    "yes" if point.partial else "",
                )
                for point in history
            ),
        )
    )
    return tuple(sections)

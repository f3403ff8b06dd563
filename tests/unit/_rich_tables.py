"""The command's long tables as they were built with rich's `Table` before they became
plain tables: the reference their printed bytes must not drift from."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from caseload.programmes.resource_pathway.domain.values import Role
from caseload.programmes.resource_pathway.read_models.attention import (
    AttentionReason,
    AttentionReport,
    AttentionThresholds,
)
from caseload.programmes.resource_pathway.read_models.caseload_counts import CaseloadRow
from caseload.programmes.resource_pathway.read_models.caseload_daily import DailyCaseload
from caseload.programmes.resource_pathway.read_models.role_coverage import RoleCoverage


def caseload_table(rows: tuple[CaseloadRow, ...], title: str) -> Table:
    table = Table(title=title)
    for column in ("Broker", "Team", "FTE", "Active", "Limit", "Utilisation"):
        table.add_column(column, justify="left" if column in ("Broker", "Team") else "right")
    for row in rows:
        style = "red" if row.active_cases > row.limit else None
        table.add_row(
            Text(row.name + (f" (left {row.left_on})" if row.left_on else "")),
            Text(row.team),
            f"{row.fte}",
            str(row.active_cases),
            str(row.limit),
            f"{row.utilisation:.0%}",
            style=style,
        )
    return table


def coverage_table(coverage: RoleCoverage) -> Table:
    table = Table(title="Four-role coverage by broker")
    table.caption = "✓ role exercised, · not exercised, – no active case"
    table.add_column("Broker")
    for role in Role:
        table.add_column(role.name.replace("_", " ").capitalize(), justify="center")
    table.add_column("Active", justify="right")
    table.add_column("All four by broker", justify="right")
    for broker in coverage.brokers:
        marks = ["✓" if role in broker.roles_covered else "·" for role in Role]
        if not broker.active_cases:
            marks = ["–" for _ in Role]
        table.add_row(
            Text(broker.name),
            *marks,
            str(broker.active_cases),
            str(broker.cases_with_all_four_by_broker),
        )
    for colleague in coverage.colleagues:
        marks = ["✓" if role in colleague.roles_covered else "·" for role in Role]
        table.add_row(
            Text(f"{colleague.name} (colleague)"),
            *marks,
            str(colleague.active_cases_with_contact),
            "–",
        )
    return table


def _reason_label(reason: AttentionReason, thresholds: AttentionThresholds) -> str:
    if reason is AttentionReason.NOT_REVIEWED:
        return f"not reviewed in {thresholds.review_days} days"
    if reason is AttentionReason.UNASSIGNED:
        return "no broker"
    return str(reason.value).replace("_", " ")


def attention_table(report: AttentionReport) -> Table:
    table = Table(title=f"Attention list on {report.on}")
    table.add_column("Reason")
    table.add_column("Trajectories", justify="right")
    for reason, count in report.counts:
        table.add_row(_reason_label(reason, report.thresholds), str(count))
    return table


def series_table(rows: tuple[DailyCaseload, ...]) -> Table:
    fields = ("day", "broker_id", "broker", "active_cases", "limit")
    values = [
        (row.on.isoformat(), str(row.broker_id), row.name, row.active_cases, row.limit)
        for row in rows
    ]
    table = Table(title="Daily caseload per broker")
    for field in fields:
        table.add_column(field)
    for value in values:
        table.add_row(*(str(cell) for cell in value))
    return table

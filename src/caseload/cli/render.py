"""Tables and JSON documents the `caseload` command prints (kept apart from the commands)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import attrs
from rich.console import Console

from caseload.adapters.seals import Seal
from caseload.audit.findings import VerifyReport
from caseload.cli.tables import PlainColumn, PlainRow, PlainTable, print_table
from caseload.domain.policy import CaseloadPolicy
from caseload.programmes.resource_pathway.domain.values import Role
from caseload.programmes.resource_pathway.read_models.attention import (
    AttentionReason,
    AttentionReport,
    AttentionThresholds,
)
from caseload.programmes.resource_pathway.read_models.attention_counts import AttentionCounts
from caseload.programmes.resource_pathway.read_models.caseload_counts import CaseloadRow
from caseload.programmes.resource_pathway.read_models.caseload_daily import DailyCaseload
from caseload.programmes.resource_pathway.read_models.role_coverage import RoleCoverage
from caseload.projections.runner import RebuildResult

__all__ = [
    "SERIES_FIELDS",
    "StatusData",
    "attention_table",
    "caseload_table",
    "coverage_table",
    "limit_note",
    "print_rebuild",
    "print_seal",
    "print_status",
    "print_verify",
    "rebuild_json",
    "say",
    "seal_json",
    "series_table",
    "series_values",
    "status_json",
    "verify_json",
]


def say(console: Console, text: str) -> None:
    """Print a line as plain text: store paths, names and messages are never read as rich
    markup or highlighted, and long lines wrap softly."""
    console.print(text, highlight=False, markup=False, soft_wrap=True)


def caseload_table(rows: tuple[CaseloadRow, ...], title: str) -> PlainTable:
    """Active cases per broker against the limit in force (in red for a broker over it)."""
    return PlainTable(
        title=title,
        columns=tuple(
            PlainColumn(header, "left" if header in ("Broker", "Team") else "right")
            for header in ("Broker", "Team", "FTE", "Active", "Limit", "Utilisation")
        ),
        rows=tuple(
            PlainRow(
                (
                    row.name + (f" (left {row.left_on})" if row.left_on else ""),
                    row.team,
                    f"{row.fte}",
                    str(row.active_cases),
                    str(row.limit),
                    f"{row.utilisation:.0%}",
                ),
                style="red" if row.active_cases > row.limit else None,
            )
            for row in rows
        ),
    )


def limit_note(policy: CaseloadPolicy, on: date) -> str:
    """Where the Limit column comes from: the policy in force on the day shown."""
    decided = (
        "the default policy"
        if policy.effective_from == date.min
        else f"policy {policy.name!r}, in force from {policy.effective_from}"
    )
    return (
        f"Limit: the cases a broker may hold on {on}: {policy.limit_per_fte} per full-time "
        f"post × the broker's FTE (rounded down), under {decided}"
    )


def coverage_table(coverage: RoleCoverage) -> PlainTable:
    """Roles each broker has exercised, and their cases covered in all four roles alone
    (– for a broker with no active case); then each colleague (no caseload), with the
    active cases they made a contact in."""
    rows = []
    for broker in coverage.brokers:
        marks = ["✓" if role in broker.roles_covered else "·" for role in Role]
        if not broker.active_cases:
            marks = ["–" for _ in Role]  # no case to cover a role for
        rows.append(
            PlainRow(
                (
                    broker.name,
                    *marks,
                    str(broker.active_cases),
                    str(broker.cases_with_all_four_by_broker),
                )
            )
        )
    for colleague in coverage.colleagues:
        marks = ["✓" if role in colleague.roles_covered else "·" for role in Role]
        rows.append(
            PlainRow(
                (
                    f"{colleague.name} (colleague)",
                    *marks,
                    str(colleague.active_cases_with_contact),
                    "–",
                )
            )
        )
    return PlainTable(
        title="Four-role coverage by broker",
        caption="✓ role exercised, · not exercised, – no active case",
        columns=(
            PlainColumn("Broker"),
            *(PlainColumn(role.name.replace("_", " ").capitalize(), "center") for role in Role),
            PlainColumn("Active", "right"),
            PlainColumn("All four by broker", "right"),
        ),
        rows=tuple(rows),
    )


def _reason_label(reason: AttentionReason, thresholds: AttentionThresholds) -> str:
    if reason is AttentionReason.NOT_REVIEWED:
        return f"not reviewed in {thresholds.review_days} days"
    if reason is AttentionReason.UNASSIGNED:
        return "no broker"
    return str(reason.value).replace("_", " ")


def attention_table(report: AttentionReport | AttentionCounts) -> PlainTable:
    """Open trajectories needing a case review, counted per reason."""
    return PlainTable(
        title=f"Attention list on {report.on}",
        columns=(PlainColumn("Reason"), PlainColumn("Trajectories", "right")),
        rows=tuple(
            PlainRow((_reason_label(reason, report.thresholds), str(count)))
            for reason, count in report.counts
        ),
    )


SERIES_FIELDS = ("day", "broker_id", "broker", "active_cases", "limit")
"""The fields of `caseload status --series`, in its JSON, CSV and table alike."""


def series_values(rows: tuple[DailyCaseload, ...]) -> list[tuple[str, str, str, int, int]]:
    """Each day's caseload of each broker as the values of `SERIES_FIELDS`."""
    return [
        (row.on.isoformat(), str(row.broker_id), row.name, row.active_cases, row.limit)
        for row in rows
    ]


def series_table(rows: tuple[DailyCaseload, ...]) -> PlainTable:
    """The daily caseload per broker, one row per broker and day."""
    return PlainTable(
        title="Daily caseload per broker",
        columns=tuple(PlainColumn(field) for field in SERIES_FIELDS),
        rows=tuple(PlainRow(tuple(str(cell) for cell in value)) for value in series_values(rows)),
    )


@attrs.frozen
class StatusData:
    """Everything `caseload status` shows, read from the store once."""

    store: str
    as_true_on: date
    as_known_at: datetime | None
    caseload: tuple[CaseloadRow, ...]
    coverage: RoleCoverage
    """Per broker, per colleague and the shares (the rows per trajectory are not shown)."""
    placements: int
    """Job, flex-job and education placements recorded up to the reference month."""
    closures: int
    """Trajectories closed up to the reference month, for any reason."""
    attention: AttentionCounts


def status_json(data: StatusData) -> dict[str, Any]:
    """The machine-readable status: ids as text, dates in ISO form, and numbers (the FTE
    too, a decimal in the library) as JSON numbers, so a reader can compute with them."""
    return {
        "store": data.store,
        "as_true_on": data.as_true_on.isoformat(),
        "as_known_at": None if data.as_known_at is None else data.as_known_at.isoformat(),
        "caseload": [
            {
                "broker_id": str(row.broker_id),
                "name": row.name,
                "team": row.team,
                "fte": float(row.fte),
                "active_cases": row.active_cases,
                "limit": row.limit,
                "utilisation": row.utilisation,
            }
            for row in data.caseload
        ],
        "coverage": {
            "active_cases": data.coverage.active_cases,
            "share_all_four": data.coverage.share_all_four,
            "share_all_four_by_assigned_broker": data.coverage.share_all_four_by_assigned_broker,
            "share_with_colleague_roles": data.coverage.share_with_colleague_roles,
        },
        "outcomes": {"placements": data.placements, "closures": data.closures},
        "attention": {reason.value: count for reason, count in data.attention.counts},
    }


def print_status(out: Console, data: StatusData) -> None:
    """The status as tables and lines for a person."""
    known = "" if data.as_known_at is None else f" as known at {data.as_known_at.isoformat()}"
    say(out, f"{data.store}{known}")
    print_table(out, caseload_table(data.caseload, f"Caseload on {data.as_true_on}{known}"))
    print_table(out, coverage_table(data.coverage))
    say(
        out,
        f"Active cases: {data.coverage.active_cases}; all four roles covered: "
        f"{data.coverage.share_all_four:.0%}; all four by the assigned broker alone: "
        f"{data.coverage.share_all_four_by_assigned_broker:.0%}; a role by a colleague: "
        f"{data.coverage.share_with_colleague_roles:.0%}",
    )
    say(
        out,
        f"Outcomes up to {data.as_true_on:%Y-%m}: placements {data.placements}, "
        f"closures {data.closures}",
    )
    print_table(out, attention_table(data.attention))
    say(out, f"Open trajectories needing attention: {data.attention.flagged}")


def rebuild_json(result: RebuildResult) -> dict[str, Any]:
    """The machine-readable result of a rebuild."""
    return {
        "events": result.events,
        "resumed_from": result.resumed_from,
        "seconds": result.seconds,
        "events_per_second": result.events_per_second,
        "digests": dict(result.digests),
    }


def print_rebuild(out: Console, result: RebuildResult, store: str) -> None:
    """The result of a rebuild for a person: counts, speed and each read model's digest."""
    # Imported here: rich's tables cost every command about 0.01 s at start-up.
    from rich.table import Table

    table = Table(title="Read models rebuilt")
    table.add_column("Read model")
    table.add_column("Digest (sha256)")
    for name, digest in result.digests:
        table.add_row(name, digest)
    out.print(table)
    say(
        out,
        f"Folded {result.events} events of {store} in {result.seconds:.2f} s "
        f"({result.events_per_second:,.0f} events/s)"
        + (f", resuming from position {result.resumed_from}" if result.resumed_from else ""),
    )


def verify_json(report: VerifyReport, store: str) -> dict[str, Any]:
    """The machine-readable outcome of `verify`: every check and its first finding."""
    return {
        "store": store,
        "ok": report.ok,
        "position": report.position,
        "checks": [
            {
                "name": check.name,
                "ok": check.ok,
                "summary": check.summary,
                "first_offending_event": None
                if check.finding is None
                else attrs.asdict(check.finding),
                "more": list(check.details),
            }
            for check in report.checks
        ],
    }


def print_verify(out: Console, report: VerifyReport, store: str) -> None:
    """Each check with ✓ or ✗; for a failure, its first offending event."""
    say(out, f"Verifying {store} up to log position {report.position}")
    for check in report.checks:
        mark = "[green]✓[/green]" if check.ok else "[red]✗[/red]"
        out.print(f"{mark} {check.name}: ", end="", soft_wrap=True)
        say(out, check.summary)
        finding = check.finding
        if finding is None:
            continue
        say(out, f"    {finding.message}")
        if finding.position is not None:
            where = [f"position {finding.position}"]
            if finding.aggregate_id is not None:
                where.append(f"aggregate {finding.aggregate_id}")
            if finding.event_type is not None:
                where.append(f"type {finding.event_type}")
            say(out, f"    first offending event: {', '.join(where)}")
        for more in check.details:
            say(out, f"    also: {more}")
    verdict = "every check passed" if report.ok else "verification FAILED"
    say(out, verdict)


def seal_json(seal: Seal, store: str) -> dict[str, Any]:
    """The machine-readable seal."""
    return {
        "store": store,
        "number": seal.number,
        "position": seal.position,
        "head": seal.head,
        "sealed_at": seal.sealed_at.isoformat(),
        "digest": seal.digest,
    }


def print_seal(out: Console, seal: Seal, store: str) -> None:
    """The seal, with what to do with its digest."""
    say(out, f"Seal digest: {seal.digest}")
    say(
        out,
        f"Sealed {store} at log position {seal.position} (seal {seal.number}, "
        f"{seal.sealed_at.isoformat()}).",
    )
    say(
        out,
        "Keep the digest outside the database; `caseload verify --seal DIGEST` then proves "
        "the log up to this position unchanged.",
    )

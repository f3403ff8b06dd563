"""What `verify` reports: its checks by name, each passed or failed, and the first
offending event of a failed one, named by log position, aggregate id and event type (no
personal data)."""

from __future__ import annotations

import attrs

from caseload.adapters.chain import StoredRow

__all__ = ["CHAIN", "READ_MODELS", "RULES", "Check", "Finding", "VerifyReport", "row_finding"]

CHAIN = "log unaltered (hash chain and seals)"
RULES = "no rule broken on any date"
READ_MODELS = "read models equal a fresh rebuild"


@attrs.frozen
class Finding:
    """The first offending event of a failed check (no personal data)."""

    message: str
    position: int | None = None
    aggregate_id: str | None = None
    event_type: str | None = None


@attrs.frozen
class Check:
    """One check of `verify`: its name, whether it passed, and what it found."""

    name: str
    ok: bool
    summary: str
    finding: Finding | None = None
    details: tuple[str, ...] = ()


@attrs.frozen
class VerifyReport:
    """The outcome of `verify`: every check, run against the log up to `position`."""

    position: int
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(check.ok for check in self.checks)


def event_type(topic: object) -> str | None:
    """The event class named by a topic (`module:Class.Event` → `Class.Event`)."""
    return topic.rpartition(":")[2][:80] if isinstance(topic, str) else None


def row_finding(message: str, row: StoredRow) -> Finding:
    aggregate = row.originator_id if isinstance(row.originator_id, str) else None
    return Finding(message, row.position, aggregate, event_type(row.topic))

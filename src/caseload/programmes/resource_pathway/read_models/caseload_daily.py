"""The daily caseload per broker over a range of days, from the caseload read model's state."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import attrs

from caseload.programmes.resource_pathway.read_models.caseload_counts import CaseloadState

__all__ = ["DailyCaseload", "daily_caseload", "first_registration"]


@attrs.frozen
class DailyCaseload:
    """One broker's active cases at the end of one day, and the limit in force that day."""

    on: date
    broker_id: UUID
    name: str
    active_cases: int
    limit: int


def first_registration(state: CaseloadState, otherwise: date) -> date:
    """The day the first broker was registered (`otherwise` when there is none)."""
    return min((broker.registered_on for broker in state.brokers.values()), default=otherwise)


def daily_caseload(state: CaseloadState, first: date, last: date) -> tuple[DailyCaseload, ...]:
    """Per day from `first` to `last` and per broker on staff that day (by name), the
    active cases at the end of the day and the limit then in force."""
    brokers = sorted(state.brokers.items(), key=lambda item: (item[1].name, item[0]))
    rows: list[DailyCaseload] = []
    day = first
    while day <= last:
        rows.extend(
            DailyCaseload(
                on=day,
                broker_id=broker_id,
                name=broker.name,
                active_cases=broker.count_on(day),
                limit=state.limit_on(broker, day),
            )
            for broker_id, broker in brokers
            if broker.on_staff(day)
        )
        day += timedelta(days=1)
    return tuple(rows)

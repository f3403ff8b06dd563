"""`Caseload.report_html`: the HTML report, made by `caseload.reports` (the `report` extra)."""

from __future__ import annotations

from datetime import date, datetime

from caseload.application.education import EducationQueries
from caseload.application.queries import Queries

__all__ = ["Reporting"]


class Reporting(EducationQueries, Queries):
    """The report methods of `Caseload`, over both programmes' queries."""

    def report_html(
        self,
        *,
        first_day: date | None = None,
        last_day: date | None = None,
        as_known_at: datetime | None = None,
        as_true_on: date | None = None,
    ) -> str:
        """The resource-pathway programme as one self-contained HTML page: charts with their
        tables, the read models' digests and the log head. Needs `caseload[report]`."""
        from caseload.reports.html import report_html

        return report_html(
            self,
            first_day=first_day,
            last_day=last_day,
            as_known_at=as_known_at,
            as_true_on=as_true_on,
        )

"""Reports for people: the programme's charts and tables as one self-contained HTML page."""

from caseload.reports.data import ReportData, Section, gather
from caseload.reports.html import check_extra, render_html, report_html

__all__ = ["ReportData", "Section", "check_extra", "gather", "render_html", "report_html"]

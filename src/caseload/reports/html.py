"""The report as one self-contained HTML page: charts embedded as data URIs, styles inline.

Needs the `report` extra (matplotlib and Jinja2); without it, `MissingExtra` names the pip
command that installs it.
"""

from __future__ import annotations

import base64
import importlib
from datetime import date, datetime
from typing import TYPE_CHECKING

from caseload.domain.errors import MissingExtra
from caseload.reports.data import ReportData, gather

if TYPE_CHECKING:
    from caseload.application.reporting import Reporting

__all__ = ["INSTALL", "check_extra", "render_html", "report_html"]

INSTALL = "pip install 'caseload[report]'"
"""The command that installs what the HTML report needs."""


def check_extra() -> None:
    """Raise `MissingExtra` unless matplotlib and Jinja2 can be imported."""
    for module in ("matplotlib", "jinja2"):
        if importlib.util.find_spec(module) is None:
            raise MissingExtra(f"the HTML report needs {module}, which is not installed: {INSTALL}")


def render_html(data: ReportData) -> str:
    """The page for `data`: the same data gives the same text, byte for byte."""
    check_extra()
    import jinja2

    from caseload.reports.charts import render

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("caseload.reports", "templates"),
        autoescape=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    charts = {
        section.key: base64.b64encode(render(data, section.key, "svg")).decode("ascii")
        for section in data.sections
    }
    template = environment.get_template("report.html.j2")
    return template.render(data=data, charts=charts)


def report_html(
    app: Reporting,
    *,
    first_day: date | None = None,
    last_day: date | None = None,
    as_known_at: datetime | None = None,
    as_true_on: date | None = None,
) -> str:
    """The HTML report of `app`'s resource-pathway programme (see `gather` for the options)."""
    check_extra()
    data = gather(
        app,
        first_day=first_day,
        last_day=last_day,
        as_known_at=as_known_at,
        as_true_on=as_true_on,
    )
    return render_html(data)

"""The HTML report: reproducible bytes, provenance, the moment it is asked about, the extra."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from caseload import Caseload
from caseload.reports import gather
from tests.unit._support import START, give_cases, new_app, register

pytest.importorskip("matplotlib", reason="the HTML report needs the 'report' extra")
pytest.importorskip("jinja2", reason="the HTML report needs the 'report' extra")

LATE_DAY = START + timedelta(days=20)


@pytest.fixture(scope="module")
def late() -> tuple[Caseload, datetime]:
    """Two brokers holding cases, and the moment before a late assignment was recorded
    (three cases given to broker B, dated 20 days after START, registered after it)."""
    app = new_app()
    a = register(app, name="Broker A")
    b = register(app, name="Broker B")
    give_cases(app, a, 4)
    give_cases(app, b, 1, on=START + timedelta(days=5))
    time.sleep(0.01)
    before_late = datetime.now(UTC)
    time.sleep(0.01)
    give_cases(app, b, 3, on=LATE_DAY)
    return app, before_late


def test_the_same_log_and_options_give_the_same_bytes(late: tuple[Caseload, datetime]) -> None:
    """Two reports of one log with the same options are byte-identical HTML."""
    app, _ = late
    first = app.report_html(as_true_on=date(2025, 3, 31))
    second = app.report_html(as_true_on=date(2025, 3, 31))
    assert first == second
    assert first.startswith("<!DOCTYPE html>")


def test_a_report_from_before_a_late_registration_differs(
    late: tuple[Caseload, datetime],
) -> None:
    """As known before the late assignment, broker B held one case on the last day; after
    it, four. The two reports differ, and each names the log head it was made from."""
    app, before_late = late
    on = date(2025, 3, 31)
    then = gather(app, as_known_at=before_late, as_true_on=on)
    now = gather(app, as_true_on=on)
    assert then.head < now.head == app.head()
    last_b = [row for row in now.section("caseload").rows if row[0] == "Broker B"][-1]
    last_b_then = [row for row in then.section("caseload").rows if row[0] == "Broker B"][-1]
    assert (last_b_then[2], last_b[2]) == (1, 4)
    assert dict(then.digests)["caseload"] != dict(now.digests)["caseload"]
    page_then = app.report_html(as_known_at=before_late, as_true_on=on)
    page_now = app.report_html(as_true_on=on)
    assert page_then != page_now
    assert f"log head {now.head}" in page_now
    assert dict(now.digests)["caseload"] in page_now


def test_every_section_has_a_chart_a_caption_and_a_table(late: tuple[Caseload, datetime]) -> None:
    """Six charts embedded as data URIs (nothing fetched), each with its table."""
    app, _ = late
    page = app.report_html(as_true_on=date(2025, 3, 31))
    assert page.count('src="data:image/svg+xml;base64,') == 6
    assert page.count("<table data-section=") == 6
    assert "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page


def test_without_the_extra_the_command_exits_2_with_the_pip_command() -> None:
    """`caseload report html` with matplotlib missing: exit 2, and pip's words on stderr."""
    script = (
        "import sys; sys.modules['matplotlib'] = None; "
        "sys.argv = ['caseload', 'report', 'html', '--store', 'memory://', '--out', 'x.html']; "
        "from caseload.cli import main; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2, result.stderr
    assert "pip install 'caseload[report]'" in result.stderr
    assert "Traceback" not in result.stderr

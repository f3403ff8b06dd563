"""`caseload report html` opened in headless Chromium with the network off: every chart
loads, and the numbers in the page's tables are the ones `--json` prints.

Skips with a reason when /usr/bin/chromium is missing; under CI=true it fails instead.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.e2e._cli import run_cli

CHROMIUM = Path("/usr/bin/chromium")
KEY = "test-pseudonym-key-not-secret"
SMALL = ("--citizens", "30", "--brokers", "2", "--months", "4", "--seed", "3")
OFFLINE = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Nothing the page asks for may come from the network: no proxy answers, no name resolves.
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)

pytest.importorskip("matplotlib", reason="the HTML report needs the 'report' extra")


def _chromium() -> Path:
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs it (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing; install the chromium package to run this test")
    return CHROMIUM


class _Page(HTMLParser):
    """The images' loaded widths and each table's cells, as the browser left the DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.widths: list[int] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.checked = False
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "body" and found.get("data-images-checked") == "yes":
            self.checked = True
        elif tag == "img":
            self.widths.append(int(found.get("data-natural-width") or -1))
        elif tag == "table":
            self._table = found["data-section"]
            self.tables[str(self._table)] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body and self._table is not None:
            self.tables[self._table].append([])
        elif tag == "td" and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._table is not None and self._cell is not None:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


PROGRAMMES = {
    # The resource-pathway programme alone: its six sections.
    "resource_pathway": ((), 6),
    # Both programmes, shown over the education programme's period: two sections more
    # (starts against target and pace in June 2022, and the history line).
    "all": (("--from", "2021-04-01", "--to", "2022-06-30"), 8),
}


@pytest.fixture(scope="module", params=sorted(PROGRAMMES))
def report(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any], tuple[str, ...], int]:
    """A small simulated store's report (one programme or both), written with --out, its
    --json, the options it was made with and the number of sections it should have."""
    programme: str = request.param
    options, sections = PROGRAMMES[programme]
    directory = tmp_path_factory.mktemp(programme)
    store = str(directory / "programme.db")
    simulated = run_cli(
        "simulate",
        "--store",
        store,
        *SMALL,
        "--programme",
        programme,
        cwd=directory,
        env={"CASELOAD_PSEUDONYM_KEY": KEY},
    )
    assert simulated.returncode == 0, simulated.stderr
    page = directory / "report.html"
    made = run_cli(
        "report", "html", "--store", store, "--out", str(page), *options, "--json", cwd=directory
    )
    assert made.returncode == 0, made.stderr
    return page, json.loads(made.stdout), options, sections


def test_the_page_opens_offline_with_every_chart_and_the_json_numbers(
    report: tuple[Path, dict[str, Any], tuple[str, ...], int],
) -> None:
    """Chromium, network off, loads every chart (natural width > 0), and every table
    holds, cell for cell, the rows `caseload report html --json` printed."""
    chromium = _chromium()
    page, numbers, _options, sections = report
    with tempfile.TemporaryDirectory() as profile:
        dumped = subprocess.run(
            [str(chromium), *OFFLINE, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert dumped.returncode == 0, dumped.stderr
    parsed = _Page()
    parsed.feed(dumped.stdout)
    assert parsed.checked, "the page's load script did not run"
    assert len(parsed.widths) == len(numbers["sections"]) == sections
    assert all(width > 0 for width in parsed.widths), parsed.widths
    expected = {
        key: [[str(cell) for cell in row] for row in section["rows"]]
        for key, section in numbers["sections"].items()
    }
    assert parsed.tables == expected
    assert all(expected.values()) or sections == 8  # both: no brokers yet in 2021-2022
    assert all(expected[key] for key in expected if key.startswith("education"))


def test_the_same_store_and_options_give_the_same_file_twice(
    report: tuple[Path, dict[str, Any], tuple[str, ...], int],
) -> None:
    """Run again with the same options, the command writes the same bytes."""
    page, numbers, options, _sections = report
    again = page.with_name("again.html")
    made = run_cli(
        "report",
        "html",
        "--store",
        str(page.with_name("programme.db")),
        "--out",
        str(again),
        *options,
        cwd=page.parent,
    )
    assert made.returncode == 0, made.stderr
    assert again.read_bytes() == page.read_bytes()
    assert f"log head {numbers['head']}" in page.read_text(encoding="utf-8")

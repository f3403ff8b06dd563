"""A store written by version 0.1 (events under `caseload.domain.*` topics, its own chain,
seal, snapshots and stored read models) opens, verifies and rebuilds to the same numbers.

`tests/fixtures/store-0.1.db` was written by `caseload simulate --citizens 40 --brokers 4
--months 6 --seed 7 --start 2024-01-01`, rebuilt and sealed by version 0.1.0; beside it,
`store-0.1-reports.json` holds every report that version gave for it, today (2024-06-30)
and as true on 2024-03-31. Both files are the old version's own output, never regenerated.
"""

from __future__ import annotations

import enum
import json
import shutil
import sqlite3
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import attrs
import pytest

from caseload import Caseload, Channel, Role
from caseload.programmes.resource_pathway.read_models.attention import AttentionModel
from caseload.programmes.resource_pathway.read_models.role_coverage import RoleCoverageModel

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEAL = "f18dd5c357e09447e3e5bcdeacd4af9d42f9036fbb2a32bc191f316ff99c0e49"
"""The digest version 0.1.0 printed when it sealed the fixture."""
TODAY = date(2024, 6, 30)


def plain(value: Any) -> Any:
    """A report as the JSON the fixture was written with (the same rules as then)."""
    if attrs.has(type(value)):
        return {f.name: plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: str(plain(kv[0])))
        return {str(plain(k)): plain(v) for k, v in items}
    if isinstance(value, set | frozenset):
        return sorted((plain(v) for v in value), key=json.dumps)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, UUID | Decimal | date):
        return str(value)
    return value


def contains(new: Any, old: Any, path: str = "") -> None:
    """Every field the old report had is in the new one with the same value (a newer
    version may add fields, never change one)."""
    if isinstance(old, dict):
        assert isinstance(new, dict), path
        for key, value in old.items():
            assert key in new, f"{path}.{key} is gone"
            contains(new[key], value, f"{path}.{key}")
    elif isinstance(old, list) and old and isinstance(old[0], dict):
        assert isinstance(new, list), path
        assert len(new) == len(old), f"{path}: {len(new)} rows, were {len(old)}"
        for index, (n, o) in enumerate(zip(new, old, strict=True)):
            contains(n, o, f"{path}[{index}]")
    else:
        assert new == old, f"{path}: {new!r}, was {old!r}"


def with_old_reasons(attention: dict[str, Any], known: list[str]) -> dict[str, Any]:
    """An attention report (as plain data) restricted to the reasons version 0.1 knew.

    A newer version may add reasons to the attention list: a count per new reason, a new
    reason on an item, an item flagged only for a new reason. What the list says about
    the old reasons (which trajectories, for which of them, and every other field) must
    not change, and this is what remains to compare.
    """
    items = []
    for item in attention["items"]:
        reasons = [reason for reason in item["reasons"] if reason in known]
        if reasons:
            items.append({**item, "reasons": reasons})
    counts = [pair for pair in attention["counts"] if pair[0] in known]
    return {**attention, "items": items, "counts": counts}


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    """A private copy of the version 0.1 store."""
    target = tmp_path / "store-0.1.db"
    shutil.copyfile(FIXTURES / "store-0.1.db", target)
    return target


def test_the_fixture_holds_events_under_the_old_topics(old_store: Path) -> None:
    """The fixture really is of the old shape: every event under a `caseload.domain.*` topic."""
    with sqlite3.connect(old_store) as connection:
        topics = {row[0] for row in connection.execute("SELECT DISTINCT topic FROM stored_events")}
    assert topics
    assert all(topic.startswith("caseload.domain.") for topic in topics)


def test_an_old_store_keeps_its_programme_under_the_old_fixed_id(old_store: Path) -> None:
    """Version 0.1 kept one programme per store under a fixed id; it is found there."""
    from caseload.programmes.resource_pathway.domain.programme import EARLIER_PROGRAMME_ID

    with Caseload.open_readonly(old_store) as app:
        (listed,) = app.programmes()
    assert (listed.kind, listed.programme_id) == ("resource_pathway", EARLIER_PROGRAMME_ID)


def test_an_old_store_verifies_with_its_seal(old_store: Path) -> None:
    """Chain, seal, rules and stored read models of the old store all check out; those
    stored at an earlier version of their read model are named as to be rebuilt."""
    # The old simulation dated the programme's set-up on the day it ran (2026-11-27), so
    # the rules are checked up to the real today.
    with Caseload.open_readonly(old_store) as app:
        report = app.verify(expect_seal=SEAL)
    assert report.ok, report
    # Read models whose state changed shape since are named, not compared: nothing reads
    # them, and a rebuild replaces them.
    summaries = " ".join(check.summary for check in report.checks)
    assert f"attention (version 1, now {AttentionModel.version})" in summaries
    assert f"role_coverage (version 2, now {RoleCoverageModel.version})" in summaries


def test_an_old_store_gives_the_reports_it_gave_then(old_store: Path) -> None:
    """Every report, today and as true on an earlier day, after a rebuild from zero; the
    attention list as far as the reasons version 0.1 knew go (see `with_old_reasons`)."""
    expected = json.loads((FIXTURES / "store-0.1-reports.json").read_text())
    with Caseload(old_store, clock=lambda: TODAY) as app:
        app.projections.rebuild()
        assert app.head() == expected["head"]
        for day in (None, date(2024, 3, 31)):
            options = {} if day is None else {"as_true_on": day}
            then = expected[str(day)]
            known = [reason for reason, _ in then["attention"]["counts"]]
            now = {
                "caseload": plain(app.caseload(**options)),
                "role_coverage": plain(app.role_coverage(**options)),
                "outcomes": plain(app.outcomes(**options)),
                "progression": plain(app.progression(**options)),
                "attention": with_old_reasons(plain(app.attention_list(**options)), known),
                "staffing": plain(app.staffing(**options)),
            }
            contains(now, then, str(day))


def test_an_old_store_takes_new_events_and_still_verifies(old_store: Path) -> None:
    """New events (under today's topics) follow the old ones in one chain and one history."""
    with Caseload(old_store, clock=lambda: TODAY) as app:
        row = next(r for r in app.caseload() if r.active_cases)
        broker = app.broker(row.broker_id)
        case = sorted(broker.active_cases)[0]
        app.record_contact(
            case, on=TODAY, roles=Role.COACH, channel=Channel.PHONE, by=broker.broker_id
        )
        assert any(t.trajectory_id == case for t in app.role_coverage().trajectories)
    with Caseload.open_readonly(old_store) as app:
        report = app.verify(expect_seal=SEAL)
        assert report.ok, report
    with sqlite3.connect(old_store) as connection:
        topics = {row[0] for row in connection.execute("SELECT DISTINCT topic FROM stored_events")}
    assert any(topic.startswith("caseload.programmes.") for topic in topics)


_FRESH_PROCESS = """
import json, sys
from uuid import UUID
from caseload import Caseload
from tests.imported import kind_modules
assert "caseload.programmes.resource_pathway.kind" not in sys.modules
with Caseload.open_readonly(sys.argv[1]) as app:
    if sys.argv[2] == "broker":
        broker = app.broker(UUID(sys.argv[3]))
        found = [broker.name, broker.team, sorted(case.hex for case in broker.active_cases)]
    else:
        found = dict(app.rebuild_in_memory().digests)
print(json.dumps(found))
"""
"""Asks the old store one thing in a process that has loaded no programme kind yet."""


def _in_a_fresh_process(*arguments: str) -> Any:
    result = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS, *arguments],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_process_that_loaded_no_programme_kind_reads_the_old_topics(old_store: Path) -> None:
    """The old topics are registered when the programme kinds load, which a process that
    only reads may not have done: a topic that does not resolve loads them, both where the
    repository loads an aggregate and where the log reader folds the read models."""
    with sqlite3.connect(old_store) as connection:
        (broker_id,) = connection.execute(
            "SELECT originator_id FROM stored_events"
            " WHERE topic = 'caseload.domain.broker:Broker.Registered' LIMIT 1"
        ).fetchone()
    broker_id = str(UUID(str(broker_id)))
    with Caseload.open_readonly(old_store) as app:
        broker = app.broker(UUID(broker_id))
        digests = dict(app.rebuild_in_memory().digests)
    expected = [broker.name, broker.team, sorted(case.hex for case in broker.active_cases)]
    assert _in_a_fresh_process(str(old_store), "broker", broker_id) == expected
    assert _in_a_fresh_process(str(old_store), "rebuild") == digests

"""The hash chain: written with every event on every store, and broken by any tampering."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from caseload import Caseload
from caseload.adapters.chain import chain_source, iter_links, iter_rows
from caseload.adapters.hashes import GENESIS, link
from caseload.adapters.storage import parse_store_url
from caseload.audit.verify import check_chain
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from tests.conftest import KEY
from tests.unit._support import START, give_cases


def _recompute(app: Caseload) -> list[tuple[int, bytes]]:
    """The chain as it should be, from the stored rows alone."""
    source = app.wiring.chain()
    previous, links = GENESIS, []
    for row in iter_rows(source, app.head()):
        previous = link(
            previous, row.position, row.originator_id, row.version, row.topic, row.state
        )
        links.append((row.position, previous))
    return links


def test_every_event_gets_its_link_in_order(app: Caseload) -> None:
    broker = app.register_broker(name="B", team="T", on=START)
    give_cases(app, broker, 5)
    source = app.wiring.chain()
    stored = list(iter_links(source, app.head()))
    assert [position for position, _ in stored] == [position for position, _ in app.history()]
    assert stored == _recompute(app)
    check = check_chain(source, app.head())
    assert check.ok, check
    assert check.summary.startswith(f"{app.head()} events chained")


def test_concurrent_writers_keep_one_unbroken_chain(shared_store_url: str) -> None:
    """Writers racing on one store: links follow commit order, with no gap or fork."""
    store_url = shared_store_url
    with Caseload(store_url, pseudonym_key=KEY) as setup:
        brokers = [setup.register_broker(name=f"B{i}", team="T", on=START) for i in range(4)]

    def work(broker: object) -> None:
        with Caseload(store_url, pseudonym_key=KEY) as app:
            give_cases(app, broker, 6)  # type: ignore[arg-type]

    threads = [threading.Thread(target=work, args=(broker,)) for broker in brokers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with Caseload(store_url, pseudonym_key=KEY) as app:
        assert app.head() >= 4 + 4 * 6 * 3
        check = check_chain(app.wiring.chain(), app.head())
        assert check.ok, check


@pytest.fixture
def simulated(tmp_path: Path) -> Path:
    path = tmp_path / "audit.db"
    with Caseload(str(path), pseudonym_key=KEY) as app:
        simulate(app, SimulationConfig(brokers=2, citizens=8, months=2, seed=3))
    return path


def _check(path: Path) -> tuple[bool, int | None]:
    with Caseload(str(path), pseudonym_key=KEY) as app:
        check = check_chain(app.wiring.chain(), app.wiring.chain().head())
    return check.ok, None if check.finding is None else check.finding.position


def test_a_changed_byte_is_found_at_its_position(simulated: Path) -> None:
    with sqlite3.connect(simulated) as db:
        state = db.execute("SELECT state FROM stored_events WHERE rowid = 17").fetchone()[0]
        changed = bytes([state[0] ^ 0x01]) + state[1:]
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = 17", (changed,))
    assert _check(simulated) == (False, 17)


def test_a_deleted_event_is_found(simulated: Path) -> None:
    with sqlite3.connect(simulated) as db:
        db.execute("DELETE FROM stored_events WHERE rowid = 9")
    assert _check(simulated) == (False, 9)


def test_a_rewritten_link_breaks_the_chain_after_it(simulated: Path) -> None:
    """Changing an event and its own link is not enough: the next link no longer fits."""
    with sqlite3.connect(simulated) as db:
        db.execute("UPDATE stored_events SET topic = topic || ' ' WHERE rowid = 5")
        row = db.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events "
            "WHERE rowid = 5"
        ).fetchone()
        previous = db.execute("SELECT hash FROM caseload_chain WHERE position = 4").fetchone()[0]
        forged = link(previous, 5, row[0], row[1], row[2], row[3])
        db.execute("UPDATE caseload_chain SET hash = ? WHERE position = 5", (forged,))
    assert _check(simulated) == (False, 6)


def test_an_in_memory_sqlite_database_cannot_be_audited() -> None:
    from caseload.domain.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="cannot be audited"):
        chain_source(parse_store_url("sqlite:///:memory:"), None)

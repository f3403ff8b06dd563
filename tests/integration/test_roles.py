"""Database roles from docs/operations.md: the auditor replays, verifies and exports, and
PostgreSQL itself refuses every write it tries.

The SQL is read from the document, so the page and the test cannot drift apart. Roles are
cluster-wide: each run makes its own names and drops them afterwards.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from caseload import Caseload, StoreUnavailable
from caseload.adapters.storage import parse_store_url, postgres_conninfo
from caseload.export import export_dataset
from caseload.simulation import SimulationConfig, simulate
from tests.conftest import KEY, POSTGRES_URL, fixed_clock

pytestmark = pytest.mark.postgres

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
_SQL = re.compile(r"^```sql\n(.*?)^```", re.MULTILINE | re.DOTALL)


def admin() -> psycopg.Connection[tuple[object, ...]]:
    """A connection as the tests' own (superuser) role."""
    return psycopg.connect(postgres_conninfo(parse_store_url(POSTGRES_URL).env), autocommit=True)


def as_role(role: str, password: str, schema: str) -> str:
    """The tests' PostgreSQL URL, logged in as `role`, in `schema`."""
    parts = urlsplit(POSTGRES_URL)
    netloc = f"{role}:{password}@{parts.hostname}:{parts.port or 5432}"
    return urlunsplit((parts.scheme, netloc, parts.path, f"schema={schema}", ""))


@pytest.fixture
def roles(postgres_available: None) -> Iterator[dict[str, str]]:
    """Writer and auditor roles and a schema, made by the statements of the document."""
    suffix = uuid.uuid4().hex[:10]
    names = {
        "caseload_store": f"caseload_store_{suffix}",
        "caseload_writer": f"caseload_writer_{suffix}",
        "caseload_auditor": f"caseload_auditor_{suffix}",
    }
    blocks = _SQL.findall(DOC.read_text(encoding="utf-8"))
    assert len(blocks) == 2, "docs/operations.md should hold the set-up and the late grant"
    setup = blocks[0]
    for placeholder, name in names.items():
        setup = re.sub(rf"\b{placeholder}\b", name, setup)
    setup = setup.replace("'change me too'", "'auditor-pw'").replace("'change me'", "'writer-pw'")
    with admin() as connection:
        connection.execute(setup)
    yield {
        "schema": names["caseload_store"],
        "writer": as_role(names["caseload_writer"], "writer-pw", names["caseload_store"]),
        "auditor": as_role(names["caseload_auditor"], "auditor-pw", names["caseload_store"]),
        "writer_role": names["caseload_writer"],
        "auditor_role": names["caseload_auditor"],
    }
    with admin() as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{names["caseload_store"]}" CASCADE')
        for role in (names["caseload_auditor"], names["caseload_writer"]):
            connection.execute(f'DROP OWNED BY "{role}"')
            connection.execute(f'DROP ROLE "{role}"')


def test_an_auditor_replays_verifies_and_exports_but_cannot_write(
    roles: dict[str, str], tmp_path: Path
) -> None:
    """Written by the writer; read, verified and exported by the auditor; every write the
    auditor tries is refused by PostgreSQL with a permission error."""
    with Caseload(roles["writer"], pseudonym_key=KEY, clock=fixed_clock) as writer:
        simulate(writer, SimulationConfig(citizens=12, brokers=2, months=2, seed=3))
        writer.projections.catch_up()
        written = [(row.broker_id, row.active_cases) for row in writer.caseload()]
        head = writer.head()
        assert head > 0

    with Caseload.open_readonly(roles["auditor"], clock=fixed_clock) as auditor:
        assert auditor.head() == head
        assert [(row.broker_id, row.active_cases) for row in auditor.caseload()] == written
        report = auditor.verify()
        assert report.ok, report
        manifest = export_dataset(auditor, tmp_path / "out", key="an export key of 16+ bytes")
        assert manifest.tables

    # The program's own read-only guard is not what stops it: a writable application on
    # the auditor's role fails at the database.
    with (
        pytest.raises(StoreUnavailable, match="permission denied"),
        Caseload(roles["auditor"], pseudonym_key=KEY, clock=fixed_clock) as intruder,
    ):
        intruder.register_broker(name="X", team="T", on=date(2025, 1, 6))
    store = parse_store_url(roles["auditor"])
    with psycopg.connect(postgres_conninfo(store.env), autocommit=True) as connection:
        for statement in (
            f"DELETE FROM {store.table(store.events_table)}",
            f'UPDATE "{roles["schema"]}".caseload_chain SET hash = hash',
            f'CREATE TABLE "{roles["schema"]}".intruder (x int)',
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute(statement)
    with Caseload.open_readonly(roles["auditor"], clock=fixed_clock) as auditor:
        assert auditor.head() == head
        assert auditor.verify().ok

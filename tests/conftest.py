"""Shared fixtures: Hypothesis profiles, a fixed clock, and stores of every kind.

PostgreSQL tests get a schema of their own per test and drop it afterwards, so runs never
see each other's data. Without a server they skip with the reason; under CI=true they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from caseload import Caseload

IN_CI = os.environ.get("CI", "").lower() == "true"

settings.register_profile(
    "ci",
    max_examples=300,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
DEV_EXAMPLES = 50
settings.register_profile("dev", max_examples=DEV_EXAMPLES, deadline=None)
settings.load_profile("ci" if IN_CI else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def examples(under_dev: int) -> int:
    """The number of examples for a test that runs `under_dev` of them under the dev
    profile, scaled to the profile loaded: a slow test runs fewer than the profile's
    default, but CI=true (300 examples) still runs six times as many as a developer."""
    return max(1, round(under_dev * settings().max_examples / DEV_EXAMPLES))


KEY = "test-pseudonym-key-not-secret"
"""The pseudonym key the tests use."""
TODAY = date(2025, 6, 30)
"""The tests' fixed today: no business date may be after it."""
POSTGRES_URL = os.environ.get("CASELOAD_TEST_POSTGRES", "postgresql://root@127.0.0.1:5432/test")


def fixed_clock() -> date:
    """The clock every test application runs on."""
    return TODAY


def _postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    import psycopg

    from caseload.adapters.storage import parse_store_url, postgres_conninfo

    try:
        with psycopg.connect(postgres_conninfo(parse_store_url(POSTGRES_URL).env)) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return f"no PostgreSQL at {POSTGRES_URL}: {str(error).strip().splitlines()[0]}"
    return None


@pytest.fixture(scope="session")
def postgres_available() -> None:
    """Skip (or fail, under CI=true) when PostgreSQL does not answer."""
    reason = _postgres_unavailable()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"{reason} (PostgreSQL tests must run under CI=true)")
        pytest.skip(reason)


def drop_schema(schema: str) -> None:
    """Remove a test schema and everything in it."""
    import psycopg

    from caseload.adapters.storage import parse_store_url, postgres_conninfo

    with psycopg.connect(
        postgres_conninfo(parse_store_url(POSTGRES_URL).env), autocommit=True
    ) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def postgres_url(postgres_available: None) -> Iterator[str]:
    """A PostgreSQL store URL in a schema of this test's own, dropped afterwards."""
    schema = f"caseload_test_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}schema={schema}"
    drop_schema(schema)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file store URL in this test's temporary directory."""
    return f"sqlite:///{tmp_path / 'caseload.db'}"


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store URL of each kind: memory, SQLite file, PostgreSQL schema."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'caseload.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def shared_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store URL several applications can open: a SQLite file or a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'caseload.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def app(store_url: str) -> Iterator[Caseload]:
    """An application on each kind of store, with the tests' key and clock."""
    with Caseload(store_url, pseudonym_key=KEY, clock=fixed_clock) as application:
        yield application


@pytest.fixture
def memory_app() -> Iterator[Caseload]:
    """An in-memory application with the tests' key and clock."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as application:
        yield application

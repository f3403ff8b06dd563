"""Storage URLs (`caseload.adapters.storage.parse_store_url`): memory, SQLite and PostgreSQL."""

from __future__ import annotations

import re
import string
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseload import Caseload, ConfigurationError, InvalidStoreURL
from caseload.adapters.storage import DEFAULT_STORE, parse_store_url
from tests.conftest import KEY, fixed_clock

IDENTIFIER_START = string.ascii_lowercase + "_"
IDENTIFIER_REST = IDENTIFIER_START + string.digits
schema_names = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(IDENTIFIER_START),
    st.text(IDENTIFIER_REST, max_size=62),
)


def is_plain_identifier(name: str) -> bool:
    """Lower-case letters, digits and underscores, not starting with a digit or pg_, at most
    63 characters (PostgreSQL folds unquoted names to lower case and reserves pg_)."""
    return (
        re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name) is not None
        and not name.startswith("pg_")
        and name != "information_schema"
    )


# ----------------------------------------------------------------- memory and SQLite


def test_memory_url() -> None:
    """memory:// is an in-process store (eventsourcing's POPO persistence)."""
    store = parse_store_url("memory://")
    assert (store.kind, store.description) == ("memory", "memory://")
    assert store.env == {"PERSISTENCE_MODULE": "caseload.adapters.recorders:ChainedPOPOFactory"}


def test_sqlite_relative_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """sqlite:///rel.db is the file rel.db relative to the working directory."""
    monkeypatch.chdir(tmp_path)
    store = parse_store_url("sqlite:///rel.db")
    assert store.kind == "sqlite"
    assert store.env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert (
        store.env["APPLICATION_RECORDER_TOPIC"]
        == "caseload.adapters.recorders:ChainedSQLiteRecorder"
    )
    assert store.env["SQLITE_DBNAME"] == "rel.db"
    assert store.description == "sqlite file rel.db"


def test_sqlite_absolute_url(tmp_path: Path) -> None:
    """sqlite:////abs/path.db (four slashes) is the absolute file /abs/path.db."""
    store = parse_store_url(f"sqlite:///{tmp_path}/path.db")
    assert store.kind == "sqlite"
    assert store.env["SQLITE_DBNAME"] == f"{tmp_path}/path.db"
    assert Path(store.env["SQLITE_DBNAME"]).is_absolute()


@pytest.mark.parametrize("as_path", [False, True])
def test_bare_path_is_a_sqlite_file(tmp_path: Path, as_path: bool) -> None:
    """A path without a scheme (str or os.PathLike) is a SQLite file."""
    target = tmp_path / "bare.db"
    store = parse_store_url(target if as_path else str(target))
    assert store.kind == "sqlite"
    assert store.env["SQLITE_DBNAME"] == str(target)


@given(name=st.text(string.ascii_letters + string.digits + "_-.", min_size=1, max_size=30))
def test_sqlite_file_names_round_trip(name: str) -> None:
    """Any file name in an existing directory gives that SQLite file, by URL or as a bare path."""
    if name in (".", ".."):
        name = f"{name}db"
    assert parse_store_url(f"sqlite:///{name}").env["SQLITE_DBNAME"] == name
    assert parse_store_url(name).env["SQLITE_DBNAME"] == name


def test_sqlite_in_a_missing_directory_is_refused(tmp_path: Path) -> None:
    """A SQLite file in a directory that does not exist is refused (InvalidStoreURL)."""
    missing = tmp_path / "no" / "such"
    with pytest.raises(InvalidStoreURL, match="no such directory"):
        parse_store_url(f"sqlite:///{missing}/caseload.db")
    with pytest.raises(InvalidStoreURL, match="no such directory"):
        parse_store_url(str(missing / "caseload.db"))
    assert not missing.exists()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///"])
def test_sqlite_url_without_a_file_is_refused(url: str) -> None:
    """A sqlite URL that names no file is refused (InvalidStoreURL)."""
    with pytest.raises(InvalidStoreURL, match="needs a file"):
        parse_store_url(url)


# ----------------------------------------------------------------- PostgreSQL


def test_postgresql_url_gives_the_connection_settings() -> None:
    """postgresql://user:pw@host:5433/db?schema=s1 sets user, password, host, port, db, schema."""
    store = parse_store_url("postgresql://user:pw@host:5433/db?schema=s1")
    assert store.kind == "postgresql"
    assert store.schema == "s1"
    assert {
        key: store.env[key]
        for key in (
            "PERSISTENCE_MODULE",
            "APPLICATION_RECORDER_TOPIC",
            "POSTGRES_USER",
            "POSTGRES_PASSWORD",
            "POSTGRES_HOST",
            "POSTGRES_PORT",
            "POSTGRES_DBNAME",
            "POSTGRES_SCHEMA",
        )
    } == {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": "caseload.adapters.postgres:ChainedPostgresRecorder",
        "POSTGRES_USER": "user",
        "POSTGRES_PASSWORD": "pw",
        "POSTGRES_HOST": "host",
        "POSTGRES_PORT": "5433",
        "POSTGRES_DBNAME": "db",
        "POSTGRES_SCHEMA": "s1",
    }
    assert store.description == "postgresql host:5433/db schema s1"


def test_postgres_alias() -> None:
    """postgres:// is accepted as an alias of postgresql:// with the same settings."""
    url = "user:pw@host:5433/db?schema=s1"
    assert parse_store_url(f"postgres://{url}") == parse_store_url(f"postgresql://{url}")


def test_postgresql_defaults() -> None:
    """Without user, password, port or schema: postgres, empty, 5432, and the public schema
    (set explicitly, so a POSTGRES_SCHEMA in the environment cannot move the events)."""
    store = parse_store_url("postgresql://dbhost/caseload")
    assert store.env["POSTGRES_USER"] == "postgres"
    assert store.env["POSTGRES_PASSWORD"] == ""
    assert store.env["POSTGRES_PORT"] == "5432"
    assert store.env["POSTGRES_SCHEMA"] == "public"
    assert store.schema is None


@given(
    user=st.text(min_size=1, max_size=20),
    password=st.text(min_size=1, max_size=20),
    port=st.integers(1, 65535),
    database=st.text(string.ascii_letters + string.digits + "_", min_size=1, max_size=20),
    schema=schema_names,
)
def test_postgresql_url_parts_round_trip(
    user: str, password: str, port: int, database: str, schema: str
) -> None:
    """Percent-encoded user and password, any port, database and schema are read back exactly."""
    credentials = f"{quote(user, safe='')}:{quote(password, safe='')}"
    url = f"postgresql://{credentials}@db.example:{port}/{database}?schema={schema}"
    store = parse_store_url(url)
    assert store.env["POSTGRES_USER"] == user
    assert store.env["POSTGRES_PASSWORD"] == password
    assert store.env["POSTGRES_PORT"] == str(port)
    assert store.env["POSTGRES_DBNAME"] == database
    assert store.env["POSTGRES_SCHEMA"] == schema == store.schema
    assert store.description == f"postgresql db.example:{port}/{database} schema {schema}"


@pytest.mark.parametrize("port", ["notaport", "54x2", "65536", "99999", "-1"])
def test_bad_port_is_refused(port: str) -> None:
    """A port that is not a number in 0..65535 is refused (InvalidStoreURL)."""
    with pytest.raises(InvalidStoreURL, match="port"):
        parse_store_url(f"postgresql://user@host:{port}/db")


def test_port_zero_is_refused() -> None:
    """Port 0 is not a port to connect to; it is refused rather than replaced by 5432."""
    with pytest.raises(InvalidStoreURL, match="port"):
        parse_store_url("postgresql://user@host:0/db")


@pytest.mark.parametrize("option", ["sslmode=require", "schema=s1&timeout=5", "Schema=s1"])
def test_unknown_query_option_is_refused(option: str) -> None:
    """A query option other than schema is refused, naming the option (InvalidStoreURL)."""
    unknown = option.split("&")[-1].split("=")[0]
    with pytest.raises(InvalidStoreURL, match=f"unknown postgresql URL option.*{unknown}"):
        parse_store_url(f"postgresql://user@host/db?{option}")


@pytest.mark.parametrize("schema", ["a;drop", "1abc", "a-b", 'a"b', "a b", "x" * 64])
def test_bad_schema_name_is_refused(schema: str) -> None:
    """A schema that is not a plain identifier of at most 63 characters is refused."""
    with pytest.raises(InvalidStoreURL, match="not a plain identifier"):
        parse_store_url(f"postgresql://user@host/db?schema={quote(schema, safe='')}")


@given(schema=st.text(min_size=1, max_size=70))
def test_schema_names_are_checked(schema: str) -> None:
    """A schema is accepted iff it is a plain identifier; anything else is InvalidStoreURL."""
    url = f"postgresql://user@host/db?schema={quote(schema, safe='')}"
    if is_plain_identifier(schema):
        assert parse_store_url(url).schema == schema
    else:
        with pytest.raises(InvalidStoreURL):
            parse_store_url(url)


@pytest.mark.parametrize(
    "schema", ["information_schema", "pg_catalog", "pg_toast", "pg_temp_1", "pg_anything"]
)
def test_postgresqls_own_schemas_are_refused(schema: str) -> None:
    """The store never creates its tables inside one of PostgreSQL's own schemas."""
    with pytest.raises(InvalidStoreURL, match=r"PostgreSQL itself|not a plain identifier"):
        parse_store_url(f"postgresql://user@host/db?schema={schema}")


@pytest.mark.parametrize("raw", ["x\ny", "x\ty", "x\ry", "x\x7fy"])
def test_a_raw_control_character_in_a_url_is_refused_not_dropped(raw: str) -> None:
    """A line break or tab typed into a URL is refused: urlsplit would drop it silently
    and open schema `xy` instead of the one written."""
    text = raw.encode().decode("unicode_escape")
    with pytest.raises(InvalidStoreURL, match="control characters"):
        parse_store_url(f"postgresql://user@host/db?schema={text}")
    with pytest.raises(InvalidStoreURL, match="control characters"):
        parse_store_url(f"postgresql://user@host/d{text}b")


def test_schema_with_a_trailing_newline_is_refused() -> None:
    """A schema name ending in a newline is not a plain identifier and is refused."""
    with pytest.raises(InvalidStoreURL, match="not a plain identifier"):
        parse_store_url("postgresql://user@host/db?schema=s1%0A")


def test_postgresql_url_without_a_database_is_refused() -> None:
    """A postgresql URL must name a database (InvalidStoreURL)."""
    with pytest.raises(InvalidStoreURL, match="needs a database"):
        parse_store_url("postgresql://user@host:5432")


def test_password_is_not_in_the_description() -> None:
    """The store's description names host, port, database and schema but not the password."""
    store = parse_store_url("postgresql://user:s3cr3tpw@host:5433/db?schema=s1")
    assert "s3cr3tpw" not in store.description
    assert store.env["POSTGRES_PASSWORD"] == "s3cr3tpw"


# ----------------------------------------------------------------- errors and defaults


@pytest.mark.parametrize("url", ["mysql://user@host/db", "http://example.com/x.db", "file:///x.db"])
def test_unknown_scheme_is_refused(url: str) -> None:
    """A URL with any scheme but memory, sqlite, postgresql, postgres is refused, naming it."""
    scheme = url.split("://")[0]
    with pytest.raises(InvalidStoreURL, match=f"unknown store scheme '{scheme}'"):
        parse_store_url(url)


@given(
    scheme=st.text(string.ascii_lowercase, min_size=1, max_size=12).filter(
        lambda s: s not in ("memory", "sqlite", "postgresql", "postgres")
    )
)
def test_any_other_scheme_is_refused(scheme: str) -> None:
    """Every scheme outside the four known ones is refused (InvalidStoreURL)."""
    with pytest.raises(InvalidStoreURL, match=f"'{scheme}'"):
        parse_store_url(f"{scheme}://host/db")


@pytest.mark.parametrize("url", ["", "   ", "\t\n"])
def test_empty_url_is_refused(url: str) -> None:
    """An empty or blank store URL is refused (InvalidStoreURL)."""
    with pytest.raises(InvalidStoreURL, match="empty"):
        parse_store_url(url)


def test_invalid_store_url_is_a_configuration_error() -> None:
    """InvalidStoreURL is a ConfigurationError and a ValueError, and Caseload raises it too."""
    with pytest.raises(InvalidStoreURL) as caught:
        Caseload("nosuch://x", pseudonym_key=KEY, clock=fixed_clock)
    assert isinstance(caught.value, ConfigurationError)
    assert isinstance(caught.value, ValueError)


def test_store_env_is_used_without_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no URL, CASELOAD_STORE names the store."""
    monkeypatch.setenv("CASELOAD_STORE", "memory://")
    assert parse_store_url(None).kind == "memory"
    monkeypatch.setenv("CASELOAD_STORE", "postgresql://u@h:6000/envdb")
    assert parse_store_url(None).env["POSTGRES_DBNAME"] == "envdb"


def test_explicit_url_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """An explicit URL is used even when CASELOAD_STORE is set."""
    monkeypatch.setenv("CASELOAD_STORE", "postgresql://u@h/envdb")
    assert parse_store_url("memory://").kind == "memory"


@pytest.mark.parametrize("unset", [True, False])
def test_default_store_without_url_or_env(
    unset: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no URL and no (or an empty) CASELOAD_STORE, the default is sqlite:///caseload.db."""
    monkeypatch.chdir(tmp_path)
    if unset:
        monkeypatch.delenv("CASELOAD_STORE", raising=False)
    else:
        monkeypatch.setenv("CASELOAD_STORE", "")
    assert DEFAULT_STORE == "sqlite:///caseload.db"
    store = parse_store_url(None)
    assert (store.kind, store.env["SQLITE_DBNAME"]) == ("sqlite", "caseload.db")

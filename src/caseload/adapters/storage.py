"""Storage URLs: `memory://`, a SQLite file, or PostgreSQL, turned into eventsourcing settings."""

from __future__ import annotations

import importlib.util
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import attrs

from caseload.domain.errors import InvalidStoreURL, MissingExtra, StoreUnavailable
from caseload.domain.text import has_control_characters

__all__ = ["DEFAULT_STORE", "IN_MEMORY_IS_EMPTY", "Store", "parse_store_url"]

DEFAULT_STORE = "sqlite:///caseload.db"
"""The embedded default: a SQLite file in the working directory."""
IN_MEMORY_IS_EMPTY = (
    "an in-memory store (memory://) is new and empty in every process: it lives only "
    "inside the application that wrote it; read a SQLite file or a PostgreSQL store instead"
)
"""Why a read of an existing store cannot open memory://."""

_SETUP_LOCK = 0x63_61_73_65_6C_6F_61_64  # "caseload"

_SCHEMA_NAME = re.compile(r"(?!pg_)[a-z_][a-z0-9_]{0,62}")
"""A schema of the store's own: a plain lower-case identifier, never one of PostgreSQL's
own `pg_` schemas (refused by name here, and by PostgreSQL for new ones)."""
_RESERVED_SCHEMAS = frozenset({"information_schema"})
"""Schemas PostgreSQL keeps for itself that the `pg_` rule does not cover."""


@attrs.frozen
class Store:
    """Where events live: the kind of store and the eventsourcing settings to reach it."""

    kind: str
    env: dict[str, str]
    description: str
    schema: str | None = None
    immutable: bool = False
    """A SQLite file on read-only media, read with SQLite's `immutable=1` (see
    `for_reading`): no lock, no write-ahead log, nothing written."""

    @contextmanager
    def setup_lock(self) -> Iterator[None]:
        """Hold the store's setup lock while its tables are created.

        Processes that start together on one PostgreSQL database would otherwise race on
        `CREATE TABLE/FUNCTION` and fail with "tuple concurrently updated". The lock is a
        session advisory lock, released when setup is done. Other stores need none.
        """
        if self.kind != "postgresql":
            yield
            return
        import psycopg

        try:
            connection = psycopg.connect(postgres_conninfo(self.env), autocommit=True)
        except psycopg.Error as error:
            raise StoreUnavailable(
                f"cannot reach PostgreSQL at {self.env['POSTGRES_HOST']}:"
                f"{self.env['POSTGRES_PORT']} database {self.env['POSTGRES_DBNAME']}: "
                f"{str(error).strip().splitlines()[0]}"
            ) from None
        with connection:
            connection.execute("SELECT pg_advisory_lock(%s)", (_SETUP_LOCK,))
            try:
                if self.schema:
                    try:
                        # Only when missing: CREATE SCHEMA IF NOT EXISTS needs the right
                        # to create schemas even when this one exists, which a writer
                        # role given its own schema does not have.
                        exists = connection.execute(
                            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)
                        ).fetchone()
                        if exists is None:
                            connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                    except psycopg.Error as error:
                        raise StoreUnavailable(
                            f"cannot create schema {self.schema}: "
                            f"{str(error).strip().splitlines()[0]}"
                        ) from None
                yield
            finally:
                connection.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK,))

    def connect(self, *, read_only: bool = False) -> Any:
        """A new autocommit connection to the store's database (a `sqlite3.Connection` or a
        psycopg one); `read_only` opens a SQLite file read-only and makes every PostgreSQL
        transaction read-only. A database that cannot be reached is `StoreUnavailable`."""
        if self.kind == "sqlite":
            path = self.env["SQLITE_DBNAME"]
            uri = read_only or self.immutable
            try:
                connection = sqlite3.connect(
                    self.sqlite_uri() if uri else path,
                    timeout=30,
                    isolation_level=None,
                    check_same_thread=False,
                    uri=uri,
                )
                connection.execute("PRAGMA busy_timeout = 30000")
            except sqlite3.Error as error:
                raise StoreUnavailable(f"cannot open {self.description}: {error}") from None
            return connection
        import psycopg

        try:
            return psycopg.connect(
                postgres_conninfo(self.env, read_only=read_only), autocommit=True
            )
        except psycopg.Error as error:
            raise StoreUnavailable(
                f"cannot reach {self.description}: {str(error).strip().splitlines()[0]}"
            ) from None

    def sqlite_uri(self) -> str:
        """The SQLite file as a read-only URI (`immutable=1` on read-only media)."""
        uri = f"{Path(self.env['SQLITE_DBNAME']).resolve().as_uri()}?mode=ro"
        return uri + "&immutable=1" if self.immutable else uri

    def for_reading(self) -> Store:
        """This store as a read-only command should open it.

        A SQLite file whose directory (or the file itself) cannot be written is on
        read-only media: SQLite could not make the `-wal` and `-shm` files a read of a
        WAL database needs, so it is read as immutable instead. That is safe only when
        no `-wal` file beside it holds changes not yet merged into the database, which
        would be ignored: such a store is refused (`StoreUnavailable`).
        """
        path = Path(self.env.get("SQLITE_DBNAME", ":memory:"))
        if self.kind != "sqlite" or str(path) == ":memory:" or not path.is_file():
            return self
        if os.access(path.resolve().parent, os.W_OK) and os.access(path, os.W_OK):
            return self
        wal = path.with_name(path.name + "-wal")
        unmerged = wal.stat().st_size if wal.is_file() else 0
        if unmerged:
            raise StoreUnavailable(
                f"{self.description} is on read-only media, and its write-ahead log "
                f"{wal.name} holds {unmerged} bytes not merged into the database, which a "
                "read-only open would miss: open the store once where it can be written "
                "(that merges the log), or read a copy made with sqlite3's .backup"
            )
        return attrs.evolve(self, immutable=True)

    def table(self, name: str) -> str:
        """A table of the store as SQL names it (schema-qualified on PostgreSQL)."""
        if self.kind == "postgresql":
            return f'"{self.schema or "public"}".{name}'
        return name

    @property
    def events_table(self) -> str:
        """The name of the table that holds the event log."""
        return "caseload_events" if self.kind == "postgresql" else "stored_events"

    def missing_tables(self, *names: str) -> list[str]:
        """Which of these tables the store lacks, found without writing anything (a SQLite
        file is opened read-only; a missing file lacks them all)."""
        if self.kind == "memory":
            return list(names)
        if self.kind == "sqlite":
            path = self.env["SQLITE_DBNAME"]
            if path == ":memory:" or not Path(path).is_file():
                return list(names)
            query, found = "SELECT name FROM sqlite_master WHERE type = 'table'", None
        else:
            query = "SELECT to_regclass(%s)"
        connection = self.connect(read_only=True)
        try:
            if self.kind == "sqlite":
                found = {row[0] for row in connection.execute(query)}
                return [name for name in names if name not in found]
            schema = self.schema or "public"
            return [
                name
                for name in names
                if connection.execute(query, (f'"{schema}"."{name}"',)).fetchone() == (None,)
            ]
        except Exception as error:  # sqlite3.Error or psycopg.Error
            raise StoreUnavailable(f"cannot read {self.description}: {error}") from None
        finally:
            connection.close()


def parse_store_url(url: str | os.PathLike[str] | None, *, existing: bool = False) -> Store:
    """Parse a storage URL (or a bare SQLite path) into a `Store`.

    - `memory://` keeps events in this process only;
    - `sqlite:///relative.db`, `sqlite:////absolute/path.db`, or a bare path: a SQLite file;
    - `postgresql://user:password@host:port/database?schema=name`: PostgreSQL, optionally
      in its own schema so several stores share one database.

    With `existing`, a SQLite file must be there already (`StoreUnavailable` names the
    missing file or directory): a read opens a store, it never creates one.
    """
    if url is None:
        url = os.environ.get("CASELOAD_STORE") or DEFAULT_STORE
    if not isinstance(url, str | os.PathLike):
        raise InvalidStoreURL(f"a store URL is text or a path, not {type(url).__name__}")
    text = os.fspath(url).strip()
    if "\x00" in text:
        raise InvalidStoreURL("a store URL cannot contain a NUL character")
    if not text:
        raise InvalidStoreURL("the store URL is empty; try memory://, sqlite:///caseload.db")
    if "://" not in text:
        return _sqlite(text, existing=existing)
    if has_control_characters(text):
        # urlsplit would silently drop a line break or a tab, and open another schema
        # or database than the one written.
        raise InvalidStoreURL(
            "a store URL cannot contain control characters (line breaks, tabs and the like); "
            "write special characters percent-encoded"
        )
    try:
        parts = urlsplit(text)
    except ValueError as error:
        raise InvalidStoreURL(f"the store URL is malformed: {error}") from None
    scheme = parts.scheme.lower()
    if scheme == "memory":
        return Store(
            kind="memory",
            env={"PERSISTENCE_MODULE": "caseload.adapters.recorders:ChainedPOPOFactory"},
            description="memory://",
        )
    if scheme == "sqlite":
        path = unquote(text[len("sqlite://") :])
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise InvalidStoreURL(
                "a sqlite URL needs a file: sqlite:///relative.db or sqlite:////absolute.db"
            )
        return _sqlite(path, existing=existing)
    if scheme in ("postgresql", "postgres"):
        return _postgres(text)
    raise InvalidStoreURL(
        f"unknown store scheme {parts.scheme!r}; use memory://, sqlite:///FILE "
        "or postgresql://USER@HOST:PORT/DATABASE[?schema=NAME]"
    )


def _sqlite(path: str, *, existing: bool) -> Store:
    if path != ":memory:":
        parent = Path(path).expanduser().resolve().parent
        if existing and not Path(path).expanduser().exists():
            missing = "file" if parent.is_dir() else f"directory {parent}"
            raise StoreUnavailable(f"no store at {path}: there is no such {missing}")
        if not parent.is_dir():
            raise InvalidStoreURL(f"cannot create a SQLite store in {parent}: no such directory")
        path = str(Path(path).expanduser())
    return Store(
        kind="sqlite",
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "APPLICATION_RECORDER_TOPIC": "caseload.adapters.recorders:ChainedSQLiteRecorder",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30",
        },
        description=f"sqlite file {path}",
    )


def _postgres(url: str) -> Store:
    if importlib.util.find_spec("psycopg") is None:
        raise MissingExtra(
            "a PostgreSQL store needs the psycopg driver; install it with: "
            "pip install 'caseload[postgres]'"
        )
    parts = urlsplit(url)
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise InvalidStoreURL("a postgresql URL needs a database: postgresql://USER@HOST/DATABASE")
    try:
        port = 5432 if parts.port is None else parts.port
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise InvalidStoreURL(
            f"the port in the postgresql URL must be a number from 1 to 65535: {parts.netloc}"
        )
    query = parse_qs(parts.query)
    unknown = sorted(set(query) - {"schema"})
    if unknown:
        raise InvalidStoreURL(
            f"unknown postgresql URL option(s) {', '.join(unknown)}; the one option is schema"
        )
    schema = query.get("schema", [""])[0] or None
    if schema is not None and not _SCHEMA_NAME.fullmatch(schema):
        raise InvalidStoreURL(
            "the schema is not a plain identifier: 1 to 63 lower-case letters, digits and "
            "underscores, not starting with a digit or pg_"
        )
    if schema in _RESERVED_SCHEMAS:
        raise InvalidStoreURL(
            f"schema {schema} belongs to PostgreSQL itself; name a schema of the store's own"
        )
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": "caseload.adapters.postgres:ChainedPostgresRecorder",
        "POSTGRES_DBNAME": database,
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(port),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_POOL_SIZE": "4",
        "POSTGRES_MAX_OVERFLOW": "4",
    }
    # Always set: eventsourcing would otherwise take POSTGRES_SCHEMA from the environment,
    # and the events would go where this store's other tables are not.
    env["POSTGRES_SCHEMA"] = schema or "public"
    host = f"{env['POSTGRES_HOST']}:{port}/{database}"
    return Store(
        kind="postgresql",
        env=env,
        description=f"postgresql {host}" + (f" schema {schema}" if schema else ""),
        schema=schema,
    )


def postgres_conninfo(env: dict[str, str], *, read_only: bool = False) -> str:
    """A libpq connection string for the settings of a postgresql store; `read_only`
    makes every transaction on the connection read-only."""
    import psycopg.conninfo

    extra = {"options": "-c default_transaction_read_only=on"} if read_only else {}
    return str(
        psycopg.conninfo.make_conninfo(
            **extra,
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"] or None,
            connect_timeout=env["POSTGRES_CONNECT_TIMEOUT"],
        )
    )

"""The key table: each citizen's data key, wrapped by the master key, next to the events.

One row per citizen pseudonym: the wrapped data key and the check value of the master key
that wrapped it. The table lives in the store's own database (the SQLite file, the
PostgreSQL schema; a dict for `memory://`), so a backup of the store holds both, and
deleting a row erases every personal field sealed under that key. Rotation rewrites every
row in one transaction.
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import attrs

from caseload.adapters.storage import Store
from caseload.domain.errors import StoreUnavailable

__all__ = [
    "DATA_KEYS_TABLE",
    "DataKeyTable",
    "MemoryDataKeys",
    "SQLDataKeys",
    "WrappedKey",
    "data_key_table",
]

DATA_KEYS_TABLE = "caseload_data_keys"


@attrs.frozen
class WrappedKey:
    """A citizen's data key as stored: wrapped by the master key whose check value it
    keeps."""

    pseudonym: str
    wrapped: bytes = attrs.field(repr=False)
    master_check: str


class DataKeyTable(ABC):
    """The store's table of wrapped data keys."""

    @abstractmethod
    def get(self, pseudonym: str) -> WrappedKey | None:
        """The wrapped key of a citizen, or None."""

    @abstractmethod
    def add(self, key: WrappedKey) -> WrappedKey | None:
        """Store a new key unless the citizen has one; returns the key the table holds
        for the citizen afterwards, or None when the table holds keys wrapped by another
        master key (nothing is written then)."""

    @abstractmethod
    def master_checks(self) -> set[str]:
        """The check values of the master keys the table's keys are wrapped with."""

    @abstractmethod
    def delete(self, pseudonym: str) -> None:
        """Delete a citizen's key (nothing happens when there is none)."""

    @abstractmethod
    def all(self) -> list[WrappedKey]:
        """Every key in the table."""

    @abstractmethod
    def replace(self, keys: Sequence[WrappedKey], expected: set[str]) -> bool:
        """In one transaction: unless the table's master checks are no longer
        `expected`, or the set of pseudonyms changed, write `keys` over the rows of the
        same pseudonyms. Returns whether it wrote."""

    def close(self) -> None:  # noqa: B027  (a dict has nothing to release)
        """Release the table's connection."""


class MemoryDataKeys(DataKeyTable):
    """The key table of a `memory://` store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, WrappedKey] = {}

    def get(self, pseudonym: str) -> WrappedKey | None:
        return self._keys.get(pseudonym)

    def add(self, key: WrappedKey) -> WrappedKey | None:
        with self._lock:
            if any(k.master_check != key.master_check for k in self._keys.values()):
                return None
            return self._keys.setdefault(key.pseudonym, key)

    def master_checks(self) -> set[str]:
        return {key.master_check for key in self._keys.values()}

    def delete(self, pseudonym: str) -> None:
        with self._lock:
            self._keys.pop(pseudonym, None)

    def all(self) -> list[WrappedKey]:
        return list(self._keys.values())

    def replace(self, keys: Sequence[WrappedKey], expected: set[str]) -> bool:
        with self._lock:
            if {k.master_check for k in self._keys.values()} != expected or set(self._keys) != {
                k.pseudonym for k in keys
            }:
                return False
            self._keys = {key.pseudonym: key for key in keys}
            return True


class SQLDataKeys(DataKeyTable):
    """The key table in a SQLite file or a PostgreSQL schema."""

    def __init__(self, store: Store, *, read_only: bool = False) -> None:
        self._kind = store.kind
        self._lock = threading.Lock()
        self._table = store.table(DATA_KEYS_TABLE)
        self._connection: Any = store.connect(read_only=read_only)
        self._present = True
        if read_only:
            self._present = not store.missing_tables(DATA_KEYS_TABLE)
            return
        blob = "BLOB" if store.kind == "sqlite" else "BYTEA"
        if store.kind == "sqlite":
            # A deleted key's bytes are overwritten, not left in a free page of the file.
            self._connection.execute("PRAGMA secure_delete = ON")
        with store.setup_lock(), self._transaction(lock=False) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._table} (pseudonym TEXT PRIMARY KEY, "
                f"wrapped {blob} NOT NULL, master_check TEXT NOT NULL)"
            )

    def _sql(self, statement: str) -> str:
        statement = statement.replace("{t}", self._table)
        return statement if self._kind == "sqlite" else statement.replace("?", "%s")

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            raise StoreUnavailable(f"the key table failed: {error}") from None
        except Exception as error:
            if type(error).__module__.startswith("psycopg"):
                first = str(error).strip().splitlines()[0] if str(error).strip() else ""
                raise StoreUnavailable(f"the key table failed: {first}") from None
            raise

    @contextmanager
    def _transaction(self, *, lock: bool = True) -> Iterator[Any]:
        with self._lock, self._errors():
            cursor = self._connection.cursor()
            cursor.execute("BEGIN IMMEDIATE" if self._kind == "sqlite" else "BEGIN")
            try:
                if lock and self._kind != "sqlite":
                    # Rotation and a first key racing each other take turns.
                    cursor.execute(self._sql("LOCK TABLE {t} IN EXCLUSIVE MODE"))
                yield cursor
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            else:
                cursor.execute("COMMIT")
            finally:
                cursor.close()

    def _query(self, statement: str, parameters: Sequence[Any] = ()) -> list[Any]:
        if not self._present:
            return []
        with self._lock, self._errors():
            cursor = self._connection.cursor()
            try:
                cursor.execute(self._sql(statement), tuple(parameters))
                return list(cursor.fetchall())
            finally:
                cursor.close()

    def get(self, pseudonym: str) -> WrappedKey | None:
        rows = self._query(
            "SELECT pseudonym, wrapped, master_check FROM {t} WHERE pseudonym = ?", (pseudonym,)
        )
        return WrappedKey(rows[0][0], bytes(rows[0][1]), rows[0][2]) if rows else None

    def add(self, key: WrappedKey) -> WrappedKey | None:
        with self._transaction() as cursor:
            cursor.execute(
                self._sql("SELECT 1 FROM {t} WHERE master_check <> ? LIMIT 1"),
                (key.master_check,),
            )
            if cursor.fetchone() is not None:
                return None
            cursor.execute(
                self._sql(
                    "INSERT INTO {t} (pseudonym, wrapped, master_check) VALUES (?, ?, ?) "
                    "ON CONFLICT (pseudonym) DO NOTHING"
                ),
                (key.pseudonym, key.wrapped, key.master_check),
            )
            cursor.execute(
                self._sql("SELECT pseudonym, wrapped, master_check FROM {t} WHERE pseudonym = ?"),
                (key.pseudonym,),
            )
            row = cursor.fetchone()
        return WrappedKey(row[0], bytes(row[1]), row[2])

    def master_checks(self) -> set[str]:
        return {row[0] for row in self._query("SELECT DISTINCT master_check FROM {t}")}

    def delete(self, pseudonym: str) -> None:
        with self._transaction() as cursor:
            cursor.execute(self._sql("DELETE FROM {t} WHERE pseudonym = ?"), (pseudonym,))
        if self._kind == "sqlite":
            # The write-ahead log still holds the page as it was before: copy the zeroed
            # page into the file and empty the log (as far as no reader holds it).
            with self._lock, self._errors():
                self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def all(self) -> list[WrappedKey]:
        rows = self._query("SELECT pseudonym, wrapped, master_check FROM {t} ORDER BY pseudonym")
        return [WrappedKey(p, bytes(w), c) for p, w, c in rows]

    def replace(self, keys: Sequence[WrappedKey], expected: set[str]) -> bool:
        with self._transaction() as cursor:
            cursor.execute(self._sql("SELECT pseudonym, master_check FROM {t}"))
            rows = cursor.fetchall()
            if {c for _, c in rows} != expected or {p for p, _ in rows} != {
                k.pseudonym for k in keys
            }:
                return False
            cursor.executemany(
                self._sql("UPDATE {t} SET wrapped = ?, master_check = ? WHERE pseudonym = ?"),
                [(k.wrapped, k.master_check, k.pseudonym) for k in keys],
            )
        return True

    def close(self) -> None:
        self._connection.close()


def data_key_table(store: Store, *, read_only: bool = False) -> DataKeyTable:
    """The key table of a store (an in-process dict for `memory://`)."""
    if store.kind == "memory":
        return MemoryDataKeys()
    return SQLDataKeys(store, read_only=read_only)

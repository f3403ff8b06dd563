"""The key table: each citizen's data key, wrapped by the master key, next to the events.

One row per citizen pseudonym: the wrapped data key and the check value of the master key
that wrapped it. The table lives in the store's own database (the SQLite file, the
PostgreSQL schema; a dict for `memory://`), so a backup of the store holds both. Erasing
a citizen overwrites their row with a tombstone (no key, no check value), which erases
every personal field sealed under the key and keeps a writer that raced the erasure from
making the citizen a new key. Rotation rewrites every live row in one transaction.
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
    "tombstone",
]

DATA_KEYS_TABLE = "caseload_data_keys"


@attrs.frozen
class WrappedKey:
    """A citizen's data key as stored: wrapped by the master key whose check value it
    keeps; or the tombstone of an erased citizen (empty `wrapped` and `master_check`)."""

    pseudonym: str
    wrapped: bytes = attrs.field(repr=False)
    master_check: str

    @property
    def erased(self) -> bool:
        """Whether this is an erased citizen's tombstone."""
        return not self.wrapped


def tombstone(pseudonym: str) -> WrappedKey:
    """The row that replaces an erased citizen's key."""
    return WrappedKey(pseudonym, b"", "")


class DataKeyTable(ABC):
    """The store's table of wrapped data keys."""

    @abstractmethod
    def get(self, pseudonym: str) -> WrappedKey | None:
        """The wrapped key (or tombstone) of a citizen, or None."""

    @abstractmethod
    def add(self, key: WrappedKey) -> WrappedKey | None:
        """Store a new key unless the citizen has a row; returns the row the table holds
        for the citizen afterwards (a tombstone when they were erased meanwhile), or None
        when the table holds keys wrapped by another master key (nothing is written)."""

    @abstractmethod
    def master_checks(self) -> set[str]:
        """The check values of the master keys the table's live keys are wrapped with."""

    @abstractmethod
    def erase(self, pseudonym: str) -> None:
        """Replace a citizen's key by a tombstone (one is written when they had none)."""

    @abstractmethod
    def all(self) -> list[WrappedKey]:
        """Every live key in the table (tombstones left out)."""

    @abstractmethod
    def replace(self, keys: Sequence[WrappedKey], expected: set[str]) -> bool:
        """In one transaction: unless the live keys' master checks are no longer
        `expected`, or the set of live pseudonyms changed, write `keys` over the rows of
        the same pseudonyms. Returns whether it wrote."""

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
            if self.master_checks() - {key.master_check}:
                return None
            return self._keys.setdefault(key.pseudonym, key)

    def master_checks(self) -> set[str]:
        return {key.master_check for key in self.all()}

    def erase(self, pseudonym: str) -> None:
        with self._lock:
            self._keys[pseudonym] = tombstone(pseudonym)

    def all(self) -> list[WrappedKey]:
        return [key for key in self._keys.values() if not key.erased]

    def replace(self, keys: Sequence[WrappedKey], expected: set[str]) -> bool:
        with self._lock:
            live = self.all()
            same_citizens = {k.pseudonym for k in live} == {k.pseudonym for k in keys}
            if {k.master_check for k in live} != expected or not same_citizens:
                return False
            self._keys.update({key.pseudonym: key for key in keys})
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
                self._sql("SELECT 1 FROM {t} WHERE master_check NOT IN (?, '') LIMIT 1"),
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
        rows = self._query("SELECT DISTINCT master_check FROM {t} WHERE master_check <> ''")
        return {row[0] for row in rows}

    def erase(self, pseudonym: str) -> None:
        with self._transaction() as cursor:
            # Deleted, then written anew: the key's bytes go with the deleted row, which
            # SQLite's secure_delete overwrites.
            cursor.execute(self._sql("DELETE FROM {t} WHERE pseudonym = ?"), (pseudonym,))
            cursor.execute(
                self._sql("INSERT INTO {t} (pseudonym, wrapped, master_check) VALUES (?, ?, '')"),
                (pseudonym, b""),
            )
        if self._kind == "sqlite":
            # The write-ahead log still holds the page as it was before: copy the zeroed
            # page into the file and empty the log (as far as no reader holds it).
            with self._lock, self._errors():
                self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def all(self) -> list[WrappedKey]:
        rows = self._query(
            "SELECT pseudonym, wrapped, master_check FROM {t} WHERE master_check <> '' "
            "ORDER BY pseudonym"
        )
        return [WrappedKey(p, bytes(w), c) for p, w, c in rows]

    def replace(self, keys: Sequence[WrappedKey], expected: set[str]) -> bool:
        with self._transaction() as cursor:
            cursor.execute(
                self._sql("SELECT pseudonym, master_check FROM {t} WHERE master_check <> ''")
            )
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

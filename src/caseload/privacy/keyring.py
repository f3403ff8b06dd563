"""A store's citizens' data keys, used under one master key: seal, open, forget, rotate.

The first personal field of a citizen makes their data key: random, wrapped by the master
key, stored in the key table. Sealing and opening unwrap it; forgetting replaces it by a
tombstone, after which nothing the store holds decrypts that citizen's fields and no new
key is made for them. Rotation re-wraps every data
key under a new master key in one transaction and changes nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from caseload.adapters.data_keys import DataKeyTable, WrappedKey
from caseload.domain.errors import (
    CitizenErased,
    ConcurrencyConflict,
    MissingMasterKey,
    WrongMasterKey,
)
from caseload.domain.personal import Hidden, Sealed
from caseload.privacy import crypto

__all__ = ["Keyring"]


class Keyring:
    """The data keys of one store, under the master key a service holds (or none)."""

    def __init__(self, table: Callable[[], DataKeyTable], master: bytes | None) -> None:
        """`table` opens the store's key table; it is called on first use, so that an
        application that never touches personal data never opens (or creates) it."""
        self._open_table = table
        self._opened: DataKeyTable | None = None
        self._master = master
        self._check = None if master is None else crypto.master_key_check(master)

    @property
    def _table(self) -> DataKeyTable:
        if self._opened is None:
            self._opened = self._open_table()
        return self._opened

    @property
    def holds_master_key(self) -> bool:
        """Whether a master key was given (without one, fields read as withheld)."""
        return self._master is not None

    def _require_master(self) -> bytes:
        if self._master is None:
            raise MissingMasterKey(
                "personal data is encrypted under a master key: pass master_key=... to "
                "Caseload or set CASELOAD_MASTER_KEY (see docs/privacy.md)"
            )
        return self._master

    def _data_key(self, stored: WrappedKey) -> bytes:
        master = self._require_master()
        if stored.master_check != self._check:
            raise WrongMasterKey(
                "the master key is not the one this store's data keys are wrapped with; "
                "use that key, or rotate the store to a new one with it"
            )
        return crypto.unwrap(master, stored.pseudonym, stored.wrapped)

    def seal(self, pseudonym: str, field: str, value: Any) -> Sealed:
        """`value` sealed under the citizen's data key, made first if they have none."""
        master = self._require_master()
        stored = self._table.get(pseudonym)
        if stored is None:
            assert self._check is not None
            made = WrappedKey(
                pseudonym, crypto.wrap(master, pseudonym, crypto.new_data_key()), self._check
            )
            stored = self._table.add(made)
            if stored is None:
                raise WrongMasterKey(
                    "the master key is not the one this store's data keys are wrapped "
                    "with; no data key was made under it"
                )
        if stored.erased:
            raise CitizenErased(
                "this citizen's personal data was erased: their data key is destroyed, and "
                "no personal data is recorded for them any more"
            )
        return crypto.seal(self._data_key(stored), pseudonym, field, value)

    def open(self, pseudonym: str, field: str, sealed: Sealed) -> Any:
        """The value of a sealed field, `Hidden.WITHHELD` without a master key, or
        `Hidden.ERASED` when the citizen's data key is gone."""
        return self.opener(pseudonym)(field, sealed)

    def opener(self, pseudonym: str) -> Callable[[str, Sealed], Any]:
        """`open` for one citizen's fields, with their data key read and unwrapped once."""
        if self._master is None:
            return lambda field, sealed: Hidden.WITHHELD
        stored = self._table.get(pseudonym)
        if stored is None or stored.erased:
            return lambda field, sealed: Hidden.ERASED
        data_key = self._data_key(stored)
        return lambda field, sealed: crypto.unseal(data_key, pseudonym, field, sealed)

    def forget(self, pseudonym: str) -> None:
        """Replace the citizen's data key by a tombstone (needs no master key)."""
        self._table.erase(pseudonym)

    def rotate(self, new_master: bytes) -> int:
        """Re-wrap every data key under `new_master` in one transaction, and use it from
        now on; returns how many keys were re-wrapped."""
        self._require_master()
        stored = self._table.all()
        keys = [
            WrappedKey(
                key.pseudonym,
                crypto.wrap(new_master, key.pseudonym, self._data_key(key)),
                crypto.master_key_check(new_master),
            )
            for key in stored
        ]
        expected = {self._check} if stored else set()
        if not self._table.replace(keys, {c for c in expected if c is not None}):
            raise ConcurrencyConflict(
                "the key table changed while its keys were re-wrapped; nothing was "
                "written: rotate again"
            )
        self._master = new_master
        self._check = crypto.master_key_check(new_master)
        return len(keys)

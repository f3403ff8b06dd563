"""The chained recorder for PostgreSQL: each event's link written under the events table's lock.

Kept apart from the other recorders so that only a store on PostgreSQL imports the
driver (`pip install 'caseload[postgres]'`); store settings name it by topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from caseload.adapters.hashes import GENESIS
from caseload.adapters.recorders import CHAIN_TABLE, SEALS_TABLE, chain_links
from caseload.domain.errors import ConfigurationError

__all__ = ["ChainedPostgresRecorder"]


class ChainedPostgresRecorder(PostgresApplicationRecorder):
    """eventsourcing's PostgreSQL recorder, writing each event's chain link in its
    transaction, under the EXCLUSIVE lock it holds on the events table."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        if datastore.enable_db_functions:
            raise ConfigurationError(
                "the hash chain needs events inserted by statements, not database functions; "
                "unset POSTGRES_ENABLE_DB_FUNCTIONS"
            )
        from psycopg.sql import SQL, Identifier

        schema = Identifier(datastore.schema)
        self._chain = SQL("{0}.{1}").format(schema, Identifier(CHAIN_TABLE))
        self.sql_create_statements.extend(
            [
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} "
                    "(position bigint PRIMARY KEY, hash bytea NOT NULL)"
                ).format(self._chain),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0}.{1} (number bigint PRIMARY KEY, "
                    "position bigint NOT NULL, head bytea NOT NULL, sealed_at text NOT NULL, "
                    "digest bytea NOT NULL)"
                ).format(schema, Identifier(SEALS_TABLE)),
            ]
        )
        self._select_head = SQL("SELECT hash FROM {0} ORDER BY position DESC LIMIT 1").format(
            self._chain
        )
        self._insert_links = SQL("INSERT INTO {0} (position, hash) VALUES (%s, %s)").format(
            self._chain
        )

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        assert positions is not None
        # Still inside the inserting transaction, under the table lock.
        curs.execute(self._select_head)
        row = curs.fetchone()
        previous = GENESIS if row is None else bytes(row["hash"])
        curs.executemany(self._insert_links, chain_links(previous, positions, stored_events))
        return positions

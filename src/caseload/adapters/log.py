"""Reading the event log fast: rows straight from the database, decoded in one pass.

eventsourcing's mapper builds a `Notification` per row and decodes it with a Python hook
on every JSON object; a rebuild reads every event, so here the rows come straight from the
events table and are decoded by `caseload.adapters.event_decoding`.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import JSONTranscoder

from caseload.adapters.event_decoding import (
    EventDecoder,
    StoredTopicsMapper,
    Unread,
    resolve_stored_topic,
)
from caseload.adapters.storage import Store
from caseload.domain.errors import LogAltered

__all__ = [
    "EventDecoder",
    "LogReader",
    "StoredTopicsMapper",
    "Topics",
    "Unread",
    "log_reader",
    "resolve_stored_topic",
    "unreadable",
]

Topics = Mapping[str, type[Any]] | Callable[[], Mapping[str, type[Any]]]
"""The event classes by stored topic, or a function that gives them when first needed."""


def _every_kind(kind: type[Any]) -> bool:
    return True


def unreadable(row: Any, error: Exception) -> LogAltered:
    """The error for a stored row that does not decode into its event: its log position,
    event type and aggregate (never its contents), so an auditor can find it."""
    if row is None:
        return LogAltered(f"the log cannot be read ({type(error).__name__})")
    position, originator_id, _, topic, _ = row
    kind = str(topic).rpartition(":")[2]
    return LogAltered(
        f"the event at log position {position} ({kind}, aggregate {originator_id}) "
        f"cannot be read ({type(error).__name__}): the stored log was damaged or altered "
        "outside the application"
    )


class LogReader:
    """The log read through the application's recorder (the memory store's way).

    `topics` names the event classes the log may hold by their stored topics (or is a
    function that names them, called when a read first needs them): every topic any
    version stored events under (`caseload.programmes.event_topics`: today's topics and
    those of moved classes). With it, a read of a few classes selects only the rows of
    their topics, in the database where it can, as eventsourcing's `topics=` filter does;
    a row of a topic it does not name is then not read by such a read (an event of a class
    no version of any programme kind stores, which no read model folds). Without it, such
    a read goes through every row and decodes those of wanted classes.
    """

    def __init__(self, app: Application[UUID], topics: Topics | None = None) -> None:
        self._recorder = app.recorder
        transcoder = app.mapper.transcoder
        assert isinstance(transcoder, JSONTranscoder)
        self._decoder = EventDecoder(transcoder)
        self._given_topics = topics

    @functools.cached_property
    def _topics(self) -> dict[str, type[Any]]:
        given = self._given_topics
        return dict((given() if callable(given) else given) or {})

    def topics_wanted(self, wanted: Callable[[type[Any]], bool]) -> tuple[str, ...]:
        """The known topics whose classes `wanted` accepts, sorted."""
        return tuple(sorted(topic for topic, kind in self._topics.items() if wanted(kind)))

    def read_topics(
        self, start: int, last: int, limit: int, wanted: Callable[[type[Any]], bool]
    ) -> tuple[int, list[tuple[int, DomainEvent]]]:
        """The events at positions `start` to `last` whose class `wanted` accepts, at
        most `limit` of them: the position up to which the log has been searched (`last`
        when fewer than `limit` were found), and the events. Rows of other classes are
        skipped undecoded, in the database where it can."""
        events: list[tuple[int, DomainEvent]] = []
        topics = self.topics_wanted(wanted) if self._topics else None
        if topics is not None and not topics:
            return max(last, start - 1), events
        position = start
        while position <= last and len(events) < limit:
            rows = [
                (n.id, n.originator_id, n.originator_version, n.topic, n.state)
                for n in self._recorder.select_notifications(
                    start=position, limit=limit, stop=last, topics=topics or ()
                )
            ]
            if not rows:
                break
            reached, found = self._decode_kinds(rows, wanted)
            events.extend(found)
            position = reached + 1
        if len(events) >= limit:
            return events[limit - 1][0], events[:limit]
        return max(last, start - 1), events

    def head(self) -> int:
        """The latest position in the log (0 when empty)."""
        return self._recorder.max_notification_id() or 0

    def read(self, start: int, limit: int) -> list[tuple[int, DomainEvent]]:
        """Up to `limit` events from position `start` on, with their positions."""
        rows = [
            (n.id, n.originator_id, n.originator_version, n.topic, n.state)
            for n in self._recorder.select_notifications(start=start, limit=limit)
        ]
        return self._decode_kinds(rows, _every_kind)[1]

    def read_kinds(
        self, start: int, limit: int, wanted: Callable[[type[Any]], bool]
    ) -> tuple[int, list[tuple[int, DomainEvent]]]:
        """Up to `limit` positions from `start` on: the last position read (0 when none),
        and the events among them whose class `wanted` accepts. The others are not decoded,
        so a reader that needs a few kinds of event goes through the log much faster."""
        rows = [
            (n.id, n.originator_id, n.originator_version, n.topic, n.state)
            for n in self._recorder.select_notifications(start=start, limit=limit)
        ]
        return self._decode_kinds(rows, wanted)

    def read_for(
        self, start: int, limit: int, wanted: Callable[[type[Any]], bool]
    ) -> list[tuple[int, DomainEvent | Unread]]:
        """Up to `limit` events from position `start` on, as `read` gives them, except
        that an event of a class `wanted` refuses is an `Unread` stand-in (decoding it is
        most of the cost of reading it)."""
        rows = [
            (n.id, n.originator_id, n.originator_version, n.topic, n.state)
            for n in self._recorder.select_notifications(start=start, limit=limit)
        ]
        return self._decode_for(rows, wanted)

    def _decode_for(
        self, rows: list[Any], wanted: Callable[[type[Any]], bool]
    ) -> list[tuple[int, DomainEvent | Unread]]:
        decoder = self._decoder
        accepted: dict[str, bool] = {}
        events: list[tuple[int, DomainEvent | Unread]] = []
        row = None
        try:
            for row in rows:
                position, originator_id, version, topic, state = row
                keep = accepted.get(topic)
                if keep is None:
                    keep = accepted[topic] = wanted(decoder.kind(topic))
                if keep:
                    event = decoder.decode(originator_id, version, topic, bytes(state))
                    events.append((int(position), event))
                else:
                    events.append((int(position), decoder.unread(topic, bytes(state))))
        except Exception as error:
            raise unreadable(row, error) from None
        return events

    def _decode_kinds(
        self, rows: list[Any], wanted: Callable[[type[Any]], bool]
    ) -> tuple[int, list[tuple[int, DomainEvent]]]:
        decoder = self._decoder
        accepted: dict[str, bool] = {}
        events = []
        row = None
        try:
            for row in rows:
                position, originator_id, version, topic, state = row
                keep = accepted.get(topic)
                if keep is None:
                    keep = accepted[topic] = wanted(decoder.kind(topic))
                if keep:
                    events.append(
                        (int(position), decoder.decode(originator_id, version, topic, bytes(state)))
                    )
        except Exception as error:
            raise unreadable(row, error) from None
        return (int(rows[-1][0]) if rows else 0), events

    def close(self) -> None:
        """Release connections (the recorder belongs to the application)."""


class _SQLLogReader(LogReader):
    """The log read straight from the events table of a SQLite file or PostgreSQL."""

    def __init__(
        self,
        app: Application[UUID],
        store: Store,
        topics: Topics | None = None,
    ) -> None:
        super().__init__(app, topics)
        self._lock = threading.Lock()
        self._connection: Any = store.connect()
        self._sqlite = store.kind == "sqlite"
        if self._sqlite:
            self._select = (
                "SELECT rowid, originator_id, originator_version, topic, state"
                " FROM stored_events WHERE rowid >= ? ORDER BY rowid LIMIT ?"
            )
            self._head = "SELECT MAX(rowid) FROM stored_events"
            self._columns = "rowid, originator_id, originator_version, topic, state"
            self._table, self._position = "stored_events", "rowid"
        else:
            table = store.table("caseload_events")
            self._select = (
                "SELECT notification_id, originator_id, originator_version, topic, state"
                f" FROM {table} WHERE notification_id >= %s ORDER BY notification_id LIMIT %s"
            )
            self._head = f"SELECT MAX(notification_id) FROM {table}"
            self._columns = "notification_id, originator_id, originator_version, topic, state"
            self._table, self._position = table, "notification_id"
        self._by_topics: dict[tuple[str, ...], tuple[str, tuple[Any, ...]]] = {}

    def _select_topics(self, topics: tuple[str, ...]) -> tuple[str, tuple[Any, ...]]:
        """The statement (and its fixed parameters) that selects the rows of `topics` in
        a range of positions (every row there when the reader knows no topics)."""
        found = self._by_topics.get(topics)
        if found is not None:
            return found
        head = f"SELECT {self._columns} FROM {self._table} WHERE {self._position} >= "
        order = f" ORDER BY {self._position} LIMIT "
        mark = "?" if self._sqlite else "%s"
        chosen = f"{head}{mark} AND {self._position} <= {mark}"
        if not self._topics:
            found = (f"{chosen}{order}{mark}", ())
        elif self._sqlite:
            listed = ",".join("?" * len(topics))
            found = (f"{chosen} AND topic IN ({listed}){order}?", topics)
        else:
            found = (f"{chosen} AND topic = ANY(%s){order}%s", (list(topics),))
        self._by_topics[topics] = found
        return found

    def read_topics(
        self, start: int, last: int, limit: int, wanted: Callable[[type[Any]], bool]
    ) -> tuple[int, list[tuple[int, DomainEvent]]]:
        if start > last:
            return last, []
        topics = self.topics_wanted(wanted)
        if self._topics and not topics:
            return last, []
        statement, fixed = self._select_topics(topics)
        with self._lock:
            rows = self._connection.execute(statement, (start, last, *fixed, limit)).fetchall()
        reached, events = self._decode_kinds(rows, wanted)
        return (reached if len(rows) >= limit else last), events

    def head(self) -> int:
        with self._lock:
            row = self._connection.execute(self._head).fetchone()
        return int(row[0] or 0)

    def read(self, start: int, limit: int) -> list[tuple[int, DomainEvent]]:
        with self._lock:
            rows = self._connection.execute(self._select, (start, limit)).fetchall()
        return self._decode_kinds(rows, _every_kind)[1]

    def read_kinds(
        self, start: int, limit: int, wanted: Callable[[type[Any]], bool]
    ) -> tuple[int, list[tuple[int, DomainEvent]]]:
        with self._lock:
            rows = self._connection.execute(self._select, (start, limit)).fetchall()
        return self._decode_kinds(rows, wanted)

    def read_for(
        self, start: int, limit: int, wanted: Callable[[type[Any]], bool]
    ) -> list[tuple[int, DomainEvent | Unread]]:
        with self._lock:
            rows = self._connection.execute(self._select, (start, limit)).fetchall()
        return self._decode_for(rows, wanted)

    def close(self) -> None:
        with self._lock:
            self._connection.close()


def log_reader(app: Application[UUID], store: Store, topics: Topics | None = None) -> LogReader:
    """The fastest reader of a store's log (`topics`: the event classes by stored topic,
    or a function that gives them, so that reads of a few classes select only their rows)."""
    if store.kind == "memory" or store.env.get("SQLITE_DBNAME") == ":memory:":
        return LogReader(app, topics)
    return _SQLLogReader(app, store, topics)

"""Read-only replay sessions: a store opened for replay only, pinned to one log position."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

from caseload.adapters.storage import IN_MEMORY_IS_EMPTY, parse_store_url
from caseload.domain.errors import ConfigurationError, StoreUnavailable
from caseload.domain.inputs import optional_moment
from caseload.projections.runner import ProjectionSettings

if TYPE_CHECKING:
    from caseload.application.caseload import Caseload

__all__ = ["open_readonly"]


def open_readonly(
    cls: type[Caseload],
    store: str | os.PathLike[str] | None,
    *,
    as_known_at: datetime | None,
    clock: Callable[[], date],
    projection_settings: ProjectionSettings | None,
) -> Caseload:
    """Open an existing store of class `cls` for replay only (see `Caseload.open_readonly`)."""
    moment = optional_moment(as_known_at)
    parsed = parse_store_url(store, existing=True).for_reading()
    if parsed.kind == "memory" or parsed.env.get("SQLITE_DBNAME") == ":memory:":
        raise ConfigurationError(IN_MEMORY_IS_EMPTY)
    if parsed.missing_tables(parsed.events_table):
        raise StoreUnavailable(f"{parsed.description} holds no caseload event log")
    app = cls.__new__(cls)
    app._opening_read_only = True
    app.__init__(store, clock=clock, projection_settings=projection_settings)  # type: ignore[misc]
    try:
        # The whole recorded log: events, chain links and seals (a link or seal past the
        # last event means events were deleted, and verify must see it).
        chain = app.wiring.chain()
        sealed = max((seal[1] for seal in chain.seals()), default=0)
        app._pin_at(max(app.wiring.head(), chain.head(), sealed))
        if moment is not None:
            app._pin_at(app.projections.known_position(moment))
    except BaseException:
        app.close()
        raise
    return app

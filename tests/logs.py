"""Comparing two logs that should hold the same facts: aggregate ids numbered by first
appearance (they are random) and recorded-at timestamps blanked (they are the clock's)."""

from __future__ import annotations

import re

from caseload import Caseload
from caseload.adapters.chain import iter_rows

_ID = re.compile(rb"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
_TIMESTAMP = re.compile(rb'"timestamp":\{"_type_":"datetime_iso","_data_":"[^"]*"\}')


def normalised_log(app: Caseload) -> list[tuple[int, int, str, bytes]]:
    """Every stored event as (position, version, "originator topic", state), with each
    aggregate id replaced by its number in order of first appearance and the recorded-at
    timestamp blanked: what the same commands must reproduce byte for byte."""
    numbers: dict[bytes, bytes] = {}

    def number(found: re.Match[bytes]) -> bytes:
        key = found.group().replace(b"-", b"")
        return numbers.setdefault(key, b"<id %d>" % len(numbers))

    log = []
    for row in iter_rows(app.wiring.chain(), app.head()):
        assert isinstance(row.state, bytes)
        originator = _ID.sub(number, str(row.originator_id).encode())
        state = _ID.sub(number, _TIMESTAMP.sub(b'"timestamp":"-"', row.state))
        log.append((row.position, row.version, f"{originator.decode()} {row.topic}", state))
    return log

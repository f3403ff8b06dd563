"""The first check of `verify`: the log unaltered. Every event row is recomputed into the
hash chain and compared with its stored link, and every seal with the chain head it pins."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from caseload.adapters.chain import ChainSource, iter_links, iter_rows
from caseload.adapters.hashes import GENESIS, link
from caseload.adapters.seals import seal_chain_break, well_formed_seal
from caseload.audit.findings import CHAIN, Check, Finding, row_finding

__all__ = ["Seals", "check_chain"]


Seals = Sequence[tuple[Any, Any, Any, Any, Any]]


def check_chain(
    source: ChainSource,
    last: int,
    expect_seal: str | None = None,
    *,
    head: int | None = None,
    seals: Seals | None = None,
    progress: Callable[[int], None] | None = None,
    after: tuple[int, bytes] | None = None,
) -> Check:
    """Recompute the chain up to position `last` and every seal; compare with the stored.

    `head` is where the recorded log ends (events or links; `last` by default): a seal
    past `last` but within `head` was taken after the position checked up to, and only its
    own digest is checked; one past `head` means events were deleted. With `after` (a
    position and the link checked there before), only the rows after it are recomputed,
    from that link, and a seal at or before it is compared with the stored link it pins.
    """
    head = last if head is None else head
    seals = source.seals() if seals is None else seals
    # Positions of well-formed seals only: a malformed row is reported by `_check_seals`,
    # after the events (a changed event is the finding that matters first).
    positions = [seal[1] for seal in seals if well_formed_seal(seal)]
    wanted = set(positions)
    heads: dict[int, bytes] = {0: GENESIS}
    start, previous = (0, GENESIS) if after is None else after
    for position in positions:
        if 0 < position <= min(start, last):
            found = source.links(position - 1, position, 1)
            if found and found[0][0] == position:
                heads[position] = bytes(found[0][1])
    sealed_at = max((position for position in positions if position <= last), default=0)
    finding, count, since = _walk_chain(
        source, last, wanted, heads, sealed_at, progress, start, previous
    )
    if finding is not None:
        return Check(CHAIN, False, "the hash chain is broken", finding)
    if start > sealed_at:  # the rows between the last seal and `after`, checked before
        since += min(start, last) - sealed_at
    problems = _check_seals(seals, heads, last, head, expect_seal)
    if problems:
        return Check(
            CHAIN, False, problems[0].message, problems[0], tuple(p.message for p in problems[1:])
        )
    checked = [seal for seal in seals if seal[1] <= last]
    if checked:
        number, position = checked[-1][0], checked[-1][1]
        summary = f"; seal {number} pins position {position}"
        summary += f" ({since} event{'s' if since != 1 else ''} recorded since)" if since else ""
    else:
        summary = "; not sealed yet (`caseload seal` pins the head)"
    if start:
        summary += f"; up to position {start} checked before"
    if expect_seal:
        summary += f"; the given seal digest matches seal {_seal_number(seals, expect_seal)}"
    return Check(CHAIN, True, f"{count} events chained{summary}")


def _seal_number(seals: Seals, digest: str | None) -> int:
    return int(next(seal[0] for seal in seals if seal[4].hex() == digest))


def _walk_chain(
    source: ChainSource,
    last: int,
    wanted: set[int],
    heads: dict[int, bytes],
    sealed_at: int,
    progress: Callable[[int], None] | None,
    after: int = 0,
    previous: bytes = GENESIS,
) -> tuple[Finding | None, int, int]:
    """Recompute the links of the rows after position `after` (whose link is `previous`)
    up to `last`; return the first finding, the rows chained and those past `sealed_at`."""
    rows = iter_rows(source, last, progress=progress, after=after)
    links = iter_links(source, last, after=after)
    row = next(rows, None)
    stored = next(links, None)
    count = since = 0
    while row is not None or stored is not None:
        if stored is None or (row is not None and row.position < stored[0]):
            assert row is not None
            return (
                row_finding(
                    f"the event at position {row.position} has no chain link: it was inserted "
                    "outside the application, or written before the store kept a chain",
                    row,
                ),
                count,
                since,
            )
        if row is None or stored[0] < row.position:
            return (
                Finding(
                    f"the event at position {stored[0]} is missing: the chain has a link for it, "
                    "so it was deleted",
                    stored[0],
                ),
                count,
                since,
            )
        if not row.well_formed():
            return (
                row_finding(
                    f"the event at position {row.position} is malformed (a column holds a value "
                    "of the wrong type): it was altered",
                    row,
                ),
                count,
                since,
            )
        previous = link(
            previous, row.position, row.originator_id, row.version, row.topic, row.state
        )
        if previous != stored[1]:
            return (
                row_finding(
                    f"the event at position {row.position} does not match its chain link: "
                    "it was altered, reordered or its link was rewritten",
                    row,
                ),
                count,
                since,
            )
        if row.position in wanted:
            heads[row.position] = previous
        count += 1
        since += row.position > sealed_at
        row = next(rows, None)
        stored = next(links, None)
    return None, count, since


def _check_seals(
    seals: Seals,
    heads: dict[int, bytes],
    last: int,
    head: int,
    expect_seal: str | None,
) -> list[Finding]:
    broken = seal_chain_break(seals)
    if broken is not None:
        return [Finding(broken)]
    problems: list[Finding] = []
    for number, position, pinned, _sealed_at, _digest in seals:
        if position > head:
            problems.append(
                Finding(
                    f"seal {number} pins position {position} but the log ends at {head}: "
                    "events were deleted",
                    position,
                )
            )
        elif position <= last and heads.get(position) != pinned:
            problems.append(
                Finding(
                    f"seal {number} pins a chain head at position {position} that the log no "
                    "longer has: the log was rewritten",
                    position,
                )
            )
    given = [seal for seal in seals if seal[4].hex() == expect_seal]
    if expect_seal is not None and not given:
        problems.append(
            Finding(
                "the given seal digest is not one of this store's seals: the seals were "
                "rewritten, or it is another store's"
            )
        )
    elif given and given[0][1] > last:
        problems.append(
            Finding(
                f"the given seal pins position {given[0][1]}, after position {last} where this "
                "check stops: verify the store without a pin"
            )
        )
    return problems

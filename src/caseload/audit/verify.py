"""`verify`: prove the log unaltered, every rule kept on every date, and the read models true.

Three checks, each replaying the log up to one pinned position (the head when the check
starts, so writers may go on meanwhile):

1. **Log unaltered**: every event row is recomputed into the hash chain and compared with
   its stored link; an altered byte, a deleted, inserted or reordered row breaks the chain
   at the first such row. Every seal is recomputed too, and a seal digest kept outside the
   database (`expect_seal`) must be one of them.
2. **Rules kept**: the log, decoded, is checked on every date by the rules each programme
   kind registers (`caseload.programmes.PROGRAMMES`, run by `caseload.audit.rules`):
   caseload limits, one broker per trajectory, events within their trajectory's life.
3. **Read models true**: each stored read-model state, each checkpoint and the time index
   of as-of queries must hash to its digest and equal a fresh fold of the log up to the
   position it says it reflects (see `caseload.audit.derived`).

A failed check names its first offending event by log position, aggregate id and event
type: never a CPR number, name or pseudonym.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs
from eventsourcing.domain import DomainEvent

from caseload.adapters.chain import ChainSource, StoredRow, iter_links, iter_rows
from caseload.adapters.hashes import GENESIS, link
from caseload.adapters.read_model_store import ProjectionStore
from caseload.adapters.seals import seal_chain_break, well_formed_seal
from caseload.audit.derived import INDEX, DerivedData
from caseload.domain.errors import CaseloadError
from caseload.projections.base import ReadModel

if TYPE_CHECKING:
    # Only a type here: at run time the decoder comes from the application, and importing
    # the log adapter (with the programmes' transcodings) from here would be circular.
    from caseload.adapters.log import EventDecoder

__all__ = ["Check", "Finding", "VerifyReport", "check_chain", "verify_store"]

CHAIN = "log unaltered (hash chain and seals)"
RULES = "no rule broken on any date"
READ_MODELS = "read models equal a fresh rebuild"


@attrs.frozen
class Finding:
    """The first offending event of a failed check (no personal data)."""

    message: str
    position: int | None = None
    aggregate_id: str | None = None
    event_type: str | None = None


@attrs.frozen
class Check:
    """One check of `verify`: its name, whether it passed, and what it found."""

    name: str
    ok: bool
    summary: str
    finding: Finding | None = None
    details: tuple[str, ...] = ()


@attrs.frozen
class VerifyReport:
    """The outcome of `verify`: every check, run against the log up to `position`."""

    position: int
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(check.ok for check in self.checks)


def _event_type(topic: object) -> str | None:
    """The event class named by a topic (`module:Class.Event` → `Class.Event`)."""
    return topic.rpartition(":")[2][:80] if isinstance(topic, str) else None


def _row_finding(message: str, row: StoredRow) -> Finding:
    aggregate = row.originator_id if isinstance(row.originator_id, str) else None
    return Finding(message, row.position, aggregate, _event_type(row.topic))


# ------------------------------------------------------------------- 1. the chain


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
                _row_finding(
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
                _row_finding(
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
                _row_finding(
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


# ------------------------------------------------------------------- 2 and 3: replay


class _Replay:
    """Decode the log once, feeding the rule checker and the read-model folds."""

    def __init__(
        self,
        source: ChainSource,
        decoder: EventDecoder,
        last: int,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self._source = source
        self._decoder = decoder
        self._last = last
        self._progress = progress
        self.failure: Finding | None = None
        self.position = 0
        self.listeners: list[Callable[[int, DomainEvent], None]] = []

    def events(self) -> Iterator[tuple[int, DomainEvent]]:
        decode = self._decoder.decode
        for row in iter_rows(self._source, self._last, progress=self._progress):
            try:
                event = decode(row.originator_id, row.version, row.topic, row.state)
            except Exception as error:  # any undecodable row: report, don't crash
                self.failure = _row_finding(
                    f"the event at position {row.position} cannot be read ({type(error).__name__})",
                    row,
                )
                return
            self.position = row.position
            for listener in self.listeners:
                listener(row.position, event)
            yield row.position, event


def verify_store(
    source: ChainSource,
    decoder: EventDecoder,
    projection_store: ProjectionStore,
    models: Sequence[ReadModel[Any]],
    *,
    last: int | None = None,
    expect_seal: str | None = None,
    today: date | None = None,
    snapshots: Callable[[], tuple[int, list[str]]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
    """Run the three checks against a store (see the module's docstring).

    The log is checked up to position `last` (a read-only session's pin), or to its head.
    Rules are checked on every day up to `today` (an event dated after it breaks one too).
    A database that fails raises `StoreUnavailable`; anything the data itself does wrong
    is a finding. `snapshots`, when given, compares the aggregate snapshots with a replay
    (see `caseload.audit.snapshots`) and returns how many agree and what differs.
    `progress(done, total)` hears how far the two passes over the log have come.
    """
    # Imported here: the registry's programmes build their rules on caseload.audit.
    from caseload.audit.rules import check_rules
    from caseload.programmes import PROGRAMMES

    if expect_seal is not None:
        expect_seal = expect_seal.strip().lower()
    # States and seals first, then the head: a worker can only have stored states, and a
    # sealer sealed positions, that were already recorded, so none looks as if it were
    # past the end of the log while others go on writing.
    names = [*(model.name for model in models), INDEX]
    stored = projection_store.load(names, {model.name: model.version for model in models})
    # A model stored only at another version is named as such (nothing reads it).
    stored = projection_store.load([n for n in names if n not in stored]) | stored
    seals = source.seals()
    head = source.head()
    last = head if last is None else last
    total = 2 * last

    def first(position: int) -> None:
        if progress is not None:
            progress(position, total)

    def second(position: int) -> None:
        if progress is not None:
            progress(last + position, total)

    try:
        chain = check_chain(source, last, expect_seal, head=head, seals=seals, progress=first)
    except CaseloadError:
        raise
    except Exception as error:
        finding = Finding(f"the chain could not be checked ({type(error).__name__})")
        chain = Check(CHAIN, False, finding.message, finding)

    replay = _Replay(source, decoder, last, second)
    rules: Any = None
    derived: DerivedData | None = None
    try:
        derived = DerivedData(models, projection_store, stored, last, head)
        replay.listeners.append(derived)
        books = [kind.rules for kind in PROGRAMMES]
        rules = check_rules(replay.events(), today=today, books=books)
        derived.finish()
        if snapshots is not None:
            derived.snapshots, snapshot_problems = snapshots()
            derived.problems.extend(snapshot_problems)
    except CaseloadError:
        raise
    except Exception as error:  # data altered into nonsense must not crash verify
        position = replay.position
        replay.failure = replay.failure or (
            Finding(
                f"the log stops making sense at position {position} ({type(error).__name__})",
                position or None,
            )
            if derived is not None
            else Finding(f"the stored read models cannot be read ({type(error).__name__})")
        )
    rules_check = _rules_check(rules, replay.failure)
    models_check = _derived_check(derived, replay.failure)
    return VerifyReport(last, (chain, rules_check, models_check))


def _rules_check(report: Any, failure: Finding | None) -> Check:
    if failure is not None:
        return Check(RULES, False, "the log could not be read to the end", failure)
    if report.ok:
        return Check(RULES, True, report.summary)
    violations = report.violations
    first = violations[0]
    finding = Finding(
        first.message,
        first.position,
        None if first.aggregate_id is None else str(first.aggregate_id),
        first.event_type,
    )
    more = tuple(v.message for v in violations[1:10])
    return Check(RULES, False, report.summary, finding, more)


def _derived_check(derived: DerivedData | None, failure: Finding | None) -> Check:
    if failure is not None or derived is None:
        return Check(READ_MODELS, False, "the log could not be read to the end", failure)
    problems = derived.differences()
    if problems:
        return Check(
            READ_MODELS,
            False,
            f"{len(problems)} stored {'thing differs' if len(problems) == 1 else 'things differ'}"
            " from a fresh fold of the log",
            Finding(problems[0]),
            tuple(problems[1:10]),
        )
    return Check(READ_MODELS, True, derived.summary())

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

from eventsourcing.domain import DomainEvent

from caseload.adapters.chain import ChainSource, iter_rows
from caseload.adapters.read_model_store import ProjectionStore
from caseload.audit.chain_check import check_chain
from caseload.audit.derived import INDEX, DerivedData
from caseload.audit.findings import (
    CHAIN,
    READ_MODELS,
    RULES,
    Check,
    Finding,
    VerifyReport,
    row_finding,
)
from caseload.domain.errors import CaseloadError
from caseload.projections.base import ReadModel

if TYPE_CHECKING:
    # Only a type here: at run time the decoder comes from the application, and importing
    # the log adapter (with the programmes' transcodings) from here would be circular.
    from caseload.adapters.log import EventDecoder

__all__ = ["CHAIN", "Check", "Finding", "VerifyReport", "check_chain", "verify_store"]


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
                self.failure = row_finding(
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

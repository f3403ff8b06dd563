"""Where the log's hash chain was last checked in full, so that a command reading stored
read-model states recomputes only the rows after it.

`caseload rebuild` checks the whole chain before it folds, and records the position it
checked up to, with that position's chain link, beside the read models: the *anchor*. A
rebuild with `--unverified`, or over a broken chain, removes it. `check_since_anchor` then
compares the stored link at the anchor with the recorded one and recomputes only the rows
after it, starting from the recorded link: a row after the anchor altered, deleted or
inserted, or the log up to it rewritten with fresh links, breaks the check. The stored
states were folded from the rows up to the anchor as they stood when checked; an edit of
such a row that leaves every link alone changes no number folded from it, and only
`caseload verify` (which recomputes every row) finds it. Without an anchor the whole
chain is checked.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from caseload.adapters.chain import ChainSource
from caseload.adapters.hashes import GENESIS
from caseload.adapters.read_model_store import ProjectionStore, StoredState, compress
from caseload.audit.chain_check import check_chain
from caseload.audit.findings import CHAIN, Check, Finding
from caseload.domain.errors import CaseloadError, LogAltered

if TYPE_CHECKING:
    from caseload.application.caseload import Caseload

__all__ = [
    "ANCHOR",
    "Anchor",
    "check_and_anchor",
    "check_since_anchor",
    "forget_anchor",
    "load_anchor",
    "require_unaltered",
]

logger = logging.getLogger("caseload.audit")

ANCHOR = "#chain"
"""The name the anchor is stored under among the read models (no read model has a `#`)."""


@attrs.frozen
class Anchor:
    """A log position up to which the whole chain was checked, and its link there."""

    position: int
    link: bytes


def load_anchor(store: ProjectionStore) -> Anchor | None:
    """The recorded anchor, or None when there is none (or it is unreadable)."""
    stored = store.load([ANCHOR]).get(ANCHOR)
    if stored is None:
        return None
    try:
        link = bytes.fromhex(stored.digest)
    except ValueError:
        return None  # an anchor altered into nonsense anchors nothing: check everything
    return Anchor(stored.position, link)


def _stored_link(source: ChainSource, position: int) -> bytes | None:
    if position == 0:
        return GENESIS
    found = source.links(position - 1, position, 1)
    if not found or found[0][0] != position or type(found[0][1]) not in (bytes, memoryview):
        return None
    return bytes(found[0][1])


def check_since_anchor(
    source: ChainSource,
    store: ProjectionStore,
    last: int,
    *,
    head: int | None = None,
    seals: Sequence[tuple[Any, Any, Any, Any, Any]] | None = None,
) -> Check:
    """Check the chain up to `last` from the recorded anchor (see the module's docstring),
    or from the start of the log when no anchor is recorded."""
    anchor = load_anchor(store)
    if anchor is None:
        return check_chain(source, last, head=head, seals=seals)
    if _stored_link(source, anchor.position) != anchor.link:
        finding = Finding(
            f"the chain link at position {anchor.position} is not the one checked when the "
            "read models were last rebuilt: the log up to that position was rewritten",
            anchor.position,
        )
        return Check(CHAIN, False, finding.message, finding)
    return check_chain(source, last, head=head, seals=seals, after=(anchor.position, anchor.link))


def check_and_anchor(source: ChainSource, store: ProjectionStore) -> Check:
    """Check the whole chain up to the head, and record the head as the anchor when it is
    intact; when it is broken, remove any anchor, so that every later check is whole."""
    last = source.head()
    try:
        check = check_chain(source, last, head=last)
    except CaseloadError:
        raise
    except Exception as error:  # rows altered into nonsense: a broken chain, not a crash
        check = Check(CHAIN, False, f"the chain could not be checked ({type(error).__name__})")
    link = _stored_link(source, last) if check.ok else None
    if link is None:
        forget_anchor(store)
        return check
    store.commit({}, {ANCHOR: StoredState(1, last, compress(b"{}"), link.hex())})
    return check


def forget_anchor(store: ProjectionStore) -> None:
    """Remove the anchor (a rebuild that did not check the chain), so every later check
    covers the whole log."""
    store.delete([ANCHOR])


def require_unaltered(app: Caseload, *, from_anchor: bool = False) -> None:
    """Check the hash chain of `app`'s log (up to a session's pin; with `from_anchor`,
    only after the position the last rebuild checked); `LogAltered` names where it
    breaks. What every command that computes from the log (status, the reports, export)
    asks first."""
    check = app.check_chain(from_anchor=from_anchor)
    if not check.ok:
        finding = check.finding
        where = check.summary if finding is None else finding.message
        if finding is not None and finding.event_type is not None:
            where += f" (type {finding.event_type})"
        position = None if finding is None else finding.position
        logger.debug("refused: the hash chain breaks at position %s", position)
        raise LogAltered(
            f"the log's hash chain is broken, so nothing is computed from it: {where}; "
            "`caseload verify` reports every check, and --unverified proceeds knowingly"
        )

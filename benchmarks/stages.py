"""Where a rebuild's time and memory go: a rebuild timed by stage, each read model's fold
alone, and the bytes each state keeps per trajectory."""

from __future__ import annotations

import functools
import gc
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from benchmarks.logs import TODAY
from caseload import Caseload
from caseload.programmes import default_read_models


def _timed(spent: dict[str, float], stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, adding its wall time to `spent[stage]`."""

    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[stage] += time.perf_counter() - started

    return timed


@contextmanager
def _hooked(spent: dict[str, float], stage: str, owner: object, name: str) -> Iterator[None]:
    """Time `owner.name` as `stage` while inside (nothing, if the engine has no such part)."""
    original = getattr(owner, name, None)
    if original is None:
        yield
        return
    spent.setdefault(stage, 0.0)
    setattr(owner, name, _timed(spent, stage, original))
    try:
        yield
    finally:
        setattr(owner, name, original)


def staged_rebuild(app: Caseload) -> dict[str, float]:
    """A rebuild with the seconds of its stages: reading and decoding the log, the time
    index, encoding states (checkpoints and writes), writing to the database; the rest is
    folding (and the loop around it). The log reader and the read-model store are the ones
    the application wires (`app.wiring`); the stages are timed per batch or per state, not
    per event, so timing them costs next to nothing. A stage the engine no longer has is
    left out."""
    from caseload.projections import stored_state
    from caseload.projections.time_index import TimeIndex

    spent: dict[str, float] = {}
    source, store = app.wiring.log_reader(), app.wiring.read_models()
    with ExitStack() as hooks:
        for stage, owner, name in (
            ("read and decode", source, "read"),
            ("read and decode", source, "read_for"),
            ("read and decode", source, "read_kinds"),
            ("write", store, "commit"),
            ("encode states", stored_state, "freeze"),
            ("time index", TimeIndex, "see_all"),
        ):
            hooks.enter_context(_hooked(spent, stage, owner, name))
        started = time.perf_counter()
        app.projections.rebuild()
        total = time.perf_counter() - started
    spent["fold (the rest)"] = total - sum(spent.values())
    spent["total"] = total
    return spent


def _events(path: Path, limit: int) -> list[Any]:
    """The first `limit` events of the log, decoded as the read models take them."""
    with Caseload(f"sqlite:///{path}", clock=lambda: TODAY) as app:
        return [event for _, event in zip(range(limit), app.events(), strict=False)]


def fold_costs(path: Path, limit: int = 200_000) -> dict[str, float]:
    """Microseconds per event of folding already-decoded events into each read model alone
    (its `apply`, over every event), on the first `limit` events."""
    events = _events(path, limit)
    costs = {}
    gc.disable()
    try:
        for model in default_read_models():
            state = model.initial()
            started = time.perf_counter()
            for event in events:
                model.apply(state, event)
            costs[model.name] = (time.perf_counter() - started) * 1e6 / len(events)
    finally:
        gc.enable()
    return costs


def state_bytes(path: Path, limit: int = 200_000) -> tuple[int, dict[str, float]]:
    """Bytes each read model's state allocates per trajectory opened, folding the first
    `limit` events (tracemalloc; objects the decoder made and a state keeps, such as ids
    and dates, are not counted)."""
    from caseload.programmes.resource_pathway.domain.trajectory import Trajectory

    events = _events(path, limit)
    opened = sum(1 for event in events if isinstance(event, Trajectory.Opened))
    sizes = {}
    for model in default_read_models():
        tracemalloc.start()
        state = model.initial()
        for event in events:
            model.apply(state, event)
        sizes[model.name] = tracemalloc.get_traced_memory()[0] / max(opened, 1)
        tracemalloc.stop()
        del state
    return opened, sizes

"""Read models whose trajectories know when they closed keep the closed ones in chunks by
the month they closed, which stop changing once the month is over."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any
from uuid import UUID

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload import Caseload, Channel, ClosureReason, Role
from caseload.programmes.resource_pathway.read_models.attention import AttentionModel
from caseload.programmes.resource_pathway.read_models.employer_activity import (
    EmployerActivityModel,
)
from caseload.programmes.resource_pathway.read_models.flow import FlowModel
from caseload.programmes.resource_pathway.read_models.outcomes import OutcomesModel
from caseload.programmes.resource_pathway.read_models.progression import ProgressionModel
from caseload.programmes.resource_pathway.read_models.reviews import ReviewsModel
from caseload.programmes.resource_pathway.read_models.role_coverage import RoleCoverageModel
from caseload.programmes.resource_pathway.read_models.staffing import StaffingModel
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from caseload.projections.base import Entries, ReadModel
from caseload.projections.entities import EntityMap, chunk_text, evicting
from caseload.projections.stored_state import freeze_chunked, thaw_state
from tests.conftest import KEY, fixed_clock
from tests.unit._support import new_app

RETIRING = [EmployerActivityModel, FlowModel, OutcomesModel, ReviewsModel, StaffingModel]
KEPT_APART = [AttentionModel, RoleCoverageModel]
"""Read models that keep closed trajectories in a map of their own (`closed`)."""


def _trajectories(data: Any, field: str = "trajectories") -> Entries[Any, Any]:
    entries = data if isinstance(data, Entries) else data[field]
    assert isinstance(entries, Entries)
    return entries


@pytest.mark.parametrize("kind", RETIRING, ids=lambda kind: kind.name)
def test_a_closed_trajectory_is_kept_in_the_chunk_of_the_month_it_closed(
    kind: type[ReadModel[Any]],
) -> None:
    """Of two trajectories, the one closed in May 2024 is in a chunk of that month
    (`~2024-05` and its id's first hex digit), after the open one's chunk."""
    state, kept, closed = _two_trajectories(kind())
    chunks = _trajectories(kind().encode(state)).chunk_map()
    assert list(chunks) == ["", f"~2024-05{closed.hex[0]}"]
    open_text, retired_text = (chunk[0] or b"" for chunk in chunks.values())
    assert closed.hex.encode() in retired_text
    assert kept.hex.encode() in open_text
    assert closed.hex.encode() not in open_text


@pytest.mark.parametrize("kind", KEPT_APART, ids=lambda kind: kind.name)
def test_a_closed_trajectory_kept_apart_is_in_the_chunk_of_the_month_it_closed(
    kind: type[ReadModel[Any]],
) -> None:
    """A read model that keeps closed trajectories apart keeps them in chunks by the month
    they closed too: the open one's chunk holds it alone, the closed one is in `~2024-05`
    and its id's first hex digit, and its stored entry names the day it closed."""
    model = kind()
    state, kept, closed = _two_trajectories(model)
    encoded = model.encode(state)
    opened = encoded["trajectories"].chunk_map()
    retired = encoded["closed"].chunk_map()
    assert list(opened) == [""]
    assert list(retired) == [f"~2024-05{closed.hex[0]}"]
    assert kept.hex.encode() in (opened[""][0] or b"")
    text = retired[f"~2024-05{closed.hex[0]}"][0] or b""
    assert closed.hex.encode() in text
    assert b'"2024-05-20"' in text
    restored = model.decode(thaw_state(freeze_chunked(model, state, 1)))
    assert model.digest(restored) == model.digest(state)


def _two_trajectories(model: ReadModel[Any]) -> tuple[Any, UUID, UUID]:
    """A state of `model` with two trajectories, one still open and one closed on
    2024-05-20, and the ids of the two."""
    with new_app() as app:
        app.configure_programme(name="P", on=date(2024, 1, 1))
        broker = app.register_broker(name="B", team="T", on=date(2024, 1, 1))
        kept = app.open_trajectory(cpr="0101901234", on=date(2024, 2, 1))
        closed = app.open_trajectory(cpr="0202901234", on=date(2024, 2, 1))
        app.assign(kept, broker, on=date(2024, 2, 2))
        app.assign(closed, broker, on=date(2024, 2, 2))
        app.close_trajectory(closed, on=date(2024, 5, 20), reason=ClosureReason.MOVED)
        return model.project(app.events()), kept, closed


def test_a_measured_trajectory_that_closed_is_in_the_chunk_of_the_month_it_closed() -> None:
    """Progression keeps a row per measured trajectory: once the trajectory closes, its row
    names the day and sits in the chunk of that month; a trajectory never measured has no
    row, closed or not."""
    model = ProgressionModel()
    with new_app() as app:
        app.configure_programme(name="P", on=date(2024, 1, 1))
        broker = app.register_broker(name="B", team="T", on=date(2024, 1, 1))
        kept, closed, unmeasured = (
            app.open_trajectory(cpr=cpr, on=date(2024, 2, 1))
            for cpr in ("0101901234", "0202901234", "0303901234")
        )
        for trajectory in (kept, closed, unmeasured):
            app.assign(trajectory, broker, on=date(2024, 2, 2))
        for trajectory in (kept, closed):
            app.record_progress(trajectory, on=date(2024, 3, 1), scores={"health_coping": 2})
        for trajectory in (closed, unmeasured):
            app.close_trajectory(trajectory, on=date(2024, 5, 20), reason=ClosureReason.MOVED)
        state = model.project(app.events())
    chunks = _trajectories(model.encode(state)).chunk_map()
    assert list(chunks) == ["", f"~2024-05{closed.hex[0]}"]
    open_text, retired_text = (chunk[0] or b"" for chunk in chunks.values())
    assert kept.hex.encode() in open_text
    assert closed.hex.encode() in retired_text
    assert b'"2024-05-20"' in retired_text
    assert unmeasured.hex.encode() not in open_text + retired_text
    restored = model.decode(thaw_state(freeze_chunked(model, state, 1)))
    assert model.digest(restored) == model.digest(state)


@functools.cache
def _programme(seed: int) -> tuple[Any, ...]:
    """The events of a small simulated programme (closures and late facts among them)."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        simulate(app, SimulationConfig(brokers=3, citizens=40, months=4, seed=seed))
        return tuple(app.events())


EVICTING = [
    *((kind, "trajectories") for kind in RETIRING),
    (ProgressionModel, "trajectories"),
    *((kind, "closed") for kind in KEPT_APART),
]
"""Each read model whose closed trajectories leave memory once encoded, and its map of them."""


@pytest.mark.parametrize(
    ("kind", "field"), EVICTING, ids=lambda value: getattr(value, "name", value)
)
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 5), every=st.integers(1, 60))
def test_a_state_encoded_along_the_way_holds_what_a_direct_fold_does(
    kind: type[ReadModel[Any]], field: str, seed: int, every: int
) -> None:
    """Folding a simulated programme (closures, and late facts about closed trajectories)
    into a retiring model while encoding its state every few events, so that closed
    trajectories leave the map and late facts bring them back, gives the entries and
    digest of a fold never encoded; once encoded, every retired entry has left the map."""
    events = _programme(seed)
    model = kind()
    encoded, plain = model.initial(), model.initial()
    with evicting():  # as a rebuild does
        for number, event in enumerate(events):
            model.apply(encoded, event)
            model.apply(plain, event)
            if number % every == 0:
                model.digest(encoded)
        assert model.digest(encoded) == model.digest(plain)
    held = _trajectories(model.encode(encoded), field).items
    assert isinstance(held, EntityMap)
    whole = _trajectories(model.encode(plain), field)
    assert len(held) == len(whole.items)
    retired = sum(
        len(orjson.loads(b"{" + chunk_text(chunk)[1:] + b"}"))
        for key, chunk in whole.chunk_map().items()
        if key.startswith("~")
    )
    assert held.evicted == retired  # type: ignore[attr-defined]
    assert encoded == plain


def test_a_rebuild_lets_closed_trajectories_go_and_a_catch_up_keeps_what_a_walk_brought_back() -> (
    None
):
    """A rebuild encodes within `evicting()`: the closed trajectories of coverage are out
    of its dict afterwards. A query's walk brings them back, and the catch-up of a contact
    after it (which writes coverage again) keeps them, so that the write costs the event,
    not the walk."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        simulate(app, SimulationConfig(brokers=3, citizens=40, months=4, seed=1))
        app.projections.rebuild()
        closed = app.projections.state("role_coverage").closed
        assert isinstance(closed, EntityMap)
        assert closed.evicted > 0
        walked = len(list(closed.values()))
        assert closed.evicted == 0
        broker = next(row.broker_id for row in app.caseload() if row.active_cases)
        case = next(iter(app.broker(broker).active_cases))
        head = app.head()
        app.record_contact(
            case, on=fixed_clock(), roles={Role.COACH}, channel=Channel.PHONE, by=broker
        )
        app.projections.catch_up(persist=True)
        assert app.projections.state("role_coverage").closed is closed
        assert app.head() == head + 1
        assert closed.evicted == 0
        assert dict.__len__(closed) == walked

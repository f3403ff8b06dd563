"""Read models whose trajectories know when they closed keep the closed ones in chunks by
the month they closed, which stop changing once the month is over."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload import Caseload, ClosureReason
from caseload.programmes.resource_pathway.read_models.employer_activity import (
    EmployerActivityModel,
)
from caseload.programmes.resource_pathway.read_models.flow import FlowModel
from caseload.programmes.resource_pathway.read_models.outcomes import OutcomesModel
from caseload.programmes.resource_pathway.read_models.reviews import ReviewsModel
from caseload.programmes.resource_pathway.read_models.staffing import StaffingModel
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from caseload.projections.base import Entries, ReadModel
from caseload.projections.entities import EntityMap
from tests.conftest import KEY, fixed_clock
from tests.unit._support import new_app

RETIRING = [EmployerActivityModel, FlowModel, OutcomesModel, ReviewsModel, StaffingModel]


def _trajectories(data: Any) -> Entries[Any, Any]:
    entries = data if isinstance(data, Entries) else data["trajectories"]
    assert isinstance(entries, Entries)
    return entries


@pytest.mark.parametrize("kind", RETIRING, ids=lambda kind: kind.name)
def test_a_closed_trajectory_is_kept_in_the_chunk_of_the_month_it_closed(
    kind: type[ReadModel[Any]],
) -> None:
    """Of two trajectories, the one closed in May 2024 is in a chunk of that month
    (`~2024-05` and its id's first hex digit), after the open one's chunk."""
    model = kind()
    with new_app() as app:
        app.configure_programme(name="P", on=date(2024, 1, 1))
        broker = app.register_broker(name="B", team="T", on=date(2024, 1, 1))
        kept = app.open_trajectory(cpr="0101901234", on=date(2024, 2, 1))
        closed = app.open_trajectory(cpr="0202901234", on=date(2024, 2, 1))
        app.assign(kept, broker, on=date(2024, 2, 2))
        app.assign(closed, broker, on=date(2024, 2, 2))
        app.close_trajectory(closed, on=date(2024, 5, 20), reason=ClosureReason.MOVED)
        state = model.project(app.events())
    chunks = _trajectories(model.encode(state)).chunk_map()
    assert list(chunks) == ["", f"~2024-05{closed.hex[0]}"]
    open_text, retired_text = (chunk[0] or b"" for chunk in chunks.values())
    assert closed.hex.encode() in retired_text
    assert kept.hex.encode() in open_text
    assert closed.hex.encode() not in open_text


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16), every=st.integers(1, 60))
def test_a_state_encoded_along_the_way_holds_what_a_direct_fold_does(seed: int, every: int) -> None:
    """Folding a simulated programme (closures, and late facts about closed trajectories)
    into each retiring model while encoding its state every few events, so that closed
    trajectories leave the map and late facts bring them back, gives the entries and
    digest of a fold never encoded."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        simulate(app, SimulationConfig(brokers=3, citizens=40, months=4, seed=seed))
        events = list(app.events())
    evicted = 0
    for kind in RETIRING:
        model = kind()
        encoded, plain = model.initial(), model.initial()
        for number, event in enumerate(events):
            model.apply(encoded, event)
            model.apply(plain, event)
            if number % every == 0:
                model.digest(encoded)
                evicted = max(evicted, _trajectories(model.encode(encoded)).items.evicted)  # type: ignore[attr-defined]
        assert model.digest(encoded) == model.digest(plain)
        held = _trajectories(model.encode(encoded)).items
        assert isinstance(held, EntityMap)
        assert len(held) == len(_trajectories(model.encode(plain)).items)
        assert encoded == plain
    assert evicted > 0  # closed trajectories did leave the maps along the way

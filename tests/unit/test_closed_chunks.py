"""Read models whose trajectories know when they closed keep the closed ones in chunks by
the month they closed, which stop changing once the month is over."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from caseload import ClosureReason
from caseload.programmes.resource_pathway.read_models.employer_activity import (
    EmployerActivityModel,
)
from caseload.programmes.resource_pathway.read_models.flow import FlowModel
from caseload.programmes.resource_pathway.read_models.outcomes import OutcomesModel
from caseload.programmes.resource_pathway.read_models.reviews import ReviewsModel
from caseload.programmes.resource_pathway.read_models.staffing import StaffingModel
from caseload.projections.base import Entries, ReadModel
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

"""Several read models replayed as of one cut in one pass equal each replayed alone."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from caseload import Caseload
from caseload.programmes import default_read_models
from caseload.projections.settings import ProjectionSettings
from caseload.testing import histories, run_history
from tests.conftest import KEY, fixed_clock

START = date(2024, 1, 1)
MODELS = {model.name: model for model in default_read_models()}


def digests(states: dict[str, object]) -> dict[str, str]:
    return {name: MODELS[name].digest(state) for name, state in states.items()}


@settings(max_examples=40, deadline=None)
@given(
    history=histories(max_size=40),
    checkpoint_every=st.integers(min_value=1, max_value=30),
    index_every=st.integers(min_value=1, max_value=16),
    data=st.data(),
)
def test_one_pass_as_of_equals_each_model_as_of(
    history: list[object], checkpoint_every: int, index_every: int, data: st.DataObject
) -> None:
    """For any history, checkpoint spacing and cut (a day, a moment, or both), the states
    `states_as_of` replays together equal those `state_as_of` replays one by one."""
    chosen = ProjectionSettings(
        checkpoint_every=checkpoint_every, index_every=index_every, persist_every=1
    )
    with Caseload(
        "memory://", pseudonym_key=KEY, clock=fixed_clock, projection_settings=chosen
    ) as app:
        run_history(app, history, start=START)
        projections = app.projections
        # Checkpoints are taken as the live states fold, part of the way or all of it.
        if data.draw(st.booleans(), label="caught up first"):
            projections.catch_up(persist=True)
        moments = [event.timestamp for _, event in app.history()]
        known = data.draw(st.none() | st.sampled_from(moments or [None]), label="known")
        day = data.draw(
            st.none()
            | st.integers(min_value=-3, max_value=len(history) + 3).map(
                lambda n: START + timedelta(days=n)
            ),
            label="day",
        )
        if known is None and day is None:
            day = START
        names = data.draw(
            st.lists(st.sampled_from(projections.names), min_size=1, unique=True),
            label="models",
        )
        together = projections.states_as_of(names, as_known_at=known, as_true_on=day)
        alone = {
            name: projections.state_as_of(name, as_known_at=known, as_true_on=day) for name in names
        }
        assert list(together) == names
        assert digests(together) == digests(alone)

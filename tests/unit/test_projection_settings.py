"""The runner's settings refuse values it cannot work with, naming the setting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseload.domain.errors import CaseloadError, InvalidValue
from caseload.projections.settings import ProjectionSettings

LEAST = {
    "batch_size": 1,
    "persist_every": 1,
    "checkpoint_every": 1,
    "checkpoints_per_doubling": 0,
    "index_every": 1,
    "persist_seconds": 0,
    "persist_work_ratio": 0,
}
"""Each setting and the least value it takes."""


@pytest.mark.parametrize("name", sorted(LEAST))
@given(data=st.data())
def test_a_setting_below_its_least_or_not_a_number_is_refused(
    name: str, data: st.DataObject
) -> None:
    """Any value under a setting's least, a bool or a text raises InvalidValue (a
    CaseloadError) that names the setting and the value."""
    least = LEAST[name]
    bad = data.draw(
        st.one_of(
            st.integers(max_value=least - 1),
            st.floats(max_value=least - 0.001, allow_nan=False),
            st.booleans(),
            st.text(max_size=5),
        ),
        label="value",
    )
    with pytest.raises(InvalidValue) as refused:
        ProjectionSettings(**{name: bad})
    assert isinstance(refused.value, CaseloadError)
    assert name in str(refused.value)
    assert repr(bad) in str(refused.value)


@pytest.mark.parametrize("name", sorted(LEAST))
@given(value=st.integers(min_value=0, max_value=10**9))
def test_a_setting_at_or_above_its_least_is_kept(name: str, value: int) -> None:
    """Any number from the setting's least up is taken as given."""
    value = max(value, LEAST[name])
    assert getattr(ProjectionSettings(**{name: value}), name) == value

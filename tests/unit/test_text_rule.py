"""One rule for every free-text field: one line of at most 200 ordinary characters.

A name with a line break, a line separator (U+2028), a lone surrogate or a megabyte of
text is refused with a CaseloadError that does not repeat it, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseload import Caseload, CaseloadError, IndicatorSet
from caseload.domain.text import MAX_TEXT_LENGTH
from tests.conftest import KEY, fixed_clock

DAY = date(2025, 1, 6)

refused_characters = st.sampled_from(
    ["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\ud800", "\udfff"]
)
bad_texts = st.one_of(
    st.builds(
        lambda head, bad, tail: head + bad + tail,
        st.text(min_size=1, max_size=5).filter(str.strip),
        refused_characters,
        st.text(max_size=5),
    ),
    st.integers(MAX_TEXT_LENGTH + 1, 1_000_000).map(lambda n: "x" * n),
    st.just(""),
    st.just("   "),
)

Setter = Callable[[Caseload, str], object]
FIELDS: dict[str, Setter] = {
    "broker name": lambda app, v: app.register_broker(name=v, team="T", on=DAY),
    "team": lambda app, v: app.register_broker(name="B", team=v, on=DAY),
    "programme name": lambda app, v: app.configure_programme(name=v, on=DAY),
    "indicator name": lambda app, v: app.configure_programme(
        name="P", on=DAY, indicators=IndicatorSet(names=("job_search", v))
    ),
}


@pytest.mark.parametrize("field", FIELDS)
@given(value=bad_texts)
def test_bad_free_text_is_refused_without_being_repeated(field: str, value: str) -> None:
    """Each free-text field refuses the value, its message does not hold it, nothing is written."""
    app = Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)
    with pytest.raises(CaseloadError) as refused:
        FIELDS[field](app, value)
    message = str(refused.value)
    assert field.split()[0] in message
    if value.strip() and len(value) > 3:
        assert value not in message
    assert app.head() == 0


@pytest.mark.parametrize("field", FIELDS)
@given(
    value=st.text(
        st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
        min_size=1,
        max_size=MAX_TEXT_LENGTH,
    ).filter(str.strip)
)
def test_ordinary_text_up_to_the_limit_is_accepted(field: str, value: str) -> None:
    """Any one line of ordinary characters up to 200 long is accepted in every field."""
    app = Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)
    FIELDS[field](app, value)
    assert app.head() > 0

"""Targets: decided per scheme, target groups and year, versioned by decision date, known
only from when they were recorded; "not relevant" is a value of its own, not 0."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload import NOT_RELEVANT, InvalidTarget, Scheme, TargetGroup
from caseload.programmes.education.domain.values import EMPLOYED, UNEMPLOYED, TargetValue
from caseload.testing import configure_seed_programme
from tests.conftest import KEY, TODAY, fixed_clock
from tests.unit._education import DECIDED, education_app

INSURED = TargetGroup.INSURED_UNEMPLOYED

decisions = st.lists(
    st.tuples(
        st.sampled_from([2021, 2022]),
        st.integers(0, 80) | st.just(NOT_RELEVANT),
        st.dates(date(2020, 6, 1), date(2022, 12, 31)),
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=25)
@given(
    decided=decisions,
    known=st.integers(0, 5),
    on=st.dates(date(2020, 1, 1), date(2023, 6, 30)),
    year=st.sampled_from([2021, 2022]),
)
def test_a_target_is_the_latest_decision_known_then_and_in_force_on_the_day(
    decided: list[tuple[int, TargetValue, date]], known: int, on: date, year: int
) -> None:
    """As known at the moment the first `known` decisions had been recorded, and as in force
    on day `on`, the target of a year is the last of those decisions for that year dated on
    or before `on` (None when there is none)."""
    app = education_app()
    moments = [datetime.now(UTC)]
    for decision_year, value, decided_on in decided:
        time.sleep(0.002)  # distinct recording moments
        app.set_target(Scheme.EDUCATION_LIFT, INSURED, decision_year, value, on=decided_on)
        moments.append(datetime.now(UTC))
    cut = min(known, len(decided))
    expected = None
    for decision_year, value, decided_on in decided[:cut]:
        if decision_year == year and decided_on <= on:
            expected = value
    found = app.education_target(
        Scheme.EDUCATION_LIFT, INSURED, year, as_known_at=moments[cut], as_true_on=on
    )
    assert found == expected
    # Without a moment: every decision recorded so far.
    everything = None
    for decision_year, value, decided_on in decided:
        if decision_year == year and decided_on <= on:
            everything = value
    assert app.education_target(Scheme.EDUCATION_LIFT, INSURED, year, as_true_on=on) == everything


def test_not_relevant_is_not_zero() -> None:
    """A target of 0 and a target not relevant are told apart in the reports; neither has a
    share or puts a row behind."""
    app = education_app()
    app.set_target(Scheme.EDUCATION_LIFT_110, INSURED, 2022, NOT_RELEVANT, on=DECIDED)
    app.set_target(Scheme.EDUCATION_LIFT, INSURED, 2022, 0, on=DECIDED)
    status = app.education_monthly("2022-03")
    lift, _, lift_110, *_ = status.rows
    assert lift_110.year.target is NOT_RELEVANT
    assert lift_110.year.target != 0
    assert lift.year.target == 0
    for row in (lift, lift_110):
        assert (row.year.share, row.year.behind) == (None, False)
    assert lift.year.expected == 0.0
    assert lift_110.year.expected is None


@pytest.mark.parametrize(
    ("year", "count", "match"),
    [
        (2020, 5, "a year of the programme's period"),
        (2023, 5, "a year of the programme's period"),
        (2021, -1, "whole number of starts from 0"),
        (2021, True, "whole number of starts from 0"),
        (2021, 2.5, "whole number of starts from 0"),
    ],
)
def test_a_target_outside_the_period_or_not_a_count_is_refused(
    year: int, count: object, match: str
) -> None:
    """Targets are for the programme's years and count whole starts (or are not relevant)."""
    app = education_app()
    with pytest.raises(InvalidTarget, match=match):
        app.set_target(Scheme.EDUCATION_LIFT, INSURED, year, count, on=DECIDED)  # type: ignore[arg-type]


def test_the_seed_fixture_holds_the_application_s_table() -> None:
    """The seed programme: its period, the five rows of targets for 2021 and 2022 exactly as
    the application gives them, and the education lifts of 2017 to 2020."""
    from caseload import Caseload

    app = Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock)
    configure_seed_programme(app)
    job_ready = TargetGroup.JOB_READY_CASH_BENEFIT
    table = {
        (Scheme.EDUCATION_LIFT, frozenset({INSURED})): (5, 25),
        (Scheme.EDUCATION_LIFT, frozenset({job_ready})): (10, 10),
        (Scheme.EDUCATION_LIFT_110, frozenset({INSURED})): (40, NOT_RELEVANT),
        (Scheme.ADULT_APPRENTICESHIP, UNEMPLOYED): (30, 30),
        (Scheme.ADULT_APPRENTICESHIP, EMPLOYED): (75, 75),
    }
    for (scheme, groups), (in_2021, in_2022) in table.items():
        assert app.education_target(scheme, groups, 2021) == in_2021
        assert app.education_target(scheme, groups, 2022) == in_2022
    history = [
        (p.year, p.scheme, p.count) for p in app.education_history() if p.source == "baseline"
    ]
    assert history == [
        (2017, Scheme.EDUCATION_LIFT, 9),
        (2018, Scheme.EDUCATION_LIFT, 4),
        (2019, Scheme.EDUCATION_LIFT, 2),
        (2020, Scheme.EDUCATION_LIFT, 2),
        (2020, Scheme.EDUCATION_LIFT_110, 12),
    ]
    status = app.education_half_year("2021H1", as_true_on=TODAY)
    assert [row.label for row in status.rows] == [
        "insured unemployed → education lift",
        "job-ready cash-benefit recipient → education lift",
        "insured unemployed → 110 % education lift",
        "unemployed → adult apprenticeship",
        "employed → adult apprenticeship",
    ]

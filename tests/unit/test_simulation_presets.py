"""The simulation's configuration: presets, explicit values over a preset's, and a default
start that makes a run of any length end by today."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseload.domain.errors import InvalidValue
from caseload.simulation import PRESETS, SimulationConfig, default_start, simulation_config
from caseload.simulation.presets import Preset

TODAY = date(2026, 11, 27)


@given(today=st.dates(date(1990, 1, 1), date(2200, 12, 31)), months=st.integers(1, 600))
def test_the_default_start_is_a_first_of_the_month_from_which_the_run_ends_by_today(
    today: date, months: int
) -> None:
    start = default_start(months, today)
    config = SimulationConfig(months=months, start=start)
    assert start.day == 1
    assert config.end <= today
    config.check_ends_by(today)
    # And no more than a month earlier than `months` months before today's month.
    months_back = (today.year - start.year) * 12 + today.month - start.month
    assert months_back in (months, months + 1)


def test_the_default_start_is_the_month_so_many_months_back() -> None:
    assert default_start(36, TODAY) == date(2023, 11, 1)
    assert default_start(1, date(2026, 1, 15)) == date(2025, 12, 1)


def test_thirty_six_months_with_the_default_start_is_accepted() -> None:
    """`simulate --months 36` without --start: valid on every day."""
    for offset in range(0, 400, 7):
        today = TODAY + timedelta(days=offset)
        simulation_config(today=today, months=36).check_ends_by(today)


def test_the_viborg_preset() -> None:
    config = simulation_config(today=TODAY, preset="viborg")
    assert (config.citizens, config.brokers, config.months, config.teams) == (300, 10, 36, 1)
    assert config.start == date(2023, 11, 1)


def test_the_national_preset_resolves() -> None:
    config = simulation_config(today=TODAY, preset="national")
    assert (config.citizens, config.brokers, config.teams) == (18_000, 600, 98)
    assert config.months == 36
    assert config.brokers * 30 == config.citizens  # every broker at the limit of 30


def test_explicit_values_override_a_presets() -> None:
    config = simulation_config(
        today=TODAY, preset="national", citizens=40, brokers=4, months=2, seed=7
    )
    assert (config.citizens, config.brokers, config.months, config.seed) == (40, 4, 2, 7)
    assert config.teams == 98
    assert config.start == date(2026, 9, 1)
    given_start = simulation_config(today=TODAY, preset="viborg", start=date(2022, 1, 3))
    assert given_start.start == date(2022, 1, 3)


def test_without_a_preset_the_defaults_apply() -> None:
    config = simulation_config(today=TODAY)
    default = SimulationConfig()
    assert (config.citizens, config.brokers, config.months, config.teams) == (
        default.citizens,
        default.brokers,
        default.months,
        default.teams,
    )


def test_an_unknown_preset_is_refused_with_the_choices() -> None:
    with pytest.raises(InvalidValue, match="national, viborg"):
        simulation_config(today=TODAY, preset="aarhus")


def test_a_simulation_needs_a_team() -> None:
    with pytest.raises(InvalidValue, match="0 team"):
        SimulationConfig(teams=0)


def test_every_preset_is_named_by_its_key_and_fills_its_brokers() -> None:
    for name, preset in PRESETS.items():
        assert isinstance(preset, Preset)
        assert preset.name == name
        assert preset.citizens <= preset.brokers * 30


def test_the_command_line_offers_every_preset() -> None:
    from caseload.cli.programme import PresetName

    assert {choice.value for choice in PresetName} == set(PRESETS)

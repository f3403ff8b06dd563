"""Named sizes of a simulated resource-pathway programme (`caseload simulate --preset`).

Where each number comes from is written in `docs/simulation.md`: the grant application of
Viborg Kommune for the caseload of 30, public facts for the count of municipalities, and
stated assumptions for the rest.
"""

from __future__ import annotations

from datetime import date

import attrs

from caseload.domain.errors import InvalidValue
from caseload.programmes.resource_pathway.simulation import SimulationConfig, default_start

__all__ = ["PRESETS", "Preset", "simulation_config"]


@attrs.frozen
class Preset:
    """A named size of programme: everything of a `SimulationConfig` but the seed and the
    start, which the run chooses."""

    name: str
    citizens: int
    brokers: int
    months: int
    teams: int
    colleagues: int
    description: str


PRESETS: dict[str, Preset] = {
    "viborg": Preset(
        name="viborg",
        citizens=300,
        brokers=10,
        months=36,
        teams=1,
        colleagues=2,
        description="one jobcentre's resource-pathway team: 10 brokers at 30 cases each",
    ),
    "national": Preset(
        name="national",
        citizens=18_000,
        brokers=600,
        months=36,
        teams=98,
        colleagues=98,
        description="every municipality as a team: 600 brokers at 30 cases each",
    ),
}
"""The presets by name."""

_DEFAULT = SimulationConfig()


def simulation_config(
    *,
    today: date,
    preset: str | None = None,
    citizens: int | None = None,
    brokers: int | None = None,
    months: int | None = None,
    teams: int | None = None,
    colleagues: int | None = None,
    seed: int = 1,
    start: date | None = None,
) -> SimulationConfig:
    """The configuration of a run: a preset's values (or the defaults), each overridden by
    the value given explicitly; without `start`, the first day of the month `months`
    months before `today`, so that the run ends by today."""
    base: Preset | SimulationConfig = _DEFAULT
    if preset is not None:
        if preset not in PRESETS:
            raise InvalidValue(f"unknown preset; the presets are {', '.join(sorted(PRESETS))}")
        base = PRESETS[preset]
    chosen_months = base.months if months is None else months
    return SimulationConfig(
        citizens=base.citizens if citizens is None else citizens,
        brokers=base.brokers if brokers is None else brokers,
        months=chosen_months,
        teams=base.teams if teams is None else teams,
        colleagues=base.colleagues if colleagues is None else colleagues,
        seed=seed,
        start=default_start(chosen_months, today) if start is None else start,
    )

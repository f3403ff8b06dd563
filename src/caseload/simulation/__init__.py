"""Realistic synthetic programmes, written through the public API (demo, benchmarks, tests)."""

from caseload.programmes.resource_pathway.simulation import (
    SIMULATION_VERSION,
    SimulationConfig,
    SimulationReport,
    default_start,
    simulate,
    synthetic_cpr,
)
from caseload.simulation.presets import PRESETS, Preset, simulation_config

__all__ = [
    "PRESETS",
    "SIMULATION_VERSION",
    "Preset",
    "SimulationConfig",
    "SimulationReport",
    "default_start",
    "simulate",
    "simulation_config",
    "synthetic_cpr",
]

"""Realistic synthetic programmes, written through the public API (demo, benchmarks, tests)."""

from caseload.programmes.resource_pathway.simulation import (
    SIMULATION_VERSION,
    SimulationConfig,
    SimulationReport,
    simulate,
    synthetic_cpr,
)

__all__ = [
    "SIMULATION_VERSION",
    "SimulationConfig",
    "SimulationReport",
    "simulate",
    "synthetic_cpr",
]

"""The fast log reader yields exactly the events eventsourcing's mapper makes."""

from __future__ import annotations

import pytest

from caseload import Caseload
from caseload.adapters.log import log_reader
from caseload.adapters.storage import parse_store_url
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from tests.conftest import KEY, fixed_clock


@pytest.mark.parametrize(
    "kind", ["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_fast_decoding_equals_the_mapper(kind: str, request: pytest.FixtureRequest) -> None:
    """Every event of a simulated programme, read the fast way, has the same class and the
    same attributes (types included) as the one the mapper decodes."""
    fixture = {"sqlite": "sqlite_url", "postgresql": "postgres_url"}.get(kind)
    url = "memory://" if fixture is None else request.getfixturevalue(fixture)
    with Caseload(url, pseudonym_key=KEY, clock=fixed_clock) as app:
        simulate(app, SimulationConfig(brokers=3, citizens=30, months=2, seed=5))
        reader = log_reader(app.wiring.events, parse_store_url(url))
        fast = reader.read(1, app.head())
        slow = list(app.events())
        assert reader.head() == app.head()
        reader.close()
    assert len(fast) == len(slow) == fast[-1][0]
    for (position, quick), (number, careful) in zip(fast, enumerate(slow, 1), strict=True):
        assert position == number
        assert type(quick) is type(careful)
        assert quick.__dict__ == careful.__dict__
        for name, value in careful.__dict__.items():
            assert type(quick.__dict__[name]) is type(value), name

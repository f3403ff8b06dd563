"""The 30-case rule under any command sequence: the public state machine on every store kind."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from caseload import Caseload
from caseload.testing import CaseloadMachine
from tests.conftest import KEY, examples, fixed_clock


class MemoryCaseloadMachine(CaseloadMachine):
    """The machine as shipped, on memory://."""


TestCaseloadRulesInMemory = MemoryCaseloadMachine.TestCase
TestCaseloadRulesInMemory.settings = settings(
    TestCaseloadRulesInMemory.settings, stateful_step_count=60
)


@pytest.fixture
def sqlite_machine(tmp_path: Path) -> type[CaseloadMachine]:
    """The machine on a SQLite file (a fresh file per example)."""
    counter = iter(range(1_000_000))

    class SqliteCaseloadMachine(CaseloadMachine):
        def make_app(self) -> Caseload:
            path = tmp_path / f"machine-{next(counter)}.db"
            return Caseload(f"sqlite:///{path}", pseudonym_key=KEY, clock=fixed_clock)

    return SqliteCaseloadMachine


def test_caseload_rules_hold_on_sqlite(sqlite_machine: type[CaseloadMachine]) -> None:
    """On a real SQLite file, no command sequence takes a broker past their limit."""
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        sqlite_machine,
        settings=settings(max_examples=examples(15), stateful_step_count=30, deadline=None),
    )

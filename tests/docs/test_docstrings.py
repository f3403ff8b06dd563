"""Every `>>>` example in a docstring under src/caseload runs and prints what it shows."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import caseload

PACKAGE = Path(caseload.__file__).resolve().parent


def modules_with_examples() -> list[str]:
    """The dotted names of the package's modules whose source holds a `>>>` example."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if ">>> " in path.read_text(encoding="utf-8"):
            parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_the_collector_finds_the_caseload_class_example() -> None:
    """The `Caseload` class's docstring example is among those collected."""
    assert "caseload.application.caseload" in modules_with_examples()


@pytest.mark.parametrize("name", modules_with_examples())
def test_docstring_examples_run(name: str) -> None:
    """The module's docstring examples give the output they show."""
    module = importlib.import_module(name)
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert tried > 0, f"{name} mentions `>>> ` but doctest found no example in it"
    assert failures == 0, f"{name}: {failures} of {tried} docstring examples failed (see above)"

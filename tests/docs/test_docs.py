"""Every ```python block in README.md and docs/*.md runs, in order, one namespace per file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks(document: Path) -> list[tuple[int, str]]:
    """The python code blocks of a markdown file, with the line each starts on."""
    text = document.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, match.start()) + 2, match.group(1)) for match in _BLOCK.finditer(text)
    ]


def test_the_docs_have_code_to_run() -> None:
    """The collector finds code in the README (so a broken pattern cannot pass silently)."""
    assert python_blocks(ROOT / "README.md")


def run_blocks(document: Path, blocks: list[tuple[int, str]]) -> None:
    """Run a document's python blocks in order in one fresh namespace."""
    namespace: dict[str, object] = {"__name__": f"docs_{document.stem}"}
    for line, source in blocks:
        code = compile(source, f"{document.relative_to(ROOT)}:{line}", "exec")
        exec(code, namespace)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_code_blocks_run(document: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The document's python blocks run without error, each seeing what earlier ones defined."""
    blocks = python_blocks(document)
    if not blocks:
        pytest.skip(f"{document.name} has no python blocks")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CASELOAD_STORE", raising=False)
    run_blocks(document, blocks)


WRITING_FILES = ["audit.md", "export.md"]
"""The documents whose examples write stores and datasets."""


@pytest.mark.parametrize("name", WRITING_FILES)
def test_examples_that_write_files_run_twice(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader who runs the examples again, in the same directory, succeeds again: they
    write into new temporary directories, never into the working directory."""
    document = ROOT / "docs" / name
    blocks = python_blocks(document)
    assert blocks
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CASELOAD_STORE", raising=False)
    run_blocks(document, blocks)
    run_blocks(document, blocks)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", WRITING_FILES)
def test_shell_examples_that_write_work_in_a_scratch_directory(name: str) -> None:
    """The shell blocks of these documents make a scratch directory before they write, so
    they too can be run twice."""
    text = (ROOT / "docs" / name).read_text(encoding="utf-8")
    shell = re.findall(r"^```bash\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    writing = [block for block in shell if "--store" in block]
    assert writing
    for block in writing:
        assert "$(mktemp -d)" in block, block

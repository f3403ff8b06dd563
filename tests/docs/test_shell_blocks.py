"""Every shell block in README.md and docs/*.md runs, in order, one scratch directory per file.

A block whose fence is directly preceded by `<!-- not run: REASON -->` is left out; the
convention is described in docs/testing.md. Every other ```bash, ```sh or ```shell block of
a document is written, in the document's order, into one bash script that starts with
`set -Eeuo pipefail`, and the script runs in a fresh directory (with `.venv` linked to the
environment the tests run in, and that environment's `bin` first on PATH) whose HOME and
TMPDIR are that directory too. No CASELOAD_* variable is inherited: a block exports what the
text tells the reader to export.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
VENV = Path(sys.prefix)

SHELL_LANGUAGES = frozenset({"bash", "sh", "shell"})
"""The fence languages whose blocks run."""
OTHER_LANGUAGES = frozenset({"python", "text", "sql", ""})
"""The fence languages that are not shell: Python runs in test_docs.py, the rest is shown."""

_OPENING = re.compile(r"^(`{3,})\s*([^`\s]*)[^`]*$")
_NOT_RUN = re.compile(r"^<!-- not run: (.*?) -->$")
_NOT_RUN_ANYWHERE = re.compile(r"<!--\s*not run")

EXPECTED_NOT_RUN = {"README.md": 1, "reports.md": 1, "testing.md": 1}
"""How many shell blocks each document keeps out of the run; any change shows in review."""


@attrs.frozen
class ShellBlock:
    """A shell code block of a markdown document."""

    document: Path
    line: int
    """The line of the block's first command (1-based)."""
    source: str
    not_run: str | None
    """The reason given in a `<!-- not run: ... -->` line just before the fence, if any."""

    @property
    def where(self) -> str:
        """`file:line` of the block's first line."""
        return f"{shown(self.document)}:{self.line}"


def shown(document: Path) -> str:
    """The document's path as a reader of the repository knows it."""
    return str(document.relative_to(ROOT)) if document.is_relative_to(ROOT) else str(document)


def fenced_blocks(document: Path) -> list[tuple[str, int, str, str]]:
    """Every fenced block of a document: its language, first line, text and the line before
    its fence. A fence closes on a line of at least as many backticks as opened it, so a
    ````text block can show a ```bash block."""
    lines = document.read_text(encoding="utf-8").splitlines()
    found = []
    index = 0
    while index < len(lines):
        opening = _OPENING.match(lines[index])
        if opening is None:
            index += 1
            continue
        ticks, language = opening.groups()
        end = index + 1
        while end < len(lines) and not (
            lines[end].startswith(ticks) and not lines[end].strip().strip("`")
        ):
            end += 1
        body = "".join(line + "\n" for line in lines[index + 1 : end])
        found.append((language, index + 2, body, lines[index - 1] if index else ""))
        index = end + 1
    return found


def prose_lines(document: Path) -> list[tuple[int, str]]:
    """The lines of a document outside its fenced blocks, numbered from 1."""
    inside = set()
    for _, first, body, _ in fenced_blocks(document):
        inside.update(range(first - 1, first + body.count("\n") + 1))
    lines = document.read_text(encoding="utf-8").splitlines()
    return [(number, text) for number, text in enumerate(lines, 1) if number not in inside]


def shell_blocks(document: Path) -> list[ShellBlock]:
    """The shell blocks of a document, in order, each with its not-run reason if any."""
    blocks = []
    for language, line, source, before in fenced_blocks(document):
        if language not in SHELL_LANGUAGES:
            continue
        marker = _NOT_RUN.match(before)
        blocks.append(ShellBlock(document, line, source, marker.group(1) if marker else None))
    return blocks


def script_for(blocks: list[ShellBlock]) -> tuple[str, dict[int, tuple[ShellBlock, int]]]:
    """One bash script for the blocks that run, and which block and line each script line
    came from."""
    header = [
        "set -Eeuo pipefail",
        "trap 'status=$?; echo \"docs-shell-failed $LINENO $status\" >&2' ERR",
    ]
    lines = list(header)
    origin: dict[int, tuple[ShellBlock, int]] = {}
    for block in blocks:
        if block.not_run is not None:
            continue
        for offset, text in enumerate(block.source.splitlines()):
            lines.append(text)
            origin[len(lines)] = (block, block.line + offset)
    return "\n".join(lines) + "\n", origin


def runnable(document: Path) -> bool:
    """Whether the document has a shell block that runs."""
    return any(block.not_run is None for block in shell_blocks(document))


def test_the_collector_finds_shell_blocks_in_the_readme() -> None:
    """The README has shell blocks, some to run, so a broken pattern cannot pass silently."""
    blocks = shell_blocks(ROOT / "README.md")
    assert [block for block in blocks if block.not_run is None]
    assert [block for block in blocks if block.not_run is not None]


def test_the_script_names_each_line_of_the_document() -> None:
    """Each script line that came from a document maps back to that line of the document."""
    document = ROOT / "docs" / "audit.md"
    script, origin = script_for(shell_blocks(document))
    lines = document.read_text(encoding="utf-8").splitlines()
    script_lines = script.splitlines()
    assert origin
    for number, (block, line) in origin.items():
        assert block.document == document
        assert script_lines[number - 1] == lines[line - 1]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_fence_has_a_known_language(document: Path) -> None:
    """A block is either shell (and runs) or of a language known not to be shell, so a
    ```console or ```zsh block cannot slip past the run unseen."""
    for language, line, _, _ in fenced_blocks(document):
        where = f"{shown(document)}:{line}"
        assert language in SHELL_LANGUAGES | OTHER_LANGUAGES, (
            f"{where}: a ```{language} block; write shell as ```bash (see docs/testing.md)"
        )


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_not_run_markers_sit_on_a_shell_fence_and_give_a_reason(document: Path) -> None:
    """Every `not run` comment is exactly one line, right above a shell fence, and says
    why; and the documents keep out only the blocks counted in EXPECTED_NOT_RUN."""
    markers = [number for number, text in prose_lines(document) if _NOT_RUN_ANYWHERE.search(text)]
    skipped = [block for block in shell_blocks(document) if block.not_run is not None]
    assert [block.line - 2 for block in skipped] == markers, (
        f"{document.name}: a `not run` comment on lines {markers} is not of the form "
        "`<!-- not run: REASON -->` directly above a ```bash fence"
    )
    for block in skipped:
        assert len((block.not_run or "").split()) >= 3, f"{block.where}: no reason"
    assert len(skipped) == EXPECTED_NOT_RUN.get(document.name, 0), (
        f"{document.name} keeps {len(skipped)} shell blocks out of the run: "
        f"{[block.where for block in skipped]}"
    )


def failure_message(
    document: Path,
    result: subprocess.CompletedProcess[str],
    origin: dict[int, tuple[ShellBlock, int]],
) -> str:
    """Which file, line and command failed, and the output that came before."""
    found = re.findall(r"^docs-shell-failed (\d+) (\d+)$", result.stderr, re.MULTILINE)
    if found:
        script_line, status = (int(value) for value in found[-1])
        block, line = origin.get(script_line, (None, 0))
        lines = document.read_text(encoding="utf-8").splitlines()
        command = lines[line - 1].strip() if block is not None else f"script line {script_line}"
        where = f"{shown(document)}:{line}" if block is not None else document.name
        headline = f"{where}: `{command}` exited with {status}"
    else:
        headline = f"{shown(document)}: the script exited with {result.returncode}"
    return (
        f"{headline}\n--- stdout (last 3000 characters) ---\n{result.stdout[-3000:]}"
        f"\n--- stderr (last 3000 characters) ---\n{result.stderr[-3000:]}"
    )


def run_document(document: Path, directory: Path) -> subprocess.CompletedProcess[str]:
    """Run a document's shell blocks in order, in `directory`, as a reader would."""
    script, origin = script_for(shell_blocks(document))
    (directory / ".venv").symlink_to(VENV, target_is_directory=True)
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CASELOAD_", "VIRTUAL_ENV", "PYTHON"))
    }
    environment.update(
        PATH=f"{VENV / 'bin'}{os.pathsep}{os.defpath}",
        HOME=str(directory),
        TMPDIR=str(directory),
        PYTHONIOENCODING="utf-8",
    )
    result = subprocess.run(
        ["bash", "-c", script, document.name],
        cwd=directory,
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=540,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(failure_message(document, result, origin), pytrace=False)
    return result


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bash") is None, reason="the shell blocks are bash")
@pytest.mark.parametrize(
    "document", [path for path in DOCUMENTS if runnable(path)], ids=lambda path: path.name
)
def test_shell_blocks_run(document: Path, tmp_path: Path) -> None:
    """The document's shell blocks, pasted in order into one shell, all succeed."""
    run_document(document, tmp_path)


def test_a_failure_names_the_file_line_and_command(tmp_path: Path) -> None:
    """A failing command stops the run, and the failure names where it is written; blocks
    marked not run are left out, and a later block sees what an earlier one exported."""
    document = tmp_path / "guide.md"
    document.write_text(
        "```bash\nexport GREETING=hello\n```\n\n"
        "<!-- not run: a block kept out of the run -->\n```bash\nexit 3\n```\n\n"
        '```sh\ntest "$GREETING" = hello\nfalse   # fails\necho never\n```\n',
        encoding="utf-8",
    )
    directory = tmp_path / "run"
    directory.mkdir()
    with pytest.raises(pytest.fail.Exception) as failure:
        run_document(document, directory)
    headline = str(failure.value).splitlines()[0]
    assert headline == f"{document}:12: `false   # fails` exited with 1"
    assert "never" not in str(failure.value)

"""What a command leaves unimported, so that start-up costs cannot grow back unnoticed.

Each check runs in a fresh interpreter: `sys.modules` of the test process holds whatever
other tests imported."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(script: str) -> set[str]:
    """The names in `sys.modules` after `script` ran in a fresh interpreter."""
    probe = script + "\nprint('\\n'.join(sorted(sys.modules)), file=sys.__stdout__)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert "Traceback" not in result.stderr, result.stderr
    return set(result.stdout.split())


_STATUS = (
    "import sys\n"
    "sys.argv = ['caseload', 'status', '--store', 'memory://', '--json']\n"
    "from caseload.cli import main\n"
    "try:\n"
    "    main()\n"
    "except SystemExit:\n"
    "    pass\n"
)
"""`caseload status` run in the interpreter (an empty store: it exits 2 after parsing)."""


def test_a_command_line_of_text_and_flags_does_not_import_pydantic() -> None:
    """Parsing `caseload status --store URL --json` keeps its text and flags as given:
    typer's pydantic coercion (0.2 s of start-up) is not built for them."""
    modules = _modules_after(_STATUS)
    assert "caseload.cli.programme" in modules
    assert not {name for name in modules if name.split(".")[0] == "pydantic"}


def test_a_command_without_a_progress_bar_does_not_import_richs_progress() -> None:
    """`caseload status` shows no progress bar, so rich's progress module (0.03-0.07 s)
    is not imported; the commands that show one import it when they start."""
    modules = _modules_after(_STATUS)
    assert "caseload.cli.programme" in modules
    assert "rich.progress" not in modules


def test_a_command_that_simulates_nothing_does_not_import_the_simulations() -> None:
    """`caseload status` imports neither programme's simulation nor the presets: they are
    for `demo` and `simulate`, which import them when they start."""
    modules = _modules_after(_STATUS)
    assert "caseload.cli.programme" in modules
    assert not {name for name in modules if "simulation" in name.split(".")}


def test_a_command_that_seals_nothing_does_not_import_the_cipher_library() -> None:
    """`caseload status` neither seals nor unseals personal data, so `cryptography` is not
    imported; sealing, unsealing and wrapping keys import it on first use."""
    modules = _modules_after(_STATUS)
    assert "caseload.cli.programme" in modules
    assert not {name for name in modules if name.split(".")[0] == "cryptography"}


def test_a_plain_table_that_fits_is_printed_without_importing_richs_table() -> None:
    """The tables of `caseload status` fit and are printed by `caseload.cli.tables`, so
    rich's `Table` (0.01 s at start-up) is imported only for a table rich lays out."""
    printing = (
        "import io, sys\n"
        "from rich.console import Console\n"
        "from caseload.cli.render import attention_table, print_status\n"
        "from caseload.cli.tables import PlainColumn, PlainRow, PlainTable, print_table\n"
        "table = PlainTable(title='T', columns=(PlainColumn('Broker'), PlainColumn('Æ', 'right')),"
        " rows=(PlainRow(('Søren', '12')), PlainRow(('Bo', '3'), style='red')))\n"
        "print_table(Console(file=io.StringIO(), width=160), table)\n"
        "print_table(Console(file=io.StringIO(), width=40, force_terminal=True), table)\n"
    )
    modules = _modules_after(printing)
    assert "caseload.cli.tables" in modules
    assert "rich.table" not in modules
    narrow = _modules_after(printing.replace("width=40", "width=8"))
    assert "rich.table" in narrow  # too wide to fit: rich lays it out

"""What a command leaves unimported, so that start-up costs cannot grow back unnoticed.

Each check runs in a fresh interpreter: `sys.modules` of the test process holds whatever
other tests imported."""

from __future__ import annotations

import subprocess
import sys
from importlib import import_module

from tests.imported import kind_modules


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


def test_a_command_that_reads_stored_states_loads_no_programme_kind() -> None:
    """`caseload status` reads stored read models: it imports every kind's read models and
    the value modules their states hold, and no kind proper (registration, aggregates and
    their events, commands, handlers, rules, export, reports): the registry loads a kind on
    its first use, which status never makes. It checks the chain, and imports neither the
    rule checker nor the rest of `verify`."""
    modules = _modules_after(_STATUS)
    assert "caseload.programmes.resource_pathway.read_models.caseload_counts" in modules
    assert "caseload.programmes.education.read_models.plans" in modules
    assert not kind_modules(modules)
    assert "caseload.audit.chain_check" in modules  # the chain is checked ...
    assert "caseload.audit.rules" not in modules  # ... the rules are verify's
    assert "caseload.audit.verify" not in modules


def test_the_registrys_read_models_and_topics_are_found_without_then_with_the_kinds() -> None:
    """`default_read_models()` makes every kind's read models without loading a kind; the
    log's topics load them, and name every event class of every kind."""
    script = (
        "import sys\n"
        "from caseload.programmes import default_read_models, event_topics\n"
        "names = [model.name for model in default_read_models()]\n"
        "from tests.imported import kind_modules\n"
        "assert not kind_modules(sys.modules), sorted(kind_modules(sys.modules))\n"
        "assert 'caseload.programmes.resource_pathway.domain.trajectory:Trajectory.Opened'"
        " in event_topics()\n"
    )
    modules = _modules_after(script)
    assert "caseload.programmes.education.kind" in modules
    assert "caseload.programmes.resource_pathway.handlers" in modules


def test_each_kinds_read_models_are_made_in_one_place() -> None:
    """The registry finds a kind's read models in its package's `read_models`, without the
    kind: the kind's own `read_models` is that same function, so both give one list."""
    from caseload.programmes import PACKAGES, PROGRAMMES, default_read_models

    assert len(PACKAGES) == len(PROGRAMMES)
    for package, kind in zip(PACKAGES, PROGRAMMES, strict=True):
        assert kind.read_models is import_module(package + ".read_models").read_models
        assert import_module(package + ".kind").KIND is kind
    by_kind = [model.name for kind in PROGRAMMES for model in kind.read_models()]
    assert [model.name for model in default_read_models()] == by_kind


def test_the_snapshot_intervals_name_every_aggregate_of_every_kind() -> None:
    """The event store's snapshot intervals, read when it first saves, hold every aggregate
    class of every kind (50 events apart) and nothing else."""
    from caseload.application.bootstrap import EventStore
    from caseload.programmes import PROGRAMMES

    intervals = EventStore.snapshotting_intervals
    assert intervals
    expected = {aggregate: 50 for kind in PROGRAMMES for aggregate in kind.aggregates}
    assert dict(intervals) == expected
    assert intervals.get(object) is None

"""End-to-end tests: `caseload rebuild` interrupted by Ctrl-C or killed resumes near where
it stopped, and ends with the digests of an uninterrupted rebuild.

Positions, not times: with `--batch 10 --save-every 50` the command prints, per batch, the
position folded to and the position its work is written up to. A Ctrl-C writes the work
of the batch under way, so the rerun resumes exactly where the interrupted run says; a
SIGKILL loses at most one save interval (50 events) behind the last position printed.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from eventsourcing.persistence import StoredEvent

from caseload import Caseload
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from tests.conftest import KEY
from tests.e2e._cli import COMMAND, run_cli

BATCH, SAVE_EVERY = 10, 50
OPTIONS = ("--batch", str(BATCH), "--save-every", str(SAVE_EVERY))
PROGRESS = re.compile(
    r"^rebuild: \d+ of \d+ events folded, to position (\d+); written up to position (\d+)$"
)
RESUMED = re.compile(r"^caseload: resuming the rebuild from position (\d+)$", re.MULTILINE)
WRITTEN = re.compile(r"its progress is written up to position (\d+)")


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite log of about 1,300 events and no read models (simulated in memory, then
    copied), so a rebuild folds 100-odd batches of 10."""
    config = SimulationConfig(brokers=4, citizens=60, months=6, seed=3)
    path = tmp_path_factory.mktemp("resume") / "log.db"
    with Caseload("memory://", pseudonym_key=KEY, clock=lambda: config.end) as source:
        simulate(source, config)
        with Caseload(f"sqlite:///{path}", clock=lambda: config.end) as target:
            notifications = source.wiring.events.recorder.select_notifications(
                start=1, limit=source.head()
            )
            target.wiring.events.recorder.insert_events(
                [
                    StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
                    for n in notifications
                ]
            )
    return path


@pytest.fixture(scope="module")
def uninterrupted(log: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The digests of a rebuild of a copy of the log that nobody interrupted."""
    directory = tmp_path_factory.mktemp("uninterrupted")
    copy = shutil.copy(log, directory / "log.db")
    result = run_cli("rebuild", "--store", str(copy), "--json", cwd=directory)
    assert result.returncode == 0, result.stderr
    digests: dict[str, str] = json.loads(result.stdout)["digests"]
    return digests


def rebuild_until(store: Path, lines: int, signum: int) -> tuple[int, str]:
    """Start `caseload rebuild`, send `signum` once it printed `lines` lines on stderr, and
    return its exit code and everything it wrote on stderr."""
    process = subprocess.Popen(
        [
            *COMMAND,
            "rebuild",
            "--store",
            str(store),
            "--batch",
            str(BATCH),
            "--save-every",
            str(SAVE_EVERY),
        ],
        cwd=store.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if len(seen) == lines:
            process.send_signal(signum)
            break
    _, rest = process.communicate(timeout=300)
    return process.returncode, "".join(seen) + rest


def progress(stderr: str) -> list[tuple[int, int]]:
    """The (folded to, written up to) positions of the progress lines, in order."""
    return [
        (int(found[1]), int(found[2]))
        for line in stderr.splitlines()
        if (found := PROGRESS.match(line))
    ]


def resumed_from(stderr: str) -> int:
    """The position a run says it resumed from (0 when it started over)."""
    found = RESUMED.search(stderr)
    return 0 if found is None else int(found[1])


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_an_interrupted_rebuild_resumes_where_it_stopped(
    signum: signal.Signals, log: Path, uninterrupted: dict[str, str], tmp_path: Path
) -> None:
    """Three interruptions at random batches, each rerun resuming where the last one
    stopped (Ctrl-C) or within one save interval of it (kill); the final digests are an
    uninterrupted rebuild's, and verify finds every stored read model true."""
    seed = random.randrange(2**32)
    chooser = random.Random(seed)
    store = Path(shutil.copy(log, tmp_path / "log.db"))
    interrupted = 0
    expected_resume = 0
    for _ in range(3):
        code, stderr = rebuild_until(store, chooser.randint(2, 40), signum)
        note = f"seed {seed}, stderr:\n{stderr}"
        assert "Traceback" not in stderr, note
        assert resumed_from(stderr) == expected_resume, note
        steps = progress(stderr)
        if code == 0:  # finished before the signal came: nothing to resume
            expected_resume = 0
            continue
        interrupted += 1
        last_folded, last_written = steps[-1] if steps else (expected_resume, expected_resume)
        if signum == signal.SIGINT:
            assert code == 130, note
            (written,) = [int(found) for found in WRITTEN.findall(stderr)]
            assert written >= last_folded, note
            expected_resume = written
        else:
            assert code == -signal.SIGKILL, note
            rerun_from = _resume_point(store)
            assert rerun_from >= last_written, note
            assert rerun_from >= last_folded - SAVE_EVERY, note
            expected_resume = rerun_from
    assert interrupted, f"seed {seed}: no run was interrupted before it finished"

    final = run_cli("rebuild", "--store", str(store), "--json", cwd=tmp_path)
    assert final.returncode == 0, final.stderr
    assert resumed_from(final.stderr) == expected_resume
    result = json.loads(final.stdout)
    assert result["resumed_from"] == expected_resume
    assert result["digests"] == uninterrupted
    verified = run_cli("verify", "--store", str(store), "--json", cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def _resume_point(store: Path) -> int:
    """Where a rerun would resume, read by a dry look at the stored states: the lowest
    position of the read models under rebuild (what `rebuild` itself resumes from)."""
    with Caseload.open_readonly(store) as app:
        return app.projections.position()

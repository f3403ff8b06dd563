"""`caseload read-model-versions` and `caseload drop-read-model-version`: after a rebuild
with a new read-model version, the old version stays until it is dropped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from caseload.programmes.resource_pathway.read_models.attention import AttentionModel
from tests.e2e._cli import run_cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def held(store: Path, cwd: Path) -> dict[tuple[str, int], bool]:
    """(name, version) of every stored state, and whether this release serves it."""
    listed = run_cli("read-model-versions", "--store", str(store), "--json", cwd=cwd)
    assert listed.returncode == 0, listed.stderr
    return {
        (row["name"], row["version"]): row["served"]
        for row in json.loads(listed.stdout)["versions"]
    }


def test_an_old_version_stays_beside_the_rebuilt_one_until_it_is_dropped(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    shutil.copy(FIXTURES / "store-0.1.db", store)
    before = held(store, tmp_path)
    assert before[("attention", 1)] is False  # the 0.1 release wrote version 1
    rebuilt = run_cli("rebuild", "--store", str(store), cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    after = held(store, tmp_path)
    assert after[("attention", 1)] is False
    # The rebuild stored its chain anchor beside the read models; it is no read model.
    assert not [name for name, _ in after if "#" in name], after
    serving = AttentionModel.version
    assert after[("attention", serving)] is True

    served = run_cli(
        "drop-read-model-version", "attention", str(serving), "--store", str(store), cwd=tmp_path
    )
    assert served.returncode == 2
    assert (
        f"version {serving} of read model 'attention' is the one this library serves"
        in served.stderr
    )
    absent = run_cli(
        "drop-read-model-version", "attention", "9", "--store", str(store), cwd=tmp_path
    )
    assert absent.returncode == 2
    assert "holds no state of read model 'attention' at version 9" in absent.stderr
    assert held(store, tmp_path) == after

    dropped = run_cli(
        "drop-read-model-version", "attention", "1", "--store", str(store), cwd=tmp_path
    )
    assert dropped.returncode == 0, dropped.stderr
    assert "Dropped version 1 of read model attention" in dropped.stdout
    assert held(store, tmp_path) == {k: v for k, v in after.items() if k != ("attention", 1)}

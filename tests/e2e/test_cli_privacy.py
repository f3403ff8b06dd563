"""End-to-end tests of `caseload forget` and `caseload rotate-master-key`, run as the
installed console script: exit codes, one-line errors, and the store they leave."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from caseload import Caseload, ClosureReason, Hidden, PersonalData, WrongMasterKey
from tests.e2e._cli import COMMAND, run_cli

KEY = "test-pseudonym-key-not-secret"
MASTER = "a master passphrase for the tests"
CPR = "0101901234"
DAY = date(2024, 3, 4)


def store_with_a_closed_case(tmp_path: Path) -> tuple[str, UUID]:
    """A SQLite store holding one closed trajectory with personal data."""
    store = f"sqlite:///{tmp_path / 'store.db'}"
    with Caseload(store, pseudonym_key=KEY, master_key=MASTER) as app:
        case = app.open_trajectory(cpr=CPR, on=DAY, personal=PersonalData(name="Hanne Kristensen"))
        app.close_trajectory(case, on=DAY, reason=ClosureReason.MOVED)
    return store, case


def env(**extra: str) -> dict[str, str]:
    """The pseudonym key, and no master key unless one is given."""
    return {"CASELOAD_PSEUDONYM_KEY": KEY, "CASELOAD_MASTER_KEY": "", **extra}


def test_forget_without_a_reason_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    """A missing `--reason` (or an unknown one) is a usage error: exit 2, one line naming
    the option, and the store's log unchanged."""
    store, _ = store_with_a_closed_case(tmp_path)
    with Caseload(store, pseudonym_key=KEY) as app:
        head = app.head()
    for extra in ((), ("--reason", "because")):
        result = run_cli(
            "forget", "--store", store, "--cpr", CPR, "--on", "2024-03-05", *extra,
            cwd=tmp_path, env=env(),
        )  # fmt: skip
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert "--reason" in result.stderr
        assert CPR not in result.stderr
    with Caseload(store, pseudonym_key=KEY, master_key=MASTER) as app:
        assert app.head() == head
        assert app.personal_data(_case_of(app)).name == "Hanne Kristensen"


def _case_of(app: Caseload) -> UUID:
    (case,) = {e.originator_id for _, e in app.history() if type(e).__name__ == "Opened"}
    return case


def test_forget_erases_the_citizen_and_verify_still_passes(tmp_path: Path) -> None:
    """With the CPR number read from stdin: exit 0, JSON saying what was done, the
    citizen's fields read as erased, `caseload verify` passes."""
    store, case = store_with_a_closed_case(tmp_path)
    result = subprocess.run(
        [*COMMAND, "forget", "--store", store, "--cpr", "-", "--on", "2024-03-05",
         "--reason", "citizen-request", "--json"],
        input=CPR + "\n", capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env={**os.environ, **env()}, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with Caseload(store, pseudonym_key=KEY, master_key=MASTER) as app:
        assert app.personal_data(case).name is Hidden.ERASED
        head = app.head()
    assert json.loads(result.stdout) == {
        "erased": True,
        "on": "2024-03-05",
        "reason": "citizen-request",
        "head": head,
    }
    verified = run_cli("verify", "--store", store, cwd=tmp_path, env=env())
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_rotate_master_key_reads_both_keys_from_the_environment(tmp_path: Path) -> None:
    """The new key from CASELOAD_NEW_MASTER_KEY; without it, a one-line error. Afterwards
    the new key reads the data and the old one is refused."""
    store, case = store_with_a_closed_case(tmp_path)
    missing = run_cli(
        "rotate-master-key", "--store", store, cwd=tmp_path, env=env(CASELOAD_MASTER_KEY=MASTER)
    )
    assert missing.returncode == 2, missing.stderr
    assert "CASELOAD_NEW_MASTER_KEY" in missing.stderr
    new = "another master passphrase for tests"
    result = run_cli(
        "rotate-master-key", "--store", store, "--json", cwd=tmp_path,
        env=env(CASELOAD_MASTER_KEY=MASTER, CASELOAD_NEW_MASTER_KEY=new),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"rewrapped": 1}
    assert new not in result.stdout + result.stderr
    with Caseload(store, pseudonym_key=KEY, master_key=new) as app:
        assert app.personal_data(case).name == "Hanne Kristensen"
    old = Caseload(store, pseudonym_key=KEY, master_key=MASTER)
    with old, pytest.raises(WrongMasterKey):
        old.personal_data(case)

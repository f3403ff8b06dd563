"""Personal data on real stores: the key table next to the events, erasure of one citizen
in a simulated store, and a scan of everything at rest for personal data.

The store holds personal fields only as AES-GCM ciphertext; the key table holds each
citizen's data key wrapped by the master key. Erasure deletes the key: the events, their
hash chain and every read model stay as they were.
"""

from __future__ import annotations

import logging
import sqlite3
import subprocess
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import attrs
import pytest

from caseload import (
    Caseload,
    CaseloadError,
    ErasureReason,
    Hidden,
    PersonalData,
    PersonalDataUnreadable,
    WrongMasterKey,
)
from caseload.adapters.chain import iter_links
from caseload.adapters.storage import parse_store_url
from caseload.application.privacy import sealed_fields as sealed_attributes
from caseload.domain.personal import Sealed
from caseload.export import export_dataset
from caseload.privacy import crypto
from caseload.programmes.resource_pathway.domain.citizen import Citizen
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.simulation import SimulationConfig, simulate
from tests.conftest import KEY, POSTGRES_URL, fixed_clock

MASTER = bytes(range(32))
SMALL = SimulationConfig(brokers=2, citizens=16, months=3, seed=7, personal=True)


class Recording(Caseload):
    """An application that remembers every personal value it was given, to scan for."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cprs: dict[UUID, str] = {}
        self.secrets: set[str] = set()

    def open_trajectory(self, *, cpr: str, personal: PersonalData | None = None, **kw: Any) -> UUID:
        case = super().open_trajectory(cpr=cpr, personal=personal, **kw)
        self.cprs[case] = cpr
        self.secrets.add(cpr)
        if personal is not None:
            self.secrets.update(v for v in personal.as_json().values() if v is not None)
        return case

    def record_contact(self, trajectory: UUID, *, note: str | None = None, **kw: Any) -> None:
        super().record_contact(trajectory, note=note, **kw)
        if note is not None:
            self.secrets.add(note)


def recording(url: str, **kwargs: Any) -> Recording:
    """A recording application on `url` with the tests' keys and clock."""
    return Recording(url, pseudonym_key=KEY, master_key=MASTER, clock=fixed_clock, **kwargs)


def sealed_fields(app: Caseload, case: UUID) -> list[tuple[str, Sealed]]:
    """Every sealed field stored in a trajectory's events, with its field name."""
    found = []
    for event in app.wiring.events.events.get(case):
        for attribute, field in sealed_attributes().get(type(event), ()):
            value = getattr(event, attribute, None)
            if isinstance(value, Sealed):
                found.append((field, value))
    return found


def leaks(blob: bytes, secrets: Iterable[str]) -> list[str]:
    """The secrets found in `blob` as UTF-8, or as the hex PostgreSQL dumps bytea in."""
    text = blob.lower()
    return sorted(s for s in secrets if s.encode() in blob or s.encode().hex().encode() in text)


# ----------------------------------------------------------------- every kind of store


def test_personal_data_round_trips_on_every_store(store_url: str) -> None:
    """Sealed on write, opened on read, and the key table holds one wrapped key."""
    with recording(store_url) as app:
        day = date(2024, 3, 4)
        case = app.open_trajectory(
            cpr="0101901234", on=day, personal=PersonalData(name="Kirsten Larsen")
        )
        assert app.personal_data(case).name == "Kirsten Larsen"
        (stored,) = app.wiring.data_keys().all()
        assert len(stored.wrapped) == 12 + 32 + 16
        assert app.verify().ok


def test_a_second_application_reads_withheld_or_refuses_a_wrong_master_key(
    shared_store_url: str,
) -> None:
    """Without a master key the fields read as withheld; with another one, reading and
    writing are refused (`WrongMasterKey`) and nothing is written."""
    day = date(2024, 3, 4)
    with recording(shared_store_url) as app:
        case = app.open_trajectory(cpr="0101901234", on=day, personal=PersonalData(phone="1234"))
    with Caseload(shared_store_url, pseudonym_key=KEY, clock=fixed_clock) as reader:
        assert reader.personal_data(case).phone is Hidden.WITHHELD
    with Caseload(
        shared_store_url, pseudonym_key=KEY, master_key=bytes(32), clock=fixed_clock
    ) as other:
        head = other.head()
        with pytest.raises(WrongMasterKey):
            other.personal_data(case)
        with pytest.raises(WrongMasterKey):
            other.open_trajectory(cpr="0202901234", on=day, personal=PersonalData(name="Omar"))
        assert other.head() == head
        assert len(other.wiring.data_keys().all()) == 1


def test_rotation_on_a_shared_store_changes_no_event(shared_store_url: str) -> None:
    """After rotation the log's head and chain are unchanged, the new key reads the data,
    and an application still holding the old key is refused."""
    day = date(2024, 3, 4)
    with recording(shared_store_url) as app:
        case = app.open_trajectory(cpr="0101901234", on=day, personal=PersonalData(name="Søren"))
        head, chain = app.head(), list(iter_links(app.wiring.chain(), app.head()))
        new_master = "a new master passphrase, long enough"
        assert app.rotate_master_key(new_master) == 1
        assert (app.head(), list(iter_links(app.wiring.chain(), app.head()))) == (head, chain)
    with Caseload(
        shared_store_url, pseudonym_key=KEY, master_key=new_master, clock=fixed_clock
    ) as rotated:
        assert rotated.personal_data(case).name == "Søren"
        assert rotated.verify().ok
    old = Caseload(shared_store_url, pseudonym_key=KEY, master_key=MASTER, clock=fixed_clock)
    with old, pytest.raises(WrongMasterKey):
        old.personal_data(case)


# ----------------------------------------------------------------- erasure in a simulated store


@pytest.fixture
def simulated(tmp_path: Path) -> Iterator[Recording]:
    """A simulated programme with personal data in a SQLite file."""
    with recording(f"sqlite:///{tmp_path / 'store.db'}") as app:
        simulate(app, SMALL)
        yield app


def closed_cases(app: Caseload) -> list[UUID]:
    """The trajectories that closed, in log order."""
    return [e.originator_id for _, e in app.history() if isinstance(e, Trajectory.Closed)]


def test_erasing_one_citizen_of_a_simulated_store(simulated: Recording) -> None:
    """Every read model rebuilds to the same digest (they hold no personal data), the
    reports count the same, `verify` passes, the erasure is in the log, and no key the
    store holds decrypts the erased citizen's fields any more."""
    app = simulated
    case = closed_cases(app)[0]
    fields = sealed_fields(app, case)
    assert {field for field, _ in fields} >= {"personal"}
    app.projections.rebuild()
    digests, caseload, outcomes = app.projections.digests(), app.caseload(), app.outcomes()
    head = app.head()
    pseudonym = app.wiring.events.repository.get(case).citizen
    wrapped = app.wiring.data_keys().get(pseudonym)
    assert wrapped is not None
    path = Path(app.wiring.store.env["SQLITE_DBNAME"])
    assert wrapped.wrapped in b"".join(p.read_bytes() for p in path.parent.glob("store.db*"))

    app.forget_citizen(cpr=app.cprs[case], on=app.today(), reason=ErasureReason.CITIZEN_REQUEST)

    app.projections.rebuild()
    assert app.projections.digests() == digests
    assert (app.caseload(), app.outcomes()) == (caseload, outcomes)
    report = app.verify()
    assert report.ok, report
    (erasure,) = [e for p, e in app.history() if p > head]
    assert isinstance(erasure, Citizen.Erased)
    assert erasure.reason is ErasureReason.CITIZEN_REQUEST
    record = app.personal_data(case)
    assert record.name is Hidden.ERASED
    assert all(note.text is Hidden.ERASED for note in record.notes)
    # The wrapped key is gone from the file and its write-ahead log, not just unlinked.
    assert wrapped.wrapped not in b"".join(p.read_bytes() for p in path.parent.glob("store.db*"))
    # No data key left in the store opens any of the erased fields, whichever citizen
    # it is bound to.
    remaining = app.wiring.data_keys().all()
    assert remaining
    assert pseudonym not in {stored.pseudonym for stored in remaining}
    for stored in remaining:
        data_key = crypto.unwrap(MASTER, stored.pseudonym, stored.wrapped)
        for field, sealed in fields:
            for bound_to in (pseudonym, stored.pseudonym):
                with pytest.raises(PersonalDataUnreadable):
                    crypto.unseal(data_key, bound_to, field, sealed)
    # Others keep theirs.
    other = closed_cases(app)[1]
    assert isinstance(app.personal_data(other).name, str)


# ----------------------------------------------------------------- at rest


def _refusals(app: Recording, case: UUID) -> list[str]:
    """Messages of commands refused with personal values in their arguments."""
    cpr = app.cprs[case]
    messages = []
    attempts = [
        lambda: app.open_trajectory(cpr=cpr, on=date(2024, 1, 2), personal=PersonalData(name="X")),
        lambda: PersonalData(name=cpr + "\n"),
        lambda: PersonalData(phone="x" * 500),
        lambda: app.forget_citizen(cpr=cpr[:9], on=date(2024, 1, 2), reason=ErasureReason.OTHER),
        lambda: app.open_trajectory(
            cpr="3213901234", on=date(2024, 1, 2), personal=PersonalData(address=cpr)
        ),
    ]
    for attempt in attempts:
        with pytest.raises(CaseloadError) as refused:
            attempt()
        messages.append(str(refused.value))
    return messages


def test_nothing_personal_is_at_rest_in_a_sqlite_store_its_export_or_its_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """After a simulation with personal data and an erasure: no CPR number, name, phone,
    address or note in the SQLite file or its write-ahead log, the export, a log record
    of a `caseload` logger, or the message of a refused command."""
    caplog.set_level(logging.DEBUG, logger="caseload")
    path = tmp_path / "store.db"
    app = recording(f"sqlite:///{path}")
    with app:
        simulate(app, SMALL)
        case = closed_cases(app)[0]
        messages = _refusals(app, case)
        app.forget_citizen(cpr=app.cprs[case], on=app.today(), reason=ErasureReason.OTHER)
        export_dataset(app, tmp_path / "export", key="an export key of 16 bytes or more")
        files = {p: p.read_bytes() for p in (tmp_path / "export").iterdir()}
        # Read while the application is open, so an unmerged write-ahead log is seen too.
        at_rest = {p: p.read_bytes() for p in tmp_path.glob("store.db*")}
    secrets = app.secrets
    assert len(secrets) > 3 * SMALL.citizens
    assert {p.name for p in at_rest} >= {"store.db"}
    # The scan reads the stored events: the citizen's pseudonym is there, in the clear.
    with Caseload(f"sqlite:///{path}", pseudonym_key=KEY) as reopened:
        pseudonym = reopened.wiring.events.repository.get(case).citizen
    assert leaks(b"".join(at_rest.values()), [pseudonym]) == [pseudonym]
    for blob in [*at_rest.values(), *files.values()]:
        assert leaks(blob, secrets) == []
    assert files
    sealed = [
        s.ct for _, s in sealed_fields(Caseload(f"sqlite:///{path}", pseudonym_key=KEY), case)
    ]
    for blob in files.values():
        assert not any(ct.encode() in blob for ct in sealed)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert leaks(logged.encode(), secrets) == []
    assert leaks("\n".join(messages).encode(), secrets) == []


@pytest.mark.postgres
def test_nothing_personal_is_in_a_pg_dump_of_the_store(postgres_url: str) -> None:
    """`pg_dump` of the store's schema shows events, key table and read models with no
    CPR number, name, phone, address or note, as text or as the hex of bytea columns."""
    with recording(postgres_url) as app:
        report = simulate(app, attrs.evolve(SMALL, erasures=1))
        assert len(report.erased) == 1
    schema = postgres_url.rpartition("schema=")[2]
    host_url = POSTGRES_URL.partition("?")[0]
    dump = subprocess.run(
        ["pg_dump", "--dbname", host_url, "-n", schema],
        check=True,
        capture_output=True,
        timeout=120,
    ).stdout
    assert b"caseload_data_keys" in dump
    # The scan reads the events' bytea: the erased citizen's pseudonym is there, in hex.
    with Caseload(postgres_url, pseudonym_key=KEY) as reopened:
        pseudonym = reopened.wiring.events.repository.get(report.erased[0]).citizen
    assert leaks(dump, [pseudonym]) == [pseudonym]
    assert len(app.secrets) > 8
    assert leaks(dump, app.secrets) == []


def test_replay_verify_reports_and_export_never_open_the_key_table(
    simulated: Recording, tmp_path: Path
) -> None:
    """With the key table moved away, a new application replays, verifies, reports and
    exports, and never opens (or re-creates) the table: an auditor's role needs no access
    to it."""
    path = Path(simulated.wiring.store.env["SQLITE_DBNAME"])
    simulated.close()
    connection = sqlite3.connect(path)
    connection.execute("ALTER TABLE caseload_data_keys RENAME TO moved_away")
    connection.commit()
    connection.close()
    with Caseload(f"sqlite:///{path}", pseudonym_key=KEY, clock=fixed_clock) as auditor:
        assert auditor.verify().ok
        assert auditor.caseload()
        assert sum(1 for _ in auditor.history()) == auditor.head()
        export_dataset(auditor, tmp_path / "export", key="an export key of 16 bytes or more")
    assert parse_store_url(f"sqlite:///{path}").missing_tables("caseload_data_keys") == [
        "caseload_data_keys"
    ]

"""The evaluator export: deterministic files, pseudonyms re-keyed per export, a dictionary
and a manifest that describe exactly what was written, and the same tables in pandas."""

from __future__ import annotations

import csv
import hashlib
import hmac
import importlib
import io
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings

from caseload import (
    Caseload,
    Channel,
    ClosureReason,
    EmployerActivityKind,
    PathwayKind,
    PlacementKind,
    ReviewOutcome,
    Role,
)
from caseload.commands import (
    Assign,
    CloseTrajectory,
    OpenTrajectory,
    RecordContact,
    RecordEmployerActivity,
    RecordJobPlacement,
    RecordProgress,
    RecordReview,
    RegisterBroker,
    RegisterColleague,
    Transfer,
)
from caseload.domain.errors import (
    CaseloadError,
    ExportTargetNotEmpty,
    InvalidExportKey,
    InvalidValue,
    MissingExtra,
)
from caseload.export import (
    DICTIONARY_FILE,
    MANIFEST_FILE,
    export_dataset,
    key_check,
    to_pandas,
)
from caseload.export.dataset import ALL_TABLES
from caseload.programmes.resource_pathway.domain.broker import Broker
from caseload.programmes.resource_pathway.domain.citizen import Citizen
from caseload.programmes.resource_pathway.domain.colleague import Colleague
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.programmes.resource_pathway.export_fold import fold_dataset
from caseload.programmes.resource_pathway.simulation import SimulationConfig, simulate
from caseload.programmes.tables import keyed_id
from caseload.testing import histories, run_history
from tests.conftest import IN_CI, KEY, examples, fixed_clock
from tests.unit._support import recorded_by

EXPORT_KEY = "an export key of at least 16 bytes"
OTHER_KEY = "another export key, also long enough"


def needs(module: str) -> Any:
    """The optional extra `module` (pyarrow, pandas) a test needs. Without it the test
    skips with the reason, or fails under CI=true: there every export check must run.
    Only the tests that need an extra ask for it, so the privacy checks of the CSV
    export run whether or not the extras are installed."""
    try:
        return importlib.import_module(module)
    except ImportError as missing:
        reason = f"{module} is not installed ({missing}); `python3 dev.py` installs it"
        if IN_CI:
            pytest.fail(f"{reason}: under CI=true the export tests that need it must run")
        pytest.skip(reason)


@pytest.fixture(params=["csv", "parquet"])
def file_format(request: pytest.FixtureRequest) -> str:
    """Each file format of the export (Parquet needs pyarrow)."""
    if request.param == "parquet":
        needs("pyarrow.parquet")
    fmt: str = request.param
    return fmt


class RecordingCaseload(Caseload):
    """A Caseload that remembers the CPR numbers it was given, so tests can look for them."""

    cprs: list[str]

    def open_trajectory(
        self, *, cpr: str, on: date, pathway: PathwayKind = PathwayKind.RESOURCE_PATHWAY
    ) -> UUID:
        self.cprs.append(cpr)
        return super().open_trajectory(cpr=cpr, on=on, pathway=pathway)


@pytest.fixture(scope="module")
def simulated() -> Iterator[RecordingCaseload]:
    """A small simulated programme (3 brokers, 40 citizens, 7 months) in memory."""
    app = RecordingCaseload("memory://", pseudonym_key=KEY, clock=fixed_clock)
    app.cprs = []
    simulate(app, SimulationConfig(brokers=3, citizens=40, months=7, seed=11))
    yield app
    app.close()


def files_of(directory: Path) -> dict[str, bytes]:
    """Every file in a directory by name, as bytes."""
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def csv_rows(path: Path) -> list[dict[str, str]]:
    """The data rows of a CSV file as dicts."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def dictionary_columns(text: str) -> dict[str, list[str]]:
    """Per `## `table`` section of the data dictionary, the column names of its table."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        heading = re.fullmatch(r"## `(\w+)`", line)
        if heading:
            current = sections.setdefault(heading.group(1), [])
            continue
        row = re.match(r"\| `(\w+)` \|", line)
        if row and current is not None:
            current.append(row.group(1))
    return sections


def stored_identifiers(app: Caseload) -> set[str]:
    """Every id and pseudonym the store holds, in the forms it could be written in."""
    found: set[str] = set()
    for event in app.events():
        found.add(str(event.originator_id))
        for value in vars(event).values():
            if isinstance(value, UUID):
                found.add(str(value))
        if isinstance(event, Trajectory.Opened | Citizen.Registered):
            pseudonym = getattr(event, "citizen", None) or getattr(event, "pseudonym", "")
            found.add(pseudonym)
    return found | {UUID(text).hex for text in found if len(text) == 36}


# --------------------------------------------------------------------------- determinism


def test_two_exports_of_the_same_log_are_byte_identical(
    simulated: Caseload, tmp_path: Path, file_format: Any
) -> None:
    """Exporting the same log with the same key and format twice writes the same files with
    the same bytes, manifest included (no clock, deterministic row order)."""
    first = export_dataset(simulated, tmp_path / "a", key=EXPORT_KEY, format=file_format)
    second = export_dataset(simulated, tmp_path / "b", key=EXPORT_KEY, format=file_format)

    assert first == second
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
    assert len(files_of(tmp_path / "a")) == len(ALL_TABLES) + 2


def test_an_export_of_a_sqlite_store_equals_one_of_the_reopened_store(tmp_path: Path) -> None:
    """The files depend on the log only: the same SQLite store exported before and after
    it is closed and reopened gives the same bytes."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with Caseload(url, pseudonym_key=KEY, clock=fixed_clock) as app:
        simulate(app, SimulationConfig(brokers=2, citizens=10, months=2, seed=2))
        export_dataset(app, tmp_path / "before", key=EXPORT_KEY)
    with Caseload(url, clock=fixed_clock) as app:
        export_dataset(app, tmp_path / "after", key=EXPORT_KEY)

    assert files_of(tmp_path / "before") == files_of(tmp_path / "after")


# --------------------------------------------------------------------------- privacy


def test_no_cpr_number_stored_id_pseudonym_or_broker_name_is_exported(
    simulated: RecordingCaseload, tmp_path: Path, file_format: Any
) -> None:
    """No CPR number the simulation used, no id or citizen pseudonym from the store and no
    broker's name appears in any exported file, whether in its bytes or (for Parquet) in
    its decoded values."""
    export_dataset(simulated, tmp_path, key=EXPORT_KEY, format=file_format)
    cprs = set(simulated.cprs)
    forbidden = cprs | {f"{cpr[:6]}-{cpr[6:]}" for cpr in cprs}
    forbidden |= stored_identifiers(simulated)
    forbidden |= {row.name for row in simulated.caseload()}
    colleagues = {e.name for e in simulated.events() if isinstance(e, Colleague.Registered)}
    assert colleagues
    forbidden |= colleagues
    assert len(cprs) == 40
    assert len(forbidden) > 200

    texts = []
    for path in tmp_path.iterdir():
        texts.append(path.read_bytes().decode("latin-1"))
        if path.suffix == ".parquet":
            rows = needs("pyarrow.parquet").read_table(path).to_pylist()
            texts.append(json.dumps(rows, default=str))
    leaked = {secret for secret in forbidden for text in texts if secret.lower() in text.lower()}
    assert leaked == set()


def test_ids_are_the_hmac_of_the_stored_ids_under_the_export_key(
    simulated: Caseload, tmp_path: Path
) -> None:
    """trajectory_id is HMAC-SHA-256 of the stored trajectory id (its text) under the
    export key, and citizen_id that of the stored citizen pseudonym: the documented
    construction, computed here with the standard library."""
    export_dataset(simulated, tmp_path, key=EXPORT_KEY)
    exported = {row["trajectory_id"]: row for row in csv_rows(tmp_path / "trajectories.csv")}
    key = EXPORT_KEY.encode()

    def standard_hmac(stored: object) -> str:
        return hmac.new(key, str(stored).encode("utf-8"), hashlib.sha256).hexdigest()

    opened = [e for e in simulated.events() if isinstance(e, Trajectory.Opened)]
    assert {standard_hmac(e.originator_id) for e in opened} == set(exported)
    for event in opened:
        row = exported[standard_hmac(event.originator_id)]
        assert row["citizen_id"] == standard_hmac(event.citizen)
        assert row["opened_on"] == event.occurred_on.isoformat()


def id_values(directory: Path) -> dict[str, set[str]]:
    """Per id column name, every value it has in any CSV table."""
    values: dict[str, set[str]] = {}
    for table in ALL_TABLES:
        for row in csv_rows(directory / f"{table.name}.csv"):
            for column in table.columns:
                if column.type == "id" and row[column.name]:
                    values.setdefault(column.name, set()).add(row[column.name])
    return values


def test_the_same_key_joins_and_different_keys_do_not(simulated: Caseload, tmp_path: Path) -> None:
    """Two exports under one key have equal ids and key checks; an export under another key
    shares no id value with them and has another key check."""
    one = export_dataset(simulated, tmp_path / "one", key=EXPORT_KEY)
    same = export_dataset(simulated, tmp_path / "same", key=EXPORT_KEY.encode())
    other = export_dataset(simulated, tmp_path / "other", key=OTHER_KEY)

    ids_one, ids_same = id_values(tmp_path / "one"), id_values(tmp_path / "same")
    ids_other = id_values(tmp_path / "other")
    assert set(ids_one) == {
        "trajectory_id",
        "citizen_id",
        "broker_id",
        "from_broker_id",
        "colleague_id",
    }
    assert ids_one == ids_same
    every_one = set().union(*ids_one.values())
    every_other = set().union(*ids_other.values())
    assert len(every_one) == len(every_other) > 80
    assert every_one.isdisjoint(every_other)
    assert one.key_check == same.key_check == key_check(EXPORT_KEY.encode())
    assert other.key_check != one.key_check


def test_rows_are_ordered_by_keyed_ids_so_other_keys_do_not_line_up(
    simulated: Caseload, tmp_path: Path
) -> None:
    """Rows are sorted by the keyed ids: the order of trajectories differs between keys,
    so row numbers cannot join two exports either."""
    export_dataset(simulated, tmp_path / "one", key=EXPORT_KEY)
    export_dataset(simulated, tmp_path / "other", key=OTHER_KEY)

    def opened_order(directory: Path) -> list[str]:
        return [row["opened_on"] for row in csv_rows(directory / "trajectories.csv")]

    ids = [row["trajectory_id"] for row in csv_rows(tmp_path / "one" / "trajectories.csv")]
    assert ids == sorted(ids)
    assert opened_order(tmp_path / "one") != opened_order(tmp_path / "other")


# --------------------------------------------------------------------------- dictionary, manifest


def test_the_data_dictionary_lists_exactly_the_columns_of_every_file(
    simulated: Caseload, tmp_path: Path, file_format: Any
) -> None:
    """Parsing data_dictionary.md gives one section per table file, each listing exactly
    that file's columns in order (the CSV header, or the Parquet schema)."""
    export_dataset(simulated, tmp_path, key=EXPORT_KEY, format=file_format)
    documented = dictionary_columns((tmp_path / DICTIONARY_FILE).read_text(encoding="utf-8"))

    actual: dict[str, list[str]] = {}
    for path in tmp_path.glob(f"*.{file_format}"):
        if file_format == "csv":
            with path.open(encoding="utf-8", newline="") as handle:
                actual[path.stem] = next(csv.reader(handle))
        else:
            actual[path.stem] = needs("pyarrow.parquet").read_schema(path).names
    assert len(actual) == len(ALL_TABLES)
    assert documented == actual


def test_the_manifest_matches_the_files(
    simulated: Caseload, tmp_path: Path, file_format: Any
) -> None:
    """manifest.json lists every other file with its sha256, each table with its true row
    count, the log position exported, the format and no as_known_at; it is what the
    function returned."""
    manifest = export_dataset(simulated, tmp_path, key=EXPORT_KEY, format=file_format)
    written = json.loads((tmp_path / MANIFEST_FILE).read_text(encoding="utf-8"))

    assert written == manifest.as_dict()
    assert written["log_position"] == simulated.head()
    assert written["format"] == file_format
    assert written["as_known_at"] is None
    assert written["reference_date"] == SimulationConfig(months=7).end.isoformat()
    listed = {entry["file"] for entry in written["tables"].values()} | {DICTIONARY_FILE}
    assert listed == {path.name for path in tmp_path.iterdir()} - {MANIFEST_FILE}
    dictionary = written["data_dictionary"]
    assert (
        dictionary["sha256"]
        == hashlib.sha256(tmp_path.joinpath(DICTIONARY_FILE).read_bytes()).hexdigest()
    )
    for name, entry in written["tables"].items():
        path = tmp_path / entry["file"]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        csv_file = file_format == "csv"
        rows = (
            len(csv_rows(path))
            if csv_file
            else needs("pyarrow.parquet").read_metadata(path).num_rows
        )
        assert entry["rows"] == rows, name
    assert written["tables"]["trajectories"]["rows"] == 40


# --------------------------------------------------------------------------- content


def test_to_pandas_equals_the_csv_files(simulated: Caseload, tmp_path: Path) -> None:
    """Each DataFrame of to_pandas equals its CSV file read with pandas using the column
    types of the dictionary, row for row, and the Parquet file read back."""
    pandas = needs("pandas")
    needs("pyarrow")
    export_dataset(simulated, tmp_path / "csv", key=EXPORT_KEY)
    export_dataset(simulated, tmp_path / "parquet", key=EXPORT_KEY, format="parquet")
    frames = to_pandas(simulated, key=EXPORT_KEY)

    assert set(frames) == {table.name for table in ALL_TABLES}
    for table in ALL_TABLES:
        types = {"integer": "int64", "decimal": "float64", "boolean": "bool"}
        dtypes = {c.name: types.get(c.type, "string") for c in table.columns if c.type != "date"}
        dates = [c.name for c in table.columns if c.type == "date"]
        from_csv = pandas.read_csv(
            tmp_path / "csv" / f"{table.name}.csv", dtype=dtypes, parse_dates=dates
        )
        for name in dates:
            from_csv[name] = from_csv[name].astype("datetime64[ns]")
        pandas.testing.assert_frame_equal(frames[table.name], from_csv, check_dtype=True)

        from_parquet = pandas.read_parquet(tmp_path / "parquet" / f"{table.name}.parquet")
        for name in dates:
            from_parquet[name] = pandas.to_datetime(from_parquet[name]).astype("datetime64[ns]")
        for name, dtype in dtypes.items():
            from_parquet[name] = from_parquet[name].astype(dtype)
        pandas.testing.assert_frame_equal(frames[table.name], from_parquet)


def test_tables_agree_with_the_read_models(simulated: Caseload) -> None:
    """The monthly caseload equals the caseload read model on each month's counting day,
    and after-exit statuses equal the outcomes report's on the reference date."""
    needs("pandas")
    key = EXPORT_KEY.encode()
    frames = to_pandas(simulated, key=key)
    monthly = frames["monthly_caseload"]
    assert len(monthly) == 3 * 7
    for counted_on in sorted(set(monthly["counted_on"].dt.date)):
        rows = {
            keyed_id(key, row.broker_id): (row.active_cases, row.limit, row.team)
            for row in simulated.caseload(as_true_on=counted_on)
        }
        exported = monthly[monthly["counted_on"].dt.date == counted_on]
        assert {
            r.broker_id: (r.active_cases, r.case_limit, r.team) for r in exported.itertuples()
        } == rows
    assert (monthly["peak_cases"] >= monthly["active_cases"]).all()

    end = SimulationConfig(months=7).end
    expected = {
        (keyed_id(key, row.trajectory_id), check.months, check.on, check.status.value)
        for row in simulated.outcomes(as_true_on=end).after_exit
        for check in row.checks
    }
    after = frames["after_exit"]
    exported_checks = {
        (r.trajectory_id, r.months_after_exit, r.checked_on.date(), r.status)
        for r in after.itertuples()
    }
    assert exported_checks == expected
    assert len(after) > 0


def test_contacts_keep_their_roles_and_assignments_their_spells() -> None:
    """A contact's four role columns say which roles it exercised; a transfer ends the
    first broker's spell and starts the second's, and the closure ends that one."""
    needs("pandas")
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        anna = app.register_broker(name="Anna", team="Team A", on=date(2025, 1, 6))
        bo = app.register_broker(name="Bo", team="Team B", fte=0.5, on=date(2025, 1, 6))
        case = app.open_trajectory(cpr="0101901234", on=date(2025, 1, 6))
        app.assign(case, anna, on=date(2025, 1, 6))
        app.record_contact(
            case, on=date(2025, 1, 8), roles={Role.AUTHORITY, Role.COACH},
            channel=Channel.MEETING, by=anna,
        )  # fmt: skip
        app.transfer(case, to_broker=bo, on=date(2025, 2, 3))
        app.record_job_placement(
            case, on=date(2025, 3, 3), kind=PlacementKind.ORDINARY_JOB, hours_per_week=7.5
        )
        app.close_trajectory(case, on=date(2025, 3, 31), reason=ClosureReason.JOB)
        frames = to_pandas(app, key=EXPORT_KEY)
    key = EXPORT_KEY.encode()

    contact = frames["contacts"].iloc[0]
    assert (contact.authority, contact.employer_liaison, contact.mentor_like, contact.coach) == (
        True,
        False,
        False,
        True,
    )
    assert contact.channel == "meeting"
    spells = frames["assignments"].sort_values("started_on")
    assert list(spells["broker_id"]) == [keyed_id(key, anna), keyed_id(key, bo)]
    assert list(spells["how"]) == ["assigned", "transferred"]
    assert list(spells["ended_by"]) == ["transfer", "closure"]
    assert spells.iloc[1].from_broker_id == keyed_id(key, anna)
    assert list(spells["ended_on"].dt.date) == [date(2025, 2, 3), date(2025, 3, 31)]
    assert frames["placements"].iloc[0].hours_per_week == 7.5
    brokers = frames["brokers"].set_index("broker_id")
    assert brokers.loc[keyed_id(key, bo), "fte"] == 0.5
    monthly = frames["monthly_caseload"]
    bo_march = monthly[(monthly.broker_id == keyed_id(key, bo)) & (monthly.month == "2025-03")]
    assert list(bo_march[["active_cases", "peak_cases", "case_limit"]].iloc[0]) == [0, 1, 15]


def test_as_known_at_leaves_out_what_was_recorded_later(tmp_path: Path) -> None:
    """An export as known at a moment has none of the events recorded after it: the
    contact and closure recorded later are missing, and the manifest gives the moment and
    the position of the last event known then."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        broker = app.register_broker(name="Anna", team="Team A", on=date(2025, 1, 6))
        case = app.open_trajectory(cpr="0101901234", on=date(2025, 1, 6))
        app.assign(case, broker, on=date(2025, 1, 6))
        known_position = app.head()
        moment = recorded_by(app)
        app.record_contact(
            case, on=date(2025, 1, 7), roles=Role.COACH, channel=Channel.PHONE, by=broker
        )
        app.close_trajectory(case, on=date(2025, 1, 31), reason=ClosureReason.MOVED)

        then = export_dataset(app, tmp_path / "then", key=EXPORT_KEY, as_known_at=moment)
        now = export_dataset(app, tmp_path / "now", key=EXPORT_KEY)

    counts_then = {table.name: table.rows for table in then.tables}
    counts_now = {table.name: table.rows for table in now.tables}
    assert (counts_then["contacts"], counts_then["closures"]) == (0, 0)
    assert (counts_now["contacts"], counts_now["closures"]) == (1, 1)
    assert counts_then["trajectories"] == counts_then["assignments"] == 1
    assert then.log_position == known_position < now.log_position
    assert then.reference_date == date(2025, 1, 6)
    assert json.loads((tmp_path / "then" / MANIFEST_FILE).read_text())["as_known_at"] == (
        moment.isoformat()
    )


# --------------------------------------------------------------------------- refusals


def test_a_missing_or_short_key_is_refused_without_echoing_it(
    simulated: Caseload, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No key (and no CASELOAD_EXPORT_KEY) or a key under 16 bytes raises InvalidExportKey,
    which names the rule and the length but not the key; nothing is written."""
    monkeypatch.delenv("CASELOAD_EXPORT_KEY", raising=False)
    with pytest.raises(InvalidExportKey, match="CASELOAD_EXPORT_KEY"):
        export_dataset(simulated, tmp_path / "none")
    with pytest.raises(InvalidExportKey, match="at least 16 bytes; it is 9") as refusal:
        export_dataset(simulated, tmp_path / "short", key="short-key")
    assert "short-key" not in str(refusal.value)
    assert list(tmp_path.iterdir()) == []

    monkeypatch.setenv("CASELOAD_EXPORT_KEY", EXPORT_KEY)
    from_env = export_dataset(simulated, tmp_path / "env")
    assert from_env.key_check == key_check(EXPORT_KEY.encode())


def test_a_non_empty_directory_is_refused_and_left_alone(
    simulated: Caseload, tmp_path: Path
) -> None:
    """An export into a directory that holds a file, or onto a file, raises
    ExportTargetNotEmpty and writes nothing."""
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(ExportTargetNotEmpty, match="holds 1 entries"):
        export_dataset(simulated, tmp_path, key=EXPORT_KEY)
    assert files_of(tmp_path) == {"notes.txt": b"keep me"}
    with pytest.raises(ExportTargetNotEmpty, match="not a directory"):
        export_dataset(simulated, tmp_path / "notes.txt", key=EXPORT_KEY)


def test_bad_options_are_refused(simulated: Caseload, tmp_path: Path) -> None:
    """An unknown format and a naive as_known_at are InvalidValue errors; nothing is written."""
    with pytest.raises(InvalidValue, match="csv, parquet"):
        export_dataset(simulated, tmp_path / "x", key=EXPORT_KEY, format="xlsx")  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="timezone"):
        export_dataset(simulated, tmp_path / "y", key=EXPORT_KEY, as_known_at=datetime(2025, 1, 1))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("module", "extra"), [("pyarrow", "parquet"), ("pandas", "pandas")])
def test_a_missing_extra_is_named(
    simulated: Caseload, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, extra: str
) -> None:
    """Without pyarrow a Parquet export, and without pandas to_pandas, raise MissingExtra
    (a CaseloadError) naming the extra to install; nothing is written."""
    monkeypatch.setitem(sys.modules, module, None)

    def attempt() -> object:
        if module == "pyarrow":
            return export_dataset(simulated, tmp_path / "out", key=EXPORT_KEY, format="parquet")
        return to_pandas(simulated, key=EXPORT_KEY)

    with pytest.raises(MissingExtra, match=re.escape(f"caseload[{extra}]")) as refusal:
        attempt()
    assert isinstance(refusal.value, CaseloadError)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- property


def _months(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


@given(histories(max_size=40))
@settings(max_examples=examples(40))
def test_row_counts_equal_the_accepted_commands(history: list[Any]) -> None:
    """For any command history, each table has one row per accepted command of its kind
    (one per indicator for progression, four per closure after exit, one per broker and
    month up to the latest business date for the monthly caseload)."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        result = run_history(app, history)
        dataset = fold_dataset(app.history(), EXPORT_KEY.encode())
        head = app.head()
    kinds = Counter(type(step.command) for step in result.accepted)
    rows = {name: len(table_rows) for name, table_rows in dataset.rows.items()}

    progression = sum(
        len(step.command.scores) for step in result.accepted
        if isinstance(step.command, RecordProgress)
    )  # fmt: skip
    assert rows["brokers"] == kinds[RegisterBroker]
    assert rows["colleagues"] == kinds[RegisterColleague]
    assert rows["employer_activities"] == kinds[RecordEmployerActivity]
    assert rows["trajectories"] == kinds[OpenTrajectory]
    assert rows["assignments"] == kinds[Assign] + kinds[Transfer]
    assert rows["contacts"] == kinds[RecordContact]
    assert rows["progression"] == progression
    assert rows["placements"] == kinds[RecordJobPlacement]
    assert rows["reviews"] == kinds[RecordReview]
    assert rows["closures"] == kinds[CloseTrajectory]
    assert rows["after_exit"] == 4 * kinds[CloseTrajectory]
    assert dataset.log_position == head

    reference = max((step.on for step in result.accepted), default=None)
    assert dataset.reference_date == reference
    registered = [step.on for step in result.accepted if isinstance(step.command, RegisterBroker)]
    # Every broker has a row for each month from joining to the reference month, leavers too
    # (with no cases), as in the caseload report.
    expected_months = sum(_months(on, reference) for on in registered if reference is not None)
    assert rows["monthly_caseload"] == expected_months


def test_an_empty_store_exports_empty_tables(tmp_path: Path) -> None:
    """An empty log gives every table with its header and no rows, position 0, and no
    reference date."""
    with Caseload("memory://", clock=fixed_clock) as app:
        manifest = export_dataset(app, tmp_path, key=EXPORT_KEY)
    assert manifest.log_position == 0
    assert manifest.reference_date is None
    assert all(table.rows == 0 for table in manifest.tables)
    header = (tmp_path / "brokers.csv").read_text(encoding="utf-8")
    assert header == "broker_id,team,registered_on,left_on,fte\n"
    assert io.StringIO(header).read().count("\n") == 1


def test_broker_events_reach_the_brokers_table() -> None:
    """A broker who leaves and changed FTE shows the leaving day and the latest FTE."""
    with Caseload("memory://", clock=fixed_clock) as app:
        broker = app.register_broker(name="Anna", team="Team A", on=date(2025, 1, 6))
        app.change_fte(broker, fte=0.75, on=date(2025, 2, 3))
        app.broker_left(broker, on=date(2025, 3, 3))
        dataset = fold_dataset(app.history(), EXPORT_KEY.encode())
        registered = [e for e in app.events() if isinstance(e, Broker.Registered)]
    assert len(registered) == 1
    (row,) = dataset.rows["brokers"]
    assert row[1:4] == ("Team A", date(2025, 1, 6), date(2025, 3, 3))
    assert str(row[4]) == "0.75"
    assert len(dataset.rows["monthly_caseload"]) == 3


# ----------------------------------------------------------------- edge cases of the tables


def _rows(app: Caseload, table: str) -> list[dict[str, str]]:
    pandas = needs("pandas")
    frames = to_pandas(app, key=EXPORT_KEY)
    return [
        {k: ("" if pandas.isna(v) else str(v)) for k, v in row.items()}
        for row in frames[table].to_dict("records")
    ]


def test_the_months_peak_counts_only_that_months_days() -> None:
    """A broker who held five cases on 31 January and handed them all over on 1 February
    held none at the end of any February day."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        anna = app.register_broker(name="Anna", team="North", on=date(2025, 1, 6))
        bo = app.register_broker(name="Bo", team="North", on=date(2025, 1, 6))
        cases = [
            app.open_trajectory(cpr=f"0{n}0190123{n}", on=date(2025, 1, 6)) for n in range(1, 6)
        ]
        for case in cases:
            app.assign(case, anna, on=date(2025, 1, 31))
        for case in cases:
            app.transfer(case, to_broker=bo, on=date(2025, 2, 1))
        app.record_contact(
            cases[0], on=date(2025, 3, 3), roles=Role.COACH, channel=Channel.PHONE, by=bo
        )
        rows = fold_dataset(app.history(), EXPORT_KEY.encode()).rows["monthly_caseload"]
    anna_key = keyed_id(EXPORT_KEY.encode(), anna)
    by_month = {row[2]: row for row in rows if row[0] == anna_key}
    january, february = by_month["2025-01"], by_month["2025-02"]
    assert (january[5], january[6]) == (5, 5)
    assert (february[5], february[6]) == (0, 0)


def test_a_leaver_keeps_monthly_rows_with_no_cases_and_policies_do_not_move_the_reference() -> None:
    with Caseload("memory://", pseudonym_key=KEY, clock=lambda: date(2025, 6, 30)) as app:
        bo = app.register_broker(name="Bo", team="South", on=date(2025, 1, 6))
        app.register_broker(name="Cy", team="South", on=date(2025, 1, 6))
        case = app.open_trajectory(cpr="0101901234", on=date(2025, 1, 6))
        app.broker_left(bo, on=date(2025, 2, 3))
        app.record_review(case, on=date(2025, 4, 10), outcome=next(iter(ReviewOutcome)))
        app.set_caseload_policy(
            limit_per_fte=25, effective_from=date(2025, 6, 20), on=date(2025, 6, 20)
        )
        dataset = fold_dataset(app.history(), EXPORT_KEY.encode())
        report = app.caseload(as_true_on=date(2025, 4, 10))
    assert dataset.reference_date == date(2025, 4, 10)
    bo_key = keyed_id(EXPORT_KEY.encode(), bo)
    months = [row[2] for row in dataset.rows["monthly_caseload"] if row[0] == bo_key]
    assert months == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert [row.active_cases for row in report if row.broker_id == bo] == [0]


def test_spells_on_one_day_keep_their_order() -> None:
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        a, b, c = (app.register_broker(name=n, team="T", on=date(2025, 1, 6)) for n in "ABC")
        case = app.open_trajectory(cpr="0101901234", on=date(2025, 1, 6))
        app.assign(case, a, on=date(2025, 1, 10))
        for to in (b, c, b):
            app.transfer(case, to_broker=to, on=date(2025, 1, 10))
        rows = fold_dataset(app.history(), EXPORT_KEY.encode()).rows["assignments"]
    k = EXPORT_KEY.encode()
    ordered = sorted(rows, key=lambda row: row[1])
    assert [(row[1], row[2]) for row in ordered] == [
        (1, keyed_id(k, a)),
        (2, keyed_id(k, b)),
        (3, keyed_id(k, c)),
        (4, keyed_id(k, b)),
    ]


def test_numbers_sort_as_numbers_and_hours_have_one_form(tmp_path: Path) -> None:
    first = next(iter(ReviewOutcome))
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        broker = app.register_broker(name="B", team="T", on=date(2024, 1, 8))
        cases = [
            app.open_trajectory(cpr=f"0{n}0190123{n}", on=date(2024, 1, 8)) for n in range(1, 5)
        ]
        for case in cases:
            app.assign(case, broker, on=date(2024, 1, 8))
        for case, hours in zip(cases, (20, 20.0, 7.5), strict=False):
            app.record_job_placement(
                case, on=date(2024, 1, 9), kind=PlacementKind.ORDINARY_JOB, hours_per_week=hours
            )
            app.close_trajectory(case, on=date(2024, 1, 10), reason=ClosureReason.JOB)
        app.record_review(cases[-1], on=date(2025, 6, 1), outcome=first)
        export_dataset(app, tmp_path / "out", key=EXPORT_KEY)
    with (tmp_path / "out" / "placements.csv").open() as file:
        hours_seen = sorted(row["hours_per_week"] for row in csv.DictReader(file))
    assert hours_seen == ["20", "20", "7.5"]
    with (tmp_path / "out" / "after_exit.csv").open() as file:
        after = list(csv.DictReader(file))
    assert len(after) == 12
    for trajectory in {row["trajectory_id"] for row in after}:
        months = [
            int(row["months_after_exit"]) for row in after if row["trajectory_id"] == trajectory
        ]
        assert months == [1, 3, 6, 12]


def test_a_key_that_is_not_utf8_is_used_as_its_bytes() -> None:
    from caseload.export import export_key

    assert export_key("abcdefghijklmnop\udcff") == b"abcdefghijklmnop\xff"
    with pytest.raises(InvalidExportKey, match="cannot be encoded"):
        export_key("abcdefghijklmnop\ud800")


def test_a_moment_outside_the_calendar_in_utc_is_refused(
    simulated: Caseload, tmp_path: Path
) -> None:
    from datetime import timedelta, timezone

    moment = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
    with pytest.raises(InvalidValue, match="outside the years 1 to 9999"):
        export_dataset(simulated, tmp_path / "x", key=EXPORT_KEY, as_known_at=moment)
    assert not (tmp_path / "x").exists()


def test_colleagues_contacts_and_employer_activities_reach_their_tables() -> None:
    """A colleague has a row in `colleagues` (team and dates, no name); their contact has an
    empty broker_id and their colleague_id, a broker's the other way round; activities are
    numbered per trajectory by start day, whatever order they were recorded in, and an
    open-ended one has no end."""
    pandas = needs("pandas")
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        anna = app.register_broker(name="Anna", team="Team A", on=date(2025, 1, 6))
        carl = app.register_colleague(name="Carl", team="Myndighed", on=date(2025, 1, 6))
        case = app.open_trajectory(cpr="0101901234", on=date(2025, 1, 6))
        app.assign(case, anna, on=date(2025, 1, 6))
        app.record_contact(
            case, on=date(2025, 1, 7), roles=Role.AUTHORITY, channel=Channel.MEETING, by=carl
        )
        app.record_contact(
            case, on=date(2025, 1, 8), roles=Role.COACH, channel=Channel.PHONE, by=anna
        )
        app.record_employer_activity(
            case,
            on=date(2025, 3, 3),
            kind=EmployerActivityKind.WAGE_SUBSIDY_JOB,
            ends_on=date(2025, 8, 31),
        )
        app.record_employer_activity(
            case, on=date(2025, 2, 3), kind=EmployerActivityKind.OTHER_COMPANY_BASED
        )
        app.colleague_left(carl, on=date(2025, 4, 30))
        frames = to_pandas(app, key=EXPORT_KEY)
    key = EXPORT_KEY.encode()

    (colleague,) = frames["colleagues"].itertuples()
    assert colleague.colleague_id == keyed_id(key, carl)
    assert (colleague.team, colleague.registered_on.date(), colleague.left_on.date()) == (
        "Myndighed",
        date(2025, 1, 6),
        date(2025, 4, 30),
    )
    contacts = frames["contacts"].sort_values("contact_on")
    assert [None if pandas.isna(v) else v for v in contacts["broker_id"]] == [
        None,
        keyed_id(key, anna),
    ]
    assert [None if pandas.isna(v) else v for v in contacts["colleague_id"]] == [
        keyed_id(key, carl),
        None,
    ]
    assert list(contacts["authority"]) == [True, False]
    activities = frames["employer_activities"].sort_values("activity")
    assert list(activities["activity"]) == [1, 2]
    assert list(activities["kind"]) == ["other_company_based", "wage_subsidy_job"]
    assert list(activities["started_on"].dt.date) == [date(2025, 2, 3), date(2025, 3, 3)]
    assert pandas.isna(activities.iloc[0].ends_on)
    assert activities.iloc[1].ends_on.date() == date(2025, 8, 31)

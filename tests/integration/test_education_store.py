"""The education programme in a store: a simulated programme verifies (chain, rules, read
models), rebuilds to the same digests, exports its logbook with dictionary entries, and
`verify` finds education rules broken by events written past the commands."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from caseload import Caseload, Scheme, SessionKind, TargetGroup
from caseload.export import data_dictionary, export_dataset
from caseload.programmes.education.domain.plan import EducationPlan
from caseload.programmes.education.domain.session import GuidanceSession
from caseload.programmes.education.export_tables import TABLES
from caseload.programmes.education.simulation import (
    EducationSimulationConfig,
    simulate_education,
)
from tests.conftest import KEY, fixed_clock
from tests.unit._education import ambassador, cpr_born, draft, education_app

EXPORT_KEY = "an export key of at least 16 bytes"
SHORT = EducationSimulationConfig(seed=3, start=date(2021, 4, 1), end=date(2021, 9, 30))


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Caseload:
    """Six months of the seed programme in a SQLite store."""
    url = f"sqlite:///{tmp_path_factory.mktemp('education') / 'edu.db'}"
    app = Caseload(url, pseudonym_key=KEY, clock=fixed_clock)
    simulate_education(app, SHORT)
    return app


def names(app: Caseload) -> Counter[str]:
    """How many events of each class the log holds."""
    return Counter(type(event).__qualname__ for event in app.events())


def test_a_simulated_programme_has_every_kind_of_fact_and_verifies(simulated: Caseload) -> None:
    """Every education event class occurs; the chain, the rules and the read models check
    out, stored or not; a rebuild gives the digests of the incremental catch-up."""
    counts = names(simulated)
    for name in (
        "EducationProgramme.Configured",
        "EducationProgramme.TargetSet",
        "EducationProgramme.BaselineRecorded",
        "EducationProgramme.PseudonymKeyRegistered",
        "Ambassador.Registered",
        "EducationPlan.Drafted",
        "EducationPlan.SchemeStarted",
        "EducationPlan.SchemeCompleted",
        "EducationPlan.DroppedOut",
        "EducationPlan.ContactRecorded",
        "GuidanceSession.Held",
        "GuidanceSession.VisitRecorded",
    ):
        assert counts[name] > 0, name
    started = [e for e in simulated.events() if isinstance(e, EducationPlan.SchemeStarted)]
    assert {e.target_group for e in started} == set(TargetGroup)
    assert {e.scheme for e in started} == set(Scheme)
    report = simulated.verify()
    assert report.ok, report
    simulated.projections.catch_up(persist=True)
    caught_up = simulated.projections.digests()
    assert simulated.verify().ok
    rebuilt = dict(simulated.projections.rebuild().digests)
    assert rebuilt == caught_up


def test_the_logbook_exports_with_its_dictionary(simulated: Caseload, tmp_path: Path) -> None:
    """Each education table is a file with its dictionary section; its rows are the facts of
    the log (counted here from the events), and no CPR number or pseudonym is in a file."""
    manifest = export_dataset(simulated, tmp_path, key=EXPORT_KEY)
    dictionary = data_dictionary()
    listed = {table.name: table for table in manifest.tables}
    counts = names(simulated)
    expected_rows = {
        "education_ambassadors": counts["Ambassador.Registered"],
        "education_plans": counts["EducationPlan.Drafted"],
        "education_starts": counts["EducationPlan.SchemeStarted"],
        "education_completions": counts["EducationPlan.SchemeCompleted"],
        "education_drop_outs": counts["EducationPlan.DroppedOut"],
        "education_sessions": counts["GuidanceSession.Held"],
        "education_visits": counts["GuidanceSession.VisitRecorded"],
        "education_targets": counts["EducationProgramme.TargetSet"],
        "education_history": 5,
    }
    for table in TABLES:
        assert f"\n## `{table.name}`\n" in dictionary
        for column in table.columns:
            assert f"| `{column.name}` |" in dictionary
        assert listed[table.name].rows == expected_rows[table.name], table.name
    pseudonyms = {e.citizen for e in simulated.events() if isinstance(e, EducationPlan.Drafted)}
    text = "".join(path.read_text(encoding="utf-8") for path in tmp_path.iterdir())
    assert not any(p in text for p in pseudonyms)
    with (tmp_path / "education_targets.csv").open(encoding="utf-8") as handle:
        targets = list(csv.DictReader(handle))
    not_relevant = [row for row in targets if row["not_relevant"] == "true"]
    assert [(r["scheme"], r["year"], r["target"]) for r in not_relevant] == [
        ("education_lift_110", "2022", "")
    ]


def test_a_citizen_in_both_programmes_joins_across_the_tables(tmp_path: Path) -> None:
    """A plan's citizen_id equals the citizen_id of the same citizen's trajectory."""
    app = education_app()
    cpr = cpr_born(date(1970, 2, 2))
    app.open_trajectory(cpr=cpr, on=date(2021, 5, 3))
    draft(app, cpr, ambassador(app), date(2021, 5, 3))
    export_dataset(app, tmp_path, key=EXPORT_KEY)
    with (tmp_path / "trajectories.csv").open(encoding="utf-8") as handle:
        (trajectory,) = list(csv.DictReader(handle))
    with (tmp_path / "education_plans.csv").open(encoding="utf-8") as handle:
        (plan,) = list(csv.DictReader(handle))
    assert plan["citizen_id"] == trajectory["citizen_id"]


def _failed_rules(app: Caseload) -> str:
    report = app.verify()
    rules = report.checks[1]
    assert not rules.ok
    assert rules.finding is not None
    return rules.finding.message + " " + " ".join(rules.details) + " " + rules.summary


def test_verify_finds_an_ineligible_start_written_past_the_commands() -> None:
    """A 110 % lift for a job-ready recipient, claimed under a rule that does not admit it."""
    app = education_app()
    cpr = cpr_born(date(1970, 2, 2))
    plan_id = draft(app, cpr, ambassador(app), date(2021, 5, 3), TargetGroup.JOB_READY_CASH_BENEFIT)
    plan = app.wiring.events.repository.get(plan_id)
    plan._scheme_started(
        scheme=Scheme.EDUCATION_LIFT_110,
        target_group=TargetGroup.JOB_READY_CASH_BENEFIT,
        age=51,
        on_positive_list=True,
        provider="M",
        rule="lift-110-2020",
        override=None,
        occurred_on=date(2021, 6, 1),
    )
    plan._scheme_started(
        scheme=Scheme.EDUCATION_LIFT,
        target_group=TargetGroup.JOB_READY_CASH_BENEFIT,
        age=51,
        on_positive_list=True,
        provider="M",
        rule="education-lift-job-ready",
        override=None,
        occurred_on=date(2021, 6, 2),
    )
    app.wiring.events.save(plan)
    found = _failed_rules(app)
    assert "education-eligibility: rule 'lift-110-2020'" in found
    assert "one-scheme-at-a-time" in found


def test_verify_finds_a_visit_that_is_no_contact() -> None:
    """A known visit recorded on the session alone disagrees with the plan."""
    app = education_app()
    by = ambassador(app)
    plan_id = draft(app, cpr_born(date(1970, 2, 2)), by, date(2021, 5, 3))
    session_id = app.hold_session(
        kind=SessionKind.DROP_IN,
        on=date(2021, 5, 6),
        place="F",
        ambassador=by,
    )
    session = app.wiring.events.repository.get(session_id)
    assert isinstance(session, GuidanceSession)
    session._visit_recorded(plan_id=plan_id, count=1, occurred_on=date(2021, 5, 6))
    app.wiring.events.save(session)
    assert "visit-agreement" in _failed_rules(app)


def test_snapshots_of_education_aggregates_equal_a_replay(tmp_path: Path) -> None:
    """A programme, a session and a plan with more events than the snapshot interval are
    loaded from snapshots, which verify finds equal to a replay of their events."""
    url = f"sqlite:///{tmp_path / 'snapshots.db'}"
    with Caseload(url, pseudonym_key=KEY, clock=fixed_clock) as app:
        app.configure_education_programme(
            name="E", on=date(2020, 11, 30), period_start=date(2021, 4, 1),
            period_end=date(2022, 12, 31),
        )  # fmt: skip
        for count in range(55):
            app.set_target(
                Scheme.EDUCATION_LIFT, TargetGroup.INSURED_UNEMPLOYED, 2021, count,
                on=date(2020, 12, 1),
            )  # fmt: skip
        by = ambassador(app)
        plan = draft(app, cpr_born(date(1970, 2, 2)), by, date(2021, 5, 3))
        busy = app.hold_session(
            kind=SessionKind.DROP_IN, on=date(2021, 5, 6), place="F", ambassador=by
        )
        for _ in range(55):
            app.record_visit(busy, count=1)
        for week in range(55):
            session = app.hold_session(
                kind=SessionKind.BOOKED, on=date(2021, 5, 6) + timedelta(weeks=week),
                place="F", ambassador=by,
            )  # fmt: skip
            app.record_visit(session, plan=plan)
        assert (
            app.education_target(Scheme.EDUCATION_LIFT, TargetGroup.INSURED_UNEMPLOYED, 2021) == 54
        )
    with Caseload(url, pseudonym_key=KEY, clock=fixed_clock) as reopened:
        report = reopened.verify()
        assert report.ok, report
        assert "3 aggregate snapshots equal a replay" in report.checks[2].summary

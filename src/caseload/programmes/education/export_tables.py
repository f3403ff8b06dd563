"""The education programme's tables of the evaluator dataset (the logbook, logbog).

Like the resource-pathway tables, every identifier is re-keyed under the export key; a
citizen's id is the keyed pseudonym, the same as in `trajectories.citizen_id`, so a citizen
in both programmes can be followed across them. The plan's job prospect and an override's
reason are free text typed by staff and are not exported.
"""

from __future__ import annotations

from datetime import UTC, date
from uuid import UUID

from eventsourcing.domain import DomainEvent

from caseload.programmes.education.domain.ambassador import Ambassador
from caseload.programmes.education.domain.plan import EducationPlan
from caseload.programmes.education.domain.programme import EducationProgramme
from caseload.programmes.education.domain.session import GuidanceSession
from caseload.programmes.education.domain.values import NOT_RELEVANT
from caseload.programmes.tables import Column, Table, Value, keyed_id

__all__ = ["INTRODUCTION", "TABLES", "EducationFold"]

INTRODUCTION = """
**The education programme.** The tables whose names begin with `education_` are the
logbook of the education ambassador programme (*Uddannelsesambassadør*): an ambassador
(*uddannelsesambassadør*) drafts one education plan (*uddannelsesplan*) per citizen and
holds drop-in hours (*åben træffetid*) and booked sessions; a plan starts schemes
(*ordninger*: education lift, the 110 % lift, adult apprenticeship, FVU/OBU, RKV), each
checked against the eligibility rules or recorded with an override; management decides
yearly targets (*måltal*) per scheme and target group.
"""


def _id(name: str, what: str, nullable: bool = False) -> Column:
    return Column(name, "id", f"Export pseudonym of {what} (see *Identifiers* above).", nullable)


_PLAN = _id("plan_id", "the education plan; joins to `education_plans.plan_id`")
_START = Column(
    "start",
    "integer",
    "The start's number within the plan (1 for its first scheme); joins to "
    "`education_starts.start` with `plan_id`.",
)
_SCHEME = Column(
    "scheme",
    "text",
    "`education_lift` (uddannelsesløft), `education_lift_110` (the 110 % lift in shortage "
    "areas), `adult_apprenticeship` (voksenlærling), `basic_skills` (FVU/OBU) or "
    "`prior_learning` (RKV).",
)
_GROUP = Column(
    "target_group",
    "text",
    "`insured_unemployed` (forsikret ledig), `job_ready_cash_benefit` (jobparat "
    "kontanthjælpsmodtager), `employed_unskilled` (ufaglært beskæftiget) or `youth` (ung).",
)
_RECORDED = Column(
    "recorded_on",
    "date",
    "The day (UTC) the fact was entered in the log; later than the business date when it "
    "was registered late.",
)

TABLES: tuple[Table, ...] = (
    Table(
        "education_ambassadors",
        "an education ambassador (uddannelsesambassadør); names are not exported",
        (
            _id("ambassador_id", "the ambassador"),
            Column("team", "text", "The team the ambassador belongs to."),
            Column("registered_on", "date", "The day the ambassador joined the programme."),
            Column("left_on", "date", "The day they left; empty while in it.", nullable=True),
        ),
    ),
    Table(
        "education_plans",
        "a citizen's education plan (uddannelsesplan), one per citizen",
        (
            _id("plan_id", "the plan"),
            _id(
                "citizen_id",
                "the citizen; equal to `trajectories.citizen_id` for a citizen who is in the "
                "resource-pathway programme too",
            ),
            _id("ambassador_id", "the ambassador who drafted it"),
            Column(
                "target_group",
                "text",
                "The citizen's target group when the plan was drafted (as in "
                "`education_starts.target_group`).",
            ),
            Column("education", "text", "The education the plan aims at."),
            Column(
                "on_positive_list",
                "boolean",
                "The education is on the positive list of shortage areas (positivlisten).",
            ),
            Column("planned_start", "date", "The planned first day of the education."),
            Column("planned_end", "date", "The planned last day of the education."),
            Column("place", "text", "Where the education takes place."),
            Column(
                "financing",
                "text",
                "How the citizen lives meanwhile: `unemployment_benefit`, "
                "`unemployment_benefit_110`, `cash_benefit`, `apprentice_wage`, `salary`, "
                "`adult_education_grant` (SVU), `student_grant` (SU) or `other`.",
            ),
            Column("first_contact_on", "date", "The day of the citizen's first contact."),
            Column("drafted_on", "date", "The day the plan was drafted."),
            _RECORDED,
        ),
    ),
    Table(
        "education_starts",
        "a scheme started on a plan (påbegyndt forløb): what the targets count",
        (
            _PLAN,
            _START,
            _SCHEME,
            _GROUP,
            Column("started_on", "date", "The day the scheme started."),
            Column("age_at_start", "integer", "The citizen's age in whole years that day."),
            Column(
                "on_positive_list",
                "boolean",
                "The plan's education is on the positive list of shortage areas.",
            ),
            Column("provider", "text", "The school or employer providing the scheme."),
            Column(
                "eligibility_rule",
                "text",
                "The eligibility rule that admitted the start; empty when it was granted by "
                "override.",
                nullable=True,
            ),
            Column(
                "by_override",
                "boolean",
                "No eligibility rule admitted the start and the service recorded it with a "
                "reason (the reason is free text and not exported).",
            ),
            _RECORDED,
        ),
    ),
    Table(
        "education_completions",
        "a started scheme the citizen completed",
        (
            _PLAN,
            _START,
            _SCHEME,
            Column("completed_on", "date", "The day the scheme was completed."),
            _RECORDED,
        ),
    ),
    Table(
        "education_drop_outs",
        "a started scheme the citizen left before completing it (frafald)",
        (
            _PLAN,
            _START,
            _SCHEME,
            Column("dropped_out_on", "date", "The day the citizen left the scheme."),
            Column(
                "reason",
                "text",
                "`job`, `illness`, `motivation`, `finances`, `academic`, `moved` or `other`.",
            ),
            _RECORDED,
        ),
    ),
    Table(
        "education_sessions",
        "drop-in hours (åben træffetid) or a booked guidance session of an ambassador",
        (
            _id("session_id", "the session"),
            Column("kind", "text", "`drop_in` (open hours) or `booked` (an appointment)."),
            Column("held_on", "date", "The day of the session."),
            Column("place", "text", "Where it was held."),
            _id("ambassador_id", "the ambassador who held it"),
            Column("anonymous_visits", "integer", "Visitors counted without a name."),
            Column("known_visits", "integer", "Visits by citizens with a plan."),
            _RECORDED,
        ),
    ),
    Table(
        "education_visits",
        "one record of visitors at a session: anonymous visitors counted, or one citizen",
        (
            _id("session_id", "the session; joins to `education_sessions.session_id`"),
            Column("visit", "integer", "The record's number within the session, in log order."),
            _id(
                "plan_id",
                "the visiting citizen's plan; empty for anonymous visitors",
                nullable=True,
            ),
            Column("visitors", "integer", "How many came (1 for a known citizen)."),
            Column("visited_on", "date", "The day of the session."),
            _RECORDED,
        ),
    ),
    Table(
        "education_targets",
        "a target (måltal) as management decided it; a later decision for the same scheme, "
        "groups and year replaces it from its own decision day",
        (
            Column("decision", "integer", "The decision's number, in log order."),
            _SCHEME,
            Column(
                "target_groups",
                "text",
                "The target groups the target counts, sorted and joined by `+` (values as in "
                "`education_starts.target_group`).",
            ),
            Column("year", "integer", "The calendar year the target is for."),
            Column(
                "target",
                "integer",
                "The number of starts aimed at; empty when the target is not relevant.",
                nullable=True,
            ),
            Column(
                "not_relevant",
                "boolean",
                "The target was decided as not relevant (ikke relevant), which is not 0.",
            ),
            Column("decided_on", "date", "The day it was decided."),
            _RECORDED,
        ),
    ),
    Table(
        "education_history",
        "starts of a scheme in a year before the programme (the history line), as recorded",
        (
            Column("year", "integer", "The calendar year."),
            _SCHEME,
            Column("starts", "integer", "How many started that scheme that year."),
        ),
    ),
)
"""Every education table, in file order."""


def _recorded(event: DomainEvent) -> date:
    return event.timestamp.astimezone(UTC).date()


class EducationFold:
    """Folds the log into the education tables' rows; `rows()` gives them per table name."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self._ids: dict[UUID | str, str] = {}
        self._rows: dict[str, list[tuple[Value, ...]]] = {table.name: [] for table in TABLES}
        self._ambassadors: dict[UUID, list[Value]] = {}
        self._sessions: dict[UUID, list[Value]] = {}
        self._tallies: dict[UUID, list[int]] = {}
        self._starts: dict[UUID, int] = {}
        self._visits: dict[UUID, int] = {}
        self._history: dict[tuple[int, str], int] = {}

    def k(self, stored: UUID | str | None) -> str | None:
        """The export id of a stored id, made once per id."""
        if stored is None:
            return None
        found = self._ids.get(stored)
        if found is None:
            found = self._ids[stored] = keyed_id(self.key, stored)
        return found

    def __call__(self, position: int, event: DomainEvent) -> None:
        """Take the next event of the log (events of other programmes are ignored)."""
        rows, k = self._rows, self.k
        match event:
            case Ambassador.Registered():
                self._ambassadors[event.originator_id] = [
                    k(event.originator_id),
                    event.team,
                    event.occurred_on,
                    None,
                ]
            case Ambassador.Left():
                self._ambassadors[event.originator_id][3] = event.occurred_on
            case EducationPlan.Drafted():
                rows["education_plans"].append(
                    (
                        k(event.originator_id),
                        k(event.citizen),
                        k(event.ambassador_id),
                        event.target_group.value,
                        event.education,
                        event.on_positive_list,
                        event.planned_start,
                        event.planned_end,
                        event.place,
                        event.financing.value,
                        event.first_contact_on,
                        event.occurred_on,
                        _recorded(event),
                    )
                )
            case EducationPlan.SchemeStarted():
                number = self._starts[event.originator_id] = (
                    self._starts.get(event.originator_id, 0) + 1
                )
                rows["education_starts"].append(
                    (
                        k(event.originator_id),
                        number,
                        event.scheme.value,
                        event.target_group.value,
                        event.occurred_on,
                        event.age,
                        event.on_positive_list,
                        event.provider,
                        event.rule,
                        event.rule is None,
                        _recorded(event),
                    )
                )
            case EducationPlan.SchemeCompleted():
                rows["education_completions"].append(
                    (
                        k(event.originator_id),
                        self._starts.get(event.originator_id, 0),
                        event.scheme.value,
                        event.occurred_on,
                        _recorded(event),
                    )
                )
            case EducationPlan.DroppedOut():
                rows["education_drop_outs"].append(
                    (
                        k(event.originator_id),
                        self._starts.get(event.originator_id, 0),
                        event.scheme.value,
                        event.occurred_on,
                        event.reason.value,
                        _recorded(event),
                    )
                )
            case GuidanceSession.Held():
                self._sessions[event.originator_id] = [
                    k(event.originator_id),
                    event.kind.value,
                    event.occurred_on,
                    event.place,
                    k(event.ambassador_id),
                    _recorded(event),
                ]
                self._tallies[event.originator_id] = [0, 0]
            case GuidanceSession.VisitRecorded():
                self._tallies[event.originator_id][event.plan_id is not None] += event.count
                number = self._visits[event.originator_id] = (
                    self._visits.get(event.originator_id, 0) + 1
                )
                rows["education_visits"].append(
                    (
                        k(event.originator_id),
                        number,
                        k(event.plan_id),
                        event.count,
                        event.occurred_on,
                        _recorded(event),
                    )
                )
            case EducationProgramme.TargetSet():
                value = event.value
                rows["education_targets"].append(
                    (
                        len(rows["education_targets"]) + 1,
                        event.row.scheme.value,
                        "+".join(sorted(group.value for group in event.row.groups)),
                        event.year,
                        None if value is NOT_RELEVANT else value,
                        value is NOT_RELEVANT,
                        event.occurred_on,
                        _recorded(event),
                    )
                )
            case EducationProgramme.BaselineRecorded():
                for count in event.counts.counts:
                    self._history[(count.year, count.scheme.value)] = count.count
            case _:
                pass

    def rows(self) -> dict[str, list[tuple[Value, ...]]]:
        """Per education table name, its rows in the column order of `TABLES`, unsorted."""
        rows = dict(self._rows)
        rows["education_ambassadors"] = [tuple(row) for row in self._ambassadors.values()]
        rows["education_sessions"] = [
            (*row[:5], *self._tallies[session_id], row[5])
            for session_id, row in self._sessions.items()
        ]
        rows["education_history"] = [
            (year, scheme, count) for (year, scheme), count in self._history.items()
        ]
        return rows

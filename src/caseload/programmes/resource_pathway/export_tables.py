"""The tables of the evaluator dataset: what each column means, and one fold of the log into rows.

Every identifier is re-keyed: a row holds HMAC-SHA-256 of the stored id under the export
key, never the stored id, the stored citizen pseudonym or a broker's name. Row order
follows the keyed ids, so exports under different keys do not line up row by row either.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, timedelta
from decimal import Decimal
from typing import Literal
from uuid import UUID

import attrs
from eventsourcing.domain import DomainEvent

from caseload.domain.events import HoldsOnEveryDay
from caseload.domain.keys import export_id
from caseload.programmes.resource_pathway.domain.broker import Broker
from caseload.programmes.resource_pathway.domain.colleague import Colleague
from caseload.programmes.resource_pathway.domain.trajectory import Trajectory
from caseload.programmes.resource_pathway.domain.values import Role
from caseload.programmes.resource_pathway.read_models.caseload_counts import (
    BrokerCases,
    CaseloadCounts,
    CaseloadState,
)
from caseload.programmes.resource_pathway.read_models.outcomes import (
    OutcomesModel,
    add_months,
    month_of,
    outcomes_report,
)

__all__ = ["TABLES", "Column", "ColumnType", "Dataset", "Table", "fold_dataset", "keyed_id"]

ColumnType = Literal["id", "text", "date", "integer", "decimal", "boolean"]
Value = str | int | bool | date | Decimal | None


@attrs.frozen
class Column:
    """One column of an exported table: its name, type and plain-language meaning."""

    name: str
    type: ColumnType
    meaning: str
    nullable: bool = False
    """Whether the column can be empty (missing in CSV, null in Parquet)."""


@attrs.frozen
class Table:
    """One exported table: its name, what one row is, and its columns in file order."""

    name: str
    row: str
    """What one row of the table stands for."""
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names in file order."""
        return tuple(column.name for column in self.columns)


def _id(name: str, what: str) -> Column:
    return Column(name, "id", f"Export pseudonym of {what} (see *Identifiers* above).")


_TRAJECTORY = _id("trajectory_id", "the trajectory; joins to `trajectories.trajectory_id`")
_RECORDED = Column(
    "recorded_on",
    "date",
    "The day (UTC) the fact was entered in the log; later than the business date when it "
    "was registered late.",
)

TABLES: tuple[Table, ...] = (
    Table(
        "brokers",
        "a job broker (jobformidler), the one caseworker a citizen has in the programme; "
        "names are not exported",
        (
            _id("broker_id", "the broker"),
            Column("team", "text", "The team the broker belongs to."),
            Column("registered_on", "date", "The day the broker joined the programme."),
            Column(
                "left_on",
                "date",
                "The day the broker left the programme; empty while they are in it.",
                nullable=True,
            ),
            Column(
                "fte",
                "decimal",
                "The broker's latest share of a full-time post (årsværk): 1.00 is full "
                "time, 0.50 half time. Month by month values are in `monthly_caseload`.",
            ),
        ),
    ),
    Table(
        "colleagues",
        "a colleague (kollega) who exercises roles for citizens but holds no cases, such as "
        "the employment caseworker (beskæftigelsesfaglig medarbejder) while the roles are "
        "split; names are not exported",
        (
            _id("colleague_id", "the colleague"),
            Column("team", "text", "The team the colleague belongs to."),
            Column("registered_on", "date", "The day the colleague was registered."),
            Column(
                "left_on",
                "date",
                "The day the colleague stopped working with the programme's citizens; empty "
                "while they still do.",
                nullable=True,
            ),
        ),
    ),
    Table(
        "trajectories",
        "a trajectory (borgerforløb): one citizen's course through the programme, from "
        "opening to closure",
        (
            _id("trajectory_id", "the trajectory"),
            _id(
                "citizen_id",
                "the citizen; a citizen who comes back has several trajectories with the "
                "same citizen_id",
            ),
            Column(
                "pathway",
                "text",
                "The kind of pathway: `resource_pathway` (ressourceforløb, the programme's "
                "own kind), `job_clarification` (jobafklaringsforløb) or `other`.",
            ),
            Column("opened_on", "date", "The day the trajectory opened."),
            Column("closed_on", "date", "The day it closed; empty while open.", nullable=True),
            Column(
                "closure_reason",
                "text",
                "Why it closed (as in `closures.reason`); empty while open.",
                nullable=True,
            ),
        ),
    ),
    Table(
        "assignments",
        "a spell during which one broker held the trajectory: a first assignment or a "
        "transfer (overdragelse) from another broker",
        (
            _TRAJECTORY,
            Column(
                "spell",
                "integer",
                "1 for the trajectory's first broker, 2 for the next, and so on: the order of "
                "its spells, also when several fall on one day.",
            ),
            _id("broker_id", "the broker who held the case; joins to `brokers.broker_id`"),
            Column(
                "how",
                "text",
                "`assigned` (the trajectory's first broker) or `transferred` (moved from "
                "another broker).",
            ),
            Column(
                "from_broker_id",
                "id",
                "Export pseudonym of the broker the case came from; empty for `assigned`.",
                nullable=True,
            ),
            Column("started_on", "date", "The day the broker took the case."),
            Column(
                "ended_on",
                "date",
                "The day the broker stopped holding it (the next transfer or the closure); "
                "empty while they still hold it.",
                nullable=True,
            ),
            Column(
                "ended_by",
                "text",
                "`transfer` or `closure`; empty while the broker still holds the case.",
                nullable=True,
            ),
            _RECORDED,
        ),
    ),
    Table(
        "contacts",
        "a contact between a broker or a colleague and the citizen, with the roles it exercised",
        (
            _TRAJECTORY,
            Column("contact_on", "date", "The day the contact took place."),
            Column(
                "broker_id",
                "id",
                "Export pseudonym of the broker who made the contact (not always the case "
                "holder); empty when a colleague made it.",
                nullable=True,
            ),
            Column(
                "colleague_id",
                "id",
                "Export pseudonym of the colleague who made the contact (joins to "
                "`colleagues.colleague_id`); empty when a broker made it.",
                nullable=True,
            ),
            Column(
                "channel",
                "text",
                "`meeting`, `phone`, `digital`, `company_visit`, `drop_in`, or `unknown` "
                "(contacts recorded before the channel was kept).",
            ),
            Column(
                "authority",
                "boolean",
                "The contact exercised the authority role (myndighed): statutory casework "
                "and decisions.",
            ),
            Column(
                "employer_liaison",
                "boolean",
                "The contact exercised the employer liaison role (virksomhedssamarbejde): "
                "finding and following up jobs with employers.",
            ),
            Column(
                "mentor_like",
                "boolean",
                "The contact exercised the mentor-like support role (mentorlignende "
                "indsats): close practical support.",
            ),
            Column(
                "coach",
                "boolean",
                "The contact exercised the coach role (samtalepartner/coach): motivation "
                "and goals.",
            ),
            _RECORDED,
        ),
    ),
    Table(
        "progression",
        "one indicator's score in one progression measurement (progressionsmåling); a "
        "measurement scores several indicators, so it spans several rows",
        (
            _TRAJECTORY,
            Column(
                "measurement",
                "integer",
                "The measurement's number within the trajectory (1 for the earliest), by "
                "measurement day and then recording order.",
            ),
            Column("measured_on", "date", "The day the scores were measured."),
            Column(
                "indicator",
                "text",
                "The employability indicator scored, such as `job_confidence` or "
                "`health_coping`; the programme's indicator set decides which exist.",
            ),
            Column("score", "integer", "The score, on the programme's scale (1 to 5 by default)."),
            _RECORDED,
        ),
    ),
    Table(
        "placements",
        "a job placement: the citizen placed in an ordinary job, a flex job or education",
        (
            _TRAJECTORY,
            Column("placed_on", "date", "The day of the placement."),
            Column(
                "kind",
                "text",
                "`ordinary_job` (with paid hours), `flex_job` (fleksjob: a job on special "
                "terms for reduced working capacity) or `education`.",
            ),
            Column(
                "hours_per_week",
                "decimal",
                "Paid hours per week; empty for education and when not given.",
                nullable=True,
            ),
            _RECORDED,
        ),
    ),
    Table(
        "employer_activities",
        "an employer-directed activity (virksomhedsrettet indsats) of the citizen: time at a "
        "workplace as part of the trajectory, short of a placement",
        (
            _TRAJECTORY,
            Column(
                "activity",
                "integer",
                "The activity's number within the trajectory (1 for the earliest), by start "
                "day and then recording order.",
            ),
            Column(
                "kind",
                "text",
                "`company_internship` (virksomhedspraktik), `wage_subsidy_job` (ansættelse med "
                "løntilskud) or `other_company_based` (another activity at a company).",
            ),
            Column("started_on", "date", "The day the activity started."),
            Column(
                "ends_on",
                "date",
                "The planned last day as recorded (it may lie after the reference date); "
                "empty when open-ended.",
                nullable=True,
            ),
            _RECORDED,
        ),
    ),
    Table(
        "reviews",
        "a management case review (sagssparring) of a trajectory",
        (
            _TRAJECTORY,
            Column("reviewed_on", "date", "The day of the review."),
            Column(
                "outcome",
                "text",
                "`continue`, `adjust_plan`, `refer_rehabilitation_team` (rehabiliteringsteam) "
                "or `prepare_closure`.",
            ),
            _RECORDED,
        ),
    ),
    Table(
        "closures",
        "the closure of a trajectory",
        (
            _TRAJECTORY,
            Column("closed_on", "date", "The day the trajectory closed."),
            Column(
                "reason",
                "text",
                "`job`, `flex_job`, `education`, `disability_pension` (førtidspension), "
                "`flex_job_waiting_benefit` (ledighedsydelse: benefit while waiting for a "
                "flex job), `moved` or `other`.",
            ),
            _RECORDED,
        ),
    ),
    Table(
        "after_exit",
        "a closed trajectory's citizen looked up a number of months after exit (the "
        "outcomes report's definition)",
        (
            _TRAJECTORY,
            Column("closed_on", "date", "The day the trajectory closed (the exit)."),
            Column("reason", "text", "Why it closed (as in `closures.reason`)."),
            Column("months_after_exit", "integer", "1, 3, 6 or 12."),
            Column(
                "checked_on",
                "date",
                "The exit day plus that many calendar months (the last day of a shorter month).",
            ),
            Column(
                "status",
                "text",
                "`returned`: the citizen had an open trajectory in the programme again that "
                "day; `out`: they had none; `unknown`: the day lies after the dataset's "
                "reference date.",
            ),
        ),
    ),
    Table(
        "monthly_caseload",
        "one broker in one month, from the month they joined to the reference month",
        (
            _id("broker_id", "the broker; joins to `brokers.broker_id`"),
            Column("team", "text", "The broker's team."),
            Column("month", "text", "The month, as YYYY-MM."),
            Column(
                "counted_on",
                "date",
                "The day the month is counted on: its last day, or the reference date in "
                "the reference month.",
            ),
            Column("fte", "decimal", "The broker's share of a full-time post on `counted_on`."),
            Column("active_cases", "integer", "Cases the broker held at the end of `counted_on`."),
            Column(
                "peak_cases",
                "integer",
                "The most cases the broker held at the end of any day of the month up to "
                "`counted_on`.",
            ),
            Column(
                "case_limit",
                "integer",
                "The most cases the broker could hold on `counted_on`: the policy's limit "
                "per full-time post times `fte`, rounded down (30 per post by default).",
            ),
            Column("policy", "text", "The name of the caseload policy in force on `counted_on`."),
        ),
    ),
)


def keyed_id(key: bytes, stored: UUID | str) -> str:
    """The export pseudonym of a stored id: hex HMAC-SHA-256 of its text under `key`."""
    return export_id(key, stored)


@attrs.frozen
class Dataset:
    """The tables of one export, with the log prefix and reference date they describe."""

    rows: dict[str, list[tuple[Value, ...]]]
    """Per table name, the rows in the column order of `TABLES`, unsorted."""
    log_position: int
    """The position of the last event folded (0 for an empty log)."""
    reference_date: date | None
    """The latest business date in the folded events: the day the dataset describes."""


@attrs.define
class _Spell:
    trajectory: UUID
    broker: UUID
    how: str
    from_broker: UUID | None
    started_on: date
    recorded_on: date
    ended_on: date | None = None
    ended_by: str | None = None


@attrs.define
class _Measurement:
    trajectory: UUID
    measured_on: date
    position: int
    scores: tuple[tuple[str, int], ...]
    recorded_on: date


@attrs.define
class _Activity:
    trajectory: UUID
    started_on: date
    position: int
    kind: str
    ends_on: date | None
    recorded_on: date


def _recorded(event: DomainEvent) -> date:
    return event.timestamp.astimezone(UTC).date()


class _Fold:
    """Accumulates one pass over the log; `dataset` turns it into keyed rows."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self._ids: dict[UUID | str, str] = {}
        self.position = 0
        self.reference: date | None = None
        self.caseload_model = CaseloadCounts()
        self.caseload: CaseloadState = self.caseload_model.initial()
        self.outcomes_model = OutcomesModel()
        self.outcomes = self.outcomes_model.initial()
        self.opened: dict[UUID, Trajectory.Opened] = {}
        self.closed: dict[UUID, Trajectory.Closed] = {}
        self.spells: dict[UUID, list[_Spell]] = {}
        self.measurements: list[_Measurement] = []
        self.colleagues: dict[UUID, list[Value]] = {}
        """Per colleague, their row: team, registered_on, left_on."""
        self.activities: list[_Activity] = []
        self.rows: dict[str, list[tuple[Value, ...]]] = {table.name: [] for table in TABLES}

    def k(self, stored: UUID | str | None) -> str | None:
        """The export id of a stored id, made once per id and shared by every row."""
        if stored is None:
            return None
        found = self._ids.get(stored)
        if found is None:
            found = self._ids[stored] = keyed_id(self.key, stored)
        return found

    def add(self, position: int, event: DomainEvent) -> None:
        self.position = position
        # A programme's events, and the notices of a policy to every broker, are dated when
        # the programme was set up or a policy decided, which says nothing about how far
        # the programme's own history reaches.
        occurred: date | None = getattr(event, "occurred_on", None)
        if isinstance(event, HoldsOnEveryDay | Broker.LimitChanged):
            occurred = None
        if occurred is not None and (self.reference is None or occurred > self.reference):
            self.reference = occurred
        self.caseload_model.apply(self.caseload, event)
        self.outcomes_model.apply(self.outcomes, event)
        self._trajectory_event(position, event)
        self._colleague_event(event)

    def _colleague_event(self, event: DomainEvent) -> None:
        match event:
            case Colleague.Registered():
                self.colleagues[event.originator_id] = [event.team, event.occurred_on, None]
            case Colleague.Left() if event.originator_id in self.colleagues:
                self.colleagues[event.originator_id][2] = event.occurred_on
            case _:
                pass

    def _spell(self, event: Trajectory.Event, broker: UUID, how: str, src: UUID | None) -> None:
        spells = self.spells.setdefault(event.originator_id, [])
        if spells:
            spells[-1].ended_on, spells[-1].ended_by = event.occurred_on, "transfer"
        spells.append(
            _Spell(event.originator_id, broker, how, src, event.occurred_on, _recorded(event))
        )

    def _trajectory_event(self, position: int, event: DomainEvent) -> None:
        rows = self.rows
        match event:
            case Trajectory.Opened():
                self.opened[event.originator_id] = event
            case Trajectory.Assigned():
                self._spell(event, event.broker_id, "assigned", None)
            case Trajectory.Transferred():
                self._spell(event, event.to_broker_id, "transferred", event.from_broker_id)
            case Trajectory.ContactRecorded():
                by_colleague = event.by in self.colleagues
                rows["contacts"].append(
                    (
                        self.k(event.originator_id),
                        event.occurred_on,
                        None if by_colleague else self.k(event.by),
                        self.k(event.by) if by_colleague else None,
                        event.channel.value,
                        *(role in event.roles for role in _ROLE_COLUMNS),
                        _recorded(event),
                    )
                )
            case Trajectory.ProgressMeasured():
                self.measurements.append(
                    _Measurement(
                        event.originator_id,
                        event.occurred_on,
                        position,
                        event.scores.values,
                        _recorded(event),
                    )
                )
            case Trajectory.JobPlaced():
                placement = event.placement
                rows["placements"].append(
                    (
                        self.k(event.originator_id),
                        event.occurred_on,
                        placement.kind.value,
                        _hours(placement.hours_per_week),
                        _recorded(event),
                    )
                )
            case Trajectory.EmployerActivityStarted():
                self.activities.append(
                    _Activity(
                        event.originator_id,
                        event.occurred_on,
                        position,
                        event.kind.value,
                        event.ends_on,
                        _recorded(event),
                    )
                )
            case Trajectory.Reviewed():
                rows["reviews"].append(
                    (
                        self.k(event.originator_id),
                        event.occurred_on,
                        event.outcome.value,
                        _recorded(event),
                    )
                )
            case Trajectory.Closed():
                self.closed[event.originator_id] = event
                spells = self.spells.get(event.originator_id)
                if spells:
                    spells[-1].ended_on, spells[-1].ended_by = event.occurred_on, "closure"
                rows["closures"].append(
                    (
                        self.k(event.originator_id),
                        event.occurred_on,
                        event.reason.value,
                        _recorded(event),
                    )
                )
            case _:
                pass

    def dataset(self) -> Dataset:
        rows = self.rows
        for broker_id, broker in self.caseload.brokers.items():
            rows["brokers"].append(
                (
                    self.k(broker_id),
                    broker.team,
                    broker.registered_on,
                    broker.left_on,
                    broker.fte[-1][1],
                )
            )
        rows["colleagues"].extend(
            (self.k(colleague_id), *row) for colleague_id, row in self.colleagues.items()
        )
        for trajectory_id, opened in self.opened.items():
            closed = self.closed.get(trajectory_id)
            rows["trajectories"].append(
                (
                    self.k(trajectory_id),
                    self.k(opened.citizen),
                    opened.pathway.value,
                    opened.occurred_on,
                    None if closed is None else closed.occurred_on,
                    None if closed is None else closed.reason.value,
                )
            )
        for spells in self.spells.values():
            rows["assignments"].extend(
                (
                    self.k(s.trajectory),
                    number,
                    self.k(s.broker),
                    s.how,
                    self.k(s.from_broker),
                    s.started_on,
                    s.ended_on,
                    s.ended_by,
                    s.recorded_on,
                )
                for number, s in enumerate(spells, 1)
            )
        self._progression()
        self._activities()
        if self.reference is not None:
            self._after_exit(self.reference)
            self._monthly(self.reference)
        return Dataset(rows=rows, log_position=self.position, reference_date=self.reference)

    def _progression(self) -> None:
        number: dict[UUID, int] = {}
        ordered = sorted(self.measurements, key=lambda m: (m.measured_on, m.position))
        for m in ordered:
            number[m.trajectory] = number.get(m.trajectory, 0) + 1
            self.rows["progression"].extend(
                (
                    self.k(m.trajectory),
                    number[m.trajectory],
                    m.measured_on,
                    indicator,
                    score,
                    m.recorded_on,
                )
                for indicator, score in m.scores
            )

    def _activities(self) -> None:
        number: dict[UUID, int] = {}
        for a in sorted(self.activities, key=lambda a: (a.started_on, a.position)):
            number[a.trajectory] = number.get(a.trajectory, 0) + 1
            self.rows["employer_activities"].append(
                (
                    self.k(a.trajectory),
                    number[a.trajectory],
                    a.kind,
                    a.started_on,
                    a.ends_on,
                    a.recorded_on,
                )
            )

    def _after_exit(self, reference: date) -> None:
        report = outcomes_report(self.outcomes, reference)
        self.rows["after_exit"].extend(
            (
                self.k(row.trajectory_id),
                row.closed_on,
                row.reason.value,
                check.months,
                check.on,
                check.status.value,
            )
            for row in report.after_exit
            for check in row.checks
        )

    def _monthly(self, reference: date) -> None:
        state = self.caseload
        for broker_id, broker in state.brokers.items():
            # Leavers stay, with no cases, as in the caseload report.
            last = reference
            start = broker.registered_on.replace(day=1)
            while start <= last:
                following = add_months(start, 1)
                cut = min(following - timedelta(days=1), reference)
                self.rows["monthly_caseload"].append(
                    (
                        self.k(broker_id),
                        broker.team,
                        month_of(start),
                        cut,
                        broker.fte_on(cut),
                        broker.count_on(cut),
                        _peak(broker, start, cut),
                        state.limit_on(broker, cut),
                        state.policy_on(cut).name,
                    )
                )
                start = following


_ROLE_COLUMNS = (Role.AUTHORITY, Role.EMPLOYER_LIAISON, Role.MENTOR_LIKE, Role.COACH)


def _hours(hours: object) -> Decimal | None:
    """Hours per week in one form however they were given (20, 20.0 and Decimal("20.00")
    are all 20; 7.50 is 7.5)."""
    if hours is None:
        return None
    value = Decimal(str(hours))
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _peak(broker: BrokerCases, first: date, last: date) -> int:
    """The highest end-of-day caseload on the days from `first` to `last`."""
    peak = broker.count_on(first)
    for since, count in broker.series:
        if first < since <= last:
            peak = max(peak, count)
    return peak


def fold_dataset(events: Iterable[tuple[int, DomainEvent]], key: bytes) -> Dataset:
    """Fold `(position, event)` pairs, in log order, into the dataset's keyed rows.

    A pure function of the events and the key: no clock, no store.
    """
    fold = _Fold(key)
    for position, event in events:
        fold.add(position, event)
    return fold.dataset()

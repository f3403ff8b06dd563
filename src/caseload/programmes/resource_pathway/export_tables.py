"""The tables of the resource-pathway programme's evaluator dataset: what each column means.

Every identifier is re-keyed: a row holds HMAC-SHA-256 of the stored id under the export
key, never the stored id, the stored citizen pseudonym or a broker's name. The rows come
from one fold of the log (`export_fold.fold_dataset`).
"""

from __future__ import annotations

from caseload.programmes.tables import Column, Table

__all__ = ["TABLES"]


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

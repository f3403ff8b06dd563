"""The tables of `benchmarks.rebuild`: what was measured on each log, and the section of
docs/benchmarks.md that shows it against the goals."""

from __future__ import annotations

import textwrap
from datetime import date
from typing import Any

import attrs

from benchmarks._report import load
from benchmarks.logs import LogSize

COMMAND_GOAL = 0.10
"""An as-of `caseload status` takes at most this share of a full rebuild's time."""
STATUS_GOAL_SECONDS = 1.0
"""Plain `caseload status` at a million events."""
CATCH_UP_GOAL_SECONDS = 0.010
"""p99 of a persisted catch-up of one event."""

COLUMNS = {
    "rebuild": (
        "log",
        "events",
        "floor events/s",
        "rebuild events/s",
        "rebuild / floor",
        "rebuild / floor, CPU time",
        "µs per event, rebuild / floor",
        "floor's passes, CPU per event",
        "rebuild time",
        "peak memory per trajectory",
    ),
    "model": (
        "log",
        "read model",
        "rows the peer reads",
        "peer (eventsourcing `Projection`)",
        "library (`rebuild(name)`)",
        "library time / peer time",
        "library / peer, CPU time",
        "same digest",
    ),
    "commands": (
        "log",
        "command",
        "seconds",
        "of the full rebuild",
        "CPU seconds",
        "of the rebuild's CPU",
        "goal",
    ),
    "catch-up": ("log", "catch-up of one event", "p50", "p99", "goal"),
}
"""The columns of each table, by table (the smoke test checks them)."""


@attrs.frozen
class Measured:
    """Everything measured on one log."""

    size: LogSize
    events: int
    floor_seconds: float
    floor_cpu: float
    floor_spread: str
    """The least and the most CPU time per event of the floor's passes."""
    trajectories: int
    rebuild: dict[str, Any]
    commands: dict[str, tuple[float, float]]
    """Per command, its wall and CPU seconds."""
    in_process: dict[str, float]
    model: str
    peer: dict[str, Any]
    ours: dict[str, Any]
    catch_up: dict[str, tuple[float, float]]
    day: date
    stages: dict[str, float] | None = None
    folds: dict[str, float] | None = None
    sample: int = 0
    sizes: dict[str, float] | None = None

    def with_detail(
        self,
        stages: dict[str, float],
        folds: dict[str, float],
        sample: int,
        sizes: dict[str, float],
    ) -> Measured:
        return attrs.evolve(self, stages=stages, folds=folds, sample=sample, sizes=sizes)

    @property
    def label(self) -> str:
        return f"{self.events / 1000:,.0f}k"

    @property
    def ratio(self) -> float:
        """The rebuild's rate as a share of the floor's."""
        return self.floor_seconds / self.rebuild["seconds"]

    @property
    def per_trajectory(self) -> float:
        """Peak memory of the rebuild above the process before it, bytes per trajectory."""
        grown = self.rebuild["rss_peak_kib"] - self.rebuild["rss_before_kib"]
        return grown * 1024 / max(self.trajectories, 1)


def _row(cells: tuple[object, ...] | list[object]) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _table(name: str, rows: list[list[object]]) -> str:
    columns = COLUMNS[name]
    align = ["---"] + ["---:"] * (len(columns) - 1)
    return "\n".join([_row(columns), _row(align), *(_row(row) for row in rows)])


def _rebuild_table(results: list[Measured]) -> str:
    rows: list[list[object]] = []
    for m in results:
        rebuild_us = m.rebuild["seconds"] * 1e6 / m.events
        floor_us = m.floor_seconds * 1e6 / m.events
        rows.append(
            [
                m.label,
                f"{m.events:,}",
                f"{m.events / m.floor_seconds:,.0f}",
                f"{m.rebuild['events'] / m.rebuild['seconds']:,.0f}",
                f"{m.ratio:.3f}",
                f"{m.floor_cpu / m.rebuild['cpu']:.3f}",
                f"{rebuild_us:.1f} / {floor_us:.2f}",
                m.floor_spread,
                f"{m.rebuild['seconds']:.1f} s",
                f"{m.per_trajectory:,.0f} B",
            ]
        )
    return _table("rebuild", rows)


def _model_table(results: list[Measured]) -> str:
    rows: list[list[object]] = []
    for m in results:
        rows.append(
            [
                m.label,
                f"`{m.model}`",
                f"{m.peer['rows']:,} of {m.events:,}",
                f"{m.peer['seconds']:.2f} s",
                f"{m.ours['seconds']:.2f} s",
                f"{m.ours['seconds'] / m.peer['seconds']:.2f}×",
                f"{m.ours['cpu'] / m.peer['cpu']:.2f}×",
                "yes" if m.peer["digest"] == m.ours["digest"] else "**no**",
            ]
        )
    return _table("model", rows)


def _commands_table(results: list[Measured]) -> str:
    rows: list[list[object]] = []
    for m in results:
        rebuild, rebuild_cpu = m.rebuild["seconds"], m.rebuild["cpu"]
        for label, (seconds, cpu) in m.commands.items():
            plain = "--as-" not in label
            if plain:
                goal = f"< {STATUS_GOAL_SECONDS:.0f} s at 1 M events"
            else:
                goal = f"≤ {COMMAND_GOAL:.0%} of the rebuild"
            rows.append(
                [
                    m.label,
                    label,
                    f"{seconds:.2f}",
                    f"{seconds / rebuild:.1%}",
                    f"{cpu:.2f}",
                    f"{cpu / rebuild_cpu:.1%}",
                    goal,
                ]
            )
        for label, seconds in m.in_process.items():
            rows.append(
                [
                    m.label,
                    f"in a running application: caseload {label}",
                    f"{seconds:.2f}",
                    f"{seconds / rebuild:.1%}",
                    "",
                    "",
                    "",
                ]
            )
    return _table("commands", rows)


def _catch_up_table(results: list[Measured]) -> str:
    rows: list[list[object]] = []
    for m in results:
        for label, (p50, p99) in m.catch_up.items():
            goal = f"p99 < {CATCH_UP_GOAL_SECONDS * 1e3:.0f} ms" if label == "persisted" else ""
            rows.append([m.label, label, f"{p50 * 1e3:.1f} ms", f"{p99 * 1e3:.1f} ms", goal])
    return _table("catch-up", rows)


def _verdicts(results: list[Measured]) -> list[str]:
    first, last = results[0], results[-1]
    lines = [
        f"Full rebuild against the floor: {last.ratio:.3f} × at {last.label} events "
        f"({last.floor_cpu / last.rebuild['cpu']:.3f} × by CPU time; goal ≥ 0.5): "
        f"{'met' if last.ratio >= 0.5 else '**not met**'}."
    ]
    if len(results) > 1:
        drift = last.ratio / first.ratio - 1
        cpu_drift = (last.floor_cpu / last.rebuild["cpu"]) / (
            first.floor_cpu / first.rebuild["cpu"]
        ) - 1
        lines.append(
            f"Flat cost per event: the ratio at {last.label} is {drift:+.0%} against the "
            f"ratio at {first.label} ({cpu_drift:+.0%} by CPU time; goal within ±10 %): "
            f"{'met' if abs(drift) <= 0.10 else '**not met**'}."
        )
    lines.append(
        f"Peak memory per trajectory at {last.label}: {last.per_trajectory:,.0f} B (goal "
        f"≤ 1,024 B): {'met' if last.per_trajectory <= 1024 else '**not met**'}."
    )
    slower = last.ours["seconds"] / last.peer["seconds"]
    slower_cpu = last.ours["cpu"] / last.peer["cpu"]
    lines.append(
        f"One read model against eventsourcing's `Projection`: the library takes {slower:.2f}× "
        f"the peer's time at {last.label} ({slower_cpu:.2f}× its CPU time; goal ≤ 1×): "
        f"{'met' if slower <= 1 else '**not met**'}."
    )
    rebuild = last.rebuild["seconds"]
    as_of = {label: s for label, (s, _) in last.commands.items() if "--as-" in label}
    worst = max(as_of.values()) / rebuild
    lines.append(
        f"As-of `caseload status` at {last.label}: at most {worst:.0%} of the rebuild (goal "
        f"≤ {COMMAND_GOAL:.0%}): {'met' if worst <= COMMAND_GOAL else '**not met**'}."
    )
    plain = last.commands["`caseload status`"][0]
    lines.append(
        f"Plain `caseload status` at {last.label}: {plain:.2f} s (goal < "
        f"{STATUS_GOAL_SECONDS:.0f} s at 1 M events): "
        f"{'met' if plain < STATUS_GOAL_SECONDS else '**not met**'}."
    )
    p99 = last.catch_up["persisted"][1]
    lines.append(
        f"Persisted catch-up of one event at {last.label}: p99 {p99 * 1e3:.1f} ms (goal < "
        f"{CATCH_UP_GOAL_SECONDS * 1e3:.0f} ms): "
        f"{'met' if p99 < CATCH_UP_GOAL_SECONDS else '**not met**'}."
    )
    return [f"- {line}" for line in lines]


def _detail(m: Measured) -> str:
    assert m.stages is not None
    assert m.folds is not None
    assert m.sizes is not None
    stage_seconds = dict(m.stages)
    total = stage_seconds.pop("total")
    lines = [
        "| where the time goes | per event | share |",
        "|---|---:|---:|",
        f"| the floor (SELECT + orjson), for scale | {m.floor_seconds * 1e6 / m.events:.2f} µs | |",
    ]
    for stage, seconds in stage_seconds.items():
        lines.append(
            f"| {stage} | {seconds * 1e6 / m.events:.2f} µs | {seconds / total:.0%} of "
            f"{total:.1f} s |"
        )
    for name, micros in m.folds.items():
        lines.append(f"| fold `{name}` alone over decoded events | {micros:.2f} µs | |")
    for name, size in m.sizes.items():
        lines.append(f"| state of `{name}`, per trajectory | {size:,.0f} B | |")
    note = (
        f"A rebuild in a fresh process on a fresh copy of the {m.label} log, timed by stage "
        "(the engine's log reader, state encoding, time index and store writes, wrapped "
        "where the engine has them; the rest is folding and the loop around it). Folds "
        f"alone and state sizes: the first {min(200_000, m.events):,} events, "
        f"{m.sample:,} trajectories (tracemalloc; ids and dates shared with the events are "
        "not counted)."
    )
    return textwrap.fill(note, width=90) + "\n\n" + "\n".join(lines)


def body(results: list[Measured], options: dict[str, Any], machine: str) -> str:
    """The section's text: what was measured, how to reproduce it, the tables, the goals."""
    sizes = ",".join(m.size.option for m in results)
    logs = "; ".join(f"{m.size.label}: {m.events:,} events" for m in results)
    intro = (
        "Simulated programmes in SQLite files, each measured on fresh copies of its cached "
        f"file; every ratio compares measurements of the same run. Logs: {logs} (seed "
        f"{options['seed']}). The as-of day D is {results[-1].day} for the largest log (the "
        "business date halfway along it) and T the moment the event halfway along the log "
        "was recorded."
    )
    parts = [
        textwrap.fill(intro, width=90),
        f"Reproduce: `.venv/bin/python -m benchmarks.rebuild --sizes {sizes} --months "
        f"{options['months']} --seed {options['seed']} --model {options['model']}` (a log is "
        "generated once and cached in `.benchmarks-cache/`).\n"
        f"Machine: {machine}; load average at the end of the run {load()} (1 / 5 / 15 "
        "minutes).",
        "### Full rebuild against the floor\n\n"
        "The floor is a plain `sqlite3` SELECT of every event row plus an orjson decode of "
        "each, the median of several passes in a row (one pass varies by a third from run "
        "to run; the least and the most CPU time per event of the passes are shown); the "
        "rebuild is `app.projections.rebuild()` of every read model in a fresh "
        "process, its peak memory measured above the process's size before it. Beside the "
        "wall-time ratio, the ratio of the two processes' own CPU time, which other work "
        "on a shared machine disturbs less.\n\n" + _rebuild_table(results),
        "### One read model against eventsourcing's `Projection`\n\n"
        "The peer (`benchmarks/peer.py`) is an eventsourcing `Projection` whose `topics` are "
        "the stored topics the read model has handlers for, folding with the library's own "
        "handlers into an in-memory view; each side runs in a fresh process on a fresh copy, "
        "and the digests of their states must match.\n\n" + _model_table(results),
        "### `caseload status` as a whole command\n\n"
        "Each command is a subprocess on the rebuilt copy (start-up, imports, loading the "
        "stored states, the replay, the reports and the printed tables), against the full "
        "rebuild's time on the same log, by wall time and by CPU time (the subprocess's "
        "user and system time against the rebuild process's); then the as-of caseload "
        "query alone in an application that has caught up.\n\n" + _commands_table(results),
        "### Catch-up of one new event\n\n"
        "A contact recorded, then `catch_up()`: in memory only, and with every state written "
        "(`persist=True`).\n\n" + _catch_up_table(results),
        "### Against the goals\n\n" + "\n".join(_verdicts(results)),
    ]
    detailed = [m for m in results if m.stages is not None]
    if detailed:
        parts.append("### Where a rebuild's time goes\n\n" + _detail(detailed[-1]))
    parts.append(
        "### 10 M events\n\n"
        "Not measured here: `.venv/bin/python -m benchmarks.rebuild --sizes 350000:13000 "
        "--no-detail` generates the log once (hours of simulation; cached in "
        "`.benchmarks-cache/`, about 7 GB) and measures it like the others."
    )
    return "\n\n".join(parts)

"""The report's charts, drawn by matplotlib (no pyplot, no display) as reproducible SVG or PNG.

The same numbers give the same bytes: the SVG ids are salted with a fixed string, text
stays text (no font outlines that depend on the installed fonts' versions) and the files
carry no date or creator version.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from caseload.reports.data import ReportData, Section

__all__ = ["CHARTS", "render"]

_METADATA: dict[str, dict[str, str | None]] = {
    "svg": {"Date": None, "Creator": "caseload"},
    "png": {"Software": "caseload"},
}


_EPOCH = date(1970, 1, 1)
"""Day 0 of matplotlib's date axis (its default `date.epoch`)."""


def _days(days: list[date]) -> list[float]:
    """Days as positions on a date axis (matplotlib's own `date2num` is untyped)."""
    return [float((day - _EPOCH).days) for day in days]


@contextmanager
def _figure() -> Iterator[tuple[Figure, Axes]]:
    # A Figure made without pyplot has no global state to close, and saving it uses the
    # Agg renderer without a display, whatever backend the caller's pyplot has chosen.
    with matplotlib.rc_context(
        {
            "svg.hashsalt": "caseload-report",
            "svg.fonttype": "none",
            "font.family": "DejaVu Sans",
            "font.size": 9.0,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    ):
        figure = Figure(figsize=(7.5, 3.4), dpi=100)
        yield figure, figure.subplots()


def _caseload(section: Section, axes: Axes) -> None:
    per_broker: dict[str, list[tuple[date, int, int]]] = defaultdict(list)
    for broker, day, count, limit, _breach in section.rows:
        per_broker[str(broker)].append((date.fromisoformat(str(day)), int(count), int(limit)))
    for index, (broker, points) in enumerate(sorted(per_broker.items())):
        colour = f"C{index % 10}"
        days = _days([point[0] for point in points])
        axes.step(days, [point[1] for point in points], where="post", color=colour, label=broker)
        axes.step(days, [point[2] for point in points], where="post", color=colour, linestyle="--")
        over = [point for point in points if point[1] > point[2]]
        if over:
            axes.scatter(
                _days([point[0] for point in over]),
                [point[1] for point in over],
                color="red",
                marker="x",
                zorder=3,
            )
    axes.xaxis_date()
    axes.set_ylabel("active cases (dashed: limit)")
    if per_broker:
        # Head room above the highest line, so the legend covers no line.
        top = max(max(point[1], point[2]) for points in per_broker.values() for point in points)
        axes.set_ylim(0, max(top, 1) * 1.3)
        axes.legend(fontsize=7, ncols=4, loc="upper left")


def _staffing(section: Section, axes: Axes) -> None:
    months = [str(row[0]) for row in section.rows]
    needed = [float(str(row[3])) for row in section.rows]
    available = [float(str(row[4])) for row in section.rows]
    axes.bar(months, available, color="C0", alpha=0.6, label="FTE available")
    axes.plot(months, needed, color="C3", marker="o", label="FTE needed at the limit")
    axes.set_ylabel("FTE")
    axes.legend(fontsize=7)
    axes.tick_params(axis="x", labelrotation=45)


def _coverage(section: Section, axes: Axes) -> None:
    programme = section.rows[0]
    labels = ["by the case's broker", "by anyone"]
    values = [float(str(programme[2])), float(str(programme[3]))]
    axes.barh(labels, values, color=["C1", "C2"])
    axes.set_xlim(0, 1)
    axes.set_xlabel("share of active cases with all four roles")


def _outcomes(section: Section, axes: Axes) -> None:
    months = sorted({str(row[0]) for row in section.rows})
    totals: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(months, 0))
    for month, what, kind, count in section.rows:
        totals[(str(what), str(kind))][str(month)] += int(count)
    bottom = dict.fromkeys(months, 0)
    for index, ((what, kind), counts) in enumerate(sorted(totals.items())):
        heights = [counts[month] for month in months]
        axes.bar(
            months,
            heights,
            bottom=[bottom[month] for month in months],
            color=f"C{index % 10}",
            label=f"{what}: {kind}",
        )
        for month in months:
            bottom[month] += counts[month]
    axes.set_ylabel("trajectories")
    if totals:
        axes.legend(fontsize=7)
    axes.tick_params(axis="x", labelrotation=45)


def _progression(section: Section, axes: Axes) -> None:
    indicators = [str(row[0]) for row in section.rows]
    shares = [float(str(row[4])) for row in section.rows]
    axes.barh(indicators, shares, color="C4")
    axes.set_xlim(0, 1)
    axes.set_xlabel("share of trajectories measured twice that improved")


def _attention(section: Section, axes: Axes) -> None:
    per_reason: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for day, reason, count in section.rows:
        per_reason[str(reason)].append((date.fromisoformat(str(day)), int(count)))
    for index, (reason, points) in enumerate(sorted(per_reason.items())):
        axes.plot(
            _days([point[0] for point in points]),
            [point[1] for point in points],
            marker="o",
            color="black" if reason == "all" else f"C{index % 10}",
            linewidth=2.5 if reason == "all" else 1.0,
            label=reason,
        )
    axes.xaxis_date()
    axes.set_ylabel("trajectories")
    if per_reason:
        axes.legend(fontsize=7, ncols=2)


def _number(cell: object) -> float | None:
    return None if cell == "" else float(str(cell))


def _education_pace(section: Section, axes: Axes) -> None:
    labels = [str(row[0]) for row in section.rows]
    positions = list(range(len(labels)))
    starts = [_number(row[3]) or 0.0 for row in section.rows]
    axes.barh(positions, starts, color="C0", label="starts so far")
    for marker, column, colour, name in (("|", 2, "black", "target"), ("D", 4, "C3", "pace")):
        points = [
            (value, position)
            for position, row in zip(positions, section.rows, strict=True)
            if (value := _number(row[column])) is not None
        ]
        axes.scatter(
            [point[0] for point in points],
            [point[1] for point in points],
            marker=marker,
            s=120 if marker == "|" else 30,
            color=colour,
            zorder=3,
            label=name,
        )
    right = max([0.0, *starts, *(_number(row[2]) or 0.0 for row in section.rows)])
    axes.set_xlim(0, max(right, 1.0) * 1.35)  # room on the right for the legend
    axes.set_yticks(positions, labels, fontsize=7)
    axes.invert_yaxis()
    axes.set_xlabel("starts in the year")
    axes.legend(fontsize=7, loc="lower right")


def _education_history(section: Section, axes: Axes) -> None:
    per_scheme: dict[str, list[tuple[int, int, bool]]] = defaultdict(list)
    for year, scheme, count, _source, is_partial in section.rows:
        per_scheme[str(scheme)].append((int(year), int(count), is_partial == "yes"))
    for index, (scheme, points) in enumerate(sorted(per_scheme.items())):
        colour = f"C{index % 10}"
        axes.plot(
            [point[0] for point in points],
            [point[1] for point in points],
            marker="o",
            color=colour,
            label=scheme,
        )
        partial = [point for point in points if point[2]]
        axes.scatter(
            [point[0] for point in partial],
            [point[1] for point in partial],
            marker="o",
            s=80,
            facecolors="white",
            edgecolors=colour,
            zorder=3,
        )
    axes.set_ylabel("starts (hollow: partial year)")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if per_scheme:
        axes.legend(fontsize=7, ncols=2)


CHARTS: dict[str, Callable[[Section, Axes], None]] = {
    "caseload": _caseload,
    "staffing": _staffing,
    "coverage": _coverage,
    "outcomes": _outcomes,
    "progression": _progression,
    "attention": _attention,
    "education_pace": _education_pace,
    "education_history": _education_history,
}
"""Per section key, the function that draws its chart."""


def render(data: ReportData, key: str, image_format: str = "svg") -> bytes:
    """The chart of section `key` as SVG or PNG bytes."""
    section = data.section(key)
    with _figure() as (figure, axes):
        CHARTS[key](section, axes)
        axes.set_title(section.title, loc="left", fontsize=10)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format=image_format, metadata=_METADATA[image_format])
    return buffer.getvalue()

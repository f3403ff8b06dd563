"""The education programme's configuration, its targets as decided, and the history before it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs
from eventsourcing.domain import DomainEvent

from caseload.programmes.education.domain.values import (
    NOT_RELEVANT,
    GroupSize,
    Scheme,
    TargetDecision,
    TargetGroup,
    TargetRow,
    TargetValue,
)
from caseload.projections.base import Handler, ReadModel, day

if TYPE_CHECKING:
    from caseload.programmes.education.domain.programme import EducationProgramme

__all__ = ["Decision", "EducationTargetsModel", "TargetsState", "project_targets"]


Decision = TargetDecision
"""One target decision, in the order it was recorded."""


@attrs.define
class TargetsState:
    """The programme's period and gross groups, every target decision, the baseline."""

    name: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    group_sizes: tuple[GroupSize, ...] = ()
    eligibility: str | None = None
    """The name of the eligibility table in force now."""
    decisions: list[Decision] = attrs.Factory(list)
    baseline: dict[tuple[int, Scheme], int] = attrs.Factory(dict)
    baseline_source: str | None = None

    def target(self, row: TargetRow, year: int, on: date) -> TargetValue | None:
        """The target for `row` in `year` as decided by `on` (the latest decision dated on
        or before it; of two on one day, the one recorded last). None: never decided."""
        found: TargetValue | None = None
        for decision in self.decisions:
            if decision.row == row and decision.year == year and decision.decided_on <= on:
                found = decision.value
        return found

    def rows(self) -> tuple[TargetRow, ...]:
        """Every row a target was decided for, in the order first decided."""
        seen: dict[str, TargetRow] = {}
        for decision in self.decisions:
            seen.setdefault(decision.row.key, decision.row)
        return tuple(seen.values())


def _configured(state: TargetsState, event: EducationProgramme.Configured) -> None:
    state.name = event.name
    state.period_start, state.period_end = event.period_start, event.period_end
    state.group_sizes = tuple(event.group_sizes.sizes)
    state.eligibility = event.eligibility.name


def _replaced(state: TargetsState, event: EducationProgramme.EligibilityReplaced) -> None:
    state.eligibility = event.eligibility.name


def _target_set(state: TargetsState, event: EducationProgramme.TargetSet) -> None:
    state.decisions.append(Decision(event.row, event.year, event.value, event.occurred_on))


def _baseline(state: TargetsState, event: EducationProgramme.BaselineRecorded) -> None:
    for count in event.counts.counts:
        state.baseline[(count.year, count.scheme)] = count.count
    state.baseline_source = event.source


def _value(value: TargetValue) -> Any:
    return value.value if value is NOT_RELEVANT else value


def _decode_value(data: Any) -> TargetValue:
    return NOT_RELEVANT if data == NOT_RELEVANT.value else int(data)


class EducationTargetsModel(ReadModel[TargetsState]):
    """The targets read model: configuration, target decisions and the baseline."""

    name = "education_targets"
    version = 1

    def initial(self) -> TargetsState:
        return TargetsState()

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        # The aggregate is imported when events are first folded: reading a stored
        # state needs none of it.
        from caseload.programmes.education.domain.programme import EducationProgramme

        return {
            EducationProgramme.Configured: _configured,
            EducationProgramme.EligibilityReplaced: _replaced,
            EducationProgramme.TargetSet: _target_set,
            EducationProgramme.BaselineRecorded: _baseline,
        }

    def encode(self, state: TargetsState) -> Any:
        return {
            "name": state.name,
            "period": [state.period_start, state.period_end],
            "group_sizes": [[s.target_group, s.count, s.note] for s in state.group_sizes],
            "eligibility": state.eligibility,
            "decisions": [
                [
                    d.row.scheme,
                    sorted(g.value for g in d.row.groups),
                    d.year,
                    _value(d.value),
                    d.decided_on,
                ]
                for d in state.decisions
            ],
            "baseline": sorted(
                [year, scheme.value, count] for (year, scheme), count in state.baseline.items()
            ),
            "baseline_source": state.baseline_source,
        }

    def decode(self, data: Any) -> TargetsState:
        start, end = data["period"]
        return TargetsState(
            name=data["name"],
            period_start=day(start),
            period_end=day(end),
            group_sizes=tuple(
                GroupSize(TargetGroup(group), int(count), note)
                for group, count, note in data["group_sizes"]
            ),
            eligibility=data["eligibility"],
            decisions=[
                Decision(
                    TargetRow(Scheme(scheme), frozenset(TargetGroup(g) for g in groups)),
                    int(year),
                    _decode_value(value),
                    date.fromisoformat(decided),
                )
                for scheme, groups, year, value, decided in data["decisions"]
            ],
            baseline={
                (int(year), Scheme(scheme)): int(count) for year, scheme, count in data["baseline"]
            },
            baseline_source=data["baseline_source"],
        )


def project_targets(
    events: Iterable[DomainEvent], *, as_true_on: date | None = None
) -> TargetsState:
    """Fold events into a targets state, keeping only facts true on `as_true_on` if given."""
    return EducationTargetsModel().project(events, as_true_on=as_true_on)

"""Every event class of every programme in the registry is accounted for: it survives the
store's JSON transcoder, the audit decides on it, the export says where it goes, and the
programme's small simulation produces it. A new event class missing any of these fails
here, by name, before a store ever holds one."""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
import pytest
from eventsourcing.domain import Aggregate, DomainEvent
from eventsourcing.persistence import Mapper
from eventsourcing.utils import get_topic
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from caseload import Caseload, CaseloadError, UncheckedEvent
from caseload.audit import check_rules
from caseload.programmes import PROGRAMMES, ProgrammeKind
from caseload.programmes.resource_pathway.export_fold import fold_dataset
from caseload.programmes.resource_pathway.export_tables import TABLES
from caseload.programmes.resource_pathway.kind import KIND as RESOURCE_PATHWAY
from tests.conftest import KEY, fixed_clock
from tests.unit._support import START

# ----------------------------------------------------------------- the walk


def event_classes(aggregate: type[Aggregate]) -> list[type[DomainEvent]]:
    """The concrete event classes nested in an aggregate: not its `Event` base, nor the
    `Created` class eventsourcing makes for every aggregate when it is created by another
    creation event of its own (`Registered`, `Opened`, ...), so that `Created` is never stored."""
    nested = [
        member
        for member in vars(aggregate).values()
        if isinstance(member, type) and issubclass(member, DomainEvent)
    ]
    generated = vars(aggregate).get("Created")
    own_creation = [m for m in nested if issubclass(m, Aggregate.Created) and m is not generated]
    abstract = {aggregate.Event, *([generated] if own_creation else [])}
    return [member for member in nested if member not in abstract]


def every_event_class() -> Iterator[tuple[ProgrammeKind, type[DomainEvent]]]:
    """Each (programme kind, event class) of the registry."""
    for kind in PROGRAMMES:
        for aggregate in kind.aggregates:
            for event_class in event_classes(aggregate):
                yield kind, event_class


def name(event_class: type[Any]) -> str:
    """An event class as problems name it."""
    return event_class.__qualname__


# ----------------------------------------------------------------- examples of events

_PLAIN: dict[Any, st.SearchStrategy[Any]] = {
    date: st.dates(),
    datetime: st.datetimes(timezones=st.just(UTC)),
    UUID: st.uuids(),
    Decimal: st.decimals(allow_nan=False, allow_infinity=False),
    # Every text an event carries is a name or label under the one free-text rule, and the
    # numbers are counts, years, ages and limits: the value classes refuse other ones.
    str: st.text(
        st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=20
    ).filter(str.strip),
    int: st.integers(0, 2200),
    bool: st.booleans(),
    type(None): st.none(),
}


def _buildable(value_class: type[Any], fields: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Instances of a value class from field values drawn by type, keeping only the
    combinations the class accepts (a value class refuses, say, a range that ends before
    it begins with a CaseloadError when it is made)."""

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        for _ in range(50):
            try:
                return value_class(**draw(st.fixed_dictionaries(fields)))
            except CaseloadError:
                continue
        return reject()

    return build()


def strategy_for(hint: Any) -> st.SearchStrategy[Any]:
    """Values of a field's type, built from what the type says (LookupError if it says
    too little): the value types a new event uses need no registration here."""
    if hint in _PLAIN:
        return _PLAIN[hint]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        return st.one_of(*(strategy_for(arg) for arg in args))
    if origin in (frozenset, set):
        members = st.frozensets(strategy_for(args[0]), max_size=4)
        return members if origin is frozenset else members.map(set)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return st.lists(strategy_for(args[0]), max_size=4).map(tuple)
    if origin is tuple:
        return st.tuples(*(strategy_for(arg) for arg in args))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return st.sampled_from(list(hint))
    if isinstance(hint, type) and attrs.has(hint):
        fields = attrs.fields(attrs.resolve_types(hint))
        return _buildable(hint, {f.name: strategy_for(f.type) for f in fields if f.init})
    raise LookupError(f"no example can be made of {hint!r}")


def event_strategy(aggregate: type[Aggregate], event_class: type[DomainEvent]) -> Any:
    """Instances of an event class with every field drawn from its declared type."""
    hints = typing.get_type_hints(event_class)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in event_class.__dataclass_fields__.values():  # type: ignore[attr-defined]
        if field.name == "originator_id":
            fields[field.name] = st.uuids()
        elif field.name == "originator_version":
            fields[field.name] = st.integers(1, 10**6)
        elif field.name == "originator_topic":
            fields[field.name] = st.just(get_topic(aggregate))
        elif field.init:
            fields[field.name] = strategy_for(hints[field.name])
    return st.builds(event_class, **fields)


def transcoding_problem(
    aggregate: type[Aggregate], event_class: type[DomainEvent], mapper: Mapper[UUID]
) -> str | None:
    """Why instances of the class do not come back from the store's JSON transcoder as
    themselves (None if they do)."""
    try:
        strategy = event_strategy(aggregate, event_class)
    except LookupError as error:
        return f"{name(event_class)}: no JSON round trip can be tried: {error}"

    @settings(
        max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(strategy)
    def round_trip(event: DomainEvent) -> None:
        back = mapper.to_domain_event(mapper.to_stored_event(event))
        assert type(back) is type(event)
        assert back == event

    try:
        round_trip()
    except Exception as error:  # whatever breaks, the class is the finding
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return f"{name(event_class)}: no JSON round trip ({type(error).__name__}: {first})"
    return None


# ----------------------------------------------------------------- the check


def registry_problems(
    kind: ProgrammeKind, mapper: Mapper[UUID], simulated: set[type[Any]]
) -> list[str]:
    """Every event class of `kind` that lacks a transcoding round trip, an audit decision,
    an export decision, or an occurrence in `simulated` (the classes a simulated run of
    the kind produced), each named with what it lacks."""
    problems = []
    for aggregate in kind.aggregates:
        for event_class in event_classes(aggregate):
            problem = transcoding_problem(aggregate, event_class, mapper)
            if problem is not None:
                problems.append(problem)
            if not kind.rules.decides(event_class):
                problems.append(
                    f"{name(event_class)}: no audit decision (a rule handler, or the rule "
                    "book's explicit no_rule)"
                )
            if not any(base in kind.export for base in event_class.__mro__):
                problems.append(
                    f"{name(event_class)}: no export decision (ProgrammeKind.export: its "
                    "tables, or () for not exported)"
                )
            if event_class not in simulated:
                problems.append(f"{name(event_class)}: never occurs in the kind's simulation")
    return problems


@pytest.fixture(scope="module")
def app_mapper() -> Iterator[Mapper[UUID]]:
    """The mapper (and so the JSON transcoder) of a real application."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        yield app.wiring.events.mapper


@pytest.fixture(scope="module")
def simulated() -> dict[str, tuple[set[type[Any]], list[tuple[int, DomainEvent]]]]:
    """Per programme kind: the event classes its simulation produced, and its log."""
    runs = {}
    for kind in PROGRAMMES:
        with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
            kind.simulation(app)
            history = list(app.history())
        runs[kind.key] = ({type(event) for _, event in history}, history)
    return runs


def test_the_registry_has_event_classes_to_walk() -> None:
    """The walk finds the resource pathway's events and nothing abstract."""
    found = {name(event_class) for _, event_class in every_event_class()}
    assert {"Broker.CaseAssigned", "Trajectory.Opened", "Programme.PolicyChanged"} <= found
    assert not any(n.endswith((".Event", ".Created")) for n in found)


def test_every_event_class_of_every_programme_is_accounted_for(
    app_mapper: Mapper[UUID],
    simulated: dict[str, tuple[set[type[Any]], list[tuple[int, DomainEvent]]]],
) -> None:
    """Each event class round-trips through the store's transcoder, has an audit decision
    and an export decision, and occurs in its programme's small simulation."""
    problems = [
        problem
        for kind in PROGRAMMES
        for problem in registry_problems(kind, app_mapper, simulated[kind.key][0])
    ]
    assert problems == [], "\n".join(problems)


# ----------------------------------------------------------------- a new event class


@attrs.frozen
class Pound:
    """A value class with no transcoding registered."""

    weight: int


class Stray(Aggregate):
    """A throwaway aggregate, as if someone added it and listed it nowhere else."""

    class Event(Aggregate.Event):
        occurred_on: date

    class Noticed(Event):
        """A fact with a plain field."""

    class Weighed(Event):
        """A fact with a value class the transcoder does not know."""

        weight: Pound

    def __init__(self, occurred_on: date) -> None:
        pass


def test_a_new_event_class_listed_nowhere_is_named_with_all_it_lacks(
    app_mapper: Mapper[UUID],
    simulated: dict[str, tuple[set[type[Any]], list[tuple[int, DomainEvent]]]],
) -> None:
    """A programme that gains an aggregate with events no rule, export, transcoding or
    simulation knows fails the check, each class named with what it lacks; the rule
    checker itself refuses such an event rather than skip it."""
    grown = attrs.evolve(RESOURCE_PATHWAY, aggregates=(*RESOURCE_PATHWAY.aggregates, Stray))
    problems = registry_problems(grown, app_mapper, simulated[RESOURCE_PATHWAY.key][0])
    # Stray is created by the Created class eventsourcing makes for it, so that is stored too.
    assert sorted(p.partition(" (")[0] for p in problems) == [
        "Stray.Created: never occurs in the kind's simulation",
        "Stray.Created: no audit decision",
        "Stray.Created: no export decision",
        "Stray.Noticed: never occurs in the kind's simulation",
        "Stray.Noticed: no audit decision",
        "Stray.Noticed: no export decision",
        "Stray.Weighed: never occurs in the kind's simulation",
        "Stray.Weighed: no JSON round trip",
        "Stray.Weighed: no audit decision",
        "Stray.Weighed: no export decision",
    ]
    event = Stray.Noticed(
        originator_id=UUID(int=1),
        originator_version=2,
        timestamp=datetime.now(UTC),
        occurred_on=START,
    )
    with pytest.raises(UncheckedEvent, match=r"Stray\.Noticed"):
        check_rules([(1, event)])


# ----------------------------------------------------------------- the export decision


def _rows(dataset: Any) -> dict[str, list[str]]:
    return {table: sorted(map(repr, rows)) for table, rows in dataset.rows.items()}


def test_every_table_named_for_export_exists() -> None:
    """The export decision names only tables of the dataset."""
    tables = {table.name for table in TABLES}
    for event_class, named in RESOURCE_PATHWAY.export.items():
        assert set(named) <= tables, name(event_class)


@pytest.mark.parametrize(
    "event_class", list(RESOURCE_PATHWAY.export), ids=lambda event_class: name(event_class)
)
def test_leaving_a_class_out_changes_only_the_tables_it_is_exported_to(
    event_class: type[DomainEvent],
    simulated: dict[str, tuple[set[type[Any]], list[tuple[int, DomainEvent]]]],
) -> None:
    """Folded without one class's events, the simulated log's dataset differs only in the
    tables the export decision names for it (a class not exported changes none); a fold
    that cannot do without the class reads it, so it must name a table."""
    history = simulated[RESOURCE_PATHWAY.key][1]
    key = b"export decision test key 32 byte"
    whole = fold_dataset(history, key)
    try:
        without = fold_dataset([(p, e) for p, e in history if not isinstance(e, event_class)], key)
    except (KeyError, AttributeError, IndexError):
        assert RESOURCE_PATHWAY.export[event_class], name(event_class)
        return
    changed = {table for table, rows in _rows(whole).items() if rows != _rows(without)[table]}
    if without.reference_date != whole.reference_date:
        # The reference date moved: the tables counted up to it may move with it.
        changed -= {"monthly_caseload", "after_exit"}
    assert changed <= set(RESOURCE_PATHWAY.export[event_class]), name(event_class)

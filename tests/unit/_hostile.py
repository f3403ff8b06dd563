"""Invalid arguments by kind, and the check every hostile call must pass.

Each strategy yields only values its kind of argument must refuse, so every generated
call is one the library must turn down: a CaseloadError subclass, a message that repeats
no piece of the input longer than `LONGEST_ECHO` characters, and a log left as it was
(same head, same last chain hash).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

from hypothesis import strategies as st

from caseload import Caseload, CaseloadError
from caseload.domain.dates import EARLIEST_DATE, LATEST_DATE
from caseload.domain.text import MAX_TEXT_LENGTH
from tests.conftest import TODAY

LONGEST_ECHO = 4
"""A message may share at most this many characters in a row with a value it was given."""

# ----------------------------------------------------------------- building blocks

CPR_LIKE = st.sampled_from(["0101901234", "010190-1234", "3112994321", "1234567890"])
"""Text that looks like a CPR number: the value most important never to echo."""

REFUSED_CHARACTERS = st.sampled_from(
    ["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\ud800", "\udfff"]
)


@st.composite
def _with_refused_character(draw: st.DrawFn) -> str:
    head = draw(st.text(min_size=1, max_size=12).filter(str.strip))
    return head + draw(REFUSED_CHARACTERS) + draw(st.text(max_size=12))


HUGE_INTS = st.one_of(
    st.integers(4_301, 6_000).map(lambda digits: 10**digits + 7),
    st.integers(10, 400).map(lambda digits: -(10**digits) - 3),
    st.just(2**64),
    st.just(-(2**63) - 1),
)
"""Numbers past every range, some past Python's 4300-digit limit for turning into text."""

ODD_FLOATS = st.sampled_from([float("nan"), float("inf"), float("-inf"), -0.0, 1e308, -1e308])
ODD_DECIMALS = st.sampled_from(
    [
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        Decimal("1e999999999"),
        Decimal("-1e-999999999"),
        Decimal("1E+100000"),
    ]
)
ODD_DECIMAL_TEXT = st.sampled_from(
    ["1e999999999", "-1e999999999", "1e-999999999", "NaN", "sNaN", "Infinity", "0x10", "½", "٠٫٥"]
)

JUNK = st.one_of(
    st.booleans(),
    st.binary(max_size=12),
    st.builds(object),
    st.complex_numbers(max_magnitude=10, allow_nan=False),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.sets(st.integers(), max_size=2),
    st.just(()),
    st.just(frozenset()),
    ODD_DECIMALS,
    ODD_FLOATS,
    st.builds(lambda: iter(())),
)
"""Values of a type no argument of the API takes (the caller's type checker would say so)."""


def _not_a_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return True
    return False


def _dates_outside(first: date, last: date) -> st.SearchStrategy[date]:
    """Days before `first` or after `last`, the extremes included."""
    return st.one_of(
        st.sampled_from([date.min, date(1, 1, 1), date.max, date(9000, 1, 1)]),
        st.dates(max_value=first - timedelta(days=1)),
        st.dates(min_value=last + timedelta(days=1)),
    )


ZONES = st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))])

# ----------------------------------------------------------------- invalid values by kind


def texts() -> st.SearchStrategy[Any]:
    """Not acceptable free text: other types, empty, blank, too long, or holding a control
    character, a line separator or a lone surrogate."""
    return st.one_of(
        JUNK,
        st.none(),
        st.integers(),
        HUGE_INTS,
        st.floats(),
        st.dates(),
        st.just(""),
        st.sampled_from([" ", "\u3000", "   "]),
        _with_refused_character(),
        st.integers(MAX_TEXT_LENGTH + 1, MAX_TEXT_LENGTH + 50).map(lambda n: "Æ" * n),
        st.just("0101901234" * 100_000),
        CPR_LIKE.map(lambda cpr: cpr + "\n"),
    )


def ids() -> st.SearchStrategy[Any]:
    """No id of the store: other types, text that is no UUID, or a UUID nobody has."""
    return st.one_of(
        JUNK,
        st.none(),
        st.integers(),
        CPR_LIKE,
        st.text(max_size=40).filter(_not_a_uuid),
        st.uuids(),
        st.uuids().map(lambda u: u.hex + "\n"),
    )


def members() -> st.SearchStrategy[Any]:
    """No member of the enum an argument takes: text (its values and names included),
    numbers, or members of another enum (`other` is supplied per argument)."""
    return st.one_of(
        JUNK,
        st.none(),
        st.integers(),
        HUGE_INTS,
        CPR_LIKE,
        st.text(max_size=30),
        st.just("0101901234" * 1000),
    )


def business_dates() -> st.SearchStrategy[Any]:
    """No business date: not a plain date, or before EARLIEST_DATE, or after today."""
    return st.one_of(
        JUNK,
        st.none(),
        st.integers(),
        CPR_LIKE,
        st.just("2025-01-06"),
        st.datetimes(),
        st.datetimes(timezones=ZONES),
        _dates_outside(EARLIEST_DATE, TODAY),
    )


def query_dates() -> st.SearchStrategy[Any]:
    """No day a query asks about: not a plain date, or outside EARLIEST_DATE to
    LATEST_DATE. (None is the default, so it is not here.)"""
    return st.one_of(
        JUNK,
        st.integers(),
        HUGE_INTS,
        CPR_LIKE,
        st.just("2025-01-06"),
        st.datetimes(),
        _dates_outside(EARLIEST_DATE, LATEST_DATE),
    )


def moments() -> st.SearchStrategy[Any]:
    """No `as_known_at`: not a datetime, one without a time zone, or one outside the
    documented range. (None is the default, so it is not here.)"""
    return st.one_of(
        JUNK,
        st.integers(),
        CPR_LIKE,
        st.just("2025-01-06T00:00:00+00:00"),
        st.dates(),
        st.datetimes(),
        st.sampled_from([datetime.max, datetime.min]).map(lambda m: m.replace(tzinfo=UTC)),
        st.builds(
            lambda day, zone: datetime(day.year, day.month, day.day, tzinfo=zone),
            _dates_outside(EARLIEST_DATE, LATEST_DATE),
            ZONES,
        ),
    )


def numbers_outside(
    low: int | Decimal, high: int | Decimal, *, whole: bool = True, optional: bool = False
) -> st.SearchStrategy[Any]:
    """No number from `low` to `high`: other types, text (CPR-like, exponents), numbers
    outside the range (huge ones included), NaN and infinities, and, for `whole`, any float."""
    outside_ints = st.one_of(
        st.integers(max_value=int(low) - 1), st.integers(min_value=int(high) + 1), HUGE_INTS
    )
    floats = (
        st.floats()
        if whole
        else st.one_of(
            st.floats(max_value=float(low), exclude_max=True),
            st.floats(min_value=float(high), exclude_min=True),
            st.sampled_from([float("nan"), float("inf"), float("-inf")]),
        )
    )
    no_digits = st.text(st.characters(blacklist_categories=("Nd",)), max_size=20)
    choices = [JUNK, outside_ints, floats, CPR_LIKE, ODD_DECIMAL_TEXT, no_digits]
    if not optional:
        choices.append(st.none())
    return st.one_of(*choices)


# ----------------------------------------------------------------- the check


def _pieces(value: object, depth: int = 0) -> Iterator[tuple[str, bool]]:
    """The pieces of a value that a message must not repeat, inside collections too: each
    string (no part of it longer than LONGEST_ECHO may be repeated), and each number
    written out (short of Python's digit limit; it may not be repeated whole). A number's
    part may coincide with a limit the message states, so numbers are checked whole."""
    if depth > 3:
        return
    if isinstance(value, str):
        yield value, True
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if abs(value) < 10**4000:
            yield str(value), False
    elif isinstance(value, float | Decimal):
        yield str(value), False
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _pieces(key, depth + 1)
            yield from _pieces(item, depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _pieces(item, depth + 1)


def echoes(message: str, value: object) -> str | None:
    """A piece of `value` longer than LONGEST_ECHO characters that `message` repeats."""
    size = LONGEST_ECHO + 1
    windows = {message[i : i + size] for i in range(len(message) - size + 1)}
    for text, in_part in _pieces(value):
        if len(text) < size:
            continue
        if not in_part:
            if text in message:
                return text
            continue
        for window in windows:
            if window in text:
                return window
    return None


def _twin(value: object, depth: int = 0) -> object:
    """`value` with every letter of its text made "q" and every digit "0": the same shape,
    types and special characters, so refused for the same reason, but in other words."""
    if depth > 3:
        return value
    if isinstance(value, str):
        return "".join("q" if c.isalpha() else "0" if c.isdigit() else c for c in value)
    if isinstance(value, list | tuple):
        return type(value)(_twin(item, depth + 1) for item in value)
    if isinstance(value, set | frozenset):
        return type(value)(_twin(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return {_twin(k, depth + 1): _twin(v, depth + 1) for k, v in value.items()}
    return value


def echoed(message: str, value: object, refusal: Callable[[object], str | None]) -> str | None:
    """A piece of `value` that `message` repeats (see `echoes`), unless the message of the
    refusal of the value's twin (`refusal(twin)`: its message, None if accepted) has the
    same piece: then it is the message's own wording (the value happened to hold a word
    of it), not an echo. Without text, or when the twin is the value, nothing is excused."""
    leaked = echoes(message, value)
    if leaked is None:
        return None
    twin = _twin(value)
    if twin == value:
        return leaked
    twin_message = refusal(twin)
    if twin_message is not None and leaked in twin_message:
        return None
    return leaked


def message_of(call: Callable[[], object]) -> str | None:
    """The message of the CaseloadError `call` raises, or None when it raises none."""
    try:
        result = call()
        if isinstance(result, Iterator):
            next(result, None)
    except CaseloadError as error:
        return str(error)
    return None


def _last_link(app: Caseload) -> bytes | None:
    head = app.wiring.chain().head()
    links = app.wiring.chain().links(head - 1, head, 1) if head else []
    return links[-1][1] if links else None


def log_state(app: Caseload) -> tuple[int, bytes | None]:
    """The log's head and the hash of its last chain link."""
    return app.head(), _last_link(app)


@dataclass(frozen=True, repr=False)
class Target:
    """A public call with arguments that are accepted as they stand, and for each
    argument a strategy of values that must be refused in its place."""

    name: str
    call: Callable[..., object]
    valid: Mapping[str, object]
    invalid: Mapping[str, st.SearchStrategy[Any]]
    writes: bool = True
    """Whether the call, with its valid arguments, records something (a command)."""
    on_empty_store: bool = False
    """Whether the call is made on a store where nothing is recorded yet (configuring a
    programme is accepted only there)."""

    def __repr__(self) -> str:
        return f"Target({self.name})"

    def arguments(self) -> st.SearchStrategy[tuple[str, object]]:
        """One argument's name and a value it must refuse."""
        return st.sampled_from(sorted(self.invalid)).flatmap(
            lambda name: st.tuples(st.just(name), self.invalid[name])
        )


def check_refused(app: Caseload, target: Target, name: str, value: object) -> None:
    """Call `target` with `value` for argument `name` and the valid values for the rest:
    a CaseloadError whose message does not repeat the value, and the log as it was."""
    before = log_state(app)
    arguments = {**target.valid, name: value}
    try:
        result = target.call(app, **arguments)
        if isinstance(result, Iterator):
            next(result, None)
    except CaseloadError as error:
        message = str(error)
    else:
        raise AssertionError(f"{target.name}: {name} of type {type(value).__name__} was accepted")
    leaked = echoed(
        message,
        value,
        lambda twin: message_of(lambda: target.call(app, **{**target.valid, name: twin})),
    )
    assert leaked is None, f"{target.name}: the message repeats {leaked!r} of {name}: {message}"
    assert log_state(app) == before, f"{target.name}: a refused call changed the log"


def target_ids(targets: Iterable[Target]) -> list[str]:
    """Test ids: the targets' names."""
    return [target.name for target in targets]

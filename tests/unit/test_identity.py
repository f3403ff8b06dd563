"""CPR validation, the century rule, pseudonyms and pseudonym keys (`caseload.domain.identity`)."""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseload import (
    Caseload,
    CaseloadError,
    ConfigurationError,
    InvalidCitizenId,
    MissingPseudonymKey,
)
from caseload.domain.identity import (
    MIN_KEY_BYTES,
    birth_date,
    key_bytes,
    normalise_cpr,
    pseudonymise,
)
from tests.conftest import KEY, TODAY, fixed_clock

DIGITS = "0123456789"
RAW_KEY = KEY.encode("utf-8")

# The years the 7th digit of a CPR number allows, per the CPR office's table.
CENTURY_RANGES: dict[int, tuple[tuple[int, int], ...]] = {
    **dict.fromkeys((0, 1, 2, 3), ((1900, 1999),)),
    **dict.fromkeys((4, 9), ((2000, 2036), (1937, 1999))),
    **dict.fromkeys((5, 6, 7, 8), ((2000, 2057), (1858, 1899))),
}


@st.composite
def dated_cprs(draw: st.DrawFn) -> tuple[str, date]:
    """A valid CPR number (10 digits) built from a birth date and a fitting 7th digit."""
    seventh = draw(st.integers(0, 9))
    low, high = draw(st.sampled_from(CENTURY_RANGES[seventh]))
    born = draw(st.dates(min_value=date(low, 1, 1), max_value=date(high, 12, 31)))
    serial = draw(st.integers(0, 999))
    cpr = f"{born:%d%m}{born.year % 100:02d}{seventh}{serial:03d}"
    return cpr, born


def standard_hmac(key: bytes, digits: str) -> str:
    """The documented pseudonym, from the standard library: hex HMAC-SHA-256 of the digits."""
    return hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()


valid_cprs = dated_cprs().map(lambda pair: pair[0])
keys = st.binary(min_size=MIN_KEY_BYTES, max_size=64)


@st.composite
def invalid_digit_strings(draw: st.DrawFn) -> str:
    """Digit strings that are not CPR numbers: wrong length, no such month, or no such day."""
    kind = draw(st.sampled_from(["length", "month", "day"]))
    if kind == "length":
        length = draw(st.integers(5, 30).filter(lambda n: n != 10))
        return draw(st.text(DIGITS, min_size=length, max_size=length))
    tail = draw(st.text(DIGITS, min_size=6, max_size=6))  # YY + SSSS
    if kind == "month":
        month = draw(st.sampled_from([0, *range(13, 100)]))
        return f"{draw(st.integers(0, 99)):02d}{month:02d}{tail}"
    month = draw(st.integers(1, 12))
    # Beyond 31 no month has the day, whatever the year and century.
    day = draw(st.sampled_from([0, *range(32, 100)]))
    return f"{day:02d}{month:02d}{tail}"


# ----------------------------------------------------------------- format


@given(cpr=valid_cprs)
def test_ten_digits_and_hyphenated_form_normalise_to_the_same_digits(cpr: str) -> None:
    """A valid CPR number is accepted as 10 digits and as DDMMYY-SSSS, both giving the digits."""
    assert normalise_cpr(cpr) == cpr
    assert normalise_cpr(f"{cpr[:6]}-{cpr[6:]}") == cpr


@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "123456789",
        "01019012345",
        "0101-901234",
        "010190_1234",
        "01019O1234",
        "０１０１９０１２３４",
    ],
)
def test_malformed_cpr_is_refused(malformed: str) -> None:
    """A CPR number that is not 10 ASCII digits (or DDMMYY-SSSS) is refused (InvalidCitizenId)."""
    with pytest.raises(InvalidCitizenId, match="10 digits"):
        normalise_cpr(malformed)


@pytest.mark.parametrize("not_a_string", [101901234, 1.5, None, b"0101901234", ["0101901234"]])
def test_non_string_cpr_is_refused(not_a_string: object) -> None:
    """A CPR number given as anything but a str is refused with InvalidCitizenId."""
    with pytest.raises(InvalidCitizenId, match=type(not_a_string).__name__):
        normalise_cpr(not_a_string)  # type: ignore[arg-type]


def test_thirtieth_of_february_is_not_a_cpr_number() -> None:
    """A CPR number must begin with a real date: 300290-xxxx (30 February) is refused."""
    with pytest.raises(InvalidCitizenId, match="real birth date"):
        normalise_cpr("3002901234")


@given(cpr=invalid_digit_strings())
def test_invalid_digit_strings_are_refused(cpr: str) -> None:
    """Digit strings of the wrong length or with no real DDMM are refused (InvalidCitizenId)."""
    with pytest.raises(InvalidCitizenId):
        normalise_cpr(cpr)


@given(cpr=invalid_digit_strings(), hyphenate=st.booleans())
def test_invalid_cpr_message_never_contains_the_input(cpr: str, hyphenate: bool) -> None:
    """The InvalidCitizenId message never repeats the number it refuses (in either form)."""
    given_cpr = f"{cpr[:6]}-{cpr[6:]}" if hyphenate and len(cpr) == 10 else cpr
    with pytest.raises(InvalidCitizenId) as caught:
        normalise_cpr(given_cpr)
    message = str(caught.value)
    assert given_cpr not in message
    assert cpr not in message


# ----------------------------------------------------------------- century rule


@given(pair=dated_cprs())
def test_birth_date_follows_the_seventh_digit_century_rule(pair: tuple[str, date]) -> None:
    """birth_date decodes day, month and the year's century from the 7th digit, per the table."""
    cpr, born = pair
    assert birth_date(cpr) == born


@pytest.mark.parametrize(
    ("cpr", "born"),
    [
        ("0101360000", date(1936, 1, 1)),
        ("0101363000", date(1936, 1, 1)),
        ("0101364000", date(2036, 1, 1)),
        ("0101374000", date(1937, 1, 1)),
        ("0101369000", date(2036, 1, 1)),
        ("0101379000", date(1937, 1, 1)),
        ("0101575000", date(2057, 1, 1)),
        ("0101588000", date(1858, 1, 1)),
    ],
)
def test_century_boundaries(cpr: str, born: date) -> None:
    """The century rule switches at YY 36/37 for digits 4 and 9 and at 57/58 for digits 5-8."""
    assert birth_date(cpr) == born


def test_leap_day_2000_is_valid() -> None:
    """290200 with 7th digit 4 is 29 February 2000, a real day."""
    assert birth_date("2902004123") == date(2000, 2, 29)
    assert normalise_cpr("290200-4123") == "2902004123"


def test_leap_day_1900_is_invalid() -> None:
    """290200 with 7th digit 0 would be 29 February 1900, which did not exist; the refusal
    names the rule and no part of the date."""
    with pytest.raises(InvalidCitizenId, match="real birth date") as refusal:
        normalise_cpr("2902000123")
    assert "1900" not in str(refusal.value)
    assert "2902" not in str(refusal.value)


@given(year=st.integers(1900, 1999), seventh=st.integers(0, 3))
def test_leap_days_are_valid_exactly_in_leap_years(year: int, seventh: int) -> None:
    """DD=29, MM=02 is accepted exactly when the decoded year is a leap year."""
    cpr = f"2902{year % 100:02d}{seventh}123"
    if calendar.isleap(year):
        assert birth_date(cpr) == date(year, 2, 29)
    else:
        with pytest.raises(InvalidCitizenId):
            birth_date(cpr)


# ----------------------------------------------------------------- pseudonyms


@given(cpr=valid_cprs, key=keys)
def test_pseudonym_is_deterministic_hex_and_hides_the_cpr(cpr: str, key: bytes) -> None:
    """A pseudonym is 64 lowercase hex chars, the same every time, and never contains the CPR."""
    pseudonym = pseudonymise(cpr, key)
    assert pseudonym == pseudonymise(cpr, key)
    assert re.fullmatch(r"[0-9a-f]{64}", pseudonym)
    assert cpr not in pseudonym


@given(cpr=valid_cprs, key=keys, other=keys)
def test_pseudonym_differs_across_keys(cpr: str, key: bytes, other: bytes) -> None:
    """The same CPR number under two different keys gets two different pseudonyms."""
    if key == other:
        other = other + b"!"
    assert pseudonymise(cpr, key) != pseudonymise(cpr, other)


@given(cpr=valid_cprs, key=keys)
def test_pseudonym_is_the_same_for_both_forms(cpr: str, key: bytes) -> None:
    """DDMMYYSSSS and DDMMYY-SSSS name the same citizen and get the same pseudonym."""
    assert pseudonymise(cpr, key) == pseudonymise(f"{cpr[:6]}-{cpr[6:]}", key)


def test_pseudonym_of_example_forms_are_equal() -> None:
    """The forms 0101901234 and 010190-1234 get one pseudonym, unlike another CPR number."""
    assert pseudonymise("0101901234", RAW_KEY) == pseudonymise("010190-1234", RAW_KEY)
    assert pseudonymise("0101901234", RAW_KEY) != pseudonymise("0101901235", RAW_KEY)


def test_pseudonymise_refuses_an_invalid_cpr() -> None:
    """Pseudonymising validates the CPR number first (no pseudonym for 30 February)."""
    with pytest.raises(InvalidCitizenId):
        pseudonymise("3002901234", RAW_KEY)


# ----------------------------------------------------------------- keys


@pytest.mark.parametrize("missing", [None, "", b""])
def test_key_bytes_refuses_a_missing_key(missing: str | bytes | None) -> None:
    """No key (None or empty) is refused with MissingPseudonymKey."""
    with pytest.raises(MissingPseudonymKey, match="CASELOAD_PSEUDONYM_KEY"):
        key_bytes(missing)


@given(key=st.one_of(st.binary(min_size=1, max_size=15), st.text(min_size=1, max_size=15)))
def test_key_bytes_refuses_a_short_key(key: str | bytes) -> None:
    """A key under 16 bytes is a ConfigurationError (not MissingPseudonymKey) naming both sizes."""
    raw = key.encode("utf-8") if isinstance(key, str) else key
    if len(raw) >= MIN_KEY_BYTES:  # multi-byte characters can make a short str long enough
        assert key_bytes(key) == raw
        return
    with pytest.raises(ConfigurationError) as caught:
        key_bytes(key)
    assert not isinstance(caught.value, MissingPseudonymKey)
    assert f"at least {MIN_KEY_BYTES} bytes; it is {len(raw)}" in str(caught.value)


@given(key=st.one_of(keys, st.text(min_size=MIN_KEY_BYTES, max_size=40)))
def test_key_bytes_accepts_a_long_enough_key(key: str | bytes) -> None:
    """A key of at least 16 bytes is returned as its UTF-8 bytes."""
    assert key_bytes(key) == (key.encode("utf-8") if isinstance(key, str) else key)


def test_key_length_counts_utf8_bytes() -> None:
    """Key length is measured in bytes: 8 × "æ" is 16 bytes and enough; 15 × "a" is not."""
    assert key_bytes("æ" * 8) == ("æ" * 8).encode("utf-8")
    with pytest.raises(ConfigurationError, match="it is 15"):
        key_bytes("a" * 15)


def test_errors_are_caseload_errors() -> None:
    """Identity errors all derive from CaseloadError."""
    assert issubclass(InvalidCitizenId, CaseloadError)
    assert issubclass(MissingPseudonymKey, ConfigurationError)
    assert issubclass(ConfigurationError, CaseloadError)


# ----------------------------------------------------------------- through the facade


def test_open_trajectory_without_a_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pseudonym_key or CASELOAD_PSEUDONYM_KEY, opening a trajectory raises."""
    monkeypatch.delenv("CASELOAD_PSEUDONYM_KEY", raising=False)
    with Caseload("memory://", clock=fixed_clock) as app:
        before = app.head()
        with pytest.raises(MissingPseudonymKey):
            app.open_trajectory(cpr="0101901234", on=TODAY)
        assert app.head() == before


def test_key_from_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """CASELOAD_PSEUDONYM_KEY keys the pseudonyms when no pseudonym_key is passed."""
    monkeypatch.setenv("CASELOAD_PSEUDONYM_KEY", KEY)
    with Caseload("memory://", clock=fixed_clock) as app:
        trajectory = app.open_trajectory(cpr="0101901234", on=TODAY)
        assert app.trajectory(trajectory).citizen == standard_hmac(RAW_KEY, "0101901234")


def test_short_key_is_refused_by_the_facade(monkeypatch: pytest.MonkeyPatch) -> None:
    """Caseload refuses a pseudonym key shorter than 16 bytes when it is constructed."""
    monkeypatch.delenv("CASELOAD_PSEUDONYM_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="it is 5"):
        Caseload("memory://", pseudonym_key="short", clock=fixed_clock)


born_by_today = dated_cprs().filter(lambda pair: pair[1] <= TODAY).map(lambda pair: pair[0])


@given(cpr=born_by_today)
def test_stored_events_hold_the_pseudonym_never_the_cpr(cpr: str) -> None:
    """Opening a trajectory stores the keyed pseudonym; no event mentions the CPR number."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        trajectory = app.open_trajectory(cpr=f"{cpr[:6]}-{cpr[6:]}", on=TODAY)
        assert app.trajectory(trajectory).citizen == standard_hmac(RAW_KEY, cpr)
        for stored in app.events():
            assert cpr not in repr(stored.__dict__)


def test_facade_refuses_an_invalid_cpr_without_writing() -> None:
    """An invalid CPR number is refused by open_trajectory and nothing is written."""
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        before = app.head()
        with pytest.raises(InvalidCitizenId) as caught:
            app.open_trajectory(cpr="3002901234", on=TODAY)
        assert "3002901234" not in str(caught.value)
        assert app.head() == before


@given(pair=dated_cprs().filter(lambda pair: pair[1] > TODAY))
def test_a_birth_date_after_today_is_refused(pair: tuple[str, date]) -> None:
    """A CPR number whose birth date lies after today is refused, writing nothing and
    naming no part of the number."""
    cpr, _ = pair
    with Caseload("memory://", pseudonym_key=KEY, clock=fixed_clock) as app:
        with pytest.raises(InvalidCitizenId, match="birth date after today") as refusal:
            app.open_trajectory(cpr=cpr, on=TODAY)
        assert cpr[:6] not in str(refusal.value)
        assert app.head() == 0

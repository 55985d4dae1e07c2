"""Tests for records.numbering: pure, no database."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import pytest

from records.numbering import (
    MAX_CHAIN_DEPTH,
    MAX_KEY_LENGTH,
    MAX_NUMBER_LENGTH,
    RecordNumberError,
    day_sequence_key,
    format_record_number,
    format_related_number,
    format_sequence,
    looks_like_record_number,
    normalise,
    related_sequence_key,
    split_unrelated,
)

NOV22 = date(2026, 11, 22)
NOV23 = date(2026, 11, 23)
FIRST = "D0201-2026112201"


# -- acceptance: the customer's examples -------------------------------------------


def test_acceptance_example() -> None:
    """D0201 twice on 22 Nov and once on 23 Nov; two D0302 related to the first."""
    # The caller draws each seq from the counter named by the key; simulate it.
    counters: dict[str, int] = {}

    def next_value(key: str) -> int:
        counters[key] = counters.get(key, 0) + 1
        return counters[key]

    made = [
        format_record_number("D0201", on, next_value(day_sequence_key("D0201", on)))
        for on in (NOV22, NOV22, NOV23)
    ]
    assert made == ["D0201-2026112201", "D0201-2026112202", "D0201-2026112301"]

    related = [
        format_related_number(
            "D0302", made[0], next_value(related_sequence_key("D0302", made[0]))
        )
        for _ in range(3)
    ]
    assert related == [
        "D0302-D0201-2026112201",
        "D0302-02-D0201-2026112201",
        "D0302-03-D0201-2026112201",
    ]


# -- format_sequence ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, "01"),
        (2, "02"),
        (9, "09"),
        (10, "10"),
        (99, "99"),
        (100, "100"),
        (101, "101"),
        (999, "999"),
        (1000, "1000"),
        (12345, "12345"),
    ],
)
def test_format_sequence(value: int, expected: str) -> None:
    assert format_sequence(value) == expected


@pytest.mark.parametrize("value", [0, -1, -100, True, False, 1.0, "1", None])
def test_format_sequence_rejects(value: object) -> None:
    with pytest.raises(RecordNumberError):
        format_sequence(value)  # type: ignore[arg-type]


def test_record_number_error_is_a_value_error_with_message() -> None:
    with pytest.raises(ValueError) as excinfo:
        format_sequence(0)
    assert isinstance(excinfo.value, RecordNumberError)
    assert excinfo.value.message == str(excinfo.value)
    assert "0" in excinfo.value.message


# -- format_record_number -----------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "on", "seq", "expected"),
    [
        ("D0201", NOV22, 1, "D0201-2026112201"),
        ("D0201", NOV22, 2, "D0201-2026112202"),
        ("D0201", NOV23, 1, "D0201-2026112301"),
        ("D0201", NOV22, 99, "D0201-2026112299"),
        ("D0201", NOV22, 100, "D0201-20261122100"),
        ("D0201", NOV22, 1000, "D0201-202611221000"),
        ("D0503", date(2027, 1, 5), 7, "D0503-2027010507"),
        ("D005100", date(2026, 2, 28), 3, "D005100-2026022803"),
        ("ITSMS-P05-R02", NOV22, 1, "ITSMS-P05-R02-2026112201"),
        ("ITSMS-M01-R100", NOV22, 12, "ITSMS-M01-R100-2026112212"),
        ("D0201", date(999, 3, 4), 1, "D0201-0999030401"),
        ("D0201", datetime(2026, 11, 22, 23, 59), 1, "D0201-2026112201"),
    ],
)
def test_format_record_number(form: str, on: date, seq: int, expected: str) -> None:
    assert format_record_number(form, on, seq) == expected


@pytest.mark.parametrize(
    ("form", "seq"),
    [
        ("", 1),
        ("d0201", 1),  # not canonical: callers normalise
        ("0201", 1),  # a form number starts with a letter
        ("D0201-", 1),
        ("-D0201", 1),
        ("ITSMS--P05", 1),
        ("D 0201", 1),
        ("D0201:X", 1),
        ("Ｄ0201", 1),
        ("D0201", 0),
        ("D0201", -1),
        ("D" * (MAX_NUMBER_LENGTH - 10), 1),  # 201 characters
    ],
)
def test_format_record_number_rejects(form: str, seq: int) -> None:
    with pytest.raises(RecordNumberError):
        format_record_number(form, NOV22, seq)


def test_format_record_number_at_the_length_limit() -> None:
    form = "D" * (MAX_NUMBER_LENGTH - 11)
    number = format_record_number(form, NOV22, 1)
    assert len(number) == MAX_NUMBER_LENGTH


# -- format_related_number -------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "source", "ordinal", "depth", "expected"),
    [
        ("D0302", FIRST, 1, 1, "D0302-D0201-2026112201"),
        ("D0302", FIRST, 2, 1, "D0302-02-D0201-2026112201"),
        ("D0302", FIRST, 3, 1, "D0302-03-D0201-2026112201"),
        ("D0302", FIRST, 99, 1, "D0302-99-D0201-2026112201"),
        ("D0302", FIRST, 100, 1, "D0302-100-D0201-2026112201"),
        ("D0302", "D0201-20261122100", 1, 1, "D0302-D0201-20261122100"),
        # chains
        ("D0503", "D0302-D0201-2026112201", 1, 2, "D0503-D0302-D0201-2026112201"),
        (
            "D0503",
            "D0302-D0201-2026112201",
            2,
            2,
            "D0503-02-D0302-D0201-2026112201",
        ),
        (
            "D0503",
            "D0302-02-D0201-2026112201",
            1,
            2,
            "D0503-D0302-02-D0201-2026112201",
        ),
        # a related record of the same form as its source is fine
        ("D0201", FIRST, 1, 1, "D0201-D0201-2026112201"),
        # hyphenated form numbers (scheme itsms)
        (
            "ITSMS-P05-R03",
            "ITSMS-P05-R02-2026112201",
            1,
            1,
            "ITSMS-P05-R03-ITSMS-P05-R02-2026112201",
        ),
        (
            "ITSMS-P05-R03",
            "ITSMS-P05-R02-2026112201",
            2,
            1,
            "ITSMS-P05-R03-02-ITSMS-P05-R02-2026112201",
        ),
    ],
)
def test_format_related_number(
    form: str, source: str, ordinal: int, depth: int, expected: str
) -> None:
    assert format_related_number(form, source, ordinal, depth=depth) == expected


def test_format_related_number_defaults_to_first_at_depth_one() -> None:
    assert format_related_number("D0302", FIRST) == "D0302-D0201-2026112201"


def test_ordinal_after_the_form_keeps_chains_unambiguous() -> None:
    """The 2nd D0503 of the 1st D0302 and the 1st D0503 of the 2nd D0302 differ."""
    first_d0302 = format_related_number("D0302", FIRST, 1)
    second_d0302 = format_related_number("D0302", FIRST, 2)
    second_d0503_of_first = format_related_number("D0503", first_d0302, 2, depth=2)
    first_d0503_of_second = format_related_number("D0503", second_d0302, 1, depth=2)
    assert second_d0503_of_first == "D0503-02-D0302-D0201-2026112201"
    assert first_d0503_of_second == "D0503-D0302-02-D0201-2026112201"
    assert second_d0503_of_first != first_d0503_of_second


@pytest.mark.parametrize(
    ("form", "source", "ordinal", "depth"),
    [
        ("d0302", FIRST, 1, 1),  # form not canonical
        ("", FIRST, 1, 1),
        ("D0302", "d0201-2026112201", 1, 1),  # source not canonical
        ("D0302", "D0201", 1, 1),  # source has no date and sequence
        ("D0302", "D0201-2026113201", 1, 1),  # 32 November
        ("D0302", "D0201-202611221", 1, 1),  # sequence written with one digit
        ("D0302", "D0201-20261122001", 1, 1),  # sequence with a leading zero
        ("D0302", "D0201-2026112200", 1, 1),  # sequence 0
        ("D0302", " D0201-2026112201", 1, 1),
        ("D0302", "", 1, 1),
        ("D0302", FIRST, 0, 1),
        ("D0302", FIRST, -2, 1),
        ("D0302", FIRST, True, 1),
        ("D0302", FIRST, 1, 0),
        ("D0302", FIRST, 1, -1),
        ("D0302", FIRST, 1, MAX_CHAIN_DEPTH + 1),
        ("D0302", FIRST, 2, MAX_CHAIN_DEPTH + 1),
    ],
)
def test_format_related_number_rejects(
    form: str, source: str, ordinal: int, depth: int
) -> None:
    with pytest.raises(RecordNumberError):
        format_related_number(form, source, ordinal, depth=depth)


def test_chains_up_to_max_depth() -> None:
    number = FIRST
    forms = [f"D{n:02d}01" for n in range(3, 3 + MAX_CHAIN_DEPTH)]
    for depth, form in enumerate(forms, start=1):
        number = format_related_number(form, number, depth=depth)
    assert number.startswith("D1001-D0901-")
    assert number.endswith("-D0301-D0201-2026112201")
    with pytest.raises(RecordNumberError, match=str(MAX_CHAIN_DEPTH)):
        format_related_number("D1101", number, depth=MAX_CHAIN_DEPTH + 1)


def test_related_number_longer_than_the_limit_is_refused() -> None:
    source = format_record_number("D" * 150, NOV22, 1)  # 161 characters
    form = "E" * (MAX_NUMBER_LENGTH - len(source) - 1)
    assert len(format_related_number(form, source)) == MAX_NUMBER_LENGTH
    with pytest.raises(RecordNumberError):
        format_related_number(form + "E", source)
    with pytest.raises(RecordNumberError):
        format_related_number(form, source, 2)  # the ordinal adds three characters


# -- sequence keys ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "on", "expected"),
    [
        ("D0201", NOV22, "record:D0201:20261122"),
        ("D0201", NOV23, "record:D0201:20261123"),
        ("D0302", NOV22, "record:D0302:20261122"),
        ("ITSMS-P05-R02", date(2027, 1, 2), "record:ITSMS-P05-R02:20270102"),
    ],
)
def test_day_sequence_key(form: str, on: date, expected: str) -> None:
    assert day_sequence_key(form, on) == expected


@pytest.mark.parametrize(
    ("form", "source", "expected"),
    [
        ("D0302", FIRST, "record-rel:D0302:D0201-2026112201"),
        ("D0302", "D0201-2026112202", "record-rel:D0302:D0201-2026112202"),
        ("D0503", "D0302-D0201-2026112201", "record-rel:D0503:D0302-D0201-2026112201"),
        (
            "ITSMS-P05-R03",
            "ITSMS-P05-R02-2026112201",
            "record-rel:ITSMS-P05-R03:ITSMS-P05-R02-2026112201",
        ),
    ],
)
def test_related_sequence_key(form: str, source: str, expected: str) -> None:
    assert related_sequence_key(form, source) == expected


def test_keys_differ_per_form_day_and_source() -> None:
    keys = {
        day_sequence_key("D0201", NOV22),
        day_sequence_key("D0201", NOV23),
        day_sequence_key("D0202", NOV22),
        related_sequence_key("D0302", FIRST),
        related_sequence_key("D0302", "D0201-2026112202"),
        related_sequence_key("D0303", FIRST),
    }
    assert len(keys) == 6


def test_long_related_key_is_hashed() -> None:
    source = format_record_number("D" * 189, NOV22, 1)  # 200 characters
    form = "F" * 60
    key = related_sequence_key(form, source)
    digest = hashlib.sha1(f"{form}:{source}".encode()).hexdigest()
    assert key == f"record-rel:sha1:{digest}"
    assert len(key) <= MAX_KEY_LENGTH
    assert related_sequence_key(form, source) == key  # stable
    assert related_sequence_key(form + "G", source) != key


def test_key_at_the_limit_is_not_hashed() -> None:
    source = format_record_number("D" * 189, NOV22, 1)  # 200 characters
    form = "F" * (MAX_KEY_LENGTH - len("record-rel:") - 1 - len(source))
    key = related_sequence_key(form, source)
    assert len(key) == MAX_KEY_LENGTH
    assert key == f"record-rel:{form}:{source}"


@pytest.mark.parametrize(
    ("form", "source"),
    [("d0302", FIRST), ("D0302", "D0201"), ("D0302", "d0201-2026112201")],
)
def test_related_sequence_key_rejects(form: str, source: str) -> None:
    with pytest.raises(RecordNumberError):
        related_sequence_key(form, source)


def test_day_sequence_key_rejects_a_bad_form() -> None:
    with pytest.raises(RecordNumberError):
        day_sequence_key("D0201 ", NOV22)


# -- normalise --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("D0201-2026112201", "D0201-2026112201"),
        ("  d0201-2026112201\n", "D0201-2026112201"),
        ("Ｄ０２０１－２０２６１１２２０１", "D0201-2026112201"),
        ("ｄ０２０１－２０２６", "D0201-2026"),
        ("\u3000D0201-2026112201\u3000", "D0201-2026112201"),
        ("D0201\u22122026112201", "D0201-2026112201"),  # minus sign
        ("D0201\u20132026112201", "D0201-2026112201"),  # en dash
        ("D0201\u20142026112201", "D0201-2026112201"),  # em dash
        ("D0201\u20102026112201", "D0201-2026112201"),  # hyphen
        ("D0201\u20112026112201", "D0201-2026112201"),  # non-breaking hyphen
        ("D0201\uff0d2026112201", "D0201-2026112201"),  # full-width hyphen-minus
        ("\u200bD0201-2026\u200c1122\u200d01\ufeff", "D0201-2026112201"),
        ("D0201 - 2026112201", "D0201-2026112201"),
        ("D0201\u00a0-\u00a02026112201", "D0201-2026112201"),
        ("itsms-p05-r02-2026112201", "ITSMS-P05-R02-2026112201"),
        ("", ""),
        ("   ", ""),
        ("会议记录 d0201", "会议记录D0201"),  # not validated; only ASCII upper-cased
        ("straße", "STRAßE"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    "number", ["D0201-2026112201", "D0302-02-D0201-2026112201", "ITSMS-P05-R02"]
)
def test_normalise_leaves_canonical_numbers_alone(number: str) -> None:
    assert normalise(number) == number
    assert normalise(normalise(" " + number.lower())) == number


# -- looks_like_record_number ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("D0201-2026112201", True),
        ("D0201-20261122100", True),
        ("d0201-2026112201", True),
        (" Ｄ０２０１－２０２６１１２２０１ ", True),
        ("D0302-D0201-2026112201", True),
        ("D0302-02-D0201-2026112201", True),
        ("D0503-D0302-D0201-2026112201", True),
        ("ITSMS-P05-R02-2026112201", True),
        ("ITSMS-P05-R03-ITSMS-P05-R02-2026112201", True),
        ("D0201-2026113201", True),  # shape only: the date isn't checked
        ("D0201", False),  # a form number
        ("B05", False),
        ("ITSMS-P05-R02", False),
        ("D0201-202611220", False),  # nine digits
        ("D0201-20261122", False),  # a date without a sequence
        ("2026112201", False),
        ("-2026112201", False),
        ("0201-2026112201", False),  # starts with a digit
        ("D0201--2026112201", False),  # empty segment
        ("D0201-2026112201-", False),
        ("D0201_2026112201", False),
        ("D0201-2026112201X", False),
        ("会议记录", False),
        ("D0201-2026112201 会议", False),
        ("", False),
        ("   ", False),
        ("retention 3 years", False),
        ("D" * (MAX_NUMBER_LENGTH - 10) + "-2026112201", False),  # 201 characters
        ("D" * (MAX_NUMBER_LENGTH - 11) + "-2026112201", True),  # 200 characters
    ],
)
def test_looks_like_record_number(text: str, expected: bool) -> None:
    assert looks_like_record_number(text) is expected


# -- split_unrelated ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("D0201-2026112201", ("D0201", NOV22, 1)),
        ("D0201-2026112202", ("D0201", NOV22, 2)),
        ("D0201-2026112301", ("D0201", NOV23, 1)),
        ("D0201-2026112299", ("D0201", NOV22, 99)),
        ("D0201-20261122100", ("D0201", NOV22, 100)),
        ("D0201-202611221000", ("D0201", NOV22, 1000)),
        ("D0201-2028022901", ("D0201", date(2028, 2, 29), 1)),
        ("ITSMS-P05-R02-2026112201", ("ITSMS-P05-R02", NOV22, 1)),
        # related numbers: the prefix includes the chain
        ("D0302-D0201-2026112201", ("D0302-D0201", NOV22, 1)),
        ("D0302-02-D0201-2026112201", ("D0302-02-D0201", NOV22, 1)),
        (
            "ITSMS-P05-R03-ITSMS-P05-R02-2026112201",
            ("ITSMS-P05-R03-ITSMS-P05-R02", NOV22, 1),
        ),
    ],
)
def test_split_unrelated(number: str, expected: tuple[str, date, int]) -> None:
    assert split_unrelated(number) == expected


@pytest.mark.parametrize(
    "number",
    [
        "D0201",
        "D0201-",
        "D0201-20261122",  # no sequence
        "D0201-202611221",  # one-digit sequence
        "D0201-20261122001",  # leading zero
        "D0201-20261122010",  # leading zero (would be sequence 10)
        "D0201-2026112200",  # sequence 0
        "D0201-2026113201",  # 32 November
        "D0201-2027022901",  # 29 February of a common year
        "D0201-2026002201",  # month 0
        "D0201-0000112201",  # year 0
        "d0201-2026112201",  # not canonical
        " D0201-2026112201",
        "D0201--2026112201",
        "-2026112201",
        "2026112201",
        "D0201-2026112201A",
        "",
        "D" * (MAX_NUMBER_LENGTH - 10) + "-2026112201",  # too long
        "D0201-" + "9" * 4400,  # never reaches int()
    ],
)
def test_split_unrelated_refuses(number: str) -> None:
    assert split_unrelated(number) is None


@pytest.mark.parametrize("form", ["D0201", "D005100", "ITSMS-P05-R02", "X1"])
@pytest.mark.parametrize(
    "on", [NOV22, date(2028, 2, 29), date(2026, 1, 1), date(2026, 12, 31)]
)
@pytest.mark.parametrize("seq", [1, 2, 9, 10, 99, 100, 101, 999, 1000, 12345])
def test_split_unrelated_round_trip(form: str, on: date, seq: int) -> None:
    number = format_record_number(form, on, seq)
    assert split_unrelated(number) == (form, on, seq)
    assert looks_like_record_number(number)
    assert normalise(number) == number

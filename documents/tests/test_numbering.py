"""Tests for documents.numbering: pure, no database and no Django settings needed."""

from __future__ import annotations

import itertools
import random
from types import SimpleNamespace

import pytest

from documents import numbering
from documents.numbering import (
    KIND_OF_TIER,
    SCHEMES,
    TIER_OF_KIND,
    AbcdScheme,
    ItsmsScheme,
    Kind,
    NumberingError,
    ParsedNumber,
    Scheme,
    get_scheme,
    sort_key,
)

M, P, WI, F = Kind.MANUAL, Kind.PROCEDURE, Kind.INSTRUCTION, Kind.FORM

ABCD = AbcdScheme()
ITSMS = ItsmsScheme("ITSMS")

# Sequences around every change of width, plus a sprinkling in between.
BOUNDARY_SEQS = (1, 2, 9, 10, 11, 98, 99, 100, 101, 999, 1000, 1001, 9999, 10000)
LOOP_SEQS = sorted({*range(1, 151, 7), 99, 100, 101, 150})


# -- kinds ----------------------------------------------------------------------


def test_tiers_are_a_bijection() -> None:
    assert TIER_OF_KIND == {M: 1, P: 2, WI: 3, F: 4}
    assert {tier: kind for kind, tier in TIER_OF_KIND.items()} == KIND_OF_TIER
    assert set(TIER_OF_KIND) == set(Kind)


@pytest.mark.parametrize(
    ("value", "kind"),
    [("manual", M), ("procedure", P), ("instruction", WI), ("form", F)],
)
def test_kind_values(value: str, kind: Kind) -> None:
    assert Kind(value) is kind
    assert kind == value


def test_schemes_lists_every_scheme() -> None:
    assert SCHEMES == ("abcd", "itsms")
    schemes = [get_scheme(name, system_code="ITSMS") for name in SCHEMES]
    assert [scheme.name for scheme in schemes] == list(SCHEMES)


# -- abcd: format / parse -----------------------------------------------------------

ABCD_EXAMPLES: list[tuple[Kind, int, str | None, str]] = [
    (M, 1, None, "A01"),
    (M, 2, None, "A02"),
    (M, 100, None, "A100"),
    (P, 1, None, "B01"),
    (P, 5, None, "B05"),
    (P, 99, None, "B99"),
    (P, 100, None, "B100"),
    (P, 999, None, "B999"),
    (P, 1000, None, "B1000"),
    (WI, 1, "B01", "C0101"),
    (WI, 1, "B05", "C0501"),
    (WI, 99, "B05", "C0599"),
    (WI, 100, "B05", "C005100"),
    (WI, 1, "B100", "C100001"),
    (WI, 100, "B100", "C100100"),
    (WI, 3456, "B12", "C00123456"),
    (WI, 1, "B03", "C0301"),
    (F, 1, "B02", "D0201"),
    (F, 9, "B05", "D0509"),
    (F, 1, "B03", "D0301"),
    (F, 1, "B100", "D100001"),
    (F, 1000, "B1000", "D10001000"),
]


@pytest.mark.parametrize(("kind", "seq", "parent", "number"), ABCD_EXAMPLES)
def test_abcd_format(kind: Kind, seq: int, parent: str | None, number: str) -> None:
    assert ABCD.format(kind, seq, parent) == number


@pytest.mark.parametrize(("kind", "seq", "parent", "number"), ABCD_EXAMPLES)
def test_abcd_parse(kind: Kind, seq: int, parent: str | None, number: str) -> None:
    assert ABCD.parse(number) == ParsedNumber(kind=kind, seq=seq, parent=parent)
    assert ABCD.is_valid(number)


def test_abcd_format_accepts_kind_values_as_strings() -> None:
    assert ABCD.format("instruction", 1, "B05") == "C0501"


@pytest.mark.parametrize("kind", [M, P])
@pytest.mark.parametrize("seq", [*BOUNDARY_SEQS, *range(1, 2001, 13)])
def test_abcd_single_component_round_trip(kind: Kind, seq: int) -> None:
    number = ABCD.format(kind, seq)
    assert len(number) == 1 + max(2, len(str(seq)))
    assert ABCD.parse(number) == ParsedNumber(kind, seq, None)


@pytest.mark.parametrize("kind", [WI, F])
def test_abcd_concatenated_round_trip_and_injective(kind: Kind) -> None:
    seen: dict[str, tuple[int, int]] = {}
    for parent_seq, seq in itertools.product(
        sorted({*range(1, 151), *BOUNDARY_SEQS}), sorted({*LOOP_SEQS, *BOUNDARY_SEQS})
    ):
        parent = ABCD.format(P, parent_seq)
        number = ABCD.format(kind, seq, parent)
        digits = number[1:]
        width = max(2, len(str(parent_seq)), len(str(seq)))
        assert len(digits) == 2 * width, number
        assert (int(digits[:width]), int(digits[width:])) == (parent_seq, seq)
        assert ABCD.parse(number) == ParsedNumber(kind, seq, parent)
        assert seen.setdefault(number, (parent_seq, seq)) == (parent_seq, seq), number


def test_abcd_existing_numbers_do_not_change_when_a_sibling_passes_99() -> None:
    before = [ABCD.format(WI, seq, "B05") for seq in range(1, 100)]
    after = [ABCD.format(WI, seq, "B05") for seq in range(1, 102)]
    assert after[:99] == before
    assert after[99:] == ["C005100", "C005101"]


@pytest.mark.parametrize(
    "number",
    [
        "",
        "A",
        "B",
        "01",
        "E01",
        "B00",  # sequence 0
        "A00",
        "B5",  # too few digits
        "B005",  # leading zero beyond two digits
        "B0100",
        "A0001",
        "C05",  # only one component
        "C050",
        "C10001",  # odd digit count
        "D12345",
        "C005005",  # width 3 although both fit in 2 (canonical: C0505)
        "C00050005",
        "C0100100",  # width 4 although both fit in 3 (canonical: C100100)
        "C0500",  # own sequence 0
        "C0005",  # parent sequence 0
        "D0000",
        "b05",  # lower case (normalise() fixes it)
        "c0501",
        " B05",
        "B05 ",
        "B 05",
        "B-05",
        "B05X",
        "ＢＯ５",
        "Ｂ０５",  # full-width (normalise() fixes it)
        "B٠٥",  # Arabic-Indic digits
        "ITSMS-P05",  # another scheme
        "B" + "1" * 5000,  # absurdly long
    ],
)
def test_abcd_parse_rejects_non_canonical(number: str) -> None:
    assert not ABCD.is_valid(number)
    with pytest.raises(NumberingError) as excinfo:
        ABCD.parse(number)
    assert excinfo.value.message == str(excinfo.value)


@pytest.mark.parametrize("number", [None, 5, b"B05"])
def test_parse_rejects_non_strings(number: object) -> None:
    for scheme in (ABCD, ITSMS):
        assert not scheme.is_valid(number)  # type: ignore[arg-type]
        with pytest.raises(NumberingError):
            scheme.parse(number)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "seq", "parent"),
    [
        (P, 0, None),  # sequence below 1
        (P, -1, None),
        (P, True, None),  # bool is not a sequence
        (P, 1.0, None),
        (P, "1", None),
        ("other", 1, None),  # not a numbered kind
        ("external", 1, None),
        (M, 1, "B05"),  # manuals and procedures take no parent
        (P, 1, "B05"),
        (WI, 1, None),  # instructions and forms need one
        (F, 1, None),
        (WI, 1, "A01"),  # ... and it must be a procedure
        (F, 1, "A01"),
        (F, 1, "C0501"),
        (WI, 1, "D0501"),
        (WI, 1, "b05"),  # ... written canonically
        (WI, 1, "B5"),
        (WI, 1, "B00"),
        (WI, 1, "ITSMS-P05"),
    ],
)
def test_abcd_format_rejects(kind: Kind, seq: int, parent: str | None) -> None:
    with pytest.raises(NumberingError):
        ABCD.format(kind, seq, parent)


# -- itsms: format / parse ----------------------------------------------------------

ITSMS_EXAMPLES: list[tuple[Kind, int, str | None, str]] = [
    (M, 1, None, "ITSMS-M01"),
    (P, 5, None, "ITSMS-P05"),
    (P, 99, None, "ITSMS-P99"),
    (P, 100, None, "ITSMS-P100"),
    (WI, 3, None, "ITSMS-WI03"),
    (WI, 1000, None, "ITSMS-WI1000"),
    (F, 2, "ITSMS-P05", "ITSMS-P05-R02"),
    (F, 1, "ITSMS-M01", "ITSMS-M01-R01"),
    (F, 1, "ITSMS-WI03", "ITSMS-WI03-R01"),
    (F, 100, "ITSMS-P05", "ITSMS-P05-R100"),
    (F, 1, "ITSMS-P100", "ITSMS-P100-R01"),
]


@pytest.mark.parametrize(("kind", "seq", "parent", "number"), ITSMS_EXAMPLES)
def test_itsms_format(kind: Kind, seq: int, parent: str | None, number: str) -> None:
    assert ITSMS.format(kind, seq, parent) == number


@pytest.mark.parametrize(("kind", "seq", "parent", "number"), ITSMS_EXAMPLES)
def test_itsms_parse(kind: Kind, seq: int, parent: str | None, number: str) -> None:
    assert ITSMS.parse(number) == ParsedNumber(kind=kind, seq=seq, parent=parent)


def test_itsms_instruction_number_ignores_its_tree_parent() -> None:
    assert ITSMS.format(WI, 3, "ITSMS-P05") == "ITSMS-WI03"
    assert ITSMS.parse("ITSMS-WI03").parent is None


@pytest.mark.parametrize(
    ("code", "number"),
    [("QMS", "QMS-P05"), ("ISMS2", "ISMS2-P05"), ("27001", "27001-P05")],
)
def test_itsms_system_code_is_configurable(code: str, number: str) -> None:
    scheme = ItsmsScheme(code)
    assert scheme.format(P, 5) == number
    assert scheme.format(F, 2, number) == number + "-R02"
    assert scheme.is_valid(number)
    assert not scheme.is_valid("ITSMS-P05")
    assert not ITSMS.is_valid(number)


@pytest.mark.parametrize("parent_kind", [M, P, WI])
def test_itsms_round_trip_and_injective(parent_kind: Kind) -> None:
    seen: set[str] = set()
    for parent_seq in sorted({*range(1, 151), *BOUNDARY_SEQS}):
        parent = ITSMS.format(parent_kind, parent_seq)
        assert ITSMS.parse(parent) == ParsedNumber(parent_kind, parent_seq, None)
        assert parent not in seen
        seen.add(parent)
        for seq in sorted({*LOOP_SEQS, *BOUNDARY_SEQS}):
            number = ITSMS.format(F, seq, parent)
            assert ITSMS.parse(number) == ParsedNumber(F, seq, parent)
            assert number not in seen
            seen.add(number)


@pytest.mark.parametrize(
    "number",
    [
        "",
        "ITSMS",
        "ITSMS-",
        "ITSMS-P",
        "ITSMS-P5",
        "ITSMS-P005",
        "ITSMS-P0100",
        "ITSMS-P00",
        "ITSMS-WI3",
        "ITSMS-X01",
        "ITSMS-R01",  # a form needs a parent
        "ITSMS-P05-R",
        "ITSMS-P05-R1",
        "ITSMS-P05-R00",
        "ITSMS-P05-R001",
        "ITSMS-P5-R01",
        "ITSMS-P05-R01-R01",  # no forms under forms
        "ITSMS-P05-D01",
        "ITSMSP05",
        "ITSMS P05",
        "ITSMS_P05",
        "-P05",
        "ISMS-P05",  # another system code
        "XITSMS-P05",
        "itsms-p05",  # lower case
        "ITSMS-p05",
        "ITSMS－P05",  # full-width dash
        " ITSMS-P05",
        "ITSMS-P05 ",
        "B05",
        "ITSMS-P" + "1" * 5000,
    ],
)
def test_itsms_parse_rejects_non_canonical(number: str) -> None:
    assert not ITSMS.is_valid(number)
    with pytest.raises(NumberingError):
        ITSMS.parse(number)


@pytest.mark.parametrize(
    ("kind", "seq", "parent"),
    [
        (P, 0, None),
        (M, 1, "ITSMS-M01"),
        (P, 1, "ITSMS-M01"),
        (F, 1, None),  # a form embeds its parent
        (F, 1, "ITSMS-P05-R01"),  # ... which is not a form
        (F, 1, "ISMS-P05"),  # ... of this system code
        (F, 1, "B05"),
        (F, 1, "itsms-p05"),
        (WI, 1, "ITSMS-M01"),  # an instruction hangs under a procedure
        (WI, 1, "ITSMS-WI01"),
    ],
)
def test_itsms_format_rejects(kind: Kind, seq: int, parent: str | None) -> None:
    with pytest.raises(NumberingError):
        ITSMS.format(kind, seq, parent)


@pytest.mark.parametrize("code", ["", "IT-SMS", "IT SMS", "ITSMS!", "体系", None])
def test_itsms_rejects_bad_system_codes(code: str) -> None:
    with pytest.raises(NumberingError):
        ItsmsScheme(code)


def test_itsms_system_code_is_cleaned() -> None:
    assert ItsmsScheme(" itsms ") == ITSMS
    assert ItsmsScheme("ｑｍｓ").system_code == "QMS"


# -- normalise --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "raw", "expected"),
    [
        (ABCD, "B05", "B05"),
        (ABCD, " b05 ", "B05"),
        (ABCD, "c0501", "C0501"),
        (ABCD, "\tc005100\n", "C005100"),
        (ABCD, "Ｂ０５", "B05"),
        (ABCD, "ｃ０５０１", "C0501"),
        (ABCD, "\u3000B05\u3000", "B05"),  # ideographic spaces
        (ABCD, "B 05", "B05"),
        # Not parseable: cleaned but otherwise unchanged, never raises.
        (ABCD, " b5 ", "B5"),
        (ABCD, "c005005", "C005005"),
        (ABCD, "ｘｙｚ", "XYZ"),
        (ABCD, "not a number", "NOT A NUMBER"),
        (ABCD, "", ""),
        (ABCD, "   ", ""),
        (ITSMS, "ITSMS-P05", "ITSMS-P05"),
        (ITSMS, "ｉｔｓｍｓ－ｐ０５", "ITSMS-P05"),
        (ITSMS, " itsms-p05-r02 ", "ITSMS-P05-R02"),
        (ITSMS, "ITSMS—WI03", "ITSMS-WI03"),  # em dash
        (ITSMS, "ITSMS–P05–R01", "ITSMS-P05-R01"),  # en dashes
        (ITSMS, "itsms - p05", "ITSMS-P05"),
        (ITSMS, "isms-p05", "ISMS-P05"),
        (ITSMS, "itsms-p5", "ITSMS-P5"),
    ],
)
def test_normalise(scheme: Scheme, raw: str, expected: str) -> None:
    assert scheme.normalise(raw) == expected


@pytest.mark.parametrize(
    ("scheme", "number"),
    [(ABCD, row[3]) for row in ABCD_EXAMPLES]
    + [(ITSMS, row[3]) for row in ITSMS_EXAMPLES],
)
def test_normalise_keeps_canonical_numbers(scheme: Scheme, number: str) -> None:
    assert scheme.normalise(number) == number
    assert scheme.normalise(number.lower()) == number


# -- sequence keys, parent kinds ------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "kind", "parent", "key"),
    [
        (ABCD, M, None, "A"),
        (ABCD, P, None, "B"),
        (ABCD, WI, "B05", "C:B05"),
        (ABCD, F, "B05", "D:B05"),
        (ABCD, WI, "B100", "C:B100"),
        (ABCD, "form", "B01", "D:B01"),
        (ITSMS, M, None, "ITSMS-M"),
        (ITSMS, P, None, "ITSMS-P"),
        (ITSMS, WI, None, "ITSMS-WI"),
        (ITSMS, WI, "ITSMS-P05", "ITSMS-WI"),  # global sequence
        (ITSMS, F, "ITSMS-P05", "R:ITSMS-P05"),
        (ITSMS, F, "ITSMS-M01", "R:ITSMS-M01"),
        (ITSMS, F, "ITSMS-WI03", "R:ITSMS-WI03"),
        (ItsmsScheme("QMS"), P, None, "QMS-P"),
        (ItsmsScheme("QMS"), F, "QMS-P01", "R:QMS-P01"),
    ],
)
def test_sequence_key(scheme: Scheme, kind: Kind, parent: str | None, key: str) -> None:
    assert scheme.sequence_key(kind, parent) == key


@pytest.mark.parametrize(
    ("scheme", "kind", "parent"),
    [
        (ABCD, WI, None),
        (ABCD, F, "A01"),
        (ABCD, M, "B05"),
        (ABCD, WI, "b05"),
        (ITSMS, F, None),
        (ITSMS, F, "ITSMS-P05-R01"),
        (ITSMS, WI, "ITSMS-M01"),
        (ITSMS, "other", None),
    ],
)
def test_sequence_key_rejects_bad_parents(
    scheme: Scheme, kind: Kind, parent: str | None
) -> None:
    with pytest.raises(NumberingError):
        scheme.sequence_key(kind, parent)


def test_sequences_are_independent_per_kind_and_parent() -> None:
    keys = {ABCD.sequence_key(k, p) for k in (WI, F) for p in ("B01", "B02", "B100")}
    assert len(keys) == 6
    assert ABCD.format(WI, 1, "B03") == "C0301"
    assert ABCD.format(F, 1, "B03") == "D0301"


@pytest.mark.parametrize(
    ("scheme", "kind", "parents", "embeds"),
    [
        (ABCD, M, frozenset(), False),
        (ABCD, P, frozenset(), False),
        (ABCD, WI, frozenset({P}), True),
        (ABCD, F, frozenset({P}), True),
        (ITSMS, M, frozenset(), False),
        (ITSMS, P, frozenset(), False),
        (ITSMS, WI, frozenset({P}), False),
        (ITSMS, F, frozenset({M, P, WI}), True),
    ],
)
def test_parent_kinds_and_embeds_parent(
    scheme: Scheme, kind: Kind, parents: frozenset[Kind], embeds: bool
) -> None:
    assert scheme.parent_kinds(kind) == parents
    assert scheme.embeds_parent(kind) is embeds


# -- get_scheme ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "system_code", "expected"),
    [
        ("abcd", None, AbcdScheme()),
        (" ABCD ", None, AbcdScheme()),
        ("abcd", "QMS", AbcdScheme()),
        ("itsms", "ITSMS", ItsmsScheme("ITSMS")),
        ("ITSMS", "qms", ItsmsScheme("QMS")),
    ],
)
def test_get_scheme_by_name(
    name: str, system_code: str | None, expected: Scheme
) -> None:
    scheme = get_scheme(name, system_code=system_code)
    assert scheme == expected
    assert type(scheme) is type(expected)


@pytest.mark.parametrize("name", ["", "abc", "iso", "A-B-C-D", "itsms2"])
def test_get_scheme_rejects_unknown_names(name: str) -> None:
    with pytest.raises(NumberingError) as excinfo:
        get_scheme(name, system_code="ITSMS")
    assert name in excinfo.value.message


def test_get_scheme_rejects_bad_system_code() -> None:
    with pytest.raises(NumberingError):
        get_scheme("itsms", system_code="IT-SMS")


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ({}, AbcdScheme()),
        ({"SHOUKONG_NUMBERING_SCHEME": "abcd"}, AbcdScheme()),
        ({"SHOUKONG_NUMBERING_SCHEME": "itsms"}, ItsmsScheme("ITSMS")),
        (
            {"SHOUKONG_NUMBERING_SCHEME": "itsms", "SHOUKONG_SYSTEM_CODE": "QMS"},
            ItsmsScheme("QMS"),
        ),
    ],
)
def test_get_scheme_reads_settings(
    monkeypatch: pytest.MonkeyPatch, configured: dict[str, str], expected: Scheme
) -> None:
    monkeypatch.setattr(numbering, "settings", SimpleNamespace(**configured))
    assert get_scheme() == expected


def test_explicit_arguments_override_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = SimpleNamespace(SHOUKONG_NUMBERING_SCHEME="abcd", SHOUKONG_SYSTEM_CODE="QMS")
    monkeypatch.setattr(numbering, "settings", fake)
    assert get_scheme("itsms") == ItsmsScheme("QMS")
    assert get_scheme("itsms", system_code="ISMS") == ItsmsScheme("ISMS")


def test_get_scheme_with_explicit_arguments_does_not_read_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Untouchable:
        def __getattr__(self, name: str) -> object:
            raise AssertionError(name)

    monkeypatch.setattr(numbering, "settings", Untouchable())
    assert get_scheme("abcd") == AbcdScheme()
    assert get_scheme("itsms", system_code="ITSMS") == ITSMS


# -- sort_key -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "ordered"),
    [
        (ABCD, ["A01", "A02", "A100", "B02", "B10", "B99", "B100", "B999", "B1000"]),
        (
            ABCD,
            ["B05", "C0501", "C0599", "C005100", "C0601", "C099100", "C100001"],
        ),
        (ABCD, ["C0599", "C005100", "C005101", "D0101"]),
        (
            ITSMS,
            [
                "ITSMS-M01",
                "ITSMS-M01-R01",
                "ITSMS-M02",
                "ITSMS-P05",
                "ITSMS-P05-R02",
                "ITSMS-P05-R99",
                "ITSMS-P05-R100",
                "ITSMS-P06",
                "ITSMS-P100",
                "ITSMS-WI01",
                "ITSMS-WI01-R01",
            ],
        ),
        # Unparseable input goes last, itself in natural order.
        (ABCD, ["B99", "B100", "", "X2", "X10", "ZZ"]),
        (ITSMS, ["ITSMS-P05", "B05", "ISMS-P05"]),
    ],
)
def test_sort_key_orders_naturally(scheme: Scheme, ordered: list[str]) -> None:
    shuffled = ordered[:]
    random.Random(20000).shuffle(shuffled)
    assert sorted(shuffled, key=lambda n: sort_key(scheme, n)) == ordered
    assert sorted(reversed(ordered), key=lambda n: sort_key(scheme, n)) == ordered


def test_sort_key_normalises_and_tolerates_junk() -> None:
    assert sort_key(ABCD, " b05 ") == sort_key(ABCD, "B05")
    junk = ["", "   ", "B5", "C005005", "版本A", "1", "a1b", "1a", None, 5]
    keys = [sort_key(ABCD, j) for j in junk]  # type: ignore[arg-type]
    assert all(key > sort_key(ABCD, "D99999999") for key in keys)
    sorted(keys)  # mixed junk still compares


def test_sort_key_matches_sequence_order() -> None:
    numbers = [
        ABCD.format(WI, seq, ABCD.format(P, parent))
        for parent in (1, 5, 99, 100, 1000)
        for seq in (1, 9, 10, 99, 100, 101, 999, 1000)
    ]
    assert sorted(numbers, key=lambda n: sort_key(ABCD, n)) == numbers


# -- errors -------------------------------------------------------------------------


def test_numbering_error_carries_a_message() -> None:
    with pytest.raises(NumberingError) as excinfo:
        ABCD.parse("C005005")
    error = excinfo.value
    assert isinstance(error, ValueError)
    assert "C005005" in error.message
    assert str(error) == error.message

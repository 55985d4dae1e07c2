"""Tests for documents.labels: pure, no database and no Django settings needed."""

from __future__ import annotations

import pytest

from documents.labels import (
    LabelError,
    index_of_label,
    is_valid_label,
    label_for_index,
    label_sort_key,
    next_label,
    normalise_label,
)

EXAMPLES = [
    (1, "A"),
    (2, "B"),
    (26, "Z"),
    (27, "AA"),
    (28, "AB"),
    (52, "AZ"),
    (53, "BA"),
    (78, "BZ"),
    (79, "CA"),
    (676, "YZ"),
    (677, "ZA"),
    (702, "ZZ"),
    (703, "AAA"),
    (728, "AAZ"),
    (729, "ABA"),
    (18278, "ZZZ"),
    (18279, "AAAA"),
]


@pytest.mark.parametrize(("index", "label"), EXAMPLES)
def test_examples(index: int, label: str) -> None:
    assert label_for_index(index) == label
    assert index_of_label(label) == index
    assert is_valid_label(label)


@pytest.mark.parametrize("index", range(1, 2001))
def test_round_trip(index: int) -> None:
    label = label_for_index(index)
    assert is_valid_label(label)
    assert index_of_label(label) == index
    assert next_label(label) == label_for_index(index + 1)
    assert label_sort_key(label) < label_sort_key(label_for_index(index + 1))


def test_labels_are_distinct_and_sort_in_issue_order() -> None:
    labels = [label_for_index(n) for n in range(1, 20001)]
    assert len(set(labels)) == len(labels)
    assert sorted(reversed(labels), key=label_sort_key) == labels


@pytest.mark.parametrize(
    ("label", "expected"),
    [(None, "A"), ("A", "B"), ("B", "C"), ("Y", "Z"), ("Z", "AA"), ("AA", "AB")]
    + [("AZ", "BA"), ("ZY", "ZZ"), ("ZZ", "AAA"), ("AZZ", "BAA"), ("ZZZ", "AAAA")],
)
def test_next_label(label: str | None, expected: str) -> None:
    assert next_label(label) == expected


@pytest.mark.parametrize("index", [0, -1, -26, True, False, 1.0, "1", None])
def test_label_for_index_rejects(index: int) -> None:
    with pytest.raises(LabelError):
        label_for_index(index)


INVALID_LABELS = [
    "",
    " ",
    "a",
    "aa",
    "Aa",
    "A1",
    "1",
    "A ",
    " A",
    "A-B",
    "A/0",
    "A版",
    "Ä",
    "Ａ",  # full-width: normalise_label() fixes it
    "Α",  # Greek capital alpha
    "甲",
]


@pytest.mark.parametrize("label", [*INVALID_LABELS, None, 1])
def test_index_of_label_rejects(label: str) -> None:
    assert not is_valid_label(label)
    with pytest.raises(LabelError) as excinfo:
        index_of_label(label)
    assert str(excinfo.value) == excinfo.value.message
    if label is not None:  # next_label(None) is the first issue
        with pytest.raises(LabelError):
            next_label(label)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("A", "A"),
        ("a", "A"),
        (" b ", "B"),
        ("aa", "AA"),
        ("Ａ", "A"),  # full-width
        ("ｂｃ", "BC"),
        ("\u3000C\u3000", "C"),  # ideographic spaces
        ("A版", "A"),
        ("b 版", "B"),
        ("版本A", "A"),
        ("版本 B", "B"),
        ("版本：C", None),
        ("A/0", "A"),
        ("A/1", "A"),
        ("B / 2", "B"),
        ("C/12", "C"),
        ("Ａ／０", "A"),
        ("A版/0", "A"),
        ("A/0版", "A"),
        ("版本A/1", "A"),
        ("AB版", "AB"),
    ],
)
def test_normalise_label(raw: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(LabelError):
            normalise_label(raw)
    else:
        assert normalise_label(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "  ", "版", "版本", "/0", "A/", "A/B", "A1", "1", "A B", "A-0", "甲", "Ä"]
    + ["A.0", "Rev A", None, 1],
)
def test_normalise_label_rejects(raw: str) -> None:
    with pytest.raises(LabelError):
        normalise_label(raw)


def test_label_sort_key() -> None:
    ordered = ["A", "b", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "1", "??"]
    assert sorted(reversed(ordered), key=label_sort_key) == ordered
    assert label_sort_key("a") == label_sort_key("A版") == (1, "A")
    assert label_sort_key(None) > label_sort_key("ZZZZZZ")  # type: ignore[arg-type]

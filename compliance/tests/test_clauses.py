"""Clause numbers (compliance.clauses): pure, no database."""

from __future__ import annotations

import pytest

from compliance import clauses


@pytest.mark.parametrize(
    "ref_id",
    ["4", "8.5.1", "8.3.4.2", "10.2", "A.5.1", "QY-01", "R7", "qy.1-a"],
)
def test_valid_numbers(ref_id):
    assert clauses.is_valid(ref_id)


@pytest.mark.parametrize(
    "ref_id",
    [
        "",
        ".",
        "8.",
        ".8",
        "8..5",
        "8.5 1",
        " 8.5",
        "8.5\n",
        "8/5",
        "８.5",  # full-width digit
        "8.5.1.2.3.4.5.6.7",  # nine levels
        "8.5\x00",
        "条款",
    ],
)
def test_invalid_numbers(ref_id):
    assert not clauses.is_valid(ref_id)


def test_none_is_not_a_number():
    assert not clauses.is_valid(None)


@pytest.mark.parametrize(
    ("ref_id", "parent"),
    [
        ("4", None),
        ("10", None),
        ("8.5", "8"),
        ("8.5.1", "8.5"),
        ("8.5.1.3", "8.5.1"),
        ("A.5.1", "A.5"),
        ("QY-01", None),  # dashes make no hierarchy
        ("QY.1", "QY"),
    ],
)
def test_parent_ref(ref_id, parent):
    assert clauses.parent_ref(ref_id) == parent


@pytest.mark.parametrize(
    ("ref_id", "depth"),
    [("4", 1), ("10", 1), ("8.5", 2), ("8.5.1", 3), ("8.3.4.2", 4), ("QY-01", 1)],
)
def test_depth(ref_id, depth):
    assert clauses.depth(ref_id) == depth


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("8.9", "8.10"),
        ("8.2", "8.10"),
        ("9", "10"),
        ("4.4", "5"),
        ("8", "8.1"),
        ("8.5", "8.5.1"),
        ("8.5.1.3", "8.5.2"),
        ("8.7.3.3", "9"),
        ("9.4", "10.1"),
        ("10", "A.1"),  # numbers before letters
        ("A.9", "A.10"),
        ("QY-2", "QY-10"),
    ],
)
def test_sort_key_orders_naturally(before, after):
    assert clauses.sort_key(before) < clauses.sort_key(after)


def test_sort_key_sorts_a_shuffled_list():
    ordered = ["4", "4.1", "5", "8", "8.2", "8.2.1", "8.9", "8.10", "9", "10", "10.1"]
    shuffled = sorted(ordered, key=lambda ref: ref[::-1])
    assert sorted(shuffled, key=clauses.sort_key) == ordered


def test_sort_key_fits_the_column():
    assert len(clauses.sort_key("1.2.3.4.5.6.7.8")) <= 96
    assert len(clauses.sort_key("ABCDEFGHIJ.1.2.3.4.5.6.7")) <= 96


def test_letters_sort_case_insensitively():
    assert clauses.sort_key("a.1") == clauses.sort_key("A.1")

"""Tests for documents.dates: pure, no database and no Django settings needed."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from documents.dates import (
    DEFAULT_REVIEW_PERIOD_YEARS,
    add_years,
    is_review_overdue,
    review_due,
)


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        (date(2023, 5, 10), 0, date(2023, 5, 10)),
        (date(2023, 5, 10), 1, date(2024, 5, 10)),
        (date(2023, 5, 10), 3, date(2026, 5, 10)),
        (date(2023, 5, 10), -3, date(2020, 5, 10)),
        (date(2023, 12, 31), 1, date(2024, 12, 31)),
        (date(2023, 1, 1), 1, date(2024, 1, 1)),
        (date(2024, 2, 28), 1, date(2025, 2, 28)),
        (date(2023, 2, 28), 1, date(2024, 2, 28)),  # not moved to the 29th
        (date(2024, 3, 1), 1, date(2025, 3, 1)),
        # Leap days.
        (date(2024, 2, 29), 0, date(2024, 2, 29)),
        (date(2024, 2, 29), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 3, date(2027, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2024, 2, 29), -1, date(2023, 2, 28)),
        (date(2024, 2, 29), -4, date(2020, 2, 29)),
        (date(2000, 2, 29), 100, date(2100, 2, 28)),  # 2100 is not a leap year
        (date(2000, 2, 29), 400, date(2400, 2, 29)),
        (date(1996, 2, 29), 4, date(2000, 2, 29)),  # 2000 is
        # Edges of the calendar.
        (date(9998, 12, 31), 1, date(9999, 12, 31)),
        (date(2, 1, 1), -1, date(1, 1, 1)),
    ],
)
def test_add_years(start: date, years: int, expected: date) -> None:
    assert add_years(start, years) == expected


@pytest.mark.parametrize(
    ("start", "years"),
    [(date(9999, 1, 1), 1), (date(1, 1, 1), -1), (date(2024, 2, 29), 10_000)],
)
def test_add_years_out_of_range(start: date, years: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        add_years(start, years)


def test_add_years_keeps_the_time_of_a_datetime() -> None:
    assert add_years(datetime(2024, 2, 29, 9, 30), 1) == datetime(2025, 2, 28, 9, 30)


@pytest.mark.parametrize(
    ("published", "period", "due"),
    [
        (None, 3, None),
        (None, 1, None),
        (date(2024, 5, 10), 3, date(2027, 5, 10)),
        (date(2024, 5, 10), 1, date(2025, 5, 10)),
        (date(2024, 5, 10), 5, date(2029, 5, 10)),
        (date(2024, 2, 29), 3, date(2027, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2023, 2, 28), 1, date(2024, 2, 28)),
        (datetime(2024, 5, 10, 23, 59), 3, date(2027, 5, 10)),
    ],
)
def test_review_due(published: date | None, period: int, due: date | None) -> None:
    assert review_due(published, period_years=period) == due
    result = review_due(published, period_years=period)
    assert result is None or type(result) is date


def test_review_period_defaults_to_three_years() -> None:
    assert DEFAULT_REVIEW_PERIOD_YEARS == 3
    assert review_due(date(2024, 5, 10)) == date(2027, 5, 10)


@pytest.mark.parametrize("period", [0, -1, -3])
@pytest.mark.parametrize("published", [date(2024, 5, 10), None])
def test_review_due_rejects_short_periods(published: date | None, period: int) -> None:
    with pytest.raises(ValueError, match="period_years"):
        review_due(published, period_years=period)
    with pytest.raises(ValueError, match="period_years"):
        is_review_overdue(published, date(2030, 1, 1), period_years=period)


@pytest.mark.parametrize(
    ("published", "today", "period", "overdue"),
    [
        (None, date(2099, 1, 1), 3, False),
        (date(2024, 5, 10), date(2024, 5, 10), 3, False),
        (date(2024, 5, 10), date(2027, 5, 9), 3, False),
        (date(2024, 5, 10), date(2027, 5, 10), 3, False),  # due today: not yet late
        (date(2024, 5, 10), date(2027, 5, 11), 3, True),
        (date(2024, 5, 10), date(2030, 1, 1), 3, True),
        (date(2024, 5, 10), date(2025, 5, 11), 1, True),
        (date(2024, 5, 10), date(2027, 5, 11), 5, False),
        (date(2024, 5, 10), date(2020, 1, 1), 3, False),  # today before publication
        # Leap days.
        (date(2024, 2, 29), date(2027, 2, 28), 3, False),
        (date(2024, 2, 29), date(2027, 3, 1), 3, True),
        (date(2024, 2, 29), date(2028, 2, 29), 4, False),
        (date(2024, 2, 29), date(2028, 3, 1), 4, True),
        (date(2021, 2, 28), date(2024, 2, 29), 3, True),
        (date(2021, 3, 1), date(2024, 2, 29), 3, False),
        # A datetime counts as its date.
        (datetime(2024, 5, 10, 8), datetime(2027, 5, 10, 23, 59), 3, False),
        (date(2024, 5, 10), datetime(2027, 5, 11, 0, 1), 3, True),
    ],
)
def test_is_review_overdue(
    published: date | None, today: date, period: int, overdue: bool
) -> None:
    assert is_review_overdue(published, today, period_years=period) is overdue

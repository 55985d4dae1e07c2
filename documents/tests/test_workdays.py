"""Tests for documents.workdays: pure, no database needed.

2026 facts from chinesecalendar 1.11.0 (the State Council's 2026 schedule):
New Year 1–3 Jan, worked Sun 4 Jan; Spring Festival Sun 15 – Mon 23 Feb, worked
Sat 14 Feb and Sat 28 Feb; Qingming 4–6 Apr; Labour Day 1–5 May, worked Sat 9 May;
Dragon Boat 19–21 Jun; Mid-autumn 25–27 Sep; National Day Thu 1 – Wed 7 Oct,
worked Sun 20 Sep and Sat 10 Oct. The library's data ends with 2026.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django import Settings

from documents.workdays import (
    add_working_days,
    calendar_covers,
    company_overrides,
    is_working_day,
    next_working_day,
)

NATIONAL_DAY_2026 = [date(2026, 10, d) for d in range(1, 8)]
SPRING_FESTIVAL_2026 = [date(2026, 2, d) for d in range(15, 24)]
MAKE_UP_DAYS_2026 = [
    date(2026, 1, 4),  # Sun, New Year
    date(2026, 2, 14),  # Sat, Spring Festival
    date(2026, 2, 28),  # Sat, Spring Festival
    date(2026, 5, 9),  # Sat, Labour Day
    date(2026, 9, 20),  # Sun, National Day
    date(2026, 10, 10),  # Sat, National Day
]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Ordinary weeks.
        (date(2026, 3, 2), True),  # Mon
        (date(2026, 3, 6), True),  # Fri
        (date(2026, 3, 7), False),  # Sat
        (date(2026, 3, 8), False),  # Sun
        (date(2025, 6, 3), True),  # Tue, an earlier year in the data
        # Holidays on weekdays.
        (date(2026, 1, 1), False),  # Thu, New Year
        (date(2026, 1, 2), False),  # Fri, New Year
        (date(2026, 2, 16), False),  # Mon, Spring Festival
        (date(2026, 2, 23), False),  # Mon, last day of Spring Festival
        (date(2026, 2, 24), True),  # Tue, first day back
        (date(2026, 4, 6), False),  # Mon, Qingming
        (date(2026, 5, 5), False),  # Tue, Labour Day
        (date(2026, 6, 19), False),  # Fri, Dragon Boat
        (date(2026, 9, 25), False),  # Fri, Mid-autumn
        (date(2026, 9, 30), True),  # Wed, eve of National Day
        (date(2026, 10, 7), False),  # Wed, last day of National Day
        (date(2026, 10, 8), True),  # Thu, first day back
        (date(2025, 10, 8), False),  # Wed, 2025's National Day ran to 8 Oct
        # A datetime counts as its date.
        (datetime(2026, 10, 1, 9, 30), False),
        (datetime(2026, 10, 10, 23, 59), True),
    ],
)
def test_is_working_day(day: date, expected: bool) -> None:
    assert is_working_day(day) is expected


@pytest.mark.parametrize("day", NATIONAL_DAY_2026 + SPRING_FESTIVAL_2026)
def test_2026_golden_weeks_are_off(day: date) -> None:
    assert not is_working_day(day)


@pytest.mark.parametrize("day", MAKE_UP_DAYS_2026)
def test_2026_make_up_weekend_days_are_working_days(day: date) -> None:
    assert day.weekday() >= 5
    assert is_working_day(day)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Fridays → Mondays.
        (date(2026, 3, 6), 1, date(2026, 3, 9)),
        (date(2026, 6, 12), 1, date(2026, 6, 15)),
        (date(2025, 11, 28), 1, date(2025, 12, 1)),
        (date(2026, 3, 7), 1, date(2026, 3, 9)),  # issued on a Saturday
        # Working days within a week.
        (date(2026, 3, 2), 1, date(2026, 3, 3)),
        (date(2026, 3, 2), 4, date(2026, 3, 6)),
        (date(2026, 3, 2), 5, date(2026, 3, 9)),
        (date(2026, 3, 2), 10, date(2026, 3, 16)),
        # National Day 2026: 1–7 Oct off, Sun 20 Sep and Sat 10 Oct worked.
        (date(2026, 9, 30), 1, date(2026, 10, 8)),
        (date(2026, 9, 30), 2, date(2026, 10, 9)),
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # make-up Saturday
        (date(2026, 9, 30), 4, date(2026, 10, 12)),
        (date(2026, 10, 3), 1, date(2026, 10, 8)),  # issued during the holiday
        (date(2026, 10, 9), 1, date(2026, 10, 10)),  # Fri → make-up Sat
        (date(2026, 9, 18), 1, date(2026, 9, 20)),  # Fri → make-up Sun
        (date(2026, 9, 19), 1, date(2026, 9, 20)),
        (date(2026, 9, 20), 1, date(2026, 9, 21)),
        # Mid-autumn 2026: Fri 25 – Sun 27 Sep.
        (date(2026, 9, 24), 1, date(2026, 9, 28)),
        # Spring Festival 2026: 15–23 Feb off, Sat 14 and Sat 28 Feb worked.
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Fri → make-up Sat
        (date(2026, 2, 13), 2, date(2026, 2, 24)),
        (date(2026, 2, 14), 1, date(2026, 2, 24)),
        (date(2026, 2, 20), 1, date(2026, 2, 24)),
        (date(2026, 2, 27), 1, date(2026, 2, 28)),  # Fri → make-up Sat
        (date(2026, 2, 27), 2, date(2026, 3, 2)),
        # New Year 2026 and its make-up Sunday.
        (date(2025, 12, 31), 1, date(2026, 1, 4)),
        (date(2025, 12, 31), 2, date(2026, 1, 5)),
        # Longer spans count every make-up day and skip every holiday.
        (date(2026, 9, 14), 10, date(2026, 9, 28)),
        (date(2026, 9, 28), 5, date(2026, 10, 10)),
        (date(2026, 2, 9), 10, date(2026, 2, 28)),
    ],
)
def test_add_working_days(start: date, days: int, expected: date) -> None:
    assert add_working_days(start, days) == expected
    assert add_working_days(start=start, days=days) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2026, 3, 6), date(2026, 3, 6)),  # a working Friday is itself
        (date(2026, 3, 7), date(2026, 3, 9)),  # Sat → Mon
        (date(2026, 3, 8), date(2026, 3, 9)),  # Sun → Mon
        (date(2026, 10, 1), date(2026, 10, 8)),  # in National Day → after it
        (date(2026, 10, 10), date(2026, 10, 10)),  # make-up Saturday is itself
        (date(2026, 2, 15), date(2026, 2, 24)),
        (date(2026, 2, 28), date(2026, 2, 28)),
        (date(2027, 1, 2), date(2027, 1, 4)),  # fallback year, Sat → Mon
    ],
)
def test_add_zero_working_days(start: date, expected: date) -> None:
    assert add_working_days(start, 0) == expected


def test_add_working_days_returns_a_date_for_a_datetime() -> None:
    result = add_working_days(datetime(2026, 9, 30, 17, 0), 1)
    assert result == date(2026, 10, 8)
    assert type(result) is date


@pytest.mark.parametrize("days", [-1, -10])
def test_add_negative_working_days(days: int) -> None:
    with pytest.raises(ValueError, match="0 or more"):
        add_working_days(date(2026, 3, 2), days)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 6), date(2026, 3, 9)),  # Fri → Mon
        (date(2026, 3, 2), date(2026, 3, 3)),  # never the day itself
        (date(2026, 9, 30), date(2026, 10, 8)),
        (date(2026, 10, 9), date(2026, 10, 10)),
        (date(2026, 2, 14), date(2026, 2, 24)),
        (date(2026, 12, 31), date(2027, 1, 1)),  # into a fallback year
        (date(2027, 12, 31), date(2028, 1, 3)),
    ],
)
def test_next_working_day(day: date, expected: date) -> None:
    assert next_working_day(day) == expected
    assert next_working_day(day) == add_working_days(day, 1)


@pytest.mark.parametrize(
    ("day", "covered"),
    [
        (date(2004, 1, 1), True),
        (date(2026, 1, 1), True),
        (date(2026, 12, 31), True),
        (datetime(2026, 10, 1, 8, 0), True),
        (date(2003, 12, 31), False),
        (date(2027, 1, 1), False),
        (date(2030, 10, 1), False),
    ],
)
def test_calendar_covers(day: date, covered: bool) -> None:
    assert calendar_covers(day) is covered


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Outside the data: Monday–Friday only, statutory holidays unknown.
        (date(2027, 1, 1), True),  # Fri, New Year in reality
        (date(2027, 1, 2), False),  # Sat
        (date(2027, 1, 3), False),  # Sun
        (date(2027, 10, 1), True),  # Fri, National Day in reality
        (date(2030, 2, 4), True),  # Mon
        (date(2003, 10, 1), True),  # Wed, before the data begins
        (date(2003, 10, 4), False),  # Sat
    ],
)
def test_years_outside_the_data_fall_back_to_monday_to_friday(
    day: date, expected: bool
) -> None:
    assert not calendar_covers(day)
    assert is_working_day(day) is expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2027, 1, 1), 1, date(2027, 1, 4)),  # Fri → Mon
        (date(2027, 9, 30), 1, date(2027, 10, 1)),  # no National Day data
        (date(2027, 1, 4), 5, date(2027, 1, 11)),
        (date(2026, 12, 31), 2, date(2027, 1, 4)),  # across the data's end
        (date(2003, 12, 31), 2, date(2004, 1, 5)),  # across its start
    ],
)
def test_add_working_days_outside_the_data(
    start: date, days: int, expected: date
) -> None:
    assert add_working_days(start, days) == expected


# Overrides: Mon 21 Sep 2026 as a company holiday, Sat 7 Mar 2026 as a working day.
COMPANY_HOLIDAY = date(2026, 9, 21)
COMPANY_WORKDAY = date(2026, 3, 7)


@pytest.mark.parametrize(
    ("day", "holidays", "workdays", "expected"),
    [
        (COMPANY_HOLIDAY, {COMPANY_HOLIDAY}, set(), False),
        (COMPANY_WORKDAY, set(), {COMPANY_WORKDAY}, True),
        (date(2026, 10, 10), {date(2026, 10, 10)}, set(), False),  # make-up day
        (date(2026, 10, 2), set(), {date(2026, 10, 2)}, True),  # statutory holiday
        (date(2027, 1, 1), {date(2027, 1, 1)}, set(), False),  # fallback year
        (date(2027, 1, 2), set(), {date(2027, 1, 2)}, True),
        (date(2026, 3, 9), {COMPANY_HOLIDAY}, {COMPANY_WORKDAY}, True),  # others
        (date(2026, 3, 8), {COMPANY_HOLIDAY}, {COMPANY_WORKDAY}, False),
    ],
)
def test_is_working_day_with_overrides(
    day: date, holidays: set[date], workdays: set[date], expected: bool
) -> None:
    result = is_working_day(day, extra_holidays=holidays, extra_workdays=workdays)
    assert result is expected


@pytest.mark.parametrize(
    ("start", "days", "holidays", "workdays", "expected"),
    [
        (date(2026, 9, 18), 2, {COMPANY_HOLIDAY}, (), date(2026, 9, 22)),
        (date(2026, 9, 20), 1, [COMPANY_HOLIDAY], (), date(2026, 9, 22)),
        (date(2026, 3, 6), 1, (), {COMPANY_WORKDAY}, COMPANY_WORKDAY),
        (date(2026, 3, 6), 2, (), {COMPANY_WORKDAY}, date(2026, 3, 9)),
        (COMPANY_WORKDAY, 0, (), {COMPANY_WORKDAY}, COMPANY_WORKDAY),
        (COMPANY_HOLIDAY, 0, {COMPANY_HOLIDAY}, (), date(2026, 9, 22)),
        (date(2026, 10, 9), 1, {date(2026, 10, 10)}, (), date(2026, 10, 12)),
        (date(2026, 9, 30), 1, (), {date(2026, 10, 2)}, date(2026, 10, 2)),
        (date(2026, 12, 31), 1, {date(2027, 1, 1)}, (), date(2027, 1, 4)),
        (date(2026, 3, 6), 1, None, None, date(2026, 3, 9)),
    ],
)
def test_add_working_days_with_overrides(
    start: date,
    days: int,
    holidays: set[date] | None,
    workdays: set[date] | None,
    expected: date,
) -> None:
    result = add_working_days(
        start, days, extra_holidays=holidays, extra_workdays=workdays
    )
    assert result == expected


def test_next_working_day_with_overrides() -> None:
    after_sunday = next_working_day(date(2026, 9, 20), extra_holidays={COMPANY_HOLIDAY})
    assert after_sunday == date(2026, 9, 22)
    after_friday = next_working_day(date(2026, 3, 6), extra_workdays={COMPANY_WORKDAY})
    assert after_friday == COMPANY_WORKDAY


def test_a_date_cannot_be_both_a_holiday_and_a_workday() -> None:
    with pytest.raises(ValueError, match="2026-03-07"):
        is_working_day(
            COMPANY_WORKDAY,
            extra_holidays={COMPANY_WORKDAY},
            extra_workdays={COMPANY_WORKDAY},
        )


def test_overrides_do_not_loop_forever_past_a_long_company_shutdown() -> None:
    shutdown = {date(2027, 7, 1) + timedelta(days=n) for n in range(60)}
    result = add_working_days(date(2027, 6, 30), 1, extra_holidays=shutdown)
    assert result == date(2027, 8, 30)  # the Monday after the 60 days


# company_overrides() reads Django settings; pytest-django's ``settings`` fixture
# needs no database.


@pytest.mark.parametrize(
    ("holidays", "workdays", "expected_holidays", "expected_workdays"),
    [
        ([], [], set(), set()),
        (
            ["2026-09-21", "2026-12-24"],
            ("2026-03-07",),
            {date(2026, 9, 21), date(2026, 12, 24)},
            {date(2026, 3, 7)},
        ),
        ({"2027-01-01"}, [], {date(2027, 1, 1)}, set()),
        ([date(2026, 9, 21)], [], {date(2026, 9, 21)}, set()),
        (["2026-09-21", "2026-09-21"], None, {date(2026, 9, 21)}, set()),
    ],
)
def test_company_overrides_from_settings(
    settings: Settings,
    holidays: Iterable[str | date],
    workdays: Iterable[str] | None,
    expected_holidays: set[date],
    expected_workdays: set[date],
) -> None:
    settings.SHOUKONG_EXTRA_HOLIDAYS = holidays
    settings.SHOUKONG_EXTRA_WORKDAYS = workdays
    overrides = company_overrides()
    assert overrides == {
        "extra_holidays": expected_holidays,
        "extra_workdays": expected_workdays,
    }


def test_company_overrides_default_to_empty(settings: Settings) -> None:
    for name in ("SHOUKONG_EXTRA_HOLIDAYS", "SHOUKONG_EXTRA_WORKDAYS"):
        if hasattr(settings, name):
            delattr(settings, name)
    assert company_overrides() == {
        "extra_holidays": frozenset(),
        "extra_workdays": frozenset(),
    }


def test_company_overrides_feed_the_pure_functions(
    settings: Settings,
) -> None:
    settings.SHOUKONG_EXTRA_HOLIDAYS = ["2026-09-21"]
    settings.SHOUKONG_EXTRA_WORKDAYS = ["2026-03-07"]
    overrides = company_overrides()
    assert add_working_days(date(2026, 9, 18), 2, **overrides) == date(2026, 9, 22)
    assert next_working_day(date(2026, 3, 6), **overrides) == date(2026, 3, 7)
    assert is_working_day(date(2026, 3, 7), **overrides)


@pytest.mark.parametrize(
    ("holidays", "workdays", "message"),
    [
        ("2026-09-21", [], "not a string"),
        (["2026-9-21"], [], "not an ISO date"),
        (["21/09/2026"], [], "not an ISO date"),
        ([], [20260921], "not an ISO date"),
        (["2026-02-30"], [], "not an ISO date"),
        (["2026-03-07"], ["2026-03-07"], "overlap"),
    ],
)
def test_company_overrides_reject_bad_settings(
    settings: Settings,
    holidays: object,
    workdays: object,
    message: str,
) -> None:
    settings.SHOUKONG_EXTRA_HOLIDAYS = holidays
    settings.SHOUKONG_EXTRA_WORKDAYS = workdays
    with pytest.raises(ImproperlyConfigured, match=message):
        company_overrides()


@pytest.fixture(autouse=True)
def _english():
    # The assertions above match the English messages.
    from django.utils import translation

    with translation.override("en"):
        yield

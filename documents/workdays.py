"""China's statutory working-day calendar, for deadlines counted in working days.

The rule comes from the seed requirement "recall within 1 working day" of the
document control procedure: an obsolete or withdrawn copy must be recalled within
``n`` working days of the notice, and a working day is a statutory one in China.

The calendar is the PyPI library ``chinesecalendar`` (import ``chinese_calendar``,
version 1.11.0, whose data covers 2004–2026). A working day is Monday–Friday
unless it is a public holiday, plus the 调休 make-up days (a Saturday or Sunday
worked in exchange for a longer holiday). For a year the library has no data for
it raises NotImplementedError; here such days fall back to plain Monday–Friday,
and :func:`calendar_covers` tells callers when to warn that the result may miss
holidays.

A company may override single dates with the settings ``SHOUKONG_EXTRA_HOLIDAYS``
and ``SHOUKONG_EXTRA_WORKDAYS`` (iterables of ISO dates, default empty), read by
:func:`company_overrides`. The other functions never read settings: they take the
overrides as keyword arguments, e.g.
``add_working_days(notice, 1, **company_overrides())``. A company override wins
over the statutory calendar; a date may not be in both sets.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Final, TypedDict

import chinese_calendar
from django.conf import settings
from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured
from django.utils.translation import gettext

EXTRA_HOLIDAYS_SETTING: Final = "SHOUKONG_EXTRA_HOLIDAYS"
EXTRA_WORKDAYS_SETTING: Final = "SHOUKONG_EXTRA_WORKDAYS"

_ONE_DAY: Final = timedelta(days=1)
_NO_DATES: Final[frozenset[date]] = frozenset()


class WorkdayOverrides(TypedDict):
    """A company's own holidays and working days, as keyword arguments."""

    extra_holidays: frozenset[date]
    extra_workdays: frozenset[date]


def _(message: str) -> str:
    """Translate ``message``; fall back to the source text when Django isn't ready."""
    try:
        return gettext(message)
    except (ImproperlyConfigured, AppRegistryNotReady):
        return message


def _as_date(value: date) -> date:
    """``value`` as a plain date (a datetime loses its time)."""
    return value.date() if isinstance(value, datetime) else value


def _overrides(
    extra_holidays: Iterable[date] | None, extra_workdays: Iterable[date] | None
) -> tuple[frozenset[date], frozenset[date]]:
    """The two override sets as frozensets of dates; ValueError if they overlap."""
    holidays = frozenset(map(_as_date, extra_holidays or _NO_DATES))
    workdays = frozenset(map(_as_date, extra_workdays or _NO_DATES))
    both = holidays & workdays
    if both:
        listed = ", ".join(sorted(d.isoformat() for d in both))
        raise ValueError(
            _("Dates both extra holidays and extra working days: %(dates)s")
            % {"dates": listed}
        )
    return holidays, workdays


def calendar_covers(day: date) -> bool:
    """Whether the statutory calendar has holiday data for ``day``'s year."""
    try:
        chinese_calendar.is_workday(_as_date(day))
    except NotImplementedError:
        return False
    return True


def _is_working_day(
    day: date, holidays: frozenset[date], workdays: frozenset[date]
) -> bool:
    """:func:`is_working_day` on checked override sets."""
    if day in workdays:
        return True
    if day in holidays:
        return False
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5  # no data for the year: plain Monday–Friday


def is_working_day(
    day: date,
    *,
    extra_holidays: Iterable[date] | None = None,
    extra_workdays: Iterable[date] | None = None,
) -> bool:
    """Whether ``day`` is a statutory working day in China, after company overrides."""
    holidays, workdays = _overrides(extra_holidays, extra_workdays)
    return _is_working_day(_as_date(day), holidays, workdays)


def add_working_days(
    start: date,
    days: int,
    *,
    extra_holidays: Iterable[date] | None = None,
    extra_workdays: Iterable[date] | None = None,
) -> date:
    """The date ``days`` working days after ``start`` (0: ``start`` or the next one)."""
    if days < 0:
        raise ValueError(
            _("days must be 0 or more, not %(days)s") % {"days": days},
        )
    holidays, workdays = _overrides(extra_holidays, extra_workdays)
    current = _as_date(start)
    if days == 0 and _is_working_day(current, holidays, workdays):
        return current
    remaining = max(days, 1)
    while remaining:
        current += _ONE_DAY
        if _is_working_day(current, holidays, workdays):
            remaining -= 1
    return current


def next_working_day(
    day: date,
    *,
    extra_holidays: Iterable[date] | None = None,
    extra_workdays: Iterable[date] | None = None,
) -> date:
    """The first working day strictly after ``day``."""
    return add_working_days(
        day, 1, extra_holidays=extra_holidays, extra_workdays=extra_workdays
    )


def _dates_from_setting(name: str) -> frozenset[date]:
    """The ISO dates listed in setting ``name`` (empty if unset)."""
    value = getattr(settings, name, None) or ()
    if isinstance(value, str | bytes):
        raise ImproperlyConfigured(
            _("%(setting)s must be a list of ISO dates, not a string")
            % {"setting": name}
        )
    dates: set[date] = set()
    for item in value:
        if isinstance(item, date):
            dates.add(_as_date(item))
            continue
        try:
            dates.add(date.fromisoformat(item))
        except (TypeError, ValueError) as exc:
            raise ImproperlyConfigured(
                _("%(setting)s: %(value)r is not an ISO date (YYYY-MM-DD)")
                % {"setting": name, "value": item}
            ) from exc
    return frozenset(dates)


def company_overrides() -> WorkdayOverrides:
    """The company's extra holidays and working days from Django settings."""
    holidays = _dates_from_setting(EXTRA_HOLIDAYS_SETTING)
    workdays = _dates_from_setting(EXTRA_WORKDAYS_SETTING)
    try:
        _overrides(holidays, workdays)
    except ValueError as exc:
        raise ImproperlyConfigured(
            _("%(holidays)s and %(workdays)s overlap: %(error)s")
            % {
                "holidays": EXTRA_HOLIDAYS_SETTING,
                "workdays": EXTRA_WORKDAYS_SETTING,
                "error": exc,
            }
        ) from exc
    return WorkdayOverrides(extra_holidays=holidays, extra_workdays=workdays)

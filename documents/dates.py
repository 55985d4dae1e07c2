"""Due dates of controlled documents.

Pure: no ORM access, no settings. Callers pass the review period (the project's
setting is ``SHOUKONG_REVIEW_PERIOD_YEARS``).

Every controlled document is reviewed at least every ``period_years`` years (3 by
default), counted from its publish date: a document published on 2024-05-10 is
due for review on 2027-05-10 and overdue from 2027-05-11. Adding years keeps the
month and day, except that 29 February becomes 28 February in a common year.
"""

from __future__ import annotations

import calendar
from datetime import MAXYEAR, MINYEAR, date, datetime
from typing import Final

DEFAULT_REVIEW_PERIOD_YEARS: Final = 3
# The document control procedure: a review cycle never exceeds three years.
MAX_REVIEW_PERIOD_YEARS: Final = 3


def _as_date(value: date) -> date:
    # datetime is a subclass of date, but the two can't be compared with each other.
    return value.date() if isinstance(value, datetime) else value


def add_years(d: date, years: int) -> date:
    """``d`` moved by ``years`` (may be negative); 29 Feb → 28 Feb in common years.

    A ``datetime`` keeps its time. Raises ValueError if the year leaves 1–9999.
    """
    year = d.year + years
    if not MINYEAR <= year <= MAXYEAR:
        msg = f"year {year} is out of range ({MINYEAR}..{MAXYEAR})"
        raise ValueError(msg)
    day = d.day
    if d.month == 2 and day == 29 and not calendar.isleap(year):
        day = 28
    return d.replace(year=year, day=day)


def review_due(
    publish_date: date | None, *, period_years: int = DEFAULT_REVIEW_PERIOD_YEARS
) -> date | None:
    """The date by which a document published on ``publish_date`` must be reviewed.

    ``None`` (not published) → ``None``. Raises ValueError if ``period_years`` < 1.
    A ``datetime`` is treated as its date.
    """
    if period_years < 1:
        msg = f"period_years must be 1 or more, not {period_years!r}"
        raise ValueError(msg)
    if publish_date is None:
        return None
    return add_years(_as_date(publish_date), period_years)


def is_review_overdue(
    publish_date: date | None,
    today: date,
    *,
    period_years: int = DEFAULT_REVIEW_PERIOD_YEARS,
) -> bool:
    """Whether the review is overdue: ``today`` is after :func:`review_due`.

    Unpublished documents (``publish_date`` None) are never overdue. Raises
    ValueError if ``period_years`` < 1.
    """
    due = review_due(publish_date, period_years=period_years)
    return due is not None and _as_date(today) > due

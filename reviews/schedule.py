"""When the next management review is due: at least one every
SHOUKONG_MGMT_REVIEW_INTERVAL_MONTHS months after the last one held, with a warning
from SHOUKONG_MGMT_REVIEW_WARNING_DAYS days before (management review procedure:
at least once a year, never more than 12 months apart).

:func:`schedule_status` feeds the reviews home page, the Wagtail dashboard
panel and the API, so they never disagree. :func:`interval_exceeded` flags a
review held (or planned) more than the interval after the one before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings

from .lifecycle import ReviewStatus
from .models import Review

__all__ = [
    "HELD_STATUSES",
    "ScheduleStatus",
    "due_after",
    "interval_exceeded",
    "interval_flags",
    "last_held",
    "schedule_status",
]

HELD_STATUSES = (ReviewStatus.HELD, ReviewStatus.REPORTING, ReviewStatus.COMPLETED)
PLANNED_STATUSES = (ReviewStatus.DRAFT, ReviewStatus.IN_REVIEW, ReviewStatus.APPROVED)


def due_after(held_on: date) -> date:
    """The last day the next review may be held."""
    return held_on + relativedelta(months=settings.SHOUKONG_MGMT_REVIEW_INTERVAL_MONTHS)


def last_held(
    *, before: date | None = None, exclude: Review | None = None
) -> Review | None:
    reviews = Review.objects.filter(status__in=HELD_STATUSES, held_on__isnull=False)
    if before is not None:
        reviews = reviews.filter(held_on__lt=before)
    if exclude is not None and exclude.pk:
        reviews = reviews.exclude(pk=exclude.pk)
    return reviews.order_by("-held_on", "-id").first()


def interval_exceeded(review: Review) -> bool:
    """Whether ``review`` is (to be) held more than the interval after the
    review held before it."""
    if review.status == ReviewStatus.CANCELLED:
        return False
    previous = last_held(before=review.meeting_date, exclude=review)
    return previous is not None and review.meeting_date > due_after(previous.held_on)


def interval_flags(reviews) -> dict[int, bool]:
    """:func:`interval_exceeded` for each of ``reviews`` with one query (the
    reviews list)."""
    held = sorted(
        Review.objects.filter(
            status__in=HELD_STATUSES, held_on__isnull=False
        ).values_list("held_on", "pk")
    )
    flags = {}
    for review in reviews:
        if review.status == ReviewStatus.CANCELLED:
            flags[review.pk] = False
            continue
        before = [on for on, pk in held if on < review.meeting_date and pk != review.pk]
        flags[review.pk] = bool(before) and review.meeting_date > due_after(before[-1])
    return flags


@dataclass(frozen=True)
class ScheduleStatus:
    level: str  # "ok", "warning", "overdue" or "none" (no review held yet)
    last: Review | None
    due: date | None
    days_left: int | None
    next_planned: Review | None
    # The planned review falls after the due date.
    planned_late: bool


def schedule_status(*, today: date) -> ScheduleStatus:
    last = last_held()
    next_planned = (
        Review.objects.filter(status__in=PLANNED_STATUSES)
        .order_by("planned_date", "id")
        .first()
    )
    if last is None:
        return ScheduleStatus("none", None, None, None, next_planned, False)
    due = due_after(last.held_on)
    days_left = (due - today).days
    if days_left < 0:
        level = "overdue"
    elif today >= due - timedelta(days=settings.SHOUKONG_MGMT_REVIEW_WARNING_DAYS):
        level = "warning"
    else:
        level = "ok"
    planned_late = next_planned is not None and next_planned.planned_date > due
    return ScheduleStatus(level, last, due, days_left, next_planned, planned_late)

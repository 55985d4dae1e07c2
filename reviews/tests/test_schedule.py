"""When the next review is due: none held yet, ok, warning from 60 days before
twelve months elapse, overdue; a planned review falling after the due date;
a review more than twelve months after the previous one is flagged."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import override_settings
from django.utils import translation

from documents import roles
from reviews import schedule, services
from reviews.lifecycle import ReviewStatus
from reviews.models import Review
from reviews.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def p(db, monkeypatch):
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    return factories.people()


def backdate(review: Review, held_on: date) -> Review:
    """A review held on ``held_on`` (the services record meetings only from
    the plan's approval on)."""
    Review.objects.filter(pk=review.pk).update(held_on=held_on, planned_date=held_on)
    return Review.objects.get(pk=review.pk)


def test_due_after():
    assert schedule.due_after(date(2025, 3, 10)) == date(2026, 3, 10)
    assert schedule.due_after(date(2024, 2, 29)) == date(2025, 2, 28)
    with override_settings(SHOUKONG_MGMT_REVIEW_INTERVAL_MONTHS=6):
        assert schedule.due_after(date(2025, 8, 31)) == date(2026, 2, 28)


def test_no_review_held_yet(p):
    status = schedule.schedule_status(today=factories.today())
    assert (status.level, status.last, status.due, status.days_left) == (
        "none",
        None,
        None,
        None,
    )
    assert status.next_planned is None and not status.planned_late
    planned = factories.review(p)
    status = schedule.schedule_status(today=factories.today())
    assert status.level == "none" and status.next_planned == planned
    assert not schedule.interval_exceeded(planned)


def test_levels(p):
    last = backdate(factories.held(p), date(2025, 6, 15))
    due = date(2026, 6, 15)

    def at(day):
        return schedule.schedule_status(today=day)

    status = at(date(2025, 12, 1))
    assert (status.level, status.last, status.due) == ("ok", last, due)
    assert status.days_left == (due - date(2025, 12, 1)).days
    assert at(due - timedelta(days=61)).level == "ok"
    assert at(due - timedelta(days=60)).level == "warning"
    status = at(due)
    assert (status.level, status.days_left) == ("warning", 0)
    status = at(due + timedelta(days=1))
    assert (status.level, status.days_left) == ("overdue", -1)
    with override_settings(SHOUKONG_MGMT_REVIEW_WARNING_DAYS=10):
        assert at(due - timedelta(days=11)).level == "ok"
        assert at(due - timedelta(days=10)).level == "warning"

    # A later review held takes over; a planned or cancelled one does not.
    second = backdate(factories.held(p), date(2026, 5, 1))
    assert at(date(2026, 7, 1)).last == second
    assert at(date(2026, 7, 1)).level == "ok"
    cancelled = factories.review(p)
    services.review_cancel(user=p.controller, review=cancelled, reason="取消")
    Review.objects.filter(pk=cancelled.pk).update(held_on=date(2026, 6, 1))
    assert schedule.last_held() == second
    assert schedule.last_held(before=date(2026, 5, 1)) == last
    assert schedule.last_held(exclude=second) == last


def test_a_planned_review_after_the_due_date(p):
    backdate(factories.held(p), date(2025, 12, 1))
    on_time = factories.review(p, days=0)
    Review.objects.filter(pk=on_time.pk).update(planned_date=date(2026, 12, 1))
    status = schedule.schedule_status(today=date(2026, 11, 1))
    assert status.next_planned.pk == on_time.pk and not status.planned_late
    assert not schedule.interval_exceeded(Review.objects.get(pk=on_time.pk))

    Review.objects.filter(pk=on_time.pk).update(planned_date=date(2026, 12, 2))
    status = schedule.schedule_status(today=date(2026, 11, 1))
    assert status.planned_late and status.level == "warning"
    late = Review.objects.get(pk=on_time.pk)
    assert schedule.interval_exceeded(late)
    # Cancelled: no longer planned, never flagged.
    services.review_cancel(user=p.controller, review=late, reason="改期")
    late.refresh_from_db()
    assert not schedule.interval_exceeded(late)
    assert schedule.schedule_status(today=date(2026, 11, 1)).next_planned is None


def test_interval_exceeded_between_held_reviews(p):
    first = backdate(factories.held(p), date(2024, 10, 1))
    assert not schedule.interval_exceeded(first)  # nothing before it
    second = backdate(factories.held(p), date(2025, 10, 1))
    assert not schedule.interval_exceeded(second)  # exactly twelve months
    third = backdate(factories.held(p), date(2026, 10, 2))
    assert schedule.interval_exceeded(third)
    # Judged against the review held just before it, not the latest.
    assert not schedule.interval_exceeded(Review.objects.get(pk=second.pk))
    assert third.status == ReviewStatus.HELD

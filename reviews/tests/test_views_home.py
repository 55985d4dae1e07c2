"""The management reviews dashboard and the follow-up tracker
(reviews.views.home): the schedule flag (warning, overdue past 12 months, none
held), what waits for the user, the list of reviews, the actions across
reviews with their filters, and who may open them."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from documents import roles
from documents.tests import factories as doc_factories

from .. import services
from ..lifecycle import OutputKind, ReviewStatus
from ..models import Review
from . import factories

pytestmark = pytest.mark.django_db

HOME = "/reviews/"
ACTIONS = "/reviews/actions/"


@pytest.fixture
def p():
    return factories.people()


@pytest.fixture
def customer(p):
    return doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def held_long_ago(p, held_on):
    """A review held on ``held_on`` (test setup: the dates are moved back with
    update(), as meeting_record refuses a date before the plan's approval)."""
    review = factories.held(p)
    Review.objects.filter(pk=review.pk).update(
        held_on=held_on,
        planned_date=held_on,
        period_start=held_on - relativedelta(years=1),
        period_end=held_on,
        plan_approved_at=timezone.make_aware(
            datetime.combine(held_on - timedelta(days=20), time(9))
        ),
    )
    review.refresh_from_db()
    return review


def test_urls_are_the_routes():
    assert reverse("reviews:home") == HOME
    assert reverse("reviews:actions") == ACTIONS


# --- Who may open the pages -----------------------------------------------------------


def test_pages_render_for_staff_and_refuse_a_customer(client, p, customer):
    for user in (p.staff, p.controller, p.gm):
        assert as_user(user).get(HOME).status_code == 200
        assert as_user(user).get(ACTIONS).status_code == 200
    for url in (HOME, ACTIONS):
        assert as_user(customer).get(url).status_code == 403
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


# --- The schedule ---------------------------------------------------------------------


def test_no_review_held_yet(p):
    content = body(as_user(p.staff).get(HOME))
    assert 'data-testid="review-due" data-level="none"' in content
    assert "No management review has been held yet." in content
    assert "No review is planned yet." in content
    assert 'data-testid="no-reviews"' in content


def test_overdue_when_the_last_review_is_more_than_12_months_old(p):
    today = factories.today()
    old = held_long_ago(p, today - relativedelta(months=13))
    content = body(as_user(p.staff).get(HOME))
    assert 'data-level="overdue"' in content
    assert "review-due--overdue" in content
    assert 'data-testid="review-overdue"' in content
    assert old.number in content
    due = old.held_on + relativedelta(months=12)
    assert f'data-testid="due-date">{due.isoformat()}<' in content
    assert f'data-testid="days-left">{(today - due).days}<' in content
    assert "Days overdue" in content


def test_warning_within_60_days_and_ok_before(p):
    today = factories.today()
    review = held_long_ago(p, today - relativedelta(months=12) + timedelta(days=30))
    content = body(as_user(p.staff).get(HOME))
    assert 'data-level="warning"' in content
    assert "review-due--warning" in content
    assert 'data-testid="review-warning"' in content
    due = review.held_on + relativedelta(months=12)
    assert f'data-testid="days-left">{(due - today).days}<' in content

    Review.objects.filter(pk=review.pk).update(
        held_on=today - relativedelta(months=6),
        planned_date=today - relativedelta(months=6),
    )
    content = body(as_user(p.staff).get(HOME))
    assert 'data-level="ok"' in content
    assert 'data-testid="review-warning"' not in content


def test_planned_late_and_interval_exceeded_are_flagged(p):
    today = factories.today()
    held_long_ago(p, today - relativedelta(months=12) + timedelta(days=5))
    # Planned 20 days ahead: after the due date (5 days ahead).
    late = factories.review(p, days=20)
    content = body(as_user(p.staff).get(HOME))
    assert 'data-testid="review-planned-late"' in content
    assert late.number in content
    row = content.split(f'data-review="{late.number}"')[1].split("</tr>")[0]
    assert 'data-testid="interval-exceeded"' in row


# --- The list and the button ----------------------------------------------------------


def test_list_of_reviews_and_plan_button_for_preparers(p):
    annual = factories.review(p)
    extra = factories.review(
        p, days=20, kind="extra", trigger="major_incident", trigger_note="机房断电"
    )
    content = body(as_user(p.controller).get(HOME))
    assert 'data-testid="plan-review"' in content
    for review in (annual, extra):
        assert f'data-review="{review.number}"' in content
    assert "Extra review" in content and "Major information security" in content
    assert 'data-testid="interval-exceeded"' not in content

    content = body(as_user(p.staff).get(HOME))
    assert 'data-testid="plan-review"' not in content
    assert f'data-review="{annual.number}"' in content


# --- Waiting for you ------------------------------------------------------------------


def test_waiting_items_on_the_home_page(p):
    review = factories.review(p)
    content = body(as_user(p.tech_manager).get(HOME))
    assert 'data-testid="waiting-item" data-kind="input"' in content
    assert "Provide 技术部&#x27;s input" in content
    # The plan waits for 管理者代表 once submitted.
    services.review_submit(user=p.controller, review=review)
    content = body(as_user(p.mr).get(HOME))
    assert 'data-kind="sign_plan"' in content
    assert "Sign the review plan (管理者代表)" in content
    content = body(as_user(p.gm).get(HOME))
    assert 'data-kind="sign_plan"' not in content


# --- The actions ----------------------------------------------------------------------


def test_actions_across_reviews_with_status_and_filters(p):
    today = factories.today()
    review = factories.held(p)
    improvement = factories.improvement(p, review)
    late = services.output_add(
        user=p.controller,
        review=review,
        kind=OutputKind.RESOURCE,
        description="增加一名值班工程师",
        owner=p.staff,
        department=doc_factories.department("技术部"),
        due_date=today + timedelta(days=3),
    )
    # Overdue (test setup).
    type(late).objects.filter(pk=late.pk).update(due_date=today - timedelta(days=2))
    client = as_user(p.staff)

    content = body(client.get(ACTIONS))
    assert f'data-reference="{improvement.reference}"' in content
    assert f'data-reference="{late.reference}"' in content
    assert improvement.nonconformity.number in content
    assert improvement.nonconformity.get_absolute_url() in content
    late_row = content.split(f'data-reference="{late.reference}"')[1].split("</tr>")[0]
    assert (
        'data-overdue="true"' in late_row and 'data-testid="action-overdue"' in late_row
    )

    content = body(client.get(ACTIONS, {"state": "overdue"}))
    assert f'data-reference="{late.reference}"' in content
    assert f'data-reference="{improvement.reference}"' not in content

    market = doc_factories.department("市场部")
    content = body(client.get(ACTIONS, {"state": "all", "department": market.pk}))
    assert 'data-testid="no-actions"' in content

    content = body(client.get(ACTIONS, {"state": "all", "review": review.number}))
    assert content.count('data-testid="review-action"') == 2

    # Done and verified: no longer open.
    services.output_complete(user=p.staff, output=late, note="已招聘")
    services.output_verify(
        user=p.controller, output=late, effective=True, note="已到岗"
    )
    content = body(client.get(ACTIONS))
    assert f'data-reference="{late.reference}"' not in content
    content = body(client.get(ACTIONS, {"state": "all"}))
    assert f'data-reference="{late.reference}"' in content


def test_output_owner_sees_it_waiting_and_home_counts_it(p):
    review = factories.held(p)
    output = factories.improvement(p, review)
    content = body(as_user(p.tech_manager).get(HOME))
    assert 'data-kind="output"' in content
    assert output.reference in content
    assert 'data-testid="actions-link"' in content
    assert "1 open action" in content
    assert review.status == ReviewStatus.HELD

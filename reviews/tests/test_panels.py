"""The reviews on the Wagtail admin dashboard (reviews.panels): what waits for
whom, and the schedule flag (overdue past 12 months, warning within 60 days)
on /admin/."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from documents.tests import factories as doc_factories

from .. import services
from ..lifecycle import InputSection
from ..models import Review
from ..panels import homepage_panels, waiting_items
from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def p():
    return factories.people()


def held_on(p, day):
    review = factories.held(p)
    Review.objects.filter(pk=review.pk).update(
        held_on=day,
        planned_date=day,
        period_start=day - relativedelta(years=1),
        period_end=day,
        plan_approved_at=timezone.make_aware(
            datetime.combine(day - timedelta(days=20), time(9))
        ),
    )
    review.refresh_from_db()
    return review


def kinds(user) -> list[str]:
    return [item.kind for item in waiting_items(user)]


def panels_for(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return homepage_panels(request)


def dashboard(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("wagtailadmin_home"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_waiting_items_follow_the_review(p):
    tech = doc_factories.department("技术部")
    review = factories.review(p)
    # 技术部 provides performance: its head and its staff see it.
    assert kinds(p.tech_manager) == ["input"]
    assert kinds(p.staff) == ["input"]
    assert kinds(p.market_manager) == []
    assert kinds(p.mr) == []

    services.input_save(
        user=p.staff,
        review=review,
        department=tech,
        section=InputSection.PERFORMANCE,
        content="响应及时率 96%",
    )
    # A draft: the head signs it off.
    assert kinds(p.tech_manager) == ["sign_input"]
    assert kinds(p.staff) == ["input"]

    services.review_submit(user=p.controller, review=review)
    assert "sign_plan" in kinds(p.mr)
    assert "sign_plan" not in kinds(p.gm)

    # Signed off: no longer waiting.
    services.input_sign(user=p.tech_manager, input=review.inputs.get())
    assert kinds(p.tech_manager) == []
    assert kinds(p.staff) == []


def test_pack_to_confirm_and_outputs(p):
    review = factories.approved(p)
    pack = services.pack_compile(user=p.controller, review=review)
    assert "confirm" in kinds(p.mr)
    assert "confirm" not in kinds(p.controller)
    services.pack_confirm(user=p.mr, pack=pack)
    assert "confirm" not in kinds(p.mr)

    review = factories.held(p)

    output = factories.improvement(p, review)
    items = [i for i in waiting_items(p.tech_manager) if i.kind == "output"]
    assert [i.reference for i in items] == [output.reference]
    assert items[0].url == output.nonconformity.get_absolute_url()


def test_no_panel_when_nothing_waits_and_the_schedule_is_fine(p):
    # Nothing held, nothing planned: the preparers are told; staff see nothing.
    names = [panel.name for panel in panels_for(p.controller)]
    assert names == ["shoukong_reviews"]
    assert panels_for(p.staff) == []
    held_on(p, factories.today() - relativedelta(months=3))
    assert panels_for(p.controller) == []


def test_overdue_flag_on_the_admin_dashboard(client, p):
    old = held_on(p, factories.today() - relativedelta(months=13))
    content = dashboard(client, p.controller)
    assert 'data-testid="review-due"' in content
    assert 'data-level="overdue"' in content
    assert "review-due--overdue" in content
    assert "Management review overdue" in content
    assert old.held_on.isoformat() in content
    assert reverse("reviews:home") in content

    content = dashboard(client, p.mr)
    assert 'data-level="overdue"' in content


def test_warning_within_60_days_on_the_admin_dashboard(client, p):
    held_on(p, factories.today() - relativedelta(months=12) + timedelta(days=40))
    content = dashboard(client, p.controller)
    assert 'data-level="warning"' in content
    assert "review-due--warning" in content
    assert "days left" in content

"""The plan pages (reviews.views.plans): a new review and its form (an extra
review needs its trigger), the plan as read with its assignments and
signatures, changing the draft, the plan's steps through their POST actions
(double submit, the wrong signer, return, revise, cancel, notice), and who may
open what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse

from documents import roles
from documents.tests import factories as doc_factories

from .. import services
from ..lifecycle import InputSection, ReviewStatus
from ..models import Review
from . import factories

pytestmark = pytest.mark.django_db


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


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def detail_url(review) -> str:
    return reverse("reviews:review", kwargs={"number": review.number})


def action_url(review, action: str) -> str:
    return reverse(
        "reviews:review_action", kwargs={"number": review.number, "action": action}
    )


NEW = "/reviews/new/"


def plan_data(p, **overrides) -> dict:
    tech = doc_factories.department("技术部")
    admin = doc_factories.department("行政部")
    planned = factories.today() + timedelta(days=20)
    data = {
        "kind": "annual",
        "trigger": "",
        "trigger_note": "",
        "title": "",
        "planned_date": planned.isoformat(),
        "location": "三楼会议室",
        "chair": "",
        "period_start": "",
        "period_end": "",
        "purpose": "",
        "criteria": "",
        "agenda": "",
        "materials": "各部门提交书面材料",
        "participants": [str(p.mr.pk), str(p.tech_manager.pk)],
        f"assign__{InputSection.PERFORMANCE}__{tech.pk}": "on",
        f"due__{InputSection.PERFORMANCE}": (planned - timedelta(days=5)).isoformat(),
        f"assign__{InputSection.RESOURCES}__{admin.pk}": "on",
    }
    data.update(overrides)
    return data


# --- Who may open the pages -----------------------------------------------------------


def test_pages_render_for_staff_refuse_a_customer_and_404_unknown(client, p, customer):
    review = factories.review(p)
    urls = [
        detail_url(review),
        reverse("reviews:review_edit", kwargs={"number": review.number}),
        NEW,
        action_url(review, "cancel"),
    ]
    content = body(as_user(p.staff).get(urls[0]))
    assert review.number in content and 'data-testid="review-tabs"' in content
    for url in urls[1:]:
        assert as_user(p.controller).get(url).status_code == 200, url
        # Not a preparer: may read the plan, not change it.
        assert as_user(p.staff).get(url).status_code == 403, url
    for url in urls:
        assert as_user(customer).get(url).status_code == 403, url
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    staff = as_user(p.controller)
    for url in (
        "/reviews/MR-1999-01/",
        "/reviews/MR-1999-01/edit/",
        "/reviews/MR-1999-01/do/submit/",
        "/reviews/MR-1999-01/do/cancel/",
    ):
        assert staff.get(url).status_code == 404, url
        assert staff.post(url).status_code == 404, url
    assert staff.post(action_url(review, "explode")).status_code == 404
    assert staff.get(action_url(review, "explode")).status_code == 404


# --- A new review ---------------------------------------------------------------------


def test_new_form_offers_defaults(p):
    content = body(as_user(p.controller).get(NEW))
    start, end = services.default_period(factories.today() + timedelta(days=30))
    assert f'value="{start.isoformat()}"' in content
    assert f'value="{end.isoformat()}"' in content
    assert 'data-testid="assignment-grid"' in content
    assert "Left empty: the standard text." in content
    assert 'name="participants"' in content


def test_create_an_annual_review(p):
    client = as_user(p.controller)
    response = client.post(NEW, plan_data(p))
    review = Review.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(review)
    assert review.status == ReviewStatus.DRAFT
    assert review.location == "三楼会议室"
    # Blank texts take the service's defaults; the period defaults too.
    assert review.purpose and review.criteria and review.agenda
    assert review.period_end == review.planned_date
    assert review.chair == p.gm
    people = set(review.participants.values_list("user__username", flat=True))
    assert people == {"gm", "mr", "tech_manager"}
    assigned = {
        (a.section, a.department.name, a.due_date)
        for a in review.assignments.select_related("department")
    }
    assert assigned == {
        (InputSection.PERFORMANCE, "技术部", review.planned_date - timedelta(days=5)),
        (InputSection.RESOURCES, "行政部", None),
    }
    content = body(client.get(detail_url(review)))
    assert "is planned as a draft" in content
    row = content.split('data-section="performance" data-department="技术部"')[1]
    assert row.startswith(' data-signed="false"')
    assert "Not provided yet" in content


def test_extra_review_without_trigger_is_refused_and_saves_nothing(p):
    client = as_user(p.controller)
    response = client.post(NEW, plan_data(p, kind="extra"))
    assert response.status_code == 400
    content = response.content.decode()
    assert "An extra review needs the event that calls for it." in content
    assert 'data-testid="form-errors"' in content
    assert not Review.objects.exists()

    # "Other" needs what happened (the service says so on the field).
    response = client.post(NEW, plan_data(p, kind="extra", trigger="other"))
    assert response.status_code == 400
    assert "Describe what calls for the review." in response.content.decode()
    assert not Review.objects.exists()

    response = client.post(
        NEW,
        plan_data(
            p, kind="extra", trigger="customer_complaint", trigger_note="重复投诉"
        ),
    )
    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.kind, review.trigger, review.trigger_note) == (
        "extra",
        "customer_complaint",
        "重复投诉",
    )
    content = body(client.get(detail_url(review)))
    assert 'data-testid="plan-trigger"' in content and "重复投诉" in content


def test_service_refusal_is_shown_on_the_form(p):
    planned = factories.today() + timedelta(days=20)
    response = as_user(p.controller).post(
        NEW,
        plan_data(
            p,
            **{
                f"due__{InputSection.PERFORMANCE}": (
                    planned + timedelta(days=3)
                ).isoformat()
            },
        ),
    )
    assert response.status_code == 400
    assert "An input cannot be due after the meeting." in response.content.decode()
    assert not Review.objects.exists()


# --- Changing the draft ---------------------------------------------------------------


def test_edit_the_draft_and_refuse_once_submitted(p):
    review = factories.review(p)
    client = as_user(p.controller)
    edit = reverse("reviews:review_edit", kwargs={"number": review.number})
    content = body(client.get(edit))
    assert "三楼会议室" in content and "checked" in content
    data = plan_data(p, title="2026年度管理评审（调整）", location="二楼会议室")
    response = client.post(edit, data)
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.title == "2026年度管理评审（调整）"
    assert review.location == "二楼会议室"
    assert review.assignments.count() == 2

    services.review_submit(user=p.controller, review=review)
    response = client.get(edit)
    assert response.status_code == 302 and response["Location"] == detail_url(review)
    assert any("revise it before changing it" in m for m in messages_of(response))


# --- The plan's steps -----------------------------------------------------------------


def test_submit_sign_and_approve_through_the_page(p):
    review = factories.review(p)
    client = as_user(p.controller)
    content = body(client.get(detail_url(review)))
    assert 'data-testid="action-submit"' in content
    assert 'data-testid="edit-plan"' in content

    response = client.post(action_url(review, "submit"))
    assert response.status_code == 302
    assert any("管理者代表 signs it next" in m for m in messages_of(response))
    review.refresh_from_db()
    assert review.status == ReviewStatus.IN_REVIEW

    # Submitting twice: a message, not a 500.
    response = client.post(action_url(review, "submit"))
    assert response.status_code == 302
    assert messages_of(response)
    review.refresh_from_db()
    assert review.status == ReviewStatus.IN_REVIEW

    # The wrong role: 总经理 cannot sign 管理者代表's step; staff neither.
    for user in (p.gm, p.staff):
        response = as_user(user).post(action_url(review, "sign"), {"comment": ""})
        assert response.status_code == 403
    assert as_user(p.staff).get(action_url(review, "sign")).status_code == 403

    mr = as_user(p.mr)
    content = body(mr.get(detail_url(review)))
    assert 'data-testid="action-sign"' in content
    assert 'data-testid="action-return"' in content
    response = mr.post(action_url(review, "sign"), {"comment": "同意"})
    assert any("总经理 signs it next" in m for m in messages_of(response))
    response = as_user(p.gm).post(action_url(review, "sign"), {"comment": ""})
    assert any("the plan is approved" in m for m in messages_of(response))
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED

    content = body(client.get(detail_url(review)))
    assert content.count('data-testid="signature"') == 2
    assert 'data-state="signed"' in content and "同意" in content
    assert "Not sent yet" in content
    assert 'data-testid="action-notify"' in content
    assert 'data-testid="action-revise"' in content
    # Signing again once approved: a message.
    response = mr.post(action_url(review, "sign"), {"comment": ""})
    assert response.status_code == 302
    assert any("nothing to sign" in m for m in messages_of(response))


def test_return_needs_a_comment_and_sends_it_back(p):
    review = factories.review(p)
    services.review_submit(user=p.controller, review=review)
    mr = as_user(p.mr)
    content = body(mr.get(action_url(review, "return")))
    assert 'data-testid="action-return"' in content and 'name="comment"' in content

    response = mr.post(action_url(review, "return"), {"comment": ""})
    assert response.status_code == 302
    assert any("Say why it is returned." in m for m in messages_of(response))
    review.refresh_from_db()
    assert review.status == ReviewStatus.IN_REVIEW

    response = mr.post(action_url(review, "return"), {"comment": "议程缺少风险评审"})
    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT
    content = body(as_user(p.controller).get(detail_url(review)))
    assert 'data-decision="returned"' in content and "议程缺少风险评审" in content


def test_submit_and_notify_are_post_only(p):
    review = factories.review(p)
    client = as_user(p.controller)
    assert client.get(action_url(review, "submit")).status_code == 405
    assert client.get(action_url(review, "notify")).status_code == 405


def test_notify_revise_and_cancel(p, django_capture_on_commit_callbacks):
    for user in (p.gm, p.mr):
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])
    review = factories.approved(p)
    client = as_user(p.controller)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action_url(review, "notify"))
    assert any("notice was sent" in m for m in messages_of(response))
    assert any(
        "gm@example.com" in m.to or "gm@example.com" in m.bcc for m in mail.outbox
    )
    review.refresh_from_db()
    assert review.notified_at is not None
    content = body(client.get(detail_url(review)))
    assert 'data-testid="notice-state">Sent' in content

    # Revising needs a reason.
    response = client.post(action_url(review, "revise"), {"reason": ""})
    assert any("Say why the plan is revised." in m for m in messages_of(response))
    response = client.post(action_url(review, "revise"), {"reason": "会议日期调整"})
    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT and review.plan_revision == 2
    assert review.notified_at is None

    # Staff may not cancel: a 403.
    assert (
        as_user(p.staff).post(action_url(review, "cancel"), {"reason": "x"}).status_code
        == 403
    )
    response = client.post(action_url(review, "cancel"), {"reason": ""})
    assert any("Say why the review is cancelled." in m for m in messages_of(response))
    response = client.post(action_url(review, "cancel"), {"reason": "合并到年度评审"})
    review.refresh_from_db()
    assert review.status == ReviewStatus.CANCELLED
    content = body(client.get(detail_url(review)))
    assert 'data-testid="cancelled"' in content and "合并到年度评审" in content
    assert 'data-testid="plan-actions"' not in content


def test_plan_download(p):
    review = factories.review(p)
    response = as_user(p.staff).get(
        reverse("reviews:plan_docx", kwargs={"number": review.number})
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument"
    )
    assert "attachment" in response["Content-Disposition"]
    assert response.content[:2] == b"PK"

"""The outputs page: decisions recorded as actions with owner and due date,
raised in compliance or as change requests, followed up to closure."""

from __future__ import annotations

from datetime import timedelta

import pytest

from compliance.lifecycle import NonconformitySource
from compliance.models import Nonconformity
from documents import roles
from documents.models import ChangeRequest
from documents.tests import factories as doc_factories

from ..lifecycle import OutputKind, OutputStatus, ReviewStatus
from ..models import Review, ReviewOutput
from . import factories as f

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def p():
    return f.people()


@pytest.fixture
def held(p) -> Review:
    return f.held(p)


def url(review: Review) -> str:
    return f"/reviews/{review.number}/outputs/"


def action_url(output: ReviewOutput, action: str) -> str:
    return f"/reviews/{output.review.number}/outputs/{output.seq}/{action}/"


def decision(p, **changes) -> dict:
    data = {
        "kind": OutputKind.IMPROVEMENT,
        "category": "service",
        "section": "performance",
        "description": "建立客户回访制度\n每季度回访重点客户",
        "owner": p.tech_manager.pk,
        "due_date": (f.today() + timedelta(days=45)).isoformat(),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_page_renders_with_the_form(client, p, held):
    client.force_login(p.controller)
    response = client.get(url(held), **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="output-form"' in page
    assert 'data-testid="outputs-none"' in page


def test_customer_representative_gets_403_and_unknown_review_404(client, p, held):
    customer = doc_factories.user("customer", role=roles.CUSTOMER_REPRESENTATIVE)
    client.force_login(customer)
    assert client.get(url(held)).status_code == 403
    client.force_login(p.controller)
    assert client.get("/reviews/MR-1999-01/outputs/").status_code == 404
    assert client.get(f"/reviews/{held.number}/outputs/9/complete/").status_code == 404


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("owner", "Every action needs an owner."),
        ("due_date", "Every action needs a due date."),
    ],
)
def test_an_action_without_owner_or_due_date_is_refused(
    client, p, held, missing, message
):
    client.force_login(p.controller)
    before = Nonconformity.objects.count()
    response = client.post(url(held), decision(p, **{missing: None}), **EN)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ReviewOutput.objects.filter(review=held).exists()
    assert Nonconformity.objects.count() == before


def test_an_improvement_action_raises_a_nonconformity_with_owner_and_due(
    client, p, held
):
    client.force_login(p.controller)
    due = f.today() + timedelta(days=45)
    response = client.post(url(held), decision(p), follow=True, **EN)
    assert response.status_code == 200
    output = ReviewOutput.objects.get(review=held)
    nc = output.nonconformity
    assert nc is not None
    assert nc.source == NonconformitySource.MANAGEMENT_REVIEW
    assert nc.owner == p.tech_manager and nc.due_date == due
    assert nc.department.name == "技术部"  # the owner's department
    assert nc.title == "建立客户回访制度"
    page = response.content.decode()
    assert f"nonconformity {nc.number} is raised" in page
    assert nc.number in page and nc.get_absolute_url() in page
    assert "Followed up in compliance" in page
    # Tracked in compliance: no completion here.
    assert client.get(action_url(output, "complete")).status_code == 403


def test_a_decision_before_the_meeting_is_refused(client, p):
    review = f.approved(p)
    client.force_login(p.controller)
    page = client.get(url(review), **EN).content.decode()
    assert 'data-testid="outputs-before-meeting"' in page
    response = client.post(url(review), decision(p), **EN)
    assert response.status_code == 400
    assert "Record the meeting before its decisions." in response.content.decode()
    assert not ReviewOutput.objects.filter(review=review).exists()


def test_a_document_re_issue_raises_a_change_request(client, p, held):
    manual = doc_factories.document("manual", "服务管理手册", number="A01", issue=True)
    client.force_login(p.controller)
    response = client.post(
        url(held),
        decision(
            p,
            kind=OutputKind.DOCUMENT,
            description="手册按新组织架构换版",
            owner=p.controller.pk,
            document=manual.pk,
        ),
        follow=True,
        **EN,
    )
    assert response.status_code == 200
    output = ReviewOutput.objects.get(review=held)
    assert output.change_request is not None
    assert ChangeRequest.objects.filter(pk=output.change_request_id).exists()
    assert output.change_request.document_id == manual.pk
    assert "a change request is raised for A01" in response.content.decode()


def test_an_own_action_is_completed_by_its_owner_and_verified(client, p, held):
    client.force_login(p.controller)
    client.post(
        url(held),
        decision(p, kind=OutputKind.RESOURCE, description="增加一名运维工程师"),
    )
    output = ReviewOutput.objects.get(review=held)
    assert output.nonconformity is None and output.status == OutputStatus.OPEN

    # The owner records it done.
    client.force_login(p.tech_manager)
    page = client.get(url(held), **EN).content.decode()
    assert action_url(output, "complete") in page
    assert client.get(action_url(output, "complete"), **EN).status_code == 200
    response = client.post(action_url(output, "complete"), {"note": ""}, **EN)
    assert response.status_code == 400
    assert "Say what was done." in response.content.decode()
    response = client.post(
        action_url(output, "complete"), {"note": "已招聘到岗"}, follow=True, **EN
    )
    assert "is recorded as done" in response.content.decode()
    output.refresh_from_db()
    assert output.status == OutputStatus.DONE and output.completed_on == f.today()
    # Only 行政部 verifies.
    assert client.get(action_url(output, "verify")).status_code == 403
    assert (
        client.post(action_url(output, "verify"), {"effective": "yes", "note": "好"})
    ).status_code == 403

    client.force_login(p.controller)
    response = client.post(
        action_url(output, "verify"),
        {"effective": "yes", "note": "人员已到岗并完成培训"},
        follow=True,
        **EN,
    )
    assert "is verified" in response.content.decode()
    output.refresh_from_db()
    assert output.status == OutputStatus.VERIFIED and output.verified_by == p.controller


def test_an_own_action_is_cancelled_with_its_reason(client, p, held):
    client.force_login(p.controller)
    client.post(url(held), decision(p, kind=OutputKind.OTHER, description="更新通讯录"))
    output = ReviewOutput.objects.get(review=held)
    response = client.post(action_url(output, "cancel"), {"reason": ""}, **EN)
    assert response.status_code == 400
    response = client.post(
        action_url(output, "cancel"), {"reason": "已由系统自动完成"}, follow=True, **EN
    )
    assert "is cancelled" in response.content.decode()
    output.refresh_from_db()
    assert output.status == OutputStatus.CANCELLED


def test_an_overdue_action_is_highlighted(client, p, held):
    client.force_login(p.controller)
    client.post(url(held), decision(p, kind=OutputKind.OTHER, description="整理档案"))
    # Due dates in the past are refused by the service: move it back in the DB.
    ReviewOutput.objects.filter(review=held).update(
        due_date=f.today() - timedelta(days=3)
    )
    page = client.get(url(held), **EN).content.decode()
    assert 'data-testid="output-overdue"' in page and "is-overdue" in page


def test_no_decision_is_added_while_the_report_is_in_signature(client, p, held):
    from .. import services

    services.report_submit(
        user=p.controller,
        review=held,
        distribution=[doc_factories.department("行政部")],
    )
    client.force_login(p.controller)
    page = client.get(url(held), **EN).content.decode()
    assert 'data-testid="output-form"' not in page
    assert 'data-testid="outputs-closed"' in page
    held.refresh_from_db()
    assert held.status == ReviewStatus.REPORTING

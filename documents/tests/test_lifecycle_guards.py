"""Guards found in review: nobody signs text they wrote during the chain, an
unchanged draft is not submitted again, an approved issue replaced before it
took effect recalls its copies, and the admin never publishes a new document."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from documents import approvals, services
from documents.lifecycle import IssueStatus, RecallStatus
from documents.models import (
    Department,
    DistributionListEntry,
    DocumentPage,
    ProcedurePage,
    RecallTask,
)

pytestmark = pytest.mark.django_db
PASSWORD = settings.SHOUKONG_DEMO_PASSWORD


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *args, **kwargs: date(2026, 11, 23)
    )


@pytest.fixture
def users():
    call_command("load_demo", "--users-only", stdout=io.StringIO())
    return {u.username: u for u in get_user_model().objects.all()}


def draft(users, **fields) -> ProcedurePage:
    page = services.document_create(
        user=users["controller"],
        parent=services.library_ensure(),
        page_class=ProcedurePage,
        title="变更管理程序",
        department=Department.objects.get(name="行政部"),
        body="<p>正文</p>",
        **fields,
    )
    page.distribution_list.add(DistributionListEntry(holder=users["staff"]))
    page.save_revision(user=users["controller"])
    return page


def sign_through(page, users):
    approvals.document_submit(user=users["controller"], document=page)
    for name in ("mr", "gm"):
        approvals.document_act(
            user=users[name], document=page, action="approve", password=PASSWORD
        )
    return approvals.document_act(
        user=users["controller"],
        document=page,
        action="approve",
        password=PASSWORD,
        attachments_complete=True,
    )


def test_a_signer_who_rewrote_the_draft_during_the_chain_cannot_sign_it(users):
    page = draft(users)
    approvals.document_submit(user=users["controller"], document=page)
    edited = page.get_latest_revision_as_object()
    edited.body = "<p>管理者代表改写的正文</p>"
    edited.save_revision(user=users["mr"])
    state = DocumentPage.objects.get(pk=page.pk).current_workflow_task_state
    assert not approvals.may_sign(
        task=state.task.specific, document=page, user=users["mr"], task_state=state
    )


def test_an_unchanged_draft_is_not_submitted_again(users):
    page = draft(users)
    assert sign_through(page, users).finished
    with pytest.raises(ValidationError):
        approvals.document_submit(user=users["controller"], document=page)


def test_an_issue_replaced_before_it_took_effect_recalls_its_copies(users):
    page = draft(users)
    assert sign_through(page, users).finished
    for n, effective in enumerate((date(2026, 12, 10), date(2026, 12, 5)), start=1):
        revised = DocumentPage.objects.get(pk=page.pk).get_latest_revision_as_object()
        revised.body = f"<p>第 {n} 次修订</p>"
        revised.effective_on = effective
        revised.save_revision(user=users["controller"])
        assert sign_through(revised, users).finished
    b = page.issues.get(label="B")
    assert b.status == IssueStatus.OBSOLETE
    recalls = RecallTask.objects.filter(copy__issue=b)
    assert [r.status for r in recalls] == [RecallStatus.OPEN]


def test_publish_on_the_admin_create_form_saves_a_draft(client, users):
    library = services.library_ensure()
    client.force_login(users["controller"])
    data = nested_form_data(
        {
            "title": "新程序",
            "slug": "",
            "department": Department.objects.get(name="行政部").pk,
            "body": rich_text("<p>正文</p>"),
            "description": "",
            "storage_location": "",
            "retention_period": "",
            "distribution_list": inline_formset([]),
            "action-publish": "publish",
        }
    )
    client.post(
        reverse(
            "wagtailadmin_pages:add",
            args=("documents", "procedurepage", library.pk),
        ),
        data,
    )
    page = DocumentPage.objects.get(title="新程序")
    assert not page.live
    assert page.issue_list == []

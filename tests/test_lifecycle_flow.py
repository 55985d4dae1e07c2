"""The issue-3 acceptance flow, end to end through the services: a tier 2
procedure involving 技术部 and 市场部 is co-signed, reviewed, approved, checked and
issued; issue B supersedes A on its effective date and A's copies are recalled."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from pypdf import PdfReader

from documents import approvals, distribution, services
from documents.lifecycle import IssueStatus, RecallStatus, SignatureMeaning
from documents.models import (
    Department,
    DistributionListEntry,
    ProcedurePage,
    RecallTask,
    Signature,
)

pytestmark = pytest.mark.django_db

PASSWORD = settings.SHOUKONG_DEMO_PASSWORD


@pytest.fixture
def users():
    call_command("load_demo", "--users-only", stdout=io.StringIO())
    User = get_user_model()
    return {u.username: u for u in User.objects.all()}


def _sign_through(document, users, *, effective_on=None):
    approvals.document_submit(user=users["controller"], document=document)
    for name in ("tech_manager", "market_manager", "mr", "gm"):
        approvals.document_act(
            user=users[name], document=document, action="approve", password=PASSWORD
        )
    result = approvals.document_act(
        user=users["controller"],
        document=document,
        action="approve",
        password=PASSWORD,
        attachments_complete=True,
    )
    assert result.finished, result.reasons
    document.refresh_from_db()
    return document.issues.newest_first().first()


def test_procedure_goes_through_the_whole_chain(users, monkeypatch):
    # Sunday 22 November 2026, whatever day the suite runs.
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *args, **kwargs: date(2026, 11, 22)
    )
    library = services.library_ensure()
    tech = Department.objects.get(name="技术部")
    market = Department.objects.get(name="市场部")
    procedure = services.document_create(
        user=users["controller"],
        parent=library,
        page_class=ProcedurePage,
        title="变更管理程序",
        department=Department.objects.get(name="行政部"),
        body="<p>变更的申请、评估与批准。</p>",
    )
    procedure.involved_departments.set([tech, market])
    procedure.distribution_list.add(
        DistributionListEntry(department=tech, copies=1),
        DistributionListEntry(holder=users["staff"], copies=1),
    )
    procedure.save_revision(user=users["controller"])

    issue_a = _sign_through(procedure, users)
    assert issue_a.label == "A"
    assert issue_a.status == IssueStatus.EFFECTIVE
    meanings = sorted(
        Signature.objects.filter(issue=issue_a).values_list("meaning", flat=True)
    )
    assert meanings == sorted(
        [
            SignatureMeaning.CO_SIGNED,
            SignatureMeaning.CO_SIGNED,
            SignatureMeaning.REVIEWED,
            SignatureMeaning.APPROVED,
            SignatureMeaning.CHECKED,
        ]
    )
    assert [c.copy_label for c in issue_a.copies.all()] == [
        "受控01",
        "受控02",
        "受控03",
    ]

    # Issue B, effective on Friday 2026-11-27.
    procedure = ProcedurePage.objects.get(pk=procedure.pk)
    procedure.body = "<p>变更的申请、评估、批准与回顾。</p>"
    procedure.effective_on = date(2026, 11, 27)
    procedure.save_revision(user=users["controller"])
    issue_b = _sign_through(procedure, users)
    assert issue_b.label == "B"
    if issue_b.status == IssueStatus.PENDING:
        call_command("documents_daily", "--date", "2026-11-27", stdout=io.StringIO())
    issue_a.refresh_from_db()
    issue_b.refresh_from_db()
    assert issue_b.status == IssueStatus.EFFECTIVE
    assert issue_a.status == IssueStatus.SUPERSEDED
    recalls = RecallTask.objects.filter(copy__issue=issue_a)
    assert recalls.count() == 2
    assert {r.status for r in recalls} == {RecallStatus.OPEN}
    # Issued on Friday 27 November: due back on Monday 30 November.
    assert {r.due_date for r in recalls} == {date(2026, 11, 30)}

    staff_copy = issue_b.copies.get(holder=users["staff"])
    pdf = distribution.copy_render(user=users["staff"], copy=staff_copy)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert staff_copy.copy_label in text
    assert "B" in text

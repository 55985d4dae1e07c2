"""Across apps, through the services: an internal audit finds a nonconformity
against 8.5.1 whose corrective action changes the controlled procedure that
answers the clause; the action closes only once the new issue is out, and the
coverage then shows the clause clear (ISO/IEC 20000-1:2018 7.5.3, 10.1)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import ModelLogEntry, PageLogEntry

from compliance import coverage, services
from compliance import nonconformities as svc
from compliance.lifecycle import NonconformitySource, NonconformityStatus
from compliance.models import Nonconformity, Standard
from compliance.tests import factories
from documents import changes, roles
from documents import services as doc_services
from documents.lifecycle import ChangeRequestStatus, ChangeSource, IssueStatus
from documents.models import ChangeRequest, DocumentPage
from documents.tests import factories as doc_factories
from documents.tests.filefactories import make_pdf

pytestmark = pytest.mark.django_db

S = NonconformityStatus
TODAY = date(2026, 11, 22)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(svc, "company_today", lambda: TODAY)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


@pytest.fixture
def p(db, monkeypatch):
    # The role groups once per test, not once per user: roles_ensure is slow.
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    return factories.people()


def clause_row(ref: str) -> coverage.ClauseRow:
    standard = Standard.objects.get(ref_id="iso20000-1-2018")
    return next(
        row
        for row in coverage.clause_rows(standard, today=TODAY)
        if row.clause.ref_id == ref
    )


def test_a_corrective_action_closes_once_the_changed_procedure_is_issued(p):
    # A controlled procedure of 技术部 answers 8.5.1.
    procedure = doc_factories.document(
        "procedure",
        "变更管理程序",
        dept=doc_factories.department("技术部"),
        issue=True,
    )
    services.document_link(
        user=p.controller,
        clause=factories.clause("8.5.1"),
        document=procedure,
        note="变更的申请、评估、批准与实施",
    )
    row = clause_row("8.5.1")
    assert [(d.number, d.issue.label) for d in row.documents] == [
        (procedure.number, "A")
    ]
    assert row.has_procedure and row.open_nonconformities == 0

    # The internal audit finds a major nonconformity; 管理者代表 approves it.
    nc = factories.nonconformity(
        p.auditor,
        source=NonconformitySource.INTERNAL_AUDIT,
        source_reference="IA-2026-02",
        documents=[procedure],
    )
    assert nc.status == S.DRAFT
    assert clause_row("8.5.1").open_nonconformities == 1
    svc.nonconformity_approve(user=p.mr, nonconformity=nc)

    # 技术部 plans the action; its head accepts it.
    svc.nonconformity_plan(
        user=p.staff,
        nonconformity=nc,
        correction="补做三张变更单的CAB评审",
        root_cause="程序未规定紧急变更的评审方式",
        target="所有变更（含紧急变更）均有评审记录",
        actions="修订变更管理程序，增加紧急CAB；培训技术部",
        owner=p.staff,
        due_date=TODAY + timedelta(days=30),
    )
    svc.nonconformity_accept(user=p.tech_manager, nonconformity=nc, comment="同意")

    # The action changes the procedure through document control.
    request = svc.nonconformity_change_request(
        user=p.staff,
        nonconformity=nc,
        document=procedure,
        reason="增加紧急变更的评审要求",
        proposed_change="第4.3条增加紧急CAB",
    )
    assert (request.source, request.source_reference) == (
        ChangeSource.CORRECTIVE_ACTION,
        nc.number,
    )

    # Implemented with evidence, verified effective by 行政部.
    svc.nonconformity_implement(
        user=p.staff,
        nonconformity=nc,
        description="已提交程序修订并完成培训",
        evidence=[("training.pdf", make_pdf([["Training record", "tech dept"]]))],
    )
    svc.nonconformity_verify(
        user=p.controller,
        nonconformity=nc,
        effective=True,
        comment="抽查十张变更单均有评审记录",
    )
    nc.refresh_from_db()
    assert nc.status == S.EFFECTIVE
    assert clause_row("8.5.1").open_nonconformities == 1

    # Not closed while the change request is open, nor once merely accepted.
    with pytest.raises(ValidationError) as refused:
        svc.nonconformity_close(user=p.controller, nonconformity=nc)
    assert procedure.number in str(refused.value)
    changes.change_request_decide(
        user=p.controller, request=request, accept=True, drafter=p.tech_manager
    )
    with pytest.raises(ValidationError):
        svc.nonconformity_close(user=p.controller, nonconformity=nc)
    assert Nonconformity.objects.get(pk=nc.pk).status == S.EFFECTIVE

    # Document control releases issue B; the change request is done.
    page = DocumentPage.objects.get(pk=procedure.pk).specific
    page.body = "<p>紧急变更由紧急CAB评审后实施。</p>"
    page.save_revision(user=p.tech_manager)
    issue_b = doc_services.issue_create(
        user=p.controller,
        document=page,
        publish_date=TODAY,
        change_summary=f"按{nc.number}增加紧急CAB",
    )
    assert issue_b.label == "B" and issue_b.status == IssueStatus.EFFECTIVE
    request.refresh_from_db()
    assert (request.status, request.resulting_issue) == (
        ChangeRequestStatus.ISSUED,
        issue_b,
    )
    assert not svc.open_change_requests(nc).exists()

    svc.nonconformity_close(user=p.controller, nonconformity=nc)
    nc.refresh_from_db()
    assert (nc.status, nc.closed_by) == (S.CLOSED, p.controller)

    # The clause is clear and answered by the new issue.
    row = clause_row("8.5.1")
    assert row.open_nonconformities == 0
    assert [(d.number, d.issue.label) for d in row.documents] == [
        (procedure.number, "B")
    ]
    assert row.has_procedure and not row.only_overdue

    # Both histories tell the story.
    prefix = "shoukong.compliance.nonconformity_"
    assert list(
        ModelLogEntry.objects.for_instance(nc)
        .order_by("timestamp", "id")
        .values_list("action", "user__username")
    ) == [
        (prefix + "raise", "auditor"),
        (prefix + "approve", "mr"),
        (prefix + "plan", "staff"),
        (prefix + "accept", "tech_manager"),
        (prefix + "change_request", "staff"),
        (prefix + "implement", "staff"),
        (prefix + "verify", "controller"),
        (prefix + "close", "controller"),
    ]
    document_actions = list(
        PageLogEntry.objects.filter(
            page_id=procedure.pk, action__startswith="shoukong.documents.change_request"
        )
        .order_by("timestamp", "id")
        .values_list("action", flat=True)
    )
    assert document_actions == [
        "shoukong.documents.change_request",
        "shoukong.documents.change_request_decide",
    ]
    assert ChangeRequest.objects.get(pk=request.pk).source_id == nc.pk

"""Issue 6's acceptance, through the services with the demo's people: an
internal audit of 7.5 and 8.5.1 on 技术部 gets a checklist naming the current
issues of B05 文件控制程序, B06 记录控制程序 and B07 变更管理程序; tech_manager
cannot audit it; its nonconforming item becomes a nonconformity against 8.5.1
in compliance and is listed in the approved report .docx; the programme warns
while a clause or a department is uncovered for the year."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import docx
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from audits import coverage, services
from audits.lifecycle import AuditStatus, ItemResult, MeetingKind
from audits.models import Audit
from audits.tests import factories
from compliance import coverage as compliance_coverage
from compliance import nonconformities as nc_services
from compliance.lifecycle import NonconformitySource, NonconformityStatus
from compliance.models import Nonconformity
from documents import roles

pytestmark = pytest.mark.django_db

A = AuditStatus
R = ItemResult


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def s(db, monkeypatch):
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    return factories.scene()


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def compliance_row(ref: str) -> compliance_coverage.ClauseRow:
    standard = factories.clause(ref).standard
    return next(
        row
        for row in compliance_coverage.clause_rows(standard, today=factories.today())
        if row.clause.ref_id == ref
    )


def test_an_internal_audit_from_plan_to_approved_report(s):
    p = s.people
    start = factories.today() + timedelta(days=4)

    # The auditor plans the audit; the year's programme is drafted with it.
    audit = factories.audit(p.auditor, start=start)
    programme = audit.programme
    assert audit.status == A.PLANNED and programme.status == "draft"

    # tech_manager heads 技术部 and owns 变更管理 (8.5.1): refused either way.
    for team in (
        {"leader": p.tech_manager},
        {"leader": p.auditor, "auditors": [p.tech_manager]},
    ):
        with pytest.raises(ValidationError) as refused:
            services.audit_team_set(user=p.mr, audit=audit, **team)
        reasons = " ".join(refused.value.messages)
        assert "技术部" in reasons and "变更管理" in reasons
    services.audit_team_set(user=p.mr, audit=audit, leader=p.auditor)

    # The checklist names the documents in force that answer each clause.
    items = services.checklist_generate(user=p.auditor, audit=audit)
    named = {
        i.clause.ref_id: [(d["number"], d["title"], d["issue"]) for d in i.documents]
        for i in items
    }
    assert named == {
        "7.5": [("B05", "文件控制程序", "A"), ("B06", "记录控制程序", "A")],
        "8.5.1": [("B07", "变更管理程序", "A")],
    }
    assert {i.auditor for i in items} == {p.auditor}

    # The programme warns: most clauses and 管理层, 行政部, 市场部 are not audited.
    cov = coverage.programme_coverage(programme)
    assert not cov.complete and len(cov.warnings) == 2
    assert "市场部" in cov.warnings[1] and "技术部" not in cov.warnings[1]
    assert "8.5.1" not in [c.ref_id for c in cov.uncovered_clauses]
    assert "7.5" not in [c.ref_id for c in cov.uncovered_clauses]
    assert "10" in [c.ref_id for c in cov.uncovered_clauses]

    # Approved programme, notice 4 days ahead, opening meeting.
    factories.programme_approve(programme, p)
    audit, warnings = services.audit_notify(user=p.auditor, audit=audit)
    assert warnings == [] and audit.status == A.NOTIFIED
    services.meeting_record(
        user=p.auditor,
        audit=audit,
        kind=MeetingKind.OPENING,
        held_at=timezone.now() - timedelta(hours=2),
        attendees=[p.auditor, p.tech_manager, p.staff],
    )

    # The answers: 7.5 conforms, 8.5.1 does not.
    by_clause = {i.clause.ref_id: i for i in audit.items.all()}
    services.checklist_item_update(
        user=p.auditor,
        item=by_clause["7.5"],
        version=by_clause["7.5"].version,
        result=R.CONFORMING,
        evidence="受控文件清单与现行版本一致",
    )
    item = services.checklist_item_update(
        user=p.auditor,
        item=by_clause["8.5.1"],
        version=by_clause["8.5.1"].version,
        result=R.NONCONFORMING,
        evidence="抽查五张紧急变更单，两张无变更评审记录",
    )
    nc = services.finding_raise(
        user=p.auditor, item=item, grade=factories.grade("major")
    )

    # In compliance: a nonconformity from the internal audit against 8.5.1,
    # waiting for 管理者代表, counted open on the clause.
    nc = Nonconformity.objects.get(pk=nc.pk)
    assert (nc.clause.ref_id, nc.department.name) == ("8.5.1", "技术部")
    assert nc.source == NonconformitySource.INTERNAL_AUDIT
    assert nc.source_reference == audit.number
    assert nc.status == NonconformityStatus.DRAFT
    assert [d.number for d in nc.documents.all()] == ["B07"]
    assert compliance_row("8.5.1").open_nonconformities == 1
    assert compliance_row("7.5").open_nonconformities == 0

    services.meeting_record(
        user=p.auditor,
        audit=audit,
        kind=MeetingKind.CLOSING,
        held_at=timezone.now(),
        attendees=[p.auditor, p.tech_manager],
    )
    assert compliance_row("8.5.1").last_audited == factories.today()
    assert [h["title"] for h in compliance_coverage.audit_history(nc.clause)] == [
        f"{audit.number} {audit.title}"
    ]

    # The report: written, submitted, held back by the draft finding.
    services.report_save(
        user=p.auditor,
        audit=audit,
        overview="审核了技术部的文件控制和变更管理",
        evaluation="体系总体有效，变更管理需改进",
        distribution=["管理者代表", "技术部", "行政部"],
    )
    services.report_submit(user=p.auditor, audit=audit)
    with pytest.raises(ValidationError, match=nc.number):
        services.report_approve(user=p.mr, audit=audit)
    nc_services.nonconformity_approve(user=p.mr, nonconformity=nc)
    report, _warnings = services.report_approve(user=p.mr, audit=audit)
    assert Audit.objects.get(pk=audit.pk).status == A.CLOSED

    # The frozen report lists the nonconformity.
    report.refresh_from_db()
    with report.file.open("rb") as fh:
        data = fh.read()
    assert hashlib.sha256(data).hexdigest() == report.file_sha256
    text = docx_text(data)
    assert nc.number in text
    assert audit.number in text and "8.5.1" in text and "技术部" in text

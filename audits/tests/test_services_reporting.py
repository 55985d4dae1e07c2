"""The audit report: written by the leader after the closing meeting,
submitted, returned or approved by 管理者代表 once every finding is approved;
the approved .docx is frozen with its SHA-256 and the audit closes."""

from __future__ import annotations

import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from wagtail.models import ModelLogEntry

from audits import reports, services
from audits.lifecycle import AuditStatus, ItemResult, MeetingKind
from audits.models import Audit, AuditReport
from audits.tests import factories
from compliance import nonconformities as nc_services
from compliance.lifecycle import NonconformityStatus
from documents import roles

pytestmark = pytest.mark.django_db

A = AuditStatus
DOCX = b"PK\x03\x04 a frozen report"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def s(db, monkeypatch):
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    return factories.scene()


@pytest.fixture
def docx(monkeypatch):
    """Fixed bytes for the report: what is frozen is what was generated."""
    made = []

    def report_docx(audit):
        made.append(
            (audit.status, audit.report.approved_by_id, audit.report.approved_at)
        )
        return DOCX

    monkeypatch.setattr(reports, "report_docx", report_docx)
    return made


def completed(s, *, nonconforming: bool = True) -> tuple[Audit, object]:
    """An audit whose fieldwork is done: 7.5 conforming, 8.5.1 nonconforming
    and written up (a draft finding)."""
    p = s.people
    audit = factories.in_progress(factories.audit(p.auditor), p)
    finding = None
    for item in audit.items.select_related("clause"):
        bad = nonconforming and item.clause.ref_id == "8.5.1"
        item = services.checklist_item_update(
            user=p.auditor,
            item=item,
            result=ItemResult.NONCONFORMING if bad else ItemResult.CONFORMING,
            evidence="紧急变更无评审记录" if bad else "记录齐全",
        )
        if bad:
            finding = services.finding_raise(user=p.auditor, item=item)
    services.meeting_record(
        user=p.auditor,
        audit=audit,
        kind=MeetingKind.CLOSING,
        held_at=timezone.now(),
        attendees=[p.auditor, p.tech_manager],
    )
    return Audit.objects.get(pk=audit.pk), finding


def write(s, audit, **extra) -> AuditReport:
    values = {
        "overview": "审核覆盖技术部文件控制和变更管理",
        "evaluation": "体系运行基本有效",
        "distribution": ["管理者代表", "技术部", "行政部"],
    }
    values.update(extra)
    return services.report_save(user=s.people.auditor, audit=audit, **values)


def test_the_report_is_written_by_the_leader_after_the_closing_meeting(s):
    p = s.people
    audit = factories.in_progress(factories.audit(p.auditor), p)
    with pytest.raises(ValidationError, match="after the closing"):
        write(s, audit)
    factories.answer_all(audit, p.auditor)
    services.meeting_record(
        user=p.auditor,
        audit=audit,
        kind=MeetingKind.CLOSING,
        held_at=timezone.now(),
        attendees=[p.auditor],
    )
    for outsider in (p.controller, p.mr, p.tech_manager):
        with pytest.raises(PermissionDenied):
            services.report_save(user=outsider, audit=audit, overview="x")
    with pytest.raises(ValidationError, match="control character"):
        write(s, audit, overview="a\x07b")

    report = write(s, audit, evaluation="", distribution=[" 技术部 ", "技术部", ""])
    assert report.written_by == p.auditor
    assert report.distribution == ["技术部"]
    with pytest.raises(ValidationError, match="system evaluation"):
        services.report_submit(user=p.auditor, audit=audit)
    report = services.report_save(
        user=p.auditor, audit=audit, evaluation="有效", distribution=[]
    )
    assert report.overview and report.evaluation == "有效"
    with pytest.raises(ValidationError, match="receives the report"):
        services.report_submit(user=p.auditor, audit=audit)
    write(s, audit)
    assert AuditReport.objects.filter(audit=audit).count() == 1
    entries = ModelLogEntry.objects.for_instance(audit)
    assert entries.filter(action="shoukong.audits.report_save").count() == 3


def test_approving_a_report_with_unapproved_findings_is_refused(
    s, docx, django_capture_on_commit_callbacks
):
    p = s.people
    for user in get_user_model().objects.all():
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])
    audit, finding = completed(s)
    write(s, audit)
    with pytest.raises(PermissionDenied):
        services.report_submit(user=p.mr, audit=audit)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_submit(user=p.auditor, audit=audit)
    assert report.submitted_by == p.auditor and report.submitted_at
    audit.refresh_from_db()
    assert audit.status == A.REPORTED
    assert [m.to for m in mail.outbox] == [["mr@example.com"]]
    with pytest.raises(ValidationError, match="after the closing"):
        write(s, audit)  # submitted: no longer written

    # Returned: a comment is needed; the leader then writes again.
    with pytest.raises(PermissionDenied):
        services.report_return(user=p.gm, audit=audit, comment="x")
    with pytest.raises(ValidationError, match="lacks"):
        services.report_return(user=p.mr, audit=audit, comment=" ")
    report = services.report_return(user=p.mr, audit=audit, comment="补充体系评价")
    assert report.return_comment == "补充体系评价"
    audit.refresh_from_db()
    assert audit.status == A.COMPLETED
    with pytest.raises(ValidationError, match="no report awaiting"):
        services.report_approve(user=p.mr, audit=audit)
    write(s, audit, evaluation="体系运行有效，变更管理需加强")
    report = services.report_submit(user=p.auditor, audit=audit)
    assert report.return_comment == ""

    # The finding is still a draft: the report waits for it.
    assert finding.status == NonconformityStatus.DRAFT
    with pytest.raises(PermissionDenied):
        services.report_approve(user=p.gm, audit=audit)
    with pytest.raises(ValidationError, match="Approve these findings") as refused:
        services.report_approve(user=p.mr, audit=audit)
    assert finding.number in refused.value.messages[0]
    assert docx == []
    audit.refresh_from_db()
    assert audit.status == A.REPORTED and not audit.report.file

    nc_services.nonconformity_approve(user=p.mr, nonconformity=finding)
    report, warnings = services.report_approve(user=p.mr, audit=audit)
    assert isinstance(warnings, list)
    audit.refresh_from_db()
    assert audit.status == A.CLOSED
    assert report.approved_by == p.mr and report.approved_at
    # The .docx was made for the closed audit, its approval already recorded.
    assert docx == [(A.CLOSED, p.mr.pk, report.approved_at)]
    report.refresh_from_db()
    assert report.file.name.endswith(".docx") and audit.number in report.file.name
    with report.file.open("rb") as fh:
        assert fh.read() == DOCX
    assert report.file_sha256 == hashlib.sha256(DOCX).hexdigest()
    actions = list(
        ModelLogEntry.objects.for_instance(audit)
        .filter(action__startswith="shoukong.audits.report_")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-4:] == [
        "shoukong.audits.report_return",
        "shoukong.audits.report_save",
        "shoukong.audits.report_submit",
        "shoukong.audits.report_approve",
    ]
    with pytest.raises(ValidationError, match="no report awaiting"):
        services.report_approve(user=p.mr, audit=audit)
    with pytest.raises(ValidationError, match="after the closing"):
        write(s, audit)


def test_a_report_without_findings_and_a_failing_docx(s, monkeypatch):
    p = s.people
    audit, finding = completed(s, nonconforming=False)
    assert finding is None
    write(s, audit)
    services.report_submit(user=p.auditor, audit=audit)

    def broken(audit):
        raise RuntimeError("docx")

    monkeypatch.setattr(reports, "report_docx", broken)
    with pytest.raises(RuntimeError):
        services.report_approve(user=p.mr, audit=audit)
    audit.refresh_from_db()
    # Nothing of the approval stays.
    assert audit.status == A.REPORTED
    assert audit.report.approved_by is None and not audit.report.file

    monkeypatch.setattr(reports, "report_docx", lambda audit: DOCX)
    report, _warnings = services.report_approve(user=p.mr, audit=audit)
    assert report.file_sha256 == hashlib.sha256(DOCX).hexdigest()

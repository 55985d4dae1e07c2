"""The compliance coverage learns from the audits app when each clause was last
audited (fieldwork done) and which audits covered it."""

from __future__ import annotations

import zoneinfo

import pytest
from django.conf import settings
from django.utils import timezone

from audits import reports, services
from audits.lifecycle import AuditStatus, MeetingKind
from audits.tests import factories
from compliance import coverage as compliance_coverage
from documents import roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def s(db, monkeypatch):
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    return factories.scene()


def last_audited(*refs: str) -> dict:
    standard = factories.clause("8.5.1").standard
    wanted = set(refs)
    return {
        row.clause.ref_id: row.last_audited
        for row in compliance_coverage.clause_rows(standard, today=factories.today())
        if row.clause.ref_id in wanted
    }


def history(ref: str) -> list[dict]:
    return compliance_coverage.audit_history(factories.clause(ref))


def test_a_finished_audit_dates_its_clauses_and_sub_clauses(s, monkeypatch):
    p = s.people
    # 8.5.1 comes in through the process 变更管理.
    audit = factories.audit(p.auditor, clauses=("7.5",), processes=[s.change_process])
    audit = factories.in_progress(audit, p)
    refs = ("7.5", "7.5.3", "8.5", "8.5.1", "8.5.1.1", "8.5.1.3", "8.5.2")
    # The fieldwork is not done: nothing is audited yet.
    assert set(last_audited(*refs).values()) == {None}
    assert history("8.5.1") == []

    factories.answer_all(audit, p.auditor)
    closing = services.meeting_record(
        user=p.auditor,
        audit=audit,
        kind=MeetingKind.CLOSING,
        held_at=timezone.now(),
        attendees=[p.auditor],
    )
    day = closing.held_at.astimezone(
        zoneinfo.ZoneInfo(settings.SHOUKONG_COMPANY_TIME_ZONE)
    ).date()
    assert last_audited(*refs) == {
        "7.5": day,
        "7.5.3": day,
        "8.5": None,  # 8.5.2 and 8.5.3 are not audited
        "8.5.1": day,
        "8.5.1.1": day,
        "8.5.1.3": day,
        "8.5.2": None,
    }
    expected = [
        {
            "date": day,
            "title": f"{audit.number} {audit.title}",
            "url": audit.get_absolute_url(),
        }
    ]
    assert history("8.5.1") == expected
    assert history("8.5.1.2") == expected  # audited with its parent
    assert history("8.5.2") == []

    # Closed, it still counts.
    monkeypatch.setattr(reports, "report_docx", lambda audit: b"docx")
    services.report_save(
        user=p.auditor,
        audit=audit,
        overview="覆盖文件控制和变更管理",
        evaluation="有效",
        distribution=["管理者代表"],
    )
    services.report_submit(user=p.auditor, audit=audit)
    services.report_approve(user=p.mr, audit=audit)
    audit.refresh_from_db()
    assert audit.status == AuditStatus.CLOSED
    assert last_audited("8.5.1")["8.5.1"] == day
    assert history("8.5.1") == expected


def test_planned_and_cancelled_audits_date_nothing(s):
    p = s.people
    planned = factories.audit(p.auditor)
    services.audit_cancel(user=p.auditor, audit=planned, reason="改期")
    factories.audit(p.auditor)
    assert last_audited("7.5", "8.5.1") == {"7.5": None, "8.5.1": None}
    assert history("7.5") == []

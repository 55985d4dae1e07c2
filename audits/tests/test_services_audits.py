"""Audits: planned and ad hoc, their scope and dates, the independent team, the
schedule, the notice and cancelling."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from wagtail.models import ModelLogEntry

from audits import permissions, services
from audits.lifecycle import AuditKind, AuditStatus, InvalidTransition
from audits.models import Audit, AuditProgramme
from audits.tests import factories
from compliance.models import Clause, Process
from documents import roles
from documents.models import Department
from documents.tests import factories as doc_factories

pytestmark = pytest.mark.django_db

A = AuditStatus
YEAR = 2030
START = date(YEAR, 3, 10)


@pytest.fixture(autouse=True)
def english():
    # The refusals are compared in English whatever LANGUAGE_CODE says.
    with translation.override("en"):
        yield


@pytest.fixture
def s(db, monkeypatch):
    groups = roles.roles_ensure()
    monkeypatch.setattr(roles, "roles_ensure", lambda: groups)
    return factories.scene()


def dept(name: str) -> Department:
    return doc_factories.department(name)


def logged(audit) -> list[str]:
    return [
        entry.action.removeprefix("shoukong.audits.")
        for entry in ModelLogEntry.objects.for_instance(audit).order_by("id")
    ]


def create(user, **overrides):
    values = {
        "title": "技术部审核",
        "purpose": "验证变更管理",
        "clauses": [factories.clause("8.5.1")],
        "departments": [dept("技术部")],
        "planned_start": START,
        "planned_end": START + timedelta(days=1),
    }
    values.update(overrides)
    return services.audit_create(user=user, **values)


def with_emails() -> None:
    for user in get_user_model().objects.all():
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])


def test_create_planned_audits_numbered_in_their_year(s):
    p = s.people
    first = factories.audit(p.auditor, start=START, days=2)
    assert first.number == f"IA-{YEAR}-01"
    assert first.kind == AuditKind.PLANNED and first.status == A.PLANNED
    assert first.programme.year == YEAR and first.programme.status == "draft"
    assert first.created_by == p.auditor and first.trigger == ""
    assert "ISO/IEC 20000-1:2018" in first.criteria  # the default criteria
    assert [c.ref_id for c in first.scope_clauses()] == ["7.5", "8.5.1"]
    assert [d.name for d in first.departments.all()] == ["技术部"]
    assert logged(first) == ["audit_create"]

    second = create(p.controller, criteria="质量手册", auditees=[p.staff])
    assert second.number == f"IA-{YEAR}-02" and second.programme == first.programme
    assert second.criteria == "质量手册" and list(second.auditees.all()) == [p.staff]
    # Another year, another programme and sequence.
    third = create(
        p.mr, planned_start=date(YEAR + 1, 1, 5), planned_end=date(YEAR + 1, 1, 5)
    )
    assert third.number == f"IA-{YEAR + 1}-01" and third.programme.year == YEAR + 1
    # A datetime counts by its day.
    fourth = create(
        p.auditor,
        planned_start=datetime(YEAR, 4, 1, 9, 0),
        planned_end=datetime(YEAR, 4, 2, 17, 0),
    )
    assert (fourth.planned_start, fourth.planned_end) == (
        date(YEAR, 4, 1),
        date(YEAR, 4, 2),
    )


def test_create_refuses_bad_input_and_uses_no_number(s):
    p = s.people
    old_dept = Department.objects.create(name="旧部门", is_active=False)
    old_clause = factories.clause("8.5.2")
    Clause.objects.filter(pk=old_clause.pk).update(is_active=False)
    old_clause.refresh_from_db()
    other_standard = factories.clause("7.5", standard="iso9001-2015")
    old_process = Process.objects.create(
        name="旧流程", owner=p.gm, department=dept("技术部"), is_active=False
    )
    bad = [
        ({"title": " "}, "title"),
        ({"purpose": ""}, "purpose"),
        ({"planned_end": START - timedelta(days=1)}, "end before"),
        ({"planned_end": START + timedelta(days=61)}, "60 days"),
        ({"planned_start": None}, "dates"),
        ({"planned_start": "2030-03-10"}, "dates"),
        ({"departments": []}, "department"),
        ({"departments": [old_dept]}, "旧部门"),
        ({"clauses": [old_clause]}, "8.5.2"),
        ({"clauses": [other_standard]}, "not a clause of"),
        ({"clauses": []}, "clause or process"),
        ({"clauses": [], "processes": [old_process]}, "旧流程"),
        ({"title": "a\x00b"}, "NUL"),
        ({"kind": "surprise"}, "kind"),
    ]
    for overrides, message in bad:
        with pytest.raises(ValidationError, match=message):
            create(p.auditor, **overrides)
    for outsider in (p.staff, p.gm):
        with pytest.raises(PermissionDenied):
            create(outsider)
    # A department head may only ask for an ad hoc audit.
    with pytest.raises(PermissionDenied):
        create(p.tech_manager)
    assert not Audit.objects.exists()
    # Nothing refused took a number or left a programme behind.
    assert create(p.auditor).number == f"IA-{YEAR}-01"
    assert AuditProgramme.objects.count() == 1


def test_scope_through_processes(s):
    p = s.people
    audit = create(p.auditor, clauses=[], processes=[s.change_process])
    assert [c.ref_id for c in audit.scope_clauses()] == ["8.5.1"]
    both = create(
        p.auditor, clauses=[factories.clause("7.5")], processes=[s.change_process]
    )
    assert [c.ref_id for c in both.scope_clauses()] == ["7.5", "8.5.1"]


def test_ad_hoc_audits_are_requested_and_decided_by_the_mr(
    s, django_capture_on_commit_callbacks
):
    p = s.people
    with_emails()
    ad_hoc = {"kind": AuditKind.AD_HOC, "trigger": "major_incident"}
    with pytest.raises(ValidationError, match="triggers"):
        create(p.tech_manager, kind=AuditKind.AD_HOC, trigger_note="重大事件")
    with pytest.raises(ValidationError, match="triggers"):
        create(p.tech_manager, kind=AuditKind.AD_HOC, trigger="bored", trigger_note="x")
    with pytest.raises(ValidationError, match="why"):
        create(p.tech_manager, **ad_hoc, trigger_note=" ")
    with pytest.raises(PermissionDenied):
        create(p.staff, **ad_hoc, trigger_note="重大事件")

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        requested = create(p.tech_manager, **ad_hoc, trigger_note="服务中断四小时")
    assert requested.status == A.REQUESTED and requested.requested_by == p.tech_manager
    assert requested.programme is None  # no programme for the year yet
    assert [m.to for m in mail.outbox] == [["mr@example.com"]]
    assert requested.number in mail.outbox[0].subject
    assert "服务中断四小时" in mail.outbox[0].body

    for wrong in (p.auditor, p.gm, p.tech_manager):
        with pytest.raises(PermissionDenied):
            services.audit_decide(user=wrong, audit=requested, accept=True)
    with pytest.raises(ValidationError, match="not held"):
        services.audit_decide(user=p.mr, audit=requested, accept=False)
    rejected = services.audit_decide(
        user=p.mr, audit=requested, accept=False, comment="并入年度审核"
    )
    assert rejected.status == A.REJECTED and rejected.decision_comment == "并入年度审核"
    with pytest.raises(InvalidTransition):
        services.audit_decide(user=p.mr, audit=rejected, accept=True)

    again = create(p.auditor, **ad_hoc, trigger_note="再次中断")
    accepted = services.audit_decide(user=p.mr, audit=again, accept=True)
    assert accepted.status == A.PLANNED and accepted.decided_by == p.mr
    assert accepted.decided_at and logged(accepted) == ["audit_create", "audit_decide"]
    # 管理者代表's own ad hoc audit needs no decision.
    own = create(p.mr, **ad_hoc, trigger_note="管理评审要求")
    assert own.status == A.PLANNED and own.decided_by == p.mr
    assert own.kind == AuditKind.AD_HOC and own.trigger == "major_incident"


def test_update_scope_and_dates(s):
    p = s.people
    audit = factories.audit(p.auditor, start=START, days=2)
    services.audit_team_set(user=p.controller, audit=audit, leader=p.auditor)
    services.checklist_generate(user=p.auditor, audit=audit, today=START)
    assert audit.items.count() == 2

    with pytest.raises(ValidationError, match="cannot be changed"):
        services.audit_update(user=p.auditor, audit=audit, status="closed")
    with pytest.raises(ValidationError, match="end before"):
        services.audit_update(
            user=p.auditor, audit=audit, planned_end=START - timedelta(days=1)
        )
    with pytest.raises(ValidationError, match=str(YEAR)):
        services.audit_update(
            user=p.auditor,
            audit=audit,
            planned_start=date(YEAR + 1, 1, 2),
            planned_end=date(YEAR + 1, 1, 3),
        )
    with pytest.raises(ValidationError, match="clause or process"):
        services.audit_update(user=p.auditor, audit=audit, clauses=[])
    with pytest.raises(PermissionDenied):
        services.audit_update(user=p.staff, audit=audit, title="x")

    # Narrowing the scope drops the unanswered questions outside it.
    audit = services.audit_update(
        user=p.auditor,
        audit=audit,
        clauses=[factories.clause("8.5.1")],
        planned_start=START + timedelta(days=1),
        planned_end=START + timedelta(days=3),
    )
    assert [i.clause.ref_id for i in audit.items.all()] == ["8.5.1"]
    assert (audit.planned_start, audit.planned_end) == (
        START + timedelta(days=1),
        START + timedelta(days=3),
    )
    assert logged(audit)[-1] == "audit_update"
    entry = ModelLogEntry.objects.for_instance(audit).order_by("id").last()
    assert entry.data["fields"] == ["clauses", "planned_end", "planned_start"]


def test_a_notified_audit_whose_dates_change_is_notified_again(s):
    p = s.people
    audit = factories.audit(p.auditor)
    services.audit_team_set(user=p.controller, audit=audit, leader=p.auditor)
    programme = factories.programme_approve(audit.programme, p)
    audit, _warnings = services.audit_notify(user=p.auditor, audit=audit)
    assert audit.status == A.NOTIFIED

    # Re-posting the same plan with a new title changes no date: the notice
    # stands and no revision of the programme is needed.
    audit = services.audit_update(
        user=p.auditor,
        audit=audit,
        title="技术部文件和变更审核",
        planned_start=audit.planned_start,
        planned_end=audit.planned_end,
        clauses=list(audit.clauses.all()),
        departments=list(audit.departments.all()),
        processes=[],
    )
    assert audit.status == A.NOTIFIED and audit.notice_sent_at
    assert audit.title == "技术部文件和变更审核"

    with pytest.raises(ValidationError, match="revise"):
        services.audit_update(
            user=p.auditor, audit=audit, planned_end=audit.planned_end + timedelta(1)
        )
    services.programme_revise(user=p.auditor, programme=programme, reason="改期")
    audit = services.audit_update(
        user=p.auditor, audit=audit, planned_end=audit.planned_end + timedelta(1)
    )
    assert audit.status == A.PLANNED
    assert audit.notice_sent_at is None and audit.notice_sent_by is None


def test_team_refuses_auditors_who_would_audit_their_own_work(s):
    p = s.people
    audit = factories.audit(p.auditor)  # 7.5 and 8.5.1 on 技术部

    # tech_manager: 技术部 is his department, and he owns 变更管理 (8.5.1).
    for kwargs in (
        {"leader": p.tech_manager},
        {"leader": p.auditor, "auditors": [p.tech_manager]},
    ):
        with pytest.raises(ValidationError) as refused:
            services.audit_team_set(user=p.mr, audit=audit, **kwargs)
        text = " ".join(refused.value.messages)
        assert "own work" in text
        assert "技术部" in text and "the audited department" in text
        assert "变更管理" in text and "8.5.1" in text
    with pytest.raises(ValidationError, match="not an internal auditor"):
        services.audit_team_set(
            user=p.mr, audit=audit, leader=p.auditor, auditors=[p.staff]
        )
    with pytest.raises(ValidationError, match="twice"):
        services.audit_team_set(
            user=p.mr, audit=audit, leader=p.auditor, auditors=[p.mr, p.mr]
        )
    with pytest.raises(ValidationError, match="leader"):
        services.audit_team_set(user=p.mr, audit=audit, leader=None)
    with pytest.raises(PermissionDenied):
        services.audit_team_set(user=p.tech_manager, audit=audit, leader=p.auditor)
    assert not audit.team.exists()

    audit = services.audit_team_set(
        user=p.mr, audit=audit, leader=p.auditor, auditors=[p.controller]
    )
    assert audit.leader == p.auditor
    assert sorted((m.user.username, m.role) for m in audit.team.all()) == [
        ("auditor", "leader"),
        ("controller", "auditor"),
    ]
    assert logged(audit)[-1] == "audit_team_set"
    # The same team again changes nothing and logs nothing.
    services.audit_team_set(
        user=p.mr, audit=audit, leader=p.auditor, auditors=[p.controller]
    )
    assert logged(audit).count("audit_team_set") == 1

    # A department head leading an audit edits it, but 管理者代表 forms its team.
    led = factories.audit(p.auditor)
    services.audit_team_set(user=p.mr, audit=led, leader=p.market_manager)
    assert permissions.allowed_actions(p.market_manager, led)[:2] == [
        "edit",
        "schedule",
    ]
    assert "team" in permissions.allowed_actions(p.mr, led)
    with pytest.raises(PermissionDenied):
        services.audit_team_set(user=p.market_manager, audit=led, leader=p.auditor)

    # A scope that makes the controller (行政部) audit only 行政部 is refused.
    with pytest.raises(ValidationError, match="行政部"):
        services.audit_update(user=p.auditor, audit=audit, departments=[dept("行政部")])
    assert list(audit.departments.values_list("name", flat=True)) == ["技术部"]


def test_an_auditor_of_one_audited_department_audits_only_the_others(s):
    p = s.people
    audit = factories.audit(p.auditor, departments=("行政部", "技术部"))
    # auditor (行政部) leads, mr (管理层) audits: both independent of 技术部.
    services.audit_team_set(user=p.mr, audit=audit, leader=p.auditor, auditors=[p.mr])
    items = services.checklist_generate(user=p.auditor, audit=audit)
    by_auditor = {
        (i.clause.ref_id, i.department.name): i.auditor.username for i in items
    }
    # 7.5: 行政部 ★ and 技术部 ☆; 8.5.1: 技术部 ★.
    assert set(by_auditor) == {
        ("7.5", "行政部"),
        ("7.5", "技术部"),
        ("8.5.1", "技术部"),
    }
    assert by_auditor[("7.5", "行政部")] == "mr"
    assert all(
        department == "技术部"
        for (_clause, department), who in by_auditor.items()
        if who == "auditor"
    )


def test_schedule(s):
    p = s.people
    audit = factories.audit(
        p.auditor, start=START, days=2, departments=("行政部", "技术部")
    )
    services.audit_team_set(user=p.mr, audit=audit, leader=p.auditor, auditors=[p.mr])
    line = {
        "date": START,
        "start_time": time(9, 0),
        "end_time": time(10, 30),
        "department": dept("技术部"),
        "activity": "审核变更记录",
        "auditor": p.auditor,
    }
    bad = [
        ({"date": None}, "date"),
        ({"date": START + timedelta(days=2)}, "outside"),
        ({"date": START - timedelta(days=1)}, "outside"),
        ({"activity": " "}, "what happens"),
        ({"end_time": time(9, 0)}, "end time"),
        ({"auditor": p.controller}, "not on the audit team"),
        ({"department": dept("行政部")}, "行政部"),  # auditor's own department
    ]
    for change, message in bad:
        with pytest.raises(ValidationError, match=message):
            services.audit_schedule_set(
                user=p.auditor, audit=audit, slots=[line, {**line, **change}]
            )
    assert not audit.schedule.exists()
    with pytest.raises(PermissionDenied):
        services.audit_schedule_set(user=p.staff, audit=audit, slots=[line])

    slots = services.audit_schedule_set(
        user=p.auditor,
        audit=audit,
        slots=[
            line,
            {**line, "department": dept("行政部"), "auditor": p.mr},
            {"date": START + timedelta(days=1), "activity": "末次会议"},
        ],
    )
    assert len(slots) == 3
    assert list(audit.schedule.values_list("activity", flat=True)) == [
        "审核变更记录",
        "审核变更记录",
        "末次会议",
    ]
    # Setting it again replaces it.
    services.audit_schedule_set(user=p.auditor, audit=audit, slots=[line])
    assert audit.schedule.count() == 1
    assert logged(audit).count("audit_schedule_set") == 2


def test_notify_needs_the_approved_programme_and_warns_outside_3_to_5_days(
    s, django_capture_on_commit_callbacks
):
    p = s.people
    with_emails()
    today = factories.today()
    audits = {
        days: factories.audit(
            p.auditor, start=today + timedelta(days=days), auditees=[p.staff]
        )
        for days in (2, 4, 7)
    }
    audit = audits[4]
    with pytest.raises(ValidationError, match="not approved"):
        services.audit_notify(user=p.auditor, audit=audit)
    for programme in AuditProgramme.objects.all():
        factories.programme_approve(programme, p)
    with pytest.raises(ValidationError, match="team"):
        services.audit_notify(user=p.auditor, audit=audit)
    for each in audits.values():
        services.audit_team_set(user=p.mr, audit=each, leader=p.auditor)
    with pytest.raises(PermissionDenied):
        services.audit_notify(user=p.staff, audit=audit)

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        audit, warnings = services.audit_notify(
            user=p.auditor, audit=audit, today=today
        )
    assert warnings == []
    assert audit.status == A.NOTIFIED and audit.notice_sent_by == p.auditor
    [notice] = mail.outbox
    # The auditees, the audited department's head and the team.
    assert sorted(notice.to) == [
        "auditor@example.com",
        "staff@example.com",
        "tech_manager@example.com",
    ]
    assert audit.number in notice.subject
    assert "8.5.1" in notice.body and "技术部" in notice.body
    assert logged(audit)[-1] == "audit_notify"

    _audit, warnings = services.audit_notify(
        user=p.auditor, audit=audits[2], today=today
    )
    assert len(warnings) == 1 and "2 days" in warnings[0]
    _audit, warnings = services.audit_notify(
        user=p.auditor, audit=audits[7], today=today
    )
    assert len(warnings) == 1 and "7 days" in warnings[0]
    # The start is past: the dates change first.
    with pytest.raises(ValidationError, match="change its dates"):
        services.audit_notify(
            user=p.auditor, audit=audits[2], today=today + timedelta(days=3)
        )


def test_cancel(s, django_capture_on_commit_callbacks):
    p = s.people
    with_emails()
    planned = factories.audit(p.auditor)
    notified = factories.audit(p.auditor, kind=AuditKind.AD_HOC, auditees=[p.staff])
    services.audit_decide(user=p.mr, audit=notified, accept=True)
    services.audit_team_set(user=p.mr, audit=notified, leader=p.auditor)
    services.audit_notify(user=p.auditor, audit=notified)

    with pytest.raises(PermissionDenied):
        services.audit_cancel(user=p.tech_manager, audit=planned, reason="忙")
    with pytest.raises(ValidationError, match="cancelled"):
        services.audit_cancel(user=p.auditor, audit=planned, reason="")
    mail.outbox.clear()
    planned = services.audit_cancel(user=p.auditor, audit=planned, reason="生产高峰")
    assert planned.status == A.CANCELLED and planned.cancel_reason == "生产高峰"
    assert mail.outbox == []  # nobody was told of it yet
    with django_capture_on_commit_callbacks(execute=True):
        notified = services.audit_cancel(user=p.mr, audit=notified, reason="事件已关闭")
    assert notified.status == A.CANCELLED
    [cancelled] = mail.outbox
    assert notified.number in cancelled.subject and "staff@example.com" in cancelled.to
    with pytest.raises(InvalidTransition):
        services.audit_cancel(user=p.auditor, audit=planned, reason="again")
    with pytest.raises(PermissionDenied):
        services.audit_update(user=p.auditor, audit=planned, title="x")

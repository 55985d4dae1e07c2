"""Builders for audit tests; every write goes through the services.

``scene()`` sets up what the acceptance scenario needs: the demo's people, the
documents B05 文件控制程序 and B06 记录控制程序 traced to 7.5, B07 变更管理程序
traced to 8.5.1, 技术部 ★ on 8.5.1 and the process 变更管理 owned by
tech_manager. ``audit()`` plans an audit of 7.5 and 8.5.1 on 技术部 and
``in_progress()`` carries it to its fieldwork.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from compliance import services as compliance_services
from compliance.lifecycle import ResponsibilityLevel
from compliance.models import Process
from compliance.tests.factories import People, clause, grade, people
from documents.tests import factories as doc_factories

from .. import services
from ..lifecycle import AuditKind, ItemResult, MeetingKind, SignatureDecision
from ..models import Audit, AuditProgramme, ChecklistItem

__all__ = [
    "People",
    "Scene",
    "audit",
    "clause",
    "grade",
    "in_progress",
    "people",
    "programme_approve",
    "scene",
]

# Audits start this many days after today: the notice goes inside 3–5 days.
LEAD_DAYS = 5


def today() -> date:
    return services.company_today()


def start_date() -> date:
    return today() + timedelta(days=LEAD_DAYS)


@dataclass
class Scene:
    people: People
    b05: Any
    b06: Any
    b07: Any
    change_process: Process


def scene() -> Scene:
    p = people()
    tech = doc_factories.department("技术部")
    admin = doc_factories.department("行政部")
    b05 = doc_factories.document(
        title="文件控制程序", number="B05", dept=admin, issue=True
    )
    b06 = doc_factories.document(
        title="记录控制程序", number="B06", dept=admin, issue=True
    )
    b07 = doc_factories.document(
        title="变更管理程序", number="B07", dept=tech, issue=True
    )
    link = compliance_services.document_link
    link(user=p.controller, clause=clause("7.5"), document=b05)
    link(user=p.controller, clause=clause("7.5"), document=b06)
    link(user=p.controller, clause=clause("8.5.1"), document=b07)
    compliance_services.responsibility_set(
        user=p.controller,
        clause=clause("8.5.1"),
        department=tech,
        level=ResponsibilityLevel.PRIMARY,
    )
    compliance_services.responsibility_set(
        user=p.controller,
        clause=clause("7.5"),
        department=admin,
        level=ResponsibilityLevel.PRIMARY,
    )
    compliance_services.responsibility_set(
        user=p.controller,
        clause=clause("7.5"),
        department=tech,
        level=ResponsibilityLevel.SUPPORTING,
    )
    process = Process.objects.create(
        name="变更管理", owner=p.tech_manager, department=tech
    )
    process.clauses.set([clause("8.5.1")])
    return Scene(people=p, b05=b05, b06=b06, b07=b07, change_process=process)


def audit(
    by,
    *,
    clauses: tuple[str, ...] = ("7.5", "8.5.1"),
    departments: tuple[str, ...] = ("技术部",),
    start: date | None = None,
    days: int = 1,
    kind: str = AuditKind.PLANNED,
    **extra: Any,
) -> Audit:
    start = start or start_date()
    if kind == AuditKind.AD_HOC:
        extra.setdefault("trigger", "major_change")
        extra.setdefault("trigger_note", "组织架构调整后验证体系运行")
    return services.audit_create(
        user=by,
        title=extra.pop("title", "技术部文件控制和变更管理审核"),
        purpose=extra.pop("purpose", "验证文件控制和变更管理是否按程序运行"),
        clauses=[clause(ref) for ref in clauses],
        departments=[doc_factories.department(name) for name in departments],
        planned_start=start,
        planned_end=start + timedelta(days=days - 1),
        kind=kind,
        **extra,
    )


def programme_approve(programme: AuditProgramme, p: People) -> AuditProgramme:
    """Submit and sign along the default chain (管理者代表, then 总经理)."""
    programme = services.programme_submit(user=p.controller, programme=programme)
    for signer in (p.mr, p.gm):
        programme = services.programme_sign(
            user=signer, programme=programme, decision=SignatureDecision.SIGNED
        )
    return programme


def in_progress(a: Audit, p: People, *, on: date | None = None) -> Audit:
    """Team (the auditor leads, unless a team is formed already), programme
    approved, checklist, notice, opening meeting: the fieldwork has started."""
    if Audit.objects.get(pk=a.pk).leader is None:
        services.audit_team_set(user=p.controller, audit=a, leader=p.auditor)
    if a.kind == AuditKind.PLANNED and a.programme.status != "approved":
        programme_approve(a.programme, p)
    on = on or today()
    services.checklist_generate(user=p.auditor, audit=a, today=on)
    services.audit_notify(user=p.auditor, audit=a, today=on)
    services.meeting_record(
        user=p.auditor,
        audit=a,
        kind=MeetingKind.OPENING,
        held_at=timezone.now() - timedelta(minutes=5),
        attendees=[p.auditor, p.tech_manager, p.staff],
    )
    return Audit.objects.get(pk=a.pk)


def answer_all(a: Audit, user, *, result: str = ItemResult.CONFORMING) -> None:
    for item in ChecklistItem.objects.filter(audit=a, result=ItemResult.PENDING):
        services.checklist_item_update(
            user=user, item=item, result=result, evidence="抽查记录齐全"
        )

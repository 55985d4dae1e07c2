"""The demo's internal audits: this year's programme approved along its chain,
an audit of 7.5 and 8.5.1 on 技术部 held some weeks ago and closed (checklist,
meetings, one nonconformity approved by 管理者代表, the report approved and the
records filed), an audit planned later in the year, and an ad hoc audit a
department head asked for, waiting for 管理者代表.

Everything goes through :mod:`audits.services` (and the compliance services
for the finding's approval), so the demo leaves the same audit trail as real
use. Dates count from today: the services refuse meetings in the future and
notices after the start, so the notice and the checklist are given the day
they would have happened (``today=``), and a meeting time never passes the
present moment. Each audit is found again by its title and carried only as far
as it has not gone yet: a second run changes nothing.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance import nonconformities as nc_services
from compliance.lifecycle import NonconformityStatus
from compliance.services import clause_for
from documents.demo import USERS, DemoError
from documents.lifecycle import InvalidTransition
from documents.models import Department

from . import services
from .lifecycle import (
    AuditKind,
    AuditStatus,
    AuditTrigger,
    ItemResult,
    MeetingKind,
    ProgrammeStatus,
    SignatureDecision,
)
from .models import Audit, AuditProgramme, AuditRecordLink, ChecklistItem

__all__ = ["AuditsDemoReport", "demo_audits_ensure"]

A = AuditStatus
USERNAMES = (
    "controller",
    "mr",
    "gm",
    "auditor",
    "tech_manager",
    "market_manager",
    "staff",
)
TECH = "技术部"
ADMIN_DEPT = "行政部"
OTHER_DEPARTMENTS = ("管理层", "行政部", "市场部")

# The closed audit is held this many days before today, for two days; the
# notice went four days before it.
CLOSED_DAYS_AGO = 45
LATER_IN_DAYS = 30
AD_HOC_IN_DAYS = 14
NOTICE_DAYS_BEFORE = 4

CLOSED = {
    "title": "技术部文件和变更管理内审",
    "purpose": (
        "检查技术部是否按现行的文件控制、记录控制和变更管理程序开展工作，"
        "并确认在用文件均为现行版次。"
    ),
    "clauses": ("7.5", "8.5.1"),
}
LATER = {
    "title": "管理层、行政部和市场部年度内审",
    "purpose": (
        "检查管理职责、支持过程、客户关系和服务级别管理的运行情况，"
        "使本年度的内审覆盖其余部门。"
    ),
    "clauses": ("4", "5", "6", "7", "8.3", "9", "10"),
}
AD_HOC = {
    "title": "事件管理专项审核（技术部申请）",
    "purpose": "查明同类事件反复出现的原因，检查事件受理、分级和升级是否按程序执行。",
    "note": (
        "近两个月同类事件多次重复发生，技术部经理书面申请对事件受理和升级环节"
        "做一次专项审核。"
    ),
    "clauses": ("8.6.1",),
}
BASIS = (
    "依据上一年度内审和外审的结果、本年度的组织和文件变更以及各过程的重要程度编制；"
    "变更管理和事件管理是服务的关键过程，安排重点审核。"
)
OWN_QUESTION = (
    "抽查最近一个季度的紧急变更：实施后是否都补做了评审，变更申请单是否填写了实施结果？"
)
ANSWERS = {
    "7.5": (
        "抽查技术部在用的五份程序和作业指导书，均为文件库中的现行版次，"
        "现场未见作废文件。"
    ),
    "8.5.1": (
        "抽查十份变更申请单，评估、审批和实施结果栏目齐全，均有变更咨询委员会的意见。"
    ),
}
NONCONFORMITY = {
    "title": "网络设备固件升级的紧急变更缺少事后评审",
    "evidence": (
        "抽查四项紧急变更，其中一项（核心交换机固件升级）实施后没有补做评审，"
        "变更申请单的实施结果栏为空。"
    ),
}
OPENING_NOTES = (
    "审核组长介绍了本次审核的目的、范围、日程和审核组成员；"
    "技术部确认了陪同人员和需要准备的记录，审核按计划开始。"
)
CLOSING_NOTES = (
    "审核组通报了审核发现：一项一般不符合（紧急变更缺少事后评审），其余抽查项目符合要求。"
    "技术部经理确认事实，承诺按纠正措施程序分析原因并按期整改。"
)
OVERVIEW = (
    "审核组按计划在技术部进行了现场审核，查阅了在用的受控文件、变更申请单和紧急变更记录，"
    "并与技术部经理和运维工程师面谈。检查表各项均已完成，发现一般不符合一项。"
)
EVALUATION = (
    "技术部的文件控制运行有效，在用文件均为现行版次；变更管理总体受控，"
    "但紧急变更的事后评审执行不到位，需要在程序中明确并加强检查。"
)
DISTRIBUTION = ("总经理", "管理者代表", "技术部", "行政部")


@dataclass
class AuditsDemoReport:
    """What one run of :func:`demo_audits_ensure` did."""

    programmes_created: list[str] = field(default_factory=list)
    programmes_approved: list[str] = field(default_factory=list)
    audits_created: list[str] = field(default_factory=list)
    audits_advanced: list[str] = field(default_factory=list)
    records_filed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.programmes_created
            or self.programmes_approved
            or self.audits_created
            or self.audits_advanced
            or self.records_filed
        )


@dataclass(frozen=True)
class Dates:
    """The demo's dates, counted from today."""

    today: date
    closed_start: date
    closed_end: date
    later_start: date
    ad_hoc_start: date

    @classmethod
    def from_today(cls, today: date) -> Dates:
        closed_start = today - timedelta(days=CLOSED_DAYS_AGO)
        # Later in the year when there is room, else as late as it can be.
        later = min(today + timedelta(days=LATER_IN_DAYS), date(today.year, 12, 31))
        return cls(
            today=today,
            closed_start=closed_start,
            closed_end=closed_start + timedelta(days=1),
            later_start=max(later, today),
            ad_hoc_start=today + timedelta(days=AD_HOC_IN_DAYS),
        )


def _users() -> dict:
    return {
        u.username: u
        for u in get_user_model().objects.filter(username__in=USERNAMES, is_active=True)
    }


def _signer(role: str, users: dict):
    """The demo user who holds ``role`` (the programme's chain is configurable)."""
    for spec in USERS:
        if spec.role == role and spec.username in users:
            return users[spec.username]
    return None


def _moment(day: date, hour: int, minute: int = 0) -> datetime:
    """``day`` at a time of the company's day, never later than now (meetings
    are recorded after they are held)."""
    zone = zoneinfo.ZoneInfo(settings.SHOUKONG_COMPANY_TIME_ZONE)
    wanted = datetime.combine(day, time(hour, minute), tzinfo=zone)
    latest = timezone.now() - timedelta(minutes=30)
    if wanted <= latest:
        return wanted
    # The company's "today" runs ahead of the clock: keep the order of the
    # day's events just before now.
    return latest - timedelta(minutes=(18 - hour) * 10)


# --- Programmes -----------------------------------------------------------------------


def _programme_ensure(year: int, users: dict, report: AuditsDemoReport):
    programme = AuditProgramme.objects.filter(year=year).first()
    if programme is None:
        programme = services.programme_create(
            user=users["controller"],
            year=year,
            title=f"{year}年度内部审核实施计划",
            basis=BASIS,
        )
        report.programmes_created.append(str(year))
    return programme


def _programme_approve(programme: AuditProgramme, users: dict, report) -> None:
    """Submit the demo's draft programme and sign it along the chain."""
    programme = AuditProgramme.objects.get(pk=programme.pk)
    if programme.status == ProgrammeStatus.APPROVED:
        return
    if programme.status == ProgrammeStatus.DRAFT:
        programme = services.programme_submit(
            user=users["controller"], programme=programme
        )
    while programme.status == ProgrammeStatus.IN_REVIEW:
        step = services.current_step(programme)
        signer = _signer(step.role, users) if step else None
        if signer is None:
            report.warnings.append(
                _("No demo user holds the role %(role)s to sign the programme.")
                % {"role": step.role if step else "?"}
            )
            return
        programme = services.programme_sign(
            user=signer, programme=programme, decision=SignatureDecision.SIGNED
        )
    if programme.status == ProgrammeStatus.APPROVED:
        report.programmes_approved.append(str(programme.year))
        report.records_filed += _filed(programme=programme)


def _filed(**owner) -> list[str]:
    return list(
        AuditRecordLink.objects.filter(**owner).values_list("record__number", flat=True)
    )


# --- Audits ---------------------------------------------------------------------------


def _departments(names) -> list[Department]:
    found = {d.name: d for d in Department.objects.filter(name__in=names)}
    return [found[name] for name in names if name in found]


def _planned_create(spec: dict, *, start: date, departments, users, report) -> Audit:
    audit = services.audit_create(
        user=users["controller"],
        title=spec["title"],
        purpose=spec["purpose"],
        planned_start=start,
        planned_end=start + timedelta(days=1),
        clauses=[clause_for(ref) for ref in spec["clauses"]],
        departments=_departments(departments),
        auditees=[users["tech_manager"], users["staff"]] if TECH in departments else [],
    )
    report.audits_created.append(audit.number)
    # The auditor is of 行政部: others audit 行政部 — 管理者代表, and the
    # head of 市场部 where he owns neither the process (9, 10 of 管理者代表).
    auditors = (
        [users["mr"], users["market_manager"]] if ADMIN_DEPT in departments else []
    )
    services.audit_team_set(
        user=users["controller"],
        audit=audit,
        leader=users["auditor"],
        auditors=auditors,
    )
    return audit


def _answer(audit: Audit, users: dict) -> ChecklistItem | None:
    """Answer every item; the auditor's own question on 8.5.1 is the
    nonconforming one. Returns that item."""
    auditor = users["auditor"]
    nonconforming = None
    items = ChecklistItem.objects.filter(audit=audit).select_related("clause")
    for item in items.order_by("position"):
        if item.question == OWN_QUESTION:
            nonconforming = item
            result, evidence = ItemResult.NONCONFORMING, NONCONFORMITY["evidence"]
        else:
            result = ItemResult.CONFORMING
            evidence = ANSWERS.get(item.clause.ref_id, "抽查相关记录，符合程序要求。")
        if item.result == ItemResult.PENDING:
            services.checklist_item_update(
                user=auditor, item=item, result=result, evidence=evidence
            )
    return nonconforming


def _closed_advance(audit: Audit, dates: Dates, users: dict, report) -> None:
    """Carry the audit held some weeks ago from where it is to closed."""
    auditor, mr = users["auditor"], users["mr"]
    before = audit.status
    notice_day = dates.closed_start - timedelta(days=NOTICE_DAYS_BEFORE)
    if audit.status == A.PLANNED:
        if not audit.items.exists():
            services.checklist_generate(user=auditor, audit=audit, today=notice_day)
            services.checklist_item_add(
                user=auditor,
                audit=audit,
                clause=clause_for("8.5.1"),
                department=Department.objects.get(name=TECH),
                question=OWN_QUESTION,
            )
        audit, _warnings = services.audit_notify(
            user=auditor, audit=audit, today=notice_day
        )
    if audit.status == A.NOTIFIED:
        services.meeting_record(
            user=auditor,
            audit=audit,
            kind=MeetingKind.OPENING,
            held_at=_moment(dates.closed_start, 9),
            attendees=[auditor, users["tech_manager"], users["staff"]],
            location="技术部会议室",
            notes=OPENING_NOTES,
        )
        audit = Audit.objects.get(pk=audit.pk)
    if audit.status == A.IN_PROGRESS:
        item = _answer(audit, users)
        if item is not None:
            item.refresh_from_db()
            if item.nonconformity_id is None:
                services.finding_raise(
                    user=auditor, item=item, title=NONCONFORMITY["title"]
                )
        for finding in audit.findings().filter(status=NonconformityStatus.DRAFT):
            nc_services.nonconformity_approve(user=mr, nonconformity=finding)
        services.meeting_record(
            user=auditor,
            audit=audit,
            kind=MeetingKind.CLOSING,
            held_at=_moment(dates.closed_end, 16),
            attendees=[auditor, users["tech_manager"], users["staff"], mr],
            location="技术部会议室",
            notes=CLOSING_NOTES,
        )
        audit = Audit.objects.get(pk=audit.pk)
    if audit.status == A.COMPLETED:
        services.report_save(
            user=auditor,
            audit=audit,
            overview=OVERVIEW,
            evaluation=EVALUATION,
            distribution=DISTRIBUTION,
        )
        services.report_submit(user=auditor, audit=audit)
        audit = Audit.objects.get(pk=audit.pk)
    if audit.status == A.REPORTED:
        _report, warnings = services.report_approve(user=mr, audit=audit)
        report.warnings += warnings
        report.records_filed += _filed(audit=audit)
        audit = Audit.objects.get(pk=audit.pk)
    if audit.status != before:
        report.audits_advanced.append(f"{audit.number} {audit.get_status_display()}")


def _ad_hoc_ensure(dates: Dates, users: dict, report) -> None:
    if Audit.objects.filter(title=AD_HOC["title"]).exists():
        return
    audit = services.audit_create(
        user=users["tech_manager"],
        title=AD_HOC["title"],
        purpose=AD_HOC["purpose"],
        planned_start=dates.ad_hoc_start,
        planned_end=dates.ad_hoc_start,
        clauses=[clause_for(ref) for ref in AD_HOC["clauses"]],
        departments=_departments([TECH]),
        kind=AuditKind.AD_HOC,
        trigger=AuditTrigger.DEPARTMENT_REQUEST,
        trigger_note=AD_HOC["note"],
    )
    report.audits_created.append(audit.number)


def _ensure(report: AuditsDemoReport, users: dict) -> None:
    dates = Dates.from_today(services.company_today())
    year = dates.today.year
    closed = Audit.objects.filter(title=CLOSED["title"]).first()
    later = Audit.objects.filter(title=LATER["title"]).first()
    # The closed audit belongs to the programme of the year it was held in
    # (last year's, early in January); the current year's covers the rest.
    closed_year = closed.planned_start.year if closed else dates.closed_start.year
    later_departments = OTHER_DEPARTMENTS + ((TECH,) if closed_year != year else ())
    programmes = {
        y: _programme_ensure(y, users, report) for y in sorted({closed_year, year})
    }
    if closed is None and programmes[closed_year].status == ProgrammeStatus.DRAFT:
        closed = _planned_create(
            CLOSED,
            start=dates.closed_start,
            departments=(TECH,),
            users=users,
            report=report,
        )
    if later is None and programmes[year].status == ProgrammeStatus.DRAFT:
        later = _planned_create(
            LATER,
            start=dates.later_start,
            departments=later_departments,
            users=users,
            report=report,
        )
    demo_ids = {a.pk for a in (closed, later) if a is not None}
    for programme in programmes.values():
        # Only a programme holding the demo's audits is signed by the demo.
        if programme.audits.filter(pk__in=demo_ids).exists():
            _programme_approve(programme, users, report)
    if closed is not None:
        _closed_advance(closed, dates, users, report)
    _ad_hoc_ensure(dates, users, report)


@transaction.atomic
def demo_audits_ensure() -> AuditsDemoReport:
    """Load the audits demo (after the documents, records and compliance
    demos); a second run finds everything and does nothing."""
    report = AuditsDemoReport()
    users = _users()
    if len(users) != len(USERNAMES):
        return report
    try:
        _ensure(report, users)
    except (PermissionDenied, ValidationError, InvalidTransition) as exc:
        detail = (
            "; ".join(exc.messages)
            if isinstance(exc, ValidationError)
            else str(exc) or _("permission denied")
        )
        raise DemoError(
            _(
                "The demo audits could not be loaded: %(detail)s. Have the demo "
                "users' roles or departments been changed?"
            )
            % {"detail": detail}
        ) from exc
    return report

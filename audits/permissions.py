"""Who may do what with audit programmes, audits, checklists and reports.

One function per question; the services ask them and the pages and the API use
them to decide which actions to offer. Independence (an auditor never audits
their own department or a process they own) is in :mod:`audits.independence`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied

from compliance.permissions import can_view_compliance
from documents import permissions as document_permissions
from documents.permissions import department_of, has_role

from .lifecycle import (
    EDITABLE_AUDIT_STATUSES,
    AuditKind,
    AuditStatus,
    ProgrammeStatus,
    TeamRole,
)


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _superuser(user) -> bool:
    return _active(user) and user.is_superuser


def _any_role(user, roles) -> bool:
    return _active(user) and document_permissions.has_any_role(user, roles)


def ensure(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# --- Reading --------------------------------------------------------------------------


def can_view_audits(user) -> bool:
    """Everyone inside the company sees the programme, the audits and their
    findings; a customer representative does not."""
    return can_view_compliance(user)


# --- The programme --------------------------------------------------------------------


def can_prepare(user) -> bool:
    """行政部 (文控), the auditors (the audit leader) and 管理者代表 prepare the
    programme and plan audits (SHOUKONG_AUDIT_PREPARER_ROLES)."""
    return _superuser(user) or _any_role(user, settings.SHOUKONG_AUDIT_PREPARER_ROLES)


def can_edit_programme(user, programme) -> bool:
    return can_prepare(user) and programme.status == ProgrammeStatus.DRAFT


def can_sign_step(user, role: str) -> bool:
    """A step of the programme's chain is signed by a holder of its role."""
    return _active(user) and has_role(user, role)


# --- Audits ---------------------------------------------------------------------------


def can_decide(user) -> bool:
    """管理者代表 decides ad hoc audits (SHOUKONG_AUDIT_DECIDER_ROLES)."""
    return _superuser(user) or _any_role(user, settings.SHOUKONG_AUDIT_DECIDER_ROLES)


def can_request(user) -> bool:
    """A department head asks for an ad hoc audit in writing; the preparers
    may too."""
    return can_prepare(user) or has_role(user, "部门经理")


def can_be_auditor(user) -> bool:
    return _active(user) and (
        user.is_superuser or _any_role(user, settings.SHOUKONG_AUDIT_AUDITOR_ROLES)
    )


def team_role(user, audit) -> str | None:
    if not _active(user):
        return None
    for member in audit.team.all():
        if member.user_id == user.pk:
            return member.role
    return None


def is_team_member(user, audit) -> bool:
    return team_role(user, audit) is not None


def is_leader(user, audit) -> bool:
    return team_role(user, audit) == TeamRole.LEADER


def can_edit_audit(user, audit) -> bool:
    """Purpose, scope, dates, schedule and team change until the fieldwork
    starts, by the preparers or the audit's leader."""
    return audit.status in EDITABLE_AUDIT_STATUSES and (
        can_prepare(user) or is_leader(user, audit)
    )


def can_form_team(user, audit) -> bool:
    """管理者代表 forms the audit team; the preparers may, until the
    fieldwork starts."""
    return audit.status in EDITABLE_AUDIT_STATUSES and (
        can_prepare(user) or can_decide(user)
    )


def can_notify(user, audit) -> bool:
    return can_prepare(user) or is_leader(user, audit)


def can_cancel(user, audit) -> bool:
    return can_prepare(user) or can_decide(user)


def can_conduct(user, audit) -> bool:
    """The team prepares the checklist, records answers and evidence, holds
    the meetings and writes up findings."""
    return is_team_member(user, audit) or _superuser(user)


def can_prepare_checklist(user, audit) -> bool:
    """The team prepares and keeps its checklist; the preparers may start it
    before the notice goes out, not change it afterwards."""
    return can_conduct(user, audit) or (
        can_prepare(user)
        and audit.status in (AuditStatus.REQUESTED, AuditStatus.PLANNED)
    )


def can_write_report(user, audit) -> bool:
    """The audit team leader writes the report."""
    return is_leader(user, audit) or _superuser(user)


def can_approve_report(user) -> bool:
    return _superuser(user) or _any_role(
        user, settings.SHOUKONG_AUDIT_REPORT_APPROVER_ROLES
    )


def is_auditee(user, audit) -> bool:
    own = department_of(user)
    return _active(user) and (
        audit.auditees.filter(pk=user.pk).exists()
        or (own is not None and audit.departments.filter(pk=own.pk).exists())
    )


def programme_allows_notice(audit) -> bool:
    """A planned audit is notified once its programme is approved."""
    if audit.kind != AuditKind.PLANNED:
        return True
    programme = audit.programme
    return programme is not None and programme.status == ProgrammeStatus.APPROVED


def allowed_actions(user, audit) -> list[str]:
    """The actions the pages and the API offer ``user`` on ``audit`` now
    (the services check again)."""
    s = audit.status
    actions: list[str] = []
    if s == AuditStatus.REQUESTED and can_decide(user):
        actions += ["accept", "reject"]
    if can_edit_audit(user, audit):
        actions.append("edit")
        if can_form_team(user, audit):
            actions.append("team")
        actions.append("schedule")
    if (
        s in (AuditStatus.PLANNED, AuditStatus.NOTIFIED)
        and can_notify(user, audit)
        and programme_allows_notice(audit)
    ):
        actions.append("notify")
    if s in (
        AuditStatus.REQUESTED,
        AuditStatus.PLANNED,
        AuditStatus.NOTIFIED,
        AuditStatus.IN_PROGRESS,
    ) and can_prepare_checklist(user, audit):
        actions.append("checklist")
    if s == AuditStatus.NOTIFIED and can_conduct(user, audit):
        actions.append("opening")
    if s == AuditStatus.IN_PROGRESS and can_conduct(user, audit):
        actions += ["finding", "closing"]
    if s == AuditStatus.COMPLETED and can_write_report(user, audit):
        actions += ["report", "submit"]
    if s == AuditStatus.REPORTED and can_approve_report(user):
        actions += ["approve", "return"]
    if s in (AuditStatus.PLANNED, AuditStatus.NOTIFIED) and can_cancel(user, audit):
        actions.append("cancel")
    return actions

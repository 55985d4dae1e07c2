"""Audits: planned in the programme or ad hoc, their scope, team, schedule and
notice (internal audit procedure: planning, ad hoc audits; ISO/IEC
20000-1:2018 9.2)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance.models import Clause, Process, Standard
from documents.models import Department
from documents.services import number_sequence_next

from .. import independence, notifications, permissions
from ..lifecycle import (
    AUDIT_TRANSITIONS,
    AuditKind,
    AuditStatus,
    AuditTrigger,
    ItemResult,
    ProgrammeStatus,
    TeamRole,
    ensure_transition,
)
from ..models import Audit, AuditProgramme, AuditTeamMember, ScheduleSlot
from ._common import company_today, log_action, required, text
from .programmes import _standard, programme_ensure

A = AuditStatus

# Fields that are the programme's plan: a planned audit's change needs the
# programme back in draft.
_PLAN_FIELDS = frozenset(
    {"planned_start", "planned_end", "clauses", "departments", "processes"}
)


def default_criteria() -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _criteria()


def _criteria() -> str:
    return _(
        "ISO/IEC 20000-1:2018; the service management manual, procedures and "
        "work instructions; the applicable laws, regulations and contracts."
    )


def _locked(audit: Audit) -> Audit:
    return Audit.objects.select_for_update().get(pk=audit.pk)


def _move(audit: Audit, target: str) -> None:
    ensure_transition(AUDIT_TRANSITIONS, audit.status, target, label=_("Audit"))
    audit.status = target


def _number(year: int) -> str:
    seq = number_sequence_next(f"audit:{year}")
    return settings.SHOUKONG_AUDIT_NUMBER_FORMAT.format(year=year, seq=seq)


def _dates(start, end) -> tuple[date, date]:
    # A datetime is a date too; only its day counts.
    start = start.date() if isinstance(start, datetime) else start
    end = end.date() if isinstance(end, datetime) else end
    if not isinstance(start, date) or not isinstance(end, date):
        raise ValidationError(_("Give the audit's start and end dates."))
    if not (2000 <= start.year <= 2100 and 2000 <= end.year <= 2100):
        raise ValidationError(_("The audit's dates must be between 2000 and 2100."))
    if end < start:
        raise ValidationError(_("The audit cannot end before it starts."))
    if (end - start).days > 60:
        raise ValidationError(_("An audit lasts at most 60 days; plan two audits."))
    return start, end


def _clauses(clauses: Iterable[Clause], standard: Standard) -> list[Clause]:
    clauses = list(clauses)
    for clause in clauses:
        if clause.standard_id != standard.pk:
            raise ValidationError(
                _("Clause %(clause)s is not a clause of %(standard)s.")
                % {"clause": clause.ref_id, "standard": standard.code}
            )
        if not clause.is_active:
            raise ValidationError(
                _("Clause %(clause)s is no longer in use.") % {"clause": clause.ref_id}
            )
    return clauses


def _departments(departments: Iterable[Department]) -> list[Department]:
    departments = list(departments)
    if not departments:
        raise ValidationError(_("Name at least one department to audit."))
    for department in departments:
        if not department.is_active:
            raise ValidationError(
                _("Department %(department)s is no longer active.")
                % {"department": department.name}
            )
    return departments


def _processes(processes: Iterable[Process]) -> list[Process]:
    processes = list(processes)
    for process in processes:
        if not process.is_active:
            raise ValidationError(
                _("Process %(process)s is no longer in use.")
                % {"process": process.name}
            )
    return processes


def _auditees(users: Iterable) -> list:
    """People of the company: a customer representative is never an auditee
    (the notice carries the audit's scope and dates)."""
    users = list(users)
    for user in users:
        if not permissions.can_view_audits(user):
            raise ValidationError(
                _("%(user)s cannot be an auditee.")
                % {"user": user.get_full_name() or user.get_username()}
            )
    return users


def _scope_clauses(clauses: list[Clause], processes: list[Process]) -> list[Clause]:
    found = {c.pk: c for c in clauses}
    for process in processes:
        for clause in process.clauses.all():
            found.setdefault(clause.pk, clause)
    return sorted(found.values(), key=lambda c: c.sort_key)


def _ensure_plan_open(audit: Audit) -> None:
    programme = audit.programme
    if (
        audit.kind == AuditKind.PLANNED
        and programme is not None
        and programme.status != ProgrammeStatus.DRAFT
    ):
        raise ValidationError(
            _(
                "The %(year)s programme is %(status)s: revise it before changing "
                "its planned audits."
            )
            % {"year": programme.year, "status": programme.get_status_display()}
        )


@transaction.atomic
def audit_create(
    *,
    user,
    title: str,
    purpose: str,
    planned_start: date,
    planned_end: date,
    clauses: Iterable[Clause] = (),
    departments: Iterable[Department] = (),
    processes: Iterable[Process] = (),
    criteria: str = "",
    kind: str = AuditKind.PLANNED,
    trigger: str = "",
    trigger_note: str = "",
    auditees: Iterable = (),
    standard: Standard | None = None,
) -> Audit:
    """Plan an audit. A planned one joins its year's programme (created as a
    draft if need be; an approved programme must be revised first). An ad hoc
    one names its trigger; unless 管理者代表 creates it, it waits for him."""
    if kind == AuditKind.PLANNED:
        permissions.ensure(permissions.can_prepare(user))
    elif kind == AuditKind.AD_HOC:
        permissions.ensure(permissions.can_request(user))
    else:
        raise ValidationError(_("Unknown kind of audit."))
    planned_start, planned_end = _dates(planned_start, planned_end)
    title = required(title, _("Give the audit a title."), limit=200)
    purpose = required(purpose, _("State the purpose of the audit."))
    criteria = text(criteria) or default_criteria()
    departments = _departments(departments)
    processes = _processes(processes)
    programme: AuditProgramme | None = None
    if kind == AuditKind.PLANNED:
        programme = programme_ensure(user=user, year=planned_start.year)
        standard = standard or programme.standard
    else:
        programme = AuditProgramme.objects.filter(year=planned_start.year).first()
        standard = _standard(standard)
    clauses = _clauses(clauses, standard)
    if not _scope_clauses(clauses, processes):
        raise ValidationError(_("Name at least one clause or process to audit."))
    audit = Audit(
        number=_number(planned_start.year),
        programme=programme,
        kind=kind,
        title=title,
        purpose=purpose,
        criteria=criteria,
        standard=standard,
        planned_start=planned_start,
        planned_end=planned_end,
        created_by=user,
    )
    if kind == AuditKind.PLANNED:
        if programme.status != ProgrammeStatus.DRAFT:
            raise ValidationError(
                _(
                    "The %(year)s programme is %(status)s: revise it before "
                    "adding a planned audit, or plan an ad hoc audit."
                )
                % {"year": programme.year, "status": programme.get_status_display()}
            )
        audit.status = A.PLANNED
    else:
        if trigger not in AuditTrigger.values:
            raise ValidationError(_("Say what triggers this ad hoc audit."))
        audit.trigger = trigger
        audit.trigger_note = required(
            trigger_note, _("Describe why this ad hoc audit is needed.")
        )
        audit.requested_by = user
        if permissions.can_decide(user):
            audit.status = A.PLANNED
            audit.decided_by = user
            audit.decided_at = timezone.now()
        else:
            audit.status = A.REQUESTED
    audit.save()
    audit.clauses.set(clauses)
    audit.departments.set(departments)
    audit.processes.set(processes)
    audit.auditees.set(_auditees(auditees))
    log_action(
        audit,
        "audit_create",
        user,
        number=audit.number,
        kind=kind,
        status=audit.status,
        clauses=[c.ref_id for c in clauses],
        departments=[d.name for d in departments],
    )
    if audit.status == A.REQUESTED:
        notifications.audit_requested(audit=audit)
    return audit


@transaction.atomic
def audit_update(*, user, audit: Audit, **changes) -> Audit:
    """Change what the audit covers or when, until the fieldwork starts. A
    notified audit whose dates or scope change must be notified again."""
    audit = _locked(audit)
    permissions.ensure(permissions.can_edit_audit(user, audit))
    allowed = {
        "title",
        "purpose",
        "criteria",
        "trigger_note",
        "auditees",
        *_PLAN_FIELDS,
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s")
            % {"fields": ", ".join(sorted(unknown))}
        )
    changes = {k: v for k, v in changes.items() if v is not None}
    # A form posts every field: what is unchanged is no change to the plan
    # (it needs no revised programme and leaves the notice standing).
    for name in ("planned_start", "planned_end"):
        if name in changes and changes[name] == getattr(audit, name):
            del changes[name]
    for name in ("clauses", "departments", "processes", "auditees"):
        if name in changes:
            changes[name] = list(changes[name])
            current = set(getattr(audit, name).values_list("pk", flat=True))
            if {obj.pk for obj in changes[name]} == current:
                del changes[name]
    if _PLAN_FIELDS & set(changes):
        _ensure_plan_open(audit)
    fields: list[str] = []
    if "title" in changes:
        audit.title = required(
            changes["title"], _("Give the audit a title."), limit=200
        )
        fields.append("title")
    if "purpose" in changes:
        audit.purpose = required(
            changes["purpose"], _("State the purpose of the audit.")
        )
        fields.append("purpose")
    if "criteria" in changes:
        audit.criteria = text(changes["criteria"]) or default_criteria()
        fields.append("criteria")
    if "trigger_note" in changes and audit.kind == AuditKind.AD_HOC:
        audit.trigger_note = required(
            changes["trigger_note"], _("Describe why this ad hoc audit is needed.")
        )
        fields.append("trigger_note")
    start = changes.get("planned_start", audit.planned_start)
    end = changes.get("planned_end", audit.planned_end)
    if "planned_start" in changes or "planned_end" in changes:
        start, end = _dates(start, end)
        if (
            audit.programme_id
            and audit.kind == AuditKind.PLANNED
            and start.year != audit.programme.year
        ):
            raise ValidationError(
                _("A planned audit stays in its programme's year (%(year)s).")
                % {"year": audit.programme.year}
            )
        outside = audit.schedule.exclude(date__range=(start, end)).first()
        if outside is not None:
            raise ValidationError(
                _(
                    "The schedule has a line on %(date)s, outside the new dates: "
                    "change the schedule first."
                )
                % {"date": outside.date.isoformat()}
            )
        audit.planned_start, audit.planned_end = start, end
        fields += ["planned_start", "planned_end"]
    clauses = (
        _clauses(changes["clauses"], audit.standard)
        if "clauses" in changes
        else list(audit.clauses.all())
    )
    departments = (
        _departments(changes["departments"])
        if "departments" in changes
        else list(audit.departments.all())
    )
    processes = (
        _processes(changes["processes"])
        if "processes" in changes
        else list(audit.processes.all())
    )
    scope = _scope_clauses(clauses, processes)
    if not scope:
        raise ValidationError(_("Name at least one clause or process to audit."))
    if {"clauses", "departments", "processes"} & set(changes):
        # The team formed for the old scope must still be independent.
        for member in audit.team.select_related("user"):
            independence.ensure_team_independent(
                member.user, departments=departments, clauses=scope
            )
    if audit.status == A.NOTIFIED and _PLAN_FIELDS & set(changes):
        _move(audit, A.PLANNED)
        audit.notice_sent_at = None
        audit.notice_sent_by = None
        fields += ["status", "notice_sent_at", "notice_sent_by"]
    if fields:
        audit.save(update_fields=sorted(set(fields)))
    m2m = []
    if "clauses" in changes:
        audit.clauses.set(clauses)
        m2m.append("clauses")
    if "departments" in changes:
        audit.departments.set(departments)
        m2m.append("departments")
    if "processes" in changes:
        audit.processes.set(processes)
        m2m.append("processes")
    if "auditees" in changes:
        audit.auditees.set(_auditees(changes["auditees"]))
        m2m.append("auditees")
    if m2m:
        # Unanswered questions outside the new scope go.
        scope_ids = {c.pk for c in scope}
        department_ids = {d.pk for d in departments}
        stale = audit.items.filter(
            result=ItemResult.PENDING, nonconformity__isnull=True
        ).exclude(clause__in=scope_ids, department__in=department_ids)
        for item in stale:
            if item.files.exists():
                continue
            item.delete()
    if fields or m2m:
        log_action(
            audit,
            "audit_update",
            user,
            number=audit.number,
            fields=sorted(set(fields + m2m)),
        )
    return audit


@transaction.atomic
def audit_decide(*, user, audit: Audit, accept: bool, comment: str = "") -> Audit:
    """管理者代表 accepts or rejects an ad hoc audit asked for in writing."""
    audit = _locked(audit)
    permissions.ensure(permissions.can_decide(user))
    comment = text(comment)
    if not accept and not comment:
        raise ValidationError(_("Say why the audit is not held."))
    _move(audit, A.PLANNED if accept else A.REJECTED)
    audit.decided_by = user
    audit.decided_at = timezone.now()
    audit.decision_comment = comment
    audit.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    log_action(audit, "audit_decide", user, number=audit.number, accepted=bool(accept))
    return audit


def _pairs_without_auditor(members, departments, clauses) -> list[str]:
    """The (department, clause) pairs of the scope that no member may audit."""
    processes = {m.pk: independence.owned_processes(m) for m in members}
    missing = []
    for department in departments:
        for clause in clauses:
            if all(
                independence.pair_conflicts(
                    m, department=department, clause=clause, processes=processes[m.pk]
                )
                for m in members
            ):
                missing.append(f"{department.name} {clause.ref_id}")
    return missing[:10] + (["…"] if len(missing) > 10 else [])


@transaction.atomic
def audit_team_set(*, user, audit: Audit, leader, auditors: Sequence = ()) -> Audit:
    """Form the team: one leader and auditors, each independent of the scope
    (not all of it their own department or their own processes)."""
    audit = _locked(audit)
    permissions.ensure(permissions.can_form_team(user, audit))
    if leader is None:
        raise ValidationError(_("Name the audit team leader."))
    members = [leader] + [a for a in auditors if a.pk != leader.pk]
    if len({m.pk for m in members}) != len(members):
        raise ValidationError(_("An auditor is named twice."))
    departments = list(audit.departments.all())
    scope = list(audit.scope_clauses())
    for member in members:
        if not permissions.can_be_auditor(member):
            raise ValidationError(
                _("%(user)s is not an internal auditor.")
                % {"user": member.get_full_name() or member.get_username()}
            )
        independence.ensure_team_independent(
            member, departments=departments, clauses=scope
        )
    unaudited = _pairs_without_auditor(members, departments, scope)
    if unaudited:
        raise ValidationError(
            _(
                "Nobody on this team may audit %(pairs)s: add an auditor from "
                "another department who owns none of these processes."
            )
            % {"pairs": ", ".join(unaudited)}
        )
    before = {(m.user_id, m.role) for m in audit.team.all()}
    after = {(leader.pk, TeamRole.LEADER)} | {
        (m.pk, TeamRole.AUDITOR) for m in members[1:]
    }
    if before == after:
        return audit
    audit.team.all().delete()
    now = timezone.now()
    AuditTeamMember.objects.bulk_create(
        [
            AuditTeamMember(
                audit=audit,
                user=member,
                role=TeamRole.LEADER if member.pk == leader.pk else TeamRole.AUDITOR,
                assigned_by=user,
                assigned_at=now,
            )
            for member in members
        ]
    )
    # Unanswered items of auditors who left the team go back to be assigned.
    audit.items.filter(result=ItemResult.PENDING).exclude(
        auditor__in=[m.pk for m in members]
    ).exclude(auditor__isnull=True).update(auditor=None)
    log_action(
        audit,
        "audit_team_set",
        user,
        number=audit.number,
        leader=leader.get_username(),
        auditors=[m.get_username() for m in members[1:]],
    )
    return audit


@transaction.atomic
def audit_schedule_set(
    *, user, audit: Audit, slots: Sequence[Mapping]
) -> list[ScheduleSlot]:
    """Replace the schedule (日程安排): each line a date within the audit, an
    activity, optionally times, a department and an auditor of the team."""
    audit = _locked(audit)
    permissions.ensure(permissions.can_edit_audit(user, audit))
    team = {m.user_id: m.user for m in audit.team.select_related("user")}
    rows = []
    for index, slot in enumerate(slots):
        day = slot.get("date")
        if not isinstance(day, date):
            raise ValidationError(_("Line %(n)s: give a date.") % {"n": index + 1})
        if not audit.planned_start <= day <= audit.planned_end:
            raise ValidationError(
                _("Line %(n)s: the date is outside the audit's dates.")
                % {"n": index + 1}
            )
        activity = required(
            slot.get("activity"),
            _("Line %(n)s: say what happens.") % {"n": index + 1},
            limit=300,
        )
        start, end = slot.get("start_time"), slot.get("end_time")
        if start and end and end <= start:
            raise ValidationError(
                _("Line %(n)s: the end time must be after the start time.")
                % {"n": index + 1}
            )
        auditor = slot.get("auditor")
        department = slot.get("department")
        if auditor is not None:
            if auditor.pk not in team:
                raise ValidationError(
                    _("Line %(n)s: the auditor is not on the audit team.")
                    % {"n": index + 1}
                )
            if department is not None:
                independence.ensure_independent(auditor, department=department)
        rows.append(
            ScheduleSlot(
                audit=audit,
                date=day,
                start_time=start,
                end_time=end,
                department=department,
                activity=activity,
                auditor=auditor,
                sort_order=index,
            )
        )
    audit.schedule.all().delete()
    created = ScheduleSlot.objects.bulk_create(rows)
    log_action(audit, "audit_schedule_set", user, number=audit.number, lines=len(rows))
    return created


def notice_days(audit: Audit, today: date) -> int:
    return (audit.planned_start - today).days


@transaction.atomic
def audit_notify(
    *, user, audit: Audit, today: date | None = None
) -> tuple[Audit, list[str]]:
    """Send the notice to the auditees, their heads and the team. A planned
    audit's programme must be approved; SHOUKONG_AUDIT_NOTICE_DAYS ahead is
    expected, outside it the notice goes with a warning."""
    audit = _locked(audit)
    permissions.ensure(permissions.can_notify(user, audit))
    today = today or company_today()
    if audit.kind == AuditKind.PLANNED and (
        audit.programme is None or audit.programme.status != ProgrammeStatus.APPROVED
    ):
        raise ValidationError(
            _(
                "The %(year)s programme is not approved yet; the "
                "auditees are notified after its approval."
            )
            % {"year": audit.planned_start.year}
        )
    if audit.leader is None:
        raise ValidationError(_("Form the audit team before sending the notice."))
    if audit.planned_start < today:
        raise ValidationError(
            _("The audit was to start on %(date)s: change its dates first.")
            % {"date": audit.planned_start.isoformat()}
        )
    if audit.status != A.NOTIFIED:
        _move(audit, A.NOTIFIED)
    warnings = []
    days = notice_days(audit, today)
    low, high = settings.SHOUKONG_AUDIT_NOTICE_DAYS
    if days < low:
        warnings.append(
            _(
                "The notice reaches the auditees %(days)s days before the audit; "
                "the procedure asks for %(low)s to %(high)s."
            )
            % {"days": days, "low": low, "high": high}
        )
    elif days > high:
        warnings.append(
            _(
                "The notice goes %(days)s days before the audit; the procedure "
                "asks for %(low)s to %(high)s days: the auditees may forget it."
            )
            % {"days": days, "low": low, "high": high}
        )
    audit.notice_sent_at = timezone.now()
    audit.notice_sent_by = user
    audit.save(update_fields=["status", "notice_sent_at", "notice_sent_by"])
    log_action(audit, "audit_notify", user, number=audit.number, days=days)
    notifications.audit_notice(audit=audit)
    return audit, warnings


@transaction.atomic
def audit_cancel(*, user, audit: Audit, reason: str) -> Audit:
    """Cancel an audit before its fieldwork; the row and its number stay."""
    audit = _locked(audit)
    permissions.ensure(permissions.can_cancel(user, audit))
    reason = required(reason, _("Say why the audit is cancelled."))
    _ensure_plan_open(audit)
    _move(audit, A.CANCELLED)
    audit.cancel_reason = reason
    audit.save(update_fields=["status", "cancel_reason"])
    log_action(audit, "audit_cancel", user, number=audit.number, reason=reason[:200])
    if audit.notice_sent_at:
        notifications.audit_cancelled(audit=audit)
    return audit


def company_year(now=None) -> int:
    now = now or timezone.now()
    return now.astimezone(zoneinfo.ZoneInfo(settings.SHOUKONG_COMPANY_TIME_ZONE)).year

"""The audit's page: everything about it, its history and the steps on offer;
and the report's .docx."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.models import ModelLogEntry

from compliance.reports import DOCX_CONTENT_TYPE
from records.models import Record
from records.permissions import visible_records_filter

from ... import permissions
from ...lifecycle import (
    AuditKind,
    TeamRole,
)
from ...models import (
    Audit,
    AuditReport,
)
from .common import (
    A,
    _detail_url,
    _name,
    _report,
    _scope,
    checklist_summary,
    finding_rows,
    signed_in,
    visible_audit,
)
from .steps import STEPS

# --- The page ---------------------------------------------------------------------


HISTORY_FIELDS = (
    ("kind", gettext_lazy("Kind")),
    ("status", gettext_lazy("Status")),
    ("clauses", gettext_lazy("Clauses")),
    ("departments", gettext_lazy("Departments")),
    ("fields", gettext_lazy("Changed")),
    ("accepted", gettext_lazy("Accepted")),
    ("leader", gettext_lazy("Audit team leader")),
    ("auditors", gettext_lazy("Internal auditors")),
    ("lines", gettext_lazy("Schedule lines")),
    ("days", gettext_lazy("Days before the audit")),
    ("held_at", gettext_lazy("Held at")),
    ("attendees", gettext_lazy("Attendees")),
    ("nonconformity", gettext_lazy("Finding")),
    ("grade", gettext_lazy("Grade")),
    ("reason", gettext_lazy("Reason")),
    ("comment", gettext_lazy("Comment")),
)


def _history_value(key: str, value) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if key == "status" and value in A.values:
        return force_str(A(value).label)
    if key == "kind" and value in AuditKind.values:
        return force_str(AuditKind(value).label)
    if key == "held_at" and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%Y-%m-%d %H:%M")
    return str(value)


HISTORY_LIMIT = 200


def history(audit: Audit) -> list[dict[str, Any]]:
    """Every logged step of ``audit``, newest first: what, who, when, details."""
    # Item saves are many (every autosave): they are in the checklist's own
    # answers, not repeated here; the newest HISTORY_LIMIT steps are shown.
    entries = (
        ModelLogEntry.objects.for_instance(audit)
        .exclude(action="shoukong.audits.checklist_item_update")
        .select_related("user")
        .order_by("-timestamp", "-id")[:HISTORY_LIMIT]
    )
    return [
        {
            "action": entry.action.rsplit(".", 1)[-1],
            "label": entry.message,
            "user": entry.user_display_name,
            "timestamp": entry.timestamp,
            "details": [
                {"label": label, "value": _history_value(key, (entry.data or {})[key])}
                for key, label in HISTORY_FIELDS
                if (entry.data or {}).get(key) not in (None, "", [])
            ],
        }
        for entry in entries
    ]


def _notice(audit: Audit) -> dict[str, Any]:
    low, high = settings.SHOUKONG_AUDIT_NOTICE_DAYS
    sent_on = timezone.localdate(audit.notice_sent_at) if audit.notice_sent_at else None
    days = (audit.planned_start - sent_on).days if sent_on else None
    return {
        "low": low,
        "high": high,
        "window_from": audit.planned_start - timedelta(days=high),
        "window_to": audit.planned_start - timedelta(days=low),
        "sent_on": sent_on,
        "days": days,
        "outside": days is not None and not low <= days <= high,
        "by": _name(audit.notice_sent_by),
    }


def _forms_for(actions: set[str]) -> dict[str, Any]:
    """An empty form for each step on offer that asks for a comment or reason."""
    return {
        action: STEPS[action].form(auto_id=f"id_{action}_%s")
        for action in actions
        if action in STEPS and STEPS[action].form is not None
    }


def detail_context(request, audit: Audit) -> dict[str, Any]:
    user = request.user
    actions = set(permissions.allowed_actions(user, audit))
    checklist = checklist_summary(audit, user)
    # Generating adds what the scope lacks: before the fieldwork, or when
    # there is no checklist yet.
    if "checklist" in actions and (
        audit.status != A.IN_PROGRESS or not checklist["total"]
    ):
        actions.add("generate")
    team = list(audit.team.all())
    return {
        "audit": audit,
        "leader": next((m for m in team if m.role == TeamRole.LEADER), None),
        "team": team,
        "scope": _scope(audit),
        "departments": list(audit.departments.all()),
        "processes": list(audit.processes.select_related("owner", "department")),
        "auditees": list(
            audit.auditees.select_related("staff_profile__department").order_by(
                "username"
            )
        ),
        "schedule": list(
            audit.schedule.select_related("department", "auditor").order_by(
                "date", "start_time", "sort_order", "id"
            )
        ),
        "notice": _notice(audit),
        "checklist": checklist,
        "meetings": list(
            audit.meetings.select_related("chaired_by", "recorded_by")
            .prefetch_related("attendees")
            .order_by("held_at")
        ),
        "findings": finding_rows(audit),
        "report": _report(audit),
        "records": list(
            audit.record_links.filter(
                record__in=Record.objects.filter(visible_records_filter(request.user))
            )
            .select_related("record")
            .order_by("filed_at", "id")
        ),
        "history": history(audit),
        "actions": actions,
        "forms": _forms_for(actions),
        "is_team_member": permissions.is_team_member(user, audit),
    }


@signed_in
def audit_detail(request, number):
    audit = visible_audit(request.user, number)
    if audit.number != number:
        return redirect(_detail_url(audit))
    return render(request, "audits/audit_detail.html", detail_context(request, audit))


# --- The report's .docx -----------------------------------------------------------


@signed_in
def report_download(request, number):
    """The approved report as frozen on approval; before that, the report as
    it stands (a draft)."""
    audit = visible_audit(request.user, number)
    report = AuditReport.objects.filter(audit=audit).first()
    if report is not None and report.approved_at and report.file:
        try:
            with report.file.open("rb") as handle:
                content = handle.read()
        except FileNotFoundError:
            raise Http404(_("The approved report file is missing.")) from None
    else:
        from ...reports import report_docx

        content = report_docx(audit)
    response = HttpResponse(content, content_type=DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{audit.number}.docx"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response

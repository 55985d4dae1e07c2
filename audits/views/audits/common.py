"""What the audit pages share: who may open them, finding the audit, its
URLs, and the parts of the audit several pages show."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from compliance.lifecycle import NonconformityStatus
from records.views.common import error_text, login_required_for

from ... import permissions
from ...lifecycle import (
    AuditStatus,
    ItemResult,
)
from ...models import (
    Audit,
    AuditReport,
    AuditTeamMember,
)

A = AuditStatus

audit_staff = login_required_for(permissions.can_view_audits)
signed_in = login_required_for()


def _name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _audits():
    return Audit.objects.select_related(
        "programme",
        "standard",
        "requested_by",
        "decided_by",
        "notice_sent_by",
        "created_by",
    ).prefetch_related(
        Prefetch(
            "team",
            queryset=AuditTeamMember.objects.select_related(
                "user__staff_profile__department"
            ),
        )
    )


def visible_audit(user, number: str) -> Audit:
    """The audit numbered ``number`` if ``user`` may read it, else 404."""
    if not permissions.can_view_audits(user):
        raise Http404(_("No such audit."))
    audit = _audits().filter(number=(number or "").strip().upper()).first()
    if audit is None:
        raise Http404(_("No such audit."))
    return audit


def _detail_url(audit: Audit) -> str:
    return reverse("audits:audit", kwargs={"number": audit.number})


def _action_url(audit: Audit, action: str) -> str:
    return reverse(
        "audits:audit_action", kwargs={"number": audit.number, "action": action}
    )


def _checklist_url(audit: Audit) -> str:
    return reverse("audits:checklist", kwargs={"number": audit.number})


def _ensure_offered(user, audit: Audit, action: str) -> None:
    """A form page is shown only for a step on offer now (else 403)."""
    if action not in permissions.allowed_actions(user, audit):
        raise PermissionDenied(_("You may not take this step now."))


def _service_error(exc: Exception) -> ValidationError:
    """A refusal as a ValidationError for a form's errors."""
    if isinstance(exc, ValidationError):
        return exc
    return ValidationError(error_text(exc))


# --- What several pages show -----------------------------------------------------


def _scope(audit: Audit) -> list[dict[str, Any]]:
    named = set(audit.clauses.values_list("pk", flat=True))
    return [
        {
            "clause": clause,
            "url": clause.get_absolute_url(),
            "via_process": clause.pk not in named,
        }
        for clause in audit.scope_clauses().select_related("standard")
    ]


def checklist_summary(audit: Audit, user=None) -> dict[str, Any]:
    counts = dict(
        audit.items.order_by()
        .values("result")
        .annotate(n=Count("id"))
        .values_list("result", "n")
    )
    total = sum(counts.values())
    mine = (
        audit.items.filter(auditor=user, result=ItemResult.PENDING).count()
        if user is not None and total
        else 0
    )
    return {
        "total": total,
        "unanswered": counts.get(ItemResult.PENDING, 0),
        "mine_unanswered": mine,
        "results": [
            {"value": value, "label": label, "count": counts.get(value, 0)}
            for value, label in ItemResult.choices
            if value
        ],
        "url": _checklist_url(audit),
    }


def finding_rows(audit: Audit) -> list[dict[str, Any]]:
    findings = (
        audit.findings()
        .select_related("grade", "clause__standard", "department")
        .order_by("raised_at", "number")
    )
    return [
        {
            "nc": nc,
            "url": reverse("compliance:nonconformity", kwargs={"number": nc.number}),
            "clause_url": nc.clause.get_absolute_url() if nc.clause else "",
            "draft": nc.status == NonconformityStatus.DRAFT,
        }
        for nc in findings
    ]


def _report(audit: Audit) -> AuditReport | None:
    return (
        AuditReport.objects.filter(audit=audit)
        .select_related("written_by", "submitted_by", "approved_by")
        .first()
    )

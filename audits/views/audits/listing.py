"""The list of audits, planning one, and the user's own assignments."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from compliance.models import Nonconformity

from ... import forms as audit_forms
from ... import permissions, services
from ...lifecycle import (
    AuditKind,
    InvalidTransition,
    ItemResult,
    TeamRole,
)
from ...models import (
    Audit,
    AuditTeamMember,
    ChecklistItem,
)
from .common import (
    A,
    _action_url,
    _audits,
    _checklist_url,
    _detail_url,
    _name,
    _service_error,
    audit_staff,
)

PAGE_SIZE = 50
# Audits whose work is over: listed apart on "my assignments".
FINISHED = frozenset({A.CLOSED, A.REJECTED, A.CANCELLED})


# --- The list ---------------------------------------------------------------------


def _finding_counts():
    """The number of findings raised from each audit (a subquery)."""
    found = (
        Nonconformity.objects.filter(
            source_type=ContentType.objects.get_for_model(Audit),
            source_id=OuterRef("pk"),
        )
        .order_by()
        .values("source_id")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(found, output_field=IntegerField()), 0)


def audit_row(audit: Audit) -> dict[str, Any]:
    return {
        "audit": audit,
        "url": _detail_url(audit),
        "leader": _name(audit.leader),
        "departments": [d.name for d in audit.departments.all()],
        "findings": getattr(audit, "finding_count", None),
    }


@audit_staff
def audit_list(request):
    user = request.user
    filters = audit_forms.AuditFilters(request.GET or None)
    queryset = (
        filters.apply(_audits())
        .prefetch_related("departments")
        .annotate(finding_count=_finding_counts())
    )
    page_obj = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    filter_query = urlencode(filters.query_items())
    return render(
        request,
        "audits/audit_list.html",
        {
            "filters": filters,
            "rows": [audit_row(a) for a in page_obj.object_list],
            "total": page_obj.paginator.count,
            "page_obj": page_obj,
            "is_paginated": page_obj.has_other_pages(),
            "filter_query": filter_query,
            "has_filters": bool(filter_query),
            "can_plan": permissions.can_prepare(user),
            "can_request": permissions.can_request(user),
        },
    )


# --- Planning an audit ------------------------------------------------------------


def _year_param(raw: str | None) -> int | None:
    try:
        year = int(raw or "")
    except ValueError:
        return None
    return year if 2000 <= year <= 2100 else None


@audit_staff
def audit_new(request):
    """Plan an audit (or ask for an ad hoc one), with its team if named: both
    in one transaction, so a refused auditor leaves no audit behind."""
    user = request.user
    if not (permissions.can_prepare(user) or permissions.can_request(user)):
        raise PermissionDenied
    year = _year_param(request.GET.get("year"))
    forms_team = permissions.can_prepare(user) or permissions.can_decide(user)
    status = 200
    if request.method == "POST":
        form = audit_forms.AuditForm(request.POST, user=user, team=forms_team)
        if form.is_valid():
            data = form.cleaned_data
            leader = data.get("leader")
            stage = "create"
            try:
                with transaction.atomic():
                    audit = services.audit_create(
                        user=user,
                        title=data["title"],
                        purpose=data["purpose"],
                        criteria=data["criteria"],
                        kind=data["kind"],
                        trigger=data["trigger"]
                        if data["kind"] == AuditKind.AD_HOC
                        else "",
                        trigger_note=(
                            data["trigger_note"]
                            if data["kind"] == AuditKind.AD_HOC
                            else ""
                        ),
                        clauses=data["clauses"],
                        departments=data["departments"],
                        processes=data["processes"],
                        planned_start=data["planned_start"],
                        planned_end=data["planned_end"],
                        auditees=data["auditees"],
                        standard=form.standard,
                    )
                    if leader is not None:
                        stage = "team"
                        services.audit_team_set(
                            user=user,
                            audit=audit,
                            leader=leader,
                            auditors=list(data.get("auditors") or []),
                        )
            except (ValidationError, InvalidTransition) as exc:
                field = None
                if stage == "team":
                    field = audit_forms.team_error_field(
                        leader,
                        departments=list(data["departments"]),
                        clauses=audit_forms.scope_of(
                            data["clauses"], data["processes"]
                        ),
                    )
                form.add_error(field, _service_error(exc))
            else:
                if audit.status == A.REQUESTED:
                    text = _(
                        "Audit %(number)s requested: 管理者代表 decides whether it "
                        "is held."
                    )
                else:
                    text = _("Audit %(number)s planned.")
                messages.success(request, text % {"number": audit.number})
                return redirect(_detail_url(audit))
        status = 400
    else:
        initial: dict[str, Any] = {}
        if request.GET.get("kind") in AuditKind.values:
            initial["kind"] = request.GET["kind"]
        form = audit_forms.AuditForm(initial=initial, user=user, team=forms_team)
        if not permissions.can_prepare(user):
            form.initial["kind"] = AuditKind.AD_HOC
    if year is not None:
        for name in ("planned_start", "planned_end"):
            form.fields[name].widget.attrs.update(
                {"min": f"{year}-01-01", "max": f"{year}-12-31"}
            )
    return render(
        request,
        "audits/audit_form.html",
        {"form": form, "audit": None, "year": year, "forms_team": forms_team},
        status=status,
    )


# --- My assignments ---------------------------------------------------------------


def next_step(user, audit: Audit, counts: dict[str, int]) -> tuple[str, str]:
    """What ``user`` does next on ``audit`` and where: ("", page) when nothing
    waits for them."""
    actions = permissions.allowed_actions(user, audit)
    detail = _detail_url(audit)
    if "accept" in actions:
        return _("Accept or reject the request"), f"{detail}#accept"
    if audit.status == A.REQUESTED:
        return _("Waiting for 管理者代表's decision"), detail
    if "team" in actions and audit.leader is None:
        return _("Form the audit team"), _action_url(audit, "team")
    if "checklist" in actions and not counts["total"] and audit.status != A.IN_PROGRESS:
        return _("Prepare the checklist"), f"{detail}#checklist"
    if "notify" in actions and audit.status == A.PLANNED:
        return _("Send the notice to the auditees"), f"{detail}#notify"
    if "opening" in actions:
        return _("Record the opening meeting"), _action_url(audit, "opening")
    if "closing" in actions:
        if counts["mine_open"]:
            return ngettext(
                "Answer your %(count)d open question",
                "Answer your %(count)d open questions",
                counts["mine_open"],
            ) % {"count": counts["mine_open"]}, _checklist_url(audit)
        if counts["open"]:
            return ngettext(
                "Wait for %(count)d question answered by the others",
                "Wait for %(count)d questions answered by the others",
                counts["open"],
            ) % {"count": counts["open"]}, _checklist_url(audit)
        return _("Record the closing meeting"), _action_url(audit, "closing")
    if "report" in actions:
        return _("Write and submit the audit report"), _action_url(audit, "report")
    if "approve" in actions:
        return _("Approve the audit report"), f"{detail}#approve"
    return "", detail


def _item_counts(user, audit_ids) -> dict[int, dict[str, int]]:
    rows = (
        ChecklistItem.objects.filter(audit__in=audit_ids)
        .order_by()
        .values("audit")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(result=ItemResult.PENDING)),
            mine=Count("id", filter=Q(auditor=user)),
            mine_open=Count("id", filter=Q(auditor=user, result=ItemResult.PENDING)),
        )
    )
    return {row["audit"]: row for row in rows}


@audit_staff
def my_assignments(request):
    user = request.user
    roles = dict(
        AuditTeamMember.objects.filter(user=user).values_list("audit_id", "role")
    )
    assigned = set(
        ChecklistItem.objects.filter(auditor=user).values_list("audit_id", flat=True)
    )
    audits = list(
        _audits()
        .filter(pk__in=set(roles) | assigned)
        .order_by("planned_start", "number")
    )
    counts = _item_counts(user, [a.pk for a in audits])
    empty = {"total": 0, "open": 0, "mine": 0, "mine_open": 0}
    current, past = [], []
    for audit in audits:
        c = counts.get(audit.pk, empty)
        label, url = next_step(user, audit, c)
        row = {
            "audit": audit,
            "url": _detail_url(audit),
            "role": TeamRole(roles[audit.pk]).label if audit.pk in roles else "",
            "mine": c["mine"],
            "mine_answered": c["mine"] - c["mine_open"],
            "mine_open": c["mine_open"],
            "next": label,
            "next_url": url,
            "checklist_url": _checklist_url(audit) if c["total"] else "",
        }
        (past if audit.status in FINISHED else current).append(row)
    waiting = []
    if permissions.can_decide(user):
        waiting += [
            {
                "audit": a,
                "url": f"{_detail_url(a)}#accept",
                "what": _("Decide the request"),
            }
            for a in _audits().filter(status=A.REQUESTED).order_by("planned_start")
        ]
    if permissions.can_approve_report(user):
        waiting += [
            {
                "audit": a,
                "url": f"{_detail_url(a)}#approve",
                "what": _("Approve the report"),
            }
            for a in _audits().filter(status=A.REPORTED).order_by("planned_start")
        ]
    return render(
        request,
        "audits/mine.html",
        {
            "current": current,
            "past": past[-20:][::-1],
            "waiting": waiting,
            "can_plan": permissions.can_prepare(user),
        },
    )

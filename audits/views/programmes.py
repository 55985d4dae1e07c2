"""The audits dashboard and the annual programme pages (年度内部审核实施计划):
the current year's programme with its coverage and warnings, the open findings
by audit, the user's own assignments and what waits for them; the list of
programmes, a new one, a programme with its signatures, its audits and its
clause × month heat map (``?format=docx`` downloads it); and the programme's
steps (update, submit, sign, return, revise), each one service.

Everyone in the company reads these pages; a customer representative gets a
403. A step refused by its service is a message on the programme page; a step
the user may not take is a 403.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from compliance import permissions as compliance_permissions
from compliance.lifecycle import NonconformityStatus
from compliance.models import Nonconformity
from records.views.common import error_text, login_required_for

from .. import panels, permissions, services
from .. import programme_forms as forms
from ..coverage import MONTHS, ProgrammeCoverage, coverage_summary, programme_coverage
from ..lifecycle import (
    AuditStatus,
    InvalidTransition,
    ProgrammeStatus,
    SignatureDecision,
)
from ..models import Audit, AuditProgramme, AuditTeamMember, ChecklistItem
from ..reports import DOCX_CONTENT_TYPE, programme_docx

audits_staff = login_required_for(permissions.can_view_audits)

# Audits that no longer ask anything of their team.
FINISHED_STATUSES = (AuditStatus.CLOSED, AuditStatus.CANCELLED, AuditStatus.REJECTED)
# The heat map's shades: 1, 2, 3 or more audits in a month.
HEAT_LEVELS = 3

STEP_LABELS = {
    "review": gettext_lazy("Review"),
    "approve": gettext_lazy("Approval"),
}


def step_label(code: str) -> str:
    label = STEP_LABELS.get(code)
    return str(label) if label is not None else code


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def _programme(year: int) -> AuditProgramme:
    programme = (
        AuditProgramme.objects.select_related("standard", "prepared_by")
        .filter(year=year)
        .first()
    )
    if programme is None:
        raise Http404(_("No programme for this year."))
    return programme


def _detail_url(programme: AuditProgramme, anchor: str = "") -> str:
    url = reverse("audits:programme", kwargs={"year": programme.year})
    return f"{url}#{anchor}" if anchor else url


# --- What the pages show --------------------------------------------------------------


def heatmap_rows(coverage: ProgrammeCoverage) -> list[dict[str, Any]]:
    """The clause × month heat map: a row per clause, a cell per month with the
    audits covering the clause then."""
    reported = {c.pk for c in coverage.uncovered_clauses}
    rows = []
    for row in coverage.clauses:
        cells = []
        for month, audits in row.cells:
            numbers = [a.number for a in audits]
            cells.append(
                {
                    "month": month,
                    "count": len(numbers),
                    "numbers": ", ".join(numbers),
                    "level": min(len(numbers), HEAT_LEVELS),
                }
            )
        rows.append(
            {
                "clause": row.clause,
                "indent": max(row.clause.depth - 1, 0),
                "applicable": row.applicable,
                "covered": row.covered,
                "uncovered": row.applicable and not row.covered,
                "reported": row.clause.pk in reported,
                "cells": cells,
            }
        )
    return rows


def year_audit_rows(programme: AuditProgramme) -> list[dict[str, Any]]:
    """The audits of the programme's year, planned and ad hoc, every status."""
    audits = (
        Audit.objects.filter(
            Q(programme=programme) | Q(planned_start__year=programme.year)
        )
        .distinct()
        .prefetch_related("clauses", "departments", "processes")
        .order_by("planned_start", "id")
    )
    return [
        {
            "audit": audit,
            "url": audit.get_absolute_url(),
            "departments": [d.name for d in audit.departments.all()],
            "clauses": sorted(
                (c for c in audit.clauses.all()), key=lambda c: c.sort_key
            ),
            "processes": [p.name for p in audit.processes.all()],
            "inactive": audit.status
            in (AuditStatus.CANCELLED, AuditStatus.REJECTED, AuditStatus.REQUESTED),
        }
        for audit in audits
    ]


def chain_rows(programme: AuditProgramme, signatures) -> list[dict[str, Any]]:
    """Each step of the chain for the current revision: signed (by whom,
    when), awaiting a signature, or still to come."""
    step = services.current_step(programme)
    signed = {
        s.step: s
        for s in signatures
        if s.revision == programme.revision and s.decision == SignatureDecision.SIGNED
    }
    rows = []
    for chain_step in services.chain_steps():
        signature = signed.get(chain_step.code)
        if signature is not None:
            state = "signed"
        elif step is not None and step.code == chain_step.code:
            state = "awaiting"
        else:
            state = "pending"
        rows.append(
            {
                "code": chain_step.code,
                "label": step_label(chain_step.code),
                "role": chain_step.role,
                "state": state,
                "signature": signature,
            }
        )
    return rows


def open_findings_by_audit(user) -> list[dict[str, Any]]:
    """The audits with open findings (nonconformities raised from their
    checklists), with the count per status and each finding."""
    findings = compliance_permissions.visible_nonconformities(
        user,
        Nonconformity.objects.open()
        .filter(source_type=ContentType.objects.get_for_model(Audit))
        .select_related("clause", "department")
        .order_by("number"),
    )
    by_audit: dict[int, list[Nonconformity]] = defaultdict(list)
    for nc in findings:
        by_audit[nc.source_id].append(nc)
    if not by_audit:
        return []
    order = {value: i for i, value in enumerate(NonconformityStatus.values)}
    rows = []
    for audit in Audit.objects.filter(pk__in=list(by_audit)).order_by(
        "-planned_start", "-id"
    ):
        ncs = by_audit[audit.pk]
        counts = Counter(nc.status for nc in ncs)
        rows.append(
            {
                "audit": audit,
                "statuses": [
                    {"label": NonconformityStatus(status).label, "count": count}
                    for status, count in sorted(
                        counts.items(), key=lambda kv: order.get(kv[0], 99)
                    )
                ],
                "findings": [
                    {
                        "number": nc.number,
                        "title": nc.title,
                        "url": nc.get_absolute_url(),
                        "clause": nc.clause.ref_id if nc.clause else "",
                        "department": nc.department.name,
                        "status": nc.get_status_display(),
                    }
                    for nc in ncs
                ],
                "total": len(ncs),
            }
        )
    return rows


def assignments(user) -> list[dict[str, Any]]:
    """The audits ``user`` is on the team of and that are not finished, with
    the checklist items assigned to them and those still unanswered."""
    members = list(
        AuditTeamMember.objects.filter(user=user)
        .exclude(audit__status__in=FINISHED_STATUSES)
        .select_related("audit")
        .order_by("audit__planned_start", "audit_id")
    )
    if not members:
        return []
    counts = {
        row["audit_id"]: row
        for row in ChecklistItem.objects.filter(
            audit_id__in=[m.audit_id for m in members], auditor=user
        )
        .values("audit_id")
        .annotate(assigned=Count("id"), unanswered=Count("id", filter=Q(result="")))
    }
    rows = []
    for member in members:
        audit = member.audit
        count = counts.get(audit.pk, {})
        rows.append(
            {
                "audit": audit,
                "role": member.get_role_display(),
                "url": audit.get_absolute_url(),
                "checklist_url": reverse(
                    "audits:checklist", kwargs={"number": audit.number}
                ),
                "assigned": count.get("assigned", 0),
                "unanswered": count.get("unanswered", 0),
            }
        )
    return rows


# --- The dashboard --------------------------------------------------------------------


@audits_staff
def home(request):
    user = request.user
    today = services.company_today()
    year = today.year
    programme = (
        AuditProgramme.objects.select_related("standard", "prepared_by")
        .filter(year=year)
        .first()
    )
    coverage = programme_coverage(programme) if programme is not None else None
    can_prepare = permissions.can_prepare(user)
    return render(
        request,
        "audits/home.html",
        {
            "year": year,
            "programme": programme,
            "step": services.current_step(programme) if programme else None,
            "coverage": coverage,
            "summary": coverage_summary(coverage),
            "warnings": coverage.warnings if coverage is not None else [],
            "findings": open_findings_by_audit(user),
            "assignments": assignments(user),
            "waiting": panels.waiting_items(user),
            "can_prepare": can_prepare,
            "can_plan": can_prepare or permissions.can_request(user),
        },
    )


# --- Programmes -----------------------------------------------------------------------


@audits_staff
def programme_list(request):
    excluded = (AuditStatus.CANCELLED, AuditStatus.REJECTED)
    programmes = (
        AuditProgramme.objects.select_related("prepared_by")
        .annotate(audit_count=Count("audits", filter=~Q(audits__status__in=excluded)))
        .order_by("-year")
    )
    return render(
        request,
        "audits/programme_list.html",
        {
            "programmes": list(programmes),
            "year": services.company_today().year,
            "can_prepare": permissions.can_prepare(request.user),
        },
    )


def default_year(today: date) -> int:
    """The current year if it has no programme yet, else the next."""
    if AuditProgramme.objects.filter(year=today.year).exists():
        return today.year + 1
    return today.year


@audits_staff
def programme_new(request):
    user = request.user
    if not permissions.can_prepare(user):
        raise PermissionDenied(_("You may not prepare the audit programme."))
    status = 200
    if request.method == "POST":
        form = forms.ProgrammeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                programme = services.programme_create(
                    user=user,
                    year=data["year"],
                    title=data["title"],
                    basis=data["basis"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _(
                        "The %(year)s programme is a draft: plan its audits, then "
                        "submit it for signature."
                    )
                    % {"year": programme.year},
                )
                return redirect(_detail_url(programme))
        status = 400
    else:
        year = request.GET.get("year", "")
        initial_year = (
            int(year)
            if year.isascii() and year.isdigit() and len(year) == 4
            else default_year(services.company_today())
        )
        form = forms.ProgrammeForm(initial={"year": initial_year})
    return render(request, "audits/programme_new.html", {"form": form}, status=status)


def _docx(programme: AuditProgramme) -> HttpResponse:
    response = HttpResponse(programme_docx(programme), content_type=DOCX_CONTENT_TYPE)
    filename = _("internal-audit-programme-%(year)s-rev%(revision)s.docx") % {
        "year": programme.year,
        "revision": programme.revision,
    }
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@audits_staff
def programme_detail(request, year):
    programme = _programme(year)
    export = request.GET.get("format", "")
    if export == "docx":
        return _docx(programme)
    if export:
        return HttpResponseBadRequest(
            _("Unknown format %(format)s: choose docx.") % {"format": export[:20]},
            content_type="text/plain; charset=utf-8",
        )
    user = request.user
    coverage = programme_coverage(programme)
    signatures = list(programme.signatures.order_by("signed_at", "id"))
    step = services.current_step(programme)
    can_prepare = permissions.can_prepare(user)
    actions = []
    if permissions.can_edit_programme(user, programme):
        actions.append("update")
    if can_prepare and programme.status == ProgrammeStatus.DRAFT:
        actions.append("submit")
    if step is not None and permissions.can_sign_step(user, step.role):
        actions += ["sign", "return"]
    if can_prepare and programme.status == ProgrammeStatus.APPROVED:
        actions.append("revise")
    return render(
        request,
        "audits/programme_detail.html",
        {
            "programme": programme,
            "step": step,
            "step_label": step_label(step.code) if step else "",
            "chain": chain_rows(programme, signatures),
            "signatures": [
                {"signature": s, "step": step_label(s.step)} for s in signatures
            ],
            "audits": year_audit_rows(programme),
            "coverage": coverage,
            "summary": coverage_summary(coverage),
            "heatmap": heatmap_rows(coverage),
            "months": [date(programme.year, m, 1) for m in MONTHS],
            "actions": actions,
            "forms": {
                "update": forms.ProgrammeUpdateForm(
                    initial={"title": programme.title, "basis": programme.basis}
                ),
                "sign": forms.SignForm(),
                "return": forms.ReturnForm(),
                "revise": forms.ReviseForm(),
            },
            "can_plan": can_prepare or permissions.can_request(user),
            "plan_url": reverse("audits:audit_new") + f"?year={programme.year}",
        },
    )


# --- The programme's steps ------------------------------------------------------------


@dataclass(frozen=True)
class ActionSpec:
    form: type
    run: Callable[..., str]


def _update(request, programme, data) -> str:
    services.programme_update(
        user=request.user,
        programme=programme,
        title=data["title"],
        basis=data["basis"],
    )
    return _("The programme was saved.")


def _submit(request, programme, data) -> str:
    programme = services.programme_submit(user=request.user, programme=programme)
    step = services.current_step(programme)
    if step is None:
        return _("The programme was submitted.")
    return _("The programme was submitted; %(role)s signs it next.") % {
        "role": step.role
    }


def _sign(request, programme, data) -> str:
    programme = services.programme_sign(
        user=request.user,
        programme=programme,
        decision=SignatureDecision.SIGNED,
        comment=data["comment"],
    )
    if programme.status == ProgrammeStatus.APPROVED:
        for warning in getattr(programme, "filing_warnings", None) or ():
            messages.warning(request, warning)
        return _("Signed: the programme is approved.")
    step = services.current_step(programme)
    return _("Signed; %(role)s signs it next.") % {"role": step.role if step else ""}


def _return(request, programme, data) -> str:
    services.programme_sign(
        user=request.user,
        programme=programme,
        decision=SignatureDecision.RETURNED,
        comment=data["comment"],
    )
    return _("The programme was returned to its preparers.")


def _revise(request, programme, data) -> str:
    programme = services.programme_revise(
        user=request.user, programme=programme, reason=data["reason"]
    )
    return _(
        "Revision %(revision)s is a draft: change the plan, then submit it again."
    ) % {"revision": programme.revision}


ACTIONS: dict[str, ActionSpec] = {
    "update": ActionSpec(forms.ProgrammeUpdateForm, _update),
    "submit": ActionSpec(forms.EmptyForm, _submit),
    "sign": ActionSpec(forms.SignForm, _sign),
    "return": ActionSpec(forms.ReturnForm, _return),
    "revise": ActionSpec(forms.ReviseForm, _revise),
}


def _form_errors(form) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            parts.append(f"{label}: {error}" if label else str(error))
    return " ".join(parts)


@require_POST
@audits_staff
def programme_action(request, year, action):
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404(_("No such step."))
    programme = _programme(year)
    form = spec.form(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(_detail_url(programme, action))
    try:
        text = spec.run(request, programme, form.cleaned_data)
    except (ValidationError, InvalidTransition) as exc:
        messages.error(request, error_text(exc))
        return redirect(_detail_url(programme, action))
    # PermissionDenied propagates: a 403.
    messages.success(request, text)
    return redirect(_detail_url(programme))

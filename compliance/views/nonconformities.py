"""The nonconformity pages: the list (with its .xlsx export), raising one, its
page with the steps the user may take now and its history, the steps
themselves, the evidence files and the improvement status report
(ISO/IEC 20000-1:2018 10.1; the corrective and preventive action procedure).

Each step calls one service in :mod:`compliance.nonconformities` and
redirects back with a message: a refusal (not allowed now, a double submit,
bad input) is a message and changes nothing; a step the user may not take is
a 403. A nonconformity the user may not read is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST
from wagtail.models import ModelLogEntry

from documents.models import ChangeRequest
from documents.permissions import (
    RESTRICTED_DOCUMENT,
    restricted_ids,
    restricted_numbers,
)
from records import exports
from records.views.common import attachment_response, error_text, login_required_for

from .. import nonconformities as nc_services
from .. import panels, permissions, reports
from ..lifecycle import (
    Decision,
    InvalidTransition,
    NonconformitySource,
    NonconformityStatus,
)
from ..models import EvidenceFile, Nonconformity, NonconformityGrade
from . import nc_forms

S = NonconformityStatus

compliance_staff = login_required_for(permissions.can_view_compliance)
reports_only = login_required_for(permissions.can_view_reports)

PAGE_SIZE = 50
MAX_EXPORT_ROWS = 5_000
MAX_EVIDENCE_FILES = 10
WAITING_LIMIT = 10


def visible_nonconformity(user, number: str) -> Nonconformity:
    """The nonconformity numbered ``number`` if ``user`` may read it, else 404."""
    queryset = permissions.visible_nonconformities(user).for_listing()
    nc = queryset.filter(number=(number or "").strip().upper()).first()
    if nc is None:
        raise Http404(_("No such nonconformity."))
    return nc


def _detail_url(nc: Nonconformity) -> str:
    return reverse("compliance:nonconformity", kwargs={"number": nc.number})


def _name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# --- The list ---------------------------------------------------------------------


EXPORT_COLUMNS = (
    exports.Column("number", gettext_lazy("Number"), 14),
    exports.Column("title", gettext_lazy("Summary"), 36),
    exports.Column("kind", gettext_lazy("Kind"), 16),
    exports.Column("source", gettext_lazy("Source"), 16),
    exports.Column("grade", gettext_lazy("Grade"), 12),
    exports.Column("clause", gettext_lazy("Clause"), 10),
    exports.Column("department", gettext_lazy("Department"), 12),
    exports.Column("status", gettext_lazy("Status"), 16),
    exports.Column("owner", gettext_lazy("Action owner"), 14),
    exports.Column("due_date", gettext_lazy("Due date"), 12),
    exports.Column("overdue_text", gettext_lazy("Overdue"), 8),
    exports.Column("raised_on", gettext_lazy("Raised on"), 12),
    exports.Column("raised_by", gettext_lazy("Raised by"), 14),
)


def nonconformity_row(nc: Nonconformity, today) -> dict[str, Any]:
    overdue = nc.is_overdue(today)
    return {
        "number": nc.number,
        "url": _detail_url(nc),
        "title": nc.title,
        "kind": nc.get_kind_display(),
        "source": nc.get_source_display(),
        "grade": nc.grade.name,
        "grade_code": nc.grade.code,
        "clause": nc.clause.ref_id if nc.clause else "",
        "clause_url": nc.clause.get_absolute_url() if nc.clause else "",
        "department": nc.department.name,
        "status": nc.status,
        "status_label": nc.get_status_display(),
        "owner": _name(nc.owner),
        "due_date": nc.due_date,
        "overdue": overdue,
        "overdue_text": _("Yes") if overdue else "",
        "raised_on": reports.local_date(nc.raised_at),
        "raised_by": _name(nc.raised_by),
    }


@compliance_staff
def nonconformity_list(request):
    user = request.user
    today = nc_services.company_today()
    filters = nc_forms.NonconformityFilters(request.GET or None)
    queryset = filters.apply(
        permissions.visible_nonconformities(user).for_listing(), user=user, today=today
    )
    if request.GET.get("format") == "xlsx":
        return _export(queryset, today)
    page_obj = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    waiting_count, waiting = panels.waiting_items(user, limit=WAITING_LIMIT)
    filter_query = urlencode(filters.query_items())
    return render(
        request,
        "compliance/nonconformity_list.html",
        {
            "filters": filters,
            "rows": [nonconformity_row(nc, today) for nc in page_obj.object_list],
            "total": page_obj.paginator.count,
            "page_obj": page_obj,
            "is_paginated": page_obj.has_other_pages(),
            "filter_query": filter_query,
            "has_filters": bool(filter_query),
            "export_cap": MAX_EXPORT_ROWS,
            "waiting": [
                {**nonconformity_row(i.nonconformity, today), "reasons": i.reasons}
                for i in waiting
            ],
            "waiting_count": waiting_count,
            "can_raise": permissions.can_raise(user),
            "can_view_reports": permissions.can_view_reports(user),
        },
    )


def _export(queryset, today) -> HttpResponse:
    rows = (
        nonconformity_row(nc, today)
        for nc in queryset[: MAX_EXPORT_ROWS + 1].iterator(chunk_size=500)
    )
    content, _written, _truncated = exports.to_xlsx(
        rows, EXPORT_COLUMNS, title=_("Nonconformities"), cap=MAX_EXPORT_ROWS
    )
    return exports.xlsx_response(content, name=_("Nonconformities"), today=today)


# --- Raising ----------------------------------------------------------------------


PREFILL = ("clause", "standard", "source", "source_reference", "kind", "department")


@compliance_staff
def nonconformity_new(request):
    user = request.user
    if not permissions.can_raise(user):
        raise PermissionDenied
    if request.method == "POST":
        form = nc_forms.NonconformityForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                nc = nc_services.nonconformity_raise(
                    user=user,
                    title=data["title"],
                    facts=data["facts"],
                    department=data["department"],
                    grade=data["grade"],
                    source=data["source"],
                    kind=data["kind"],
                    clause=data["clause_obj"],
                    documents=data["documents"],
                    source_reference=data["source_reference"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if nc.status == S.DRAFT:
                    text = _(
                        "Nonconformity %(number)s recorded; it waits for approval "
                        "before it goes to the department."
                    )
                else:
                    text = _(
                        "Nonconformity %(number)s raised; the department has been told."
                    )
                messages.success(request, text % {"number": nc.number})
                return redirect(_detail_url(nc))
        status = 200 if form.is_valid() else 400
    else:
        initial = {k: request.GET[k] for k in PREFILL if request.GET.get(k)}
        if "source" in initial and initial["source"] not in NonconformitySource.values:
            del initial["source"]
        form = nc_forms.NonconformityForm(initial=initial, user=user)
        status = 200
    return render(
        request,
        "compliance/nonconformity_new.html",
        {
            "form": form,
            "approval_sources": [
                NonconformitySource(s).label
                for s in settings.SHOUKONG_NONCONFORMITY_APPROVAL_SOURCES
                if s in NonconformitySource.values
            ],
            "can_view_reports": permissions.can_view_reports(user),
        },
        status=status,
    )


# --- What the user may do now -----------------------------------------------------


def _pending_extension(nc: Nonconformity):
    return nc.extensions.filter(decision=Decision.PENDING).first()


# --- The page ---------------------------------------------------------------------


HISTORY_FIELDS = (
    ("version", gettext_lazy("Plan version")),
    ("round", gettext_lazy("Round")),
    ("owner", gettext_lazy("Owner")),
    ("due_date", gettext_lazy("Due date")),
    ("new_due", gettext_lazy("Requested due date")),
    ("decision", gettext_lazy("Decision")),
    ("effective", pgettext_lazy("verification", "Effective")),
    ("completed_on", gettext_lazy("Completed on")),
    ("files", gettext_lazy("Evidence")),
    ("clause", gettext_lazy("Clause")),
    ("department", gettext_lazy("Department")),
    ("grade", gettext_lazy("Grade")),
    ("source", gettext_lazy("Source")),
    ("document", gettext_lazy("Document")),
    ("comment", gettext_lazy("Comment")),
    ("reason", gettext_lazy("Reason")),
)


def _history_value(key: str, value, grades: dict[str, str], hidden=()) -> str:
    if key == "document" and value in hidden:
        return force_str(RESTRICTED_DOCUMENT)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if key == "decision" and value in Decision.values:
        return force_str(Decision(value).label)
    if key == "grade" and value in grades:
        return grades[value]
    if key == "source" and value in NonconformitySource.values:
        return force_str(NonconformitySource(value).label)
    return str(value)


def history(nc: Nonconformity, user) -> list[dict[str, Any]]:
    """Every logged step of ``nc``, oldest first: what, who, when, details. A
    restricted document ``user`` may not open is not named."""
    entries = list(
        ModelLogEntry.objects.for_instance(nc)
        .select_related("user")
        .order_by("timestamp", "id")
    )
    grades = dict(NonconformityGrade.objects.values_list("code", "name"))
    hidden = restricted_numbers(user, [(e.data or {}).get("document") for e in entries])
    rows = []
    for entry in entries:
        data = entry.data or {}
        status = data.get("status")
        rows.append(
            {
                "action": entry.action.rsplit(".", 1)[-1],
                "label": entry.message,
                "user": entry.user_display_name,
                "timestamp": entry.timestamp,
                "status": (force_str(S(status).label) if status in S.values else ""),
                "details": [
                    {
                        "label": label,
                        "value": _history_value(key, data[key], grades, hidden),
                    }
                    for key, label in HISTORY_FIELDS
                    if data.get(key) not in (None, "", [])
                ],
            }
        )
    return rows


def named_documents(user, documents) -> list[dict[str, Any]]:
    """``documents`` as ``user`` may see them named: number, title and page, or
    only ``restricted`` (listed last) for a restricted one they may not open."""
    documents = list(documents)
    hidden = restricted_ids(user, documents)
    return sorted(
        (
            {"restricted": True}
            if document.pk in hidden
            else {
                "restricted": False,
                "number": document.number,
                "title": document.title,
                "url": document.get_permalink(),
            }
            for document in documents
        ),
        key=lambda named: named["restricted"],
    )


def _change_requests(nc: Nonconformity, user) -> list[dict[str, Any]]:
    open_ids = set(nc_services.open_change_requests(nc).values_list("pk", flat=True))
    requests = list(
        ChangeRequest.objects.filter(
            source_type=ContentType.objects.get_for_model(Nonconformity),
            source_id=nc.pk,
        )
        .select_related("document", "requested_by")
        .order_by("requested_at", "id")
    )
    hidden = restricted_ids(user, [cr.document for cr in requests])
    return [
        {
            "request": cr,
            "restricted": cr.document_id in hidden,
            "url": None if cr.document_id in hidden else cr.document.get_permalink(),
            "open": cr.pk in open_ids,
            "requested_by": _name(cr.requested_by),
        }
        for cr in requests
    ]


def _implementations(nc: Nonconformity) -> list[dict[str, Any]]:
    result = []
    implementations = nc.implementations.select_related(
        "recorded_by", "verification__verified_by"
    ).prefetch_related("files")
    for implementation in implementations.order_by("round"):
        try:
            verification = implementation.verification
        except ObjectDoesNotExist:
            verification = None
        result.append(
            {
                "implementation": implementation,
                "recorded_by": _name(implementation.recorded_by),
                "files": [
                    {
                        "file": f,
                        "url": reverse(
                            "compliance:evidence",
                            kwargs={"number": nc.number, "evidence_id": f.pk},
                        ),
                    }
                    for f in implementation.files.all()
                ],
                "verification": verification,
                "verified_by": _name(verification.verified_by) if verification else "",
            }
        )
    return result


def _forms_for(nc: Nonconformity, actions: set[str]) -> dict[str, Any]:
    """An empty form for each step on offer; a new plan starts from the last."""
    forms: dict[str, Any] = {}
    for action in actions:
        spec = ACTIONS[action]
        if spec.form is None:
            continue
        kwargs = {"nonconformity": nc} if spec.form is nc_forms.PlanForm else {}
        if action == "plan":
            last = nc.plans.order_by("-version").first()
            if last is not None:
                kwargs["initial"] = {
                    "correction": last.correction,
                    "root_cause": last.root_cause,
                    "target": last.target,
                    "actions": last.actions,
                    "owner": last.owner_id,
                }
        forms[action.replace("-", "_")] = spec.form(**kwargs)
    return forms


def detail_context(request, nc: Nonconformity) -> dict[str, Any]:
    user = request.user
    today = nc_services.company_today()
    pending_extension = _pending_extension(nc)
    actions = set(permissions.allowed_actions(user, nc))
    plans = list(
        nc.plans.select_related("owner", "submitted_by", "decided_by").order_by(
            "-version"
        )
    )
    return {
        "nc": nc,
        "overdue": nc.is_overdue(today),
        "documents": named_documents(user, nc.documents.order_by("number_sort")),
        "current_plan": plans[0] if plans else None,
        "plans": plans,
        "extensions": list(
            nc.extensions.select_related("requested_by", "decided_by").order_by(
                "requested_at", "id"
            )
        ),
        "pending_extension": pending_extension,
        "implementations": _implementations(nc),
        "change_requests": _change_requests(nc, user),
        "history": history(nc, user),
        "actions": actions,
        "forms": _forms_for(nc, actions),
        "max_upload_mb": settings.SHOUKONG_RECORD_MAX_UPLOAD_BYTES // (1024 * 1024),
        "max_evidence_files": MAX_EVIDENCE_FILES,
        "can_view_reports": permissions.can_view_reports(user),
    }


@compliance_staff
def nonconformity_detail(request, number):
    nc = visible_nonconformity(request.user, number)
    if nc.number != number:
        return redirect(_detail_url(nc))
    return render(
        request, "compliance/nonconformity_detail.html", detail_context(request, nc)
    )


# --- The steps --------------------------------------------------------------------


@dataclass(frozen=True)
class ActionSpec:
    form: type | None
    run: Callable[..., str]


def _evidence_uploads(request) -> list[tuple[str, bytes]]:
    """The uploaded evidence as (name, bytes); an oversized file is refused
    before it is read whole (the service checks again)."""
    uploads = request.FILES.getlist("evidence")
    if len(uploads) > MAX_EVIDENCE_FILES:
        raise ValidationError(
            _("Attach at most %(count)d files.") % {"count": MAX_EVIDENCE_FILES}
        )
    limit = settings.SHOUKONG_RECORD_MAX_UPLOAD_BYTES
    result = []
    for upload in uploads:
        if upload.size is not None and upload.size > limit:
            raise ValidationError(
                _("%(name)s is larger than %(limit)s.")
                % {"name": upload.name, "limit": filesizeformat(limit)}
            )
        upload.seek(0)
        result.append((upload.name, upload.read(limit + 1)))
    return result


def _approve(request, nc, data) -> str:
    nc_services.nonconformity_approve(user=request.user, nonconformity=nc)
    return _("Approved: the department has been told.")


def _cancel(request, nc, data) -> str:
    nc_services.nonconformity_cancel(
        user=request.user, nonconformity=nc, reason=data["reason"]
    )
    return _("The nonconformity is cancelled; its number stays.")


def _plan(request, nc, data) -> str:
    plan = nc_services.nonconformity_plan(
        user=request.user,
        nonconformity=nc,
        root_cause=data["root_cause"],
        target=data["target"],
        actions=data["actions"],
        owner=data["owner"],
        due_date=data["due_date"],
        correction=data["correction"],
    )
    return _("Plan version %(version)d submitted for the head's acceptance.") % {
        "version": plan.version
    }


def _accept(request, nc, data) -> str:
    nc_services.nonconformity_accept(
        user=request.user, nonconformity=nc, comment=data["comment"]
    )
    return _("Plan accepted: the action is under way.")


def _return(request, nc, data) -> str:
    nc_services.nonconformity_return(
        user=request.user, nonconformity=nc, comment=data["comment"]
    )
    return _("Plan returned to the department.")


def _extension_request(request, nc, data) -> str:
    nc_services.nonconformity_extension_request(
        user=request.user,
        nonconformity=nc,
        new_due=data["new_due"],
        reason=data["reason"],
    )
    return _("Extension requested; 管理者代表 decides.")


def _extension_decide(request, nc, data) -> str:
    extension = _pending_extension(nc)
    if extension is None:
        raise ValidationError(_("No extension request is waiting for a decision."))
    approve = data["decision"] == "approve"
    nc_services.nonconformity_extension_decide(
        user=request.user, extension=extension, approve=approve, comment=data["comment"]
    )
    return (
        _("Extension approved: the due date moved.")
        if approve
        else _("Extension refused.")
    )


def _implement(request, nc, data) -> str:
    implementation = nc_services.nonconformity_implement(
        user=request.user,
        nonconformity=nc,
        description=data["description"],
        completed_on=data["completed_on"],
        evidence=_evidence_uploads(request),
    )
    return _("Implementation recorded (round %(round)d); 行政部 verifies it.") % {
        "round": implementation.round
    }


def _verify(request, nc, data) -> str:
    effective = data["effective"] == "yes"
    nc_services.nonconformity_verify(
        user=request.user,
        nonconformity=nc,
        effective=effective,
        comment=data["comment"],
    )
    if effective:
        return _("Verified effective: the action may now be closed.")
    return _("Verified not effective: the action is reopened.")


def _close(request, nc, data) -> str:
    nc_services.nonconformity_close(
        user=request.user, nonconformity=nc, note=data["note"]
    )
    return _("Closed.")


def _change_request(request, nc, data) -> str:
    change = nc_services.nonconformity_change_request(
        user=request.user,
        nonconformity=nc,
        document=data["document"],
        reason=data["reason"],
        proposed_change=data["proposed_change"],
    )
    return _(
        "Change request for %(number)s sent to document control; the action "
        "closes only once the new issue is out."
    ) % {"number": change.document.number}


ACTIONS: dict[str, ActionSpec] = {
    "approve": ActionSpec(None, _approve),
    "cancel": ActionSpec(nc_forms.CancelForm, _cancel),
    "plan": ActionSpec(nc_forms.PlanForm, _plan),
    "accept": ActionSpec(nc_forms.CommentForm, _accept),
    "return": ActionSpec(nc_forms.ReturnForm, _return),
    "extension": ActionSpec(nc_forms.ExtensionRequestForm, _extension_request),
    "extension-decide": ActionSpec(nc_forms.ExtensionDecideForm, _extension_decide),
    "implement": ActionSpec(nc_forms.ImplementForm, _implement),
    "verify": ActionSpec(nc_forms.VerifyForm, _verify),
    "close": ActionSpec(nc_forms.CloseForm, _close),
    "change-request": ActionSpec(nc_forms.ChangeRequestForm, _change_request),
}


def _form_errors(form) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            parts.append(f"{label}: {error}" if label else str(error))
    return " ".join(parts)


@require_POST
@compliance_staff
def nonconformity_action(request, number, action):
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404(_("No such step."))
    nc = visible_nonconformity(request.user, number)
    back = _detail_url(nc)
    data: dict[str, Any] = {}
    if spec.form is not None:
        kwargs = {"nonconformity": nc} if spec.form is nc_forms.PlanForm else {}
        if spec.form is nc_forms.ChangeRequestForm:
            # Names a document: only one the user may read.
            kwargs["user"] = request.user
        form = spec.form(request.POST, **kwargs)
        if not form.is_valid():
            messages.error(request, _form_errors(form))
            return redirect(f"{back}#{action}")
        data = form.cleaned_data
    try:
        text = spec.run(request, nc, data)
    except (ValidationError, InvalidTransition) as exc:
        messages.error(request, error_text(exc))
        return redirect(f"{back}#{action}")
    # PermissionDenied propagates: a 403.
    messages.success(request, text)
    return redirect(back)


# --- Evidence ---------------------------------------------------------------------


@compliance_staff
def evidence_download(request, number, evidence_id):
    """An evidence file of a nonconformity the user may read: an attachment,
    never rendered inline."""
    nc = visible_nonconformity(request.user, number)
    evidence = EvidenceFile.objects.filter(pk=evidence_id, nonconformity=nc).first()
    if evidence is None:
        raise Http404(_("No such evidence file."))
    return attachment_response(
        evidence.file,
        filename=evidence.name,
        content_type=evidence.content_type,
        missing=_("No such evidence file."),
    )


# --- 改进措施实施情况报告 ---------------------------------------------------------


@reports_only
def improvement_report(request):
    today = nc_services.company_today()
    fmt = request.GET.get("format", "")
    raw_from, raw_to = request.GET.get("from", ""), request.GET.get("to", "")
    try:
        date_from, date_to = reports.report_period(raw_from, raw_to, today=today)
    except ValidationError as exc:
        if fmt in ("docx", "xlsx"):
            return HttpResponse(
                " ".join(exc.messages),
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        return render(
            request,
            "compliance/improvement_report.html",
            {"errors": exc.messages, "raw_from": raw_from, "raw_to": raw_to},
            status=400,
        )
    report = reports.improvement_report(date_from, date_to, today)
    if fmt in ("docx", "xlsx"):
        build = (
            reports.improvement_report_docx
            if fmt == "docx"
            else reports.improvement_report_xlsx
        )
        content_type = (
            reports.DOCX_CONTENT_TYPE if fmt == "docx" else exports.XLSX_CONTENT_TYPE
        )
        response = HttpResponse(build(report), content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(
            True, reports.filename(report, fmt)
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
    query = urlencode({"from": date_from.isoformat(), "to": date_to.isoformat()})
    return render(
        request,
        "compliance/improvement_report.html",
        {
            "report": report,
            "raw_from": date_from.isoformat(),
            "raw_to": date_to.isoformat(),
            "docx_url": f"?{query}&format=docx",
            "xlsx_url": f"?{query}&format=xlsx",
        },
    )

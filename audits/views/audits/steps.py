"""The steps of an audit: those with a page of their own (GET shows the form,
POST saves it) and those taken from the audit's page (POST only). Each calls
one service; a refusal is a message, a step the user may not take a 403."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from compliance.views.nonconformities import _form_errors as form_errors
from records.views.common import error_text

from ... import forms as audit_forms
from ... import services
from ...lifecycle import (
    InvalidTransition,
    MeetingKind,
)
from ...models import Audit
from .common import (
    A,
    _checklist_url,
    _detail_url,
    _ensure_offered,
    _report,
    _scope,
    _service_error,
    checklist_summary,
    finding_rows,
    signed_in,
    visible_audit,
)

# --- Steps with a page of their own (GET shows the form, POST saves it) -----------


def _edit_page(request, audit: Audit, action: str):
    user = request.user
    if request.method != "POST":
        _ensure_offered(user, audit, action)
        form = audit_forms.AuditForm(
            user=user, audit=audit, initial=audit_forms.AuditForm.initial_for(audit)
        )
        return render(request, "audits/audit_form.html", {"form": form, "audit": audit})
    form = audit_forms.AuditForm(request.POST, user=user, audit=audit)
    if form.is_valid():
        changes = form.changes()
        was_notified = audit.status == A.NOTIFIED
        try:
            audit = services.audit_update(user=user, audit=audit, **changes)
        except (ValidationError, InvalidTransition) as exc:
            form.add_error(None, _service_error(exc))
        else:
            if not changes:
                messages.info(request, _("Nothing was changed."))
            else:
                messages.success(request, _("The audit has been changed."))
            if was_notified and audit.status == A.PLANNED:
                messages.warning(
                    request,
                    _(
                        "The dates or the scope changed after the notice: send "
                        "the notice to the auditees again."
                    ),
                )
            return redirect(_detail_url(audit))
    else:
        _ensure_offered(user, audit, action)
    return render(
        request, "audits/audit_form.html", {"form": form, "audit": audit}, status=400
    )


def _team_page(request, audit: Audit, action: str):
    user = request.user
    if request.method != "POST":
        _ensure_offered(user, audit, action)
        form = audit_forms.TeamForm(initial=audit_forms.TeamForm.initial_for(audit))
        return _render_team(request, audit, form)
    form = audit_forms.TeamForm(request.POST)
    if form.is_valid():
        leader = form.cleaned_data["leader"]
        try:
            services.audit_team_set(
                user=user,
                audit=audit,
                leader=leader,
                auditors=list(form.cleaned_data["auditors"]),
            )
        except (ValidationError, InvalidTransition) as exc:
            field = audit_forms.team_error_field(
                leader,
                departments=list(audit.departments.all()),
                clauses=list(audit.scope_clauses()),
            )
            form.add_error(field, _service_error(exc))
        else:
            messages.success(request, _("The audit team is formed."))
            return redirect(_detail_url(audit))
    else:
        _ensure_offered(user, audit, action)
    return _render_team(request, audit, form, status=400)


def _render_team(request, audit, form, status=200):
    return render(
        request,
        "audits/audit_team.html",
        {
            "audit": audit,
            "form": form,
            "scope": _scope(audit),
            "departments": list(audit.departments.all()),
        },
        status=status,
    )


def _schedule_page(request, audit: Audit, action: str):
    user = request.user
    errors: list[str] = []
    if request.method != "POST":
        _ensure_offered(user, audit, action)
        formset = audit_forms.ScheduleFormSet(
            audit=audit, initial=audit_forms.schedule_initial(audit)
        )
        status = 200
    else:
        formset = audit_forms.ScheduleFormSet(request.POST, audit=audit)
        if formset.is_valid():
            try:
                services.audit_schedule_set(
                    user=user, audit=audit, slots=formset.slots()
                )
            except (ValidationError, InvalidTransition) as exc:
                errors = _service_error(exc).messages
            else:
                messages.success(request, _("The schedule has been saved."))
                return redirect(f"{_detail_url(audit)}#schedule")
        else:
            _ensure_offered(user, audit, action)
        status = 400
    return render(
        request,
        "audits/audit_schedule.html",
        {"audit": audit, "formset": formset, "errors": errors},
        status=status,
    )


MEETING_DONE = {
    MeetingKind.OPENING: gettext_lazy(
        "Opening meeting recorded: the fieldwork has started."
    ),
    MeetingKind.CLOSING: gettext_lazy(
        "Closing meeting recorded: the fieldwork is complete and the audit team "
        "leader writes the report."
    ),
}


def _meeting_page(request, audit: Audit, action: str):
    user = request.user
    kind = MeetingKind(action)
    if request.method != "POST":
        _ensure_offered(user, audit, action)
        form = audit_forms.MeetingForm(audit=audit)
        status = 200
    else:
        form = audit_forms.MeetingForm(request.POST, audit=audit)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.meeting_record(
                    user=user,
                    audit=audit,
                    kind=kind,
                    held_at=data["held_at"],
                    attendees=list(data["attendees"]),
                    guests=data["guests"],
                    location=data["location"],
                    notes=data["notes"],
                    chaired_by=data["chaired_by"],
                )
            except (ValidationError, InvalidTransition) as exc:
                form.add_error(None, _service_error(exc))
            else:
                messages.success(request, MEETING_DONE[kind])
                return redirect(_detail_url(audit))
        else:
            _ensure_offered(user, audit, action)
        status = 400
    return render(
        request,
        "audits/meeting_form.html",
        {
            "audit": audit,
            "form": form,
            "kind": kind,
            "kind_label": kind.label,
            "checklist": checklist_summary(audit)
            if kind == MeetingKind.CLOSING
            else None,
        },
        status=status,
    )


def _report_page(request, audit: Audit, action: str):
    user = request.user
    report = _report(audit)
    if request.method != "POST":
        _ensure_offered(user, audit, action)
        form = audit_forms.ReportForm(
            initial=audit_forms.ReportForm.initial_for(audit, report)
        )
        status = 200
    else:
        form = audit_forms.ReportForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.report_save(
                    user=user,
                    audit=audit,
                    overview=data["overview"],
                    evaluation=data["evaluation"],
                    distribution=data["distribution"],
                )
            except (ValidationError, InvalidTransition) as exc:
                form.add_error(None, _service_error(exc))
            else:
                messages.success(
                    request,
                    _(
                        "The report is saved. Submit it to 管理者代表 when it is "
                        "complete."
                    ),
                )
                return redirect(f"{_detail_url(audit)}#report")
        else:
            _ensure_offered(user, audit, action)
        status = 400
    return render(
        request,
        "audits/report_form.html",
        {
            "audit": audit,
            "form": form,
            "report": report,
            "findings": finding_rows(audit),
        },
        status=status,
    )


PAGES: dict[str, Callable] = {
    "edit": _edit_page,
    "team": _team_page,
    "schedule": _schedule_page,
    "opening": _meeting_page,
    "closing": _meeting_page,
    "report": _report_page,
}


# --- Steps taken from the audit's page (POST only) ---------------------------------


@dataclass(frozen=True)
class Step:
    form: type | None
    # (request, audit, cleaned data) -> message, or (message, where to go)
    run: Callable[..., str | tuple[str, str]]


def _notify(request, audit, data):
    _audit, warnings = services.audit_notify(user=request.user, audit=audit)
    for warning in warnings:
        messages.warning(request, warning)
    return _("The notice has been sent to the auditees, their heads and the team.")


def _accept(request, audit, data):
    services.audit_decide(
        user=request.user, audit=audit, accept=True, comment=data["comment"]
    )
    return _("Accepted: the audit is planned.")


def _reject(request, audit, data):
    services.audit_decide(
        user=request.user, audit=audit, accept=False, comment=data["comment"]
    )
    return _("Rejected: the audit is not held.")


def _cancel(request, audit, data):
    services.audit_cancel(user=request.user, audit=audit, reason=data["reason"])
    return _("The audit is cancelled; its number stays.")


def _generate(request, audit, data):
    items = services.checklist_generate(user=request.user, audit=audit)
    if items:
        text = ngettext(
            "%(count)d question added to the checklist.",
            "%(count)d questions added to the checklist.",
            len(items),
        ) % {"count": len(items)}
    else:
        text = _("The checklist already covers the whole scope.")
    return text, _checklist_url(audit)


def _submit(request, audit, data):
    services.report_submit(user=request.user, audit=audit)
    return _("The report has been submitted to 管理者代表 for approval.")


def _approve(request, audit, data):
    _report_obj, warnings = services.report_approve(user=request.user, audit=audit)
    for warning in warnings:
        messages.warning(request, warning)
    return _("Report approved: the audit is closed and its records are filed.")


def _return(request, audit, data):
    services.report_return(user=request.user, audit=audit, comment=data["comment"])
    return _("The report has been returned to the audit team leader.")


STEPS: dict[str, Step] = {
    "notify": Step(None, _notify),
    "accept": Step(audit_forms.CommentForm, _accept),
    "reject": Step(audit_forms.RejectForm, _reject),
    "cancel": Step(audit_forms.CancelForm, _cancel),
    "generate": Step(None, _generate),
    "submit": Step(None, _submit),
    "approve": Step(None, _approve),
    "return": Step(audit_forms.ReturnForm, _return),
}


@signed_in
def audit_action(request, number, action):
    page = PAGES.get(action)
    step = STEPS.get(action)
    if page is None and step is None:
        raise Http404(_("No such step."))
    audit = visible_audit(request.user, number)
    if page is not None:
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        return page(request, audit, action)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    back = _detail_url(audit)
    data: dict[str, Any] = {}
    if step.form is not None:
        form = step.form(request.POST)
        if not form.is_valid():
            messages.error(request, form_errors(form))
            return redirect(f"{back}#{action}")
        data = form.cleaned_data
    try:
        result = step.run(request, audit, data)
    except (ValidationError, InvalidTransition) as exc:
        messages.error(request, error_text(exc))
        return redirect(f"{back}#{action}")
    # PermissionDenied propagates: a 403.
    text, target = result if isinstance(result, tuple) else (result, back)
    messages.success(request, text)
    return redirect(target)

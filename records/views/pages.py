"""A record's page (记录) and what is done on it: strike-through corrections
(划改), legal holds, people named on it, and the permission-checked download
of its file.

Each action calls one service and redirects back with a message; a refusal
re-renders the page with the message and what the user typed.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from documents.permissions import can_view_library, restricted_ids

from .. import numbering, permissions, services
from ..forms import field_spec
from ..lifecycle import InvalidTransition
from ..models import Record
from .common import (
    attachment_response,
    error_text,
    retention_info,
    signed_in,
    value_rows,
    visible_record,
)

# Multiple-choice values typed in one box: 高, 中 / 高、中 / one per line.
_LIST_SEPARATORS = re.compile(r"[,，、;；\n]+")


def _detail_queryset():
    return (
        Record.objects.for_listing()
        .select_related("created_by", "related_to", "disposal")
        .defer(
            "form__body",
            "form__source_text",
            "form_issue__body",
            "form_issue__source_text",
        )
    )


def record_context(request, record: Record, **forms: Any) -> dict[str, Any]:
    """What the record page shows to ``request.user``."""
    user = request.user
    today = services.company_today()
    context: dict[str, Any] = {
        "record": record,
        # A restricted form the user may not open is not named (the record
        # number still begins with its number, as the numbering rule says).
        "form_restricted": bool(restricted_ids(user, [record.form])),
        "retention": retention_info(record, today),
        "library_link": can_view_library(user),
        "correction": {},
        "hold_form": {},
        "access_form": {},
        "errors": {},
    }
    context.update(forms)
    if record.is_destroyed:
        return context
    corrections = list(record.corrections.order_by("corrected_at", "id"))
    related = list(
        Record.objects.visible_to(user)
        .filter(related_to=record)
        .select_related("form")
        .order_by("number")
    )
    hidden_forms = restricted_ids(user, {r.form for r in related})
    for other in related:
        other.form_restricted = other.form_id in hidden_forms
    source_visible = (
        record.related_to_id is not None
        and Record.objects.visible_to(user).filter(pk=record.related_to_id).exists()
    )
    can_correct = permissions.can_correct(user, record)
    can_grant = permissions.can_grant_access(user, record)
    context.update(
        {
            "values": value_rows(record, corrections),
            "related_records": related,
            "source_visible": source_visible,
            "can_fill": permissions.can_fill(user),
            "fill_related_url": (
                reverse("records:fill_index") + f"?related_to={record.number}"
            ),
            "can_correct": can_correct,
            "correctable_fields": [
                {
                    "name": spec["name"],
                    "label": spec.get("label") or spec["name"],
                    "type": spec.get("type", ""),
                    "choices": spec.get("choices", ""),
                }
                for spec in (record.schema or [])
            ]
            if can_correct
            else [],
            "can_hold": permissions.can_hold(user),
            "can_grant": can_grant,
            "named_people": list(services.users_named_on(record).order_by("username"))
            if can_grant
            else [],
            "grantable_users": list(
                get_user_model()
                .objects.filter(is_active=True)
                .exclude(pk__in=services.users_named_on(record).values("pk"))
                .order_by("username")
            )
            if can_grant
            else [],
        }
    )
    return context


@signed_in
def record_detail(request, number):
    canonical = numbering.normalise(number)
    if canonical != number:
        return redirect(reverse("records:detail", kwargs={"number": canonical}))
    record = visible_record(request.user, canonical, _detail_queryset())
    return render(
        request, "records/record_detail.html", record_context(request, record)
    )


def _refused(request, record, exc, *, section: str, typed: dict, fields=()):
    """Re-render the record page with the refusal and the typed values."""
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for key, messages_ in exc.message_dict.items():
            target = key if key in fields else "general"
            errors.setdefault(target, []).extend(messages_)
    else:
        general.append(error_text(exc))
    if general:
        errors.setdefault("general", []).extend(general)
    # The record may have changed (a hold placed meanwhile): read it again.
    record = visible_record(request.user, record.number, _detail_queryset())
    context = record_context(request, record, **{section: typed})
    shown = {
        "correction": context.get("can_correct"),
        "hold_form": context.get("can_hold"),
        "access_form": context.get("can_grant"),
    }.get(section)
    if shown and not record.is_destroyed:
        context["errors"] = {section: errors}
    else:
        # The form is not on the page for this user (any more): say it on top.
        context["page_errors"] = [m for ms in errors.values() for m in ms]
    return render(request, "records/record_detail.html", context, status=400)


def _detail_url(record: Record) -> str:
    return reverse("records:detail", kwargs={"number": record.number})


def _correction_value(record: Record, field: str, raw: str) -> Any:
    spec = field_spec(record.schema or [], field)
    if spec and spec.get("type") in ("multiselect", "checkboxes"):
        return [part.strip() for part in _LIST_SEPARATORS.split(raw) if part.strip()]
    return raw


@require_POST
@signed_in
def record_correct(request, number):
    record = visible_record(request.user, number, _detail_queryset())
    field = request.POST.get("field", "")
    raw = request.POST.get("value", "")
    reason = request.POST.get("reason", "")
    typed = {"field": field, "value": raw, "reason": reason}
    if record.is_destroyed:
        return _refused(
            request,
            record,
            ValidationError(_("A destroyed record cannot be corrected.")),
            section="correction",
            typed=typed,
        )
    try:
        correction = services.record_correct(
            user=request.user,
            record=record,
            field=field,
            value=_correction_value(record, field, raw),
            reason=reason,
        )
    except (PermissionDenied, ValidationError, InvalidTransition) as exc:
        # A value refused by the field's rules comes back keyed by its name.
        if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
            if field in exc.error_dict and field not in ("field", "reason"):
                exc = ValidationError({"value": exc.error_dict[field]})
        return _refused(
            request,
            record,
            exc,
            section="correction",
            typed=typed,
            fields=("field", "value", "reason"),
        )
    messages.success(
        request,
        _("%(field)s corrected; the old value stays visible, struck through.")
        % {"field": correction.field_label},
    )
    return redirect(_detail_url(record))


@require_POST
@signed_in
def record_hold(request, number):
    record = visible_record(request.user, number, _detail_queryset())
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")
    typed = {"action": action, "reason": reason}
    if action not in ("place", "release"):
        return _refused(
            request,
            record,
            ValidationError(_("Choose to place or to lift the hold.")),
            section="hold_form",
            typed=typed,
        )
    service = (
        services.record_hold_place
        if action == "place"
        else services.record_hold_release
    )
    try:
        service(user=request.user, record=record, reason=reason)
    except (PermissionDenied, ValidationError, InvalidTransition) as exc:
        return _refused(
            request, record, exc, section="hold_form", typed=typed, fields=("reason",)
        )
    messages.success(
        request,
        (
            _("Record %(number)s is now under legal hold.")
            if action == "place"
            else _("The legal hold on %(number)s is lifted.")
        )
        % {"number": record.number},
    )
    return redirect(_detail_url(record))


@require_POST
@signed_in
def record_access(request, number):
    record = visible_record(request.user, number, _detail_queryset())
    action = request.POST.get("action", "")
    username = request.POST.get("grantee", "")
    typed = {"action": action, "grantee": username}
    grantee = (
        get_user_model().objects.filter(username=username, is_active=True).first()
        if username
        else None
    )
    try:
        if action == "grant":
            services.record_access_grant(
                user=request.user, record=record, grantee=grantee
            )
            message = _("%(user)s may now read %(number)s.")
        elif action == "revoke":
            if grantee is None:
                raise ValidationError({"grantee": _("Choose an active user.")})
            services.record_access_revoke(
                user=request.user, record=record, grantee=grantee
            )
            message = _("%(user)s may no longer read %(number)s by name.")
        else:
            raise ValidationError(_("Choose to grant or to withdraw access."))
    except (PermissionDenied, ValidationError, InvalidTransition) as exc:
        return _refused(
            request,
            record,
            exc,
            section="access_form",
            typed=typed,
            fields=("grantee",),
        )
    messages.success(
        request,
        message
        % {
            "user": grantee.get_full_name() or grantee.get_username(),
            "number": record.number,
        },
    )
    return redirect(_detail_url(record))


@signed_in
def record_file(request, number):
    """The record's file, for those who may open the record: an attachment,
    never rendered inline (no sniffing, sandboxed if a browser tries)."""
    record = visible_record(request.user, number)
    if record.is_destroyed:
        raise Http404(_("This record has no file."))
    return attachment_response(
        record.file,
        filename=record.file_name,
        content_type=record.file_content_type,
        missing=_("This record has no file."),
    )

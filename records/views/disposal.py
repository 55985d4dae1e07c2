"""Disposal (记录销毁) and retention events: the queue of records past
retention, the disposal request and its approvals, its execution before a
witness, and the events (an employee leaving, equipment scrapped, a product
discontinued) that start event-based retention.

Each action calls one service; a refusal re-renders the page with the message
and what was typed or ticked.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from documents.permissions import department_of, is_department_head, restricted_ids

from .. import permissions, retention, services
from ..lifecycle import (
    CONFIDENTIAL_METHODS,
    OPEN_DISPOSAL_STATUSES,
    DisposalMethod,
    DisposalStatus,
    InvalidTransition,
    RecordStatus,
)
from ..models import DisposalRequest, Record, RetentionTrigger
from .common import (
    error_text,
    login_required_for,
    staff_only,
    visible_records,
)

PAST_REQUESTS_SHOWN = 50
# Records past retention shown at once, the longest overdue first: a request
# covers a batch; the next batch shows once it is requested.
QUEUE_SHOWN = 200
QUEUE_COUNT_CAP = 10_000


def may_use_disposal_queue(user) -> bool:
    """The archive keepers of a department (its people) and document control."""
    if permissions.is_records_controller(user):
        return True
    own = department_of(user)
    return own is not None and permissions.can_request_disposal(user, own)


def may_see_request(user, request: DisposalRequest) -> bool:
    if permissions.is_records_controller(user) or permissions.reads_all_records(user):
        return True
    own = department_of(user)
    return (
        own is not None
        and own.pk == request.department_id
        and not permissions.is_customer_representative(user)
    )


def _requests_for(user):
    queryset = DisposalRequest.objects.select_related(
        "department", "requested_by"
    ).annotate(item_count=Count("items"))
    if permissions.is_records_controller(user) or permissions.reads_all_records(user):
        return queryset
    own = department_of(user)
    return queryset.filter(department=own) if own else queryset.none()


def _errors_of(exc: Exception, known=()) -> tuple[dict[str, list[str]], list[str]]:
    """The messages of a refusal by input (``known`` names); the rest."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        by_key: dict[str, list[str]] = {}
        general: list[str] = []
        for key, messages_ in exc.message_dict.items():
            if key in known:
                by_key[key] = list(messages_)
            else:
                general.extend(messages_)
        return by_key, general
    if isinstance(exc, ValidationError):
        return {}, list(exc.messages)
    return {}, [error_text(exc)]


# --- The queue ----------------------------------------------------------------------


def _queue_records(user, today: date):
    queryset = (
        visible_records(user)
        .past_retention(today)
        .for_listing()
        # What the queue shows, not the wide form page and issue rows.
        .only(
            "number",
            "record_date",
            "status",
            "confidential",
            "legal_hold",
            "retention_until",
            "form__number",
            "form_issue__title",
            "department__name",
            "retention_class__kind",
        )
        .order_by("retention_until", "number")
    )
    if not permissions.is_records_controller(user):
        queryset = queryset.filter(department=department_of(user))
    return queryset


def _open_request_of(records) -> dict[int, DisposalRequest]:
    from ..models import DisposalItem

    pending = [r.pk for r in records if r.status == RecordStatus.DISPOSAL_PENDING]
    items = DisposalItem.objects.filter(
        record__in=pending, request__status__in=OPEN_DISPOSAL_STATUSES
    ).select_related("request")
    return {item.record_id: item.request for item in items}


@login_required_for(may_use_disposal_queue)
def disposal_queue(request):
    user = request.user
    today = services.company_today()
    typed: dict[str, Any] = {"records": [], "method": "", "reason": ""}
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("record") if v.isdigit()]
        typed = {
            "records": ids,
            "method": request.POST.get("method", ""),
            "reason": request.POST.get("reason", ""),
        }
        chosen = list(Record.objects.visible_to(user).filter(pk__in=ids))
        if len(chosen) != len(set(ids)):
            general.append(_("Some of the chosen records no longer exist."))
        else:
            try:
                disposal = services.disposal_request_create(
                    user=user,
                    records=chosen,
                    method=typed["method"],
                    reason=typed["reason"],
                )
            except (PermissionDenied, ValidationError, InvalidTransition) as exc:
                errors, general = _errors_of(exc, ("method", "reason"))
            else:
                messages.success(
                    request,
                    _(
                        "Disposal request %(reference)s is recorded; the department "
                        "head approves it, then document control."
                    )
                    % {"reference": disposal.reference},
                )
                return redirect(disposal.get_absolute_url())
    queue = _queue_records(user, today)
    records = list(queue[: QUEUE_SHOWN + 1])
    more = len(records) > QUEUE_SHOWN
    records = records[:QUEUE_SHOWN]
    open_requests = _open_request_of(records)
    # A restricted form the user may not open is not named (by id: the queue
    # loads only the form's number).
    hidden_forms = restricted_ids(user, {record.form_id for record in records})
    rows = []
    detail = reverse("records:detail", kwargs={"number": "NUMBER0"})
    for record in records:
        rows.append(
            {
                "record": record,
                "url": detail.replace("NUMBER0", quote(record.number)),
                "request": open_requests.get(record.pk),
                "form_restricted": record.form_id in hidden_forms,
                "selectable": record.status == RecordStatus.ACTIVE
                and not record.legal_hold,
                "checked": record.pk in typed["records"],
            }
        )
    # Counted up to a cap: the page says "more than" beyond it.
    total = (
        queue.order_by().values("pk")[:QUEUE_COUNT_CAP].count() if more else len(rows)
    )
    all_requests = _requests_for(user)
    context = {
        "today": today,
        "rows": rows,
        "queue_total": total,
        "queue_more": more,
        "typed": typed,
        "errors": errors,
        "general_errors": general,
        "methods": DisposalMethod.choices,
        "confidential_methods": [str(m) for m in CONFIDENTIAL_METHODS],
        "open_requests": list(
            all_requests.filter(status__in=OPEN_DISPOSAL_STATUSES).order_by(
                "requested_at", "pk"
            )
        ),
        "past_requests": list(
            all_requests.exclude(status__in=OPEN_DISPOSAL_STATUSES).order_by(
                "-requested_at", "-pk"
            )[:PAST_REQUESTS_SHOWN]
        ),
    }
    return render(
        request,
        "records/disposal_queue.html",
        context,
        status=400 if (errors or general) else 200,
    )


# --- One request --------------------------------------------------------------------


def _disposal(user, reference: str) -> DisposalRequest:
    disposal = (
        DisposalRequest.objects.select_related(
            "department",
            "requested_by",
            "head_approved_by",
            "controller_approved_by",
            "rejected_by",
            "executor",
            "witness",
        )
        .filter(reference=reference.strip().upper())
        .first()
    )
    if disposal is None or not may_see_request(user, disposal):
        raise Http404(_("No such disposal request."))
    return disposal


def _disposal_context(user, disposal: DisposalRequest, **extra) -> dict[str, Any]:
    items = disposal.item_list
    visible = set(
        Record.objects.visible_to(user)
        .filter(pk__in=[i.record_id for i in items])
        .values_list("pk", flat=True)
    )
    status = disposal.status
    is_controller = permissions.is_records_controller(user)
    is_head = is_department_head(user, disposal.department)
    can_approve = (status == DisposalStatus.REQUESTED and is_head) or (
        status == DisposalStatus.HEAD_APPROVED
        and is_controller
        and disposal.head_approved_by_id != user.pk
    )
    can_reject = status in OPEN_DISPOSAL_STATUSES and (is_head or is_controller)
    can_execute = status == DisposalStatus.APPROVED and (
        permissions.can_execute_disposal(user, disposal.department)
    )
    context = {
        "disposal": disposal,
        "items": [
            {
                "item": item,
                "url": (
                    reverse("records:detail", kwargs={"number": item.number})
                    if item.record_id in visible
                    else None
                ),
            }
            for item in items
        ],
        "confidential_count": sum(1 for i in items if i.confidential),
        "can_approve": can_approve,
        "approve_step": (
            _("Approve as department head")
            if status == DisposalStatus.REQUESTED
            else _("Approve for document control")
        ),
        "can_reject": can_reject,
        "can_execute": can_execute,
        "is_open": status in OPEN_DISPOSAL_STATUSES,
        "is_executed": status == DisposalStatus.EXECUTED,
        "today": services.company_today(),
        "witnesses": (
            list(
                get_user_model()
                .objects.filter(is_active=True)
                .exclude(pk=user.pk)
                .order_by("username")
            )
            if can_execute
            else []
        ),
        "reject_form": {},
        "execute_form": {},
        "errors": {},
    }
    context.update(extra)
    return context


@staff_only
def disposal_detail(request, reference):
    disposal = _disposal(request.user, reference)
    return render(
        request,
        "records/disposal_detail.html",
        _disposal_context(request.user, disposal),
    )


def _disposal_refused(request, disposal, exc, *, section: str, typed: dict):
    errors, general = _errors_of(exc, typed)
    if general:
        errors.setdefault("general", []).extend(general)
    disposal = _disposal(request.user, disposal.reference)
    context = _disposal_context(request.user, disposal, **{section: typed})
    shown = {
        "approve": context["can_approve"],
        "reject_form": context["can_reject"],
        "execute_form": context["can_execute"],
    }.get(section)
    if shown:
        context["errors"] = {section: errors}
    else:
        # The form is not on the page for this user (any more): say it on top.
        context["page_errors"] = [m for ms in errors.values() for m in ms]
    return render(request, "records/disposal_detail.html", context, status=400)


def _stale(request, disposal: DisposalRequest) -> bool:
    """The form was shown for another status: a double submit, or someone
    else decided in the meantime."""
    shown = request.POST.get("status")
    return bool(shown) and shown != disposal.status


@require_POST
@staff_only
def disposal_approve(request, reference):
    disposal = _disposal(request.user, reference)
    if _stale(request, disposal):
        messages.error(request, _("This request has already been decided."))
        return redirect(disposal.get_absolute_url())
    try:
        disposal = services.disposal_request_approve(
            user=request.user, request=disposal
        )
    except (PermissionDenied, ValidationError, InvalidTransition) as exc:
        return _disposal_refused(request, disposal, exc, section="approve", typed={})
    messages.success(
        request,
        (
            _("%(reference)s is approved; the records may now be destroyed.")
            if disposal.status == DisposalStatus.APPROVED
            else _("%(reference)s is approved; document control approves next.")
        )
        % {"reference": disposal.reference},
    )
    return redirect(disposal.get_absolute_url())


@require_POST
@staff_only
def disposal_reject(request, reference):
    disposal = _disposal(request.user, reference)
    reason = request.POST.get("reason", "")
    if _stale(request, disposal):
        messages.error(request, _("This request has already been decided."))
        return redirect(disposal.get_absolute_url())
    try:
        services.disposal_request_reject(
            user=request.user, request=disposal, reason=reason
        )
    except (PermissionDenied, ValidationError, InvalidTransition) as exc:
        return _disposal_refused(
            request, disposal, exc, section="reject_form", typed={"reason": reason}
        )
    messages.success(
        request,
        _("%(reference)s is rejected; its records are kept.")
        % {"reference": disposal.reference},
    )
    return redirect(disposal.get_absolute_url())


@require_POST
@staff_only
def disposal_execute(request, reference):
    disposal = _disposal(request.user, reference)
    typed = {
        "executed_on": request.POST.get("executed_on", ""),
        "witness": request.POST.get("witness", ""),
        "witness_name": request.POST.get("witness_name", ""),
        "note": request.POST.get("note", ""),
    }
    if _stale(request, disposal):
        messages.error(request, _("These records have already been destroyed."))
        return redirect(disposal.get_absolute_url())
    executed_on = parse_date(typed["executed_on"]) if typed["executed_on"] else None
    witness = (
        get_user_model()
        .objects.filter(username=typed["witness"], is_active=True)
        .first()
        if typed["witness"]
        else None
    )
    try:
        if typed["executed_on"] and executed_on is None:
            raise ValidationError({"executed_on": _("Enter a valid date.")})
        if typed["witness"] and witness is None:
            raise ValidationError({"witness": _("Choose an active user.")})
        services.disposal_execute(
            user=request.user,
            request=disposal,
            executed_on=executed_on,
            witness=witness,
            witness_name=typed["witness_name"],
            note=typed["note"],
        )
    except (PermissionDenied, ValidationError, InvalidTransition) as exc:
        return _disposal_refused(
            request, disposal, exc, section="execute_form", typed=typed
        )
    messages.success(
        request,
        _("The records of %(reference)s are destroyed; the disposal record is kept.")
        % {"reference": disposal.reference},
    )
    return redirect(disposal.get_absolute_url())


# --- Retention events ---------------------------------------------------------------


def may_see_events(user) -> bool:
    return permissions.can_record_event(user) or permissions.reads_all_records(user)


def _events():
    counts = (
        Record.objects.filter(
            retention_class__kind=retention.RetentionKind.EVENT,
            retention_class__event=OuterRef("event"),
            retention_subject=OuterRef("subject"),
            retention_event_on__isnull=False,
        )
        .order_by()
        .values("retention_subject")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        RetentionTrigger.objects.select_related("recorded_by")
        .annotate(records=Subquery(counts[:1]))
        .order_by("-occurred_on", "-pk")
    )


def _waiting():
    """Subjects records wait on: an event not entered yet, with how many."""
    return (
        Record.objects.kept()
        .filter(
            retention_class__kind=retention.RetentionKind.EVENT,
            retention_until__isnull=True,
        )
        .order_by("retention_class__event", "retention_subject")
        .values("retention_class__event", "retention_subject")
        .annotate(n=Count("pk"))
    )


@login_required_for(may_see_events)
def retention_events(request):
    user = request.user
    can_record = permissions.can_record_event(user)
    typed = {
        "event": request.GET.get("event", ""),
        "subject": request.GET.get("subject", ""),
        "occurred_on": "",
        "note": "",
    }
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        typed = {
            key: request.POST.get(key, "")
            for key in ("event", "subject", "occurred_on", "note")
        }
        occurred_on = parse_date(typed["occurred_on"]) if typed["occurred_on"] else None
        try:
            if occurred_on is None:
                raise ValidationError({"occurred_on": _("Enter the date it happened.")})
            trigger = services.retention_event_record(
                user=user,
                event=typed["event"],
                subject=typed["subject"],
                occurred_on=occurred_on,
                note=typed["note"],
            )
        except (PermissionDenied, ValidationError, InvalidTransition) as exc:
            errors, general = _errors_of(exc, typed)
        else:
            updated = Record.objects.filter(
                retention_class__event=trigger.event,
                retention_subject=trigger.subject,
                retention_event_on__isnull=False,
            ).count()
            messages.success(
                request,
                _(
                    "%(event)s of %(subject)s on %(date)s is entered; %(count)s "
                    "record(s) now have their retention end date."
                )
                % {
                    "event": trigger.get_event_display(),
                    "subject": trigger.subject,
                    "date": trigger.occurred_on.isoformat(),
                    "count": updated,
                },
            )
            return redirect("records:events")
    event_labels = dict(retention.RetentionEvent.choices)
    waiting = (
        [
            {
                "event": row["retention_class__event"],
                "event_label": event_labels.get(row["retention_class__event"], ""),
                "subject": row["retention_subject"],
                "count": row["n"],
            }
            for row in _waiting()
        ]
        if can_record
        else []
    )
    context = {
        "events": list(_events()),
        "waiting": waiting,
        "can_record": can_record,
        "event_choices": retention.RetentionEvent.choices,
        "typed": typed,
        "errors": errors,
        "general_errors": general,
        "today": services.company_today(),
    }
    return render(
        request,
        "records/retention_events.html",
        context,
        status=400 if (errors or general) else 200,
    )

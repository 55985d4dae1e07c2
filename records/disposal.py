"""Disposal of records past retention (records control procedure: archive
keepers destroy expired records; confidential ones are shredded): the request,
the department head's and document control's approvals, and the destruction
before a witness. Re-exported by :mod:`records.services`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from documents.permissions import is_department_head
from documents.services import number_sequence_next
from search import index as search_index

from . import permissions, retention
from .lifecycle import (
    CONFIDENTIAL_METHODS,
    DISPOSAL_TRANSITIONS,
    RECORD_TRANSITIONS,
    DisposalMethod,
    DisposalStatus,
    RecordStatus,
    ensure_transition,
)
from .models import (
    DisposalItem,
    DisposalRequest,
    Record,
    RecordUserObjectPermission,
)
from .services import company_today

# --- Disposal --------------------------------------------------------------------


def _disposal_refusal(record: Record, today: date) -> str | None:
    """Why ``record`` may not be destroyed today, or None."""
    if record.legal_hold:
        return _("%(number)s is under legal hold.") % {"number": record.number}
    rule = record.retention_class.rule
    if rule.kind == retention.RetentionKind.PERMANENT:
        return _("%(number)s is kept permanently.") % {"number": record.number}
    if record.retention_until is None:
        return _(
            "%(number)s is retained until an event that has not been entered yet."
        ) % {"number": record.number}
    if record.retention_until > today:
        return _(
            "%(number)s is retained until %(date)s; it cannot be destroyed before."
        ) % {"number": record.number, "date": record.retention_until.isoformat()}
    return None


def _disposal_reference(today: date) -> str:
    seq = number_sequence_next(f"record-disposal:{today:%Y}")
    return f"XH-{today:%Y}-{seq:03d}"


@transaction.atomic
def disposal_request_create(
    *, user, records: Iterable[Record], method: str, reason: str = ""
) -> DisposalRequest:
    """Ask to destroy records past retention (records procedure: archive
    keepers destroy expired records; confidential ones are shredded)."""
    pks = sorted({r.pk for r in records})
    if not pks:
        raise ValidationError(_("Choose the records to destroy."))
    if method not in DisposalMethod.values:
        raise ValidationError({"method": _("Choose how the records are destroyed.")})
    locked = list(
        Record.objects.select_for_update()
        .filter(pk__in=pks)
        .select_related("retention_class", "form")
        .order_by("pk")
    )
    departments = {r.department_id for r in locked}
    if len(departments) != 1:
        raise ValidationError(
            _("A disposal request covers the records of one department.")
        )
    department = locked[0].department
    permissions.ensure(permissions.can_request_disposal(user, department))
    today = company_today()
    problems = []
    for record in locked:
        if not permissions.can_view(
            user, record
        ) and not permissions.is_records_controller(user):
            raise PermissionDenied
        if record.status != RecordStatus.ACTIVE:
            problems.append(
                _("%(number)s is already destroyed or in a disposal request.")
                % {"number": record.number}
            )
            continue
        refusal = _disposal_refusal(record, today)
        if refusal:
            problems.append(refusal)
    if problems:
        raise ValidationError(problems)
    if method not in CONFIDENTIAL_METHODS and any(r.confidential for r in locked):
        raise ValidationError(
            {
                "method": _(
                    "Confidential records must be shredded or securely erased, "
                    "never recycled."
                )
            }
        )
    request = DisposalRequest.objects.create(
        reference=_disposal_reference(today),
        department=department,
        method=method,
        reason=(reason or "")[:500],
        requested_by=user,
    )
    for record in locked:
        ensure_transition(
            RECORD_TRANSITIONS,
            record.status,
            RecordStatus.DISPOSAL_PENDING,
            label=_("Record"),
        )
        DisposalItem.objects.create(
            request=request,
            record=record,
            number=record.number,
            form_number=record.form.number or "",
            record_date=record.record_date,
            retention_until=record.retention_until,
            confidential=record.confidential,
        )
    Record.objects.filter(pk__in=pks).update(status=RecordStatus.DISPOSAL_PENDING)
    search_index.records_changed(pks)
    log(
        instance=request,
        action="shoukong.records.disposal_request",
        user=user,
        data={"reference": request.reference, "records": len(locked), "method": method},
    )
    return request


@transaction.atomic
def disposal_request_approve(*, user, request: DisposalRequest) -> DisposalRequest:
    """First the department head, then document control (a different person)."""
    request = DisposalRequest.objects.select_for_update().get(pk=request.pk)
    now = timezone.now()
    if request.status == DisposalStatus.REQUESTED:
        permissions.ensure(is_department_head(user, request.department))
        target = DisposalStatus.HEAD_APPROVED
        request.head_approved_by, request.head_approved_at = user, now
    elif request.status == DisposalStatus.HEAD_APPROVED:
        permissions.ensure(permissions.is_records_controller(user))
        if request.head_approved_by_id == user.pk:
            raise PermissionDenied(
                _("The second approval must come from someone else.")
            )
        target = DisposalStatus.APPROVED
        request.controller_approved_by, request.controller_approved_at = user, now
    else:
        target = DisposalStatus.APPROVED
    ensure_transition(
        DISPOSAL_TRANSITIONS, request.status, target, label=_("Disposal request")
    )
    request.status = target
    request.save()
    log(
        instance=request,
        action="shoukong.records.disposal_approve",
        user=user,
        data={"reference": request.reference, "status": target},
    )
    return request


def _release_records(request: DisposalRequest) -> None:
    pks = [item.record_id for item in request.items.all()]
    Record.objects.filter(pk__in=pks, status=RecordStatus.DISPOSAL_PENDING).update(
        status=RecordStatus.ACTIVE
    )
    search_index.records_changed(pks)


@transaction.atomic
def disposal_request_reject(
    *, user, request: DisposalRequest, reason: str
) -> DisposalRequest:
    """The department head or document control refuses; the records are kept."""
    request = DisposalRequest.objects.select_for_update().get(pk=request.pk)
    permissions.ensure(
        is_department_head(user, request.department)
        or permissions.is_records_controller(user)
    )
    ensure_transition(
        DISPOSAL_TRANSITIONS,
        request.status,
        DisposalStatus.REJECTED,
        label=_("Disposal request"),
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the request is rejected.")})
    request.status = DisposalStatus.REJECTED
    request.rejected_by = user
    request.rejection_reason = reason[:500]
    request.save()
    _release_records(request)
    log(
        instance=request,
        action="shoukong.records.disposal_reject",
        user=user,
        data={"reference": request.reference, "reason": reason[:500]},
    )
    return request


def _wipe(record: Record, request: DisposalRequest, now) -> str | None:
    """Keep the stub (number, form, dates, disposal reference); drop the content,
    the file, the corrections and the people named on it."""
    stored = record.file.name or None
    record.corrections.all().delete()
    RecordUserObjectPermission.objects.filter(content_object=record).delete()
    record.data = {}
    record.file = ""
    record.file_name = ""
    record.file_size = None
    record.file_content_type = ""
    record.retention_subject = ""
    record.status = RecordStatus.DESTROYED
    record.destroyed_at = now
    record.disposal = request
    record.save()
    return stored


@transaction.atomic
def disposal_execute(
    *,
    user,
    request: DisposalRequest,
    executed_on: date | None = None,
    witness=None,
    witness_name: str = "",
    note: str = "",
) -> DisposalRequest:
    """Destroy the approved records before a witness: their files are deleted
    from storage, their content wiped, a stub and this disposal record kept."""
    request = DisposalRequest.objects.select_for_update().get(pk=request.pk)
    permissions.ensure(permissions.can_execute_disposal(user, request.department))
    ensure_transition(
        DISPOSAL_TRANSITIONS,
        request.status,
        DisposalStatus.EXECUTED,
        label=_("Disposal request"),
    )
    today = company_today()
    executed_on = executed_on or today
    if executed_on > today:
        raise ValidationError({"executed_on": _("The date cannot be in the future.")})
    witness_name = (witness_name or "").strip()
    if witness is None and not witness_name:
        raise ValidationError({"witness": _("Name the witness of the destruction.")})
    if witness is not None and witness.pk == user.pk:
        raise ValidationError(
            {"witness": _("The witness must be someone other than the executor.")}
        )
    records = list(
        Record.objects.select_for_update()
        .filter(pk__in=request.items.values("record"))
        .select_related("retention_class")
        .order_by("pk")
    )
    problems = [r for r in (_disposal_refusal(x, executed_on) for x in records) if r]
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    for record in records:
        ensure_transition(
            RECORD_TRANSITIONS, record.status, RecordStatus.DESTROYED, label=_("Record")
        )
    request.executed_on = executed_on
    request.executor = user
    request.witness = witness
    request.witness_name = witness_name[:150] or (
        witness.get_full_name() or witness.get_username() if witness else ""
    )
    request.execution_note = (note or "")[:500]
    request.status = DisposalStatus.EXECUTED
    request.save()
    stored_files = []
    for record in records:
        stored = _wipe(record, request, now)
        if stored:
            stored_files.append((record.file.storage, stored))
        log(
            instance=record,
            action="shoukong.records.destroy",
            user=user,
            data={"number": record.number, "disposal": request.reference},
        )
    # Files go only once the wipe is committed: a rollback keeps them.
    for storage, name in stored_files:
        transaction.on_commit(lambda s=storage, n=name: s.delete(n), robust=True)
    log(
        instance=request,
        action="shoukong.records.disposal_execute",
        user=user,
        data={
            "reference": request.reference,
            "records": len(records),
            "method": request.method,
            "witness": request.witness_name,
        },
    )
    return request


def users_named_on(record: Record):
    """People given access to ``record`` by name."""
    return get_user_model().objects.filter(
        pk__in=RecordUserObjectPermission.objects.filter(
            content_object=record, permission__codename=permissions.VIEW_PERMISSION
        ).values("user")
    )

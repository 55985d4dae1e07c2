"""The only code that changes records (ISO/IEC 20000-1:2018 7.5.3; records
control procedure): filling, correcting (划改), retention events, legal holds,
access grants and disposal.

Every function is keyword-only, checks permission through
:mod:`records.permissions`, enforces the transition table of
:mod:`records.lifecycle` and leaves a Wagtail log entry. Refusals are
``PermissionDenied`` (not for you), ``InvalidTransition`` (not now) or
``ValidationError`` (bad input); nothing is half-written.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm
from wagtail.log_actions import log

from documents.lifecycle import DocumentKind, DocumentStatus
from documents.models import Department, DocumentPage
from documents.permissions import department_of
from documents.services import number_sequence_next

from . import files, numbering, permissions, retention
from .forms import ValuesInvalid, clean_values, field_spec, free_schema
from .models import (
    Correction,
    Record,
    RecordType,
    RetentionClass,
    RetentionTrigger,
)


def company_today() -> date:
    """Today in the company's time zone: the date record numbers carry."""
    return timezone.localdate(
        timezone=zoneinfo.ZoneInfo(settings.SHOUKONG_COMPANY_TIME_ZONE)
    )


def _display_name(user) -> str:
    if user is None:
        return ""
    return (user.get_full_name() or user.get_username())[:150]


# --- The records list (记录清单) ------------------------------------------------


def retention_class_for(rule: retention.RetentionRule) -> RetentionClass:
    """The retention class of a rule, created on first use."""
    lookup = {"kind": rule.kind, "months": rule.months, "event": rule.event}
    found = RetentionClass.objects.filter(**lookup).first()
    if found is not None:
        return found
    try:
        # A savepoint: a concurrent first use may create it at the same moment.
        with transaction.atomic():
            return RetentionClass.objects.create(
                name=_unique_class_name(retention.describe(rule)), **lookup
            )
    except IntegrityError:
        return RetentionClass.objects.get(**lookup)


def _unique_class_name(name: str) -> str:
    candidate, n = name, 2
    while RetentionClass.objects.filter(name=candidate).exists():
        candidate, n = f"{name} ({n})", n + 1
    return candidate


def retention_rule_of_form(form: DocumentPage) -> retention.RetentionRule:
    """The register's retention wording for ``form`` (保存期限), or the default
    when it is empty or cannot be read."""
    try:
        return retention.parse(form.retention_period)
    except retention.RetentionParseError:
        return retention.parse(settings.SHOUKONG_RECORDS_DEFAULT_RETENTION)


@transaction.atomic
def record_type_ensure(*, form: DocumentPage) -> RecordType:
    """The records-list entry of a form, taking the retention from the form's
    register wording the first time (3年, 永久, 离职后1年 …)."""
    existing = RecordType.objects.filter(form=form).first()
    if existing is not None:
        return existing
    retention_class = retention_class_for(retention_rule_of_form(form))
    try:
        # A savepoint: several people may fill a new form for the first time at once.
        with transaction.atomic():
            record_type = RecordType.objects.create(
                form=form,
                retention_class=retention_class,
                storage_location=form.storage_location,
            )
    except IntegrityError:
        return RecordType.objects.get(form=form)
    log(
        instance=record_type,
        action="shoukong.records.type_create",
        user=None,
        data={"form": form.number, "retention": record_type.retention_class.wording},
    )
    return record_type


@transaction.atomic
def record_type_update(
    *,
    user,
    record_type: RecordType,
    retention_class: RetentionClass,
    custodian: Department | None = None,
    confidential: bool = False,
    storage_location: str = "",
) -> RecordType:
    """行政部 keeps the records list. A new retention class applies to records
    filled from now on; records already kept keep the class they were filed
    under (one schedule per record, MoReq2010)."""
    permissions.ensure(permissions.can_manage_record_types(user))
    before = {
        "retention": record_type.retention_class.wording,
        "confidential": record_type.confidential,
    }
    record_type.retention_class = retention_class
    record_type.custodian = custodian
    record_type.confidential = confidential
    record_type.storage_location = storage_location
    record_type.save()
    log(
        instance=record_type,
        action="shoukong.records.type_update",
        user=user,
        data={
            "before": before,
            "after": {
                "retention": retention_class.wording,
                "confidential": confidential,
            },
        },
    )
    return record_type


# --- Filling ---------------------------------------------------------------------


def form_resolve(form: DocumentPage | str) -> DocumentPage:
    """A tier 4 form by number (any case or width of hyphen), or a clear error."""
    if isinstance(form, DocumentPage):
        page = form
    else:
        number = numbering.normalise(str(form or ""))
        page = DocumentPage.objects.filter(number=number).first()
        if page is None:
            raise ValidationError(
                {
                    "form": _("There is no form numbered “%(number)s”.")
                    % {"number": number}
                }
            )
    if page.kind != DocumentKind.FORM:
        raise ValidationError(
            {"form": _("%(number)s is not a form.") % {"number": page.number}}
        )
    return page


def _current_issue(form: DocumentPage):
    issue = form.issues.effective().first()
    if issue is None or form.status != DocumentStatus.CONTROLLED:
        raise ValidationError(
            {
                "form": _(
                    "Form %(number)s is not in force (no effective issue); it cannot "
                    "be filled."
                )
                % {"number": form.number}
            }
        )
    return issue


def _record_date(value: date | None) -> date:
    today = company_today()
    if value is None:
        return today
    if value > today + timedelta(days=settings.SHOUKONG_RECORD_MAX_DAYS_AHEAD):
        raise ValidationError(
            {
                "date": _("A record cannot be dated more than %(days)s days ahead.")
                % {"days": settings.SHOUKONG_RECORD_MAX_DAYS_AHEAD}
            }
        )
    return value


def record_lookup(number: str, *, user=None) -> Record:
    """A record by number, or ``Record.DoesNotExist`` — also when ``user`` may not
    open it, so its existence is not disclosed."""
    number = numbering.normalise(number)
    if not number or "/" in number or "\x00" in number:
        raise Record.DoesNotExist
    queryset = Record.objects.all()
    if user is not None:
        queryset = queryset.visible_to(user)
    return queryset.get(number=number)


def _source_record(related_to: Record | str, user) -> Record:
    try:
        if isinstance(related_to, Record):
            source = related_to
            if user is not None and not permissions.can_view(user, source):
                raise Record.DoesNotExist
        else:
            source = record_lookup(related_to, user=user)
    except Record.DoesNotExist:
        raise ValidationError(
            {
                "related_to": _("There is no record numbered “%(number)s”.")
                % {"number": numbering.normalise(str(related_to))}
            }
        ) from None
    if source.is_destroyed:
        raise ValidationError(
            {
                "related_to": _(
                    "Record %(number)s was destroyed; nothing can be related to it."
                )
                % {"number": source.number}
            }
        )
    return source


def _event_date(rule: retention.RetentionRule, subject: str) -> date | None:
    if rule.kind != retention.RetentionKind.EVENT:
        return None
    trigger = RetentionTrigger.objects.filter(event=rule.event, subject=subject).first()
    return trigger.occurred_on if trigger else None


def normalise_subject(subject: str) -> str:
    """One spelling per subject: words separated by one space."""
    return " ".join((subject or "").split())[:200]


@transaction.atomic
def record_create(
    *,
    user,
    form: DocumentPage | str,
    data: Mapping[str, Any] | None = None,
    record_date: date | None = None,
    related_to: Record | str | None = None,
    upload: tuple[bytes, str] | None = None,
    department: Department | None = None,
    retention_subject: str = "",
) -> Record:
    """Fill a form: the record is numbered, bound to the form's issue in force
    and kept unaltered from now on (ISO/IEC 20000-1:2018 7.5.3.1)."""
    if not permissions.can_fill(user):
        raise PermissionDenied
    form = form_resolve(form)
    department = department or department_of(user)
    if department is None:
        raise ValidationError(
            {"department": _("Records belong to a department; you have none.")}
        )
    permissions.ensure(permissions.can_fill(user, department))
    return _record_store(
        user=user,
        form=form,
        department=department,
        data=data,
        record_date=record_date,
        related_to=related_to,
        upload=upload,
        retention_subject=retention_subject,
    )


@transaction.atomic
def record_file(
    *,
    user,
    form: DocumentPage | str,
    department: Department,
    upload: tuple[bytes, str],
    record_date: date | None = None,
    source: str = "",
) -> Record:
    """File a document produced by another service (an audit report, meeting
    minutes) as a record of ``form``. The calling service has checked its own
    permission, so ``user`` need not be allowed to fill forms; everything else
    is as for an uploaded file: the form in force, its retention, the number,
    the file checked by its bytes and the log entry, which names ``source``.
    The file is the record: the form's fields are not asked for."""
    form = form_resolve(form)
    if not isinstance(department, Department):
        raise ValidationError(
            {"department": _("Records belong to a department; name it.")}
        )
    if upload is None:
        raise ValidationError({"file": _("Attach the record's file.")})
    return _record_store(
        user=user,
        form=form,
        department=department,
        data=None,
        record_date=record_date,
        related_to=None,
        upload=upload,
        retention_subject="",
        partial=True,
        source=source or "service",
    )


def _record_store(
    *,
    user,
    form: DocumentPage,
    department: Department,
    data: Mapping[str, Any] | None,
    record_date: date | None,
    related_to: Record | str | None,
    upload: tuple[bytes, str] | None,
    retention_subject: str,
    partial: bool = False,
    source: str | None = None,
) -> Record:
    """What filling and filing share once the caller's permission is checked:
    the issue in force, the records-list entry and its retention, the values,
    the file check, the number, the row and its log entry."""
    issue = _current_issue(form)
    record_type = record_type_ensure(form=form)
    record_date = _record_date(record_date)
    if data is not None and not isinstance(data, Mapping):
        raise ValidationError(_("The values must be an object."))
    try:
        schema = issue.form_schema or free_schema(dict(data or {}))
        values = clean_values(schema, dict(data or {}), partial=partial)
    except ValuesInvalid as exc:
        raise ValidationError(exc.errors) from None
    checked = None
    if upload is not None:
        content, filename = upload
        try:
            checked = files.check_upload(
                data=content,
                filename=filename,
                max_bytes=settings.SHOUKONG_RECORD_MAX_UPLOAD_BYTES,
            )
        except files.UploadRefused as exc:
            raise ValidationError({"file": str(exc)}) from None
    elif not any(v not in (None, "", []) for v in values.values()):
        raise ValidationError(
            {"file": _("Fill in the record's values or attach its scan or file.")}
        )
    rule = record_type.retention_class.rule
    subject = normalise_subject(retention_subject)
    if rule.kind == retention.RetentionKind.EVENT and not subject:
        raise ValidationError(
            {
                "retention_subject": _(
                    "Retention runs until %(wording)s: name the employee, equipment "
                    "or product it depends on."
                )
                % {"wording": retention.describe(rule)}
            }
        )
    event_on = _event_date(rule, subject)

    record = Record(
        form=form,
        form_issue=issue,
        record_date=record_date,
        department=department,
        confidential=record_type.confidential,
        schema=schema,
        data=values,
        retention_class=record_type.retention_class,
        retention_subject=subject,
        retention_event_on=event_on,
        retention_until=retention.end_date(rule, start=record_date, event_on=event_on),
        created_by=user,
        created_by_name=_display_name(user),
    )
    try:
        if related_to:
            source_record = _source_record(related_to, user)
            # Its number carries the source's: a confidential source keeps it so.
            record.confidential = record.confidential or source_record.confidential
            # Refuse a chain too deep or too long before a number is used up.
            numbering.format_related_number(
                form.number,
                source_record.number,
                1,
                depth=source_record.chain_depth + 1,
            )
            key = numbering.related_sequence_key(form.number, source_record.number)
            record.related_to = source_record
            record.chain_depth = source_record.chain_depth + 1
            record.related_ordinal = number_sequence_next(key)
            record.number = numbering.format_related_number(
                form.number,
                source_record.number,
                record.related_ordinal,
                depth=record.chain_depth,
            )
        else:
            key = numbering.day_sequence_key(form.number, record_date)
            record.day_seq = number_sequence_next(key)
            record.number = numbering.format_record_number(
                form.number, record_date, record.day_seq
            )
    except numbering.RecordNumberError as exc:
        raise ValidationError({"related_to": str(exc)}) from None

    stored_name = None
    if checked is not None:
        record.file.save(checked.filename, ContentFile(upload[0]), save=False)
        stored_name = record.file.name
        record.file_name = checked.filename
        record.file_size = checked.size
        record.file_sha256 = checked.sha256
        record.file_content_type = checked.content_type
    log_data = {
        "number": record.number,
        "form": form.number,
        "issue": issue.label,
        "related_to": record.related_to.number if record.related_to else None,
    }
    if source is not None:
        # Filed by another service (record_file), not filled by the user.
        log_data["source"] = source
    # The file is written before the row; if the row is not, the file goes too.
    try:
        record.save()
        log(
            instance=record,
            action="shoukong.records.create",
            user=user,
            data=log_data,
        )
    except Exception:
        if stored_name:
            record.file.storage.delete(stored_name)
        raise
    return record


# --- Corrections (划改) ------------------------------------------------------------


@transaction.atomic
def record_correct(
    *, user, record: Record, field: str, value: Any, reason: str
) -> Correction:
    """Correct one field by strike-through: the old value stays visible with the
    corrector's name, the time and the reason (records procedure: no
    arbitrary alteration)."""
    record = Record.objects.select_for_update().get(pk=record.pk)
    if not permissions.can_view(user, record):
        raise PermissionDenied
    permissions.ensure(permissions.can_correct(user, record))
    if record.is_destroyed:
        raise ValidationError(
            _("Record %(number)s was destroyed; it cannot be corrected.")
            % {"number": record.number}
        )
    if record.legal_hold:
        raise ValidationError(
            _("Record %(number)s is under legal hold; it cannot be corrected.")
            % {"number": record.number}
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the value is corrected.")})
    spec = field_spec(record.schema, field)
    if spec is None:
        # A field may also be named by its label (报告人 for ``bao_gao_ren``).
        spec = next((f for f in record.schema if f["label"] == field), None)
        field = spec["name"] if spec else field
    if spec is None:
        raise ValidationError(
            {"field": _("This form has no field named %(names)s.") % {"names": field}}
        )
    try:
        cleaned = clean_values(record.schema, {field: value}, partial=True)
    except ValuesInvalid as exc:
        raise ValidationError(exc.errors) from None
    new_value = cleaned[field]
    old_value = record.current_values().get(field)
    if new_value == old_value:
        raise ValidationError(
            {"value": _("The new value is the same as the current one.")}
        )
    correction = Correction.objects.create(
        record=record,
        field_name=field,
        field_label=spec["label"],
        old_value=old_value,
        new_value=new_value,
        reason=reason[:500],
        corrected_by=user,
        corrected_by_name=_display_name(user),
    )
    log(
        instance=record,
        action="shoukong.records.correct",
        user=user,
        data={"number": record.number, "field": field, "reason": reason[:500]},
    )
    return correction


# --- Retention events and holds --------------------------------------------------


@transaction.atomic
def retention_event_record(
    *, user, event: str, subject: str, occurred_on: date, note: str = ""
) -> RetentionTrigger:
    """Enter the event that starts event-based retention (an employee leaving,
    equipment scrapped, a product discontinued); every record waiting for it
    gets its end date."""
    permissions.ensure(permissions.can_record_event(user))
    if event not in retention.RetentionEvent.values:
        raise ValidationError({"event": _("Unknown event.")})
    subject = normalise_subject(subject)
    if not subject:
        raise ValidationError(
            {"subject": _("Name the employee, equipment or product.")}
        )
    if occurred_on > company_today():
        raise ValidationError({"occurred_on": _("The date cannot be in the future.")})
    existing = (
        RetentionTrigger.objects.select_for_update()
        .filter(event=event, subject=subject)
        .first()
    )
    if existing is not None:
        if existing.occurred_on == occurred_on:
            return existing
        raise ValidationError(
            _("This event was already entered for %(subject)s on %(date)s.")
            % {"subject": subject, "date": existing.occurred_on.isoformat()}
        )
    try:
        # A savepoint: the same event entered twice at once leaves one row.
        with transaction.atomic():
            trigger = RetentionTrigger.objects.create(
                event=event,
                subject=subject,
                occurred_on=occurred_on,
                note=(note or "")[:500],
                recorded_by=user,
            )
    except IntegrityError:
        existing = RetentionTrigger.objects.get(event=event, subject=subject)
        if existing.occurred_on == occurred_on:
            return existing
        raise ValidationError(
            _("This event was already entered for %(subject)s on %(date)s.")
            % {"subject": subject, "date": existing.occurred_on.isoformat()}
        ) from None
    waiting = Record.objects.kept().filter(
        retention_class__kind=retention.RetentionKind.EVENT,
        retention_class__event=event,
        retention_subject=subject,
    )
    updated = 0
    for retention_class in RetentionClass.objects.filter(
        pk__in=waiting.values("retention_class")
    ):
        until = retention.end_date(
            retention_class.rule, start=occurred_on, event_on=occurred_on
        )
        updated += waiting.filter(retention_class=retention_class).update(
            retention_event_on=occurred_on, retention_until=until
        )
    log(
        instance=trigger,
        action="shoukong.records.retention_event",
        user=user,
        data={
            "event": event,
            "subject": subject,
            "occurred_on": occurred_on.isoformat(),
            "records": updated,
        },
    )
    return trigger


@transaction.atomic
def record_hold_place(*, user, record: Record, reason: str) -> Record:
    """Legal hold: the record cannot be corrected or destroyed until released."""
    permissions.ensure(permissions.can_hold(user))
    record = Record.objects.select_for_update().get(pk=record.pk)
    if record.is_destroyed:
        raise ValidationError(_("A destroyed record cannot be held."))
    if record.legal_hold:
        raise ValidationError(_("The record is already under legal hold."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the record is held.")})
    record.legal_hold = True
    record.legal_hold_reason = reason[:500]
    record.save(update_fields=["legal_hold", "legal_hold_reason"])
    log(
        instance=record,
        action="shoukong.records.hold",
        user=user,
        data={"number": record.number, "reason": reason[:500]},
    )
    return record


@transaction.atomic
def record_hold_release(*, user, record: Record, reason: str) -> Record:
    permissions.ensure(permissions.can_hold(user))
    record = Record.objects.select_for_update().get(pk=record.pk)
    if not record.legal_hold:
        raise ValidationError(_("The record is not under legal hold."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the hold is lifted.")})
    record.legal_hold = False
    record.legal_hold_reason = ""
    record.save(update_fields=["legal_hold", "legal_hold_reason"])
    log(
        instance=record,
        action="shoukong.records.hold_release",
        user=user,
        data={"number": record.number, "reason": reason[:500]},
    )
    return record


# --- Access for named people -----------------------------------------------------


@transaction.atomic
def record_access_grant(*, user, record: Record, grantee) -> Record:
    """Name a person on a record: a reader of a confidential record, or a
    customer representative entitled to it by contract (records procedure)."""
    permissions.ensure(permissions.can_grant_access(user, record))
    if grantee is not None and grantee.pk == user.pk:
        # Nobody names themselves on a record they could not read before.
        permissions.ensure(permissions.can_view(user, record))
    if record.is_destroyed:
        raise ValidationError(_("A destroyed record cannot be shared."))
    if grantee is None or not grantee.is_active:
        raise ValidationError({"grantee": _("Choose an active user.")})
    assign_perm(f"records.{permissions.VIEW_PERMISSION}", grantee, record)
    log(
        instance=record,
        action="shoukong.records.access_grant",
        user=user,
        data={"number": record.number, "grantee": grantee.get_username()},
    )
    return record


@transaction.atomic
def record_access_revoke(*, user, record: Record, grantee) -> Record:
    permissions.ensure(permissions.can_grant_access(user, record))
    remove_perm(f"records.{permissions.VIEW_PERMISSION}", grantee, record)
    log(
        instance=record,
        action="shoukong.records.access_revoke",
        user=user,
        data={"number": record.number, "grantee": grantee.get_username()},
    )
    return record


# Disposal lives in records.disposal; its services are reached from here too.
from .disposal import (  # noqa: E402
    disposal_execute,
    disposal_request_approve,
    disposal_request_create,
    disposal_request_reject,
    users_named_on,
)

__all__ = [
    "company_today",
    "form_resolve",
    "normalise_subject",
    "record_access_grant",
    "record_access_revoke",
    "record_correct",
    "record_create",
    "record_file",
    "record_hold_place",
    "record_hold_release",
    "record_lookup",
    "record_type_ensure",
    "record_type_update",
    "retention_class_for",
    "retention_event_record",
    "retention_rule_of_form",
    "disposal_request_create",
    "disposal_request_approve",
    "disposal_request_reject",
    "disposal_execute",
    "users_named_on",
]

"""Filing the audit's records in the records register (internal audit
procedure: 行政部 archives the programme, the checklist, the meeting records
and the report; kept 3 years by their forms' retention).

Each kind is filed once, as a record of its form in
SHOUKONG_AUDIT_RECORD_FORMS, in the department SHOUKONG_AUDIT_RECORDS_DEPARTMENT,
through :func:`records.services.record_file` (the calling service has checked
its own permission). A kind whose form is missing or not in force is not filed:
the caller gets a warning naming it, and filing again later files what is
still missing. Each kind is filed in its own savepoint, so one refusal does
not undo the others.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from documents.models import Department
from records import filing

from . import reports
from .lifecycle import MeetingKind
from .models import (
    Audit,
    AuditProgramme,
    AuditRecordKind,
    AuditRecordLink,
    AuditReport,
)
from .services._common import log_action

__all__ = ["audit_records_file", "programme_record_file"]

# The audit's records filed when its report is approved, in this order.
AUDIT_KINDS = (
    AuditRecordKind.CHECKLIST,
    AuditRecordKind.OPENING,
    AuditRecordKind.CLOSING,
    AuditRecordKind.REPORT,
)


def _department() -> tuple[Department | None, str | None]:
    return filing.keeping_department(settings.SHOUKONG_AUDIT_RECORDS_DEPARTMENT)


def _file_one(
    *,
    user,
    kind: str,
    department: Department,
    owner: dict,
    revision: int,
    content: Callable[[], bytes],
    filename: str,
    record_date: date | None,
    source: str,
) -> tuple[str | None, str | None]:
    """File one kind in its own savepoint: (record number, warning)."""
    return filing.file_paper(
        user=user,
        label=str(AuditRecordKind(kind).label),
        form_number=settings.SHOUKONG_AUDIT_RECORD_FORMS.get(str(kind), ""),
        department=department,
        content=content,
        filename=filename,
        record_date=record_date,
        source=source,
        link=lambda record: AuditRecordLink.objects.create(
            revision=revision, kind=kind, record=record, **owner
        ),
    )


def _report_bytes(audit: Audit) -> bytes:
    report = AuditReport.objects.get(audit=audit)
    if not report.file:
        raise ValidationError(_("The approved report has no file."))
    with report.file.open("rb") as handle:
        return handle.read()


def audit_records_file(*, user, audit: Audit) -> list[str]:
    """File the checklist, the meeting records and the frozen report of an
    audit whose report is approved; returns a warning for each kind that could
    not be filed. Kinds filed already are left alone."""
    filed_kinds = set(
        AuditRecordLink.objects.filter(audit=audit).values_list("kind", flat=True)
    )
    wanted = [kind for kind in AUDIT_KINDS if kind not in filed_kinds]
    if not wanted:
        return []
    department, warning = _department()
    if department is None:
        return [warning]
    meetings = {m.kind: m for m in audit.meetings.all()}
    closing = meetings.get(MeetingKind.CLOSING)
    report = AuditReport.objects.filter(audit=audit).first()
    warnings: list[str] = []
    filed: dict[str, str] = {}
    for kind in wanted:
        if kind == AuditRecordKind.CHECKLIST:
            if not audit.items.exists():
                continue
            content = partial(reports.checklist_docx, audit)
            on = filing.local_date(closing.held_at) if closing else None
        elif kind in (AuditRecordKind.OPENING, AuditRecordKind.CLOSING):
            meeting = meetings.get(kind)
            if meeting is None:
                continue
            content = partial(reports.meeting_docx, meeting)
            on = filing.local_date(meeting.held_at)
        else:
            if report is None or report.approved_at is None:
                continue
            content = partial(_report_bytes, audit)
            on = None  # today, the day it is approved
        number, warning = _file_one(
            user=user,
            kind=kind,
            department=department,
            owner={"audit": audit},
            revision=0,
            content=content,
            filename=audit.number,
            record_date=on,
            source=audit.number,
        )
        if number:
            filed[str(kind)] = number
        if warning:
            warnings.append(warning)
    if filed:
        log_action(audit, "records_file", user, number=audit.number, records=filed)
    return warnings


def programme_record_file(*, user, programme: AuditProgramme) -> list[str]:
    """File the programme of its current revision (年度内部审核实施计划) once;
    a warning when its form is not in force."""
    kind = AuditRecordKind.PROGRAMME
    if AuditRecordLink.objects.filter(
        programme=programme, revision=programme.revision, kind=kind
    ).exists():
        return []
    department, warning = _department()
    if department is None:
        return [warning]
    source = f"{programme.year}/{programme.revision}"
    number, warning = _file_one(
        user=user,
        kind=kind,
        department=department,
        owner={"programme": programme},
        revision=programme.revision,
        content=partial(reports.programme_docx, programme),
        filename=f"{programme.year}-{programme.revision}",
        record_date=None,  # today, the day it is approved
        source=source,
    )
    if number:
        log_action(
            programme,
            "records_file",
            user,
            year=programme.year,
            revision=programme.revision,
            records={str(kind): number},
        )
    return [warning] if warning else []

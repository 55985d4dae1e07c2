"""Filing what other apps produce (audit reports, review minutes) as records of
their forms, through :func:`records.services.record_file`.

Each kind of paper is filed under a form named by a setting. A form that is
missing or not in force is not an error: the caller gets a warning naming the
paper and files it later. Each paper is filed in its own savepoint, so one
refusal does not undo the others, and a file written for a record that is
rolled back is deleted.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from documents.lifecycle import DocumentKind, DocumentStatus
from documents.models import Department, DocumentPage

from . import services as record_services
from .models import Record

__all__ = ["file_paper", "form_in_force", "keeping_department", "local_date"]


def local_date(moment: datetime | None) -> date | None:
    """The company's day of ``moment`` (None stays None)."""
    if moment is None:
        return None
    zone = zoneinfo.ZoneInfo(settings.SHOUKONG_COMPANY_TIME_ZONE)
    return moment.astimezone(zone).date()


def form_in_force(number: str, label: str) -> tuple[DocumentPage | None, str | None]:
    """The form numbered ``number`` that the paper ``label`` is filed under,
    or why it cannot be."""
    if not number:
        return None, _("%(kind)s: no form is set for it; it was not filed.") % {
            "kind": label
        }
    form = DocumentPage.objects.filter(number=number).first()
    if form is None or form.kind != DocumentKind.FORM:
        return None, _(
            "%(kind)s: there is no form %(number)s in the library; it was not filed."
        ) % {"kind": label, "number": number}
    if form.status != DocumentStatus.CONTROLLED or not form.issues.effective().exists():
        return None, _(
            "%(kind)s: form %(number)s is not in force; it was not filed."
        ) % {"kind": label, "number": number}
    return form, None


def keeping_department(name: str) -> tuple[Department | None, str | None]:
    """The active department ``name`` that keeps the records, or why not."""
    department = Department.objects.filter(name=name, is_active=True).first()
    if department is None:
        return None, _(
            "The department %(department)s that keeps these records does not "
            "exist; nothing was filed."
        ) % {"department": name}
    return department, None


def file_paper(
    *,
    user,
    label: str,
    form_number: str,
    department: Department,
    content: Callable[[], bytes],
    filename: str,
    record_date: date | None,
    source: str,
    link: Callable[[Record], object],
) -> tuple[str | None, str | None]:
    """File one paper in its own savepoint and ``link`` its record to what
    produced it: (record number, warning)."""
    form, warning = form_in_force(form_number, label)
    if form is None:
        return None, warning
    record = None
    try:
        with transaction.atomic():
            record = record_services.record_file(
                user=user,
                form=form,
                department=department,
                upload=(content(), f"{filename} {form.title}.docx"),
                record_date=record_date,
                source=source,
            )
            link(record)
    except BaseException as exc:
        # The row is rolled back with the savepoint; its file must go too.
        if record is not None and record.file:
            record.file.storage.delete(record.file.name)
        if not isinstance(exc, ValidationError):
            raise
        return None, _("%(kind)s was not filed: %(reason)s") % {
            "kind": label,
            "reason": "; ".join(exc.messages),
        }
    return record.number, None

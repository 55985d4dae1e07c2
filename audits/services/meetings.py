"""The opening and closing meetings (首次会议 / 末次会议) with attendance: the
opening meeting starts the fieldwork; the closing meeting ends it once every
item is answered and every finding written up."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.permissions import department_of

from .. import permissions
from ..lifecycle import FINDING_RESULTS, AuditStatus, ItemResult, MeetingKind
from ..models import Audit, AuditMeeting, MeetingAttendee
from ._common import display_name, log_action, required, text
from .audits import _move

A = AuditStatus


def _open_items(audit: Audit) -> tuple[list, list]:
    """(unanswered items, findings not written up)."""
    unanswered, unwritten = [], []
    for item in audit.items.select_related("clause", "nonconformity"):
        if item.result == ItemResult.PENDING:
            unanswered.append(item)
        elif item.result in FINDING_RESULTS and (
            item.nonconformity_id is None or item.nonconformity.status == "cancelled"
        ):
            unwritten.append(item)
    return unanswered, unwritten


def _label(items) -> str:
    shown = ", ".join(f"{i.clause.ref_id} #{i.position}" for i in items[:10])
    return shown + (" …" if len(items) > 10 else "")


@transaction.atomic
def meeting_record(
    *,
    user,
    audit: Audit,
    kind: str,
    held_at: datetime,
    attendees: Iterable = (),
    guests: Iterable[str] = (),
    location: str = "",
    notes: str = "",
    chaired_by=None,
) -> AuditMeeting:
    """Record a meeting with who attended (users, and guests by name)."""
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    permissions.ensure(permissions.can_conduct(user, audit))
    if kind not in MeetingKind.values:
        raise ValidationError(_("Unknown meeting."))
    if not isinstance(held_at, datetime):
        raise ValidationError(_("Give the meeting's date and time."))
    if not 2000 <= held_at.year <= 2100:
        raise ValidationError(_("The meeting's date must be between 2000 and 2100."))
    if timezone.is_naive(held_at):
        held_at = timezone.make_aware(held_at)
    if held_at > timezone.now() + timedelta(hours=1):
        raise ValidationError(_("A meeting is recorded after it is held."))
    attendees = list(attendees)
    guests = [required(g, _("A guest needs a name."), limit=150) for g in guests]
    if not attendees and not guests:
        raise ValidationError(_("Record who attended the meeting."))
    if kind == MeetingKind.OPENING:
        if audit.status != A.NOTIFIED:
            raise ValidationError(
                _(
                    "The opening meeting follows the notice to the "
                    "auditees; the audit is %(status)s."
                )
                % {"status": audit.get_status_display()}
            )
        unassigned = list(
            audit.items.filter(auditor__isnull=True).select_related("clause")
        )
        if unassigned:
            raise ValidationError(
                _("Assign an independent auditor to these items first: %(items)s")
                % {"items": _label(unassigned)}
            )
        target = A.IN_PROGRESS
    else:
        if audit.status != A.IN_PROGRESS:
            raise ValidationError(
                _("The closing meeting ends the fieldwork; the audit is %(status)s.")
                % {"status": audit.get_status_display()}
            )
        if not audit.items.exists():
            raise ValidationError(_("The checklist is empty: nothing was audited."))
        unanswered, unwritten = _open_items(audit)
        if unanswered:
            raise ValidationError(
                _("%(n)s checklist items are not answered yet: %(items)s")
                % {"n": len(unanswered), "items": _label(unanswered)}
            )
        if unwritten:
            raise ValidationError(
                _("Write up the findings of these items first: %(items)s")
                % {"items": _label(unwritten)}
            )
        opening = audit.meetings.filter(kind=MeetingKind.OPENING).first()
        if opening and held_at < opening.held_at:
            raise ValidationError(
                _("The closing meeting cannot be held before the opening meeting.")
            )
        target = A.COMPLETED
    _move(audit, target)
    audit.save(update_fields=["status"])
    try:
        with transaction.atomic():
            meeting = AuditMeeting.objects.create(
                audit=audit,
                kind=kind,
                held_at=held_at,
                location=text(location, limit=200),
                chaired_by=chaired_by or audit.leader,
                notes=text(notes),
                recorded_by=user,
                recorded_at=timezone.now(),
            )
    except IntegrityError:
        raise ValidationError(_("This meeting is recorded already.")) from None
    seen = set()
    rows = []
    for person in attendees:
        if person.pk in seen:
            continue
        seen.add(person.pk)
        department = department_of(person)
        rows.append(
            MeetingAttendee(
                meeting=meeting,
                user=person,
                name=display_name(person),
                department=department.name if department else "",
            )
        )
    rows += [MeetingAttendee(meeting=meeting, name=g) for g in guests]
    MeetingAttendee.objects.bulk_create(rows)
    log_action(
        audit,
        f"meeting_{kind}",
        user,
        number=audit.number,
        held_at=held_at.isoformat(),
        attendees=len(rows),
    )
    return meeting

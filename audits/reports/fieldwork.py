"""The fieldwork's records as .docx: 首次 / 末次会议记录 and 内审检查表."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from ..lifecycle import ItemResult, MeetingKind
from ..models import Audit, AuditMeeting, ChecklistItem
from ..services._common import display_name
from .writer import (
    DASH,
    Docx,
    audit_fields,
    audit_with_scope,
    clause_text,
    departments_text,
    names,
    team,
    when,
)


def meeting_docx(meeting: AuditMeeting) -> bytes:
    """首次会议记录 / 末次会议记录 with the attendance (签到) and the minutes."""
    with translation.override(settings.LANGUAGE_CODE):
        return _meeting_docx(meeting)


def _meeting_docx(meeting: AuditMeeting) -> bytes:
    meeting = (
        AuditMeeting.objects.select_related("chaired_by", "recorded_by")
        .prefetch_related("attendees")
        .get(pk=meeting.pk)
    )
    audit = audit_with_scope(meeting.audit)
    title = (
        _("Opening meeting record")
        if meeting.kind == MeetingKind.OPENING
        else _("Closing meeting record")
    )
    doc = Docx(f"{title} {audit.number}")
    doc.title(title)
    doc.fields(
        [
            *audit_fields(audit),
            (_("Audited departments"), departments_text(audit)),
            (_("Held at"), when(meeting.held_at)),
            (_("Location"), meeting.location or DASH),
            (_("Chaired by"), display_name(meeting.chaired_by) or DASH),
            (
                _("Recorded by"),
                f"{display_name(meeting.recorded_by)} {when(meeting.recorded_at)}",
            ),
        ]
    )
    doc.heading(_("Attendance"))
    attendees = list(meeting.attendees.all())
    doc.table(
        [_("No."), _("Name"), _("Department"), _("Signature")],
        [
            [str(n), a.name, a.department or (DASH if a.user_id else _("Guest")), ""]
            for n, a in enumerate(attendees, start=1)
        ],
        widths=(0.6, 2, 2, 2),
    )
    doc.heading(_("Minutes"))
    doc.text_block(meeting.notes)
    return doc.bytes()


# --- The checklist --------------------------------------------------------------------


def checklist_docx(audit: Audit) -> bytes:
    """内审检查表: every item with its clause, department, the documents in force
    when it was made, the question, the result, the evidence, the auditor and
    the finding raised from it."""
    with translation.override(settings.LANGUAGE_CODE):
        return _checklist_docx(audit)


def _documents_text(documents) -> str:
    lines = []
    for ref in documents or []:
        if not isinstance(ref, dict):
            continue
        parts = [
            ref.get("number") or "",
            ref.get("title") or "",
            ref.get("issue") or "",
        ]
        lines.append(" ".join(str(p) for p in parts if p))
    return "\n".join(lines)


def _checklist_docx(audit: Audit) -> bytes:
    audit = audit_with_scope(audit)
    title = _("Internal audit checklist")
    doc = Docx(f"{title} {audit.number}", landscape=True)
    doc.title(title)
    leaders, auditors = team(audit)
    doc.fields(
        [
            *audit_fields(audit),
            (_("Audited departments"), departments_text(audit)),
            (_("Audit team leader"), names(leaders)),
            (_("Internal auditors"), names(auditors)),
        ]
    )
    items = (
        ChecklistItem.objects.filter(audit=audit)
        .select_related("clause", "department", "auditor", "nonconformity")
        .order_by("position", "id")
    )
    labels = {r.value: force_str(r.label) for r in ItemResult}
    rows = (
        [
            str(item.position),
            clause_text(item.clause),
            item.department.name,
            _documents_text(item.documents),
            item.question,
            labels.get(item.result, item.result),
            item.evidence,
            display_name(item.auditor),
            item.nonconformity.number if item.nonconformity_id else "",
        ]
        for item in items.iterator(chunk_size=500)
    )
    doc.table(
        [
            _("No."),
            _("Clause"),
            _("Department"),
            _("Documents (issue)"),
            _("Question"),
            _("Result"),
            _("Evidence"),
            _("Auditor"),
            _("Finding"),
        ],
        rows,
        widths=(0.6, 2.2, 1.2, 2.6, 4, 1.2, 4, 1.2, 1.6),
        size=8,
    )
    return doc.bytes()

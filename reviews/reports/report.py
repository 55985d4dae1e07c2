"""管理评审报告 and 会议记录 as .docx."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from ..lifecycle import InputSection, ReviewStatus, SignatureDecision, SignedPaper
from ..models import Review, ReviewParticipant
from ..services._common import display_name
from .common import (
    DASH,
    Docx,
    attendees,
    chain_text,
    conclusions,
    day,
    outputs,
    outputs_table,
    period_text,
    review_fields,
    section_label,
    signature_table,
    when,
)
from .sections import pack_sections, section_title, write_section

__all__ = ["minutes_docx", "report_docx"]


def report_docx(review: Review) -> bytes:
    """管理评审报告: the review's head and who attended, each input of the
    latest pack with its numbers, charts, the departments' signed inputs and
    the discussion, the conclusions, the decided actions, the distribution
    and the report's signatures. Marked a draft until 总经理 approves it.

    ``review`` is used as given (the approving service freezes the report
    before it saves the review)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _report_docx(review)


def minutes_docx(review: Review) -> bytes:
    """会议记录: date, place, chair, the attendance with the 签到 times, the
    management representative's report, the discussion of each input, the
    conclusions and decisions, and who recorded them."""
    with translation.override(settings.LANGUAGE_CODE):
        return _minutes_docx(review)


def _status(doc: Docx, review: Review) -> None:
    revision = review.report_revision
    if review.status == ReviewStatus.COMPLETED and review.report_approved_at:
        last = (
            review.signatures.filter(
                paper=SignedPaper.REPORT,
                revision=revision,
                decision=SignatureDecision.SIGNED,
            )
            .order_by("-signed_at", "-id")
            .first()
        )
        doc.status_line(
            _("Approved by %(name)s on %(date)s (revision %(revision)s)")
            % {
                "name": last.signer_name if last else DASH,
                "date": day(review.report_approved_at),
                "revision": revision,
            },
            warning=False,
        )
    elif review.status == ReviewStatus.REPORTING:
        doc.status_line(_("AWAITING APPROVAL — not valid until approved"), warning=True)
    else:
        doc.status_line(_("DRAFT — not valid until approved"), warning=True)


def _pack_text(pack) -> str:
    if pack is None:
        return _("No input pack was compiled.")
    text = _("Version %(version)s, compiled on %(date)s by %(name)s") % {
        "version": pack.version,
        "date": day(pack.compiled_at),
        "name": display_name(pack.compiled_by),
    }
    if pack.confirmed_at:
        text += "\n" + _("Confirmed on %(date)s by %(name)s") % {
            "date": day(pack.confirmed_at),
            "name": display_name(pack.confirmed_by),
        }
    return text


def _report_docx(review: Review) -> bytes:
    title = _("Management review report")
    doc = Docx(f"{title} {review.number}")
    doc.title(title)
    _status(doc, review)
    pack = review.latest_pack()
    present = attendees(review)
    doc.fields(
        [
            *review_fields(review),
            (
                _("Attended"),
                "、".join(p.name for p in present) or DASH,
            ),
            (
                _("Period reviewed"),
                period_text(pack.period_start, pack.period_end)
                if pack
                else period_text(review.period_start, review.period_end),
            ),
            (_("Input pack"), _pack_text(pack)),
            (_("Report revision"), str(review.report_revision)),
        ]
    )

    discussions = {d.section: d.notes for d in review.discussions.all()}
    items = outputs(review)
    decided = defaultdict(list)
    for output in items:
        if output.section:
            decided[output.section].append(f"{output.reference} {output.description}")

    doc.heading("1 " + _("Inputs reviewed"))
    sections = pack_sections(pack.data if pack else None)
    written = set()
    number = 0
    for section in sections:
        code = str(section.get("code") or "")
        number += 1
        written.add(code)
        write_section(
            doc,
            section,
            heading=f"1.{number} {section_title(section)}",
            discussion=discussions.get(code),
            decisions=decided.get(code, ()),
        )
    # Discussed, or decided on, without a section in the pack.
    for code in InputSection.values:
        if code in written or (code not in discussions and code not in decided):
            continue
        number += 1
        write_section(
            doc,
            {"code": code},
            heading=f"1.{number} {section_label(code)}",
            discussion=discussions.get(code),
            decisions=decided.get(code, ()),
        )
    if not number:
        doc.paragraph(_("No input was reviewed."))

    doc.heading("2 " + _("Management representative's report"))
    doc.text_block(review.mr_report)
    doc.heading("3 " + _("Conclusions"))
    conclusions(doc, review)
    doc.heading("4 " + _("Decisions and actions"))
    outputs_table(doc, items)
    doc.heading("5 " + _("Distribution"))
    doc.paragraph(
        "、".join(d.name for d in review.distribution.order_by("sort_order", "name"))
        or DASH
    )
    doc.heading("6 " + _("Signatures"))
    doc.paragraph(chain_text(SignedPaper.REPORT))
    signature_table(doc, review, SignedPaper.REPORT, review.report_revision)
    return doc.bytes()


# --- The minutes ----------------------------------------------------------------------


def _participants(review: Review) -> list[ReviewParticipant]:
    return list(
        review.participants.select_related("department").order_by("-invited", "id")
    )


def _minutes_docx(review: Review) -> bytes:
    title = _("Management review meeting minutes")
    doc = Docx(f"{title} {review.number}")
    doc.title(title)
    if not review.held_on:
        doc.status_line(_("The meeting has not been held yet."), warning=True)
    doc.fields(
        [
            *review_fields(review),
            (_("Period reviewed"), period_text(review.period_start, review.period_end)),
            (
                _("Recorded by"),
                display_name(review.minutes_recorded_by) or DASH,
            ),
        ]
    )

    doc.heading(_("Attendance"))
    participants = _participants(review)
    if participants:
        doc.table(
            [
                _("No."),
                _("Name"),
                _("Department"),
                _("Duty at the meeting"),
                _("Attended"),
                _("Signed in at"),
            ],
            [
                [
                    str(n),
                    p.name,
                    p.department.name if p.department_id else DASH,
                    p.duty or ("" if p.invited else _("Guest")),
                    _("Present") if p.attended else _("Absent"),
                    when(p.signed_in_at) if p.attended else "",
                ]
                for n, p in enumerate(participants, start=1)
            ],
            widths=(0.6, 1.6, 1.6, 1.8, 1, 1.8),
        )
    else:
        doc.paragraph(_("No participant."))

    doc.heading(_("Management representative's report"))
    doc.text_block(review.mr_report)

    doc.heading(_("Discussion"))
    discussions = {d.section: d.notes for d in review.discussions.all()}
    pack = review.latest_pack()
    titles = {
        str(s.get("code")): section_title(s)
        for s in pack_sections(pack.data if pack else None)
    }
    if discussions:
        for code in InputSection.values:
            if code in discussions:
                doc.heading(titles.get(code) or section_label(code), level=2)
                doc.text_block(discussions[code])
    else:
        doc.paragraph(DASH)

    doc.heading(_("Conclusions"))
    conclusions(doc, review)
    doc.heading(_("Decisions and actions"))
    outputs_table(doc, outputs(review))

    doc.heading(_("Recorded by"))
    doc.fields(
        [
            (_("Recorded by"), display_name(review.minutes_recorded_by) or DASH),
            (_("Held on"), review.held_on.isoformat() if review.held_on else DASH),
        ]
    )
    return doc.bytes()

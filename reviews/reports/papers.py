"""管理评审计划, 管理评审输入资料 and 管理评审改进计划 as .docx."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ..lifecycle import ReviewStatus, SignedPaper
from ..models import Review, ReviewPack
from ..services._common import display_name
from .common import (
    DASH,
    Docx,
    chain_text,
    day,
    kind_text,
    label_of,
    outputs,
    outputs_table,
    period_text,
    review_fields,
    section_label,
    signature_table,
    when,
)
from .sections import pack_sections, section_title, write_section

__all__ = ["actions_docx", "inputs_docx", "plan_docx"]


# --- The plan -------------------------------------------------------------------------


def plan_docx(review: Review) -> bytes:
    """管理评审计划: purpose, criteria, agenda, the material to provide, the
    participants, which department provides which input by when, and the
    plan's signatures of its current revision."""
    with translation.override(settings.LANGUAGE_CODE):
        return _plan_docx(review)


_PLAN_APPROVED = (
    ReviewStatus.APPROVED,
    ReviewStatus.HELD,
    ReviewStatus.REPORTING,
    ReviewStatus.COMPLETED,
)


def _plan_docx(review: Review) -> bytes:
    title = _("Management review plan")
    doc = Docx(f"{title} {review.number}")
    doc.title(title)
    if review.status in _PLAN_APPROVED and review.plan_approved_at:
        doc.status_line(
            _("Approved on %(date)s (revision %(revision)s)")
            % {"date": day(review.plan_approved_at), "revision": review.plan_revision},
            warning=False,
        )
    else:
        doc.status_line(
            _("%(status)s — not valid until approved (revision %(revision)s)")
            % {
                "status": review.get_status_display(),
                "revision": review.plan_revision,
            },
            warning=True,
        )
    fields = review_fields(review)
    if review.trigger_note:
        fields.insert(3, (_("What happened"), review.trigger_note))
    doc.fields(
        [
            *fields,
            (_("Period reviewed"), period_text(review.period_start, review.period_end)),
            (_("Prepared by"), display_name(review.prepared_by)),
        ]
    )
    for heading, value in (
        (_("Purpose"), review.purpose),
        (_("Criteria"), review.criteria),
        (_("Agenda"), review.agenda),
        (_("Material to provide"), review.materials),
    ):
        doc.heading(heading)
        doc.text_block(value)

    doc.heading(_("Participants"))
    participants = list(
        review.participants.filter(invited=True)
        .select_related("department")
        .order_by("id")
    )
    if participants:
        doc.table(
            [_("No."), _("Name"), _("Department"), _("Duty at the meeting")],
            [
                [
                    str(n),
                    p.name,
                    p.department.name if p.department_id else DASH,
                    p.duty or DASH,
                ]
                for n, p in enumerate(participants, start=1)
            ],
            widths=(0.6, 2, 2, 3),
        )
    else:
        doc.paragraph(_("No participant."))

    doc.heading(_("Inputs and who provides them"))
    assignments = list(review.assignments.select_related("department").order_by("id"))
    if assignments:
        doc.table(
            [_("Input"), _("Department"), _("Due date")],
            [
                [
                    section_label(a.section),
                    a.department.name,
                    a.due_date.isoformat() if a.due_date else DASH,
                ]
                for a in assignments
            ],
            widths=(4, 2, 1.5),
        )
    else:
        doc.paragraph(_("No input is assigned."))

    doc.heading(_("Signatures"))
    doc.paragraph(chain_text(SignedPaper.PLAN))
    signature_table(doc, review, SignedPaper.PLAN, review.plan_revision)
    return doc.bytes()


# --- The input material ---------------------------------------------------------------


def inputs_docx(review: Review, pack: ReviewPack) -> bytes:
    """管理评审输入资料: one version of the pack, section by section, with who
    compiled and who confirmed it."""
    with translation.override(settings.LANGUAGE_CODE):
        return _inputs_docx(review, pack)


def _inputs_docx(review: Review, pack: ReviewPack) -> bytes:
    title = _("Management review input material")
    doc = Docx(f"{title} {review.number}")
    doc.title(title)
    if pack.confirmed_at:
        doc.status_line(
            _("Confirmed by %(name)s on %(date)s (version %(version)s)")
            % {
                "name": display_name(pack.confirmed_by),
                "date": day(pack.confirmed_at),
                "version": pack.version,
            },
            warning=False,
        )
    else:
        doc.status_line(
            _("NOT CONFIRMED — version %(version)s") % {"version": pack.version},
            warning=True,
        )
    doc.fields(
        [
            (_("Review number"), review.number),
            (_("Title"), review.title),
            (_("Kind"), kind_text(review)),
            (_("Period reviewed"), period_text(pack.period_start, pack.period_end)),
            (_("Version"), str(pack.version)),
            (
                _("Compiled by"),
                f"{display_name(pack.compiled_by)} {when(pack.compiled_at)}",
            ),
            (
                _("Confirmed by"),
                f"{display_name(pack.confirmed_by)} {when(pack.confirmed_at)}"
                if pack.confirmed_at
                else DASH,
            ),
        ]
    )
    sections = pack_sections(pack.data)
    for number, section in enumerate(sections, start=1):
        write_section(doc, section, heading=f"{number} {section_title(section)}")
    if not sections:
        doc.paragraph(_("The pack has no sections."))
    return doc.bytes()


# --- The improvement plan -------------------------------------------------------------


def actions_docx(review: Review) -> bytes:
    """管理评审改进计划: every decided action with its owner, due date and
    where it stands."""
    with translation.override(settings.LANGUAGE_CODE):
        return _actions_docx(review)


def _actions_docx(review: Review) -> bytes:
    title = _("Management review improvement plan")
    doc = Docx(f"{title} {review.number}", landscape=True)
    doc.title(title)
    doc.fields(
        [
            (_("Review number"), review.number),
            (_("Title"), review.title),
            (_("Held on"), review.held_on.isoformat() if review.held_on else DASH),
            (_("Status"), label_of(ReviewStatus, review.status)),
        ]
    )
    items = outputs(review)
    doc.heading(_("Actions"))
    outputs_table(doc, items)
    done = [o for o in items if o.completed_on or o.completion_note]
    if done:
        doc.heading(_("What was done"))
        doc.table(
            [
                pgettext("review output", "Reference"),
                _("Completed on"),
                _("What was done"),
                _("Verification"),
            ],
            [
                [
                    o.reference,
                    o.completed_on.isoformat() if o.completed_on else DASH,
                    o.completion_note or DASH,
                    o.verification_note or DASH,
                ]
                for o in done
            ],
            widths=(1.5, 1.2, 4, 3),
            size=8,
        )
    return doc.bytes()

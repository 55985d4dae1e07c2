"""What the review documents share: the head of each document, the people,
the signature manifestation, the outputs table and the pictures. The writer
itself (company fonts, East Asian font, fast tables, text a .docx can carry)
is the audits' one."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from audits.reports.writer import DASH, Docx, clean, day, when

from ..lifecycle import (
    InputSection,
    OutputCategory,
    OutputKind,
    SignatureDecision,
    Verdict,
)
from ..models import Review, ReviewOutput, ReviewSignature
from ..services._common import (
    chain_steps,
    company_today,
    display_name,
    step_label,
)
from ..tracking import output_state

__all__ = [
    "DASH",
    "Docx",
    "attendees",
    "clean",
    "conclusions",
    "day",
    "kind_text",
    "label_of",
    "moment_text",
    "number_text",
    "output_headings",
    "output_rows",
    "outputs",
    "outputs_table",
    "period_text",
    "picture",
    "review_fields",
    "section_label",
    "signature_table",
    "verdict_text",
    "when",
]

# A chart's width on the page: A4 portrait less the margins is 17 cm.
PICTURE_WIDTH_CM = 16.0


def label_of(choices, value: Any) -> str:
    """The label of ``value`` in a TextChoices class, or the value itself."""
    if value in (None, ""):
        return ""
    try:
        return force_str(choices(value).label)
    except ValueError:
        return force_str(value)


def section_label(code: str) -> str:
    return label_of(InputSection, code)


def verdict_text(value: str) -> str:
    return label_of(Verdict, value) or DASH


def number_text(value: Any, unit: str = "") -> str:
    """A number of the pack (Decimals are strings there) without trailing
    zeros, with its unit; a dash when there is none."""
    if value is None or value == "":
        return DASH
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return force_str(value)
    if not number.is_finite():
        return force_str(value)
    text = f"{number.normalize():f}"
    return f"{text}{unit or ''}"


def moment_text(value: Any) -> str:
    """A date or moment of the pack (ISO text) as the documents write it."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime):
        return when(value) if value.tzinfo else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    text = force_str(value)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if len(text) <= 10:
        return moment.date().isoformat()
    return when(moment) if moment.tzinfo else moment.strftime("%Y-%m-%d %H:%M")


def picture(doc: Docx, png: bytes, caption: str = "") -> None:
    """A chart, the page's width, with a caption under it."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    doc.document.add_picture(io.BytesIO(png), width=Cm(PICTURE_WIDTH_CM))
    doc.document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    if caption:
        paragraph = doc.paragraph(caption)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


# --- The review -----------------------------------------------------------------------


def kind_text(review: Review) -> str:
    kind = force_str(review.get_kind_display())
    if review.trigger:
        kind = f"{kind}: {review.get_trigger_display()}"
    return kind


def period_text(start: Any, end: Any) -> str:
    return _("%(start)s to %(end)s") % {
        "start": moment_text(start) or DASH,
        "end": moment_text(end) or DASH,
    }


def attendees(review: Review) -> list:
    return list(
        review.participants.filter(attended=True)
        .select_related("department")
        .order_by("signed_in_at", "id")
    )


def review_fields(review: Review, *, meeting: bool = True) -> list[tuple[str, str]]:
    """Number, title, kind, meeting date, place, chair: the head of every
    review document."""
    fields = [
        (_("Review number"), review.number),
        (_("Title"), review.title),
        (_("Kind"), kind_text(review)),
    ]
    if meeting:
        if review.held_on:
            fields.append((_("Held on"), review.held_on.isoformat()))
        else:
            fields.append(
                (
                    _("Meeting date"),
                    _("%(date)s (planned)") % {"date": review.planned_date.isoformat()},
                )
            )
        fields += [
            (_("Place"), review.location or DASH),
            (_("Chair"), display_name(review.chair) or DASH),
        ]
    return fields


# --- Signatures -----------------------------------------------------------------------


def chain_text(paper: str) -> str:
    """The steps ``paper`` is signed along, in order, with their roles."""
    return _("Chain: %(steps)s") % {
        "steps": " → ".join(
            f"{step_label(s.code)} ({s.role})" for s in chain_steps(paper)
        )
    }


def _meaning(signature: ReviewSignature) -> str:
    """What the signature means (21 CFR 11.50: the meaning of the signing)."""
    if signature.decision == SignatureDecision.RETURNED:
        return force_str(SignatureDecision.RETURNED.label)
    return {
        "review": _("Reviewed"),
        "approve": _("Approved"),
        "prepare": _("Prepared"),
    }.get(signature.step, signature.step)


def signature_table(doc: Docx, review: Review, paper: str, revision: int) -> None:
    """The signatures of ``paper`` at ``revision``: printed name, role, what
    the signature means and when it was given."""
    signatures = list(
        review.signatures.filter(paper=paper, revision=revision).order_by(
            "signed_at", "id"
        )
    )
    if not signatures:
        doc.paragraph(_("Not signed yet."))
        return
    doc.table(
        [_("Name"), _("Role"), _("Meaning"), _("Signed at"), _("Comment")],
        [
            [s.signer_name, s.role, _meaning(s), when(s.signed_at), s.comment]
            for s in signatures
        ],
        widths=(1.5, 1.5, 1.2, 1.8, 3.5),
    )


# --- Outputs --------------------------------------------------------------------------


def outputs(review: Review) -> list[ReviewOutput]:
    return list(
        review.outputs.select_related(
            "review",
            "owner",
            "department",
            "coordinator",
            "document",
            "nonconformity",
            "change_request",
        ).order_by("seq")
    )


def output_rows(items: Sequence[ReviewOutput], *, today: date | None = None) -> list:
    """Reference, decision, kind, owner, department, due date, status."""
    today = today or company_today()
    rows = []
    for output in items:
        state = output_state(output, today=today)
        status = state.label
        if state.overdue:
            status = _("%(status)s (overdue)") % {"status": status}
        kind = label_of(OutputKind, output.kind)
        if output.category:
            kind = f"{kind}\n{label_of(OutputCategory, output.category)}"
        rows.append(
            [
                output.reference,
                output.description,
                kind,
                display_name(output.owner),
                output.department.name if output.department_id else DASH,
                output.due_date.isoformat() if output.due_date else DASH,
                status,
            ]
        )
    return rows


def output_headings() -> list[str]:
    return [
        pgettext("review output", "Reference"),
        pgettext("review output", "Decision"),
        _("Kind"),
        _("Owner"),
        _("Department"),
        _("Due date"),
        _("Status"),
    ]


OUTPUT_WIDTHS = (1.8, 4, 1.4, 1.2, 1.2, 1.3, 1.8)


def outputs_table(doc: Docx, items: Sequence[ReviewOutput]) -> None:
    if items:
        doc.table(output_headings(), output_rows(items), widths=OUTPUT_WIDTHS, size=8)
    else:
        doc.paragraph(_("No output was decided."))


def conclusions(doc: Docx, review: Review) -> None:
    """The verdicts on suitability, adequacy and effectiveness, then the
    conclusions a) to c) and 总经理's overall evaluation."""
    doc.fields(
        [
            (_("Suitability"), verdict_text(review.suitability)),
            (_("Adequacy"), verdict_text(review.adequacy)),
            (_("Effectiveness"), verdict_text(review.effectiveness)),
        ]
    )
    for label, value in (
        (_("The system, policy and objectives"), review.conclusion_system),
        (_("Suppliers, security and service quality"), review.conclusion_service),
        (_("Resources"), review.conclusion_resources),
        (_("General manager's overall evaluation"), review.evaluation),
    ):
        doc.paragraph(label, bold=True)
        doc.text_block(value)

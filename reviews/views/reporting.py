"""The report page (管理评审报告): after the meeting a preview of the report
with its distribution list and the submission; the signatures along
SHOUKONG_MGMT_REVIEW_REPORT_CHAIN; once approved, who signed, the frozen downloads
and the filed records. The report and the minutes as .docx: frozen once
approved, a draft before that."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from audits.reports import DOCX_CONTENT_TYPE
from records.models import Record
from records.permissions import visible_records_filter

from .. import permissions, reports, services
from ..lifecycle import (
    InputSection,
    InvalidTransition,
    ReviewRecordKind,
    ReviewStatus,
    SignatureDecision,
    SignedPaper,
)
from ..meeting_forms import DistributionForm, SignForm
from ..models import Review
from ..tracking import output_state
from .common import error_text, reviews_staff, visible_review

S = ReviewStatus
REFUSALS = (ValidationError, InvalidTransition)
# The report is written from these; before them there is nothing to download.
WRITTEN = (S.HELD, S.REPORTING, S.COMPLETED)
# Filed when the report is approved (the plan and the inputs are filed earlier).
FILED_ON_APPROVAL = (ReviewRecordKind.REPORT, ReviewRecordKind.MINUTES)
REPORT_NAME = "管理评审报告"
MINUTES_NAME = "管理评审会议记录"


def _url(review: Review) -> str:
    return reverse("reviews:report", kwargs={"number": review.number})


# --- The preview --------------------------------------------------------------------


def _count(summary: dict, key: str) -> Any:
    value = summary.get(key)
    return 0 if value is None else value


def _summary_lines(code: str, summary: dict, section: dict) -> list[str]:
    """What a section of the pack says, in a sentence or two."""
    n = _count
    lines: list[str] = []
    if code == InputSection.PREVIOUS_ACTIONS:
        lines.append(
            _(
                "%(total)s actions from earlier reviews: %(open)s open "
                "(%(overdue)s overdue), %(closed)s closed."
            )
            % {k: n(summary, k) for k in ("total", "open", "overdue", "closed")}
        )
    elif code in (InputSection.OBJECTIVES, InputSection.PERFORMANCE):
        lines.append(
            _(
                "%(met)s of %(total)s met, %(not_met)s not met, %(unmeasured)s "
                "not measured."
            )
            % {k: n(summary, k) for k in ("met", "total", "not_met", "unmeasured")}
        )
    elif code == InputSection.AUDITS:
        lines.append(
            _(
                "%(audits)s audits, %(completed)s completed; %(findings)s "
                "findings, %(open_findings)s still open."
            )
            % {
                k: n(summary, k)
                for k in ("audits", "completed", "findings", "open_findings")
            }
        )
    elif code == InputSection.NONCONFORMITIES:
        lines.append(
            _(
                "%(open)s open, %(overdue)s overdue; %(raised)s raised and "
                "%(closed)s closed in the period."
            )
            % {
                "open": n(summary, "open"),
                "overdue": n(summary, "overdue"),
                "raised": n(summary, "raised_in_period"),
                "closed": n(summary, "closed_in_period"),
            }
        )
        by_status = summary.get("by_status_label") or {}
        if by_status:
            lines.append(
                "、".join(f"{label} {count}" for label, count in by_status.items())
            )
    elif code == InputSection.DOCUMENTS:
        lines.append(
            _(
                "%(issued)s issued in the period; %(reviews)s reviews and "
                "%(recalls)s recalls overdue; %(changes)s change requests open."
            )
            % {
                "issued": n(summary, "issued_in_period"),
                "reviews": n(summary, "reviews_overdue"),
                "recalls": n(summary, "recalls_overdue"),
                "changes": n(summary, "open_change_requests"),
            }
        )
    elif code == InputSection.RECORDS:
        lines.append(
            _("%(count)s records past their retention.")
            % {"count": n(summary, "past_retention")}
        )
    inputs = section.get("inputs") or []
    if inputs:
        lines.append(
            _("Signed inputs from: %(departments)s.")
            % {"departments": "、".join(str(i.get("department", "")) for i in inputs)}
        )
    missing = section.get("missing") or []
    if missing:
        lines.append(
            _("No signed input from: %(departments)s.")
            % {"departments": "、".join(str(m) for m in missing)}
        )
    return lines


def _objective_rows(section: dict) -> list[dict[str, Any]]:
    return [
        {
            "name": row.get("name", ""),
            "target": row.get("target_label", ""),
            "latest": row.get("latest"),
            "unit": row.get("unit", ""),
            "period": row.get("latest_period", ""),
            "met": row.get("met"),
        }
        for row in section.get("rows") or []
        if isinstance(row, dict)
    ]


def preview_sections(review: Review) -> list[dict[str, Any]]:
    """The pack's sections as the report summarises them, with the notes
    taken on each at the meeting."""
    pack = review.latest_pack()
    notes = dict(review.discussions.values_list("section", "notes"))
    known = set(InputSection.values)
    found = []
    sections = (pack.data or {}).get("sections", []) if pack is not None else []
    for section in sections:
        code = section.get("code")
        if code not in known:
            continue
        summary = section.get("summary") or {}
        found.append(
            {
                "code": code,
                "title": InputSection(code).label,
                "lines": _summary_lines(code, summary, section),
                "objectives": _objective_rows(section)
                if code in (InputSection.OBJECTIVES, InputSection.PERFORMANCE)
                else [],
                "notes": notes.pop(code, ""),
            }
        )
    for code, label in InputSection.choices:
        if code in notes:
            found.append(
                {
                    "code": code,
                    "title": label,
                    "lines": [],
                    "objectives": [],
                    "notes": notes[code],
                }
            )
    return found


def _verdicts(review: Review) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "label": review._meta.get_field(name).verbose_name,
            "value": getattr(review, name),
            "display": getattr(review, f"get_{name}_display")(),
        }
        for name in ("suitability", "adequacy", "effectiveness")
    ]


def _outputs(review: Review, today) -> list[dict[str, Any]]:
    outputs = review.outputs.select_related(
        "owner", "department", "nonconformity", "change_request", "document"
    ).order_by("seq")
    return [{"output": o, "state": output_state(o, today=today)} for o in outputs]


# --- Signatures, records ------------------------------------------------------------


def _chain(review: Review) -> list[dict[str, Any]]:
    """The report chain's steps with the signature of each in the current
    revision."""
    signed = {
        s.step: s
        for s in review.signatures.filter(
            paper=SignedPaper.REPORT,
            revision=review.report_revision,
            decision=SignatureDecision.SIGNED,
        ).select_related("user")
    }
    current = services.current_step(review, SignedPaper.REPORT)
    return [
        {
            "code": step.code,
            "role": step.role,
            "signature": signed.get(step.code),
            "current": current is not None and current.code == step.code,
        }
        for step in services.chain_steps(SignedPaper.REPORT)
    ]


def _filing_warnings(review: Review, links: list) -> list[str]:
    if review.status != S.COMPLETED:
        return []
    filed = {link.kind for link in links}
    forms = getattr(settings, "SHOUKONG_MGMT_REVIEW_RECORD_FORMS", {})
    return [
        _(
            "The %(kind)s is not filed in the records register (form %(form)s): "
            "file it by hand or ask 行政部 to check the records list."
        )
        % {"kind": ReviewRecordKind(kind).label, "form": forms.get(kind) or "—"}
        for kind in FILED_ON_APPROVAL
        if kind not in filed
    ]


def _default_distribution() -> list[str]:
    return [settings.SHOUKONG_MGMT_REVIEW_RECORDS_DEPARTMENT]


# --- The page -----------------------------------------------------------------------


def _post(request, review: Review):
    user = request.user
    action = request.POST.get("action", "")
    try:
        if action == "submit":
            form = DistributionForm(request.POST, review=review)
            if not form.is_valid():
                raise ValidationError(
                    _("Choose the departments that receive the report.")
                )
            review = services.report_submit(
                user=user,
                review=review,
                distribution=list(form.cleaned_data["distribution"]),
            )
            step = services.current_step(review)
            messages.success(
                request,
                _("The report has been sent to %(role)s for signature.")
                % {"role": step.role if step else "—"},
            )
        elif action in ("sign", "return"):
            form = SignForm(request.POST)
            comment = form.cleaned_data["comment"] if form.is_valid() else ""
            review = services.report_sign(
                user=user,
                review=review,
                decision=SignatureDecision.SIGNED
                if action == "sign"
                else SignatureDecision.RETURNED,
                comment=comment,
            )
            if action == "return":
                messages.success(
                    request,
                    _("The report has been returned to 行政部 with your comment."),
                )
            elif review.status == S.COMPLETED:
                messages.success(
                    request,
                    _(
                        "The report is approved: the review is complete, the "
                        "report and the minutes are frozen and filed, and the "
                        "distribution list is notified."
                    ),
                )
                for warning in getattr(review, "filing_warnings", None) or []:
                    messages.warning(request, warning)
            else:
                step = services.current_step(review)
                messages.success(
                    request,
                    _("Signed: the report goes to %(role)s.")
                    % {"role": step.role if step else "—"},
                )
        else:
            raise Http404(_("No such step."))
    except REFUSALS as exc:
        messages.error(request, error_text(exc))
    # PermissionDenied propagates: a 403.
    return redirect(_url(review))


@reviews_staff
def report_page(request, number):
    review = visible_review(number)
    if request.method == "POST":
        return _post(request, review)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    user = request.user
    today = services.company_today()
    written = review.status in WRITTEN
    due = (
        review.held_on + timedelta(days=settings.SHOUKONG_MGMT_REVIEW_REPORT_DAYS)
        if review.held_on
        else None
    )
    approved_on = (
        timezone.localtime(review.report_approved_at).date()
        if review.report_approved_at
        else None
    )
    step = services.current_step(review) if review.status == S.REPORTING else None
    links = list(
        review.record_links.select_related("record").order_by("filed_at", "id")
    )
    # Record numbers only for those who may open the records.
    readable = set(
        Record.objects.filter(visible_records_filter(request.user))
        .filter(pk__in=[link.record_id for link in links])
        .values_list("pk", flat=True)
    )
    for link in links:
        link.readable = link.record_id in readable
    returned = (
        review.signatures.filter(
            paper=SignedPaper.REPORT, decision=SignatureDecision.RETURNED
        )
        .order_by("-signed_at", "-id")
        .first()
        if review.status == S.HELD
        else None
    )
    context = {
        "review": review,
        "written": written,
        "before_meeting": review.status in (S.DRAFT, S.IN_REVIEW, S.APPROVED),
        "cancelled": review.status == S.CANCELLED,
        "due": due,
        "late": due is not None
        and review.status in (S.HELD, S.REPORTING)
        and today > due,
        "late_days": (today - due).days if due is not None else 0,
        "approved_late": due is not None
        and approved_on is not None
        and approved_on > due,
        "today": today,
        "sections": preview_sections(review) if written else [],
        "verdicts": _verdicts(review),
        "outputs": _outputs(review, today) if written else [],
        "chain": _chain(review) if review.status in (S.REPORTING, S.COMPLETED) else [],
        "history": list(
            review.signatures.filter(paper=SignedPaper.REPORT).order_by(
                "signed_at", "id"
            )
        ),
        "step": step,
        "can_sign": step is not None and permissions.can_sign_step(user, step.role),
        "can_submit": permissions.can_submit_report(user, review),
        "distribution_form": DistributionForm(
            review=review, default_names=_default_distribution()
        )
        if review.status == S.HELD and permissions.can_submit_report(user, review)
        else None,
        "distribution": list(review.distribution.all()),
        "returned": returned,
        "links": links,
        "filing_warnings": _filing_warnings(review, links),
        "sign_form": SignForm(),
    }
    return render(request, "reviews/report.html", context)


# --- The downloads ------------------------------------------------------------------


def _docx(review: Review, *, field: str, sha: str, build, name: str) -> HttpResponse:
    if review.status not in WRITTEN:
        raise Http404(_("The report and the minutes are written after the meeting."))
    stored = getattr(review, field)
    if review.status == S.COMPLETED:
        try:
            content = reports.frozen_bytes(stored, getattr(review, sha))
        except (reports.FrozenFileMissing, reports.FrozenFileAltered) as exc:
            return HttpResponse(error_text(exc), status=409, content_type="text/plain")
        filename = f"{review.number}-{name}.docx"
    else:
        content = build(review)
        filename = f"{review.number}-{name}-draft.docx"
    response = HttpResponse(content, content_type=DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@reviews_staff
def report_download(request, number):
    """The approved report as frozen on approval; before that a draft."""
    review = visible_review(number)
    return _docx(
        review,
        field="report_file",
        sha="report_sha256",
        build=lambda r: reports.report_docx(r),
        name=REPORT_NAME,
    )


@reviews_staff
def minutes_download(request, number):
    """The minutes as frozen with the approved report; before that a draft."""
    review = visible_review(number)
    return _docx(
        review,
        field="minutes_file",
        sha="minutes_sha256",
        build=lambda r: reports.minutes_docx(r),
        name=MINUTES_NAME,
    )

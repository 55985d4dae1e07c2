"""The review report (管理评审报告): written by 行政部 from the minutes, signed
along SHOUKONG_MGMT_REVIEW_REPORT_CHAIN (管理者代表 reviews, 总经理 approves). On
approval the report and the minutes are frozen as .docx, filed as records and
sent to the distribution list."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.models import Department

from .. import notifications, permissions
from ..lifecycle import ReviewStatus, SignatureDecision, SignedPaper
from ..models import Review
from ._common import department_arg, locked, log_action, move, text
from .plans import current_step, sign_step

__all__ = ["report_sign", "report_submit"]

S = ReviewStatus
_NOT_HELD = (S.DRAFT, S.IN_REVIEW, S.APPROVED)


@transaction.atomic
def report_submit(
    *, user, review: Review, distribution: Iterable[Department] | None = None
) -> Review:
    """Send the report for signature, with its distribution list. The
    conclusions on suitability, adequacy and effectiveness must be recorded."""
    review = locked(review)
    if review.status in _NOT_HELD:
        raise ValidationError(
            _("The meeting has not been held: there is no report to submit yet.")
        )
    permissions.ensure(permissions.can_prepare(user))
    if review.status == S.REPORTING:
        raise ValidationError(_("The report is already awaiting signatures."))
    if review.status != S.HELD:
        raise ValidationError(
            _("The report cannot be submitted (%(status)s).")
            % {"status": review.get_status_display()}
        )
    permissions.ensure(permissions.can_submit_report(user, review))
    missing = [
        str(review._meta.get_field(name).verbose_name)
        for name in ("suitability", "adequacy", "effectiveness")
        if not getattr(review, name)
    ]
    if missing:
        raise ValidationError(
            _("Record the conclusions before submitting the report: %(missing)s.")
            % {"missing": "、".join(missing)}
        )
    if distribution is not None:
        if isinstance(distribution, (str, bytes)):
            raise ValidationError(_("The report is distributed to active departments."))
        departments = [
            department_arg(d, _("The report is distributed to active departments."))
            for d in distribution
        ]
        review.distribution.set(departments)
    if not review.distribution.exists():
        raise ValidationError(_("Give the report's distribution list."))
    move(review, S.REPORTING)
    fields = ["status", "report_submitted_at"]
    if review.signatures.filter(
        paper=SignedPaper.REPORT, revision=review.report_revision
    ).exists():
        review.report_revision += 1
        fields.append("report_revision")
    review.report_submitted_at = timezone.now()
    review.save(update_fields=fields)
    log_action(review, "report_submit", user, revision=review.report_revision)
    notifications.report_to_sign(review=review, step=current_step(review))
    return review


def _freeze(review: Review) -> None:
    from ..reports import minutes_docx, report_docx

    for field, sha, content, name in (
        ("report_file", "report_sha256", report_docx(review), "report"),
        ("minutes_file", "minutes_sha256", minutes_docx(review), "minutes"),
    ):
        getattr(review, field).save(
            f"{review.number}-{name}-r{review.report_revision}.docx",
            ContentFile(content),
            save=False,
        )
        setattr(review, sha, hashlib.sha256(content).hexdigest())


@transaction.atomic
def report_sign(*, user, review: Review, decision: str, comment: str = "") -> Review:
    """Sign or return the report's current step. The last signature approves
    it: the report and the minutes are frozen, filed and distributed."""
    review = locked(review)
    if review.status in _NOT_HELD:
        raise ValidationError(
            _("The meeting has not been held: the report cannot be approved before it.")
        )
    if review.status != S.REPORTING:
        raise ValidationError(
            _("The report is not awaiting a signature (%(status)s).")
            % {"status": review.get_status_display()}
        )
    step, done = sign_step(
        user=user,
        review=review,
        paper=SignedPaper.REPORT,
        decision=decision,
        comment=comment,
    )
    if decision == SignatureDecision.RETURNED:
        move(review, S.HELD)
        review.save(update_fields=["status"])
        log_action(
            review, "report_return", user, step=step.code, comment=text(comment)[:200]
        )
        notifications.report_returned(review=review, comment=text(comment))
        return review
    log_action(review, "report_sign", user, step=step.code, role=step.role)
    if not done:
        notifications.report_to_sign(review=review, step=current_step(review))
        return review
    move(review, S.COMPLETED)
    review.report_approved_at = timezone.now()
    _freeze(review)
    try:
        review.save()
        log_action(
            review,
            "report_approve",
            user,
            revision=review.report_revision,
            sha256=review.report_sha256,
        )
        from ..filing import review_records_file

        review.filing_warnings = review_records_file(user=user, review=review)
    except Exception:
        # The approval is undone: so are the frozen files.
        for field in (review.report_file, review.minutes_file):
            if field.name:
                field.storage.delete(field.name)
        raise
    notifications.report_distributed(review=review)
    return review

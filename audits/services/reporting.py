"""The audit report (公司管理体系内审报告): written by the team leader after
the closing meeting, approved by 管理者代表 once every finding is approved;
the approved .docx is frozen and the audit's records are filed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.lifecycle import NonconformityStatus

from .. import permissions
from ..lifecycle import AuditStatus
from ..models import Audit, AuditReport
from ._common import log_action, required, text
from .audits import _move

A = AuditStatus


def _locked(audit: Audit) -> Audit:
    return Audit.objects.select_for_update().get(pk=audit.pk)


def _report(audit: Audit, user) -> AuditReport:
    report = AuditReport.objects.filter(audit=audit).first()
    return report or AuditReport(audit=audit, written_by=user)


@transaction.atomic
def report_save(
    *,
    user,
    audit: Audit,
    overview: str | None = None,
    evaluation: str | None = None,
    distribution: Sequence[str] | None = None,
) -> AuditReport:
    """The leader writes the overview (审核综述), the system evaluation
    (体系评价) and the distribution list (发放范围)."""
    audit = _locked(audit)
    permissions.ensure(permissions.can_write_report(user, audit))
    if audit.status != A.COMPLETED:
        raise ValidationError(
            _(
                "The report is written after the closing "
                "meeting; the audit is %(status)s."
            )
            % {"status": audit.get_status_display()}
        )
    report = _report(audit, user)
    if overview is not None:
        report.overview = text(overview, limit=20000)
    if evaluation is not None:
        report.evaluation = text(evaluation, limit=20000)
    if distribution is not None:
        names = []
        for name in distribution:
            name = text(name, limit=100)
            if name and name not in names:
                names.append(name)
        report.distribution = names
    report.written_by = user
    report.save()
    log_action(audit, "report_save", user, number=audit.number)
    return report


@transaction.atomic
def report_submit(*, user, audit: Audit) -> AuditReport:
    audit = _locked(audit)
    permissions.ensure(permissions.can_write_report(user, audit))
    report = AuditReport.objects.filter(audit=audit).first()
    if report is None or not report.overview or not report.evaluation:
        raise ValidationError(
            _("Write the audit overview and the system evaluation before submitting.")
        )
    if not report.distribution:
        raise ValidationError(_("Name who receives the report."))
    _move(audit, A.REPORTED)
    audit.save(update_fields=["status"])
    report.submitted_by = user
    report.submitted_at = timezone.now()
    report.return_comment = ""
    report.save(update_fields=["submitted_by", "submitted_at", "return_comment"])
    log_action(audit, "report_submit", user, number=audit.number)
    from .. import notifications

    notifications.report_submitted(audit=audit)
    return report


@transaction.atomic
def report_return(*, user, audit: Audit, comment: str) -> AuditReport:
    audit = _locked(audit)
    permissions.ensure(permissions.can_approve_report(user))
    comment = required(comment, _("Say what the report lacks."))
    _move(audit, A.COMPLETED)
    audit.save(update_fields=["status"])
    report = audit.report
    report.return_comment = comment
    report.save(update_fields=["return_comment"])
    log_action(audit, "report_return", user, number=audit.number, comment=comment[:200])
    return report


@transaction.atomic
def report_approve(*, user, audit: Audit) -> tuple[AuditReport, list[str]]:
    """管理者代表 approves the report once he has approved every finding. The
    .docx is frozen; the audit closes and its records are filed (a kind whose
    form is not in force is reported back, not filed)."""
    audit = _locked(audit)
    permissions.ensure(permissions.can_approve_report(user))
    if audit.status != A.REPORTED:
        raise ValidationError(
            _("There is no report awaiting approval; the audit is %(status)s.")
            % {"status": audit.get_status_display()}
        )
    waiting = list(
        audit.findings()
        .filter(status=NonconformityStatus.DRAFT)
        .values_list("number", flat=True)
    )
    if waiting:
        raise ValidationError(
            _("Approve these findings before the report: %(numbers)s")
            % {"numbers": ", ".join(waiting)}
        )
    from .meetings import _label, _open_items

    _unanswered, unwritten = _open_items(audit)
    if unwritten:
        raise ValidationError(
            _("Write up the findings of these items first: %(items)s")
            % {"items": _label(unwritten)}
        )
    report = audit.report
    report.approved_by = user
    report.approved_at = timezone.now()
    # Saved before the .docx is made, so that it names its approver however it
    # reads the report; all of it rolls back if the file cannot be made.
    report.save(update_fields=["approved_by", "approved_at"])
    _move(audit, A.CLOSED)
    audit.save(update_fields=["status"])
    from ..reports import report_docx

    data = report_docx(audit)
    name = f"{audit.number}-report.docx"
    report.file.save(name, ContentFile(data), save=False)
    report.file_sha256 = hashlib.sha256(data).hexdigest()
    try:
        report.save(update_fields=["file", "file_sha256"])
        log_action(
            audit,
            "report_approve",
            user,
            number=audit.number,
            sha256=report.file_sha256,
        )
        from ..filing import audit_records_file

        warnings = audit_records_file(user=user, audit=audit)
    except BaseException:
        # Everything rolls back with this transaction; the frozen file too.
        report.file.storage.delete(report.file.name)
        raise
    return report, warnings

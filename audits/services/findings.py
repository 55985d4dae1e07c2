"""Findings: a nonconforming item becomes a nonconformity of the compliance
app (source "internal audit", so it waits for 管理者代表's approval before it
reaches the department); an observation becomes an improvement opportunity."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from compliance import nonconformities as nc_services
from compliance.lifecycle import NonconformitySource, NonconformityStatus
from compliance.models import Nonconformity, NonconformityGrade
from documents.models import DocumentPage

from .. import independence, permissions
from ..lifecycle import AuditStatus, ItemResult
from ..models import ChecklistItem
from ._common import log_action, text
from .checklists import locked_item

# The grade a finding takes when the auditor names none.
DEFAULT_GRADES = {
    ItemResult.NONCONFORMING: "minor",
    ItemResult.OBSERVATION: "improvement",
}


def default_title(item: ChecklistItem) -> str:
    first = (item.evidence or "").strip().splitlines()
    summary = first[0] if first else item.clause.title_zh
    return f"{item.clause.ref_id} {summary}"[:200]


@transaction.atomic
def finding_raise(
    *,
    user,
    item: ChecklistItem,
    title: str = "",
    facts: str = "",
    grade: NonconformityGrade | None = None,
    documents: Iterable[DocumentPage] | None = None,
) -> Nonconformity:
    """Write up the finding of a nonconforming or observation item (不符合报告
    / 建议改进项) against its clause and department, with the documents
    concerned (by default those the checklist names)."""
    item = locked_item(item, "clause", "department", "nonconformity")
    audit = item.audit
    permissions.ensure(permissions.can_conduct(user, audit))
    # After the closing meeting only a finding cancelled in compliance is
    # written up again (the report cannot be approved without it).
    if audit.status not in (
        AuditStatus.IN_PROGRESS,
        AuditStatus.COMPLETED,
        AuditStatus.REPORTED,
    ):
        raise ValidationError(
            _("Findings are written up during the fieldwork; the audit is %(status)s.")
            % {"status": audit.get_status_display()}
        )
    independence.ensure_independent(
        user, department=item.department, clause=item.clause
    )
    if item.result not in DEFAULT_GRADES:
        raise ValidationError(
            _("Only a nonconforming item or an observation becomes a finding.")
        )
    if (
        item.nonconformity_id
        and item.nonconformity.status != NonconformityStatus.CANCELLED
    ):
        raise ValidationError(
            _("Finding %(number)s was raised from this item already.")
            % {"number": item.nonconformity.number}
        )
    if grade is None:
        grade = NonconformityGrade.objects.filter(
            code=DEFAULT_GRADES[item.result], is_active=True
        ).first()
        if grade is None:
            raise ValidationError(_("Choose the finding's grade."))
    if item.result == ItemResult.NONCONFORMING and not grade.is_nonconformity:
        raise ValidationError(_("A nonconforming item takes a nonconformity grade."))
    if item.result == ItemResult.OBSERVATION and grade.is_nonconformity:
        raise ValidationError(
            _(
                "An observation is not a nonconformity: mark "
                "the item nonconforming first."
            )
        )
    if documents is None:
        ids = [d.get("id") for d in item.documents if d.get("id")]
        documents = DocumentPage.objects.filter(pk__in=ids)
    nonconformity = nc_services.nonconformity_raise(
        user=user,
        title=text(title, limit=200) or default_title(item),
        facts=text(facts) or item.evidence,
        department=item.department,
        grade=grade,
        source=NonconformitySource.INTERNAL_AUDIT,
        clause=item.clause,
        documents=list(documents),
        source_reference=audit.number,
        source_object=audit,
    )
    item.nonconformity = nonconformity
    item.version += 1
    item.save(update_fields=["nonconformity", "version", "updated_at"])
    log_action(
        audit,
        "finding_raise",
        user,
        number=audit.number,
        item=item.pk,
        nonconformity=nonconformity.number,
        grade=grade.code,
    )
    return nonconformity

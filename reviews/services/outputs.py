"""The review's outputs (管理评审改进计划): every decided action has an owner
and a due date. Improvement and corrective actions are raised in compliance as
nonconformities (source "management review"), a document re-issue as a change
request; the others are tracked here, done by their owner and verified by
行政部."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.lifecycle import NonconformityKind, NonconformitySource
from compliance.models import Clause, NonconformityGrade
from compliance.nonconformities import nonconformity_raise
from documents.changes import change_request_create
from documents.lifecycle import ChangeSource
from documents.models import Department, DocumentPage
from documents.permissions import department_of

from .. import permissions
from ..lifecycle import (
    COMPLIANCE_OUTPUT_KINDS,
    OUTPUT_TRANSITIONS,
    InputSection,
    OutputCategory,
    OutputKind,
    OutputStatus,
    ReviewStatus,
    ensure_transition,
)
from ..models import Review, ReviewOutput
from ._common import (
    company_today,
    department_arg,
    locked,
    log_action,
    required,
    text,
    user_arg,
)

__all__ = ["output_add", "output_cancel", "output_complete", "output_verify"]

O = OutputStatus  # noqa: E741


def _due(value) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, date):
        raise ValidationError({"due_date": _("Every action needs a due date.")})
    if value < company_today():
        raise ValidationError({"due_date": _("The due date cannot be in the past.")})
    return value


def _grade(kind: str, grade) -> NonconformityGrade:
    if isinstance(grade, NonconformityGrade):
        return grade
    code = grade or settings.SHOUKONG_MGMT_REVIEW_OUTPUT_GRADES.get(kind)
    found = NonconformityGrade.objects.filter(code=code, is_active=True).first()
    if found is None:
        raise ValidationError(
            _("The nonconformity grade %(grade)s is not set up.") % {"grade": code}
        )
    return found


@transaction.atomic
def output_add(
    *,
    user,
    review: Review,
    kind: str,
    description: str,
    owner,
    due_date,
    department: Department | None = None,
    category: str = "",
    section: str = "",
    coordinator=None,
    document: DocumentPage | None = None,
    grade=None,
    clause: Clause | None = None,
) -> ReviewOutput:
    """Record a decision of the meeting as an action with its owner and due
    date; improvement and corrective actions open a nonconformity in
    compliance, a document re-issue a change request."""
    review = locked(review)
    permissions.ensure(permissions.can_prepare(user))
    if review.status in (
        ReviewStatus.DRAFT,
        ReviewStatus.IN_REVIEW,
        ReviewStatus.APPROVED,
    ):
        raise ValidationError(_("Record the meeting before its decisions."))
    if review.status != ReviewStatus.HELD:
        raise ValidationError(
            _("The report has gone for signature: decisions can no longer be added.")
        )
    permissions.ensure(permissions.can_add_outputs(user, review))
    if kind not in OutputKind.values:
        raise ValidationError({"kind": _("Unknown kind of decision.")})
    if category and category not in OutputCategory.values:
        raise ValidationError({"category": _("Unknown area.")})
    if section and section not in InputSection.values:
        raise ValidationError({"section": _("Unknown review input.")})
    description = required(description, _("Describe the decision."))
    if owner is None or owner == "":
        raise ValidationError({"owner": _("Every action needs an owner.")})
    user_arg(owner, {"owner": _("The owner must be an active member of staff.")})
    if coordinator is not None:
        user_arg(
            coordinator,
            {"coordinator": _("The coordinator must be an active member of staff.")},
        )
    if department is not None:
        department_arg(
            department,
            {"department": _("Name the department responsible for the action.")},
        )
    if document is not None and not isinstance(document, DocumentPage):
        raise ValidationError({"document": _("Name the document to re-issue.")})
    if clause is not None and not isinstance(clause, Clause):
        raise ValidationError({"clause": _("Unknown clause.")})
    if not (owner.is_active and permissions.can_view_reviews(owner)):
        raise ValidationError(
            {"owner": _("The owner must be an active member of staff.")}
        )
    if coordinator is not None and not (
        coordinator.is_active and permissions.can_view_reviews(coordinator)
    ):
        raise ValidationError(
            {"coordinator": _("The coordinator must be an active member of staff.")}
        )
    due = _due(due_date)
    department = department or department_of(owner)
    if department is None or not department.is_active:
        raise ValidationError(
            {"department": _("Name the department responsible for the action.")}
        )
    if kind == OutputKind.DOCUMENT and document is None:
        raise ValidationError({"document": _("Name the document to re-issue.")})
    seq = (review.outputs.aggregate(top=Max("seq"))["top"] or 0) + 1
    reference = f"{review.number}-{seq:02d}"
    output = ReviewOutput(
        review=review,
        seq=seq,
        kind=kind,
        category=category,
        section=section,
        description=description,
        owner=owner,
        department=department,
        coordinator=coordinator,
        due_date=due,
        document=document.specific if document is not None else None,
        created_by=user,
        created_at=timezone.now(),
    )
    if kind in COMPLIANCE_OUTPUT_KINDS:
        first_line = description.splitlines()[0]
        output.nonconformity = nonconformity_raise(
            user=user,
            title=first_line[:200],
            facts=description,
            department=department,
            grade=_grade(kind, grade),
            source=NonconformitySource.MANAGEMENT_REVIEW,
            kind=(
                NonconformityKind.CORRECTIVE
                if kind == OutputKind.CORRECTIVE
                else NonconformityKind.PREVENTIVE
            ),
            clause=clause,
            documents=[document] if document is not None else [],
            source_reference=reference,
            source_object=review,
            owner=owner,
            due_date=due,
        )
    elif kind == OutputKind.DOCUMENT:
        output.change_request = change_request_create(
            user=user,
            document=document,
            reason=description,
            source=ChangeSource.MANAGEMENT_REVIEW,
            source_reference=reference,
            source_object=review,
        )
    output.save()
    log_action(
        review,
        "output_add",
        user,
        reference=reference,
        kind=kind,
        owner=owner.get_username(),
        due_date=due.isoformat(),
        nonconformity=output.nonconformity.number if output.nonconformity_id else None,
        change_request=output.change_request_id,
    )
    return output


def _locked(output: ReviewOutput) -> ReviewOutput:
    return ReviewOutput.objects.select_for_update().get(pk=output.pk)


def _move(output: ReviewOutput, target: str) -> None:
    ensure_transition(
        OUTPUT_TRANSITIONS, output.status, target, label=_("Review action")
    )
    output.status = target


def _tracked_elsewhere(output: ReviewOutput) -> None:
    if output.nonconformity_id:
        raise ValidationError(
            _("This action is tracked in compliance as %(number)s.")
            % {"number": output.nonconformity.number}
        )
    if output.change_request_id:
        raise ValidationError(_("This action is tracked as a document change request."))


@transaction.atomic
def output_complete(
    *, user, output: ReviewOutput, note: str, completed_on=None
) -> ReviewOutput:
    """The owner (or 行政部) records what was done."""
    output = _locked(output)
    _tracked_elsewhere(output)
    if output.status != O.OPEN and permissions.can_prepare(user):
        _move(output, O.DONE)  # refused with the status, not as a permission
    permissions.ensure(permissions.can_complete_output(user, output))
    note = required(note, _("Say what was done."))
    if completed_on is None or completed_on == "":
        completed_on = company_today()
    elif isinstance(completed_on, datetime):
        completed_on = completed_on.date()
    elif isinstance(completed_on, str):
        try:
            completed_on = date.fromisoformat(completed_on)
        except ValueError:
            raise ValidationError(_("Give the date it was done.")) from None
    if not isinstance(completed_on, date):
        raise ValidationError(_("Give the date it was done."))
    if completed_on > company_today():
        raise ValidationError(_("It cannot be done in the future."))
    decided = timezone.localtime(output.created_at).date()
    if completed_on < decided:
        raise ValidationError(
            _("It cannot be done before it was decided (%(date)s).")
            % {"date": decided.isoformat()}
        )
    _move(output, O.DONE)
    output.completed_on = completed_on
    output.completion_note = note
    output.save(update_fields=["status", "completed_on", "completion_note"])
    log_action(output.review, "output_complete", user, reference=output.reference)
    return output


@transaction.atomic
def output_verify(
    *, user, output: ReviewOutput, effective: bool, note: str
) -> ReviewOutput:
    """行政部 verifies; not effective sends the action back to its owner."""
    output = _locked(output)
    _tracked_elsewhere(output)
    if output.status != O.DONE and permissions.can_prepare(user):
        _move(output, O.VERIFIED)  # refused with the status, not as a permission
    permissions.ensure(permissions.can_verify_output(user, output))
    note = required(note, _("Give the verification opinion."))
    _move(output, O.VERIFIED if effective else O.OPEN)
    output.verification_note = note
    fields = ["status", "verification_note"]
    if effective:
        output.verified_by = user
        output.verified_at = timezone.now()
        fields += ["verified_by", "verified_at"]
    output.save(update_fields=fields)
    log_action(
        output.review,
        "output_verify" if effective else "output_reopen",
        user,
        reference=output.reference,
        note=note[:200],
    )
    return output


@transaction.atomic
def output_cancel(*, user, output: ReviewOutput, reason: str) -> ReviewOutput:
    """Withdraw a decision later found unnecessary (e.g. by the next review);
    the row stays with its reason."""
    output = _locked(output)
    _tracked_elsewhere(output)
    permissions.ensure(permissions.can_prepare(user))
    reason = required(reason, _("Say why the action is cancelled."))
    _move(output, O.CANCELLED)
    output.verification_note = text(reason)
    output.save(update_fields=["status", "verification_note"])
    log_action(
        output.review,
        "output_cancel",
        user,
        reference=output.reference,
        reason=reason[:200],
    )
    return output

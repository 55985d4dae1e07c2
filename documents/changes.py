"""Services that change a document as a whole: change requests (文件更改申请单),
periodic review, withdrawal without replacement (作废申请) and the checks of
external documents (ISO/IEC 20000-1:2018 7.5.3).

Keyword-only, permission-checked, transition-checked, logged; ``user=None`` is the
system (the daily command).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from search import index as search_index

from . import notifications, permissions, roles
from .distribution import department_of, has_role, is_department_head, recalls_open
from .lifecycle import (
    CHANGE_REQUEST_TRANSITIONS,
    DOCUMENT_TRANSITIONS,
    ISSUE_TRANSITIONS,
    WITHDRAWAL_TRANSITIONS,
    ChangeRequestStatus,
    ChangeSource,
    DocumentKind,
    DocumentStatus,
    ExternalValidity,
    InvalidTransition,
    IssueStatus,
    ReviewOutcome,
    WithdrawalStatus,
    ensure_transition,
)
from .models import (
    ChangeRequest,
    Department,
    DocumentPage,
    DocumentReview,
    ExternalSignOut,
    WithdrawalRequest,
)

# --- Change requests ------------------------------------------------------------------


@transaction.atomic
def change_request_create(
    *,
    user,
    document: DocumentPage,
    reason: str,
    proposed_change: str = "",
    source: str = ChangeSource.STAFF,
    source_reference: str = "",
    source_object=None,
) -> ChangeRequest:
    """Anyone may propose a change to a controlled document, with a reason; it
    may come from a corrective action, an audit finding or a review."""
    if not permissions.can_view_library(user):
        raise PermissionDenied
    if not (reason or "").strip():
        raise ValidationError(_("Give the reason for the change."))
    if document.status not in (DocumentStatus.CONTROLLED, DocumentStatus.DRAFT):
        raise ValidationError(_("Only documents in use can be changed."))
    if source not in ChangeSource.values:
        raise ValidationError(_("Unknown source of the change."))
    if (
        ChangeRequest.objects.open()
        .filter(document=document, requested_by=user, reason=reason.strip())
        .exists()
    ):
        raise ValidationError(_("You have already proposed this change."))
    request = ChangeRequest(
        document=document,
        requested_by=user,
        reason=reason.strip(),
        proposed_change=(proposed_change or "").strip(),
        source=source,
        source_reference=(source_reference or "").strip()[:100],
    )
    if source_object is not None:
        request.source_type = ContentType.objects.get_for_model(source_object)
        request.source_id = source_object.pk
    request.save()
    log(
        instance=document.specific,
        action="shoukong.documents.change_request",
        user=user,
        data={"id": request.pk, "source": source, "reason": request.reason[:200]},
    )
    return request


@transaction.atomic
def change_request_decide(
    *, user, request: ChangeRequest, accept: bool, comment: str = "", drafter=None
) -> ChangeRequest:
    """Someone with drafting rights on the document accepts the request (and
    names who revises it) or rejects it with a reason."""
    request = ChangeRequest.objects.select_for_update().get(pk=request.pk)
    document = request.document.specific
    permissions.ensure_can_edit_document(user, document)
    target = ChangeRequestStatus.ACCEPTED if accept else ChangeRequestStatus.REJECTED
    ensure_transition(
        CHANGE_REQUEST_TRANSITIONS, request.status, target, label=_("Change request")
    )
    if not accept and not (comment or "").strip():
        raise ValidationError(_("Say why the change is rejected."))
    drafter = drafter or user
    if accept and not permissions.can_edit_document(drafter, document):
        raise ValidationError(_("The drafter has no drafting rights on this document."))
    request.status = target
    request.decided_by = user
    request.decided_at = timezone.now()
    request.decision_comment = (comment or "").strip()
    request.drafter = drafter if accept else None
    request.save()
    log(
        instance=document,
        action="shoukong.documents.change_request_decide",
        user=user,
        data={"id": request.pk, "status": target},
    )
    return request


@transaction.atomic
def change_request_withdraw(*, user, request: ChangeRequest) -> ChangeRequest:
    request = ChangeRequest.objects.select_for_update().get(pk=request.pk)
    if user.pk != request.requested_by_id and not permissions.can_edit_document(
        user, request.document.specific
    ):
        raise PermissionDenied
    ensure_transition(
        CHANGE_REQUEST_TRANSITIONS,
        request.status,
        ChangeRequestStatus.WITHDRAWN,
        label=_("Change request"),
    )
    request.status = ChangeRequestStatus.WITHDRAWN
    request.save(update_fields=["status"])
    log(
        instance=request.document.specific,
        action="shoukong.documents.change_request_withdraw",
        user=user,
        data={"id": request.pk},
    )
    return request


# --- Periodic review ------------------------------------------------------------------


@transaction.atomic
def review_record(
    *, user, document: DocumentPage, outcome: str, note: str = "", reason: str = ""
) -> DocumentReview:
    """A periodic review ends as "no change" (recorded; the clock restarts) or
    as a change request (document control procedure: at least every 3 years)."""
    document = DocumentPage.objects.select_for_update().get(pk=document.pk).specific
    permissions.ensure_can_edit_document(user, document)
    issue = document.current_issue
    if document.status != DocumentStatus.CONTROLLED or issue is None:
        raise ValidationError(_("Only a document in force is reviewed."))
    if outcome not in ReviewOutcome.values:
        raise ValidationError(_("Unknown review outcome."))
    if DocumentReview.objects.filter(
        issue=issue, reviewed_on=timezone.localdate()
    ).exists():
        raise ValidationError(_("This issue has already been reviewed today."))
    change_request = None
    if outcome == ReviewOutcome.CHANGE:
        change_request = change_request_create(
            user=user,
            document=document,
            reason=reason or note or _("Periodic review found changes are needed."),
            source=ChangeSource.PERIODIC_REVIEW,
        )
    review = DocumentReview.objects.create(
        document=document,
        issue=issue,
        outcome=outcome,
        reviewed_on=timezone.localdate(),
        reviewed_by=user,
        note=note,
        change_request=change_request,
    )
    if outcome == ReviewOutcome.NO_CHANGE:
        # The clock restarts: next review due = this review + the period.
        type(issue).objects.filter(pk=issue.pk).update(reviewed_on=review.reviewed_on)
    log(
        instance=document,
        action="shoukong.documents.review",
        user=user,
        data={"outcome": outcome, "issue": issue.label},
    )
    return review


def reviews_due(*, today: date) -> list[DocumentPage]:
    """Controlled documents whose review is due within the warning window or
    overdue, soonest first."""
    horizon = today + timedelta(days=settings.SHOUKONG_REVIEW_WARNING_DAYS)
    documents = [
        d
        for d in DocumentPage.objects.controlled().for_listing()
        if d.next_review_due is not None and d.next_review_due <= horizon
    ]
    return sorted(documents, key=lambda d: (d.next_review_due, d.number_sort))


def reviews_notify_due(*, today: date) -> int:
    """E-mail each owner (the page owner, else document control) their due
    reviews, once a day."""
    by_owner: dict = {}
    fallback = list(notifications.role_members(roles.DOCUMENT_CONTROLLER))
    for document in reviews_due(today=today):
        owners = [document.owner] if document.owner_id else fallback
        for owner in owners:
            by_owner.setdefault(owner, []).append(document)
    for owner, documents in by_owner.items():
        notifications.reviews_due(owner=owner, documents=documents, today=today)
    return len(by_owner)


# --- Withdrawal without replacement (作废申请) ---------------------------------


@transaction.atomic
def withdrawal_request(
    *, user, document: DocumentPage, reason: str
) -> WithdrawalRequest:
    """The writing department applies to withdraw a document."""
    document = DocumentPage.objects.select_for_update().get(pk=document.pk).specific
    permissions.ensure_can_edit_document(user, document)
    if document.status not in (DocumentStatus.CONTROLLED, DocumentStatus.EXTERNAL):
        raise ValidationError(_("Only a document in force can be withdrawn."))
    if not (reason or "").strip():
        raise ValidationError(_("Give the reason for the withdrawal."))
    if WithdrawalRequest.objects.filter(
        document=document,
        status__in=[WithdrawalStatus.REQUESTED, WithdrawalStatus.DEPARTMENT_APPROVED],
    ).exists():
        raise ValidationError(_("A withdrawal of this document is already pending."))
    request = WithdrawalRequest.objects.create(
        document=document, reason=reason.strip(), requested_by=user
    )
    log(
        instance=document,
        action="shoukong.documents.withdrawal_request",
        user=user,
        data={"id": request.pk},
    )
    return request


@transaction.atomic
def withdrawal_decide(
    *, user, request: WithdrawalRequest, approve: bool, comment: str = ""
) -> WithdrawalRequest:
    """First the department head, then the management representative approve;
    either may refuse with a comment. The second approval withdraws it."""
    request = WithdrawalRequest.objects.select_for_update().get(pk=request.pk)
    document = request.document.specific
    if user.pk == request.requested_by_id:
        raise PermissionDenied(_("You cannot approve your own request."))
    if request.status not in (
        WithdrawalStatus.REQUESTED,
        WithdrawalStatus.DEPARTMENT_APPROVED,
    ):
        raise InvalidTransition(
            request.status, WithdrawalStatus.APPROVED, _("Withdrawal")
        )
    if request.status == WithdrawalStatus.REQUESTED:
        if not is_department_head(user, document.department):
            raise PermissionDenied(
                _("The head of the owning department decides first.")
            )
        target = WithdrawalStatus.DEPARTMENT_APPROVED
    else:
        if not has_role(user, roles.MANAGEMENT_REPRESENTATIVE):
            raise PermissionDenied(_("The management representative decides."))
        target = WithdrawalStatus.APPROVED
    if not approve:
        target = WithdrawalStatus.REJECTED
        if not (comment or "").strip():
            raise ValidationError(_("Say why the withdrawal is refused."))
    ensure_transition(
        WITHDRAWAL_TRANSITIONS, request.status, target, label=_("Withdrawal")
    )
    now = timezone.now()
    if target == WithdrawalStatus.DEPARTMENT_APPROVED:
        request.department_approved_by, request.department_approved_at = user, now
    elif target == WithdrawalStatus.APPROVED:
        request.approved_by, request.approved_at = user, now
    request.status = target
    request.comment = (comment or "").strip()
    request.save()
    log(
        instance=document,
        action="shoukong.documents.withdrawal_decide",
        user=user,
        data={"id": request.pk, "status": target},
    )
    if target == WithdrawalStatus.APPROVED:
        document_withdraw(user=user, document=document)
    return request


def document_withdraw(*, user, document: DocumentPage) -> DocumentPage:
    """Make the document obsolete: its issue in force (and any approved one not
    yet effective) becomes 作废 and every copy out is recalled. The number is
    never reused; the page stays readable, marked 作废."""
    ensure_transition(
        DOCUMENT_TRANSITIONS,
        document.status,
        DocumentStatus.OBSOLETE,
        label=_("Document status"),
    )
    today = timezone.localdate()
    for issue in document.issues.filter(
        status__in=[IssueStatus.EFFECTIVE, IssueStatus.PENDING]
    ).select_for_update():
        ensure_transition(
            ISSUE_TRANSITIONS, issue.status, IssueStatus.OBSOLETE, label=_("Issue")
        )
        issue.status = IssueStatus.OBSOLETE
        issue.withdrawn_at = timezone.now()
        issue.save(update_fields=["status", "withdrawn_at"])
        recalls_open(user=user, issue=issue, today=today)
    DocumentPage.objects.filter(pk=document.pk).update(status=DocumentStatus.OBSOLETE)
    search_index.documents_changed([document.pk])
    log(
        instance=document,
        action="shoukong.documents.withdraw",
        user=user,
        data={"number": document.number},
    )
    document.status = DocumentStatus.OBSOLETE
    return document


# --- External documents (外来文件) -------------------------------------------


@transaction.atomic
def external_validity_check(
    *, user, document: DocumentPage, validity: str, note: str = ""
) -> DocumentPage:
    """Record that an external document is still current (or superseded /
    withdrawn by its issuer); a superseded one is withdrawn from use."""
    document = DocumentPage.objects.select_for_update().get(pk=document.pk).specific
    if document.kind != DocumentKind.EXTERNAL:
        raise ValidationError(_("Only external documents have a validity check."))
    permissions.ensure_can_issue(user, document)
    if validity not in ExternalValidity.values:
        raise ValidationError(_("Unknown validity."))
    type(document).objects.filter(pk=document.pk).update(
        validity=validity, validity_checked_on=timezone.localdate()
    )
    log(
        instance=document,
        action="shoukong.documents.external_check",
        user=user,
        data={"validity": validity, "note": note[:200]},
    )
    if (
        validity != ExternalValidity.CURRENT
        and document.status != DocumentStatus.OBSOLETE
    ):
        document_withdraw(user=user, document=document)
    document.refresh_from_db()
    return document


@transaction.atomic
def external_sign_out(
    *, user, document: DocumentPage, department: Department, copies: int = 1
) -> ExternalSignOut:
    """外来文件登记表: a department signs for an external document."""
    if document.kind != DocumentKind.EXTERNAL:
        raise ValidationError(_("Only external documents are signed out here."))
    if document.status != DocumentStatus.EXTERNAL:
        raise ValidationError(_("This external document is no longer valid."))
    if not (department_of(user) == department or permissions.can_issue(user, document)):
        raise PermissionDenied
    if copies < 1:
        raise ValidationError(_("At least one copy."))
    sign_out = ExternalSignOut.objects.create(
        document=document, department=department, signed_by=user, copies=copies
    )
    log(
        instance=document.specific,
        action="shoukong.documents.external_sign_out",
        user=user,
        data={"department": department.name, "copies": copies},
    )
    return sign_out

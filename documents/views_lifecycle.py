"""Front-end views of what happens around an issue: "my tasks", the document
control desk, the stamped PDF of a controlled copy and the actions they post.

Views stay thin: each action parses the form, calls one service of
:mod:`documents.distribution`, :mod:`documents.changes` or
:mod:`documents.approvals` and redirects with a message. An action refused or no
longer possible (a double submit, someone else was first) becomes a translated
error message, never a server error. The reads the pages and the document page's
template tags (:mod:`documents.templatetags.lifecycle_tags`) need are here too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import user_passes_test
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import (
    content_disposition_header,
    url_has_allowed_host_and_scheme,
)
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from wagtail.models import WorkflowState

from . import approvals, changes, distribution, numbering, permissions, roles, stamping
from .lifecycle import (
    CopyKind,
    CopyStatus,
    DocumentStatus,
    InvalidTransition,
    IssueStatus,
    RecallStatus,
    ReviewOutcome,
    SignatureMeaning,
    WithdrawalStatus,
)
from .models import (
    Acknowledgement,
    ChangeRequest,
    ControlledCopy,
    DocumentIssue,
    DocumentPage,
    DocumentReview,
    RecallTask,
    Signature,
    WithdrawalRequest,
)
from .permissions import can_view_library

library_access_required = user_passes_test(can_view_library)

# Copies a holder still has in hand: in use, or obsolete kept for reference.
COPY_IN_HAND_STATUSES = (CopyStatus.ISSUED, CopyStatus.KEPT)


# --- Reads ------------------------------------------------------------------------


def _mine(user, prefix: str = "") -> Q:
    """Copies held by ``user`` or, without a named holder, by their department."""
    mine = Q(**{f"{prefix}holder": user})
    department = distribution.department_of(user)
    if department is not None:
        mine |= Q(
            **{f"{prefix}holder__isnull": True, f"{prefix}department": department}
        )
    return mine


def copy_pdf_url(copy: ControlledCopy) -> str | None:
    """Where the holder downloads the stamped PDF of ``copy`` (numbered only)."""
    number = copy.issue.document.number
    if not number:
        return None
    try:
        url = reverse(
            "documents:copy_pdf", kwargs={"number": number, "label": copy.issue.label}
        )
    except NoReverseMatch:
        return None
    return f"{url}?copy={copy.copy_number}"


def _with_urls(copies) -> list[ControlledCopy]:
    result = []
    for copy in copies:
        copy.download_url = copy_pdf_url(copy)
        copy.has_password = bool(copy.open_password)
        result.append(copy)
    return result


def may_download(user, copy: ControlledCopy) -> bool:
    """The holder (or 文控) may open a copy; the original (受控01) stays with
    document control even though it is registered to their department."""
    if (
        copy.kind == CopyKind.CONTROLLED
        and copy.copy_number == distribution.ORIGINAL_COPY
        and not distribution.is_document_controller(user)
    ):
        return False
    return distribution.can_open_copy(user, copy)


def copies_in_hand(user, *, issue: DocumentIssue | None = None) -> list:
    """Controlled copies ``user`` (or their department) holds, for download.

    The original (受控01) stays with document control: it is listed for document
    control on the issue's own page only.
    """
    copies = ControlledCopy.objects.filter(
        kind=CopyKind.CONTROLLED, status__in=COPY_IN_HAND_STATUSES
    ).select_related("issue__document", "department", "holder")
    if issue is not None:
        copies = copies.filter(issue=issue)
        original = Q(copy_number=distribution.ORIGINAL_COPY)
        if distribution.is_document_controller(user):
            copies = copies.filter(_mine(user) | original)
        else:
            copies = copies.filter(_mine(user)).exclude(original)
    else:
        copies = copies.filter(_mine(user)).exclude(
            copy_number=distribution.ORIGINAL_COPY
        )
    return _with_urls(copies.order_by("issue__document__number_sort", "copy_number"))


def pending_acknowledgements(user, issues=None):
    """Issues ``user`` is asked to confirm reading (签收), oldest request first;
    never one of a restricted document they may not open (it cannot be read
    and understood, nor named to them)."""
    acks = (
        Acknowledgement.objects.pending()
        .filter(
            user=user, issue__status__in=[IssueStatus.PENDING, IssueStatus.EFFECTIVE]
        )
        .exclude(issue__document__in=DocumentPage.objects.restricted_from(user))
        .select_related("issue__document")
        .order_by("requested_at", "pk")
    )
    if issues is not None:
        acks = acks.filter(issue__in=issues)
    return acks


def my_recalls(user):
    """Open recalls of copies ``user`` (or their department) holds."""
    return (
        RecallTask.objects.open()
        .filter(_mine(user, "copy__"))
        .select_related("copy__issue__document", "copy__holder", "copy__department")
        .order_by("due_date", "pk")
    )


def hide_restricted(user, copies) -> list[ControlledCopy]:
    """Mark the copies of restricted documents ``user`` may not open
    (``copy.restricted``): the page names them as a restricted document, with
    no link, download or password. Returns ``copies``."""
    copies = list(copies)
    hidden = permissions.restricted_ids(user, {c.issue.document for c in copies})
    for copy in copies:
        copy.restricted = copy.issue.document_id in hidden
        if copy.restricted:
            copy.download_url = None
            copy.has_password = False
    return copies


def loss_reports_to_decide(user):
    """Lost-copy certificates awaiting ``user``'s approval as department head
    (or management representative), never their own report."""
    reported = (
        RecallTask.objects.filter(status=RecallStatus.LOSS_REPORTED)
        .exclude(loss_reported_by=user)
        .select_related(
            "copy__issue__document",
            "copy__holder",
            "copy__department",
            "loss_reported_by",
        )
        .order_by("due_date", "pk")
    )
    if distribution.has_role(user, roles.MANAGEMENT_REPRESENTATIVE):
        return reported
    department = distribution.department_of(user)
    if not distribution.is_department_head(user, department):
        return reported.none()
    return reported.filter(
        Q(copy__department=department)
        | Q(
            copy__department__isnull=True,
            copy__holder__staff_profile__department=department,
        )
    )


def withdrawals_to_decide(user):
    """作废申请 awaiting ``user``: the department head first, then the management
    representative; never their own request."""
    waiting = Q(pk__in=[])
    department = distribution.department_of(user)
    if distribution.is_department_head(user, department):
        waiting |= Q(status=WithdrawalStatus.REQUESTED, document__department=department)
    if distribution.has_role(user, roles.MANAGEMENT_REPRESENTATIVE):
        waiting |= Q(status=WithdrawalStatus.DEPARTMENT_APPROVED)
    return (
        WithdrawalRequest.objects.filter(waiting)
        .exclude(requested_by=user)
        .select_related("document", "requested_by")
        .order_by("requested_at", "pk")
    )


def my_approvals(user) -> list[dict]:
    """Approval steps awaiting ``user``'s signature, signed in the admin."""
    rows = []
    for state in approvals.task_states_awaiting(user):
        document = state.document
        rows.append(
            {
                "number": document.number,
                "title": document.title,
                "step": state.task.name,
                "since": state.started_at,
                "url": reverse("wagtailadmin_pages:edit", args=[document.pk]),
            }
        )
    return rows


def my_tasks_count(user) -> int:
    """Cheap count for the navigation badge: reading confirmations and recalls
    waiting on the user (approvals are counted on the page itself)."""
    if not can_view_library(user):
        return 0
    return (
        pending_acknowledgements(user).count()
        + my_recalls(user).filter(status=RecallStatus.OPEN).count()
    )


def issues_pending() -> list[DocumentIssue]:
    """Issues approved but not yet effective, with reading progress."""
    return list(
        DocumentIssue.objects.pending()
        .select_related("document")
        .annotate(
            readers=Count("acknowledgements", distinct=True),
            readers_confirmed=Count(
                "acknowledgements",
                filter=Q(acknowledgements__confirmed_at__isnull=False),
                distinct=True,
            ),
        )
        .order_by("effective_date", "document__number_sort")
    )


def open_recalls():
    return RecallTask.objects.open().select_related(
        "copy__issue__document", "copy__holder", "copy__department", "loss_reported_by"
    )


def open_change_requests():
    return (
        ChangeRequest.objects.open()
        .select_related("document", "requested_by", "drafter")
        .order_by("requested_at", "pk")
    )


def _person(user) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


def approval_record(issue: DocumentIssue) -> list[dict]:
    """The signatures that released ``issue``: meaning, signer, department, time."""
    signatures = Signature.objects.filter(issue=issue).select_related(
        "user__staff_profile__department", "department"
    )
    rows = []
    for signature in signatures:
        department = signature.department or distribution.department_of(signature.user)
        rows.append(
            {
                "meaning": signature.get_meaning_display(),
                "name": _person(signature.user),
                "department": department.name if department else "",
                "signed_at": signature.signed_at,
                "comment": signature.comment,
            }
        )
    return rows


def approval_status(user, page: DocumentPage) -> dict | None:
    """Where a new issue of ``page`` stands in its approval chain, for those who
    may edit the document; ``None`` when nothing is in approval."""
    if not can_view_library(user) or not permissions.can_edit_document(user, page):
        return None
    summary = approvals.workflow_summary(page)
    if summary is None:
        return None
    usernames = summary["may_act"]
    signers = [s["user"] for s in summary["signatures"]]
    names = {
        u.get_username(): _person(u)
        for u in get_user_model().objects.filter(username__in=usernames + signers)
    }
    meanings = dict(SignatureMeaning.choices)
    statuses = dict(WorkflowState.STATUS_CHOICES)
    return {
        **summary,
        "status_label": statuses.get(summary["status"], summary["status"]),
        "in_progress": summary["status"] == WorkflowState.STATUS_IN_PROGRESS,
        "may_act_names": [names.get(u, u) for u in usernames],
        "signatures": [
            {
                **s,
                "meaning": meanings.get(s["meaning"], s["meaning"]),
                "user": names.get(s["user"], s["user"]),
            }
            for s in summary["signatures"]
        ],
        "edit_url": reverse("wagtailadmin_pages:edit", args=[page.pk]),
    }


# --- Helpers for actions ------------------------------------------------------------


def _error_text(exc: Exception) -> str:
    if isinstance(exc, InvalidTransition):
        return _(
            "This is no longer possible: it has been done already, or someone "
            "else was first. The page shows where it stands now."
        )
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    text = str(exc) if exc.args else ""
    return text or _("You may not do this.")


def _next_url(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _run(request, action: Callable[[], object], *, success: str, fallback: str):
    """Call ``action`` (one service call); message the outcome; redirect."""
    try:
        action()
    except (PermissionDenied, InvalidTransition, ValidationError) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, success)
    return redirect(_next_url(request, fallback))


def _refuse(request, message: str, fallback: str):
    messages.error(request, message)
    return redirect(_next_url(request, fallback))


def _stale(request, current_status: str) -> bool:
    """The form was shown for another status: a double submit, or someone else
    decided in the meantime."""
    shown = request.POST.get("status")
    return bool(shown) and shown != current_status


def _decision(request) -> bool | None:
    return {"approve": True, "refuse": False}.get(request.POST.get("decision", ""))


def can_propose_change(page: DocumentPage) -> bool:
    """Staff may propose changes to a document in use (not to an obsolete one)."""
    return page.status == DocumentStatus.CONTROLLED


def _document(user, number: str) -> DocumentPage:
    """The released document numbered ``number`` that ``user`` may read (404
    otherwise, a restricted one included)."""
    canonical = numbering.get_scheme().normalise(number)
    page = get_object_or_404(DocumentPage.objects.visible_to(user), number=canonical)
    return page.specific


def _my_tasks_url() -> str:
    return reverse("documents:my_tasks")


def _control_desk_url(user) -> str:
    """Back to the desk; a refused non-controller goes to their own tasks."""
    if distribution.is_document_controller(user):
        return reverse("documents:control_desk")
    return _my_tasks_url()


def _label(issue: DocumentIssue) -> dict:
    document = issue.document
    return {"document": document.number or document.title, "label": issue.label}


# --- Pages ---------------------------------------------------------------------------


@library_access_required
def my_tasks(request):
    user = request.user
    today = timezone.localdate()
    recalls = list(my_recalls(user))
    for recall in recalls:
        recall.overdue = recall.is_overdue(today)
    loss_reports = list(loss_reports_to_decide(user))
    # Copies of a restricted document the user may not open stay listed (they
    # hold them, and return them), but unnamed.
    hide_restricted(user, [r.copy for r in recalls + loss_reports])
    context = {
        "today": today,
        "approvals": my_approvals(user),
        "acknowledgements": list(pending_acknowledgements(user)),
        "copies": hide_restricted(user, copies_in_hand(user)),
        "recalls": recalls,
        "loss_reports": loss_reports,
        "withdrawals": list(withdrawals_to_decide(user)),
        "is_controller": distribution.is_document_controller(user),
    }
    return render(request, "documents/lifecycle/my_tasks.html", context)


def _ensure_controller_page(user) -> None:
    if not distribution.is_document_controller(user):
        raise PermissionDenied(_("Only document control (文控) may open this page."))


@library_access_required
def control_desk(request):
    _ensure_controller_page(request.user)
    today = timezone.localdate()
    recalls = list(open_recalls().order_by("due_date", "pk"))
    for recall in recalls:
        recall.overdue = recall.is_overdue(today)
    reviews = changes.reviews_due(today=today)
    for document in reviews:
        document.review_overdue = document.next_review_due < today
    context = {
        "today": today,
        "recalls": recalls,
        "overdue_count": sum(1 for r in recalls if r.overdue),
        "pending_issues": issues_pending(),
        "reviews": reviews,
        "change_requests": list(open_change_requests()),
    }
    return render(request, "documents/lifecycle/control_desk.html", context)


@library_access_required
def copy_pdf(request, number, label):
    """The stamped PDF of one controlled copy, for its holder (or 文控)."""
    try:
        copy_number = int(request.GET.get("copy", ""))
    except ValueError:
        raise Http404("No such copy") from None
    canonical = numbering.get_scheme().normalise(number)
    copy = get_object_or_404(
        ControlledCopy.objects.select_related(
            "issue__document", "issue__source_file", "holder", "department"
        ),
        issue__document__in=DocumentPage.objects.visible_to(request.user),
        issue__document__number=canonical,
        issue__label=label.upper(),
        kind=CopyKind.CONTROLLED,
        copy_number=copy_number,
    )
    if not may_download(request.user, copy):
        raise PermissionDenied(_("This copy is not yours."))
    try:
        pdf = distribution.copy_render(user=request.user, copy=copy)
    except stamping.StampingError as exc:
        messages.error(
            request,
            _("The PDF of this copy could not be made: %(reason)s")
            % {"reason": exc.message},
        )
        return redirect(copy.issue.get_absolute_url() or _my_tasks_url())
    filename = f"{canonical}-{copy.issue.label}-{copy.copy_label}.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


# --- Actions: readers and holders ----------------------------------------------------


@require_POST
@library_access_required
def acknowledge(request, issue_id: int):
    issue = get_object_or_404(
        DocumentIssue.objects.select_related("document"), pk=issue_id
    )
    return _run(
        request,
        lambda: distribution.acknowledgement_confirm(user=request.user, issue=issue),
        success=_(
            "Recorded: you have read and understood %(document)s issue %(label)s."
        )
        % _label(issue),
        fallback=_my_tasks_url(),
    )


@never_cache
@require_POST
@library_access_required
def copy_password(request, copy_id: int):
    """Show the opening password of a copy once, on this response only."""
    copy = get_object_or_404(
        ControlledCopy.objects.select_related("issue__document"), pk=copy_id
    )
    try:
        password = distribution.copy_password_show(user=request.user, copy=copy)
    except PermissionDenied as exc:
        return _refuse(request, _error_text(exc), _my_tasks_url())
    if not password:
        return _refuse(
            request, _("This copy opens without a password."), _my_tasks_url()
        )
    copy.download_url = copy_pdf_url(copy)
    response = render(
        request,
        "documents/lifecycle/copy_password.html",
        {
            "copy": copy,
            "password": password,
            "back_url": _next_url(request, _my_tasks_url()),
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@library_access_required
def recall_report_loss(request, recall_id: int):
    recall = get_object_or_404(RecallTask.objects.select_related("copy"), pk=recall_id)
    return _run(
        request,
        lambda: distribution.recall_report_loss(
            user=request.user, recall=recall, reason=request.POST.get("reason", "")
        ),
        success=_(
            "The loss of %(copy)s is reported; the department head decides on it."
        )
        % {"copy": recall.copy.copy_label},
        fallback=_my_tasks_url(),
    )


@require_POST
@library_access_required
def recall_loss_decide(request, recall_id: int):
    recall = get_object_or_404(RecallTask.objects.select_related("copy"), pk=recall_id)
    approve = _decision(request)
    if approve is None:
        return _refuse(request, _("Choose approve or refuse."), _my_tasks_url())
    if _stale(request, recall.status):
        return _refuse(
            request,
            _("This loss report has already been decided."),
            _my_tasks_url(),
        )
    success = (
        _("Loss of %(copy)s approved: the recall is closed.")
        if approve
        else _("Loss of %(copy)s refused: the copy is to be returned.")
    ) % {"copy": recall.copy.copy_label}
    return _run(
        request,
        lambda: distribution.recall_approve_loss(
            user=request.user, recall=recall, approve=approve
        ),
        success=success,
        fallback=_my_tasks_url(),
    )


@require_POST
@library_access_required
def withdrawal_decide(request, request_id: int):
    withdrawal = get_object_or_404(
        WithdrawalRequest.objects.select_related("document"), pk=request_id
    )
    approve = _decision(request)
    if approve is None:
        return _refuse(request, _("Choose approve or refuse."), _my_tasks_url())
    if _stale(request, withdrawal.status):
        return _refuse(
            request,
            _("This withdrawal request has already been decided."),
            _my_tasks_url(),
        )
    number = withdrawal.document.number or withdrawal.document.title
    success = (
        _("Withdrawal of %(document)s approved.")
        if approve
        else _("Withdrawal of %(document)s refused.")
    ) % {"document": number}
    return _run(
        request,
        lambda: changes.withdrawal_decide(
            user=request.user,
            request=withdrawal,
            approve=approve,
            comment=request.POST.get("comment", ""),
        ),
        success=success,
        fallback=_my_tasks_url(),
    )


@require_POST
@library_access_required
def change_request(request, number: str):
    document = _document(request.user, number)
    fallback = document.get_permalink() or _my_tasks_url()
    reason = (request.POST.get("reason") or "").strip()
    proposed = (request.POST.get("proposed_change") or "").strip()
    if (
        reason
        and ChangeRequest.objects.open()
        .filter(
            document=document,
            requested_by=request.user,
            reason=reason,
            proposed_change=proposed,
        )
        .exists()
    ):
        return _refuse(
            request, _("You have already proposed this change; it is open."), fallback
        )
    return _run(
        request,
        lambda: changes.change_request_create(
            user=request.user,
            document=document,
            reason=reason,
            proposed_change=proposed,
        ),
        success=_(
            "Your change request for %(document)s is recorded; document control "
            "will follow it up."
        )
        % {"document": document.number or document.title},
        fallback=fallback,
    )


# --- Actions: document control ------------------------------------------------------


@require_POST
@library_access_required
def recall_return(request, recall_id: int):
    recall = get_object_or_404(RecallTask.objects.select_related("copy"), pk=recall_id)
    return _run(
        request,
        lambda: distribution.recall_return(user=request.user, recall=recall),
        success=_("%(copy)s is back: the recall is closed.")
        % {"copy": recall.copy.copy_label},
        fallback=_control_desk_url(request.user),
    )


@require_POST
@library_access_required
def recall_keep(request, recall_id: int):
    recall = get_object_or_404(RecallTask.objects.select_related("copy"), pk=recall_id)
    return _run(
        request,
        lambda: distribution.recall_keep(
            user=request.user, recall=recall, reason=request.POST.get("reason", "")
        ),
        success=_("%(copy)s stays with its holder, marked obsolete (作废留用).")
        % {"copy": recall.copy.copy_label},
        fallback=_control_desk_url(request.user),
    )


def _reviewed_today(document: DocumentPage, today: date) -> bool:
    return DocumentReview.objects.filter(document=document, reviewed_on=today).exists()


@require_POST
@library_access_required
def review_record(request, number: str):
    document = _document(request.user, number)
    fallback = _control_desk_url(request.user)
    outcome = request.POST.get("outcome", "")
    reason = (request.POST.get("reason") or "").strip()
    if outcome not in ReviewOutcome.values:
        return _refuse(request, _("Choose the outcome of the review."), fallback)
    if outcome == ReviewOutcome.CHANGE and not reason:
        return _refuse(request, _("Say what needs to change."), fallback)
    if _reviewed_today(document, timezone.localdate()):
        return _refuse(
            request,
            _("A review of %(document)s has already been recorded today.")
            % {"document": document.number or document.title},
            fallback,
        )
    success = (
        _("Review of %(document)s recorded: still suitable, no change.")
        if outcome == ReviewOutcome.NO_CHANGE
        else _("Review of %(document)s recorded: a change request has been raised.")
    ) % {"document": document.number or document.title}
    return _run(
        request,
        lambda: changes.review_record(
            user=request.user, document=document, outcome=outcome, reason=reason
        ),
        success=success,
        fallback=fallback,
    )

"""Services for an issue once it is approved: when it takes effect, its controlled
copies, reading confirmations, recall of superseded copies, borrowing and
destruction (ISO/IEC 20000-1:2018 7.5.3; document control procedure §4.5–4.7).

Like :mod:`documents.services`, every function is keyword-only, checks
permission, enforces the transition table and leaves a log entry; ``user=None``
is the system (the daily command).
"""

from __future__ import annotations

import secrets
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from . import notifications, roles, workdays
from .lifecycle import (
    BORROW_TRANSITIONS,
    COPY_TRANSITIONS,
    ISSUE_TRANSITIONS,
    RECALL_TRANSITIONS,
    BorrowStatus,
    CopyEventAction,
    CopyKind,
    CopyStatus,
    DestructionMethod,
    IssueStatus,
    RecallStatus,
    ensure_transition,
)
from .models import (
    Acknowledgement,
    BorrowRecord,
    ControlledCopy,
    CopyEvent,
    DestructionRecord,
    DocumentIssue,
    RecallTask,
)
from .permissions import (  # noqa: F401 - part of this module's API too
    department_of,
    has_role,
    is_department_head,
    is_document_controller,
)

ORIGINAL_COPY = 1


# --- Roles (asked of documents.permissions) -------------------------------------


def _ensure_controller(user) -> None:
    if user is not None and not is_document_controller(user):
        raise PermissionDenied(_("Only document control (文控) may do this."))


def _event(copy: ControlledCopy, action: str, user, note: str = "") -> None:
    CopyEvent.objects.create(
        copy=copy,
        action=action,
        user=user if user is not None and user.is_authenticated else None,
        note=note[:300],
    )


# --- Issue: copies, acknowledgements, taking effect ---------------------------------


def issue_distribute(*, user, issue: DocumentIssue) -> list[ControlledCopy]:
    """Controlled copies of a new issue per the approved distribution list:
    受控01 is the original kept by document control, 受控02… the recipients';
    each recipient is asked to confirm reading it (签收)."""
    released = issue.revision.as_object() if issue.revision_id else issue.document
    copies = [
        ControlledCopy.objects.create(
            issue=issue,
            copy_number=ORIGINAL_COPY,
            # Kept by document control, not lent to the issuer's department.
            department=None,
            location=_("Document control archive"),
            issued_by=user if user is not None and user.is_authenticated else None,
        )
    ]
    readers = set()
    number = ORIGINAL_COPY
    for entry in released.distribution_list.all():
        for _n in range(entry.copies):
            number += 1
            copy = ControlledCopy.objects.create(
                issue=issue,
                copy_number=number,
                holder_id=entry.holder_id,
                department_id=entry.department_id,
                location=entry.location,
                open_password=secrets.token_urlsafe(9)
                if entry.password_protected
                else "",
                issued_by=user if user is not None and user.is_authenticated else None,
            )
            copies.append(copy)
        if entry.holder_id:
            readers.add(entry.holder_id)
        elif entry.department_id:
            readers.update(
                get_user_model()
                .objects.filter(
                    is_active=True, staff_profile__department_id=entry.department_id
                )
                .values_list("pk", flat=True)
            )
    for copy in copies:
        _event(copy, CopyEventAction.ISSUED, user)
    Acknowledgement.objects.bulk_create(
        [Acknowledgement(issue=issue, user_id=pk) for pk in sorted(readers)],
        ignore_conflicts=True,
    )
    notifications.issue_released(issue=issue, copies=copies[1:])
    return copies


def training_complete(issue: DocumentIssue) -> bool:
    # Someone who has left (inactive) no longer holds the issue back.
    return not issue.acknowledgements.pending().filter(user__is_active=True).exists()


def issue_is_due(issue: DocumentIssue, today: date) -> bool:
    """A pending issue takes effect on its effective date, and with a training
    gate only once every recipient has confirmed reading it."""
    if issue.status != IssueStatus.PENDING or issue.effective_date > today:
        return False
    return not issue.training_required or training_complete(issue)


@transaction.atomic
def issue_activate(*, user, issue: DocumentIssue, today: date | None = None) -> bool:
    """Make a pending issue current; the one it replaces becomes 作废 and its
    copies are recalled (document control procedure: old electronic versions
    become obsolete automatically). Returns False when it is not due yet."""
    today = today or timezone.localdate()
    issue = DocumentIssue.objects.select_for_update().get(pk=issue.pk)
    if issue.status == IssueStatus.EFFECTIVE:
        return False  # already done: the daily run is idempotent
    ensure_transition(
        ISSUE_TRANSITIONS, issue.status, IssueStatus.EFFECTIVE, label=_("Issue")
    )
    if not issue_is_due(issue, today):
        return False
    superseded = []
    for old in issue.document.issues.effective().select_for_update():
        ensure_transition(
            ISSUE_TRANSITIONS, old.status, IssueStatus.SUPERSEDED, label=_("Issue")
        )
        old.status = IssueStatus.SUPERSEDED
        old.withdrawn_at = timezone.now()
        old.save(update_fields=["status", "withdrawn_at"])
        superseded.append(old)
    issue.status = IssueStatus.EFFECTIVE
    issue.activated_at = timezone.now()
    issue.save(update_fields=["status", "activated_at"])
    log(
        instance=issue.document.specific,
        action="shoukong.documents.activate",
        user=user,
        data={
            "label": issue.label,
            "effective_date": issue.effective_date.isoformat(),
            "superseded": [old.label for old in superseded],
        },
    )
    for old in superseded:
        recalls_open(user=user, issue=old, today=today)
    return True


def issues_activate_due(*, today: date) -> list[DocumentIssue]:
    """Every pending issue whose day has come (the daily command)."""
    done = []
    for issue in DocumentIssue.objects.due(today).select_related("document"):
        if issue_activate(user=None, issue=issue, today=today):
            done.append(issue)
    return done


@transaction.atomic
def acknowledgement_confirm(*, user, issue: DocumentIssue) -> Acknowledgement:
    """The reader confirms having read and understood the issue (签收)."""
    try:
        ack = Acknowledgement.objects.select_for_update().get(issue=issue, user=user)
    except Acknowledgement.DoesNotExist:
        raise PermissionDenied(
            _("This issue is not awaiting your confirmation.")
        ) from None
    if ack.confirmed_at is not None:
        raise ValidationError(_("You have already confirmed reading this issue."))
    if issue.is_void:
        raise ValidationError(_("This issue is no longer in force."))
    ack.confirmed_at = timezone.now()
    ack.save(update_fields=["confirmed_at"])
    log(
        instance=issue.document.specific,
        action="shoukong.documents.acknowledge",
        user=user,
        data={"label": issue.label},
    )
    if issue.status == IssueStatus.PENDING and issue_is_due(
        issue, timezone.localdate()
    ):
        issue_activate(user=None, issue=issue)
    return ack


# --- Recall ---------------------------------------------------------------------------


def recall_due_date(start: date) -> date:
    from django.conf import settings

    return workdays.add_working_days(
        start, settings.SHOUKONG_RECALL_WORKING_DAYS, **workdays.company_overrides()
    )


def recalls_open(*, user, issue: DocumentIssue, today: date) -> list[RecallTask]:
    """Every controlled copy of ``issue`` still out is called back within one
    working day (Chinese calendar); the original stays in the archive as 作废."""
    due = recall_due_date(today)
    tasks = []
    for copy in issue.copies.filter(kind=CopyKind.CONTROLLED).in_hands():
        if copy.copy_number == ORIGINAL_COPY:
            ensure_transition(COPY_TRANSITIONS, copy.status, CopyStatus.KEPT)
            copy.status = CopyStatus.KEPT
            copy.status_changed_at = timezone.now()
            copy.save(update_fields=["status", "status_changed_at"])
            _event(copy, CopyEventAction.KEPT, user, _("Original archived as obsolete"))
            continue
        task, created = RecallTask.objects.get_or_create(
            copy=copy, defaults={"due_date": due}
        )
        if created:
            _event(copy, CopyEventAction.RECALL_REQUESTED, user, due.isoformat())
            tasks.append(task)
    notifications.recalls_opened(tasks=tasks)
    return tasks


def _recall_for_update(recall: RecallTask) -> RecallTask:
    return (
        RecallTask.objects.select_for_update().select_related("copy").get(pk=recall.pk)
    )


def _close(recall: RecallTask, user, status: str, copy_status: str, action: str):
    ensure_transition(RECALL_TRANSITIONS, recall.status, status, label=_("Recall"))
    copy = recall.copy
    ensure_transition(COPY_TRANSITIONS, copy.status, copy_status, label=_("Copy"))
    recall.status = status
    recall.closed_at = timezone.now()
    recall.closed_by = user
    recall.save()
    copy.status = copy_status
    copy.status_changed_at = recall.closed_at
    copy.save(update_fields=["status", "status_changed_at"])
    _event(copy, action, user)
    log(
        instance=copy.issue.document.specific,
        action="shoukong.documents.recall_close",
        user=user,
        data={"copy": copy.copy_label, "issue": copy.issue.label, "outcome": status},
    )


@transaction.atomic
def recall_return(*, user, recall: RecallTask) -> RecallTask:
    """Document control receives the superseded copy back."""
    _ensure_controller(user)
    recall = _recall_for_update(recall)
    _close(
        recall,
        user,
        RecallStatus.RETURNED,
        CopyStatus.RETURNED,
        CopyEventAction.RETURNED,
    )
    return recall


@transaction.atomic
def recall_keep(*, user, recall: RecallTask, reason: str) -> RecallTask:
    """The holder keeps the copy for reference, marked 作废留用."""
    _ensure_controller(user)
    if not (reason or "").strip():
        raise ValidationError(_("Say why the obsolete copy is kept."))
    recall = _recall_for_update(recall)
    _close(recall, user, RecallStatus.KEPT, CopyStatus.KEPT, CopyEventAction.KEPT)
    CopyEvent.objects.filter(copy=recall.copy, action=CopyEventAction.KEPT).update(
        note=reason[:300]
    )
    return recall


@transaction.atomic
def recall_report_loss(*, user, recall: RecallTask, reason: str) -> RecallTask:
    """受控文件遗失证明单: the holder's department reports the copy lost."""
    recall = _recall_for_update(recall)
    copy = recall.copy
    if not (
        user == copy.holder
        or (copy.department_id and department_of(user) == copy.department)
        or is_document_controller(user)
    ):
        raise PermissionDenied(_("Only the holder's department may report it lost."))
    if not (reason or "").strip():
        raise ValidationError(_("Describe how the copy was lost."))
    ensure_transition(
        RECALL_TRANSITIONS, recall.status, RecallStatus.LOSS_REPORTED, label=_("Recall")
    )
    recall.status = RecallStatus.LOSS_REPORTED
    recall.loss_reason = reason
    recall.loss_reported_by = user
    recall.save(update_fields=["status", "loss_reason", "loss_reported_by"])
    _event(copy, CopyEventAction.LOSS_REPORTED, user, reason)
    log(
        instance=copy.issue.document.specific,
        action="shoukong.documents.loss_report",
        user=user,
        data={"copy": copy.copy_label, "issue": copy.issue.label},
    )
    return recall


@transaction.atomic
def recall_approve_loss(
    *, user, recall: RecallTask, approve: bool = True
) -> RecallTask:
    """The department head approves (closing the recall) or refuses the
    lost-copy certificate."""
    recall = _recall_for_update(recall)
    copy = recall.copy
    department = copy.department or (
        department_of(copy.holder) if copy.holder_id else None
    )
    if not (
        is_department_head(user, department)
        or has_role(user, roles.MANAGEMENT_REPRESENTATIVE)
    ):
        raise PermissionDenied(_("Only the department head approves a loss."))
    if recall.loss_reported_by_id == user.pk:
        raise PermissionDenied(_("You cannot approve your own loss report."))
    if approve:
        recall.loss_approved_by = user
        _close(recall, user, RecallStatus.LOST, CopyStatus.LOST, CopyEventAction.LOST)
    else:
        ensure_transition(
            RECALL_TRANSITIONS, recall.status, RecallStatus.OPEN, label=_("Recall")
        )
        recall.status = RecallStatus.OPEN
        recall.save(update_fields=["status"])
    return recall


def recalls_notify_overdue(*, today: date) -> int:
    """E-mail holders and document control about overdue recalls, once a day."""
    overdue = list(
        RecallTask.objects.overdue(today)
        .exclude(overdue_notified_on=today)
        .select_related("copy__issue__document", "copy__holder", "copy__department")
    )
    notifications.recalls_overdue(tasks=overdue, today=today)
    RecallTask.objects.filter(pk__in=[t.pk for t in overdue]).update(
        overdue_notified_on=today
    )
    return len(overdue)


# --- Copies ---------------------------------------------------------------------------


def can_open_copy(user, copy: ControlledCopy) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if is_document_controller(user):
        return True
    if copy.status != CopyStatus.ISSUED and copy.status != CopyStatus.KEPT:
        return False
    if copy.copy_number == ORIGINAL_COPY and copy.kind == CopyKind.CONTROLLED:
        return False  # the original stays with document control
    if copy.holder_id:
        return copy.holder_id == user.pk
    return copy.department_id is not None and department_of(user) == copy.department


def copy_mark(copy: ControlledCopy) -> str:
    if copy.issue.is_void or copy.status == CopyStatus.KEPT:
        return "obsolete"
    if copy.kind == CopyKind.UNCONTROLLED:
        return "uncontrolled"
    return "controlled"


def copy_render(*, user, copy: ControlledCopy, printed: bool = False) -> bytes:
    """The stamped PDF of one copy for its holder; every download is recorded
    in the distribution and recall record."""
    from . import stamping

    if not can_open_copy(user, copy):
        raise PermissionDenied(_("This copy is not yours."))
    issue = copy.issue
    source_pdf = None
    if issue.source_file_id and issue.source_file.file.name.lower().endswith(".pdf"):
        with issue.source_file.file.open("rb") as handle:
            source_pdf = handle.read()
    pdf = stamping.render_issue_pdf(
        number=issue.document.number or "",
        title=issue.title,
        label=issue.label,
        department=str(issue.document.department or ""),
        publish_date=issue.publish_date,
        effective_date=issue.effective_date,
        body_html=issue.body,
        text=issue.source_text,
        source_pdf=source_pdf,
    )
    stamped = stamping.stamp_pdf(
        pdf,
        mark=copy_mark(copy),
        copy_label=copy.copy_label,
        holder=copy.holder_label,
        number=issue.document.number or "",
        label=issue.label,
        effective_date=issue.effective_date,
        password=copy.open_password or None,
    )
    _event(
        copy,
        CopyEventAction.PRINTED if printed else CopyEventAction.DOWNLOADED,
        user,
    )
    return stamped


def copy_password_show(*, user, copy: ControlledCopy) -> str:
    """The opening password, for the holder only; each showing is recorded."""
    if not copy.open_password:
        return ""
    if not user.is_active or copy.status not in (CopyStatus.ISSUED, CopyStatus.KEPT):
        raise PermissionDenied(_("This copy is no longer in your hands."))
    if not (
        copy.holder_id == user.pk
        or (
            not copy.holder_id
            and copy.department_id
            and department_of(user) == copy.department
        )
    ):
        raise PermissionDenied(_("Only the holder may see the opening password."))
    _event(copy, CopyEventAction.PASSWORD_SHOWN, user)
    return copy.open_password


@transaction.atomic
def uncontrolled_copy_create(
    *, user, issue: DocumentIssue, recipient: str, purpose: str = ""
) -> ControlledCopy:
    """非受控 copy for a customer or outsider: the management representative
    approves it; it is never replaced nor recalled."""
    if not has_role(user, roles.MANAGEMENT_REPRESENTATIVE):
        raise PermissionDenied(
            _("Uncontrolled copies need the management representative's approval.")
        )
    if issue.status != IssueStatus.EFFECTIVE:
        raise ValidationError(_("Only the issue in force is given out."))
    if not (recipient or "").strip():
        raise ValidationError(_("Name the recipient."))
    last = (
        ControlledCopy.objects.select_for_update()
        .filter(issue=issue, kind=CopyKind.UNCONTROLLED)
        .order_by("-copy_number")
        .first()
    )
    copy = ControlledCopy.objects.create(
        issue=issue,
        kind=CopyKind.UNCONTROLLED,
        copy_number=(last.copy_number + 1) if last else 1,
        recipient=recipient.strip(),
        location=purpose[:100],
        issued_by=user,
        approved_by=user,
    )
    _event(copy, CopyEventAction.ISSUED, user, purpose)
    log(
        instance=issue.document.specific,
        action="shoukong.documents.uncontrolled_copy",
        user=user,
        data={"issue": issue.label, "recipient": copy.recipient},
    )
    return copy


# --- Borrowing and destruction --------------------------------------------------------


@transaction.atomic
def borrow_create(
    *,
    user,
    copy: ControlledCopy,
    purpose: str,
    due_on: date,
    borrower=None,
    borrower_name: str = "",
    approved_by=None,
) -> BorrowRecord:
    """文件借阅记录: document control lends a controlled original; lending outside
    the company needs the management representative's approval."""
    _ensure_controller(user)
    if borrower is None and not borrower_name.strip():
        raise ValidationError(_("Name the borrower."))
    external = borrower is None
    if external and not has_role(approved_by, roles.MANAGEMENT_REPRESENTATIVE):
        raise PermissionDenied(
            _("Lending outside the company needs the management representative.")
        )
    today = timezone.localdate()
    if due_on < today:
        raise ValidationError(_("The due date cannot be in the past."))
    if copy.status != CopyStatus.ISSUED:
        raise ValidationError(_("Only a copy in use can be lent."))
    if BorrowRecord.objects.filter(copy=copy, status=BorrowStatus.BORROWED).exists():
        raise ValidationError(_("This copy is already on loan."))
    record = BorrowRecord.objects.create(
        copy=copy,
        borrower=borrower,
        borrower_name=borrower_name.strip(),
        purpose=purpose,
        borrowed_on=today,
        due_on=due_on,
        approved_by=approved_by,
        recorded_by=user,
    )
    log(
        instance=copy.issue.document.specific,
        action="shoukong.documents.borrow",
        user=user,
        data={"copy": copy.copy_label, "due_on": due_on.isoformat()},
    )
    return record


@transaction.atomic
def borrow_return(*, user, record: BorrowRecord) -> BorrowRecord:
    _ensure_controller(user)
    record = BorrowRecord.objects.select_for_update().get(pk=record.pk)
    ensure_transition(
        BORROW_TRANSITIONS, record.status, BorrowStatus.RETURNED, label=_("Loan")
    )
    record.status = BorrowStatus.RETURNED
    record.returned_on = timezone.localdate()
    record.save(update_fields=["status", "returned_on"])
    log(
        instance=record.copy.issue.document.specific,
        action="shoukong.documents.borrow_return",
        user=user,
        data={"copy": record.copy.copy_label},
    )
    return record


@transaction.atomic
def destruction_record(
    *,
    user,
    copies: list[ControlledCopy],
    method: str,
    destroyed_on: date,
    witness: str,
    approved_by,
    note: str = "",
) -> DestructionRecord:
    """文件销毁申请与记录: only obsolete copies (returned or kept) are destroyed,
    approved by the management representative, executed by document control,
    before a witness."""
    _ensure_controller(user)
    if not has_role(approved_by, roles.MANAGEMENT_REPRESENTATIVE):
        raise PermissionDenied(
            _("Destruction needs the management representative's approval.")
        )
    if method not in DestructionMethod.values:
        raise ValidationError(_("Unknown destruction method."))
    if not (witness or "").strip():
        raise ValidationError(_("Name the witness."))
    if not copies:
        raise ValidationError(_("Choose the copies to destroy."))
    locked = list(
        ControlledCopy.objects.select_for_update()
        .select_related("issue")
        .filter(pk__in=[c.pk for c in copies])
    )
    for copy in locked:
        if not copy.issue.is_void:
            raise ValidationError(
                _("%(copy)s belongs to an issue still in force.") % {"copy": copy}
            )
        ensure_transition(
            COPY_TRANSITIONS, copy.status, CopyStatus.DESTROYED, label=_("Copy")
        )
    record = DestructionRecord.objects.create(
        method=method,
        destroyed_on=destroyed_on,
        executed_by=user,
        witness=witness.strip(),
        approved_by=approved_by,
        note=note,
    )
    record.copies.set(locked)
    for copy in locked:
        copy.status = CopyStatus.DESTROYED
        copy.status_changed_at = timezone.now()
        copy.save(update_fields=["status", "status_changed_at"])
        _event(copy, CopyEventAction.DESTROYED, user, method)
        log(
            instance=copy.issue.document.specific,
            action="shoukong.documents.destroy",
            user=user,
            data={"copy": copy.copy_label, "issue": copy.issue.label, "method": method},
        )
    return record

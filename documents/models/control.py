"""What happens to an issue once it exists: signatures, copies, recall, reading,
change requests, periodic review, withdrawal, destruction and borrowing.

Every row here is written by a service in :mod:`documents.control`; none is ever
edited in place except to move along its transition table.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..lifecycle import (
    OPEN_RECALL_STATUSES,
    BorrowStatus,
    ChangeRequestStatus,
    ChangeSource,
    CopyEventAction,
    CopyKind,
    CopyStatus,
    DestructionMethod,
    RecallStatus,
    ReviewOutcome,
    SignatureMeaning,
    WithdrawalStatus,
)
from ..querysets import (
    AcknowledgementQuerySet,
    ChangeRequestQuerySet,
    ControlledCopyQuerySet,
    RecallTaskQuerySet,
)
from .issues import DocumentIssue
from .pages import Department, DocumentPage

USER = settings.AUTH_USER_MODEL


class Signature(models.Model):
    """An electronic signature on one revision of a document: who, when, with what
    meaning, re-authenticated by password (21 CFR 11.50, 11.200)."""

    document = models.ForeignKey(
        DocumentPage,
        on_delete=models.PROTECT,
        related_name="signatures",
        verbose_name=_("document"),
    )
    revision = models.ForeignKey(
        "wagtailcore.Revision",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("revision signed"),
    )
    task_state = models.ForeignKey(
        "wagtailcore.TaskState",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("workflow step"),
    )
    meaning = models.CharField(
        _("meaning"), max_length=16, choices=SignatureMeaning.choices
    )
    user = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed by")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("for department"),
    )
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    issue_label = models.CharField(
        _("for issue"),
        max_length=8,
        help_text=_("The issue letter this approval releases."),
    )
    issue = models.ForeignKey(
        DocumentIssue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signatures",
        verbose_name=_("issue"),
    )
    comment = models.TextField(_("comment"), blank=True)
    password_confirmed = models.BooleanField(_("password re-entered"), default=False)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["signed_at", "id"]
        constraints = [
            # Approving twice leaves one signature, however the second one arrives.
            models.UniqueConstraint(
                fields=["task_state", "user"], name="documents_signature_once"
            ),
            models.UniqueConstraint(
                fields=["task_state", "department"],
                condition=Q(department__isnull=False),
                name="documents_signature_once_per_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} {self.get_meaning_display()} {self.user}"


class ControlledCopy(models.Model):
    """One copy of an issue in someone's hands: 受控01 is the original kept by
    document control, 受控02… the distributed copies, 非受控 copies for outsiders."""

    issue = models.ForeignKey(
        DocumentIssue,
        on_delete=models.PROTECT,
        related_name="copies",
        verbose_name=_("issue"),
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=CopyKind.choices, default=CopyKind.CONTROLLED
    )
    copy_number = models.PositiveSmallIntegerField(_("copy number"))
    holder = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="controlled_copies",
        verbose_name=_("holder"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("holding department"),
    )
    recipient = models.CharField(
        _("recipient"),
        max_length=200,
        blank=True,
        help_text=_("For uncontrolled copies: the customer or outsider receiving it."),
    )
    location = models.CharField(_("location"), max_length=100, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=CopyStatus.choices,
        default=CopyStatus.ISSUED,
    )
    open_password = models.CharField(
        _("opening password"),
        max_length=64,
        blank=True,
        help_text=_("Shown only to the holder; every showing is recorded."),
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    approved_by = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
        help_text=_("Uncontrolled copies need the management representative."),
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True)

    objects = ControlledCopyQuerySet.as_manager()

    class Meta:
        verbose_name = _("controlled copy")
        verbose_name_plural = _("controlled copies")
        ordering = ["issue", "kind", "copy_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "kind", "copy_number"],
                name="documents_copy_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issue} {self.copy_label}"

    @property
    def copy_label(self) -> str:
        prefix = "受控" if self.kind == CopyKind.CONTROLLED else "非受控"
        return f"{prefix}{self.copy_number:02d}"

    @property
    def holder_label(self) -> str:
        if self.recipient:
            return self.recipient
        parts = []
        if self.department_id:
            parts.append(str(self.department))
        if self.holder_id:
            name = self.holder.get_full_name() or self.holder.get_username()
            parts.append(name)
        return " ".join(parts) or "-"


class CopyEvent(models.Model):
    """One line of the distribution and recall record (文件发放、回收记录)."""

    copy = models.ForeignKey(
        ControlledCopy,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("copy"),
    )
    action = models.CharField(
        _("action"), max_length=20, choices=CopyEventAction.choices
    )
    user = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("distribution and recall record")
        verbose_name_plural = _("distribution and recall records")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.copy} {self.get_action_display()}"


class RecallTask(models.Model):
    """A superseded or withdrawn copy to bring back within one working day; closed
    by its return or by an approved lost-copy certificate (受控文件遗失证明单)."""

    copy = models.OneToOneField(
        ControlledCopy,
        on_delete=models.PROTECT,
        related_name="recall",
        verbose_name=_("copy"),
    )
    due_date = models.DateField(_("due"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=RecallStatus.choices,
        default=RecallStatus.OPEN,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    loss_reason = models.TextField(_("circumstances of the loss"), blank=True)
    loss_reported_by = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("loss reported by"),
    )
    loss_approved_by = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("loss certificate approved by"),
    )
    overdue_notified_on = models.DateField(null=True, blank=True, editable=False)

    objects = RecallTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("recall task")
        verbose_name_plural = _("recall tasks")
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return f"{self.copy} → {self.due_date:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_RECALL_STATUSES

    def is_overdue(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.is_open and self.due_date < today


class Acknowledgement(models.Model):
    """A recipient confirms having read and understood an issue (签收)."""

    issue = models.ForeignKey(
        DocumentIssue,
        on_delete=models.PROTECT,
        related_name="acknowledgements",
        verbose_name=_("issue"),
    )
    user = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        related_name="acknowledgements",
        verbose_name=_("reader"),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    objects = AcknowledgementQuerySet.as_manager()

    class Meta:
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        ordering = ["issue", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "user"], name="documents_acknowledgement_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issue} · {self.user}"


class ChangeRequest(models.Model):
    """A request to change a document (文件更改申请单); anyone may raise one."""

    document = models.ForeignKey(
        DocumentPage,
        on_delete=models.PROTECT,
        related_name="change_requests",
        verbose_name=_("document"),
    )
    requested_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    reason = models.TextField(_("reason"))
    proposed_change = models.TextField(_("proposed change"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ChangeRequestStatus.choices,
        default=ChangeRequestStatus.OPEN,
    )
    source = models.CharField(
        _("source"),
        max_length=24,
        choices=ChangeSource.choices,
        default=ChangeSource.STAFF,
    )
    source_reference = models.CharField(
        _("source reference"),
        max_length=100,
        blank=True,
        help_text=_("e.g. the corrective action or audit finding number."),
    )
    source_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source_object = GenericForeignKey("source_type", "source_id")
    drafter = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("drafter"),
    )
    decided_by = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision"), blank=True)
    resulting_issue = models.ForeignKey(
        DocumentIssue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="change_requests",
        verbose_name=_("resulting issue"),
    )

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"CR-{self.pk} {self.document}"


class DocumentReview(models.Model):
    """A periodic review of a document (at least every three years), ending in
    "no change" (which restarts the clock) or a change request."""

    document = models.ForeignKey(
        DocumentPage,
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=_("document"),
    )
    issue = models.ForeignKey(
        DocumentIssue,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issue reviewed"),
    )
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=ReviewOutcome.choices
    )
    reviewed_on = models.DateField(_("reviewed on"))
    reviewed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("reviewer")
    )
    note = models.TextField(_("note"), blank=True)
    change_request = models.ForeignKey(
        ChangeRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("change request"),
    )

    class Meta:
        verbose_name = _("periodic review")
        verbose_name_plural = _("periodic reviews")
        ordering = ["-reviewed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.document} {self.reviewed_on:%Y-%m-%d}"


class WithdrawalRequest(models.Model):
    """作废申请: a document withdrawn without replacement, approved by the head of
    its department and by the management representative."""

    document = models.ForeignKey(
        DocumentPage,
        on_delete=models.PROTECT,
        related_name="withdrawal_requests",
        verbose_name=_("document"),
    )
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    status = models.CharField(
        _("status"),
        max_length=24,
        choices=WithdrawalStatus.choices,
        default=WithdrawalStatus.REQUESTED,
    )
    department_approved_by = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department head"),
    )
    department_approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("management representative"),
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("withdrawal request")
        verbose_name_plural = _("withdrawal requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(
                    status__in=[
                        WithdrawalStatus.REQUESTED,
                        WithdrawalStatus.DEPARTMENT_APPROVED,
                    ]
                ),
                name="documents_withdrawal_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} ({self.get_status_display()})"


class DestructionRecord(models.Model):
    """文件销毁申请与记录: obsolete copies destroyed, how, when, by whom, witnessed."""

    copies = models.ManyToManyField(
        ControlledCopy, related_name="destructions", verbose_name=_("copies")
    )
    method = models.CharField(
        _("method"), max_length=16, choices=DestructionMethod.choices
    )
    destroyed_on = models.DateField(_("destroyed on"))
    executed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("executed by")
    )
    witness = models.CharField(_("witness"), max_length=100)
    approved_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    note = models.TextField(_("note"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("destruction record")
        verbose_name_plural = _("destruction records")
        ordering = ["-destroyed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.destroyed_on:%Y-%m-%d}"


class BorrowRecord(models.Model):
    """文件借阅记录: a controlled original lent out, with its due date and return."""

    copy = models.ForeignKey(
        ControlledCopy,
        on_delete=models.PROTECT,
        related_name="loans",
        verbose_name=_("copy"),
    )
    borrower = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("borrower"),
    )
    borrower_name = models.CharField(
        _("external borrower"),
        max_length=200,
        blank=True,
        help_text=_("Lending outside the company needs the management representative."),
    )
    purpose = models.CharField(_("purpose"), max_length=300)
    borrowed_on = models.DateField(_("borrowed on"))
    due_on = models.DateField(_("due back"))
    returned_on = models.DateField(_("returned on"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=BorrowStatus.choices,
        default=BorrowStatus.BORROWED,
    )
    approved_by = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    recorded_by = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("borrowing record")
        verbose_name_plural = _("borrowing records")
        ordering = ["-borrowed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("borrowed_on")),
                name="documents_borrow_due_after_start",
            ),
            models.UniqueConstraint(
                fields=["copy"],
                condition=Q(status=BorrowStatus.BORROWED),
                name="documents_borrow_one_open_loan",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.copy} → {self.borrower or self.borrower_name}"


class ExternalSignOut(models.Model):
    """外来文件登记表: a department signs for an external document it received."""

    document = models.ForeignKey(
        DocumentPage,
        on_delete=models.PROTECT,
        related_name="external_sign_outs",
        verbose_name=_("external document"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("department"),
    )
    signed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed by")
    )
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    copies = models.PositiveSmallIntegerField(_("copies"), default=1)

    class Meta:
        verbose_name = _("external document sign-out")
        verbose_name_plural = _("external document sign-outs")
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.document} → {self.department}"


class NotificationLog(models.Model):
    """Keys of e-mails already sent, so the daily run never sends one twice."""

    key = models.CharField(max_length=200, unique=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("notification sent")
        verbose_name_plural = _("notifications sent")

    def __str__(self) -> str:
        return self.key

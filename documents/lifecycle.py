"""Statuses of controlled documents and of their issues, with their transition tables.

Pure: no ORM access. Services call :func:`ensure_transition` before they assign a
status, so "not allowed now" (:class:`InvalidTransition`) stays distinct from "not
allowed for you" (``PermissionDenied``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class InvalidTransition(Exception):
    """The requested change of status is not allowed from the current status."""

    def __init__(self, current: str, target: str, label: str = "") -> None:
        self.current = current
        self.target = target
        super().__init__(
            gettext("%(what)s cannot go from “%(current)s” to “%(target)s”.")
            % {"what": label or gettext("Status"), "current": current, "target": target}
        )


class DocumentKind(models.TextChoices):
    MANUAL = "manual", _("Manual")
    PROCEDURE = "procedure", _("Procedure")
    INSTRUCTION = "instruction", _("Work instruction")
    FORM = "form", _("Form")
    OTHER = "other", _("Other document")
    EXTERNAL = "external", _("External document")


TIER_OF_KIND: dict[str, int | None] = {
    DocumentKind.MANUAL: 1,
    DocumentKind.PROCEDURE: 2,
    DocumentKind.INSTRUCTION: 3,
    DocumentKind.FORM: 4,
    DocumentKind.OTHER: None,
    DocumentKind.EXTERNAL: None,
}

NUMBERED_KINDS = frozenset(
    {
        DocumentKind.MANUAL,
        DocumentKind.PROCEDURE,
        DocumentKind.INSTRUCTION,
        DocumentKind.FORM,
    }
)


class Tier(models.IntegerChoices):
    MANUAL = 1, _("Tier 1 · manual")
    PROCEDURE = 2, _("Tier 2 · procedure")
    INSTRUCTION = 3, _("Tier 3 · work instruction")
    FORM = 4, _("Tier 4 · form")


class DocumentStatus(models.TextChoices):
    """Where a document stands as a whole (ISO/IEC 20000-1:2018 7.5.3)."""

    DRAFT = "draft", _("Draft")
    CONTROLLED = "controlled", _("Controlled")
    OBSOLETE = "obsolete", _("Obsolete")
    EXTERNAL = "external", _("External")


DOCUMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    # The first approved issue puts a draft under control.
    DocumentStatus.DRAFT: frozenset({DocumentStatus.CONTROLLED}),
    # Withdrawal without replacement makes a document obsolete; its number stays.
    DocumentStatus.CONTROLLED: frozenset({DocumentStatus.OBSOLETE}),
    DocumentStatus.EXTERNAL: frozenset({DocumentStatus.OBSOLETE}),
    DocumentStatus.OBSOLETE: frozenset(),
}


class IssueStatus(models.TextChoices):
    """The status of one approved release (issue A, B, …) of a document."""

    PENDING = "pending", _("Approved, not yet effective")
    EFFECTIVE = "effective", _("Effective")
    SUPERSEDED = "superseded", _("Superseded")
    OBSOLETE = "obsolete", _("Obsolete")


ISSUE_TRANSITIONS: dict[str, frozenset[str]] = {
    IssueStatus.PENDING: frozenset({IssueStatus.EFFECTIVE, IssueStatus.OBSOLETE}),
    # A newer issue supersedes the effective one; withdrawal makes it obsolete.
    IssueStatus.EFFECTIVE: frozenset({IssueStatus.SUPERSEDED, IssueStatus.OBSOLETE}),
    IssueStatus.SUPERSEDED: frozenset(),
    IssueStatus.OBSOLETE: frozenset(),
}

# Issues that are no longer in force carry the 作废 banner wherever they are shown.
VOID_ISSUE_STATUSES = frozenset({IssueStatus.SUPERSEDED, IssueStatus.OBSOLETE})


def can_transition(table: dict[str, frozenset[str]], current: str, target: str) -> bool:
    return target in table.get(current, frozenset())


def ensure_transition(
    table: dict[str, frozenset[str]], current: str, target: str, *, label: str = ""
) -> None:
    """Raise :class:`InvalidTransition` unless ``current → target`` is in ``table``."""
    if not can_transition(table, current, target):
        raise InvalidTransition(current, target, label)


# --- Approval ----------------------------------------------------------------------


class SignatureMeaning(models.TextChoices):
    """What an electronic signature means (21 CFR 11.50: the meaning is recorded)."""

    CO_SIGNED = "co_signed", _("Co-signed (会签)")
    REVIEWED = "reviewed", _("Reviewed (审核)")
    APPROVED = "approved", _("Approved (批准)")
    CHECKED = "checked", _("Pre-issue check passed (发布前检查)")


# --- Controlled copies, recall -----------------------------------------------------


class CopyKind(models.TextChoices):
    CONTROLLED = "controlled", _("Controlled copy (受控)")
    UNCONTROLLED = "uncontrolled", _("Uncontrolled copy (非受控)")


class CopyStatus(models.TextChoices):
    """Where one distributed copy of an issue stands (ISO/IEC 20000-1:2018 7.5.3)."""

    ISSUED = "issued", _("Issued")
    RETURNED = "returned", _("Returned")
    LOST = "lost", _("Lost (certificate approved)")
    KEPT = "kept", _("Obsolete, kept for reference (作废留用)")
    DESTROYED = "destroyed", _("Destroyed")


COPY_TRANSITIONS: dict[str, frozenset[str]] = {
    CopyStatus.ISSUED: frozenset(
        {CopyStatus.RETURNED, CopyStatus.LOST, CopyStatus.KEPT}
    ),
    CopyStatus.RETURNED: frozenset({CopyStatus.DESTROYED}),
    CopyStatus.KEPT: frozenset({CopyStatus.RETURNED, CopyStatus.DESTROYED}),
    CopyStatus.LOST: frozenset(),
    CopyStatus.DESTROYED: frozenset(),
}


class CopyEventAction(models.TextChoices):
    """Lines of the distribution and recall record (文件发放、回收记录)."""

    ISSUED = "issued", _("Issued")
    DOWNLOADED = "downloaded", _("Downloaded")
    PRINTED = "printed", _("Printed")
    PASSWORD_SHOWN = "password_shown", _("Opening password shown")
    RECALL_REQUESTED = "recall_requested", _("Recall requested")
    RETURNED = "returned", _("Returned")
    LOSS_REPORTED = "loss_reported", _("Loss reported")
    LOST = "lost", _("Loss certificate approved")
    KEPT = "kept", _("Kept for reference")
    DESTROYED = "destroyed", _("Destroyed")


class RecallStatus(models.TextChoices):
    OPEN = "open", _("Open")
    LOSS_REPORTED = "loss_reported", _("Loss reported, awaiting approval")
    RETURNED = "returned", _("Returned")
    LOST = "lost", _("Closed by loss certificate")
    KEPT = "kept", _("Kept for reference (作废留用)")


RECALL_TRANSITIONS: dict[str, frozenset[str]] = {
    RecallStatus.OPEN: frozenset(
        {RecallStatus.RETURNED, RecallStatus.LOSS_REPORTED, RecallStatus.KEPT}
    ),
    # A refused certificate leaves the copy to be returned.
    RecallStatus.LOSS_REPORTED: frozenset(
        {RecallStatus.LOST, RecallStatus.OPEN, RecallStatus.RETURNED}
    ),
    RecallStatus.RETURNED: frozenset(),
    RecallStatus.LOST: frozenset(),
    RecallStatus.KEPT: frozenset(),
}

OPEN_RECALL_STATUSES = frozenset({RecallStatus.OPEN, RecallStatus.LOSS_REPORTED})


# --- Change requests, periodic review, withdrawal, destruction, borrowing ----------


class ChangeRequestStatus(models.TextChoices):
    OPEN = "open", _("Proposed")
    ACCEPTED = "accepted", _("Accepted, in revision")
    REJECTED = "rejected", _("Rejected")
    ISSUED = "issued", _("Done: new issue released")
    WITHDRAWN = "withdrawn", _("Withdrawn")


CHANGE_REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    ChangeRequestStatus.OPEN: frozenset(
        {
            ChangeRequestStatus.ACCEPTED,
            ChangeRequestStatus.REJECTED,
            ChangeRequestStatus.WITHDRAWN,
        }
    ),
    ChangeRequestStatus.ACCEPTED: frozenset(
        {ChangeRequestStatus.ISSUED, ChangeRequestStatus.WITHDRAWN}
    ),
    ChangeRequestStatus.REJECTED: frozenset(),
    ChangeRequestStatus.ISSUED: frozenset(),
    ChangeRequestStatus.WITHDRAWN: frozenset(),
}


class ChangeSource(models.TextChoices):
    """Where a change request comes from; the record itself is linked generically."""

    STAFF = "staff", _("Staff proposal")
    PERIODIC_REVIEW = "periodic_review", _("Periodic review")
    CORRECTIVE_ACTION = "corrective_action", _("Corrective action")
    AUDIT_FINDING = "audit_finding", _("Audit finding")
    MANAGEMENT_REVIEW = "management_review", _("Management review")
    PROBLEM = "problem", _("Problem or incident")
    OTHER = "other", _("Other")


class ReviewOutcome(models.TextChoices):
    NO_CHANGE = "no_change", _("Still suitable: no change")
    CHANGE = "change", _("Change needed: change request raised")


class WithdrawalStatus(models.TextChoices):
    """作废申请: the department head, then the management representative."""

    REQUESTED = "requested", _("Requested")
    DEPARTMENT_APPROVED = "department_approved", _("Approved by the department head")
    APPROVED = "approved", _("Approved: document obsolete")
    REJECTED = "rejected", _("Rejected")


WITHDRAWAL_TRANSITIONS: dict[str, frozenset[str]] = {
    WithdrawalStatus.REQUESTED: frozenset(
        {WithdrawalStatus.DEPARTMENT_APPROVED, WithdrawalStatus.REJECTED}
    ),
    WithdrawalStatus.DEPARTMENT_APPROVED: frozenset(
        {WithdrawalStatus.APPROVED, WithdrawalStatus.REJECTED}
    ),
    WithdrawalStatus.APPROVED: frozenset(),
    WithdrawalStatus.REJECTED: frozenset(),
}


class DestructionMethod(models.TextChoices):
    SHRED = "shred", _("Shredded (碎纸)")
    RECYCLE = "recycle", _("Recycled")
    ERASE = "erase", _("Securely erased (electronic)")


class BorrowStatus(models.TextChoices):
    BORROWED = "borrowed", _("On loan")
    RETURNED = "returned", _("Returned")


BORROW_TRANSITIONS: dict[str, frozenset[str]] = {
    BorrowStatus.BORROWED: frozenset({BorrowStatus.RETURNED}),
    BorrowStatus.RETURNED: frozenset(),
}


class ExternalValidity(models.TextChoices):
    CURRENT = "current", _("Current")
    SUPERSEDED = "superseded", _("Superseded by a newer edition")
    WITHDRAWN = "withdrawn", _("Withdrawn by its issuer")

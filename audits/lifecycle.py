"""Statuses of audit programmes and audits, with their transition tables
(ISO/IEC 20000-1:2018 9.2; internal audit procedure).

Pure: no ORM access. Services call :func:`ensure_transition` before they assign
a status.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from documents.lifecycle import InvalidTransition, ensure_transition

__all__ = [
    "AUDIT_TRANSITIONS",
    "ACTIVE_AUDIT_STATUSES",
    "EDITABLE_AUDIT_STATUSES",
    "FIELDWORK_DONE_STATUSES",
    "PROGRAMME_TRANSITIONS",
    "AuditKind",
    "AuditStatus",
    "AuditTrigger",
    "InvalidTransition",
    "ItemResult",
    "MeetingKind",
    "ProgrammeStatus",
    "SignatureDecision",
    "TeamRole",
    "ensure_transition",
]


class ProgrammeStatus(models.TextChoices):
    """The annual programme (年度内部审核实施计划): prepared, signed along the
    chain of SHOUKONG_AUDIT_PROGRAMME_CHAIN, approved; revised back to draft."""

    DRAFT = "draft", pgettext_lazy("audit programme", "Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", pgettext_lazy("audit programme", "Approved")


PROGRAMME_TRANSITIONS: dict[str, frozenset[str]] = {
    ProgrammeStatus.DRAFT: frozenset({ProgrammeStatus.IN_REVIEW}),
    # Every step signed: approved; any step returned: back to draft.
    ProgrammeStatus.IN_REVIEW: frozenset(
        {ProgrammeStatus.APPROVED, ProgrammeStatus.DRAFT}
    ),
    # A revision of an approved programme goes through the chain again.
    ProgrammeStatus.APPROVED: frozenset({ProgrammeStatus.DRAFT}),
}


class SignatureDecision(models.TextChoices):
    SIGNED = "signed", _("Signed")
    RETURNED = "returned", pgettext_lazy("audit programme", "Returned")


class AuditKind(models.TextChoices):
    PLANNED = "planned", _("Planned (in the annual programme)")
    AD_HOC = "ad_hoc", _("Ad hoc")


class AuditTrigger(models.TextChoices):
    """Why an ad hoc audit (临时性审核) is held: the procedure's cases a) to d),
    a department head's written request, or an area found weak."""

    MANAGEMENT_REVIEW = "management_review", _("Requested by a management review")
    MAJOR_CONTRACT = "major_contract", _("Major contract signed")
    MAJOR_CHANGE = (
        "major_change",
        _("Major change to the organisation or the system documents"),
    )
    MAJOR_INCIDENT = (
        "major_incident",
        _("Major quality or information security incident"),
    )
    DEPARTMENT_REQUEST = "department_request", _("Written request of a department head")
    WEAK_AREA = "weak_area", _("Weak area or error-prone step")
    OTHER = "other", pgettext_lazy("audit trigger", "Other")


class AuditStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested: awaiting 管理者代表")
    PLANNED = "planned", pgettext_lazy("audit", "Planned")
    NOTIFIED = "notified", _("Auditees notified")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Fieldwork completed")
    REPORTED = "reported", _("Report awaiting approval")
    CLOSED = "closed", pgettext_lazy("audit", "Closed")
    REJECTED = "rejected", pgettext_lazy("audit request", "Rejected")
    CANCELLED = "cancelled", pgettext_lazy("audit", "Cancelled")


A = AuditStatus

AUDIT_TRANSITIONS: dict[str, frozenset[str]] = {
    # An ad hoc audit asked for by someone other than 管理者代表 waits for him.
    A.REQUESTED: frozenset({A.PLANNED, A.REJECTED}),
    # The notice goes to the auditees 3–5 days ahead.
    A.PLANNED: frozenset({A.NOTIFIED, A.CANCELLED}),
    # Rescheduled after the notice: back to planned, notified again.
    A.NOTIFIED: frozenset({A.IN_PROGRESS, A.PLANNED, A.CANCELLED}),
    # The opening meeting starts the fieldwork; the closing meeting ends it.
    A.IN_PROGRESS: frozenset({A.COMPLETED}),
    # The leader submits the report; 管理者代表 approves or returns it.
    A.COMPLETED: frozenset({A.REPORTED}),
    A.REPORTED: frozenset({A.CLOSED, A.COMPLETED}),
    A.CLOSED: frozenset(),
    A.REJECTED: frozenset(),
    A.CANCELLED: frozenset(),
}

# Purpose, scope, dates and schedule may change until the fieldwork starts.
EDITABLE_AUDIT_STATUSES = frozenset({A.REQUESTED, A.PLANNED, A.NOTIFIED})
# Audits that still count for the programme's coverage.
ACTIVE_AUDIT_STATUSES = frozenset(
    {A.PLANNED, A.NOTIFIED, A.IN_PROGRESS, A.COMPLETED, A.REPORTED, A.CLOSED}
)
# The clauses of these audits have been audited (the compliance coverage hook).
FIELDWORK_DONE_STATUSES = frozenset({A.COMPLETED, A.REPORTED, A.CLOSED})


class TeamRole(models.TextChoices):
    LEADER = "leader", _("Audit team leader")
    AUDITOR = "auditor", _("Internal auditor")


class ItemResult(models.TextChoices):
    """A checklist item's result; blank until answered."""

    PENDING = "", _("Not yet answered")
    CONFORMING = "conforming", _("Conforming")
    NONCONFORMING = "nonconforming", _("Nonconforming")
    OBSERVATION = "observation", _("Observation")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


# Results that must be written up as a finding before the closing meeting.
FINDING_RESULTS = frozenset({ItemResult.NONCONFORMING, ItemResult.OBSERVATION})


class MeetingKind(models.TextChoices):
    OPENING = "opening", _("Opening meeting")
    CLOSING = "closing", _("Closing meeting")

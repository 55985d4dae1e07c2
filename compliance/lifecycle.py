"""Statuses of nonconformities and their corrective or preventive actions, with
the transition table (ISO/IEC 20000-1:2018 10.1; corrective and preventive
action procedure).

Pure: no ORM access. Services call :func:`ensure_transition` before they assign
a status.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from documents.lifecycle import InvalidTransition, ensure_transition

__all__ = [
    "NONCONFORMITY_TRANSITIONS",
    "OPEN_STATUSES",
    "ACTION_DUE_STATUSES",
    "Decision",
    "InvalidTransition",
    "NonconformityKind",
    "NonconformitySource",
    "NonconformityStatus",
    "ResponsibilityLevel",
    "StandardOrigin",
    "ensure_transition",
]


class StandardOrigin(models.TextChoices):
    """Where a standard's clauses come from."""

    CATALOGUE = "catalogue", _("Published standard (loaded from a catalogue file)")
    COMPANY = "company", _("Company requirements")


class ResponsibilityLevel(models.TextChoices):
    """The function allocation matrix (职能分配表): ★ primary, ☆ supporting."""

    PRIMARY = "primary", _("★ Primary")
    SUPPORTING = "supporting", _("☆ Supporting")


class NonconformityKind(models.TextChoices):
    """An actual nonconformity takes a corrective action; a potential one a
    preventive action. Both follow the same path."""

    CORRECTIVE = "corrective", _("Nonconformity (corrective action)")
    PREVENTIVE = "preventive", _("Potential nonconformity (preventive action)")


class NonconformitySource(models.TextChoices):
    """Where a nonconformity was found (corrective and preventive action
    procedure, sources a) to h), and the other feeders the manual names)."""

    INTERNAL_AUDIT = "internal_audit", _("Internal audit")
    EXTERNAL_AUDIT = "external_audit", _("External audit or inspection")
    MANAGEMENT_REVIEW = "management_review", _("Management review")
    CUSTOMER_COMPLAINT = "customer_complaint", _("Customer complaint or feedback")
    MONITORING = "monitoring", _("Monitoring and measurement")
    INCIDENT_PROBLEM = "incident_problem", _("Incident or problem")
    STAFF_REPORT = "staff_report", _("Found by staff at work")
    LEGAL_CHANGE = "legal_change", _("Change in laws, regulations or standards")
    DATA_ANALYSIS = "data_analysis", _("Data analysis")
    OTHER = "other", pgettext_lazy("nonconformity source", "Other")


class NonconformityStatus(models.TextChoices):
    DRAFT = "draft", _("Awaiting approval")
    RAISED = "raised", _("Raised")
    PLANNED = "planned", _("Action planned")
    ACCEPTED = "accepted", _("Action accepted")
    IMPLEMENTED = "implemented", _("Implemented")
    REOPENED = "reopened", _("Not effective: reopened")
    EFFECTIVE = "effective", _("Verified effective")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


S = NonconformityStatus

NONCONFORMITY_TRANSITIONS: dict[str, frozenset[str]] = {
    # A finding that needs approval (an internal audit's, by 管理者代表) before
    # it goes to the department.
    S.DRAFT: frozenset({S.RAISED, S.CANCELLED}),
    # The responsible department analyses the cause and plans the action. A
    # grade that needs no action (an observation) may be closed with a note.
    S.RAISED: frozenset({S.PLANNED, S.CLOSED, S.CANCELLED}),
    # The department head accepts the plan in writing, or returns it.
    S.PLANNED: frozenset({S.ACCEPTED, S.RAISED}),
    S.ACCEPTED: frozenset({S.IMPLEMENTED}),
    # 行政部 verifies effectiveness: not effective reopens the action.
    S.IMPLEMENTED: frozenset({S.EFFECTIVE, S.REOPENED}),
    S.REOPENED: frozenset({S.IMPLEMENTED, S.PLANNED}),
    S.EFFECTIVE: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

OPEN_STATUSES = frozenset(
    {S.DRAFT, S.RAISED, S.PLANNED, S.ACCEPTED, S.IMPLEMENTED, S.REOPENED, S.EFFECTIVE}
)
# An accepted plan runs against its due date until it is implemented.
ACTION_DUE_STATUSES = frozenset({S.ACCEPTED, S.REOPENED})


class Decision(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", pgettext_lazy("action plan", "Returned")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")

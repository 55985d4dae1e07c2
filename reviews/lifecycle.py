"""Statuses of management reviews, their inputs and output actions, with the
transition tables (ISO/IEC 20000-1:2018 9.3; management review procedure).

Pure: no ORM access. Services call :func:`ensure_transition` before they assign
a status.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from documents.lifecycle import InvalidTransition, ensure_transition

__all__ = [
    "ACTION_OUTPUT_KINDS",
    "COMPLIANCE_OUTPUT_KINDS",
    "COMPILED_SECTIONS",
    "ENTERED_SECTIONS",
    "INPUT_TRANSITIONS",
    "OPEN_OUTPUT_STATUSES",
    "OUTPUT_TRANSITIONS",
    "PLAN_EDITABLE_STATUSES",
    "REVIEW_TRANSITIONS",
    "Comparison",
    "Frequency",
    "InputSection",
    "InputStatus",
    "InvalidTransition",
    "MeasureKind",
    "OutputCategory",
    "OutputKind",
    "OutputStatus",
    "ReviewKind",
    "ReviewRecordKind",
    "ReviewStatus",
    "ReviewTrigger",
    "SignatureDecision",
    "SignedPaper",
    "Verdict",
    "ensure_transition",
]


class ReviewKind(models.TextChoices):
    ANNUAL = "annual", _("Annual review")
    EXTRA = "extra", _("Extra review")


class ReviewTrigger(models.TextChoices):
    """Why 总经理 calls an extra review (management review procedure, a) to g))."""

    ORGANISATION_CHANGE = (
        "organisation_change",
        _("Significant change in the organisation or service scope"),
    )
    SYSTEM_ADJUSTMENT = (
        "system_adjustment",
        _("The management system needs major adjustment"),
    )
    REGULATION_CHANGE = (
        "regulation_change",
        _("Significant change in policies, standards, laws or requirements"),
    )
    MAJOR_INCIDENT = (
        "major_incident",
        _("Major information security or IT service incident"),
    )
    CUSTOMER_COMPLAINT = (
        "customer_complaint",
        _("Serious or repeated customer complaints"),
    )
    EXTERNAL_AUDIT = "external_audit", _("Before a second- or third-party audit")
    AUDIT_FINDING = "audit_finding", _("Serious nonconformity in an internal audit")
    OTHER = "other", pgettext_lazy("review trigger", "Other")


class ReviewStatus(models.TextChoices):
    """Plan prepared (draft), signed along SHOUKONG_MGMT_REVIEW_PLAN_CHAIN (in
    review), approved; the meeting held; the report signed along
    SHOUKONG_MGMT_REVIEW_REPORT_CHAIN (reporting) and approved (completed)."""

    DRAFT = "draft", pgettext_lazy("management review", "Plan in preparation")
    IN_REVIEW = "in_review", pgettext_lazy("management review", "Plan in review")
    APPROVED = "approved", pgettext_lazy("management review", "Plan approved")
    HELD = "held", pgettext_lazy("management review", "Meeting held")
    REPORTING = "reporting", pgettext_lazy("management review", "Report in review")
    COMPLETED = "completed", pgettext_lazy("management review", "Report approved")
    CANCELLED = "cancelled", pgettext_lazy("management review", "Cancelled")


R = ReviewStatus

REVIEW_TRANSITIONS: dict[str, frozenset[str]] = {
    R.DRAFT: frozenset({R.IN_REVIEW, R.CANCELLED}),
    # Every step signed: approved; a step returned: back to draft.
    R.IN_REVIEW: frozenset({R.APPROVED, R.DRAFT, R.CANCELLED}),
    # A revised plan goes through the chain again; the meeting is recorded.
    R.APPROVED: frozenset({R.DRAFT, R.HELD, R.CANCELLED}),
    R.HELD: frozenset({R.REPORTING}),
    # The report returned goes back to the minutes.
    R.REPORTING: frozenset({R.COMPLETED, R.HELD}),
    R.COMPLETED: frozenset(),
    R.CANCELLED: frozenset(),
}

PLAN_EDITABLE_STATUSES = frozenset({R.DRAFT})


class SignedPaper(models.TextChoices):
    """The two papers signed along a chain."""

    PLAN = "plan", _("Review plan")
    REPORT = "report", _("Review report")


class SignatureDecision(models.TextChoices):
    SIGNED = "signed", _("Signed")
    RETURNED = "returned", pgettext_lazy("management review", "Returned")


class InputSection(models.TextChoices):
    """The input pack's sections (procedure 4.2 a) to i), manual 9.3)."""

    PREVIOUS_ACTIONS = "previous_actions", _("Actions from previous reviews")
    ISSUES = "issues", _("Changes in external and internal issues")
    OBJECTIVES = "objectives", _("Policy and objectives: achievement")
    PERFORMANCE = "performance", _("Service performance and customer satisfaction")
    SUPPLIERS = "suppliers", _("Performance of suppliers and other parties")
    AUDITS = "audits", _("Audit results and open findings")
    NONCONFORMITIES = "nonconformities", _("Nonconformities and corrective actions")
    DOCUMENTS = "documents", _("Document system status")
    RECORDS = "records", _("Records past retention")
    RISKS = "risks", _("Risks and opportunities")
    RESOURCES = "resources", _("Resources")
    IMPROVEMENTS = "improvements", _("Opportunities for improvement")


# Compiled from the system when the pack is compiled; the others are entered by
# the departments (the objectives and performance sections take both).
COMPILED_SECTIONS = frozenset(
    {
        InputSection.PREVIOUS_ACTIONS,
        InputSection.OBJECTIVES,
        InputSection.PERFORMANCE,
        InputSection.AUDITS,
        InputSection.NONCONFORMITIES,
        InputSection.DOCUMENTS,
        InputSection.RECORDS,
    }
)
ENTERED_SECTIONS = frozenset(InputSection.values)


class InputStatus(models.TextChoices):
    """A department's input: drafted by its staff, signed off by its head,
    returned by 管理者代表 or 行政部 for rework."""

    DRAFT = "draft", pgettext_lazy("review input", "Draft")
    SIGNED = "signed", pgettext_lazy("review input", "Signed off")
    RETURNED = "returned", pgettext_lazy("review input", "Returned")


INPUT_TRANSITIONS: dict[str, frozenset[str]] = {
    InputStatus.DRAFT: frozenset({InputStatus.SIGNED, InputStatus.DRAFT}),
    InputStatus.SIGNED: frozenset({InputStatus.RETURNED}),
    InputStatus.RETURNED: frozenset({InputStatus.DRAFT, InputStatus.SIGNED}),
}


class MeasureKind(models.TextChoices):
    OBJECTIVE = "objective", _("Service management objective")
    INDICATOR = "indicator", _("Performance indicator")


class Frequency(models.TextChoices):
    """How often an objective is measured: the length of its periods."""

    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")


class Comparison(models.TextChoices):
    """How a measured value is held against the target."""

    AT_LEAST = "gte", "≥"
    AT_MOST = "lte", "≤"


class Verdict(models.TextChoices):
    """管理者代表's and 总经理's conclusion on one of suitability, adequacy,
    effectiveness."""

    YES = "yes", _("Yes")
    PARTLY = "partly", _("Partly: improvement needed")
    NO = "no", _("No")


class OutputKind(models.TextChoices):
    """What a review decided (manual 9.3: decisions and actions on
    improvement, resources and changes)."""

    IMPROVEMENT = "improvement", _("Improvement action")
    CORRECTIVE = "corrective", _("Corrective action")
    RESOURCE = "resource", _("Resource decision")
    DOCUMENT = "document", _("Document re-issue")
    OTHER = "other", pgettext_lazy("review output", "Other decision")


# Raised in compliance as nonconformities (their status is compliance's).
COMPLIANCE_OUTPUT_KINDS = frozenset({OutputKind.IMPROVEMENT, OutputKind.CORRECTIVE})
# Every kind is an action: each has an owner and a due date.
ACTION_OUTPUT_KINDS = frozenset(OutputKind.values)


class OutputCategory(models.TextChoices):
    """The procedure's areas of improvement."""

    SYSTEM = "system", _("Management system")
    PROCESS = "process", _("Process")
    SERVICE = "service", _("Service (customer requirements)")
    RESOURCE = "resource", _("Resources")


class OutputStatus(models.TextChoices):
    """An output action's own status. Actions raised in compliance follow
    their nonconformity; a document re-issue follows its change request."""

    OPEN = "open", pgettext_lazy("review output", "Open")
    DONE = "done", pgettext_lazy("review output", "Done, awaiting verification")
    VERIFIED = "verified", pgettext_lazy("review output", "Verified")
    CANCELLED = "cancelled", pgettext_lazy("review output", "Cancelled")


OUTPUT_TRANSITIONS: dict[str, frozenset[str]] = {
    OutputStatus.OPEN: frozenset({OutputStatus.DONE, OutputStatus.CANCELLED}),
    # 行政部 verifies; not verified sends it back to open.
    OutputStatus.DONE: frozenset({OutputStatus.VERIFIED, OutputStatus.OPEN}),
    OutputStatus.VERIFIED: frozenset(),
    OutputStatus.CANCELLED: frozenset(),
}
OPEN_OUTPUT_STATUSES = frozenset({OutputStatus.OPEN, OutputStatus.DONE})


class ReviewRecordKind(models.TextChoices):
    """The review's records (management review procedure, records list)."""

    PLAN = "plan", _("Review plan")
    INPUTS = "inputs", _("Review input material")
    MINUTES = "minutes", _("Review meeting minutes")
    REPORT = "report", _("Review report")
    ACTIONS = "actions", _("Review improvement plan")

"""Who may do what with management reviews, their inputs, the objectives and
the output actions.

One function per question; the services ask them and the pages and the API use
them to decide which actions to offer.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied

from compliance.permissions import can_view_compliance, is_head_for
from documents import permissions as document_permissions
from documents.permissions import department_of, has_role

from .lifecycle import COMPLIANCE_OUTPUT_KINDS, OutputStatus, ReviewStatus

__all__ = [
    "InputVisibility",
    "can_add_outputs",
    "can_cancel",
    "can_complete_output",
    "can_compile",
    "can_confirm_pack",
    "can_edit_input",
    "can_edit_plan",
    "can_manage_objectives",
    "can_measure",
    "can_prepare",
    "can_record_meeting",
    "can_return_input",
    "can_sign_input",
    "can_sign_step",
    "can_submit_report",
    "can_verify_output",
    "can_view_reviews",
    "ensure",
]


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _superuser(user) -> bool:
    return _active(user) and user.is_superuser


def _any_role(user, roles) -> bool:
    return _active(user) and document_permissions.has_any_role(user, roles)


def ensure(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# --- Reading --------------------------------------------------------------------------


def can_view_reviews(user) -> bool:
    """Everyone inside the company sees the reviews, their packs and their
    decisions; a customer representative does not."""
    return can_view_compliance(user)


# --- The plan, the pack, the meeting, the report --------------------------------------


def can_prepare(user) -> bool:
    """行政部 (文控) and 管理者代表 prepare the plan, compile the pack, take
    the minutes and track the outputs (SHOUKONG_MGMT_REVIEW_PREPARER_ROLES)."""
    return _superuser(user) or _any_role(
        user, settings.SHOUKONG_MGMT_REVIEW_PREPARER_ROLES
    )


def can_edit_plan(user, review) -> bool:
    return can_prepare(user) and review.status == ReviewStatus.DRAFT


def can_sign_step(user, role: str) -> bool:
    """A step of the plan's or the report's chain is signed by a holder of its
    role."""
    return _active(user) and has_role(user, role)


def can_cancel(user, review) -> bool:
    return can_prepare(user) and review.status in (
        ReviewStatus.DRAFT,
        ReviewStatus.IN_REVIEW,
        ReviewStatus.APPROVED,
    )


def can_compile(user, review) -> bool:
    """The pack is compiled once the plan is approved, until the meeting."""
    return can_prepare(user) and review.status == ReviewStatus.APPROVED


def can_confirm_pack(user) -> bool:
    """管理者代表 reviews and confirms the consolidated inputs
    (SHOUKONG_MGMT_REVIEW_CONFIRMER_ROLES)."""
    return _superuser(user) or _any_role(
        user, settings.SHOUKONG_MGMT_REVIEW_CONFIRMER_ROLES
    )


def can_record_meeting(user, review) -> bool:
    """行政部 takes the attendance and the minutes, after the plan is approved
    and until the report goes for signature."""
    return can_prepare(user) and review.status in (
        ReviewStatus.APPROVED,
        ReviewStatus.HELD,
    )


def can_add_outputs(user, review) -> bool:
    return can_prepare(user) and review.status == ReviewStatus.HELD


def can_submit_report(user, review) -> bool:
    return can_prepare(user) and review.status == ReviewStatus.HELD


# --- Department inputs ----------------------------------------------------------------


def _open_for_inputs(review) -> bool:
    return review.status in (
        ReviewStatus.DRAFT,
        ReviewStatus.IN_REVIEW,
        ReviewStatus.APPROVED,
    )


def can_edit_input(user, review, department) -> bool:
    """A department's staff draft its input until the meeting; 行政部 may
    enter it for them."""
    if not _open_for_inputs(review) or department is None:
        return False
    return (
        can_prepare(user)
        or is_head_for(user, department)
        or (_active(user) and department_of(user) == department)
    )


def can_sign_input(user, review, department) -> bool:
    """The department head signs the department's input off."""
    return _open_for_inputs(review) and is_head_for(user, department)


def can_return_input(user, review) -> bool:
    """管理者代表 and 行政部 return an input for rework before the meeting."""
    return _open_for_inputs(review) and (can_prepare(user) or can_confirm_pack(user))


# --- Objectives -----------------------------------------------------------------------


def can_manage_objectives(user) -> bool:
    """行政部 and 管理者代表 define the objectives and indicators."""
    return can_prepare(user)


def can_measure(user, objective=None) -> bool:
    """Values are entered by 行政部 and 管理者代表, or by the head of the
    department that measures the objective."""
    if can_prepare(user):
        return True
    department = getattr(objective, "department", None)
    return department is not None and is_head_for(user, department)


# --- Output actions -------------------------------------------------------------------


def can_complete_output(user, output) -> bool:
    """Its owner, or 行政部, records an action as done; actions raised in
    compliance or as change requests move there instead."""
    if output.kind in COMPLIANCE_OUTPUT_KINDS or output.change_request_id:
        return False
    if output.status != OutputStatus.OPEN:
        return False
    return can_prepare(user) or (_active(user) and output.owner_id == user.pk)


def can_verify_output(user, output) -> bool:
    """行政部 verifies what the owner did (procedure: 行政部 tracks and checks
    the actions)."""
    if output.kind in COMPLIANCE_OUTPUT_KINDS or output.change_request_id:
        return False
    return output.status == OutputStatus.DONE and can_prepare(user)


class InputVisibility:
    """Who reads a department's input: a signed one is for all staff; a draft
    or returned one for its department, its head and those who prepare or
    confirm the review. One instance per request (it caches the head checks)."""

    def __init__(self, user):
        self.user = user
        self.everything = can_prepare(user) or can_confirm_pack(user)
        self.own = department_of(user) if _active(user) else None
        self.heads: dict[int, bool] = {}

    def __call__(self, item) -> bool:
        if self.everything or item.status == "signed":
            return True
        if self.own is not None and self.own.pk == item.department_id:
            return True
        if item.department_id not in self.heads:
            self.heads[item.department_id] = is_head_for(self.user, item.department)
        return self.heads[item.department_id]

"""Who may do what with clauses, the matrix, traceability and nonconformities.

One function per question; the services ask them and the pages use them to
decide which actions to offer, so nobody repeats a check.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from documents import permissions as document_permissions
from documents.permissions import department_of, has_role, is_department_head
from documents.roles import (
    DEPARTMENT_MANAGER,
    DOCUMENT_CONTROLLER,
    GENERAL_MANAGER,
    INTERNAL_AUDITOR,
    MANAGEMENT_REPRESENTATIVE,
)

from .lifecycle import (
    ACTION_DUE_STATUSES,
    NONCONFORMITY_TRANSITIONS,
    Decision,
    NonconformityStatus,
)


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _superuser(user) -> bool:
    return _active(user) and user.is_superuser


def _any_role(user, roles) -> bool:
    return _active(user) and document_permissions.has_any_role(user, roles)


def ensure(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# --- Reading ------------------------------------------------------------------------


def can_view_compliance(user) -> bool:
    """Everyone inside the company reads the catalogue, the matrix, the
    traceability and the nonconformities; a customer representative does not."""
    return document_permissions.can_view_library(user)


def can_view_reports(user) -> bool:
    """The coverage exports and the improvement status report: document
    control, the management and the auditors."""
    return _superuser(user) or _any_role(
        user,
        (
            DOCUMENT_CONTROLLER,
            MANAGEMENT_REPRESENTATIVE,
            GENERAL_MANAGER,
            INTERNAL_AUDITOR,
            DEPARTMENT_MANAGER,
        ),
    )


# --- The catalogue, the matrix, traceability -----------------------------------------


def can_manage_catalogue(user) -> bool:
    """Document control and 管理者代表 keep the matrix, the process owners,
    the company's own requirements and the applicability statement."""
    return _superuser(user) or _any_role(
        user, (DOCUMENT_CONTROLLER, MANAGEMENT_REPRESENTATIVE)
    )


def can_link_documents(user, document=None) -> bool:
    """Document control and 管理者代表 link any document; whoever may draft a
    document may link it."""
    if can_manage_catalogue(user):
        return True
    return document is not None and document_permissions.can_edit_document(
        user, document
    )


# --- Nonconformities ------------------------------------------------------------------


def is_verifier(user) -> bool:
    """行政部 verifies effectiveness and closes actions (CAPA procedure), as does
    管理者代表 who supervises them."""
    if _superuser(user) or has_role(user, MANAGEMENT_REPRESENTATIVE):
        return True
    department = department_of(user)
    return (
        _active(user)
        and department is not None
        and department.name == settings.SHOUKONG_CAPA_VERIFIER_DEPARTMENT
        and _any_role(user, (DOCUMENT_CONTROLLER, INTERNAL_AUDITOR, DEPARTMENT_MANAGER))
    )


def department_heads(department):
    """Who accepts a plan for ``department``: its 部门经理, or, where it has
    none, the roles in SHOUKONG_CAPA_HEADLESS_ACCEPTOR_ROLES."""
    users = get_user_model().objects.filter(is_active=True)
    heads = users.filter(
        groups__name=DEPARTMENT_MANAGER, staff_profile__department=department
    )
    if heads.exists():
        return heads
    return users.filter(
        groups__name__in=list(settings.SHOUKONG_CAPA_HEADLESS_ACCEPTOR_ROLES)
    ).distinct()


def is_head_for(user, department) -> bool:
    if _superuser(user) or is_department_head(user, department):
        return True
    return _active(user) and department_heads(department).filter(pk=user.pk).exists()


def can_raise(user) -> bool:
    """Anyone in the company may report a nonconformity (source f: found by
    staff at work)."""
    return can_view_compliance(user)


def can_approve(user) -> bool:
    """Approving a finding before it goes to the department (internal audit
    procedure: 管理者代表 approves nonconformity reports)."""
    return _superuser(user) or _any_role(
        user, settings.SHOUKONG_NONCONFORMITY_APPROVER_ROLES
    )


def can_plan(user, nonconformity) -> bool:
    """The responsible department analyses the cause and plans the action."""
    if is_head_for(user, nonconformity.department):
        return True
    return _active(user) and department_of(user) == nonconformity.department


def can_accept(user, nonconformity) -> bool:
    """The responsible department's head accepts the plan in writing."""
    return is_head_for(user, nonconformity.department)


def can_implement(user, nonconformity) -> bool:
    """The action's owner records its implementation, or the department head."""
    if not _active(user):
        return False
    return user.pk == nonconformity.owner_id or is_head_for(
        user, nonconformity.department
    )


def can_request_extension(user, nonconformity) -> bool:
    """Only the action's owner asks for more time, in writing."""
    return _active(user) and user.pk == nonconformity.owner_id


def can_decide_extension(user) -> bool:
    return _superuser(user) or _any_role(
        user, settings.SHOUKONG_CAPA_EXTENSION_APPROVER_ROLES
    )


def can_verify(user, nonconformity) -> bool:
    """行政部 verifies, never the action's owner, whoever recorded its
    implementation, nor the head of the department it is against."""
    if not is_verifier(user) or user.pk == nonconformity.owner_id:
        return False
    if _superuser(user):
        return True
    if nonconformity.pk is not None:
        last = nonconformity.implementations.order_by("-round").first()
        if last is not None and last.recorded_by_id == user.pk:
            return False
    return not is_department_head(user, nonconformity.department)


def can_close(user, nonconformity) -> bool:
    """Closing after a verified action, or closing a finding that needs no
    action: the verifiers (行政部, 管理者代表), never the action's owner."""
    return can_verify(user, nonconformity)


def can_cancel(user, nonconformity) -> bool:
    """管理者代表 (or document control, for what it raised) cancels a finding
    raised in error, with a reason."""
    if _superuser(user) or has_role(user, MANAGEMENT_REPRESENTATIVE):
        return True
    return has_role(user, DOCUMENT_CONTROLLER) and (
        user.pk == nonconformity.raised_by_id
    )


def can_request_change(user, nonconformity) -> bool:
    """A corrective action may raise a document change request: the owner, the
    department, or the verifiers."""
    if _active(user) and user.pk == nonconformity.owner_id:
        return True
    return can_plan(user, nonconformity) or is_verifier(user)


def visible_nonconformities(user, queryset=None):
    """The nonconformities ``user`` may read."""
    from .models import Nonconformity

    queryset = Nonconformity.objects.all() if queryset is None else queryset
    if not can_view_compliance(user):
        return queryset.none()
    return queryset


def allowed_actions(user, nonconformity) -> list[str]:
    """The steps ``user`` may take on ``nonconformity`` now, as the pages and
    the API name them: the transition table says what the status allows, the
    functions above say who may."""
    from .nonconformities import open_change_requests, work_done

    nc = nonconformity
    S = NonconformityStatus
    reachable = NONCONFORMITY_TRANSITIONS.get(nc.status, frozenset())
    pending = any(e.decision == Decision.PENDING for e in nc.extensions.all())
    offered = {
        "approve": nc.status == S.DRAFT and can_approve(user),
        "cancel": (
            S.CANCELLED in reachable and can_cancel(user, nc) and not work_done(nc)
        ),
        "plan": S.PLANNED in reachable and can_plan(user, nc),
        "accept": nc.status == S.PLANNED and can_accept(user, nc),
        "return": nc.status == S.PLANNED and can_accept(user, nc),
        "implement": S.IMPLEMENTED in reachable and can_implement(user, nc),
        "verify": nc.status == S.IMPLEMENTED and can_verify(user, nc),
        "close": (
            S.CLOSED in reachable
            and (nc.status == S.EFFECTIVE or not nc.grade.requires_action)
            and can_close(user, nc)
            and not open_change_requests(nc).exists()
        ),
        "extension": (
            nc.status in ACTION_DUE_STATUSES
            and not pending
            and can_request_extension(user, nc)
        ),
        "extension-decide": pending and can_decide_extension(user),
        "change-request": nc.is_open and can_request_change(user, nc),
    }
    return [action for action, allowed in offered.items() if allowed]

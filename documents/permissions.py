"""One place to ask who may do what with documents and issues.

Documents are pages, so their questions go to Wagtail's page permission policy
(tree-based ``GroupPagePermission``). Issues are append-only: no one changes or
deletes them through any admin view.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import PermissionDenied
from wagtail.models import Page, PagePermissionTester
from wagtail.permission_policies import ModelPermissionPolicy

from .roles import CUSTOMER_REPRESENTATIVE, DEPARTMENT_MANAGER, DOCUMENT_CONTROLLER


class DocumentIssuePermissionPolicy(ModelPermissionPolicy):
    """Issues are released only by the issuing service and never edited."""

    frozen_actions = frozenset({"change", "delete"})

    def user_has_permission(self, user, action):
        if action in self.frozen_actions:
            return False
        return super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        if action in self.frozen_actions:
            return False
        return super().user_has_permission_for_instance(user, action, instance)

    def users_with_any_permission(self, actions):
        actions = [a for a in actions if a not in self.frozen_actions]
        if not actions:
            return self.user_model._default_manager.none()
        return super().users_with_any_permission(actions)


# Set while the last signature of an approval chain publishes the approved
# revision: the only way a controlled document is published (DCP 4.2: an
# unapproved document is invalid).
_releasing: ContextVar[bool] = ContextVar("shoukong_releasing", default=False)


def is_releasing() -> bool:
    return _releasing.get()


@contextmanager
def releasing_approved() -> Iterator[None]:
    token = _releasing.set(True)
    try:
        yield
    finally:
        _releasing.reset(token)


def _is_system(user) -> bool:
    return user is None


def can_create_document(user, parent: Page) -> bool:
    if _is_system(user):
        return True
    if not user.is_active:
        return False
    return parent.permissions_for_user(user).can_add_subpage()


def can_edit_document(user, document: Page) -> bool:
    if _is_system(user):
        return True
    if not user.is_active:
        return False
    return document.permissions_for_user(user).can_edit()


def can_issue(user, document: Page) -> bool:
    """Issuing publishes the approved content, so it needs publish rights on the
    document (the role's page permission; the admin's Publish button stays
    hidden outside an approval chain, see DocumentPermissionTester)."""
    if _is_system(user):
        return True
    if not user.is_active:
        return False
    tester = document.permissions_for_user(user)
    return PagePermissionTester.can_publish(tester)


def can_view_library(user) -> bool:
    """Every member of staff; a customer representative reads only the records
    named to them, never the library."""
    return (
        user is not None
        and user.is_authenticated
        and user.is_active
        and not has_role(user, CUSTOMER_REPRESENTATIVE)
    )


def ensure_can_create_document(user, parent: Page) -> None:
    if not can_create_document(user, parent):
        raise PermissionDenied


def ensure_can_edit_document(user, document: Page) -> None:
    if not can_edit_document(user, document):
        raise PermissionDenied


def ensure_can_issue(user, document: Page) -> None:
    if not can_issue(user, document):
        raise PermissionDenied


# --- Roles and departments ------------------------------------------------------


def has_role(user, role: str) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.groups.filter(name=role).exists()
    )


def is_document_controller(user) -> bool:
    return user is not None and (
        getattr(user, "is_superuser", False) or has_role(user, DOCUMENT_CONTROLLER)
    )


def department_of(user):
    profile = getattr(user, "staff_profile", None)
    return profile.department if profile is not None else None


def is_department_head(user, department) -> bool:
    """部门总监 of the procedures: the department's manager."""
    return (
        department is not None
        and has_role(user, DEPARTMENT_MANAGER)
        and department_of(user) == department
    )

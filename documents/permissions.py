"""One place to ask who may do what with documents and issues.

Documents are pages, so their questions go to Wagtail's page permission policy
(tree-based ``GroupPagePermission``). Issues are append-only: no one changes or
deletes them through any admin view.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy
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


def reads_restricted(user) -> bool:
    """Roles that open every restricted (confidential) document:
    ``SHOUKONG_RESTRICTED_DOCUMENT_READER_ROLES`` (文控, 管理者代表, 总经理)."""
    if not can_view_library(user):
        return False
    if user.is_superuser:
        return True
    names = getattr(settings, "SHOUKONG_RESTRICTED_DOCUMENT_READER_ROLES", ())
    return has_any_role(user, names)


def can_read_document(user, document) -> bool:
    """Whether ``user`` may open a released document, find it or learn its
    number and title: every member of staff, unless the document is restricted
    and they are neither in its department, nor in a reader department, nor in
    a role that reads restricted documents. The same rule as
    ``DocumentPage.objects.visible_to(user)``."""
    if not can_view_library(user):
        return False
    if not getattr(document, "confidential", False) or reads_restricted(user):
        return True
    department = department_of(user)
    if department is None:
        return False
    if document.department_id == department.pk:
        return True
    return document.reader_departments.filter(pk=department.pk).exists()


# What a page shows in place of the number and title of a restricted document
# the reader may not open (see restricted_ids).
RESTRICTED_DOCUMENT = gettext_lazy("Restricted document")


def restricted_ids(user, documents: Iterable) -> frozenset[int]:
    """The ids, among ``documents`` (pages or their ids), of the restricted
    documents ``user`` may not read (:func:`can_read_document`).

    A page that names other documents (a nonconformity, a clause, a checklist,
    a record's form, a task) shows each of these as :data:`RESTRICTED_DOCUMENT`:
    no number, no title, no link. One query of documents at most (besides the
    user's roles); none when the pages given are all open."""
    from .models import DocumentPage

    ids = {
        document if isinstance(document, int) else document.pk
        for document in documents
        if document is not None
        and (isinstance(document, int) or getattr(document, "confidential", True))
    }
    if not ids:
        return frozenset()
    return frozenset(
        DocumentPage.objects.filter(pk__in=ids)
        .restricted_from(user)
        .values_list("pk", flat=True)
    )


def restricted_numbers(user, numbers: Iterable[str | None]) -> frozenset[str]:
    """Of the document ``numbers`` (where only the number was kept, as in a log
    entry), those of the restricted documents ``user`` may not read."""
    from .models import DocumentPage

    numbers = {number for number in numbers if number}
    if not numbers:
        return frozenset()
    return frozenset(
        DocumentPage.objects.filter(number__in=numbers)
        .restricted_from(user)
        .values_list("number", flat=True)
    )


def can_see_history(user) -> bool:
    """Roles that may ask search for superseded and obsolete issues (作废):
    ``SHOUKONG_SEARCH_HISTORY_ROLES``."""
    if not can_view_library(user):
        return False
    if user.is_superuser:
        return True
    names = getattr(settings, "SHOUKONG_SEARCH_HISTORY_ROLES", ())
    return has_any_role(user, names)


def can_manage_access(user, document=None) -> bool:
    """Document control sets who may read a document and its aliases."""
    return _is_system(user) or (user.is_active and is_document_controller(user))


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


# Within roles_cached(): {user id: the names of their groups}, read once.
_role_cache: ContextVar[dict | None] = ContextVar("shoukong_role_cache", default=None)


@contextmanager
def roles_cached() -> Iterator[None]:
    """Within the block, each user's roles are read from the database once
    (a search asks every app's rules, which ask about roles many times)."""
    token = _role_cache.set({})
    try:
        yield
    finally:
        _role_cache.reset(token)


def _cached_roles(user) -> frozenset[str] | None:
    cache = _role_cache.get()
    if cache is None or user.pk is None:
        return None
    if user.pk not in cache:
        cache[user.pk] = frozenset(user.groups.values_list("name", flat=True))
    return cache[user.pk]


def has_any_role(user, roles) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    roles = list(roles)
    cached = _cached_roles(user)
    if cached is not None:
        return not cached.isdisjoint(roles)
    return user.groups.filter(name__in=roles).exists()


def has_role(user, role: str) -> bool:
    return has_any_role(user, [role])


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

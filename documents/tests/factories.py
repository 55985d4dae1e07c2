"""Builders for test data; every write goes through the services."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from documents import roles, services
from documents.models import (
    Department,
    DocumentPage,
    FormPage,
    LibraryPage,
    ManualPage,
    ProcedurePage,
    StaffProfile,
    WorkInstructionPage,
)

PAGE_CLASSES: dict[str, type[DocumentPage]] = {
    "manual": ManualPage,
    "procedure": ProcedurePage,
    "instruction": WorkInstructionPage,
    "form": FormPage,
}


def department(name: str = "行政部") -> Department:
    dept, _created = Department.objects.get_or_create(name=name)
    return dept


def _roles_ensure_once() -> None:
    """Set up the roles once per test: ``roles_ensure`` is idempotent but costs
    about a second, and a test makes several users."""
    groups = Group.objects.filter(name__in=roles.ROLES)
    if (
        groups.count() == len(roles.ROLES)
        and groups.filter(
            name=roles.GENERAL_MANAGER, permissions__isnull=False
        ).exists()
    ):
        return
    roles.roles_ensure()


def user(
    username: str = "someone",
    *,
    role: str | None = None,
    department_name: str | None = "行政部",
    password: str = "pw",
    **extra: Any,
):
    User = get_user_model()
    obj = User.objects.create_user(username=username, password=password, **extra)
    if role:
        _roles_ensure_once()
        obj.groups.add(Group.objects.get(name=role))
    if department_name:
        StaffProfile.objects.create(user=obj, department=department(department_name))
    return obj


def document(
    kind: str = "procedure",
    title: str = "测试程序",
    *,
    parent: Any = None,
    number: str | None = None,
    dept: Department | None = None,
    issue: bool = False,
    publish_date: date = date(2026, 1, 5),
    user: Any = None,
    **fields: Any,
) -> DocumentPage:
    """A draft (or, with ``issue=True``, an issued) document."""
    if parent is None:
        parent = services.library_ensure()
    page = services.document_create(
        user=user,
        parent=parent,
        page_class=PAGE_CLASSES[kind],
        title=title,
        number=number,
        department=dept or department(),
        **fields,
    )
    if issue:
        services.issue_create(user=user, document=page, publish_date=publish_date)
        page = DocumentPage.objects.get(pk=page.pk).specific
    return page


def library() -> LibraryPage:
    return services.library_ensure()

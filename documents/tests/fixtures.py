"""Shared pytest fixtures, loaded for the whole suite from the top conftest."""

from __future__ import annotations

import pytest

from documents import roles
from documents.tests import factories


@pytest.fixture
def library(db):
    return factories.library()


@pytest.fixture
def departments(db):
    return roles.departments_ensure()


@pytest.fixture
def role_groups(db):
    return roles.roles_ensure()


@pytest.fixture
def controller(db, role_groups):
    return factories.user("controller", role=roles.DOCUMENT_CONTROLLER)


@pytest.fixture
def staff_user(db, role_groups):
    return factories.user("staff", role=roles.STAFF, department_name="技术部")


@pytest.fixture
def procedure(library):
    """B05, issued as A."""
    return factories.document("procedure", "文件控制程序", number="B05", issue=True)

"""load_demo and setup_roles: users, the numbered and issued demo set, idempotency."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import translation
from wagtail.models import PageLogEntry

from documents import demo, roles
from documents.lifecycle import DocumentKind, DocumentStatus, IssueStatus
from documents.models import (
    Department,
    DocumentIssue,
    DocumentNumber,
    DocumentPage,
    ExternalDocumentPage,
    OtherDocumentPage,
)
from documents.tests import factories

pytestmark = pytest.mark.django_db

USERNAMES = [u.username for u in demo.USERS]


def load_demo(*args: str) -> str:
    out = StringIO()
    # The command speaks the active language; the assertions below are English.
    with translation.override("en"):
        call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def test_users_only_creates_the_demo_users_and_no_documents(client):
    output = load_demo("--users-only")

    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=USERNAMES)}
    assert sorted(users) == sorted(USERNAMES)
    assert not DocumentPage.objects.exists()
    assert set(Department.objects.values_list("name", flat=True)) >= {
        "管理层",
        "行政部",
        "技术部",
        "市场部",
    }
    for spec in demo.USERS:
        user = users[spec.username]
        assert user.staff_profile.department.name == spec.department
        assert user.email == f"{spec.username}@example.com"
        assert user.last_name and user.first_name
        groups = list(user.groups.values_list("name", flat=True))
        assert groups == ([spec.role] if spec.role else [])
        assert client.login(
            username=spec.username, password=settings.SHOUKONG_DEMO_PASSWORD
        )
    assert users["admin"].is_superuser
    assert not users["controller"].is_superuser
    assert users["controller"].groups.get().name == roles.DOCUMENT_CONTROLLER
    assert users["staff"].staff_profile.department.name == "技术部"
    # The login block names the site, the admin, every user and the password.
    assert "http://127.0.0.1:8000/" in output and "/admin/" in output
    assert settings.SHOUKONG_DEMO_PASSWORD in output
    assert all(name in output for name in USERNAMES)


def test_passwords_are_kept_on_rerun_unless_reset():
    load_demo("--users-only")
    gm = get_user_model().objects.get(username="gm")
    gm.set_password("changed-by-gm-2026")
    gm.save()

    assert "nothing to change" in load_demo("--users-only")
    gm.refresh_from_db()
    assert gm.check_password("changed-by-gm-2026")

    load_demo("--users-only", "--reset-passwords")
    gm.refresh_from_db()
    assert gm.check_password(settings.SHOUKONG_DEMO_PASSWORD)


def test_full_demo_is_numbered_issued_and_idempotent(client):
    load_demo()

    documents = DocumentPage.objects.all()
    by_kind = {kind: documents.filter(kind=kind).count() for kind in DocumentKind}
    assert by_kind[DocumentKind.MANUAL] >= 1
    assert by_kind[DocumentKind.PROCEDURE] >= 10
    assert by_kind[DocumentKind.INSTRUCTION] >= 5
    assert by_kind[DocumentKind.FORM] >= 15
    assert by_kind[DocumentKind.EXTERNAL] == 1
    assert by_kind[DocumentKind.OTHER] == 1

    # Every document of the set exists under the number the scheme gave it,
    # below the parent whose number it embeds, and is under control with an
    # effective issue.
    for spec in demo.iter_specs():
        page = DocumentPage.objects.get(number=spec.number)
        assert page.title == spec.title
        assert page.status == DocumentStatus.CONTROLLED
        assert page.live
        assert page.department.name == spec.department
        assert page.current_issue is not None
        if spec.number[0] in "CD":
            parent = page.get_parent().specific
            assert parent.number == f"B{spec.number[1:3]}"
    assert all(
        DocumentPage.objects.get(number=s.number).retention_period
        for s in demo.iter_specs()
        if s.kind == DocumentKind.FORM
    )

    b05 = DocumentPage.objects.get(number="B05")
    assert b05.title == "文件控制程序"
    assert DocumentPage.objects.get(number="B06").title == "记录控制程序"
    issues = {i.label: i for i in b05.issues.all()}
    assert set(issues) == {"A", "B"}
    assert issues["A"].status == IssueStatus.SUPERSEDED
    assert issues["B"].status == IssueStatus.EFFECTIVE
    assert issues["B"].change_summary
    assert issues["A"].body != issues["B"].body
    c0501 = DocumentPage.objects.get(number="C0501")
    assert c0501.get_parent().pk == b05.pk
    assert c0501.title == "电子文件发放操作指引"
    d05 = DocumentPage.objects.filter(number__startswith="D05")
    assert d05.count() >= 7
    assert all(d.get_parent().pk == b05.pk for d in d05)
    assert DocumentPage.objects.get(number="D0501").title == "受控文件清单"

    # Some documents are overdue for review (published 2023-03-01), others not.
    assert DocumentPage.objects.get(number="B06").next_review_due.isoformat() == (
        "2026-03-01"
    )
    assert b05.next_review_due.isoformat() == "2028-06-15"

    external = ExternalDocumentPage.objects.get()
    assert external.issuer and external.reference == "ISO/IEC 20000-1"
    assert external.status == DocumentStatus.EXTERNAL
    assert OtherDocumentPage.objects.get().counterparty
    # Every issue went through the issuing service, which logs it.
    assert PageLogEntry.objects.filter(action="shoukong.documents.issue").count() == (
        DocumentIssue.objects.count()
    )

    client.login(username="staff", password=settings.SHOUKONG_DEMO_PASSWORD)
    assert client.get("/documents/B05/A/").status_code == 200

    counts = (
        DocumentPage.objects.count(),
        DocumentIssue.objects.count(),
        DocumentNumber.objects.count(),
        get_user_model().objects.count(),
    )
    output = load_demo()
    assert "nothing to change" in output
    assert counts == (
        DocumentPage.objects.count(),
        DocumentIssue.objects.count(),
        DocumentNumber.objects.count(),
        get_user_model().objects.count(),
    )


def test_refuses_a_library_whose_numbers_are_taken_and_changes_nothing():
    factories.document("procedure", "客户自有的程序")  # takes B01

    with pytest.raises(CommandError, match="B01"):
        load_demo()

    assert list(DocumentPage.objects.values_list("title", flat=True)) == [
        "客户自有的程序"
    ]
    assert not get_user_model().objects.filter(username__in=USERNAMES).exists()


def test_setup_roles_is_idempotent():
    out = StringIO()
    with translation.override("en"):
        call_command("setup_roles", stdout=out)
    assert "Role groups created" in out.getvalue()

    out = StringIO()
    with translation.override("en"):
        call_command("setup_roles", stdout=out)
    assert "Departments: all present." in out.getvalue()
    assert "Role groups: all present." in out.getvalue()
    assert set(roles.ROLES) <= set(
        get_user_model()
        ._meta.get_field("groups")
        .related_model.objects.values_list("name", flat=True)
    )

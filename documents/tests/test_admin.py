"""The Wagtail admin creates documents with their numbers, through the same rules."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data, rich_text

from documents.models import DocumentPage, ProcedurePage
from documents.tests import factories

pytestmark = pytest.mark.django_db


def add_url(model: str, parent) -> str:
    return reverse("wagtailadmin_pages:add", args=("documents", model, parent.pk))


def post_new(client, model: str, parent, title: str, department):
    data = nested_form_data(
        {
            "title": title,
            "slug": "",
            "department": department.pk,
            "body": rich_text("<p>正文</p>"),
            "description": "",
            "storage_location": "",
            "retention_period": "",
        }
    )
    return client.post(add_url(model, parent), data)


def test_controller_creates_a_procedure_and_gets_the_next_number(
    client, library, departments, controller
):
    factories.document("procedure", "已有程序", number="B24")
    client.force_login(controller)
    response = post_new(
        client, "procedurepage", library, "新的程序", departments["行政部"]
    )
    assert response.status_code == 302, response.content[:2000]
    page = ProcedurePage.objects.get(title="新的程序")
    assert page.number == "B25"
    assert page.slug == "b25"
    assert not page.live


def test_admin_creates_forms_and_work_instructions_under_a_procedure(
    client, library, departments, controller
):
    b05 = factories.document("procedure", "文件控制程序", number="B05")
    factories.document("form", "遗失证明", parent=b05, number="D0508")
    client.force_login(controller)
    post_new(client, "workinstructionpage", b05, "指导书", departments["行政部"])
    post_new(client, "formpage", b05, "新表单", departments["行政部"])
    numbers = set(
        DocumentPage.objects.filter(title__in=["指导书", "新表单"]).values_list(
            "number", flat=True
        )
    )
    assert numbers == {"C0501", "D0509"}


def test_staff_cannot_reach_the_add_view(client, library, departments, staff_user):
    client.force_login(staff_user)
    response = post_new(
        client, "procedurepage", library, "员工的", departments["行政部"]
    )
    assert response.status_code in (302, 403)
    assert not DocumentPage.objects.filter(title="员工的").exists()


def test_form_cannot_be_added_under_a_work_instruction_in_the_default_scheme(
    client, library, departments, controller
):
    b05 = factories.document("procedure", "文件控制程序", number="B05")
    wi = factories.document("instruction", "指导书", parent=b05)
    client.force_login(controller)
    response = post_new(client, "formpage", wi, "放错的表单", departments["行政部"])
    assert response.status_code in (302, 403)
    assert not DocumentPage.objects.filter(title="放错的表单").exists()


def test_editing_keeps_the_number(client, library, departments, controller):
    page = factories.document("procedure", "文件控制程序", number="B05")
    client.force_login(controller)
    data = nested_form_data(
        {
            "title": "文件控制程序（修订）",
            "slug": page.slug,
            "department": departments["行政部"].pk,
            "body": rich_text("<p>修订后的正文</p>"),
            "description": "",
            "storage_location": "",
            "retention_period": "",
        }
    )
    response = client.post(reverse("wagtailadmin_pages:edit", args=(page.pk,)), data)
    assert response.status_code == 302, response.content[:2000]
    page.refresh_from_db()
    assert page.number == "B05"
    assert page.get_latest_revision_as_object().title == "文件控制程序（修订）"


def test_copying_a_document_gives_the_copy_its_own_number(
    client, library, departments, controller
):
    b05 = factories.document("procedure", "文件控制程序", number="B05", issue=True)
    form = factories.document("form", "表单", parent=b05, number="D0501", issue=True)
    client.force_login(controller)
    response = client.post(
        reverse("wagtailadmin_pages:copy", args=(form.pk,)),
        {
            "new_title": "表单（副本）",
            "new_slug": "d0501-copy",
            "new_parent_page": b05.pk,
            "copy_subpages": False,
            "publish_copies": False,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    copy = DocumentPage.objects.get(title="表单（副本）")
    assert copy.number == "D0502"
    assert copy.status == "draft"
    assert not copy.issues.exists()
    assert DocumentPage.objects.get(pk=form.pk).number == "D0501"


def test_issued_documents_cannot_be_deleted_in_the_admin(
    client, library, departments, controller
):
    from wagtail.models import Page

    b05 = factories.document("procedure", "文件控制程序", number="B05", issue=True)
    draft = factories.document("procedure", "草稿")
    assert not b05.permissions_for_user(controller).can_delete()
    admin = factories.user("boss", is_superuser=True, department_name=None)
    client.force_login(admin)
    response = client.post(reverse("wagtailadmin_pages:delete", args=(b05.pk,)))
    assert response.status_code == 302
    assert DocumentPage.objects.filter(pk=b05.pk).exists()
    response = client.post(reverse("wagtailadmin_pages:delete", args=(library.pk,)))
    assert Page.objects.filter(pk=library.pk).exists()
    # A draft that was never issued can go.
    response = client.post(reverse("wagtailadmin_pages:delete", args=(draft.pk,)))
    assert not DocumentPage.objects.filter(pk=draft.pk).exists()

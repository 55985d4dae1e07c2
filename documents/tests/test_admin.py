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
    response = post_new(client, "procedurepage", library, "新的程序", departments["行政部"])
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
    response = post_new(client, "procedurepage", library, "员工的", departments["行政部"])
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

"""The Wagtail admin creates documents with their numbers, through the same rules."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

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
            "distribution_list": inline_formset([]),
            **({"form_fields": inline_formset([])} if model == "formpage" else {}),
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
            "distribution_list": inline_formset([]),
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


def edit_data(page, title, department, body="<p>正文</p>"):
    return nested_form_data(
        {
            "title": title,
            "slug": page.slug,
            "department": department.pk,
            "body": rich_text(body),
            "description": "",
            "storage_location": "",
            "retention_period": "",
            "distribution_list": inline_formset([]),
        }
    )


def test_publishing_in_the_admin_is_refused_outside_the_approval_chain(
    client, library, departments, controller
):
    """DCP 4.2: an unapproved document is invalid. Even document control, who
    holds publish rights, releases a document only through its chain."""
    page = factories.document(
        "procedure", "文件控制程序", number="B05", user=controller
    )
    assert not page.permissions_for_user(controller).can_publish()
    client.force_login(controller)
    url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    data = edit_data(page, "文件控制程序", departments["行政部"])
    client.post(url, {**data, "action-publish": "publish"})
    page = DocumentPage.objects.get(pk=page.pk)
    assert not page.live
    assert page.issue_list == []


def test_saving_a_draft_issues_nothing(client, library, departments, controller):
    page = factories.document("procedure", "程序", number="B05", issue=True)
    client.force_login(controller)
    url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    client.post(url, edit_data(page, "草稿修改", departments["行政部"]))
    page = DocumentPage.objects.get(pk=page.pk)
    assert [i.label for i in page.issue_list] == ["A"]
    assert page.current_issue.title == "程序"


def test_issued_documents_cannot_simply_be_unpublished(
    library, departments, controller
):
    page = factories.document("procedure", "程序", number="B05", issue=True)
    draft = factories.document("procedure", "草稿")
    assert not page.permissions_for_user(controller).can_unpublish()
    assert not draft.permissions_for_user(controller).can_unpublish()


def test_copying_with_subpages_numbers_every_copy(
    client, library, departments, controller
):
    b05 = factories.document("procedure", "文件控制程序", number="B05", issue=True)
    factories.document("form", "表单", parent=b05, number="D0501", issue=True)
    factories.document("instruction", "指导书", parent=b05, number="C0501", issue=True)
    client.force_login(controller)
    response = client.post(
        reverse("wagtailadmin_pages:copy", args=(b05.pk,)),
        {
            "new_title": "文件控制程序（副本）",
            "new_slug": "b05-copy",
            "new_parent_page": library.pk,
            "copy_subpages": True,
            "publish_copies": False,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    copy = DocumentPage.objects.get(title="文件控制程序（副本）")
    children = DocumentPage.objects.child_of(copy)
    assert copy.number == "B06"
    assert sorted(children.values_list("number", flat=True)) == ["C0601", "D0601"]
    assert not DocumentPage.objects.filter(number__isnull=True, tier__isnull=False)


def test_documents_cannot_be_aliased(client, library, departments, controller):
    b05 = factories.document("procedure", "文件控制程序", number="B05", issue=True)
    client.force_login(controller)
    response = client.post(
        reverse("wagtailadmin_pages:copy", args=(b05.pk,)),
        {
            "new_title": "别名",
            "new_slug": "alias",
            "new_parent_page": library.pk,
            "alias": "on",
        },
    )
    assert response.status_code == 302
    assert not DocumentPage.objects.filter(title="别名").exists()


def test_source_files_are_served_to_signed_in_readers_only(
    client, library, departments, controller, staff_user
):
    from documents import services

    issued = factories.document("procedure", "程序", number="B05")
    services.document_attach_source(
        user=None, document=issued, filename="b05.docx", content=b"x", text="x"
    )
    services.issue_create(user=None, document=issued, publish_date=date(2026, 1, 5))
    draft = factories.document("procedure", "草稿")
    services.document_attach_source(
        user=None, document=draft, filename="draft.docx", content=b"y", text="y"
    )
    issued_file = DocumentPage.objects.get(pk=issued.pk).source_file
    draft_file = DocumentPage.objects.get(pk=draft.pk).source_file
    assert client.get(issued_file.url).status_code == 302  # to the login page
    client.force_login(staff_user)
    assert client.get(issued_file.url).status_code == 200
    assert client.get(draft_file.url).status_code == 403
    client.force_login(controller)
    assert client.get(draft_file.url).status_code == 200


def test_unpublished_external_documents_are_not_listed(library, departments):
    from documents import services
    from documents.models import ExternalDocumentPage

    services.document_create(
        user=None,
        parent=services.external_register(),
        page_class=ExternalDocumentPage,
        title="GB/T 24405.1",
        issuer="国家标准化管理委员会",
        department=departments["行政部"],
    )
    assert not DocumentPage.objects.visible_to_staff().filter(title="GB/T 24405.1")


def test_superusers_cannot_publish_a_document_directly(client, library, departments):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "r@example.com", "x")
    page = factories.document("procedure", "文件控制程序", number="B05")
    assert not page.permissions_for_user(admin).can_publish()
    client.force_login(admin)
    url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    data = {
        **edit_data(page, "文件控制程序", departments["行政部"]),
        "action-publish": "1",
    }
    client.post(url, data)
    page = DocumentPage.objects.get(pk=page.pk)
    assert page.issue_list == [] and not page.live

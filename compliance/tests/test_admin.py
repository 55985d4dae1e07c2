"""The "Compliance" admin menu (合规): catalogue standards and clauses
read-only, the company's own requirements editable, grades kept while in use,
and links to the compliance pages for those who may read them."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.urls import reverse
from wagtail.admin.menu import admin_menu
from wagtail.models import ModelLogEntry
from wagtail.permissions import policy_registry
from wagtail.users.models import UserProfile

from compliance.lifecycle import StandardOrigin
from compliance.models import Clause, NonconformityGrade, Process, Standard
from documents import roles
from documents.tests import factories as doc_factories

from . import factories

pytestmark = pytest.mark.django_db


def _english(user):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    return user


@pytest.fixture
def controller():
    return _english(doc_factories.user("controller", role=roles.DOCUMENT_CONTROLLER))


@pytest.fixture
def manager():
    return _english(
        doc_factories.user(
            "tech_manager", role=roles.DEPARTMENT_MANAGER, department_name="技术部"
        )
    )


@pytest.fixture
def customer():
    return doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )


@pytest.fixture
def company_standard():
    return Standard.objects.create(
        ref_id="qy",
        code="QY",
        title_zh="公司内部要求",
        origin=StandardOrigin.COMPANY,
    )


def url(model: str, view: str, *args) -> str:
    return reverse(f"wagtailsnippets_compliance_{model}:{view}", args=args)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Roles --------------------------------------------------------------------------


def test_roles_grant_the_compliance_permissions(controller, manager):
    models = ("standard", "clause", "process", "nonconformitygrade")
    for model in models:
        for action in ("add", "change", "view"):
            assert controller.has_perm(f"compliance.{action}_{model}")
        assert not controller.has_perm(f"compliance.delete_{model}")
        assert manager.has_perm(f"compliance.view_{model}")
        assert not manager.has_perm(f"compliance.change_{model}")
    assert not controller.has_perm("compliance.view_nonconformity")
    for role in (roles.GENERAL_MANAGER, roles.INTERNAL_AUDITOR):
        granted = roles.MODEL_PERMISSIONS[role]
        assert "compliance.view_clause" in granted
        assert "compliance.change_clause" not in granted
    assert (
        "compliance.change_clause"
        in roles.MODEL_PERMISSIONS[roles.MANAGEMENT_REPRESENTATIVE]
    )
    assert not any(
        p.startswith("compliance.")
        for role in (roles.STAFF, roles.CUSTOMER_REPRESENTATIVE)
        for p in roles.MODEL_PERMISSIONS[role]
    )
    # Safe to run again.
    roles.roles_ensure()
    controller = type(controller).objects.get(pk=controller.pk)
    assert controller.has_perm("compliance.change_clause")


# --- Listings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "model", ["standard", "clause", "process", "nonconformitygrade"]
)
def test_snippet_listings_open_for_document_control(client, controller, model):
    client.force_login(controller)
    response = client.get(url(model, "list"))
    assert response.status_code == 200
    assert url(model, "add").encode() in response.content


def test_clause_listing_shows_the_catalogue_without_edit_links(client, controller):
    client.force_login(controller)
    iso = Standard.objects.get(ref_id="iso20000-1-2018")
    response = client.get(url("clause", "list"), {"standard": iso.pk})
    assert response.status_code == 200
    content = response.content.decode()
    clause = Clause.objects.of_standard("iso20000-1-2018").get(ref_id="8.5.1")
    assert "8.5.1 变更管理" in content
    assert url("clause", "inspect", clause.pk) in content
    assert url("clause", "edit", clause.pk) not in content
    assert url("clause", "delete", clause.pk) not in content


def test_department_manager_reads_but_does_not_add(client, manager):
    client.force_login(manager)
    response = client.get(url("clause", "list"))
    assert response.status_code == 200
    assert url("clause", "add").encode() not in response.content
    response = client.get(url("clause", "add"))
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response.url != url("clause", "add")


# --- Catalogue standards and clauses are read-only ----------------------------------


def test_catalogue_clause_edit_is_refused(client, controller):
    client.force_login(controller)
    clause = Clause.objects.of_standard("iso20000-1-2018").get(ref_id="8.5.1")
    edit = url("clause", "edit", clause.pk)

    response = client.get(edit)
    assert response.status_code == 302
    assert response.url == url("clause", "inspect", clause.pk)
    assert messages_of(response) == [
        "Clause 8.5.1 belongs to the catalogue of ISO/IEC 20000-1:2018 and cannot "
        "be changed here; load a new catalogue file instead."
    ]

    response = client.post(
        edit,
        {
            "standard": clause.standard_id,
            "ref_id": "8.5.1",
            "title_zh": "改过的标题",
            "title_en": "Changed",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    clause.refresh_from_db()
    assert clause.title_zh == "变更管理"
    assert not ModelLogEntry.objects.filter(
        content_type__model="clause", action="wagtail.edit"
    ).exists()


def test_catalogue_clause_inspect_offers_no_edit(client, controller):
    client.force_login(controller)
    clause = Clause.objects.of_standard("iso20000-1-2018").get(ref_id="7.5")
    response = client.get(url("clause", "inspect", clause.pk))
    assert response.status_code == 200
    assert "文件化信息" in response.content.decode()
    assert url("clause", "edit", clause.pk).encode() not in response.content


def test_catalogue_standard_edit_is_refused(client, controller):
    client.force_login(controller)
    iso = Standard.objects.get(ref_id="iso27001-2022")
    response = client.get(url("standard", "edit", iso.pk))
    assert response.status_code == 302
    assert response.url == url("standard", "inspect", iso.pk)
    assert "load_clauses" in messages_of(response)[0]


def test_standards_and_clauses_are_never_deleted(client, controller, company_standard):
    clause = Clause.objects.create(
        standard=company_standard, ref_id="QY-01", title_zh="保密"
    )
    admin = type(controller).objects.create_superuser("admin", password="pw")
    client.force_login(admin)
    for model, obj in (("standard", company_standard), ("clause", clause)):
        policy = policy_registry.get_by_type(type(obj))
        assert not policy.user_has_permission(admin, "delete")
        assert not policy.user_has_permission_for_instance(admin, "delete", obj)
        response = client.get(url(model, "delete", obj.pk))
        assert response.status_code in (302, 403)
        assert type(obj).objects.filter(pk=obj.pk).exists()


# --- The company's own requirements -------------------------------------------------


def test_company_standard_is_added_as_company(client, controller):
    client.force_login(controller)
    response = client.post(
        url("standard", "add"),
        {
            "ref_id": "qy-infosec",
            "code": "QY-IS",
            "title_zh": "公司信息安全要求",
            "title_en": "Company information security requirements",
            "sort_order": "10",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    standard = Standard.objects.get(ref_id="qy-infosec")
    assert standard.origin == StandardOrigin.COMPANY
    assert ModelLogEntry.objects.filter(
        action="wagtail.create", object_id=str(standard.pk)
    ).exists()

    # Its reference is stable once saved; its titles are editable.
    response = client.post(
        url("standard", "edit", standard.pk),
        {
            "ref_id": "renamed",
            "code": "QY-IS",
            "title_zh": "公司信息安全规定",
            "title_en": "",
            "sort_order": "10",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    standard.refresh_from_db()
    assert (standard.ref_id, standard.title_zh) == ("qy-infosec", "公司信息安全规定")


def test_company_standard_cannot_take_a_catalogue_reference(client, controller):
    client.force_login(controller)
    response = client.post(
        url("standard", "add"),
        {
            "ref_id": "iso9001-2015",
            "code": "X",
            "title_zh": "冒名",
            "sort_order": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["ref_id"]


def test_company_clause_add_works(client, controller, company_standard):
    client.force_login(controller)
    add = url("clause", "add")

    response = client.get(add)
    assert response.status_code == 200
    choices = list(response.context["form"].fields["standard"].queryset)
    assert choices == [company_standard]

    response = client.post(
        add,
        {
            "standard": company_standard.pk,
            "ref_id": " QY ",
            "title_zh": "公司要求",
            "title_en": "Company requirements",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    parent = Clause.objects.get(standard=company_standard, ref_id="QY")
    assert parent.parent is None and parent.depth == 1

    response = client.post(
        add,
        {
            "standard": company_standard.pk,
            "ref_id": "QY.1",
            "title_zh": "客户数据不出境",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    child = Clause.objects.get(standard=company_standard, ref_id="QY.1")
    assert child.parent == parent and child.depth == 2
    assert ModelLogEntry.objects.filter(
        action="wagtail.create", object_id=str(child.pk)
    ).exists()

    # The company clause is editable.
    response = client.post(
        url("clause", "edit", child.pk),
        {
            "standard": company_standard.pk,
            "ref_id": "QY.1",
            "title_zh": "客户数据存储在境内",
            "title_en": "Customer data stays in the country",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    child.refresh_from_db()
    assert child.title_zh == "客户数据存储在境内"


@pytest.mark.parametrize(
    ("ref_id", "error"),
    [
        ("QZ.1", "Add clause QZ first: QZ.1 is one of its parts."),
        ("QY", "QY already has a clause QY."),
        ("Q/1", "A clause number is letters and digits separated by dots or dashes"),
    ],
)
def test_company_clause_refusals(client, controller, company_standard, ref_id, error):
    Clause.objects.create(standard=company_standard, ref_id="QY", title_zh="公司要求")
    client.force_login(controller)
    response = client.post(
        url("clause", "add"),
        {"standard": company_standard.pk, "ref_id": ref_id, "title_zh": "某要求"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert error in " ".join(response.context["form"].errors["ref_id"])


def test_a_clause_cannot_be_added_to_a_catalogue_standard(client, controller):
    client.force_login(controller)
    iso = Standard.objects.get(ref_id="iso20000-1-2018")
    response = client.post(
        url("clause", "add"),
        {"standard": iso.pk, "ref_id": "11", "title_zh": "额外条款"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["standard"]
    assert not Clause.objects.filter(standard=iso, ref_id="11").exists()


def test_a_parent_clause_keeps_its_number(client, controller, company_standard):
    parent = Clause.objects.create(
        standard=company_standard, ref_id="QY", title_zh="公司要求"
    )
    Clause.objects.create(
        standard=company_standard, ref_id="QY.1", title_zh="子要求", parent=parent
    )
    client.force_login(controller)
    response = client.post(
        url("clause", "edit", parent.pk),
        {"standard": company_standard.pk, "ref_id": "QX", "title_zh": "公司要求"},
    )
    assert response.status_code == 200
    assert "has sub-clauses" in " ".join(response.context["form"].errors["ref_id"])


# --- Processes and grades -----------------------------------------------------------


def test_process_owner_is_set_in_the_admin(client, controller, manager):
    client.force_login(controller)
    tech = doc_factories.department("技术部")
    clause = factories.clause("8.5.1")
    response = client.post(
        url("process", "add"),
        {
            "name": "变更管理",
            "owner": manager.pk,
            "department": tech.pk,
            "clauses": [clause.pk],
            "sort_order": "1",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    process = Process.objects.get(name="变更管理")
    assert process.owner == manager
    assert list(process.clauses.all()) == [clause]


def test_grade_code_is_stable_and_a_grade_in_use_is_kept(client):
    people = factories.people()
    controller = _english(people.controller)
    client.force_login(controller)
    major = factories.grade("major")
    response = client.post(
        url("nonconformitygrade", "edit", major.pk),
        {
            "code": "serious",
            "name": "严重不符合项",
            "is_nonconformity": "on",
            "requires_action": "on",
            "sort_order": "1",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    major.refresh_from_db()
    assert (major.code, major.name) == ("major", "严重不符合项")

    factories.nonconformity(people.auditor, grade_code="major")
    admin = type(controller).objects.create_superuser("admin", password="pw")
    _english(admin)
    policy = policy_registry.get_by_type(NonconformityGrade)
    assert not policy.user_has_permission_for_instance(admin, "delete", major)
    assert policy.user_has_permission_for_instance(
        admin, "delete", factories.grade("improvement")
    )
    client.force_login(admin)
    response = client.get(url("nonconformitygrade", "delete", major.pk))
    assert response.status_code == 302
    assert messages_of(response)[-1] == (
        "“严重不符合项” is the grade of 1 finding and cannot be deleted; mark it "
        "inactive instead."
    )
    response = client.post(url("nonconformitygrade", "delete", major.pk))
    assert NonconformityGrade.objects.filter(pk=major.pk).exists()


# --- The menu -----------------------------------------------------------------------


def _menu_names(user) -> dict[str, list[str]]:
    request = RequestFactory().get("/admin/")
    request.user = user
    found = {}
    for item in admin_menu.menu_items_for_request(request):
        if item.name == "compliance":
            found[item.name] = [
                sub.name for sub in item.menu.menu_items_for_request(request)
            ]
    return found


def test_menu_for_document_control(controller):
    names = _menu_names(controller)["compliance"]
    for link in (
        "compliance-clauses",
        "compliance-matrix",
        "compliance-coverage",
        "compliance-nonconformities",
        "compliance-improvement-report",
    ):
        assert link in names
    assert len(names) == 9  # five pages and four reference lists


def test_menu_links_reach_the_compliance_pages(controller):
    request = RequestFactory().get("/admin/")
    request.user = controller
    item = next(
        i for i in admin_menu.menu_items_for_request(request) if i.name == "compliance"
    )
    urls = {sub.name: sub.url for sub in item.menu.menu_items_for_request(request)}
    assert urls["compliance-clauses"] == reverse("compliance:clauses")
    assert urls["compliance-improvement-report"] == reverse(
        "compliance:improvement_report"
    )


def test_no_compliance_menu_for_a_customer_representative(customer):
    assert _menu_names(customer) == {}


def test_the_menu_is_drawn_in_the_admin(client, controller):
    client.force_login(controller)
    response = client.get(url("standard", "list"))
    content = response.content.decode()
    assert reverse("compliance:matrix") in content
    assert reverse("compliance:nonconformities") in content

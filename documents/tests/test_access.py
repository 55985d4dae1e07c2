"""Restricted documents (confidential): who may open them and find them in the
library, the register, its exports, the API, the records pickers and the
nonconformity forms; and how document control sets the readers and the other
names of a document, on the document page and through the API."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from wagtail.models import PageLogEntry

from compliance.views import nc_forms
from documents import (
    access,
    distribution,
    library,
    permissions,
    services,
    views_lifecycle,
)
from documents.access import ALIASES_MAX_LENGTH
from documents.models import (
    Department,
    DistributionListEntry,
    DocumentPage,
    FormPage,
    ProcedurePage,
    RecallTask,
)

pytestmark = pytest.mark.django_db

PASSWORD = settings.SHOUKONG_DEMO_PASSWORD
SECRET_TITLE = "薪酬核定管理程序"
SECRET_FORM_TITLE = "薪酬调整审批表"
API = "/api/v1/documents/"

# Who may open the restricted document of 行政部 (its reader department is 市场部):
# its department (auditor), the reader department (market_manager) and the roles
# that read every restricted document.
READERS = ("auditor", "market_manager", "controller", "mr", "gm")
# Staff of 技术部: neither its department nor a reader department.
OTHERS = ("staff", "tech_manager")


# --- Builders -----------------------------------------------------------------------


@pytest.fixture
def users():
    call_command("load_demo", "--users-only", stdout=io.StringIO())
    return {u.username: u for u in get_user_model().objects.all()}


def department(name: str) -> Department:
    return Department.objects.get(name=name)


def issue(users, page):
    services.issue_create(
        user=users["controller"], document=page, publish_date=timezone.localdate()
    )
    return DocumentPage.objects.get(pk=page.pk).specific


def procedure(users, title: str, department_name: str, *, copies=()):
    page = services.document_create(
        user=users["controller"],
        parent=services.library_ensure(),
        page_class=ProcedurePage,
        title=title,
        department=department(department_name),
        body=f"<p>{title}的职责与流程。</p>",
    )
    if copies:
        page.distribution_list.add(*copies)
        page.save_revision(user=users["controller"])
    return issue(users, page)


def form(users, parent, title: str, department_name: str):
    page = services.document_create(
        user=users["controller"],
        parent=parent,
        page_class=FormPage,
        title=title,
        department=department(department_name),
    )
    return issue(users, page)


def restrict(users, page, *readers: str):
    return access.document_set_access(
        user=users["controller"],
        document=page,
        confidential=True,
        reader_departments=[department(name) for name in readers],
    )


@pytest.fixture
def docs(users):
    """An open procedure of 技术部 with a restricted form of 行政部 below it; a
    restricted procedure of 行政部 (reader department 市场部, copies 02 for
    staff and 03 for 技术部) with an open instruction below it."""
    open_doc = procedure(users, "服务级别管理程序", "技术部")
    hidden_form = form(users, open_doc, SECRET_FORM_TITLE, "行政部")
    restrict(users, hidden_form)
    secret = procedure(
        users,
        SECRET_TITLE,
        "行政部",
        copies=(
            DistributionListEntry(holder=users["staff"]),
            DistributionListEntry(department=department("技术部")),
        ),
    )
    restrict(users, secret, "市场部")
    access.document_set_aliases(
        user=users["controller"], document=secret, aliases="工资程序、薪资程序"
    )
    child = services.document_create(
        user=users["controller"],
        parent=secret,
        page_class=FormPage,
        title="加班登记表",
        department=department("技术部"),
    )
    child = issue(users, child)
    return {
        "open": open_doc,
        "hidden_form": hidden_form,
        "secret": DocumentPage.objects.get(pk=secret.pk).specific,
        "child": child,
    }


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def api_as(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def text(response) -> str:
    return response.content.decode()


def log_count(page, action: str) -> int:
    return PageLogEntry.objects.filter(page_id=page.pk, action=action).count()


# --- Who may open it ----------------------------------------------------------------


@pytest.mark.parametrize("username", OTHERS)
def test_others_get_404_on_every_page_of_it(users, docs, username):
    secret = docs["secret"]
    number = secret.number
    client = as_user(users[username])
    assert client.get(f"/documents/{number}/").status_code == 404
    assert client.get(f"/documents/{number}/A/").status_code == 404
    assert client.get(f"/documents/{number.lower()}/a/", follow=True).status_code == (
        404
    )
    # Not even the copies registered to them or their department.
    for copy in (2, 3):
        response = client.get(f"/documents/{number}/A/copy.pdf?copy={copy}")
        assert response.status_code == 404
    response = client.post(
        reverse("documents:change_request", kwargs={"number": number}),
        {"reason": "太长"},
    )
    assert response.status_code == 404
    api = api_as(users[username])
    assert api.get(f"{API}{number}/").status_code == 404
    assert api.get(f"{API}{number}/issues/A/copy.pdf?copy=2").status_code == 404
    assert api.post(f"{API}{number}/issues/A/acknowledge/").status_code == 404
    # The restricted form below an open document, the same.
    form_number = docs["hidden_form"].number
    assert client.get(f"/documents/{form_number}/").status_code == 404
    assert api.get(f"{API}{form_number}/").status_code == 404


@pytest.mark.parametrize("username", READERS)
def test_readers_open_it(users, docs, username):
    secret = docs["secret"]
    client = as_user(users[username])
    response = client.get(f"/documents/{secret.number}/")
    assert response.status_code == 200
    page = text(response)
    assert SECRET_TITLE in page
    assert 'data-testid="restricted-badge"' in page
    assert "工资程序、薪资程序" in page
    assert client.get(f"/documents/{secret.number}/A/").status_code == 200
    body = api_as(users[username]).get(f"{API}{secret.number}/").json()
    assert body["confidential"] is True
    assert body["other_names"] == ["工资程序", "薪资程序"]
    assert docs["child"].number in body["children"]
    numbers = {
        row["number"] for row in api_as(users[username]).get(API).json()["results"]
    }
    assert secret.number in numbers


def test_the_holder_of_a_copy_downloads_it_once_a_reader(users, docs):
    secret = docs["secret"]
    url = f"/documents/{secret.number}/A/copy.pdf?copy=2"
    assert as_user(users["staff"]).get(url).status_code == 404
    restrict(users, secret, "市场部", "技术部")
    response = as_user(users["staff"]).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_copy_of_an_open_document_is_unchanged(users, docs):
    """A restricted document's rules leave open documents as they were."""
    page = docs["open"]
    client = as_user(users["staff"])
    response = client.get(f"/documents/{page.number}/")
    assert response.status_code == 200
    assert 'data-testid="restricted-badge"' not in text(response)
    assert (
        api_as(users["staff"]).get(f"{API}{page.number}/").json()["confidential"]
        is False
    )


# --- Where it does not appear -------------------------------------------------------


def test_absent_from_the_library_register_and_exports(users, docs):
    secret, hidden = docs["secret"], docs["hidden_form"]
    staff = as_user(users["staff"])
    reader = as_user(users["auditor"])
    for url in ("/documents/", "/register/", "/documents/?group=department"):
        page = text(staff.get(url))
        assert SECRET_TITLE not in page
        assert secret.number not in page
        assert SECRET_FORM_TITLE not in page
        # The open form below it is listed: it is not restricted.
        assert docs["child"].number in page
    assert SECRET_TITLE in text(reader.get("/documents/"))
    # Counts: the library says how many documents match.
    staff_total = staff.get(f"/documents/?q={SECRET_TITLE}").context["total"]
    assert staff_total == 0
    assert reader.get(f"/documents/?q={SECRET_TITLE}").context["total"] == 1
    assert (
        staff.get("/documents/").context["total"]
        == reader.get("/documents/").context["total"] - 2
    )
    for export in ("csv", "xlsx"):
        content = staff.get(f"/register/?format={export}").content
        if export == "csv":
            exported = content.decode("utf-8-sig")
            assert SECRET_TITLE not in exported
            assert secret.number not in exported
            assert hidden.number not in exported
            assert docs["open"].number in exported
        else:
            assert SECRET_TITLE.encode() not in content
    csv = reader.get("/register/?format=csv").content.decode("utf-8-sig")
    assert SECRET_TITLE in csv
    assert hidden.number in csv


def test_absent_from_the_admin_register_report(users, docs):
    from documents.reports import RegisterReportView

    view = RegisterReportView()
    view.request = type("Request", (), {"user": users["staff"]})()
    numbers = set(view.get_queryset().values_list("number", flat=True))
    assert docs["open"].number in numbers
    assert docs["secret"].number not in numbers
    assert docs["hidden_form"].number not in numbers
    view.request.user = users["controller"]
    assert docs["secret"].number in set(
        view.get_queryset().values_list("number", flat=True)
    )


def test_parent_and_children_hide_it(users, docs):
    staff = as_user(users["staff"])
    # The open form below the restricted procedure: shown without its parent.
    child = text(staff.get(f"/documents/{docs['child'].number}/"))
    assert SECRET_TITLE not in child
    assert docs["secret"].number not in child
    # The open procedure: its restricted form is not among its children.
    parent = text(staff.get(f"/documents/{docs['open'].number}/"))
    assert SECRET_FORM_TITLE not in parent
    assert SECRET_FORM_TITLE in text(
        as_user(users["auditor"]).get(f"/documents/{docs['open'].number}/")
    )
    api = api_as(users["staff"])
    assert api.get(f"{API}{docs['child'].number}/").json()["parent"] is None
    assert api.get(f"{API}{docs['open'].number}/").json()["children"] == []
    reader = api_as(users["auditor"])
    assert reader.get(f"{API}{docs['child'].number}/").json()["parent"] == (
        docs["secret"].number
    )


def test_absent_from_the_api_list_and_its_counts(users, docs):
    secret = docs["secret"]
    staff, reader = api_as(users["staff"]), api_as(users["auditor"])
    body = staff.get(API).json()
    numbers = {row["number"] for row in body["results"]}
    assert secret.number not in numbers
    assert docs["hidden_form"].number not in numbers
    assert docs["child"].number in numbers
    assert body["count"] == reader.get(API).json()["count"] - 2
    assert staff.get(API, {"q": SECRET_TITLE}).json()["count"] == 0
    assert staff.get(API, {"q": secret.number}).json()["count"] == 0
    assert reader.get(API, {"q": SECRET_TITLE}).json()["count"] == 1
    # Its children are not listed under a parent the user may not know.
    assert staff.get(API, {"parent": secret.number}).json()["count"] == 0
    assert reader.get(API, {"parent": secret.number}).json()["count"] == 1
    assert staff.get(API, {"parent": docs["open"].number}).json()["count"] == 0
    # Readers and other names are part of every row.
    rows = {row["number"]: row for row in reader.get(API).json()["results"]}
    assert rows[secret.number]["confidential"] is True
    assert rows[secret.number]["other_names"] == ["工资程序", "薪资程序"]
    assert rows[docs["open"].number]["confidential"] is False
    assert rows[docs["open"].number]["other_names"] == []


def test_listing_queryset_is_per_user(users, docs):
    for username in OTHERS:
        numbers = set(
            library.listing_queryset(users[username]).values_list("number", flat=True)
        )
        assert docs["secret"].number not in numbers
    for username in READERS:
        numbers = set(
            library.listing_queryset(users[username]).values_list("number", flat=True)
        )
        assert docs["secret"].number in numbers
    assert not library.listing_queryset(None).exists()


def test_records_pickers_leave_out_a_restricted_form(users, docs):
    hidden = docs["hidden_form"]
    staff = as_user(users["staff"])
    fill_index = text(staff.get(reverse("records:fill_index")))
    assert SECRET_FORM_TITLE not in fill_index
    assert docs["child"].number in fill_index
    assert staff.get(reverse("records:fill", args=[hidden.number])).status_code == 404
    records_list = text(staff.get(reverse("records:list")))
    assert SECRET_FORM_TITLE not in records_list
    assert SECRET_FORM_TITLE not in text(staff.get(reverse("records:types")))
    auditor = as_user(users["auditor"])
    assert SECRET_FORM_TITLE in text(auditor.get(reverse("records:fill_index")))
    assert SECRET_FORM_TITLE in text(auditor.get(reverse("records:list")))


def test_nonconformity_forms_do_not_know_it(users, docs):
    number = docs["secret"].number
    data = {"document": number, "reason": "薪酬核定未按程序执行"}
    refused = nc_forms.ChangeRequestForm(data, user=users["staff"])
    assert not refused.is_valid()
    assert number in str(refused.errors["document"])
    accepted = nc_forms.ChangeRequestForm(data, user=users["auditor"])
    assert accepted.is_valid(), accepted.errors
    assert accepted.cleaned_data["document"].pk == docs["secret"].pk
    form = nc_forms.NonconformityForm(user=users["staff"])
    form.cleaned_data = {"documents": f"{docs['open'].number}, {number}"}
    with pytest.raises(Exception, match=number):
        form.clean_documents()
    form = nc_forms.NonconformityForm(user=users["auditor"])
    form.cleaned_data = {"documents": f"{docs['open'].number}, {number}"}
    assert [d.pk for d in form.clean_documents()] == [
        docs["open"].pk,
        docs["secret"].pk,
    ]


@pytest.mark.parametrize("username", (*READERS, *OTHERS, None))
def test_pages_naming_documents_ask_the_same_rule(users, docs, username):
    """What a page naming documents leaves unnamed (restricted_ids) is what
    can_read_document refuses, among restricted documents."""
    user = users.get(username)
    pages = [docs["open"], docs["hidden_form"], docs["secret"], docs["child"]]
    hidden = {
        p.pk
        for p in pages
        if p.confidential and not permissions.can_read_document(user, p)
    }
    if username in ("controller", "mr", "gm", "auditor"):
        assert hidden == set()
    else:
        assert docs["hidden_form"].pk in hidden
    assert permissions.restricted_ids(user, pages) == hidden
    assert permissions.restricted_ids(user, [p.pk for p in pages]) == hidden
    assert permissions.restricted_numbers(user, [p.number for p in pages]) == {
        p.number for p in pages if p.pk in hidden
    }


# --- My tasks ------------------------------------------------------------------------


def my_tasks(user) -> str:
    response = as_user(user).get(reverse("documents:my_tasks"))
    assert response.status_code == 200
    return text(response)


def test_my_tasks_list_its_copies_unnamed_to_others(users, docs):
    secret = docs["secret"]
    page = my_tasks(users["staff"])
    copies = page[page.index('data-testid="copies"') :].split("</section>")[0]
    # Copy 02 is registered to staff: listed, but neither named nor offered.
    assert "<strong>受控02</strong>" in copies
    assert 'data-testid="copy-download"' not in copies
    assert 'data-testid="restricted-document"' in copies
    assert SECRET_TITLE not in page and secret.number not in page
    assert f"/documents/{secret.number}/" not in page
    # Nor is staff asked to confirm reading what they may not open.
    assert SECRET_TITLE not in page[page.index('data-testid="acknowledgements"') :]
    assert views_lifecycle.my_tasks_count(users["staff"]) == 0
    # Once 技术部 may read it, the same copy is named.
    restrict(users, secret, "市场部", "技术部")
    page = my_tasks(users["staff"])
    assert SECRET_TITLE in page and secret.number in page
    assert 'data-testid="restricted-document"' not in page
    assert views_lifecycle.my_tasks_count(users["staff"]) == 1


def test_my_tasks_list_its_recalled_copies_unnamed_to_others(users, docs):
    secret = docs["secret"]
    secret.save_revision(user=users["controller"])
    issue(users, secret)  # issue B: the copies of A are recalled
    page = my_tasks(users["staff"])
    recalls = page[page.index('data-testid="recalls"') :].split("</section>")[0]
    assert 'data-testid="recall-row"' in recalls
    assert 'data-testid="restricted-document"' in recalls
    assert SECRET_TITLE not in page and secret.number not in page
    # 技术部's copy reported lost: its head decides, without learning its name.
    recall = RecallTask.objects.get(
        copy__issue__document=secret, copy__department=department("技术部")
    )
    distribution.recall_report_loss(user=users["staff"], recall=recall, reason="遗失")
    page = my_tasks(users["tech_manager"])
    losses = page[page.index('data-testid="loss-reports"') :].split("</section>")[0]
    assert 'data-testid="restricted-document"' in losses
    assert SECRET_TITLE not in page and secret.number not in page
    # A reader of it sees both named.
    restrict(users, secret, "市场部", "技术部")
    page = my_tasks(users["tech_manager"])
    assert SECRET_TITLE in page and 'data-testid="restricted-document"' not in page


# --- Document control sets the readers and the other names: the page --------------


def access_url(page) -> str:
    return reverse("documents:document_access", kwargs={"number": page.number})


def aliases_url(page) -> str:
    return reverse("documents:document_aliases", kwargs={"number": page.number})


def test_the_forms_are_shown_to_document_control_only(users, docs):
    page = docs["open"]
    shown = text(as_user(users["controller"]).get(f"/documents/{page.number}/"))
    assert 'data-testid="access-form"' in shown
    assert 'data-testid="aliases-form"' in shown
    for username in ("staff", "auditor", "mr"):
        other = text(as_user(users[username]).get(f"/documents/{page.number}/"))
        assert 'data-testid="access-form"' not in other


def test_controller_restricts_a_document_on_its_page(users, docs):
    page = docs["open"]
    controller = as_user(users["controller"])
    market = department("市场部")
    data = {"confidential": "on", "reader_departments": [market.pk]}
    response = controller.post(access_url(page), data, follow=True)
    assert response.status_code == 200
    assert f"Who may read {page.number} is saved." in text(response)
    assert 'data-testid="restricted-badge"' in text(response)
    page.refresh_from_db()
    assert page.confidential
    assert list(page.reader_departments.all()) == [market]
    assert log_count(page, "shoukong.documents.access") == 1
    # A double submit changes nothing and logs nothing more.
    assert controller.post(access_url(page), data, follow=True).status_code == 200
    assert log_count(page, "shoukong.documents.access") == 1
    # Its own department (技术部) still reads it; others do not.
    assert as_user(users["staff"]).get(f"/documents/{page.number}/").status_code == (
        200
    )
    assert as_user(users["auditor"]).get(f"/documents/{page.number}/").status_code == (
        404
    )
    # Opened to all staff again: the checkbox left unticked.
    controller.post(access_url(page), {}, follow=True)
    page.refresh_from_db()
    assert not page.confidential
    assert as_user(users["auditor"]).get(f"/documents/{page.number}/").status_code == (
        200
    )
    assert log_count(page, "shoukong.documents.access") == 2


def test_controller_sets_other_names_on_the_page(users, docs):
    page = docs["open"]
    controller = as_user(users["controller"])
    response = controller.post(
        aliases_url(page), {"other_names": "运行服务单，服务工作单"}, follow=True
    )
    assert f"The other names of {page.number} are saved." in text(response)
    assert 'data-testid="other-names"' in text(response)
    page.refresh_from_db()
    assert page.alias_list == ["运行服务单", "服务工作单"]
    assert log_count(page, "shoukong.documents.aliases") == 1
    controller.post(aliases_url(page), {"other_names": "运行服务单、服务工作单"})
    assert log_count(page, "shoukong.documents.aliases") == 1
    shown = text(as_user(users["staff"]).get(f"/documents/{page.number}/"))
    assert "运行服务单、服务工作单" in shown


def test_bad_input_on_the_page_is_a_message(users, docs):
    page = docs["open"]
    controller = as_user(users["controller"])
    response = controller.post(
        access_url(page),
        {"confidential": "on", "reader_departments": ["99999"]},
        follow=True,
    )
    assert "Unknown department: 99999" in text(response)
    response = controller.post(
        aliases_url(page), {"other_names": "名" * (ALIASES_MAX_LENGTH + 1)}, follow=True
    )
    assert response.status_code == 200
    assert f"at most {ALIASES_MAX_LENGTH} characters" in text(response)
    page.refresh_from_db()
    assert not page.confidential
    assert page.other_names == ""
    assert log_count(page, "shoukong.documents.access") == 0


def test_others_may_not_set_readers_or_names(users, docs):
    open_doc, secret = docs["open"], docs["secret"]
    data = {"confidential": "on"}
    staff = as_user(users["staff"])
    assert staff.post(access_url(open_doc), data).status_code == 403
    assert staff.post(aliases_url(open_doc), {"other_names": "x"}).status_code == 403
    # A document they may not read is as unknown as a missing one.
    assert staff.post(access_url(secret), data).status_code == 404
    assert staff.post(aliases_url(secret), {"other_names": "x"}).status_code == 404
    # Its own department reads it, but does not decide who else may.
    auditor = as_user(users["auditor"])
    assert auditor.post(access_url(secret), {}).status_code == 403
    assert staff.get(access_url(open_doc)).status_code == 405
    open_doc.refresh_from_db()
    assert not open_doc.confidential
    assert open_doc.other_names == ""


# --- Document control sets the readers and the other names: the API ----------------


def test_api_sets_readers_and_names(users, docs):
    page = docs["open"]
    api = api_as(users["controller"])
    market, admin = department("市场部"), department("行政部")
    response = api.post(
        f"{API}{page.number}/access/",
        {"confidential": True, "reader_departments": [market.pk, admin.pk]},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["number"] == page.number
    assert body["confidential"] is True
    assert {d["name"] for d in body["reader_departments"]} == {"市场部", "行政部"}
    assert log_count(page, "shoukong.documents.access") == 1
    # Readers left out stay as they are; the same again logs nothing.
    response = api.post(
        f"{API}{page.number}/access/", {"confidential": True}, format="json"
    )
    assert len(response.json()["reader_departments"]) == 2
    assert log_count(page, "shoukong.documents.access") == 1
    assert api.get(f"{API}{page.number}/access/").json() == response.json()
    # Names as text or as a list.
    response = api.post(
        f"{API}{page.number}/other-names/",
        {"other_names": "运行服务单、服务工作单"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["other_names"] == ["运行服务单", "服务工作单"]
    response = api.post(
        f"{API}{page.number}/other-names/",
        {"other_names": ["运行服务单", "服务单"]},
        format="json",
    )
    assert response.json()["other_names"] == ["运行服务单", "服务单"]
    assert log_count(page, "shoukong.documents.aliases") == 2
    detail = api.get(f"{API}{page.number}/").json()
    assert detail["confidential"] is True
    assert detail["other_names"] == ["运行服务单", "服务单"]
    # 技术部 owns it; 行政部 and 市场部 read it.
    assert api_as(users["staff"]).get(f"{API}{page.number}/").status_code == 200
    assert api_as(users["auditor"]).get(f"{API}{page.number}/").status_code == 200


def test_api_form_body(users, docs):
    page = docs["open"]
    market = department("市场部")
    response = api_as(users["controller"]).post(
        f"{API}{page.number}/access/",
        {"confidential": "true", "reader_departments": [str(market.pk), "行政部"]},
    )
    assert response.status_code == 200, response.content
    assert len(response.json()["reader_departments"]) == 2


def test_api_refuses_others(users, docs):
    open_doc, secret = docs["open"], docs["secret"]
    staff = api_as(users["staff"])
    body = {"confidential": True}
    response = staff.post(f"{API}{open_doc.number}/access/", body, format="json")
    assert response.status_code == 403
    assert "document control" in response.json()["detail"]
    assert (
        staff.post(
            f"{API}{open_doc.number}/other-names/", {"other_names": "x"}, format="json"
        ).status_code
        == 403
    )
    assert staff.get(f"{API}{open_doc.number}/access/").status_code == 403
    assert staff.post(
        f"{API}{secret.number}/access/", body, format="json"
    ).status_code == (404)
    assert staff.get(f"{API}{secret.number}/access/").status_code == 404
    assert (
        api_as(users["auditor"])
        .post(f"{API}{secret.number}/access/", body, format="json")
        .status_code
        == 403
    )
    assert APIClient().post(f"{API}{open_doc.number}/access/", body).status_code == 401
    open_doc.refresh_from_db()
    assert not open_doc.confidential


def test_api_bad_input_names_the_reason(users, docs):
    page = docs["open"]
    api = api_as(users["controller"])
    url = f"{API}{page.number}/access/"
    response = api.post(
        url, {"confidential": True, "reader_departments": [99999]}, format="json"
    )
    assert response.status_code == 400
    assert "Unknown department: 99999" in response.json()["detail"]
    response = api.post(url, {"reader_departments": []}, format="json")
    assert response.status_code == 400
    assert "confidential" in response.json()
    response = api.post(
        f"{API}{page.number}/other-names/",
        {"other_names": "名" * (ALIASES_MAX_LENGTH + 1)},
        format="json",
    )
    assert response.status_code == 400
    assert f"at most {ALIASES_MAX_LENGTH} characters" in response.json()["detail"]
    response = api.post(
        f"{API}{page.number}/other-names/", {"other_names": 3}, format="json"
    )
    assert response.status_code == 400
    assert api.post(f"{API}B999/access/", {"confidential": True}).status_code == 404
    page.refresh_from_db()
    assert not page.confidential
    assert page.other_names == ""


def test_schema_documents_the_access_endpoints(users):
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()
    response = api_as(users["staff"]).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "post" in paths["/api/v1/documents/{number}/access/"]
    assert "get" in paths["/api/v1/documents/{number}/access/"]
    assert "post" in paths["/api/v1/documents/{number}/other-names/"]
    schemas = response.json()["components"]["schemas"]
    assert {"other_names", "confidential"} <= set(schemas["Document"]["properties"])
    assert not GENERATOR_STATS, "drf-spectacular reported warnings or errors"

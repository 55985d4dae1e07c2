"""A restricted document (confidential) on the compliance pages: the clause
catalogue, a clause, the coverage view and its downloads, a nonconformity and
the API name it to its readers only; everyone else sees that a restricted
document is there (it still covers its clauses), never its number, title or
note."""

from __future__ import annotations

import io
from datetime import date

import docx
import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from compliance import nonconformities as nc_services
from compliance import services
from documents import access
from documents.models import DocumentPage
from documents.tests import factories as doc_factories

from . import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)
STD = "iso20000-1-2018"
SECRET_NUMBER = "B47"
SECRET_TITLE = "高管薪酬核算程序"
SECRET_NOTE = "规定高管薪酬的核算与审批"
PLACEHOLDER = "Restricted document"

# 行政部 owns the restricted procedure: auditor reads it as its department,
# controller and mr by their roles; 技术部 (staff, tech_manager) does not.
READERS = ("auditor", "controller", "mr")
OTHERS = ("staff", "tech_manager")


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("compliance.nonconformities.company_today", lambda: TODAY)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


@pytest.fixture
def people():
    return factories.people()


@pytest.fixture
def b05(people):
    """文件控制程序 B05, open to all staff, traced to 7.5."""
    page = doc_factories.document("procedure", "文件控制程序", number="B05", issue=True)
    services.document_link(
        user=people.controller, clause=factories.clause("7.5"), document=page
    )
    return page


def restricted(people, number: str, title: str, department: str = "行政部"):
    """An issued procedure restricted to its own department (issued in 2022,
    so its review is overdue)."""
    page = doc_factories.document(
        "procedure",
        title,
        number=number,
        dept=doc_factories.department(department),
        issue=True,
        publish_date=date(2022, 1, 5),
    )
    access.document_set_access(
        user=people.controller,
        document=page,
        confidential=True,
        reader_departments=[],
    )
    return DocumentPage.objects.get(pk=page.pk).specific


@pytest.fixture
def secret(people):
    """B47, a restricted procedure of 行政部, traced to 7.5 with a note."""
    page = restricted(people, SECRET_NUMBER, SECRET_TITLE)
    services.document_link(
        user=people.controller,
        clause=factories.clause("7.5"),
        document=page,
        note=SECRET_NOTE,
    )
    return page


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def api_as(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def body(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def clause_url(ref_id: str) -> str:
    return reverse("compliance:clause", kwargs={"standard": STD, "ref_id": ref_id})


def section(html: str, testid: str) -> str:
    return html[html.index(f'data-testid="{testid}"') :].split("</section>")[0]


def assert_named(text: str, *, named: bool, title: bool = True) -> None:
    """``text`` names the restricted document (its number, and its title where
    ``title``), or shows the placeholder instead."""
    assert (SECRET_NUMBER in text) is named
    assert (SECRET_TITLE in text) is (named and title)
    assert (PLACEHOLDER in text) is not named


# --- The clause pages ---------------------------------------------------------------


@pytest.mark.parametrize("username", READERS + OTHERS)
def test_clause_pages_name_it_to_its_readers_only(people, b05, secret, username):
    client = as_user(getattr(people, username))
    named = username in READERS
    # The catalogue, the clause it is traced to, and a sub-clause inheriting it.
    for url in (reverse("compliance:clauses"), clause_url("7.5"), clause_url("7.5.3")):
        html = body(client.get(url))
        assert_named(html, named=named)
        assert "B05" in html  # open documents as before
    detail = body(client.get(clause_url("7.5")))
    assert (SECRET_NOTE in detail) is named
    assert ('data-testid="restricted-document"' in detail) is not named


def test_a_restricted_procedure_still_covers_its_clause(people, secret):
    row = as_user(people.staff).get(clause_url("7.5")).context["row"]
    assert row.has_procedure
    (ref,) = row.documents
    assert ref.restricted and ref.number == "" and ref.url is None and ref.note == ""
    assert ref.title == PLACEHOLDER


@pytest.mark.parametrize("username", READERS + OTHERS)
def test_coverage_names_it_to_its_readers_only(people, secret, username):
    html = body(as_user(getattr(people, username)).get(reverse("compliance:coverage")))
    # Covered: 7.5 has an effective procedure, whose review is overdue.
    assert 'data-clause="7.5"' not in section(html, "no-procedure")
    overdue = section(html, "only-overdue")
    assert 'data-clause="7.5"' in overdue
    # The list names documents by number.
    assert_named(overdue, named=username in READERS, title=False)


@pytest.mark.parametrize("username, named", [("tech_manager", False), ("mr", True)])
def test_coverage_downloads_name_it_to_its_readers_only(
    people, secret, username, named
):
    client = as_user(getattr(people, username))
    url = reverse("compliance:coverage")
    xlsx = client.get(url, {"standard": STD, "format": "xlsx"})
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    cells = " ".join(
        str(value)
        for sheet in book
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )
    assert_named(cells, named=named)
    response = client.get(url, {"standard": STD, "format": "docx"})
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.content))
    rows = {row.cells[0].text: row.cells[3].text for row in document.tables[0].rows[1:]}
    assert_named(rows["7.5"], named=named)


@pytest.mark.parametrize("username", READERS + OTHERS)
def test_clause_api_names_it_to_its_readers_only(people, secret, username):
    response = api_as(getattr(people, username)).get("/api/v1/clauses/7.5/")
    assert response.status_code == 200
    (document,) = response.json()["documents"]
    if username in READERS:
        assert document["restricted"] is False
        assert document["number"] == SECRET_NUMBER
        assert document["title"] == SECRET_TITLE
        assert document["note"] == SECRET_NOTE
    else:
        assert document["restricted"] is True
        assert document["number"] == document["title"] == document["note"] == ""
        assert document["url"] is None
        assert SECRET_TITLE not in response.content.decode()


# --- Nonconformities ----------------------------------------------------------------


@pytest.fixture
def nc(people, b05, secret):
    """A nonconformity naming B05 and B47, with a change request to B47."""
    nc = factories.nonconformity(people.auditor, documents=[secret, b05])
    nc_services.nonconformity_change_request(
        user=people.controller,
        nonconformity=nc,
        document=secret,
        reason="核算口径需要更新",
    )
    return nc


@pytest.mark.parametrize("username", READERS + OTHERS)
def test_nonconformity_page_names_it_to_its_readers_only(people, nc, username):
    url = reverse("compliance:nonconformity", kwargs={"number": nc.number})
    html = body(as_user(getattr(people, username)).get(url))
    named = username in READERS
    assert_named(html, named=named)
    documents = section(html, "nc-documents")
    assert "B05" in documents
    assert_named(documents, named=named)
    assert_named(section(html, "nc-change-requests"), named=named)
    # The history names the document of the change request by its number.
    assert_named(section(html, "nc-history"), named=named, title=False)


@pytest.mark.parametrize("username", READERS + OTHERS)
def test_nonconformity_api_names_it_to_its_readers_only(people, nc, username):
    response = api_as(getattr(people, username)).get(
        f"/api/v1/nonconformities/{nc.number}/"
    )
    assert response.status_code == 200
    answer = response.json()
    documents = sorted(answer["documents"], key=lambda d: d["number"])
    (change_request,) = answer["change_requests"]
    logged = [e["data"] for e in answer["history"] if "document" in e["data"]]
    if username in READERS:
        assert [d["number"] for d in documents] == ["B05", SECRET_NUMBER]
        assert documents[1]["title"] == SECRET_TITLE
        assert not any(d["restricted"] for d in documents)
        assert change_request["document"] == SECRET_NUMBER
        assert not change_request["restricted"]
        assert [d["document"] for d in logged] == [SECRET_NUMBER]
    else:
        hidden, b05 = documents
        assert hidden == {"number": "", "title": "", "url": None, "restricted": True}
        assert b05["number"] == "B05" and not b05["restricted"]
        assert change_request["document"] == "" and change_request["restricted"]
        assert [d["document"] for d in logged] == [""]
        assert SECRET_NUMBER not in response.content.decode()
        assert SECRET_TITLE not in response.content.decode()


def test_closing_refusal_names_it_to_its_readers_only(people):
    """The verifier is told which change requests hold the action open."""
    secret = restricted(people, "B48", "运维人员绩效考核程序", department="技术部")
    nc = factories.nonconformity(people.staff, grade_code="observation")
    nc_services.nonconformity_change_request(
        user=people.controller, nonconformity=nc, document=secret, reason="补充指标"
    )
    with translation.override("en"):
        # auditor (行政部) verifies, but may not open 技术部's restricted B48.
        with pytest.raises(ValidationError) as refused:
            nc_services.nonconformity_close(
                user=people.auditor, nonconformity=nc, note="无需纠正"
            )
        assert PLACEHOLDER in str(refused.value) and "B48" not in str(refused.value)
        with pytest.raises(ValidationError, match="B48"):
            nc_services.nonconformity_close(
                user=people.mr, nonconformity=nc, note="无需纠正"
            )


def test_linking_a_restricted_number_answers_as_if_none_existed(people, secret):
    """A department manager who may link their own documents learns nothing
    of a restricted number by trying it: the same answer as a free one."""
    from django.contrib.messages import get_messages

    url = clause_url("8.1")
    factories.clause("8.1")
    client = as_user(people.tech_manager)

    def answer(number):
        response = client.post(url, {"action": "link", "number": number}, follow=True)
        assert response.status_code == 200
        return [str(m) for m in get_messages(response.wsgi_request)]

    assert answer(SECRET_NUMBER) == [f"No document is numbered {SECRET_NUMBER}."]
    assert answer("B98") == ["No document is numbered B98."]
    # Its readers link it.
    response = as_user(people.controller).post(
        url, {"action": "link", "number": SECRET_NUMBER}, follow=True
    )
    assert f"{SECRET_NUMBER} is traced to clause 8.1." in body(response)

"""A record filled on a restricted form (confidential): the people who may
read the record but not open the form see it as a restricted document on the
record page, among related records, in the list and its export, in the list's
search and in the API; the form's readers see its title as before.

The record number begins with the form's number by the numbering rule, so the
tests look for the form's title."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from documents import access
from documents.tests import factories as doc_factories

from . import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)
TITLE = "员工薪资调整记录表"
PLACEHOLDER = "Restricted document"


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


@pytest.fixture
def users():
    call_command("load_demo", "--users-only", stdout=io.StringIO())
    return {u.username: u for u in get_user_model().objects.all()}


@pytest.fixture
def records(users):
    """A work order of 技术部 (open form D0201) and, related to it, a record
    document control filled for 技术部 on D0209, a form of 行政部 restricted
    to its department: staff (技术部) reads both records, not D0209; auditor
    (行政部) reads both records (auditors read every record) and D0209."""
    factories.form()
    secret = factories.form("D0209", TITLE, dept_name="行政部")
    access.document_set_access(
        user=users["controller"],
        document=secret,
        confidential=True,
        reader_departments=[],
    )
    source = factories.record(users["staff"])
    filled = factories.record(
        users["controller"],
        secret,
        department=doc_factories.department("技术部"),
        related_to=source,
    )
    return source, filled


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def page(user, url: str, **params) -> str:
    response = as_user(user).get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def detail_url(record) -> str:
    return reverse("records:detail", kwargs={"number": record.number})


@pytest.mark.parametrize("username, named", [("staff", False), ("auditor", True)])
def test_record_page_names_its_form_to_its_readers_only(
    users, records, username, named
):
    source, filled = records
    html = page(users[username], detail_url(filled))
    assert (TITLE in html) is named
    assert (PLACEHOLDER in html) is not named
    assert ('data-testid="form-link"' in html) is named
    # Among the related records of the work order, the same.
    related = page(users[username], detail_url(source))
    assert filled.number in related
    assert (TITLE in related) is named
    assert (PLACEHOLDER in related) is not named


@pytest.mark.parametrize("username, named", [("staff", False), ("auditor", True)])
def test_records_list_and_export_name_the_form_to_its_readers_only(
    users, records, username, named
):
    source, filled = records
    user = users[username]
    html = page(user, reverse("records:list"))
    assert filled.number in html and source.number in html
    assert (TITLE in html) is named
    assert (PLACEHOLDER in html) is not named
    assert "运维工作单" in html
    export = as_user(user).get(reverse("records:list"), {"format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    cells = {
        str(value)
        for row in book.active.iter_rows(values_only=True)
        for value in row
        if value is not None
    }
    assert (TITLE in cells) is named
    assert (PLACEHOLDER in cells) is not named


def test_records_search_does_not_find_a_form_by_a_title_it_may_not_see(users, records):
    _source, filled = records
    found = page(users["auditor"], reverse("records:list"), q="薪资调整")
    assert filled.number in found
    hidden = page(users["staff"], reverse("records:list"), q="薪资调整")
    assert filled.number not in hidden


@pytest.mark.parametrize("username, named", [("staff", False), ("auditor", True)])
def test_records_api_names_the_form_to_its_readers_only(
    users, records, username, named
):
    _source, filled = records
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(users[username])
    response = client.get(f"/api/v1/records/{filled.number}/")
    assert response.status_code == 200
    listed = client.get("/api/v1/records/").json()["results"]
    for answer in (
        response.json(),
        next(r for r in listed if r["number"] == filled.number),
    ):
        assert answer["form_restricted"] is not named
        assert answer["form_title"] == (TITLE if named else "")
        assert answer["form"] == ("D0209" if named else "")


@pytest.mark.parametrize("username, named", [("staff", False), ("controller", True)])
def test_disposal_queue_names_the_form_to_its_readers_only(users, username, named):
    """A record of 技术部 on the restricted form, past its retention: 技术部's
    archive keeper (staff) sees it in the queue as a restricted document,
    document control (a reader) by its form's title."""
    factories.form()
    secret = factories.form("D0209", TITLE, dept_name="行政部")
    access.document_set_access(
        user=users["controller"],
        document=secret,
        confidential=True,
        reader_departments=[],
    )
    tech = doc_factories.department("技术部")
    old = factories.record(
        users["controller"], secret, department=tech, record_date=date(2020, 1, 10)
    )
    html = page(users[username], reverse("records:disposal_queue"))
    assert old.number in html
    assert (TITLE in html) is named
    assert (PLACEHOLDER in html) is not named

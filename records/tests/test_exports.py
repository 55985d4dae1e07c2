"""The .xlsx exports of the records list and of the records list (记录清单)
(records.exports, through the list pages)."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from documents.models import StaffProfile
from documents.tests import factories as doc_factories
from records import exports, services
from records.models import RecordType

from . import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


@pytest.fixture
def users():
    call_command("load_demo", "--users-only", stdout=io.StringIO())
    return {u.username: u for u in get_user_model().objects.all()}


@pytest.fixture
def records(users):
    """Two records of 技术部 and one of 市场部, all of D0201."""
    form = factories.form()
    tech = [
        factories.record(users["staff"], record_date=date(2026, 11, 20)),
        factories.record(users["staff"]),
    ]
    market = services.record_create(
        user=users["controller"],
        form=form,
        data=factories.work_order_data(bao_gao_ren="王五"),
        department=doc_factories.department("市场部"),
    )
    return tech, market


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def sheet_of(response):
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".xlsx" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return workbook.active


def rows_of(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_records_export_holds_only_the_visible_rows(users, records):
    tech, market = records
    sheet = sheet_of(
        as_user(users["staff"]).get(reverse("records:list") + "?format=xlsx")
    )
    rows = rows_of(sheet)
    assert rows[0] == [
        "Record number",
        "Form",
        "Form title",
        "Issue",
        "Record date",
        "Department",
        "Status",
        "Retained until",
        "Filled by",
    ]
    numbers = [row[0] for row in rows[1:]]
    # Newest first, and never the other department's record.
    assert numbers == [tech[1].number, tech[0].number]
    assert market.number not in numbers
    first = rows[1]
    assert first[1:4] == ["D0201", "运维工作单", "A"]
    assert first[4].date() == TODAY
    assert first[5] == "技术部"
    assert first[6] == "Kept"
    assert first[7] == "2031-11-22"
    assert first[8] == (users["staff"].get_full_name() or "staff")

    everything = rows_of(
        sheet_of(
            as_user(users["controller"]).get(reverse("records:list") + "?format=xlsx")
        )
    )
    assert market.number in [row[0] for row in everything[1:]]


def test_records_export_uses_the_same_filters(users, records):
    tech, _market = records
    client = as_user(users["staff"])
    url = reverse("records:list") + "?date_to=2026-11-20&format=xlsx"
    rows = rows_of(sheet_of(client.get(url)))
    assert [row[0] for row in rows[1:]] == [tech[0].number]
    # The page's export button carries the filters.
    page = client.get(reverse("records:list") + "?date_to=2026-11-20").content.decode()
    assert "?date_to=2026-11-20&amp;format=xlsx" in page


def test_records_export_is_capped_and_says_so(users, records, monkeypatch):
    monkeypatch.setattr(exports, "MAX_EXPORT_ROWS", 1)
    rows = rows_of(
        sheet_of(
            as_user(users["controller"]).get(reverse("records:list") + "?format=xlsx")
        )
    )
    assert len(rows) == 3  # heading, one record, the note
    assert rows[2][0].startswith("Only the first 1 rows are exported")


def test_export_is_logged_on_the_staff_profile(users, records):
    staff = users["staff"]
    as_user(staff).get(reverse("records:list") + "?q=D0201&format=xlsx")
    entry = ModelLogEntry.objects.for_instance(
        StaffProfile.objects.get(user=staff)
    ).get(action="shoukong.records.export")
    assert entry.user_id == staff.pk
    assert entry.data["what"] == "records"
    assert entry.data["rows"] == 2
    assert entry.data["filters"] == {"q": "D0201"}


def test_text_that_looks_like_a_formula_stays_text(users):
    factories.form()
    author = doc_factories.user(
        "mallory", department_name="技术部", first_name='=HYPERLINK("http://x")'
    )
    factories.record(author)
    response = as_user(users["controller"]).get(
        reverse("records:list") + "?format=xlsx"
    )
    sheet = sheet_of(response)
    cell = sheet.cell(row=2, column=9)
    assert cell.value == '=HYPERLINK("http://x")'
    assert cell.data_type == "s"


def test_records_list_export(users, records):
    factories.form("D0601", "培训记录", retention_period="离职后1年")
    factories.form("D0202", "变更申请单", retention_period="按合同", issue=False)
    sheet = sheet_of(
        as_user(users["staff"]).get(reverse("records:types") + "?format=xlsx")
    )
    rows = rows_of(sheet)
    assert rows[0][:7] == [
        "Form",
        "Form title",
        "Status",
        "Issue",
        "Owning department",
        "Custodian department",
        "Retention period",
    ]
    by_form = {row[0]: row for row in rows[1:]}
    # Drafts are not in the register; issued forms are, effective or not.
    assert set(by_form) == {"D0201", "D0601"}
    d0201 = dict(zip(rows[0], by_form["D0201"], strict=True))
    assert d0201["Retention period"] == "5年"
    assert d0201["Retention from"] == "Records list"
    assert d0201["Custodian department"] == "The filling department"
    assert d0201["Confidential"] == "No"
    # Only the records the reader may open are counted.
    assert d0201["Records kept"] == 2
    d0601 = dict(zip(rows[0], by_form["D0601"], strict=True))
    assert d0601["Retention period"] == "离职后1年"
    assert d0601["Retention from"] == "From the register"
    assert d0601["Records kept"] == 0
    # Exporting created no records-list entry.
    assert not RecordType.objects.filter(form__number="D0601").exists()
    assert ModelLogEntry.objects.filter(
        action="shoukong.records.export", data__what="record_types"
    ).exists()


def test_customer_representative_cannot_export_the_records_list(users):
    from documents import roles

    customer = doc_factories.user(
        "customer", role=roles.CUSTOMER_REPRESENTATIVE, department_name=None
    )
    response = as_user(customer).get(reverse("records:types") + "?format=xlsx")
    assert response.status_code == 403
    empty = sheet_of(as_user(customer).get(reverse("records:list") + "?format=xlsx"))
    assert len(rows_of(empty)) == 1

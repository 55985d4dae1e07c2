"""The register of controlled documents: rows, HTML page, exports, admin report."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.models import Page

from documents import register as registry
from documents.lifecycle import DocumentStatus, IssueStatus
from documents.models import DocumentIssue, DocumentPage
from documents.tests import factories

pytestmark = pytest.mark.django_db

HEADINGS_ZH = [
    "文档类型",
    "文档名称",
    "编号",
    "版本号",
    "发布时间",
    "内容说明",
    "保管位置",
    "保存期限",
    "部门",
    "状态",
]
HEADINGS_EN = [
    "Type",
    "Name",
    "Number",
    "Version",
    "Publish date",
    "Description",
    "Storage location",
    "Retention period",
    "Department",
    "Status",
]


def issued(kind="procedure", title="测试程序", **kwargs):
    return factories.document(kind, title, issue=True, **kwargs)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def documents(departments):
    b05 = issued(
        "procedure",
        "文件控制程序",
        number="B05",
        description="规定文件的编制、审批、发布和作废",
        storage_location="文控室",
        retention_period="永久",
    )
    issued("form", "文件更改申请表", parent=b05, retention_period="3年")
    issued("manual", "信息技术服务管理手册", number="A01")
    issued("procedure", "事件管理程序", number="B100", dept=departments["技术部"])
    issued("procedure", "服务级别管理程序", number="B99")
    factories.document("procedure", "草稿程序", number="B06")  # never listed
    return b05


def data_rows(sheet_rows):
    return [row for row in sheet_rows[1:] if any(row)]


def expected_filename(extension):
    stamp = timezone.localdate().strftime("%Y%m%d")
    return quote(f"受控文件清单-{stamp}.{extension}")


# --- HTML --------------------------------------------------------------------------


def test_register_login_required(client, documents):
    response = client.get("/register/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/register/?format=xlsx").status_code == 302


def test_register_page_lists_the_columns(staff_client, documents):
    body = staff_client.get("/register/").content.decode()
    for heading in HEADINGS_ZH:
        assert f'<th scope="col">{heading}</th>' in body
    assert "规定文件的编制、审批、发布和作废" in body
    assert "文控室" in body and "永久" in body
    assert "B06" not in body
    order = [body.index(f">{n}<") for n in ("A01", "B05", "B99", "B100", "D0501")]
    assert order == sorted(order)
    assert "?format=xlsx" in body and "?format=csv" in body


def test_register_filters(staff_client, documents, departments):
    tech = departments["技术部"]
    body = staff_client.get(f"/register/?department={tech.pk}").content.decode()
    assert ">B100<" in body and ">B05<" not in body
    assert f"department={tech.pk}&amp;format=xlsx" in body  # exports keep filters
    body = staff_client.get("/register/?tier=1").content.decode()
    assert ">A01<" in body and ">B05<" not in body


def test_register_query_count_does_not_grow(staff_client, library):
    def count():
        staff_client.get("/register/")
        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get("/register/").status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        issued("procedure", f"程序{i}", number=f"B{10 + i}")
    few = count()
    for i in range(30):
        issued("procedure", f"程序{i}", number=f"B{20 + i}")
    assert count() == few


def test_register_export_query_count_does_not_grow(staff_client, library):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get("/register/?format=xlsx").status_code == 200
        return len(ctx.captured_queries)

    issued("procedure", "程序", number="B10")
    staff_client.get("/register/?format=xlsx")
    few = count()
    for i in range(10):
        issued("procedure", f"程序{i}", number=f"B{20 + i}")
    assert count() == few


# --- Exports -----------------------------------------------------------------------


def test_xlsx_export(staff_client, documents):
    response = staff_client.get("/register/?format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == registry.XLSX_CONTENT_TYPE
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{expected_filename('xlsx')}" in disposition
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADINGS_ZH
    body = data_rows(rows)
    assert [row[2] for row in body] == ["A01", "B05", "B99", "B100", "D0501"]
    b05 = body[1]
    assert b05[0] == "二级 · 程序文件"
    assert b05[1] == "文件控制程序"
    assert b05[3] == "A"
    assert b05[4].date() == date(2026, 1, 5)
    assert b05[5:8] == ("规定文件的编制、审批、发布和作废", "文控室", "永久")
    assert b05[8] == "行政部" and b05[9] == "受控"
    assert body[4][0] == "四级 · 表单" and body[4][7] == "3年"


def test_csv_export_is_utf8_with_bom(staff_client, documents):
    response = staff_client.get("/register/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert (
        f"filename*=UTF-8''{expected_filename('csv')}"
        in response["Content-Disposition"]
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == HEADINGS_ZH
    assert [row[2] for row in rows[1:]] == ["A01", "B05", "B99", "B100", "D0501"]
    assert rows[2][4] == "2026-01-05"


def test_export_keeps_filters(staff_client, documents):
    response = staff_client.get("/register/?format=csv&tier=4")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[2] for row in rows[1:]] == ["D0501"]


def test_export_headings_in_english(staff_client, documents):
    response = staff_client.get("/register/?format=xlsx", HTTP_ACCEPT_LANGUAGE="en")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert list(next(sheet.iter_rows(values_only=True))) == HEADINGS_EN
    assert "Document%20register-" in response["Content-Disposition"]


def test_obsolete_document_keeps_its_last_issue_as_version(staff_client, documents):
    DocumentIssue.objects.filter(document=documents).update(status=IssueStatus.OBSOLETE)
    DocumentPage.objects.filter(pk=documents.pk).update(status=DocumentStatus.OBSOLETE)
    response = staff_client.get("/register/?format=csv&status=obsolete")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][2:4] == ["B05", "A"]
    assert rows[1][9] == "作废"


def test_csv_neutralises_formulas(library):
    issued("procedure", '=HYPERLINK("http://x")', number="B01")
    rows = registry.build_rows(DocumentPage.objects.visible_to_staff().with_issues())
    content = registry.to_csv(rows).decode("utf-8-sig")
    assert "'=HYPERLINK" in content


def test_xlsx_keeps_formula_like_text_as_text(library):
    title = '=HYPERLINK("http://x")'
    issued("procedure", title, number="B01", description="=1+1")
    rows = registry.build_rows(DocumentPage.objects.visible_to_staff())
    content = registry.to_xlsx(rows)
    sheet = load_workbook(io.BytesIO(content)).active
    name, description = sheet["B2"], sheet["F2"]
    # The literal text, as a string cell: no formula, no visible apostrophe.
    assert name.value == title and name.data_type == "s"
    assert description.value == "=1+1" and description.data_type == "s"
    # Not written as a formula element either (what Excel would evaluate).
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml


def test_register_shows_what_was_issued(staff_client, documents):
    """A page published but not issued changes nothing in the register."""
    Page.objects.filter(pk=documents.pk).update(title="未发布的标题")
    DocumentPage.objects.filter(pk=documents.pk).update(source_text="未发布的文本")
    body = staff_client.get("/register/").content.decode()
    assert "文件控制程序" in body and "未发布的标题" not in body
    response = staff_client.get("/register/?format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    b05 = next(row for row in rows if row[2] == "B05")
    assert b05[1] == "文件控制程序"
    assert "未发布的标题" not in response.content.decode("utf-8-sig")
    response = staff_client.get("/register/?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    b05 = next(row for row in sheet.iter_rows(values_only=True) if row[2] == "B05")
    assert b05[1] == "文件控制程序"


def test_obsolete_document_shows_its_last_issued_title(library):
    page = issued("procedure", "已作废程序", number="B06")
    DocumentIssue.objects.filter(document=page).update(status=IssueStatus.OBSOLETE)
    DocumentPage.objects.filter(pk=page.pk).update(status=DocumentStatus.OBSOLETE)
    Page.objects.filter(pk=page.pk).update(title="作废后改的标题")
    rows = registry.build_rows(DocumentPage.objects.visible_to_staff())
    assert [(row.number, row.title, row.version) for row in rows] == [
        ("B06", "已作废程序", "A")
    ]


# --- Admin report -----------------------------------------------------------------


def test_admin_report_for_controller(client, controller, documents):
    client.force_login(controller)
    response = client.get("/admin/reports/register/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "受控文件清单" in body
    assert "B05" in body and "文件控制程序" in body and "B06" not in body
    results = client.get("/admin/reports/register/results/")
    assert results.status_code == 200
    assert "B05" in results.content.decode()


def test_admin_report_filters(client, controller, documents, departments):
    client.force_login(controller)
    tech = departments["技术部"]
    body = client.get(
        f"/admin/reports/register/results/?department={tech.pk}"
    ).content.decode()
    assert "B100" in body and "B05" not in body
    body = client.get("/admin/reports/register/results/?tier=4").content.decode()
    assert "D0501" in body and "B05" not in body


def test_admin_report_exports(client, controller, documents):
    client.force_login(controller)
    response = client.get("/admin/reports/register/?export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADINGS_ZH
    assert [row[2] for row in data_rows(rows)] == [
        "A01",
        "B05",
        "B99",
        "B100",
        "D0501",
    ]
    response = client.get("/admin/reports/register/?export=csv")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == HEADINGS_ZH
    assert (
        f"filename*=UTF-8''{expected_filename('csv')}"
        in response["Content-Disposition"]
    )


def test_admin_report_refused_without_admin_access(client, staff_user, documents):
    client.force_login(staff_user)
    response = client.get("/admin/reports/register/")
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/admin/login/" in response["Location"]


def test_admin_report_in_reports_menu(client, controller, documents):
    client.force_login(controller)
    body = client.get("/admin/").content.decode()
    assert "/admin/reports/register/" in body

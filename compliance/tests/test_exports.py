"""The coverage downloads: the .xlsx workbook and the statement of
applicability as .docx (compliance.exports, through the coverage view)."""

from __future__ import annotations

import io
from datetime import date
from urllib.parse import quote

import docx
import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from compliance import exports, services
from compliance.lifecycle import ResponsibilityLevel
from compliance.models import Clause
from documents.tests import factories as doc_factories

from . import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)
STD = "iso20000-1-2018"


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("compliance.nonconformities.company_today", lambda: TODAY)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


@pytest.fixture
def people():
    p = factories.people()
    b05 = doc_factories.document("procedure", "文件控制程序", number="B05", issue=True)
    services.document_link(
        user=p.controller, clause=factories.clause("7.5"), document=b05, note="文件"
    )
    services.responsibility_set(
        user=p.controller,
        clause=factories.clause("7.5"),
        department=doc_factories.department("行政部"),
        level=ResponsibilityLevel.PRIMARY,
    )
    services.applicability_set(
        user=p.controller,
        clause=factories.clause("8.2.5"),
        applicable=False,
        justification="公司无自有资产",
    )
    factories.nonconformity(p.auditor)
    return p


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def export(user, fmt: str):
    return as_user(user).get(
        reverse("compliance:coverage"), {"standard": STD, "format": fmt}
    )


def test_xlsx_has_a_sheet_per_list_and_every_clause(people):
    response = export(people.controller, "xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    name = quote(f"条款覆盖情况-{STD}-20261122.xlsx")
    assert f"filename*=utf-8''{name}" in response["Content-Disposition"]

    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "No procedure",
        "Overdue for review",
        "Not audited",
        "Open nonconformities",
        "All clauses",
    ]
    every = book["All clauses"]
    assert every.freeze_panes == "A2"
    assert every["A1"].value == "Clause" and every["A1"].font.bold
    assert every.column_dimensions["E"].width == 44
    clauses = Clause.objects.active().of_standard(STD).count()
    assert every.max_row == clauses + 1
    rows = {row[0]: row for row in every.iter_rows(min_row=2, values_only=True)}
    assert rows["7.5"][4] == "B05 文件控制程序 A"
    assert rows["7.5"][5] == "行政部"
    assert rows["7.5.3"][4] == "B05 文件控制程序 A"  # inherited
    assert rows["8.5.1"][7] == 1
    assert rows["8.2.5"][3] == "Not applicable: 公司无自有资产"
    assert "No effective procedure" in rows["7.4"][9]

    sheet = book["No procedure"]
    missing = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert "7.4" in missing and "7.5" not in missing and "8.2.5" not in missing
    sheet = book["Open nonconformities"]
    findings = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(findings) == 1
    assert findings[0][0] == "8.5.1" and findings[0][3] == 1


def test_docx_states_applicability_with_the_documents(people):
    response = export(people.controller, "docx")
    assert response.status_code == 200
    assert response["Content-Type"] == exports.DOCX_CONTENT_TYPE
    name = quote(f"适用性声明-{STD}-20261122.docx")
    assert f"filename*=utf-8''{name}" in response["Content-Disposition"]

    document = docx.Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Statement of applicability" in text
    assert "ISO/IEC 20000-1:2018" in text and "2026-11-22" in text
    table = document.tables[0]
    header = [cell.text for cell in table.rows[0].cells]
    assert header[0] == "Clause" and header[3] == "Documents answering the clause"
    rows = {row.cells[0].text: [c.text for c in row.cells] for row in table.rows[1:]}
    assert len(rows) == Clause.objects.active().of_standard(STD).count()
    assert rows["7.5"][2] == "Applicable"
    assert rows["7.5"][3] == "B05 文件控制程序 A"
    assert rows["7.5"][4] == "行政部"
    assert rows["8.2.5"][2].startswith("Not applicable")
    assert "公司无自有资产" in rows["8.2.5"][2]
    assert rows["10.2"][3] == "—"


@pytest.mark.parametrize("fmt", ["xlsx", "docx", "pdf"])
def test_staff_may_not_download(people, fmt):
    assert export(people.staff, fmt).status_code == 403


@pytest.mark.parametrize("fmt", ["pdf", "XLSX", "../etc"])
def test_unknown_format_is_400(people, fmt):
    response = export(people.controller, fmt)
    assert response.status_code == 400
    assert "choose xlsx or docx" in response.content.decode()


def test_text_is_never_a_formula(people):
    services.responsibility_set(
        user=people.controller,
        clause=factories.clause("7.4"),
        department=doc_factories.department("=HYPERLINK(1)"),
        level=ResponsibilityLevel.PRIMARY,
    )
    response = export(people.controller, "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = {r[0].value: r for r in book["All clauses"].iter_rows(min_row=2)}
    assert rows["7.4"][5].value == "=HYPERLINK(1)"
    assert rows["7.4"][5].data_type == "s"

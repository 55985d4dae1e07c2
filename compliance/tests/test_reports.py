"""The improvement action status report (改进措施实施情况报告): its rows and
counts, the .docx and .xlsx files, the period and who may read it."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import docx
import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from compliance import nonconformities as svc
from compliance import reports
from compliance.lifecycle import NonconformityStatus as S
from compliance.models import Nonconformity

from . import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)
URL = "/compliance/improvement-report/"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    # The raised time too: the report selects by the company's day of it.
    now = datetime(2026, 11, 22, 2, 30, tzinfo=UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    monkeypatch.setattr("compliance.nonconformities.company_today", lambda: TODAY)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


@pytest.fixture
def p():
    return factories.people()


@pytest.fixture
def actions(p):
    """Closed after one failed verification; open and overdue; cancelled."""
    closed = factories.advance(
        factories.nonconformity(p.auditor, title="已关闭"),
        p,
        S.IMPLEMENTED,
        today=TODAY,
    )
    svc.nonconformity_verify(
        user=p.controller, nonconformity=closed, effective=False, comment="仍有遗漏"
    )
    svc.nonconformity_implement(user=p.staff, nonconformity=closed, description="补充")
    closed = factories.advance(
        Nonconformity.objects.get(pk=closed.pk), p, S.CLOSED, today=TODAY
    )
    overdue = factories.advance(
        factories.nonconformity(p.auditor, clause_ref="7.5.3", title="逾期"),
        p,
        S.ACCEPTED,
        today=TODAY,
    )
    Nonconformity.objects.filter(pk=overdue.pk).update(
        due_date=TODAY - timedelta(days=5)
    )
    cancelled = factories.nonconformity(p.controller, title="误报")
    svc.nonconformity_cancel(user=p.mr, nonconformity=cancelled, reason="重复")
    return {
        "closed": closed,
        "overdue": Nonconformity.objects.get(pk=overdue.pk),
        "cancelled": cancelled,
    }


def test_rows_and_totals(actions):
    with translation.override("en"):
        report = reports.improvement_report(date(2026, 1, 1), TODAY, TODAY)
    by_number = {row.number: row for row in report.rows}
    assert set(by_number) == {actions["closed"].number, actions["overdue"].number}
    closed = by_number[actions["closed"].number]
    assert closed.verification == reports.EFFECTIVE
    assert closed.verification_label == "Effective"
    assert closed.rounds == 2 and closed.completed_on == TODAY
    assert closed.verified_on == TODAY and closed.status == S.CLOSED
    overdue = by_number[actions["overdue"].number]
    assert overdue.overdue and overdue.verification == reports.NOT_YET
    assert overdue.clause == "7.5.3" and overdue.owner == "staff"
    totals = report.totals
    assert (totals.issued, totals.closed, totals.open, totals.overdue) == (2, 1, 1, 1)
    assert (totals.verified, totals.effective) == (1, 1)
    assert totals.not_effective_verifications == 1
    assert totals.effective_rate == 100
    # The period is the raised date: a period before today holds nothing.
    assert (
        reports.improvement_report(date(2025, 1, 1), date(2025, 12, 31), TODAY).rows
        == []
    )


def test_docx_lists_the_actions_and_their_verification(actions):
    with translation.override("en"):
        report = reports.improvement_report(date(2026, 1, 1), TODAY, TODAY)
        content = reports.improvement_report_docx(report)
    document = docx.Document(io.BytesIO(content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Improvement action status report" in text
    cells = [
        cell.text
        for table in document.tables
        for row in table.rows
        for cell in row.cells
    ]
    assert actions["closed"].number in cells
    assert actions["overdue"].number in cells
    assert "Effective" in cells and "Not yet verified" in cells
    assert actions["cancelled"].number not in cells
    # Overdue actions are listed for 管理者代表.
    assert actions["overdue"].number in text


def test_xlsx_rows(actions):
    with translation.override("en"):
        report = reports.improvement_report(date(2026, 1, 1), TODAY, TODAY)
        content = reports.improvement_report_xlsx(report)
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    header = rows.index(next(r for r in rows if r and r[0] == "Number"))
    data = {r[0]: r for r in rows[header + 1 :]}
    assert set(data) == {actions["closed"].number, actions["overdue"].number}
    closed = dict(zip(rows[header], data[actions["closed"].number], strict=True))
    assert closed["Verification result"] == "Effective"
    assert closed["Clause"] == "8.5.1"
    overdue = dict(zip(rows[header], data[actions["overdue"].number], strict=True))
    assert overdue["Overdue"] == "Overdue"
    summary = {r[0]: r[1] for r in workbook.worksheets[1].iter_rows(values_only=True)}
    assert summary["Actions issued"] == "2"
    assert summary["Effective rate"] == "100%"


@pytest.mark.parametrize(
    ("raw_from", "raw_to", "message"),
    [
        ("2026-02-30", "", "2026-02-30"),
        ("", "22/11/2026", "22/11/2026"),
        ("2026-11-01", "2026-10-01", "after it ends"),
    ],
)
def test_bad_periods_are_refused(raw_from, raw_to, message):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        reports.report_period(raw_from, raw_to, today=TODAY)
    assert message in " ".join(refused.value.messages)


def test_default_period_is_the_last_twelve_months():
    assert reports.report_period("", "", today=TODAY) == (date(2025, 11, 23), TODAY)
    assert reports.default_period(date(2028, 2, 29)) == (
        date(2027, 3, 1),
        date(2028, 2, 29),
    )


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_report_page_and_downloads(p, actions):
    client = as_user(p.controller)
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert actions["closed"].number in html and 'data-testid="export-docx"' in html
    docx_response = client.get(URL + "?from=2026-01-01&to=2026-11-22&format=docx")
    assert docx_response.status_code == 200
    assert docx_response["Content-Type"] == reports.DOCX_CONTENT_TYPE
    assert docx_response["Content-Disposition"].startswith("attachment;")
    assert docx_response["X-Content-Type-Options"] == "nosniff"
    docx.Document(io.BytesIO(docx_response.content))
    xlsx_response = client.get(URL + "?format=xlsx")
    assert xlsx_response.status_code == 200
    openpyxl.load_workbook(io.BytesIO(xlsx_response.content))


def test_report_bad_dates_are_400_not_500(p):
    client = as_user(p.controller)
    page = client.get(URL + "?from=2026-02-30")
    assert page.status_code == 400
    assert "2026-02-30" in page.content.decode()
    assert 'data-testid="report-errors"' in page.content.decode()
    assert (
        client.get(URL + "?from=2026-11-01&to=2026-10-01&format=docx").status_code
        == 400
    )
    assert client.get(URL + "?to=garbage&format=xlsx").status_code == 400


def test_report_is_for_reporting_roles(p):
    assert as_user(p.staff).get(URL).status_code == 403
    assert as_user(p.tech_manager).get(URL).status_code == 200
    assert Client().get(URL).status_code == 302
    assert reverse("compliance:improvement_report") == URL

"""The audits demo: the year's programme approved along its chain, a closed
audit of 7.5 and 8.5.1 on 技术部 with its nonconformity, report and filed
records, an audit planned later and an ad hoc request; a second run changes
nothing.

The full demo takes a while to load, so it is loaded once for the class
(Django's setUpTestData, rolled back after the class).
"""

from __future__ import annotations

import io
from datetime import date
from io import StringIO

from django.core.management import call_command
from django.test import TestCase
from django.utils import translation
from docx import Document
from wagtail.models import ModelLogEntry

from compliance.lifecycle import NonconformityStatus
from records.models import Record
from records.retention import add_months

from ..coverage import programme_coverage
from ..demo import AD_HOC, CLOSED, LATER, NONCONFORMITY, Dates
from ..lifecycle import AuditStatus, ItemResult, ProgrammeStatus
from ..models import Audit, AuditProgramme, AuditRecordKind, AuditRecordLink
from ..services import company_today


def load_demo(*args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def counts() -> tuple[int, ...]:
    return (
        AuditProgramme.objects.count(),
        Audit.objects.count(),
        AuditRecordLink.objects.count(),
        Record.objects.count(),
        ModelLogEntry.objects.count(),
    )


class AuditsDemoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.output = load_demo()

    def test_the_closed_audit_has_its_nonconformity_and_approved_report(self):
        audit = Audit.objects.get(title=CLOSED["title"])
        assert audit.status == AuditStatus.CLOSED
        assert set(audit.clauses.values_list("ref_id", flat=True)) == {"7.5", "8.5.1"}
        assert list(audit.departments.values_list("name", flat=True)) == ["技术部"]
        assert audit.leader.username == "auditor"
        items = list(audit.items.all())
        assert items and all(item.result for item in items)
        assert sum(1 for item in items if item.result == ItemResult.NONCONFORMING) == 1
        # The meetings were held in the past, the closing after the opening.
        opening, closing = audit.meetings.order_by("held_at")
        assert opening.kind == "opening" and closing.kind == "closing"
        assert audit.planned_start < company_today()

        finding = audit.findings().get()
        assert finding.title == NONCONFORMITY["title"]
        assert finding.clause.ref_id == "8.5.1"
        assert finding.department.name == "技术部"
        assert finding.approved_by.username == "mr"
        assert finding.status != NonconformityStatus.DRAFT

        report = audit.report
        assert report.approved_by.username == "mr"
        with report.file.open("rb") as handle:
            text = docx_text(handle.read())
        assert finding.number in text and "8.5.1" in text
        assert CLOSED["purpose"] in text
        assert "孙丽娜" in text or "auditor" in text

    def test_the_records_are_filed_for_three_years(self):
        audit = Audit.objects.get(title=CLOSED["title"])
        links = {link.kind: link.record for link in audit.record_links.all()}
        assert set(links) == {
            AuditRecordKind.CHECKLIST,
            AuditRecordKind.OPENING,
            AuditRecordKind.CLOSING,
            AuditRecordKind.REPORT,
        }
        assert links[AuditRecordKind.REPORT].form.number == "D1306"
        assert links[AuditRecordKind.OPENING].form.number == "D1304"
        for record in links.values():
            assert record.department.name == "行政部"
            assert record.retention_class.months == 36
            assert record.retention_until == add_months(record.record_date, 36)
        assert links[AuditRecordKind.REPORT].file_sha256 == audit.report.file_sha256
        assert "Audit records filed" in self.output

    def test_the_programme_is_approved_and_covers_every_department(self):
        year = company_today().year
        programme = AuditProgramme.objects.get(year=year)
        assert programme.status == ProgrammeStatus.APPROVED
        signers = list(
            programme.signatures.order_by("signed_at").values_list(
                "user__username", flat=True
            )
        )
        assert signers == ["mr", "gm"]
        assert programme.record_links.get().record.form.number == "D1301"
        coverage = programme_coverage(programme)
        assert not coverage.uncovered_departments
        assert any(audits for row in coverage.clauses for _m, audits in row.cells)

        later = Audit.objects.get(title=LATER["title"])
        assert later.status == AuditStatus.PLANNED
        assert later.programme == programme
        assert later.planned_start >= company_today()
        ad_hoc = Audit.objects.get(title=AD_HOC["title"])
        assert ad_hoc.status == AuditStatus.REQUESTED
        assert ad_hoc.requested_by.username == "tech_manager"

    def test_loading_again_changes_nothing(self):
        before = counts()
        output = load_demo()
        assert "nothing to change" in output
        assert counts() == before


def test_demo_dates_stay_in_the_year_where_they_can():
    mid = Dates.from_today(date(2026, 6, 15))
    assert mid.closed_start.year == mid.later_start.year == 2026
    assert mid.closed_start < mid.closed_end < mid.today < mid.later_start
    # Early January: the closed audit falls in last year's programme.
    january = Dates.from_today(date(2027, 1, 10))
    assert january.closed_start.year == 2026
    assert january.later_start.year == 2027
    # The last day of the year: the later audit cannot be later than today.
    last = Dates.from_today(date(2026, 12, 31))
    assert last.later_start == date(2026, 12, 31)

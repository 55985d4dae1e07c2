"""Filing the audit's records: the report's approval files the checklist, the
meeting records and the report under their forms, kept 3 years, in 行政部;
without the forms it warns and files nothing; filing again files only what is
missing; records.services.record_file checks the file as any upload."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase
from django.utils import timezone
from docx import Document
from wagtail.models import ModelLogEntry

from compliance.nonconformities import nonconformity_approve
from documents.models import Department
from documents.tests import factories as doc_factories
from records import services as record_services
from records.models import Record
from records.retention import add_months

from .. import services
from ..filing import audit_records_file, programme_record_file
from ..lifecycle import AuditStatus, ItemResult, MeetingKind
from ..models import Audit, AuditRecordKind, AuditRecordLink
from . import factories

FORMS = {
    "D1301": "年度内审计划",
    "D1302": "内审检查表",
    "D1304": "首次会议记录",
    "D1305": "末次会议记录",
    "D1306": "公司管理体系内审报告",
}


def audit_forms(numbers=("D1302", "D1304", "D1305", "D1306"), *, b13=None) -> dict:
    """The forms of B13 内审控制程序, in force, kept 3 years (B13 too)."""
    admin = doc_factories.department("行政部")
    if b13 is None:
        b13 = doc_factories.document(
            title="内审控制程序", number="B13", dept=admin, issue=True
        )
    forms = {
        number: doc_factories.document(
            kind="form",
            title=FORMS[number],
            number=number,
            parent=b13,
            dept=admin,
            issue=True,
            retention_period="3年",
        )
        for number in numbers
    }
    return {"B13": b13, **forms}


def reported_audit(p) -> Audit:
    """An audit of 7.5 and 8.5.1 on 技术部 whose report awaits approval, with
    one nonconformity approved by 管理者代表."""
    audit = factories.in_progress(factories.audit(p.auditor), p)
    item = audit.items.filter(clause__ref_id="8.5.1").first()
    services.checklist_item_update(
        user=p.auditor,
        item=item,
        result=ItemResult.NONCONFORMING,
        evidence="紧急变更没有事后评审记录",
    )
    finding = services.finding_raise(user=p.auditor, item=item)
    nonconformity_approve(user=p.mr, nonconformity=finding)
    factories.answer_all(audit, p.auditor)
    services.meeting_record(
        user=p.auditor,
        audit=audit,
        kind=MeetingKind.CLOSING,
        held_at=timezone.now(),
        attendees=[p.auditor, p.tech_manager],
    )
    services.report_save(
        user=p.auditor,
        audit=audit,
        overview="按计划完成",
        evaluation="总体有效",
        distribution=["总经理"],
    )
    services.report_submit(user=p.auditor, audit=audit)
    return Audit.objects.get(pk=audit.pk)


class FilingWithFormsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = factories.scene().people
        cls.forms = audit_forms()
        cls.audit = reported_audit(cls.p)
        cls.report, cls.warnings = services.report_approve(
            user=cls.p.mr, audit=cls.audit
        )

    def test_the_report_approval_files_four_records_kept_three_years(self):
        assert self.warnings == []
        links = {link.kind: link.record for link in self.audit.record_links.all()}
        assert set(links) == {
            AuditRecordKind.CHECKLIST,
            AuditRecordKind.OPENING,
            AuditRecordKind.CLOSING,
            AuditRecordKind.REPORT,
        }
        admin = Department.objects.get(name="行政部")
        forms = {
            AuditRecordKind.CHECKLIST: "D1302",
            AuditRecordKind.OPENING: "D1304",
            AuditRecordKind.CLOSING: "D1305",
            AuditRecordKind.REPORT: "D1306",
        }
        for kind, record in links.items():
            assert record.form.number == forms[kind]
            assert record.department == admin
            assert record.retention_until == add_months(record.record_date, 36)
            assert record.file_name.endswith(".docx")
            # Filed by 管理者代表, who may not fill 行政部's forms himself.
            assert record.created_by == self.p.mr
        report_record = links[AuditRecordKind.REPORT]
        assert report_record.file_sha256 == self.report.file_sha256
        with report_record.file.open("rb") as handle:
            Document(io.BytesIO(handle.read()))
        entry = ModelLogEntry.objects.get(action="shoukong.audits.records_file")
        assert set(entry.data["records"].values()) == {r.number for r in links.values()}
        created = ModelLogEntry.objects.filter(
            action="shoukong.records.create", object_id=str(report_record.pk)
        ).get()
        assert created.data["source"] == self.audit.number

    def test_filing_again_files_nothing(self):
        before = (Record.objects.count(), ModelLogEntry.objects.count())
        assert audit_records_file(user=self.p.mr, audit=self.audit) == []
        assert (Record.objects.count(), ModelLogEntry.objects.count()) == before

    def test_the_programme_warns_without_its_form_and_files_once_with_it(self):
        programme = self.audit.programme
        warnings = programme_record_file(user=self.p.mr, programme=programme)
        assert len(warnings) == 1 and "D1301" in warnings[0]
        audit_forms(("D1301",), b13=self.forms["B13"])
        assert programme_record_file(user=self.p.mr, programme=programme) == []
        link = AuditRecordLink.objects.get(programme=programme)
        assert link.revision == programme.revision
        assert link.record.form.number == "D1301"
        assert programme_record_file(user=self.p.mr, programme=programme) == []
        assert AuditRecordLink.objects.filter(programme=programme).count() == 1

    def test_record_file_checks_the_file_but_not_the_fill_permission(self):
        form, admin = self.forms["D1306"], Department.objects.get(name="行政部")
        docx = self.report.file.open("rb").read()
        self.report.file.close()
        with pytest.raises(PermissionDenied):
            record_services.record_create(
                user=self.p.mr, form=form, department=admin, upload=(docx, "r.docx")
            )
        record = record_services.record_file(
            user=self.p.mr, form=form, department=admin, upload=(docx, "r.docx")
        )
        assert record.form == form and record.department == admin
        disguised = b"MZ\x90\x00" + b"\x00" * 200
        with pytest.raises(ValidationError):
            record_services.record_file(
                user=self.p.mr,
                form=form,
                department=admin,
                upload=(disguised, "report.docx"),
            )
        with pytest.raises(ValidationError):
            record_services.record_file(
                user=self.p.mr,
                form="B05",  # a procedure, not a form
                department=admin,
                upload=(docx, "r.docx"),
            )


class FilingWithoutFormsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = factories.scene().people
        cls.audit = reported_audit(cls.p)

    def test_without_forms_the_approval_warns_and_files_nothing(self):
        report, warnings = services.report_approve(user=self.p.mr, audit=self.audit)
        assert report.approved_at is not None
        assert Audit.objects.get(pk=self.audit.pk).status == AuditStatus.CLOSED
        assert len(warnings) == 4
        for number in ("D1302", "D1304", "D1305", "D1306"):
            assert any(number in w for w in warnings)
        assert not AuditRecordLink.objects.exists()
        assert not Record.objects.exists()
        assert not ModelLogEntry.objects.filter(
            action="shoukong.audits.records_file"
        ).exists()

        # Two forms come into force: those two kinds are filed, the others
        # still warn, and filing again later completes the set.
        forms = audit_forms(("D1302", "D1306"))
        warnings = audit_records_file(user=self.p.mr, audit=self.audit)
        assert len(warnings) == 2
        assert "D1304" in warnings[0] and "D1305" in warnings[1]
        assert set(AuditRecordLink.objects.values_list("kind", flat=True)) == {
            AuditRecordKind.CHECKLIST,
            AuditRecordKind.REPORT,
        }
        audit_forms(("D1304", "D1305"), b13=forms["B13"])
        assert audit_records_file(user=self.p.mr, audit=self.audit) == []
        assert AuditRecordLink.objects.filter(audit=self.audit).count() == 4

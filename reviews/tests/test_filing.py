"""Filing the review's records: the plan on its approval, the input material
when 管理者代表 confirms the pack, the minutes, the report (the approved file,
byte for byte) and the improvement plan when the report is approved; under
the forms D1401–D1405 of the review procedure, in 行政部. A form missing or not
in force is a warning, never a failure; filing again files what is missing."""

from __future__ import annotations

import hashlib

from django.test import TestCase, override_settings
from django.utils import translation
from docx import Document
from wagtail.models import ModelLogEntry

from documents.models import Department
from documents.tests import factories as doc_factories
from records.models import Record

from .. import services
from ..filing import inputs_record_file, plan_record_file, review_records_file
from ..lifecycle import (
    InputSection,
    ReviewRecordKind,
    ReviewStatus,
    SignatureDecision,
    Verdict,
)
from ..models import ReviewRecordLink
from . import factories

FORMS = {
    "D1401": "管理评审计划",
    "D1402": "管理评审报告",
    "D1403": "管理评审会议记录",
    "D1404": "管理评审输入资料",
    "D1405": "管理评审改进计划",
}
KIND_FORMS = {
    ReviewRecordKind.PLAN: "D1401",
    ReviewRecordKind.REPORT: "D1402",
    ReviewRecordKind.MINUTES: "D1403",
    ReviewRecordKind.INPUTS: "D1404",
    ReviewRecordKind.ACTIONS: "D1405",
}


def b14():
    admin = doc_factories.department("行政部")
    return doc_factories.document(
        title="管理评审控制程序", number="B14", dept=admin, issue=True
    )


def review_forms(numbers=tuple(FORMS), *, procedure=None, issue: bool = True) -> dict:
    """The forms of B14 管理评审控制程序, in force (``issue``), kept 3 years."""
    admin = doc_factories.department("行政部")
    procedure = procedure or b14()
    forms = {
        number: doc_factories.document(
            kind="form",
            title=FORMS[number],
            number=number,
            parent=procedure,
            dept=admin,
            issue=issue,
            retention_period="3年",
        )
        for number in numbers
    }
    return {"B14": procedure, **forms}


def finish(p, review):
    """An approved review whose pack is compiled: held as factories.held
    holds it, with one improvement action, and its report approved."""
    services.meeting_record(
        user=p.controller,
        review=review,
        held_on=factories.today(),
        attendees=[p.gm, p.mr, p.controller, p.tech_manager],
        discussions={InputSection.OBJECTIVES: "目标基本达成。"},
        mr_report="体系运行正常。",
        evaluation="总体有效。",
        suitability=Verdict.YES,
        adequacy=Verdict.YES,
        effectiveness=Verdict.PARTLY,
    )
    factories.improvement(p, review)
    services.report_submit(
        user=p.controller,
        review=review,
        distribution=[doc_factories.department("行政部")],
    )
    services.report_sign(user=p.mr, review=review, decision=SignatureDecision.SIGNED)
    return services.report_sign(
        user=p.gm, review=review, decision=SignatureDecision.SIGNED
    )


def links(review) -> dict:
    return {link.kind: link for link in ReviewRecordLink.objects.filter(review=review)}


def file_bytes(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


class FilingWithFormsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = factories.people()
        cls.forms = review_forms()
        cls.review = factories.approved(cls.p)
        cls.plan_warnings = cls.review.filing_warnings
        cls.pack = services.pack_compile(user=cls.p.controller, review=cls.review)
        cls.pack = services.pack_confirm(user=cls.p.mr, pack=cls.pack)
        cls.review = finish(cls.p, cls.review)

    def test_every_record_is_filed_under_its_form_in_the_records_department(self):
        assert self.plan_warnings == []
        assert self.pack.filing_warnings == []
        assert self.review.filing_warnings == []
        filed = links(self.review)
        assert set(filed) == set(KIND_FORMS)
        admin = Department.objects.get(name="行政部")
        for kind, link in filed.items():
            record = link.record
            assert record.form.number == KIND_FORMS[kind]
            assert record.department == admin
            assert record.file_name.endswith(".docx")
            assert self.review.number in record.file_name
            Document(record.file.open("rb")).paragraphs  # noqa: B018 - opens
            record.file.close()
        assert filed[ReviewRecordKind.PLAN].revision == self.review.plan_revision
        assert filed[ReviewRecordKind.INPUTS].revision == self.pack.version
        for kind in (
            ReviewRecordKind.MINUTES,
            ReviewRecordKind.REPORT,
            ReviewRecordKind.ACTIONS,
        ):
            assert filed[kind].revision == self.review.report_revision
        assert filed[ReviewRecordKind.MINUTES].record.record_date == self.review.held_on

    def test_the_filed_report_and_minutes_are_the_approved_files(self):
        filed = links(self.review)
        report = filed[ReviewRecordKind.REPORT].record
        minutes = filed[ReviewRecordKind.MINUTES].record
        assert report.file_sha256 == self.review.report_sha256
        assert minutes.file_sha256 == self.review.minutes_sha256
        assert file_bytes(report.file) == file_bytes(self.review.report_file)
        assert (
            hashlib.sha256(file_bytes(minutes.file)).hexdigest()
            == self.review.minutes_sha256
        )

    def test_each_filing_is_logged_with_its_record_numbers(self):
        entries = ModelLogEntry.objects.filter(action="shoukong.reviews.records_file")
        numbers = set()
        for entry in entries:
            assert entry.data["number"] == self.review.number
            numbers |= set(entry.data["records"].values())
        assert numbers == {link.record.number for link in links(self.review).values()}
        assert entries.count() == 3  # the plan, the inputs, the report's three

    def test_filing_again_files_nothing(self):
        before = (Record.objects.count(), ModelLogEntry.objects.count())
        assert plan_record_file(user=self.p.mr, review=self.review) == []
        assert (
            inputs_record_file(user=self.p.mr, review=self.review, pack=self.pack) == []
        )
        assert review_records_file(user=self.p.gm, review=self.review) == []
        assert (Record.objects.count(), ModelLogEntry.objects.count()) == before


class FilingWithoutFormsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = factories.people()

    def setUp(self):
        self.english = translation.override("en")
        self.english.__enter__()
        self.addCleanup(self.english.__exit__, None, None, None)

    def test_without_forms_every_step_warns_and_files_nothing(self):
        review = factories.approved(self.p)
        assert review.status == ReviewStatus.APPROVED
        assert len(review.filing_warnings) == 1
        assert "D1401" in review.filing_warnings[0]
        pack = services.pack_compile(user=self.p.controller, review=review)
        pack = services.pack_confirm(user=self.p.mr, pack=pack)
        assert len(pack.filing_warnings) == 1 and "D1404" in pack.filing_warnings[0]
        review = finish(self.p, review)
        assert review.status == ReviewStatus.COMPLETED
        assert len(review.filing_warnings) == 3
        for number, warning in zip(
            ("D1403", "D1402", "D1405"), review.filing_warnings, strict=True
        ):
            assert number in warning
        assert not ReviewRecordLink.objects.exists()
        assert not Record.objects.exists()
        assert not ModelLogEntry.objects.filter(
            action="shoukong.reviews.records_file"
        ).exists()

        # The report's form comes into force: the report is filed, the
        # others still warn; later the rest are filed, each once.
        forms = review_forms(("D1402",))
        warnings = review_records_file(user=self.p.gm, review=review)
        assert len(warnings) == 2
        assert "D1403" in warnings[0] and "D1405" in warnings[1]
        assert set(links(review)) == {ReviewRecordKind.REPORT}
        review_forms(("D1401", "D1403", "D1404", "D1405"), procedure=forms["B14"])
        assert review_records_file(user=self.p.gm, review=review) == []
        assert plan_record_file(user=self.p.gm, review=review) == []
        assert inputs_record_file(user=self.p.mr, review=review, pack=pack) == []
        assert set(links(review)) == set(KIND_FORMS)
        assert ReviewRecordLink.objects.filter(review=review).count() == 5

    def test_a_form_not_in_force_is_a_warning(self):
        review_forms(("D1401",), issue=False)
        review = factories.approved(self.p)
        assert review.status == ReviewStatus.APPROVED
        assert len(review.filing_warnings) == 1
        assert "D1401" in review.filing_warnings[0]
        assert "not in force" in review.filing_warnings[0]
        assert not ReviewRecordLink.objects.exists()

    def test_a_missing_records_department_is_one_warning(self):
        review_forms()
        with override_settings(SHOUKONG_MGMT_REVIEW_RECORDS_DEPARTMENT="档案室"):
            review = factories.approved(self.p)
        assert len(review.filing_warnings) == 1
        assert "档案室" in review.filing_warnings[0]
        assert not ReviewRecordLink.objects.exists()
        # With the department back, the plan is filed.
        assert plan_record_file(user=self.p.gm, review=review) == []
        assert set(links(review)) == {ReviewRecordKind.PLAN}

    def test_a_kind_without_a_form_setting_is_a_warning(self):
        review_forms()
        forms = {"plan": "", "report": "D1402"}
        with override_settings(SHOUKONG_MGMT_REVIEW_RECORD_FORMS=forms):
            review = factories.approved(self.p)
        assert len(review.filing_warnings) == 1
        assert "no form is set" in review.filing_warnings[0]


class CompletedReviewTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = factories.people()
        review_forms()
        cls.review = factories.completed(cls.p)

    def test_the_report_approval_files_the_minutes_report_and_actions(self):
        assert self.review.status == ReviewStatus.COMPLETED
        assert self.review.filing_warnings == []
        filed = links(self.review)
        # The pack was compiled but never confirmed: no input material.
        assert set(filed) == {
            ReviewRecordKind.PLAN,
            ReviewRecordKind.MINUTES,
            ReviewRecordKind.REPORT,
            ReviewRecordKind.ACTIONS,
        }
        report = filed[ReviewRecordKind.REPORT].record
        assert report.form.number == "D1402"
        assert report.file_sha256 == self.review.report_sha256
        assert report.created_by == self.p.gm
        actions = Document(filed[ReviewRecordKind.ACTIONS].record.file.open("rb"))
        filed[ReviewRecordKind.ACTIONS].record.file.close()
        output = self.review.outputs.get()
        cells = {
            cell.text
            for table in actions.tables
            for row in table.rows
            for cell in row.cells
        }
        assert output.reference in cells and output.description in cells

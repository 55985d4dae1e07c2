"""The audit's documents as .docx, read back with python-docx: the report
(draft and approved), the programme with its coverage warnings, the meeting
records and the checklist; stray control characters never break a file and a
checklist of thousands of items still renders."""

from __future__ import annotations

import io
import time

from django.conf import settings
from django.test import TestCase
from django.utils import timezone, translation
from docx import Document

from compliance.models import Nonconformity
from compliance.nonconformities import nonconformity_approve

from .. import services
from ..coverage import programme_coverage
from ..lifecycle import ItemResult, MeetingKind
from ..models import Audit, ChecklistItem
from ..reports import (
    checklist_docx,
    clean,
    meeting_docx,
    programme_docx,
    report_docx,
)
from . import factories


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def fieldwork(p, audit: Audit) -> Nonconformity:
    """Answer the checklist: the 8.5.1 item nonconforming, written up."""
    items = list(audit.items.select_related("clause"))
    target = next(i for i in items if i.clause.ref_id == "8.5.1")
    services.checklist_item_update(
        user=p.auditor,
        item=target,
        result=ItemResult.NONCONFORMING,
        evidence="两项紧急变更没有事后评审记录",
    )
    finding = services.finding_raise(
        user=p.auditor, item=target, title="紧急变更缺少事后评审"
    )
    factories.answer_all(audit, p.auditor)
    return finding


class ReportDocxTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.scene = factories.scene()
        p = cls.p = cls.scene.people
        audit = factories.audit(p.auditor, auditees=[p.tech_manager])
        cls.audit = factories.in_progress(audit, p)
        cls.finding = fieldwork(p, cls.audit)

    def test_the_draft_report_names_purpose_criteria_team_and_the_finding(self):
        text = docx_text(report_docx(self.audit))
        assert self.audit.purpose in text
        assert self.audit.criteria in text
        assert "auditor" in text  # the leader (the test users have no full name)
        assert "tech_manager" in text  # an auditee
        assert self.audit.number in text
        assert self.finding.number in text and "8.5.1" in text
        assert "7.5" in text and "技术部" in text
        with translation.override(settings.LANGUAGE_CODE):
            from django.utils.translation import gettext

            draft = gettext("DRAFT — not valid until approved")
        assert draft in text

    def test_the_approved_report_has_overview_distribution_and_approver(self):
        p, audit = self.p, self.audit
        nonconformity_approve(user=p.mr, nonconformity=self.finding)
        services.meeting_record(
            user=p.auditor,
            audit=audit,
            kind=MeetingKind.CLOSING,
            held_at=timezone.now(),
            attendees=[p.auditor, p.tech_manager],
            guests=["客户代表 王先生"],
            notes="通报一项不符合",
        )
        services.report_save(
            user=p.auditor,
            audit=audit,
            overview="审核按计划完成，抽查了变更记录。",
            evaluation="体系总体有效。",
            distribution=["总经理", "技术部"],
        )
        services.report_submit(user=p.auditor, audit=audit)
        report, _warnings = services.report_approve(user=p.mr, audit=audit)
        with report.file.open("rb") as handle:
            text = docx_text(handle.read())
        assert "审核按计划完成" in text and "体系总体有效" in text
        assert "总经理、技术部" in text
        assert "mr" in text  # approved by
        assert self.finding.number in text and "8.5.1" in text
        # The minutes list who came, guests too.
        closing = audit.meetings.get(kind=MeetingKind.CLOSING)
        minutes = docx_text(meeting_docx(closing))
        assert "客户代表 王先生" in minutes and "tech_manager" in minutes
        assert "通报一项不符合" in minutes

    def test_control_characters_do_not_break_the_report(self):
        # Rows written before the services refused them, or by an import
        # (NUL only in the unit check below: PostgreSQL stores no NUL).
        Audit.objects.filter(pk=self.audit.pk).update(purpose="目的\x0b说明\x0c。")
        Nonconformity.objects.filter(pk=self.finding.pk).update(
            facts="事实\x01描述\x1f完", title="标题\x08"
        )
        text = docx_text(report_docx(Audit.objects.get(pk=self.audit.pk)))
        assert "目的说明。" in text
        assert "事实描述完" in text
        assert clean("a\x00b\x0bc\ud800d\ttab\nline") == "abcd\ttab\nline"

    def test_the_programme_lists_its_audits_and_what_is_uncovered(self):
        programme = self.audit.programme
        text = docx_text(programme_docx(programme))
        assert self.audit.number in text
        assert str(programme.year) in text
        assert "mr" in text and "gm" in text  # the chain's signatures
        with translation.override(settings.LANGUAGE_CODE):
            warnings = programme_coverage(programme).warnings
        assert warnings
        for warning in warnings:
            assert warning in text

    def test_the_checklist_names_documents_results_and_findings(self):
        text = docx_text(checklist_docx(self.audit))
        assert "B05" in text and "B07" in text
        assert self.finding.number in text
        assert "两项紧急变更没有事后评审记录" in text
        opening = self.audit.meetings.get(kind=MeetingKind.OPENING)
        assert "tech_manager" in docx_text(meeting_docx(opening))

    def test_a_checklist_of_two_thousand_items_still_renders(self):
        template = ChecklistItem.objects.filter(audit=self.audit).first()
        start = self.audit.items.count()
        ChecklistItem.objects.bulk_create(
            [
                ChecklistItem(
                    audit=self.audit,
                    clause_id=template.clause_id,
                    department_id=template.department_id,
                    position=start + n,
                    question=f"问题 {n}\x0c",
                    documents=template.documents,
                    responsible=template.responsible,
                    result=ItemResult.CONFORMING,
                    evidence="证据 " * 20,
                    created_by=self.p.auditor,
                )
                for n in range(1, 2001)
            ]
        )
        began = time.monotonic()
        data = checklist_docx(self.audit)
        assert time.monotonic() - began < 30
        document = Document(io.BytesIO(data))
        assert len(document.tables[-1].rows) == start + 2000 + 1
        report = docx_text(report_docx(self.audit))
        assert self.finding.number in report


def test_programme_without_audits_warns_of_everything(db):
    p = factories.people()
    programme = services.programme_create(user=p.controller, year=2030)
    text = docx_text(programme_docx(programme))
    with translation.override(settings.LANGUAGE_CODE):
        warnings = programme_coverage(programme).warnings
    assert len(warnings) == 2
    assert all(w in text for w in warnings)
    assert "2030" in text

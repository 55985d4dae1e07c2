"""The review's documents: the report with its sections, charts, outputs and
signatures; the minutes with the attendance; the plan, the input material and
the improvement plan. The pack is built by hand here (its compilation is
tested in test_compilation); a pack of an older or odd shape never breaks a
document."""

from __future__ import annotations

import copy
import io

from django.test import TestCase
from django.utils import translation
from docx import Document

from audits.reports.writer import when

from ..lifecycle import InputSection, ReviewStatus
from ..models import ReviewPack
from ..reports import (
    DOCX_CONTENT_TYPE,
    actions_docx,
    inputs_docx,
    minutes_docx,
    plan_docx,
    report_docx,
)
from ..services._common import display_name
from . import factories

SECTIONS = [
    {
        "code": "previous_actions",
        "title": "以往管理评审的措施",
        "source": "reviews",
        "compiled": True,
        "summary": {
            "total": 2,
            "open": 1,
            "closed": 1,
            "overdue": 1,
            "by_status": {"整改中": 1, "已关闭": 1},
        },
        "rows": [
            {
                "reference": "MR-2025-01-01",
                "description": "完善供应商评价",
                "kind_label": "改进措施",
                "owner": "张三",
                "due_date": "2026-03-01",
                "status_label": "整改中",
                "open": True,
                "overdue": True,
            },
            {
                "reference": "MR-2025-01-02",
                "description": "补充培训记录",
                "kind_label": "改进措施",
                "owner": "李四",
                "due_date": "2026-02-01",
                "status_label": "已关闭",
                "open": False,
                "overdue": False,
            },
        ],
        "inputs": [],
        "missing": [],
    },
    {
        "code": "issues",
        "title": "内外部因素的变化",
        "source": "departments",
        "compiled": False,
        "summary": {"inputs": 1},
        "rows": [],
        "inputs": [
            {
                "id": 1,
                "department": "市场部",
                "content": "新增两家大客户。\n合同要求提高。",
                "prepared_by": "王五",
                "signed_by": "市场经理",
                "signed_at": "2026-11-20T09:30:00+08:00",
                "attachments": [{"id": 3, "name": "客户清单.xlsx", "size": 2048}],
            },
        ],
        "missing": ["技术部"],
    },
    {
        "code": "objectives",
        "title": "方针和目标的实现",
        "source": "reviews",
        "compiled": True,
        "summary": {"total": 2, "met": 1, "not_met": 1, "unmeasured": 0},
        "rows": [
            {
                "code": "response-rate",
                "name": "服务响应及时率",
                "target": "95.000",
                "target_label": "≥ 95%",
                "unit": "%",
                "comparison": "gte",
                "frequency": "monthly",
                "measurements": [
                    {
                        "period": "2026-01",
                        "start": "2026-01-01",
                        "value": "96.000",
                        "met": True,
                    },
                    {
                        "period": "2026-02",
                        "start": "2026-02-01",
                        "value": "97.500",
                        "met": True,
                    },
                ],
                "latest": "97.500",
                "latest_period": "2026-02",
                "met": True,
            },
            {
                "code": "satisfaction",
                "name": "客户满意度",
                "target": "90.000",
                "target_label": "≥ 90%",
                "unit": "%",
                "comparison": "gte",
                "frequency": "quarterly",
                "measurements": [
                    {
                        "period": "2026Q1",
                        "start": "2026-01-01",
                        "value": "88.000",
                        "met": False,
                    },
                ],
                "latest": "88.000",
                "latest_period": "2026Q1",
                "met": False,
            },
        ],
        "inputs": [],
        "missing": [],
    },
    {
        "code": "audits",
        "title": "审核结果和未关闭的发现",
        "source": "audits",
        "compiled": True,
        "summary": {
            "audits": 1,
            "completed": 1,
            "findings": 2,
            "open_findings": 1,
            "by_grade": {"一般": 1, "观察项": 1},
            "coverage": [
                {
                    "year": 2026,
                    "clauses_total": 40,
                    "clauses_covered": 31,
                    "departments_total": 5,
                    "departments_covered": 4,
                },
            ],
        },
        "rows": [
            {
                "number": "IA-2026-01",
                "title": "年度内审",
                "status": "closed",
                "status_label": "已关闭",
                "start": "2026-05-10",
                "end": "2026-05-12",
                "findings": 2,
                "open_findings": 1,
                "url": "/audits/IA-2026-01/",
            },
        ],
        "open_findings": [
            {
                "number": "NC-2026-0007",
                "title": "变更无评审记录",
                "grade": "一般",
                "status_label": "整改中",
                "department": "技术部",
                "clause": "8.5.1",
            },
        ],
        "inputs": [],
        "missing": [],
    },
    {
        "code": "nonconformities",
        "title": "不符合和纠正措施",
        "source": "compliance",
        "compiled": True,
        "summary": {
            "open": 2,
            "by_status": {"open": 1, "verifying": 1},
            "by_status_label": {"整改中": 1, "待验证": 1},
            "by_age": {"lt30": 1, "30to90": 1, "gt90": 0},
            "overdue": 0,
            "raised_in_period": 4,
            "closed_in_period": 2,
            "by_clause": {"8.5.1": 1, "7.5.3": 1},
        },
        "rows": [
            {
                "number": "NC-2026-0007",
                "title": "变更无评审记录",
                "kind": "audit",
                "grade": "一般",
                "status": "open",
                "status_label": "整改中",
                "department": "技术部",
                "clause": "8.5.1",
                "owner": "赵六",
                "due_date": "2026-12-01",
                "age_days": 40,
                "overdue": False,
            },
            {
                "number": "NC-2026-0009",
                "title": "文件未及时回收",
                "kind": "staff",
                "grade": "轻微",
                "status": "verifying",
                "status_label": "待验证",
                "department": "行政部",
                "clause": "7.5.3",
                "owner": "钱七",
                "due_date": "2026-11-30",
                "age_days": 12,
                "overdue": False,
            },
        ],
        "inputs": [],
        "missing": [],
    },
    {
        "code": "documents",
        "title": "文件体系状态",
        "source": "documents",
        "compiled": True,
        "summary": {
            "issued_in_period": 1,
            "reviews_overdue": 0,
            "recalls_overdue": 0,
            "open_change_requests": 2,
            "controlled": 57,
        },
        "rows_issued": [
            {
                "number": "B05",
                "title": "变更管理程序",
                "revision": "C",
                "date": "2026-04-01",
            }
        ],
        "rows_reviews_overdue": [],
        "rows_recalls_overdue": [],
        "inputs": [],
        "missing": [],
    },
    {
        "code": "records",
        "title": "超过保存期限的记录",
        "source": "records",
        "compiled": True,
        "summary": {"past_retention": 3, "by_form": {"D0201 文件发放回收记录": 3}},
        "rows": [],
        "inputs": [],
        "missing": [],
    },
]


def sample_pack(review) -> dict:
    return {
        "schema": 1,
        "review": review.number,
        "period": {
            "start": review.period_start.isoformat(),
            "end": review.period_end.isoformat(),
        },
        "compiled_on": "2026-11-23",
        "sections": copy.deepcopy(SECTIONS),
    }


def set_pack(review, data) -> ReviewPack:
    pack = review.latest_pack()
    ReviewPack.objects.filter(pk=pack.pk).update(data=data)
    pack.refresh_from_db()
    return pack


def opened(data: bytes):
    return Document(io.BytesIO(data))


def all_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in document.sections:
        parts.extend(p.text for p in section.header.paragraphs)
    return "\n".join(parts)


def headings(document) -> list[str]:
    return [
        p.text
        for p in document.paragraphs
        if p.style is not None and p.style.name.startswith("Heading")
    ]


def image_parts(document) -> list:
    return [
        rel.target_part
        for rel in document.part.rels.values()
        if rel.reltype.endswith("/image")
    ]


class ReportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = factories.people()
        cls.review = factories.held(cls.p)
        cls.pack = set_pack(cls.review, sample_pack(cls.review))
        cls.output = factories.improvement(
            cls.p, cls.review, section=InputSection.OBJECTIVES
        )
        # Asked for in English: written in the company's language all the same.
        with translation.override("en"):
            cls.report = report_docx(cls.review)

    def test_the_report_has_a_section_per_input_with_numbers_and_inputs(self):
        document = opened(self.report)
        titles = headings(document)
        for number, section in enumerate(SECTIONS, start=1):
            assert f"1.{number} {section['title']}" in titles
        text = all_text(document)
        assert self.review.number in text and self.review.title in text
        # Summary numbers, key rows, the signed input and who is missing.
        assert "MR-2025-01-01" in text and "完善供应商评价" in text
        assert "服务响应及时率" in text and "97.5%" in text and "≥ 95%" in text
        assert "IA-2026-01" in text and "NC-2026-0007" in text
        assert "31 / 40" in text
        assert "B05" in text and "D0201 文件发放回收记录" in text
        assert "新增两家大客户。" in text and "市场经理" in text
        assert "客户清单.xlsx" in text and "技术部" in text
        # The discussion of the meeting under its input.
        assert "目标基本达成，满意度略低于目标。" in text
        # Conclusions, the MR's report and the GM's evaluation.
        assert "体系持续适宜。" in text and "资源基本充分。" in text
        assert "体系运行正常。" in text and "总体有效，需加强客户沟通。" in text

    def test_the_report_carries_the_charts_as_images(self):
        document = opened(self.report)
        # Previous actions, objectives, audit coverage, nonconformities.
        assert len(document.inline_shapes) >= 4
        images = image_parts(document)
        assert len(images) >= 4
        assert all(part.blob[:8] == b"\x89PNG\r\n\x1a\n" for part in images)

    def test_the_outputs_table_lists_each_decision_with_its_status(self):
        document = opened(self.report)
        rows = [
            [cell.text for cell in row.cells]
            for table in document.tables
            for row in table.rows
        ]
        row = next(r for r in rows if r[0] == self.output.reference)
        assert row[1] == self.output.description
        assert row[3] == display_name(self.p.tech_manager)
        assert row[5] == self.output.due_date.isoformat()
        assert self.output.nonconformity.number in row[6]

    def test_attendees_are_named_and_the_draft_is_marked(self):
        text = all_text(opened(self.report))
        present = self.review.participants.filter(attended=True)
        assert present.count() == 4
        for participant in present:
            assert participant.name in text
        absent = self.review.participants.get(user=self.p.market_manager)
        assert not absent.attended
        # Not signed yet: marked as a draft on each page.
        document = opened(self.report)
        header = document.sections[0].header.paragraphs[0].text
        assert header and header in all_text(document)

    def test_the_report_is_in_the_company_language_whoever_asks(self):
        with translation.override("zh-hans"):
            chinese_request = report_docx(self.review)
        assert headings(opened(self.report)) == headings(opened(chinese_request))

    def test_an_old_or_odd_pack_never_breaks_the_report(self):
        odd = {
            "schema": 0,
            "sections": [
                "not a section",
                {"code": "audits", "summary": None, "rows": "x", "open_findings": 3},
                {"code": "objectives", "rows": [{"measurements": None}, 5]},
                {"code": "nonconformities", "summary": {"by_clause": [1, 2]}},
                {"code": "documents"},
                {"code": "records", "summary": {"by_form": None}},
                {
                    "code": "someday",
                    "summary": {"weird": {"a": 1}, "n": None},
                    "inputs": [{"content": None, "attachments": None}, "x"],
                    "missing": "市场部",
                },
                {"title": "无代码"},
            ],
        }
        try:
            pack = set_pack(self.review, odd)
            document = opened(report_docx(self.review))
            assert "无代码" in all_text(document)
            opened(inputs_docx(self.review, pack))
            for data in ([], {"sections": None}, {"sections": {"a": 1}}):
                set_pack(self.review, data)
                opened(report_docx(self.review))
        finally:
            set_pack(self.review, sample_pack(self.review))

    def test_text_xml_cannot_carry_is_stripped(self):
        data = sample_pack(self.review)
        data["sections"] = [data["sections"][1]]  # no charts: quicker
        data["sections"][0]["inputs"][0]["content"] = "坏\x01字\x0b符\ufffe"
        try:
            set_pack(self.review, data)
            text = all_text(opened(report_docx(self.review)))
            assert "坏字符" in text
        finally:
            set_pack(self.review, sample_pack(self.review))

    def test_the_minutes_list_the_attendance_with_sign_in_times(self):
        document = opened(minutes_docx(self.review))
        text = all_text(document)
        rows = {
            row.cells[1].text: [cell.text for cell in row.cells]
            for table in document.tables
            for row in table.rows
            if len(row.cells) == 6
        }
        for participant in self.review.participants.all():
            assert participant.name in rows
            row = rows[participant.name]
            if participant.attended:
                assert row[5] == when(participant.signed_in_at) != ""
            else:
                assert row[5] == ""
        assert self.review.held_on.isoformat() in text
        assert "三楼会议室" in text
        assert "体系运行正常。" in text
        assert "目标基本达成，满意度略低于目标。" in text
        assert self.output.reference in text

    def test_the_input_material_names_its_version_and_sections(self):
        document = opened(inputs_docx(self.review, self.pack))
        titles = headings(document)
        for number, section in enumerate(SECTIONS, start=1):
            assert f"{number} {section['title']}" in titles
        assert len(document.inline_shapes) >= 4
        text = all_text(document)
        assert str(self.pack.version) in text
        assert self.review.number in text

    def test_the_improvement_plan_lists_the_outputs(self):
        text = all_text(opened(actions_docx(self.review)))
        assert self.output.reference in text
        assert self.output.description in text
        assert self.output.due_date.isoformat() in text
        assert self.output.nonconformity.number in text

    def test_the_plan_has_its_agenda_participants_assignments_and_signatures(self):
        document = opened(plan_docx(self.review))
        text = all_text(document)
        for participant in self.review.participants.filter(invited=True):
            assert participant.name in text
        for assignment in self.review.assignments.all():
            assert assignment.department.name in text
        signatures = self.review.signatures.filter(paper="plan")
        assert signatures.count() == 2
        for signature in signatures:
            assert signature.signer_name in text and signature.role in text

    def test_the_content_type_is_the_docx_one(self):
        assert DOCX_CONTENT_TYPE.endswith("wordprocessingml.document")


class ApprovedReportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = factories.people()
        cls.review = factories.completed(cls.p)

    def test_the_frozen_report_shows_the_signatures_of_the_report_chain(self):
        assert self.review.status == ReviewStatus.COMPLETED
        with self.review.report_file.open("rb") as handle:
            document = opened(handle.read())
        text = all_text(document)
        signatures = self.review.signatures.filter(
            paper="report", revision=self.review.report_revision
        )
        assert signatures.count() == 2
        rows = [
            [cell.text for cell in row.cells]
            for table in document.tables
            for row in table.rows
            if len(row.cells) == 5
        ]
        for signature in signatures:
            row = next(r for r in rows if r[0] == signature.signer_name)
            assert row[1] == signature.role
            assert row[2]  # the meaning of the signature
            assert row[3][:4].isdigit()
        # Approved: the header says so, and names the approver.
        header = document.sections[0].header.paragraphs[0].text
        assert signatures.order_by("-signed_at").first().signer_name in header
        for department in self.review.distribution.all():
            assert department.name in text

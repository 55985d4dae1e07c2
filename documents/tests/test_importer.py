"""Importing a document register: formats, validation, idempotency, audit trail."""

from __future__ import annotations

import csv
import hashlib
import io
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from wagtail.documents import get_document_model
from wagtail.models import PageLogEntry, ReferenceIndex, Revision

from documents import importing, services
from documents.models import (
    DocumentIssue,
    DocumentNumber,
    DocumentPage,
    ExternalDocumentPage,
)
from documents.tests import factories, filefactories


def r(line: str) -> list[Any]:
    """A register row written as one comma-separated line."""
    return line.split(",")


HEADINGS = r(
    "文件编号,文件名称,文件层级,上级文件,编制部门,版本号,发布日期,文件路径,保存期限"
)
ENGLISH = [
    *"Number Title Tier Parent Department Version".split(),
    *["Publish date", "File", "Retention period"],
]

# The form comes before its parent on purpose; the unnumbered form gets D0502.
ROWS: list[list[Any]] = [
    r("A01,服务管理手册,一级文件,,行政部,A,2022-08-01,,"),
    r("D0501,受控文件清单,四级文件,B05,行政部,A,2022-08-01,,3年"),
    r("B05,文件控制程序,二级文件,,行政部,A,2022-08-01,B05-文件控制程序.docx,"),
    r("C0501,文件编写指南,三级文件,B05,技术部,B,2022/9/1,,"),
    r(",文件借阅记录,四级文件,B05,行政部,,,,1年"),
]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English, whatever the catalogues translate."""
    with translation.override("en"):
        yield


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "B05-文件控制程序.docx").write_bytes(
        filefactories.make_docx(
            ["文件控制程序", "1 目的：规范文件的编制、审批和发布。"]
        )
    )
    return folder


def write_register(
    path: Path,
    rows: list[list[Any]],
    *,
    headings: list[str] = HEADINGS,
    encoding: str = "utf-8",
    preamble: list[list[Any]] = (),  # type: ignore[assignment]
) -> Path:
    if path.suffix == ".xlsx":
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        for row in [*preamble, headings, *rows]:
            sheet.append(list(row))
        workbook.save(path)
    else:
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerows([*preamble, headings, *rows])
        path.write_bytes(out.getvalue().encode(encoding))
    return path


def run(register: Path, files: Path | None = None, **options: Any) -> str:
    out, err = io.StringIO(), io.StringIO()
    if files is not None:
        options["files"] = str(files)
    call_command("import_documents", str(register), stdout=out, stderr=err, **options)
    return out.getvalue() + err.getvalue()


def refused(register: Path, files: Path | None = None, **options: Any) -> str:
    """Run an import that must fail; return everything it printed."""
    before = DocumentPage.objects.count(), DocumentNumber.objects.count()
    out, err = io.StringIO(), io.StringIO()
    if files is not None:
        options["files"] = str(files)
    with pytest.raises(CommandError) as excinfo:
        call_command(
            "import_documents", str(register), stdout=out, stderr=err, **options
        )
    after = DocumentPage.objects.count(), DocumentNumber.objects.count()
    assert after == before, "a refused import must write nothing"
    return out.getvalue() + err.getvalue() + str(excinfo.value)


def snapshot() -> list[tuple]:
    result = []
    for page in DocumentPage.objects.select_related("department").with_issues():
        parent = page.get_parent().specific
        issue = page.current_issue
        result.append(
            (
                page.number,
                page.title,
                page.kind,
                page.department.name,
                getattr(parent, "number", None),
                issue.label if issue else None,
                issue.publish_date if issue else None,
                issue.effective_date if issue else None,
                page.retention_period,
                "目的" in page.source_text,
            )
        )
    return sorted(result)


EXPECTED = [
    ("A01", "服务管理手册", "manual", "行政部", None, "A", date(2022, 8, 1),
     date(2022, 8, 1), "", False),
    ("B05", "文件控制程序", "procedure", "行政部", None, "A", date(2022, 8, 1),
     date(2022, 8, 1), "", True),
    ("C0501", "文件编写指南", "instruction", "技术部", "B05", "B", date(2022, 9, 1),
     date(2022, 9, 1), "", False),
    ("D0501", "受控文件清单", "form", "行政部", "B05", "A", date(2022, 8, 1),
     date(2022, 8, 1), "3年", False),
    ("D0502", "文件借阅记录", "form", "行政部", "B05", None, None, None, "1年", False),
]  # fmt: skip


# --- Formats -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("register.xlsx", None),
        ("register.csv", "utf-8"),
        ("register.csv", "utf-8-sig"),
        ("register.csv", "gbk"),
    ],
)
def test_xlsx_and_csv_in_every_encoding_import_the_same(
    tmp_path, files, library, departments, name, encoding
):
    rows = [list(r) for r in ROWS]
    if encoding is None:  # a spreadsheet: real date cells and a title row above
        rows[0][6] = datetime(2022, 8, 1)
        rows[3][6] = date(2022, 9, 1)
        preamble = [["文件目录清单"], []]
        register = write_register(tmp_path / name, rows, preamble=preamble)
    else:
        register = write_register(tmp_path / name, rows, encoding=encoding)

    output = run(register, files)

    assert snapshot() == EXPECTED
    assert "B05 文件控制程序: created (issue A," in output
    assert "D0502 文件借阅记录: created (draft without an issue" in output
    assert "created 5, unchanged 0, with text 1" in output


def test_english_headings_and_numeric_tiers(tmp_path, files, library, departments):
    rows = [
        ["A01", "服务管理手册", 1, "", "行政部", "A", "2022-08-01", "", ""],
        r("D0501,受控文件清单,Form,B05,行政部,A,2022-08-01,,3年"),
        r("B05,文件控制程序,procedure,,行政部,A,2022-08-01,B05-文件控制程序.docx,"),
        r("C0501,文件编写指南,Work Instruction,B05,技术部,B,2022年9月1日,,"),
        r(",文件借阅记录,tier 4,B05,行政部,,,,1年"),
    ]
    register = write_register(tmp_path / "register.xlsx", rows, headings=ENGLISH)

    run(register, files)

    assert snapshot() == EXPECTED


def test_read_register_finds_the_header_row_and_reads_cells(tmp_path):
    register = write_register(
        tmp_path / "r.xlsx",
        [
            [
                "B05",
                " 文件控制程序 ",
                "二级文件",
                None,
                "行政部",
                "A版",
                44774.0,
                None,
                None,
            ]
        ],
        preamble=[["某公司文件目录清单"], [None], ["制表：文控"]],
    )
    (row,) = importing.read_register(register)
    assert row.row == 5
    assert row.text("title") == "文件控制程序"
    assert importing.parse_date(row.get("publish_date")) == date(2022, 8, 1)


@pytest.mark.parametrize(
    "value",
    ["2022-08-01", "2022/8/1", "2022.8.1", "2022年8月1日", "20220801",
     "2022-08-01 00:00:00", datetime(2022, 8, 1, 9, 30), date(2022, 8, 1), 44774],
)  # fmt: skip
def test_dates(value):
    assert importing.parse_date(value) == date(2022, 8, 1)


def test_csv_in_another_encoding_is_refused(tmp_path, library, departments):
    register = tmp_path / "register.csv"
    register.write_bytes(",".join(HEADINGS).encode("utf-16"))
    assert "UTF-16" in refused(register)
    register.write_bytes(b"\x81\x30\xff\xfe" * 10)
    assert "neither UTF-8 nor GBK" in refused(register)


# --- Idempotency and dry run -------------------------------------------------------


def test_second_run_changes_nothing(tmp_path, files, library, departments):
    register = write_register(tmp_path / "register.csv", ROWS)
    run(register, files)
    counts = (
        DocumentPage.objects.count(),
        DocumentIssue.objects.count(),
        PageLogEntry.objects.count(),
        Revision.objects.count(),
        DocumentNumber.objects.count(),
        get_document_model().objects.count(),
    )

    output = run(register, files)

    assert "Nothing to import: all 5 documents are already in the library." in output
    assert (
        DocumentPage.objects.count(),
        DocumentIssue.objects.count(),
        PageLogEntry.objects.count(),
        Revision.objects.count(),
        DocumentNumber.objects.count(),
        get_document_model().objects.count(),
    ) == counts


def test_a_changed_row_for_an_existing_document_is_refused(
    tmp_path, files, library, departments
):
    register = write_register(tmp_path / "register.csv", ROWS)
    run(register, files)
    rows = [list(r) for r in ROWS]
    rows[2][1] = "文件管理程序"  # B05 renamed
    rows.append(r("B06,记录控制程序,二级文件,,行政部,A,2022-08-01,,"))
    output = refused(write_register(tmp_path / "changed.csv", rows), files)
    assert "Row 4 (B05)" in output
    assert "文件控制程序" in output and "文件管理程序" in output
    assert not DocumentPage.objects.filter(number="B06").exists()


def test_dry_run_writes_nothing(tmp_path, files, library, departments):
    register = write_register(tmp_path / "register.xlsx", ROWS)
    before = (
        DocumentPage.objects.count(),
        DocumentNumber.objects.count(),
        PageLogEntry.objects.count(),
        get_document_model().objects.count(),
    )

    output = run(register, files, dry_run=True)

    assert "B05 文件控制程序: would create (issue A," in output
    assert "would create 5, unchanged 0, with text 1" in output
    assert (
        DocumentPage.objects.count(),
        DocumentNumber.objects.count(),
        PageLogEntry.objects.count(),
        get_document_model().objects.count(),
    ) == before


def test_without_files_folder_documents_are_imported_without_sources(
    tmp_path, library, departments
):
    output = run(write_register(tmp_path / "register.csv", ROWS))
    assert "no files folder was given" in output
    assert DocumentPage.objects.count() == 5
    assert not DocumentPage.objects.exclude(source_text="").exists()


# --- Refusals: nothing is imported and the row is named ---------------------------


def test_missing_required_column(tmp_path, library, departments):
    headings = [h for h in HEADINGS if h != "文件层级"]
    rows = [[c for i, c in enumerate(r) if i != 2] for r in ROWS]
    output = refused(write_register(tmp_path / "r.csv", rows, headings=headings))
    assert "lacks required columns: tier" in output


def test_duplicate_number_names_both_rows(tmp_path, library, departments):
    rows = [*ROWS, r("B05,另一个程序,二级文件,,行政部,A,2022-08-01,,")]
    output = refused(write_register(tmp_path / "r.csv", rows))
    assert "Row 7 (B05): the number B05 is also used in row 4." in output


def test_form_whose_parent_does_not_exist(tmp_path, library, departments):
    rows = [*ROWS, r("D0901,服务目录,四级文件,B09,市场部,A,2022-08-01,,")]
    output = refused(write_register(tmp_path / "r.csv", rows))
    assert "Row 7 (D0901): the parent document B09 is neither in the register" in output


def test_form_without_parent_or_under_the_wrong_parent(tmp_path, library, departments):
    rows = [
        *ROWS,
        r(",无主表单,四级文件,,市场部,A,2022-08-01,,"),
        r("D0601,记录清单,四级文件,B05,行政部,A,2022-08-01,,"),
        r("D0101,表单下的表单,四级文件,D0501,行政部,,,,"),
    ]
    output = refused(write_register(tmp_path / "r.csv", rows))
    assert "Row 7 (无主表单): a Form needs a parent document" in output
    assert "Row 8 (D0601): D0601 belongs under B06, not under B05." in output
    assert "Row 9 (D0101): D0101 belongs under B01, not under D0501." in output


def test_unknown_tier(tmp_path, library, departments):
    rows = [list(r) for r in ROWS]
    rows[0][2] = "五级文件"
    output = refused(write_register(tmp_path / "r.csv", rows))
    assert "Row 2 (A01): unknown tier “五级文件”" in output


def test_unknown_or_missing_department(tmp_path, library, departments):
    rows = [list(r) for r in ROWS]
    rows[0][4] = "财务部"
    rows[1][4] = ""
    output = refused(write_register(tmp_path / "r.csv", rows))
    assert "Row 2 (A01): unknown department “财务部”; known departments:" in output
    assert "行政部" in output and "技术部" in output
    assert "Row 3 (D0501): the department is missing." in output


def test_all_errors_are_reported_at_once(tmp_path, library, departments):
    rows = [list(r) for r in ROWS]
    rows[0][2] = "五级文件"
    rows[3][5] = "V1.0"
    rows[4][6] = "下周一"
    output = refused(write_register(tmp_path / "r.csv", rows))
    assert "Row 2 (A01)" in output
    assert "Row 5 (C0501)" in output
    assert "Row 6 (文件借阅记录)" in output
    assert "3 problems found in the register: nothing was imported." in output


def test_corrupt_docx(tmp_path, files, library, departments):
    (files / "B05-文件控制程序.docx").write_bytes(b"PK\x03\x04 this is not a zip")
    output = refused(write_register(tmp_path / "r.csv", ROWS), files)
    assert "Row 4 (B05): B05-文件控制程序.docx: " in output
    assert "damaged" in output


def test_executable_renamed_pdf(tmp_path, files, library, departments):
    (files / "A01.pdf").write_bytes(b"MZ\x90\x00" + b"\x00" * 200)
    rows = [list(r) for r in ROWS]
    rows[0][7] = "A01.pdf"
    output = refused(write_register(tmp_path / "r.csv", rows), files)
    assert "Row 2 (A01): A01.pdf: The file's contents do not match its extension" in (
        output
    )


@pytest.mark.parametrize("path", ["../secret.docx", "/etc/passwd", "link.docx"])
def test_file_path_must_stay_inside_the_files_folder(
    tmp_path, files, library, departments, path
):
    secret = tmp_path / "secret.docx"
    secret.write_bytes(filefactories.make_docx(["机密"]))
    os.symlink(secret, files / "link.docx")
    rows = [list(r) for r in ROWS]
    rows[2][7] = path
    output = refused(write_register(tmp_path / "r.csv", rows), files)
    assert f"Row 4 (B05): the file path “{path}” leads outside the files folder." in (
        output
    )


def test_missing_file(tmp_path, files, library, departments):
    rows = [list(r) for r in ROWS]
    rows[0][7] = "不存在.docx"
    output = refused(write_register(tmp_path / "r.csv", rows), files)
    assert "Row 2 (A01): the file “不存在.docx” does not exist" in output


def test_number_of_a_deleted_draft_is_refused(tmp_path, library, departments):
    factories.document("procedure", "已删除的草稿", number="B05").delete()
    output = refused(write_register(tmp_path / "r.csv", ROWS))
    assert "Row 4 (B05): the number B05 was used before (by a deleted draft)" in output


def test_user_without_permission_is_refused(tmp_path, library, departments, staff_user):
    output = refused(write_register(tmp_path / "r.csv", ROWS), user="staff")
    assert "staff may not create documents in the library." in output


def test_import_as_a_document_controller(tmp_path, library, departments, controller):
    run(write_register(tmp_path / "r.csv", ROWS), user="controller")
    procedure = DocumentPage.objects.get(number="B05")
    assert procedure.issues.get().issued_by == controller
    entry = PageLogEntry.objects.get(page=procedure, action="shoukong.documents.import")
    assert entry.user == controller


def test_unknown_user(tmp_path, library, departments):
    assert "There is no user “nobody”" in refused(
        write_register(tmp_path / "r.csv", ROWS), user="nobody"
    )


def test_a_failure_while_writing_rolls_everything_back(
    tmp_path, files, library, departments, monkeypatch, settings
):
    real_issue_create = services.issue_create
    calls = []

    def failing_issue_create(**kwargs):
        calls.append(kwargs["document"].number)
        if len(calls) == 3:
            raise services.ValidationError("磁盘已满")
        return real_issue_create(**kwargs)

    monkeypatch.setattr(services, "issue_create", failing_issue_create)
    media = Path(settings.MEDIA_ROOT)
    files_before = {p for p in media.rglob("*") if p.is_file()}

    output = refused(write_register(tmp_path / "r.csv", ROWS), files)

    assert calls == ["A01", "B05", "C0501"]  # B05's source was stored by then
    assert "Row 5 (C0501): 磁盘已满" in output and "rolled back" in output
    assert get_document_model().objects.count() == 0
    assert {p for p in media.rglob("*") if p.is_file()} == files_before


# --- Numbers, parents, kinds --------------------------------------------------------


def test_rows_without_numbers_get_the_next_numbers(tmp_path, library, departments):
    rows = [
        r(",新程序,程序文件,,技术部,A,2022-08-01,,"),
        r("B05,文件控制程序,二级文件,,行政部,A,2022-08-01,,"),
        r(",新表单,表单,B05,行政部,A,2022-08-01,,"),
        r("D0507,备份记录,四级文件,B05,行政部,A,2022-08-01,,"),
        r(",新指导书,作业指导书,B05,技术部,,,,"),
    ]
    run(write_register(tmp_path / "r.csv", rows))
    numbers = dict(DocumentPage.objects.values_list("title", "number"))
    assert numbers == {
        "新程序": "B06",
        "文件控制程序": "B05",
        "新表单": "D0508",
        "备份记录": "D0507",
        "新指导书": "C0501",
    }
    # Running it again recognises the unnumbered rows.
    assert "Nothing to import: all 5 documents" in run(
        write_register(tmp_path / "r.csv", rows)
    )


def test_parent_already_in_the_library(tmp_path, library, departments, procedure):
    rows = [r("D0501,受控文件清单,表单,B05,行政部,A,2022-08-01,,")]
    run(write_register(tmp_path / "r.csv", rows))
    form = DocumentPage.objects.get(number="D0501")
    assert form.get_parent().specific.number == "B05"


def test_external_documents_need_an_issuer(tmp_path, library, departments):
    headings = [*HEADINGS, "来源"]
    rows = [
        r("GB/T 24405.1-2009,信息技术 服务管理 第1部分：规范,外来文件,,技术部,,"
          "2009-09-30,,,国家标准化管理委员会"),
        r(",客户技术要求,外来文件,,市场部,,,,,"),
    ]  # fmt: skip
    output = refused(write_register(tmp_path / "r.csv", rows, headings=headings))
    assert "Row 3 (客户技术要求): an external document needs its issuer" in output

    run(write_register(tmp_path / "r.csv", rows[:1], headings=headings))
    page = ExternalDocumentPage.objects.get()
    assert page.issuer == "国家标准化管理委员会"
    assert page.reference == "GB/T 24405.1-2009"
    assert page.get_parent().specific == services.external_register()
    assert not page.issues.exists()
    # Registered, so staff can read it; never issued.
    assert page.live
    assert DocumentPage.objects.visible_to_staff().filter(pk=page.pk).exists()


# --- Sources and audit trail ---------------------------------------------------


def test_pdf_source_and_audit_entries(tmp_path, files, library, departments):
    (files / "A01.pdf").write_bytes(
        filefactories.make_pdf([["服务管理手册", "目的：说明管理体系。"]], cjk=True)
    )
    rows = [list(r) for r in ROWS]
    rows[0][7] = "A01.pdf"
    run(write_register(tmp_path / "register.xlsx", rows), files)

    manual = DocumentPage.objects.get(number="A01")
    assert "管理体系" in manual.source_text
    assert manual.issues.get().source_text == manual.source_text
    procedure = DocumentPage.objects.get(number="B05")
    actions = set(
        PageLogEntry.objects.filter(page=procedure).values_list("action", flat=True)
    )
    assert {
        "wagtail.create",
        "shoukong.documents.attach_source",
        "shoukong.documents.issue",
        "shoukong.documents.import",
    } <= actions
    entry = PageLogEntry.objects.get(page=procedure, action="shoukong.documents.import")
    assert entry.data == {"register": "register.xlsx", "row": 4}
    assert procedure.source_file is not None
    with procedure.source_file.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == procedure.source_sha256


def test_imported_documents_are_searchable_and_their_references_indexed(
    tmp_path, files, library, departments
):
    rows = [
        *ROWS,
        r("B06,Backup Verification Procedure,二级文件,,技术部,A,2022-08-01,,"),
    ]
    run(write_register(tmp_path / "register.xlsx", rows), files)

    backup = DocumentPage.objects.get(number="B06")
    found = DocumentPage.objects.search("backup verification")
    assert [page.pk for page in found] == [backup.pk]
    procedure = DocumentPage.objects.get(number="B05")
    assert ReferenceIndex.get_references_for_object(procedure).exists()
    assert ReferenceIndex.get_references_to(procedure.source_file).exists()


# --- Retention of a form's records ------------------------------------------------


@pytest.mark.parametrize(
    ("period", "warned"),
    [("按合同", True), ("3年", False), ("永久", False), ("离职后1年", False)],
)
def test_unreadable_retention_of_a_form_is_a_warning(
    tmp_path, library, departments, settings, period, warned
):
    settings.SHOUKONG_RECORDS_DEFAULT_RETENTION = "5年"
    rows = [
        # Only forms have records: a procedure's wording is not read.
        r("B05,文件控制程序,二级文件,,行政部,A,2022-08-01,,长期"),
        r(f"D0503,合同评审记录,四级文件,B05,行政部,A,2022-08-01,,{period}"),
    ]
    output = run(write_register(tmp_path / "r.csv", rows))

    warning = (
        "Row 3 (D0503): the retention period “按合同” was not understood: its "
        "records will be kept for the default retention period (5年)."
    )
    assert (warning in output) is warned, output
    assert ("retention period" in output) is warned, output
    # A warning, not an error: the form is imported with its wording as written.
    assert DocumentPage.objects.get(number="D0503").retention_period == period
    assert "created 2, unchanged 0" in output

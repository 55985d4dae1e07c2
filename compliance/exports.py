"""The coverage view as downloads: an .xlsx workbook of the four lists and of
every clause, and the statement of applicability (适用性声明) as .docx.

Both are built from the rows of :func:`compliance.coverage.clause_rows`, the
ones the page shows, so a download never says something the page does not.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.http import HttpResponse
from django.utils.encoding import force_str
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .coverage import ClauseRow, DocumentRef
from .models import Standard

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_CONTENT_TYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)

# The files keep the names the company's documentation uses, whatever the
# reader's language (like role names): the headers encode them (RFC 5987).
COVERAGE_FILENAME = "条款覆盖情况"
APPLICABILITY_FILENAME = "适用性声明"

__all__ = [
    "DOCX_CONTENT_TYPE",
    "XLSX_CONTENT_TYPE",
    "applicability_docx",
    "coverage_xlsx",
    "download",
]


# --- How a row reads -----------------------------------------------------------------


def document_text(ref: DocumentRef) -> str:
    """``B05 文件控制程序 A``: number, title and the issue in force."""
    issue = ref.issue
    parts = [ref.number, ref.title, issue.label if issue else ""]
    return " ".join(part for part in parts if part)


def documents_text(row: ClauseRow) -> str:
    return "\n".join(document_text(ref) for ref in row.documents)


def primary_text(row: ClauseRow) -> str:
    return row.primary.name if row.primary else ""


def supporting_text(row: ClauseRow) -> str:
    return "、".join(d.name for d in row.supporting)


def gaps_text(row: ClauseRow) -> str:
    if not row.applicable:
        return ""
    gaps = []
    if row.no_procedure:
        gaps.append(_("No effective procedure"))
    if row.only_overdue:
        gaps.append(_("Documents overdue for review"))
    if row.not_audited:
        gaps.append(_("Not audited recently"))
    if row.open_nonconformities:
        gaps.append(_("Open nonconformities"))
    return "; ".join(gaps)


def applicability_text(row: ClauseRow) -> str:
    if row.applicable:
        return _("Applicable")
    return _("Not applicable: %(why)s") % {"why": row.justification}


def overdue_text(row: ClauseRow) -> str:
    return "\n".join(
        f"{document_text(ref)} ({ref.next_review_due:%Y-%m-%d})"
        for ref in row.documents
        if ref.is_controlled and ref.next_review_due
    )


# --- .xlsx ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    heading: Any
    width: int
    value: Callable[[ClauseRow], Any]


CLAUSE = Column(gettext_lazy("Clause"), 10, lambda r: r.clause.ref_id)
TITLE = Column(gettext_lazy("Title"), 30, lambda r: r.clause.title_zh)
TITLE_EN = Column(gettext_lazy("English title"), 36, lambda r: r.clause.title_en)
PRIMARY = Column(gettext_lazy("Primary department ★"), 14, primary_text)
SUPPORTING = Column(gettext_lazy("Supporting departments ☆"), 20, supporting_text)
DOCUMENTS = Column(gettext_lazy("Documents"), 44, documents_text)
OPEN_NCS = Column(
    gettext_lazy("Open nonconformities"), 12, lambda r: r.open_nonconformities
)
LAST_AUDITED = Column(gettext_lazy("Last audited"), 14, lambda r: r.last_audited)

SHEETS: tuple[tuple[Any, Callable[[ClauseRow], bool], tuple[Column, ...]], ...] = (
    (
        gettext_lazy("No procedure"),
        lambda r: r.no_procedure,
        (CLAUSE, TITLE, PRIMARY, DOCUMENTS),
    ),
    (
        gettext_lazy("Overdue for review"),
        lambda r: r.applicable and r.only_overdue,
        (
            CLAUSE,
            TITLE,
            PRIMARY,
            Column(gettext_lazy("Documents (review due)"), 50, overdue_text),
        ),
    ),
    (
        gettext_lazy("Not audited"),
        lambda r: r.applicable and r.not_audited,
        (CLAUSE, TITLE, PRIMARY, LAST_AUDITED),
    ),
    (
        gettext_lazy("Open nonconformities"),
        lambda r: r.open_nonconformities > 0,
        (CLAUSE, TITLE, PRIMARY, OPEN_NCS),
    ),
)

ALL_COLUMNS: tuple[Column, ...] = (
    CLAUSE,
    TITLE,
    TITLE_EN,
    Column(gettext_lazy("Applicability"), 20, applicability_text),
    DOCUMENTS,
    PRIMARY,
    SUPPORTING,
    OPEN_NCS,
    LAST_AUDITED,
    Column(gettext_lazy("Gaps"), 40, gaps_text),
)


def _sheet_title(title: Any) -> str:
    text = force_str(title)
    for char in "[]:*?/\\":
        text = text.replace(char, " ")
    return text[:31]


def _write_sheet(workbook, title: Any, columns: Sequence[Column], rows: Iterable):
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title=_sheet_title(title))
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=force_str(column.heading))
        cell.font, cell.fill = bold, fill
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    for line, row in enumerate(rows, start=2):
        for index, column in enumerate(columns, start=1):
            value = column.value(row)
            cell = sheet.cell(row=line, column=index, value=value)
            if isinstance(value, str):
                # Text, never a formula (spreadsheet injection).
                cell.data_type = "s"
                cell.alignment = wrap
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
    return sheet


def coverage_xlsx(rows: list[ClauseRow], *, standard: Standard, today: date) -> bytes:
    """The four coverage lists, one sheet each, and a sheet of every clause
    with its documents, departments, open nonconformities and gaps."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, wanted, columns in SHEETS:
        _write_sheet(workbook, title, columns, [r for r in rows if wanted(r)])
    _write_sheet(workbook, gettext_lazy("All clauses"), ALL_COLUMNS, rows)
    workbook.properties.title = _("Clause coverage: %(standard)s") % {
        "standard": standard.code
    }
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


# --- .docx ---------------------------------------------------------------------------


def applicability_docx(
    rows: list[ClauseRow], *, standard: Standard, today: date
) -> bytes:
    """The statement of applicability: each clause, whether it applies (and
    why not), the documents that answer it and the department responsible."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    document.core_properties.title = _("Statement of applicability")
    document.add_heading(_("Statement of applicability"), level=0)
    document.add_paragraph(
        _("Standard: %(code)s %(title)s")
        % {"code": standard.code, "title": standard.title_zh}
    )
    document.add_paragraph(_("Date: %(date)s") % {"date": f"{today:%Y-%m-%d}"})

    headings = [
        _("Clause"),
        _("Title"),
        _("Applicable"),
        _("Documents answering the clause"),
        _("Responsible department ★"),
    ]
    table = document.add_table(rows=1, cols=len(headings))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headings, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for row in rows:
        if row.applicable:
            applies = _("Applicable")
        else:
            applies = _("Not applicable") + "\n" + row.justification
        values = [
            row.clause.ref_id,
            row.clause.title_zh,
            applies,
            documents_text(row) or "—",
            primary_text(row) or "—",
        ]
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
    for row_ in table.rows:
        for cell in row_.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


# --- The download --------------------------------------------------------------------


def download(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    """``content`` as an attachment; the name is RFC 5987 encoded, so a Chinese
    name survives every browser."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response

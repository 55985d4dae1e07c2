"""The register of controlled documents (受控文件清单): rows and exports.

One row per document, with the columns of the customer's 文件目录清单 (type, name,
number, version, publish date, description, storage location, retention period)
plus the owning department and status. The same rows feed the front-end register,
its .xlsx/.csv exports, the library listing and the admin report.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from . import dates
from .library import group_key, in_library_order
from .lifecycle import DocumentKind, DocumentStatus, IssueStatus, Tier

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
EXPORT_FORMATS = ("xlsx", "csv")


@dataclass(frozen=True)
class Column:
    attr: str
    heading: Any  # lazy translation: resolved in the language of the request
    width: int = 14  # characters, for the .xlsx sheet


# The customer's 文件目录清单 columns, in their order, then two of Shoukong's.
COLUMNS: tuple[Column, ...] = (
    Column("type_label", pgettext_lazy("register", "Type"), 18),
    Column("title", pgettext_lazy("register", "Name"), 36),
    Column("number", pgettext_lazy("register", "Number"), 16),
    Column("version", pgettext_lazy("register", "Version"), 10),
    Column("publish_date", pgettext_lazy("register", "Publish date"), 12),
    Column("description", pgettext_lazy("register", "Description"), 40),
    Column("storage_location", pgettext_lazy("register", "Storage location"), 20),
    Column("retention_period", pgettext_lazy("register", "Retention period"), 14),
    Column("department", pgettext_lazy("register", "Department"), 12),
    Column("status_label", pgettext_lazy("register", "Status"), 10),
)


@dataclass(frozen=True)
class RegisterRow:
    """What the library and the register show of one document."""

    pk: int
    number: str
    title: str
    kind: str
    tier: int | None
    group: str
    type_label: str
    status: str
    status_label: str
    department_id: int | None
    department: str
    issue_label: str
    version: str
    publish_date: date | None
    effective_date: date | None
    next_review_due: date | None
    description: str
    storage_location: str
    retention_period: str
    url: str | None

    @property
    def is_obsolete(self) -> bool:
        return self.status == DocumentStatus.OBSOLETE

    def __getitem__(self, name: str) -> Any:
        # Django templates try ``row[name]`` before ``row.name``; answering it
        # spares an exception per cell, which is most of the time a listing of
        # a few hundred rows takes to render.
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None

    # Dates as shown in listings, so templates need no filters per cell.
    @property
    def publish_date_text(self) -> str:
        return self.publish_date.isoformat() if self.publish_date else "—"

    @property
    def next_review_due_text(self) -> str:
        return self.next_review_due.isoformat() if self.next_review_due else "—"

    @property
    def review_overdue(self) -> bool:
        """Past its review date (at least every three years, seed 004 §1.10)."""
        return bool(
            self.next_review_due and self.next_review_due < timezone.localdate()
        )


def type_label(*, tier: int | None, kind: str) -> str:
    """文档类型: the tier (一级 · 手册 …) or, for unnumbered documents, the kind."""
    if tier:
        return force_str(Tier(tier).label)
    try:
        return force_str(DocumentKind(kind).label)
    except ValueError:
        return kind


# Plain values, not page objects: building a page object costs more than the
# rest of a listing row (a Wagtail page has some forty fields and a cluster).
PAGE_VALUES = (
    "pk",
    "number",
    "title",
    "kind",
    "tier",
    "status",
    "department_id",
    "department__name",
    "description",
    "storage_location",
    "retention_period",
    "externaldocumentpage__edition",
)
# Index 5, the issued title, is what the register names the document: what was
# approved, not whatever the page holds since (the live page may be ahead).
ISSUE_VALUES = (
    "document_id",
    "label",
    "status",
    "publish_date",
    "effective_date",
    "title",
)


def _issues_by_document(queryset) -> dict[int, list[tuple]]:
    """Issues of the documents of ``queryset``, newest first; one query."""
    from .models import DocumentIssue

    issues: dict[int, list[tuple]] = {}
    rows = (
        DocumentIssue.objects.filter(document__in=queryset.order_by().values("pk"))
        .newest_first()
        .values_list(*ISSUE_VALUES)
    )
    for row in rows:
        issues.setdefault(row[0], []).append(row)
    return issues


def _page_urls(pks: list[int], request=None) -> dict[int, str | None]:
    """Wagtail URLs of unnumbered documents (external, other); one query."""
    if not pks:
        return {}
    from .models import DocumentPage

    pages = DocumentPage.objects.filter(pk__in=pks).defer("body", "source_text")
    return {page.pk: page.get_url(request) for page in pages}


def build_rows(queryset, request=None, *, group: str = "tier") -> list[RegisterRow]:
    """Rows for the documents of ``queryset`` (a ``DocumentPage`` queryset), in
    library order (see :func:`documents.library.in_library_order`).

    Two queries, three when unnumbered documents are among them, however many
    documents there are.
    """
    queryset = queryset.prefetch_related(None).order_by()
    records = list(in_library_order(queryset, group=group).values(*PAGE_VALUES))
    if not records:
        return []
    issues = _issues_by_document(queryset)
    urls = _page_urls([r["pk"] for r in records if not r["number"]], request)
    # One placeholder URL, filled in per row: reverse() per row costs more.
    placeholder = "NUMBER0"
    detail_url = reverse("documents:detail", kwargs={"number": placeholder})
    period = settings.SHOUKONG_REVIEW_PERIOD_YEARS
    type_labels: dict[tuple, str] = {}
    status_labels: dict[str, str] = {}
    rows = []
    for r in records:
        document_issues = issues.get(r["pk"], ())
        effective = next(
            (i for i in document_issues if i[2] == IssueStatus.EFFECTIVE), None
        )
        shown = effective or (document_issues[0] if document_issues else None)
        label = shown[1] if shown else ""
        kind_key = (r["tier"], r["kind"])
        if kind_key not in type_labels:
            type_labels[kind_key] = type_label(tier=r["tier"], kind=r["kind"])
        if r["status"] not in status_labels:
            status_labels[r["status"]] = force_str(DocumentStatus(r["status"]).label)
        # Same rule as DocumentPage.next_review_due, from the effective issue.
        due = (
            dates.review_due(effective[3], period_years=period)
            if effective and r["status"] == DocumentStatus.CONTROLLED
            else None
        )
        number = r["number"] or ""
        rows.append(
            RegisterRow(
                pk=r["pk"],
                number=number,
                # The issued title; registered documents that are never issued
                # (external, other) show the page's own.
                title=shown[5] if shown else r["title"],
                kind=r["kind"],
                tier=r["tier"],
                group=group_key(tier=r["tier"], kind=r["kind"]),
                type_label=type_labels[kind_key],
                status=r["status"],
                status_label=status_labels[r["status"]],
                department_id=r["department_id"],
                department=r["department__name"] or "",
                issue_label=label,
                # External documents are registered, not issued: their edition
                # is their version.
                version=label or r["externaldocumentpage__edition"] or "",
                publish_date=shown[3] if shown else None,
                effective_date=shown[4] if shown else None,
                next_review_due=due,
                description=r["description"],
                storage_location=r["storage_location"],
                retention_period=r["retention_period"],
                url=(
                    detail_url.replace(placeholder, quote(number))
                    if number
                    else urls.get(r["pk"])
                ),
            )
        )
    return rows


# --- Exports -----------------------------------------------------------------------


def headings() -> list[str]:
    return [force_str(column.heading) for column in COLUMNS]


def _cell(value: Any) -> Any:
    return "" if value is None else value


def _csv_cell(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    text = force_str(_cell(value))
    # A cell starting with =, +, - or @ is a formula to Excel (CSV injection).
    if text[:1] in ("=", "+", "-", "@") and text != "-":
        text = "'" + text
    return text


def to_csv(rows: Sequence[RegisterRow]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headings())
    for row in rows:
        writer.writerow([_csv_cell(getattr(row, c.attr)) for c in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows: Sequence[RegisterRow], *, title: str | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    # Sheet names can't hold []:*?/\ and stop at 31 characters.
    sheet.title = (title or _("Document register"))[:31]
    sheet.append(headings())
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE6F0")
    for cell in sheet[1]:
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center")
    for row in rows:
        values = []
        for column in COLUMNS:
            values.append(_cell(getattr(row, column.attr)))
        sheet.append(values)
        # Never let a title or description be read as a formula: openpyxl
        # writes a text starting with "=" as one; a string cell keeps the text
        # exactly as typed, with no visible apostrophe.
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        if column.attr in ("publish_date",):
            for cell in sheet[letter][1:]:
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def export_basename(*, today: date | None = None) -> str:
    """受控文件清单-YYYYMMDD (the name in the active language)."""
    today = today or timezone.localdate()
    return f"{_('Document register')}-{today:%Y%m%d}"


def export_filename(extension: str, *, today: date | None = None) -> str:
    return f"{export_basename(today=today)}.{extension}"


def attachment_header(filename: str, *, fallback: str) -> str:
    """Content-Disposition with an ASCII fallback and the real name (RFC 5987)."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def export_response(rows: Sequence[RegisterRow], export_format: str) -> HttpResponse:
    """The register as an .xlsx or .csv download."""
    today = timezone.localdate()
    if export_format == "xlsx":
        content, content_type = to_xlsx(rows), XLSX_CONTENT_TYPE
    elif export_format == "csv":
        content, content_type = to_csv(rows), CSV_CONTENT_TYPE
    else:
        raise ValueError(export_format)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = attachment_header(
        export_filename(export_format, today=today),
        fallback=f"document-register-{today:%Y%m%d}.{export_format}",
    )
    return response

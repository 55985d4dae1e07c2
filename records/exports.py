"""The records list (记录清单) and the list of records as .xlsx downloads.

The rows are the ones the page shows, filtered by the same visibility rules;
the export of records is capped at :data:`MAX_EXPORT_ROWS` rows (the sheet says
so in its last row when the cap is reached), written with openpyxl's
write-only workbook so memory stays flat.

Exporting is logged (``shoukong.records.export``). No record is the natural
subject of an export, so the entry goes on the exporting user's staff profile
(the user itself when there is none): the admin's History of that profile shows
what each person exported, with the filters and the number of rows.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.http import HttpResponse
from django.utils.encoding import force_str
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

MAX_EXPORT_ROWS = 10_000
"""Most records one export holds; narrower filters export the rest. Writing
.xlsx costs ~10 µs a cell: 10,000 rows take a few seconds."""


@dataclass(frozen=True)
class Column:
    key: str
    heading: Any
    width: int


RECORD_COLUMNS: tuple[Column, ...] = (
    Column("number", gettext_lazy("Record number"), 28),
    Column("form", gettext_lazy("Form"), 12),
    Column("title", gettext_lazy("Form title"), 28),
    Column("issue", gettext_lazy("Issue"), 8),
    Column("record_date", gettext_lazy("Record date"), 12),
    Column("department", gettext_lazy("Department"), 12),
    Column("status_label", gettext_lazy("Status"), 14),
    Column("retention", gettext_lazy("Retained until"), 16),
    Column("filled_by", gettext_lazy("Filled by"), 14),
)

TYPE_COLUMNS: tuple[Column, ...] = (
    Column("number", gettext_lazy("Form"), 12),
    Column("title", gettext_lazy("Form title"), 28),
    Column("status_label", gettext_lazy("Status"), 10),
    Column("issue", gettext_lazy("Issue"), 8),
    Column("department", gettext_lazy("Owning department"), 14),
    Column("custodian", gettext_lazy("Custodian department"), 16),
    Column("retention", gettext_lazy("Retention period"), 14),
    Column("retention_source", gettext_lazy("Retention from"), 16),
    Column("confidential", gettext_lazy("Confidential"), 10),
    Column("storage_location", gettext_lazy("Storage location"), 20),
    Column("kept", gettext_lazy("Records kept"), 10),
)


def _safe(sheet, value: Any) -> Any:
    """A value as appended: text that starts with "=" becomes a text cell,
    never a formula (spreadsheet injection). Dates get openpyxl's
    ``yyyy-mm-dd`` format by themselves."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def to_xlsx(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    title: str,
    cap: int | None = None,
) -> tuple[bytes, int, bool]:
    """An .xlsx of ``rows`` (dicts keyed by the columns' keys): the content, the
    number of rows written and whether ``cap`` cut the list short."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    from openpyxl.cell import WriteOnlyCell

    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=force_str(column.heading))
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        header.append(cell)
    sheet.append(header)
    written = 0
    truncated = False
    for row in rows:
        if cap is not None and written >= cap:
            truncated = True
            break
        sheet.append([_safe(sheet, row.get(c.key)) for c in columns])
        written += 1
    if truncated:
        sheet.append(
            [
                _safe(
                    sheet,
                    _(
                        "Only the first %(count)s rows are exported; narrow the "
                        "filters to export the rest."
                    )
                    % {"count": cap},
                )
            ]
        )
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue(), written, truncated


def xlsx_response(content: bytes, *, name: str, today: date) -> HttpResponse:
    """The workbook as a download named ``<name>-YYYYMMDD.xlsx``."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{name}-{today:%Y%m%d}.xlsx"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def export_log(user, *, what: str, rows: int, truncated: bool, filters: dict) -> None:
    """Note who exported which rows (``shoukong.records.export``)."""
    subject = getattr(user, "staff_profile", None) or user
    log(
        instance=subject,
        action="shoukong.records.export",
        user=user,
        data={
            "what": what,
            "rows": rows,
            "truncated": truncated,
            "filters": {k: str(v) for k, v in filters.items() if v not in ("", None)},
        },
    )

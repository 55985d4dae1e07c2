"""The improvement action status report (改进措施实施情况报告) that 行政部
prepares before each management review: every action raised in a period, its
owner, due and completion dates and verification result, with the counts
(corrective and preventive action procedure: the report before the
management review; ISO/IEC 20000-1:2018 9.3, 10.1).

:func:`improvement_report` reads; :func:`improvement_report_docx` and
:func:`improvement_report_xlsx` write the same report as files. Pure of
requests: the view and any script call the same functions.
"""

from __future__ import annotations

import io
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .lifecycle import NonconformityStatus as S
from .models import Implementation, Nonconformity, Verification

__all__ = [
    "DOCX_CONTENT_TYPE",
    "ImprovementReport",
    "ReportRow",
    "ReportTotals",
    "filename",
    "improvement_report",
    "improvement_report_docx",
    "improvement_report_xlsx",
    "local_date",
    "report_period",
]

DOCX_CONTENT_TYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)

EFFECTIVE = "effective"
NOT_EFFECTIVE = "not_effective"
NOT_YET = "not_yet"
NOT_REQUIRED = "not_required"


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.SHOUKONG_COMPANY_TIME_ZONE)


def local_date(moment: datetime | None) -> date | None:
    """The company's calendar day of ``moment``."""
    return moment.astimezone(_zone()).date() if moment is not None else None


# --- The period -------------------------------------------------------------------


def default_period(today: date) -> tuple[date, date]:
    """The last twelve months, today included."""
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    return start + timedelta(days=1), today


def _parse(raw: str, label: str) -> date:
    try:
        value = date.fromisoformat(raw.strip())
        if not 1900 <= value.year <= 9998:
            raise ValueError
        return value
    except ValueError:
        raise ValidationError(
            _("%(label)s: “%(value)s” is not a date; write it as YYYY-MM-DD.")
            % {"label": label, "value": raw.strip()[:20]}
        ) from None


def report_period(
    raw_from: str | None, raw_to: str | None, *, today: date
) -> tuple[date, date]:
    """The period asked for (empty: the last twelve months), or a clear
    refusal for a date that does not exist or a period that ends before it
    starts."""
    default_from, default_to = default_period(today)
    errors = []
    date_from, date_to = default_from, default_to
    if (raw_from or "").strip():
        try:
            date_from = _parse(raw_from, _("From"))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if (raw_to or "").strip():
        try:
            date_to = _parse(raw_to, _("To"))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if not errors and date_from > date_to:
        errors.append(
            _("The period starts (%(start)s) after it ends (%(end)s).")
            % {"start": date_from.isoformat(), "end": date_to.isoformat()}
        )
    if errors:
        raise ValidationError(errors)
    return date_from, date_to


# --- The report -------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    number: str
    url: str
    kind: str
    source: str
    source_reference: str
    clause: str
    title: str
    grade: str
    department: str
    raised_on: date
    owner: str
    due_date: date | None
    completed_on: date | None
    verification: str  # effective | not_effective | not_yet | not_required
    verification_label: str
    verified_on: date | None
    verified_by: str
    rounds: int
    status: str
    status_label: str
    overdue: bool


@dataclass(frozen=True)
class ReportTotals:
    issued: int
    closed: int
    open: int
    overdue: int
    verified: int
    effective: int
    not_effective_verifications: int

    @property
    def effective_rate(self) -> int | None:
        """Actions verified effective, in percent of the actions verified."""
        if not self.verified:
            return None
        return round(100 * self.effective / self.verified)


@dataclass(frozen=True)
class ImprovementReport:
    date_from: date
    date_to: date
    today: date
    rows: list[ReportRow]
    totals: ReportTotals

    @property
    def overdue_rows(self) -> list[ReportRow]:
        return [row for row in self.rows if row.overdue]


def _name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _verification_labels() -> dict[str, str]:
    return {
        EFFECTIVE: pgettext("verification", "Effective"),
        NOT_EFFECTIVE: _("Not effective"),
        NOT_YET: _("Not yet verified"),
        NOT_REQUIRED: _("No action required"),
    }


def _row(nc: Nonconformity, today: date, labels: dict[str, str]) -> ReportRow:
    implementations = sorted(nc.implementations.all(), key=lambda i: i.round)
    verifications = {v.implementation_id: v for v in nc.verifications.all()}
    latest = implementations[-1] if implementations else None
    verification = verifications.get(latest.pk) if latest is not None else None
    if verification is not None:
        result = EFFECTIVE if verification.effective else NOT_EFFECTIVE
    elif latest is None and nc.status == S.CLOSED:
        result = NOT_REQUIRED
    else:
        result = NOT_YET
    return ReportRow(
        number=nc.number,
        url=nc.get_absolute_url(),
        kind=force_str(nc.get_kind_display()),
        source=force_str(nc.get_source_display()),
        source_reference=nc.source_reference,
        clause=nc.clause.ref_id if nc.clause else "",
        title=nc.title,
        grade=nc.grade.name,
        department=nc.department.name,
        raised_on=local_date(nc.raised_at),
        owner=_name(nc.owner),
        due_date=nc.due_date,
        completed_on=nc.implemented_on,
        verification=result,
        verification_label=labels[result],
        verified_on=local_date(verification.verified_at) if verification else None,
        verified_by=_name(verification.verified_by) if verification else "",
        rounds=len(implementations),
        status=nc.status,
        status_label=force_str(nc.get_status_display()),
        overdue=nc.is_overdue(today),
    )


def improvement_report(
    date_from: date, date_to: date, today: date
) -> ImprovementReport:
    """Every nonconformity and potential one raised from ``date_from`` to
    ``date_to`` (company days, both included), except those cancelled as
    raised in error, oldest first."""
    zone = _zone()
    start = datetime.combine(date_from, time.min, tzinfo=zone)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)
    queryset = (
        Nonconformity.objects.filter(raised_at__gte=start, raised_at__lt=end)
        .exclude(status=S.CANCELLED)
        .for_listing()
        .prefetch_related(
            Prefetch(
                "implementations",
                queryset=Implementation.objects.only("pk", "round", "nonconformity_id"),
            ),
            Prefetch(
                "verifications",
                queryset=Verification.objects.select_related("verified_by"),
            ),
        )
        .order_by("raised_at", "id")
    )
    labels = _verification_labels()
    rows = [_row(nc, today, labels) for nc in queryset]
    not_effective = sum(
        1 for nc in queryset for v in nc.verifications.all() if not v.effective
    )
    totals = ReportTotals(
        issued=len(rows),
        closed=sum(1 for r in rows if r.status == S.CLOSED),
        open=sum(1 for r in rows if r.status not in (S.CLOSED, S.CANCELLED)),
        overdue=sum(1 for r in rows if r.overdue),
        verified=sum(1 for r in rows if r.verification in (EFFECTIVE, NOT_EFFECTIVE)),
        effective=sum(1 for r in rows if r.verification == EFFECTIVE),
        not_effective_verifications=not_effective,
    )
    return ImprovementReport(date_from, date_to, today, rows, totals)


def filename(report: ImprovementReport, extension: str) -> str:
    return (
        f"{_('Improvement action status report')}-"
        f"{report.date_from:%Y%m%d}-{report.date_to:%Y%m%d}.{extension}"
    )


# --- Files ------------------------------------------------------------------------


def _columns() -> list[tuple[str, str]]:
    """The report's table: (attribute, heading)."""
    return [
        ("number", _("Number")),
        ("source", _("Source")),
        ("clause", _("Clause")),
        ("department", _("Department")),
        ("title", _("Summary")),
        ("raised_on", _("Issued on")),
        ("owner", _("Owner")),
        ("due_date", _("Due date")),
        ("completed_on", _("Completed on")),
        ("verification_label", _("Verification result")),
        ("status_label", _("Status")),
        ("overdue_text", _("Overdue")),
    ]


def _value(row: ReportRow, key: str):
    if key == "overdue_text":
        return _("Overdue") if row.overdue else ""
    return getattr(row, key)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _summary(report: ImprovementReport) -> list[tuple[str, str]]:
    totals = report.totals
    rate = totals.effective_rate
    return [
        (_("Actions issued"), str(totals.issued)),
        (_("Closed"), str(totals.closed)),
        (pgettext("nonconformity", "Open"), str(totals.open)),
        (_("Overdue"), str(totals.overdue)),
        (_("Verified"), str(totals.verified)),
        (_("Verified effective"), str(totals.effective)),
        (
            _("Verifications found not effective"),
            str(totals.not_effective_verifications),
        ),
        (_("Effective rate"), f"{rate}%" if rate is not None else "—"),
    ]


def _title(report: ImprovementReport) -> tuple[str, str]:
    return (
        _("Improvement action status report"),
        _("Actions raised from %(start)s to %(end)s; status on %(today)s.")
        % {
            "start": report.date_from.isoformat(),
            "end": report.date_to.isoformat(),
            "today": report.today.isoformat(),
        },
    )


def improvement_report_docx(report: ImprovementReport) -> bytes:
    """The report as a Word document (A4 landscape)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    normal = document.styles["Normal"]
    normal.font.size = Pt(9)
    # Chinese text needs an East Asian font, or Word falls back to one that
    # may lack the characters.
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")

    title, period = _title(report)
    document.add_heading(title, level=1)
    document.add_paragraph(period)

    document.add_heading(_("Summary"), level=2)
    summary = document.add_table(rows=0, cols=2)
    summary.style = "Table Grid"
    for label, value in _summary(report):
        cells = summary.add_row().cells
        cells[0].text, cells[1].text = label, value

    document.add_heading(_("Actions"), level=2)
    columns = _columns()
    if report.rows:
        table = document.add_table(rows=1, cols=len(columns))
        table.style = "Table Grid"
        for cell, (_key, heading) in zip(table.rows[0].cells, columns, strict=True):
            cell.text = heading
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in report.rows:
            cells = table.add_row().cells
            for cell, (key, _heading) in zip(cells, columns, strict=True):
                cell.text = _text(_value(row, key))
    else:
        document.add_paragraph(_("No action was raised in this period."))

    overdue = report.overdue_rows
    if overdue:
        document.add_heading(_("Overdue actions"), level=2)
        document.add_paragraph(
            _(
                "For 管理者代表: have each department analyse why and set a new "
                "due date."
            )
        )
        for row in overdue:
            document.add_paragraph(
                _("%(number)s %(title)s — %(department)s, %(owner)s, due %(due)s")
                % {
                    "number": row.number,
                    "title": row.title,
                    "department": row.department,
                    "owner": row.owner or "—",
                    "due": _text(row.due_date),
                },
                style="List Bullet",
            )

    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def _safe(cell) -> None:
    """Text that looks like a formula stays text (spreadsheet injection)."""
    if isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@"):
        cell.data_type = "s"


def improvement_report_xlsx(report: ImprovementReport) -> bytes:
    """The report as a workbook: the actions, then the summary."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Actions")[:31]
    title, period = _title(report)
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([period])
    columns = _columns()
    sheet.append([heading for _key, heading in columns])
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
    widths = (14, 16, 8, 10, 36, 12, 12, 12, 12, 14, 16, 8)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{header_row + 1}"
    for row in report.rows:
        sheet.append([_value(row, key) for key, _heading in columns])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            _safe(cell)

    summary = workbook.create_sheet(_("Summary")[:31])
    summary.column_dimensions["A"].width = 32
    summary.column_dimensions["B"].width = 12
    summary.append([title])
    summary.append([period])
    for label, value in _summary(report):
        summary.append([label, value])

    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()

"""Writing the audit documents: text a .docx can carry, the company's fonts,
dates in the company's time zone, and grid tables written straight into the
XML (python-docx's own row API is quadratic; a checklist may have thousands of
items). Also the head every audit document shares."""

from __future__ import annotations

import io
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.conf import settings
from django.db.models import Prefetch
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from ..lifecycle import TeamRole
from ..models import Audit, AuditTeamMember
from ..services._common import display_name

__all__ = [
    "DASH",
    "DOCX_CONTENT_TYPE",
    "Docx",
    "audit_fields",
    "audit_with_scope",
    "clause_text",
    "clean",
    "day",
    "departments_text",
    "localized_title",
    "names",
    "planned_dates",
    "team",
    "team_queryset",
    "when",
]

DOCX_CONTENT_TYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)

# Characters XML 1.0 cannot carry: C0 controls other than tab and line breaks,
# lone surrogates and the two non-characters.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
DASH = "—"


def clean(value) -> str:
    """``value`` as text a .docx can carry."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, date):
        return value.isoformat()
    return _ILLEGAL.sub("", force_str(value)).replace("\r\n", "\n").replace("\r", "\n")


def zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.SHOUKONG_COMPANY_TIME_ZONE)


def when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(zone()).strftime("%Y-%m-%d %H:%M")


def day(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(zone()).date().isoformat()


def localized_title(title_zh: str, title_en: str) -> str:
    """A clause's title in the language the document is written in."""
    if translation.get_language().startswith("zh") or not title_en:
        return title_zh
    return title_en


def clause_title(clause) -> str:
    return localized_title(clause.title_zh, clause.title_en)


def clause_text(clause) -> str:
    return f"{clause.ref_id} {clause_title(clause)}"


def names(users: Iterable) -> str:
    return "、".join(display_name(u) for u in users) or DASH


# --- Writing .docx --------------------------------------------------------------------


class Docx:
    """A document with the company's fonts and a few writers; every text goes
    through :func:`clean`."""

    def __init__(self, title: str, *, landscape: bool = False):
        from docx import Document
        from docx.enum.section import WD_ORIENT
        from docx.oxml.ns import qn
        from docx.shared import Cm, Emu, Pt

        self._qn = qn
        self.document = Document()
        section = self.document.sections[0]
        if landscape:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = Cm(29.7), Cm(21.0)
        else:
            section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Cm(2.0 if not landscape else 1.5))
        self.width = Emu(
            section.page_width - section.left_margin - section.right_margin
        )
        normal = self.document.styles["Normal"]
        normal.font.size = Pt(10.5)
        # Chinese text needs an East Asian font, or Word falls back to one that
        # may lack the characters; the headings have fonts of their own.
        for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3"):
            style = self.document.styles[name]
            fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
            fonts.set(qn("w:eastAsia"), "宋体" if name == "Normal" else "黑体")
        self.document.core_properties.title = clean(title)[:255]

    def title(self, text: str) -> None:
        self.document.add_heading(clean(text), level=0)

    def heading(self, text: str, level: int = 1) -> None:
        self.document.add_heading(clean(text), level=level)

    def paragraph(self, text: str = "", *, bold: bool = False, style=None):
        paragraph = self.document.add_paragraph(style=style)
        lines = clean(text).split("\n")
        for index, line in enumerate(lines):
            run = paragraph.add_run(line)
            run.bold = bold
            if index < len(lines) - 1:
                run.add_break()
        return paragraph

    def text_block(self, text: str) -> None:
        """A user's text, or a dash when there is none."""
        self.paragraph(text if clean(text).strip() else DASH)

    def bullets(self, items: Sequence[str]) -> None:
        for item in items:
            self.paragraph(item, style="List Bullet")

    def status_line(self, text: str, *, warning: bool) -> None:
        """A line at the top of every page (the page header) and under the
        title: the draft says so wherever it is printed."""
        from docx.shared import Pt, RGBColor

        header = self.document.sections[0].header.paragraphs[0]
        run = header.add_run(clean(text))
        run.bold = True
        if warning:
            run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
        paragraph = self.document.add_paragraph()
        run = paragraph.add_run(clean(text))
        run.bold = True
        run.font.size = Pt(14 if warning else 10.5)
        if warning:
            run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)

    def fields(self, rows: Sequence[tuple[str, str]]) -> None:
        """A two-column table of labels and values."""
        self.table([], rows, widths=(1, 3), first_column_bold=True)

    def table(
        self,
        headings: Sequence[str],
        rows: Iterable[Sequence],
        *,
        widths: Sequence[float] | None = None,
        first_column_bold: bool = False,
        size: float = 9,
    ) -> None:
        """A grid table. The rows are written straight into the XML: python-
        docx's own row API is quadratic and a checklist may have thousands."""
        from lxml import etree

        qn = self._qn
        columns = len(headings) if headings else 2
        table = self.document.add_table(rows=0, cols=columns)
        table.style = "Table Grid"
        shares = list(widths or [1] * columns)
        total = sum(shares)
        twips = [int(self.width.twips * share / total) for share in shares]
        for col, width in zip(table._tbl.tblGrid.gridCol_lst, twips, strict=True):
            col.w = width * 635  # EMU per twip
        half_points = str(int(size * 2))
        tbl = table._tbl

        def row(values: Sequence, *, bold: bool = False, header: bool = False):
            tr = etree.SubElement(tbl, qn("w:tr"))
            if header:
                tr_pr = etree.SubElement(tr, qn("w:trPr"))
                etree.SubElement(tr_pr, qn("w:tblHeader"))
            for index, (value, width) in enumerate(zip(values, twips, strict=True)):
                tc = etree.SubElement(tr, qn("w:tc"))
                tc_pr = etree.SubElement(tc, qn("w:tcPr"))
                tc_w = etree.SubElement(tc_pr, qn("w:tcW"))
                tc_w.set(qn("w:w"), str(width))
                tc_w.set(qn("w:type"), "dxa")
                strong = bold or (first_column_bold and index == 0)
                for line in clean(value).split("\n"):
                    p = etree.SubElement(tc, qn("w:p"))
                    if not line:
                        continue
                    r = etree.SubElement(p, qn("w:r"))
                    r_pr = etree.SubElement(r, qn("w:rPr"))
                    if strong:
                        etree.SubElement(r_pr, qn("w:b"))
                    sz = etree.SubElement(r_pr, qn("w:sz"))
                    sz.set(qn("w:val"), half_points)
                    t = etree.SubElement(r, qn("w:t"))
                    t.text = line
                    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")

        if headings:
            row(headings, bold=True, header=True)
        for values in rows:
            row(values)
        self.document.add_paragraph()

    def bytes(self) -> bytes:
        output = io.BytesIO()
        self.document.save(output)
        return output.getvalue()


# --- Shared pieces --------------------------------------------------------------------


def audit_with_scope(audit: Audit) -> Audit:
    """The audit with what every document names, in few queries."""
    return (
        Audit.objects.select_related("standard", "programme", "requested_by")
        .prefetch_related(
            "departments",
            "processes",
            "auditees",
            Prefetch("team", queryset=team_queryset()),
        )
        .get(pk=audit.pk)
    )


def team_queryset():
    return AuditTeamMember.objects.select_related("user").order_by("role", "id")


def team(audit: Audit) -> tuple[list, list]:
    members = list(audit.team.all())
    leaders = [m.user for m in members if m.role == TeamRole.LEADER]
    auditors = [m.user for m in members if m.role != TeamRole.LEADER]
    return leaders, auditors


def departments_text(audit: Audit) -> str:
    return "、".join(d.name for d in audit.departments.all()) or DASH


def planned_dates(audit: Audit) -> tuple[str, str]:
    return (
        _("Planned dates"),
        _("%(start)s to %(end)s")
        % {
            "start": audit.planned_start.isoformat(),
            "end": audit.planned_end.isoformat(),
        },
    )


def audit_fields(audit: Audit, *, dates: bool = True) -> list[tuple[str, str]]:
    """Number, title, kind and dates: the head of every audit document."""
    kind = force_str(audit.get_kind_display())
    if audit.trigger:
        kind = f"{kind}: {audit.get_trigger_display()}"
    fields = [
        (_("Audit number"), audit.number),
        (_("Title"), audit.title),
        (_("Kind"), kind),
    ]
    return fields + [planned_dates(audit)] if dates else fields

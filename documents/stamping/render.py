"""The PDF of one issue of a controlled document, drawn with reportlab.

An uploaded PDF is used as it is (read and written again by pypdf). Otherwise
an A4 document is built: a cover block (number, title, issue, department,
dates), then the body from the rich text HTML or, failing that, the plain text.
Every page has a running header (number and title) and "page x of y"; the top
right corner and the bottom edge are left free for the stamp.

If the body cannot be laid out (a table cell taller than a page, say), tables
are flattened into paragraphs and, failing that, the body is set as plain text.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from datetime import date
from typing import Any, Final

from .errors import StampingError, _, _p, clean_text
from .fonts import get_font
from .html import Block, html_to_blocks, text_to_blocks
from .pdfio import normalise_pdf

__all__ = ["render_issue_pdf"]

logger = logging.getLogger(__name__)

_MM: Final = 72 / 25.4
MARGIN_LEFT: Final = 20 * _MM
MARGIN_RIGHT: Final = 20 * _MM
MARGIN_TOP: Final = 28 * _MM  # the stamp box sits above this
MARGIN_BOTTOM: Final = 22 * _MM  # the stamp footer sits below this
_INDENT_STEP: Final = 14.0
_MAX_INDENT_LEVELS: Final = 8
_MAX_TABLE_COLUMNS: Final = 12
# The frame inside the margins, less SimpleDocTemplate's 6 pt padding each side.
FRAME_WIDTH: Final = 210 * _MM - MARGIN_LEFT - MARGIN_RIGHT - 12
# Symbol bullets (● ○ ■) are drawn smaller than the text; numbers are not.
_SYMBOL_BULLET_SIZE: Final = 6.5
_GREY: Final = "#555555"


def _styles(font: str) -> dict[str, Any]:
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle(
        "body",
        fontName=font,
        fontSize=10.5,
        leading=16,
        spaceAfter=5,
        wordWrap="CJK",
        bulletFontName=font,
        bulletFontSize=10.5,
    )

    def derive(name: str, **kwargs: Any) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, **kwargs)

    return {
        "p": base,
        "h1": derive("h1", fontSize=17, leading=24, spaceBefore=10, spaceAfter=8),
        "h2": derive("h2", fontSize=15, leading=21, spaceBefore=10, spaceAfter=6),
        "h3": derive("h3", fontSize=13, leading=19, spaceBefore=8, spaceAfter=5),
        "h4": derive("h4", fontSize=11.5, leading=17, spaceBefore=6, spaceAfter=4),
        "h5": derive("h5", fontSize=10.5, leading=16, spaceBefore=6, spaceAfter=4),
        "h6": derive("h6", fontSize=10.5, leading=16, spaceBefore=6, spaceAfter=4),
        "pre": derive("pre", fontSize=9.5, leading=13, leftIndent=8),
        "cell": derive("cell", fontSize=9.5, leading=13, spaceAfter=0),
        "cover_title": derive(
            "cover_title", fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=14
        ),
        "cover_label": derive("cover_label", fontSize=10, leading=14, spaceAfter=0),
        "cover_value": derive("cover_value", fontSize=10.5, leading=15, spaceAfter=0),
        "note": derive("note", textColor=_GREY),
    }


def _paragraph(markup: str, plain: str, style: Any, **kwargs: Any) -> Any:
    """A Paragraph of ``markup``, or of escaped ``plain`` if reportlab rejects it."""
    from xml.sax.saxutils import escape

    from reportlab.platypus import Paragraph

    try:
        return Paragraph(markup, style, **kwargs)
    except Exception:
        logger.info("Rich text paragraph rejected by reportlab; using plain text")
        return Paragraph(escape(plain).replace("\n", "<br/>"), style, **kwargs)


def _cover(
    styles: dict[str, Any],
    *,
    number: str,
    title: str,
    label: str,
    department: str,
    publish_date: date,
    effective_date: date,
) -> list[Any]:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.platypus import HRFlowable, Spacer, Table, TableStyle

    rows = [
        (_p("document", "Number"), number),
        (_p("document", "Title"), title),
        (_p("document", "Issue"), label),
        (_p("document", "Department"), department),
        (_("Publish date"), _date(publish_date)),
        (_("Effective date"), _date(effective_date)),
    ]
    data = [
        [
            _paragraph(escape(name), name, styles["cover_label"]),
            _paragraph(escape(value), value, styles["cover_value"]),
        ]
        for name, value in rows
    ]
    width = FRAME_WIDTH
    table = Table(data, colWidths=[32 * _MM, width - 32 * _MM], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return [
        _paragraph(escape(title), title, styles["cover_title"]),
        table,
        Spacer(1, 8),
        HRFlowable(width="100%", thickness=0.8, color=colors.HexColor("#999999")),
        Spacer(1, 10),
    ]


def _date(value: date | None) -> str:
    return value.isoformat() if value else ""


def _indent(block: Block) -> float:
    levels = min(block.quote + max(block.depth, 0), _MAX_INDENT_LEVELS)
    return levels * _INDENT_STEP


def _table(block: Block, styles: dict[str, Any], width: float) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    columns = max(len(row) for row in block.rows)
    data = []
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    for y, row in enumerate(block.rows):
        cells = [_paragraph(m, p, styles["cell"]) for m, p, _header in row]
        cells += [""] * (columns - len(cells))
        data.append(cells)
        if row and all(header for _m, _p, header in row):
            commands.append(("BACKGROUND", (0, y), (-1, y), colors.HexColor("#eeeeee")))
    header_rows = 1 if block.rows[0] and all(h for _m, _p, h in block.rows[0]) else 0
    available = width - _indent(block)
    table = Table(
        data,
        colWidths=[available / columns] * columns,
        repeatRows=header_rows,
        hAlign="LEFT" if not block.quote else "RIGHT",
    )
    table.setStyle(TableStyle(commands))
    return table


def _flatten(block: Block) -> list[Block]:
    """A table as one paragraph per row, cells separated by " | "."""
    rows = []
    for row in block.rows:
        markup = " | ".join(m for m, _p, _h in row)
        plain = " | ".join(p for _m, p, _h in row)
        rows.append(Block("p", markup, plain, quote=block.quote))
    return rows


def _flowables(
    blocks: list[Block], styles: dict[str, Any], width: float, *, tables: bool
) -> list[Any]:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import HRFlowable, Spacer

    flowables: list[Any] = []
    indented: dict[tuple[str, float, bool, bool], ParagraphStyle] = {}

    def style_for(kind: str, indent: float, bullet: str) -> ParagraphStyle:
        symbol = bool(bullet) and not bullet[0].isdigit()
        key = (kind, indent, bool(bullet), symbol)
        if key not in indented:
            parent = styles.get(kind, styles["p"])
            left = parent.leftIndent + indent + (14 if bullet else 0)
            indented[key] = ParagraphStyle(
                f"{kind}-{indent}-{bool(bullet)}-{symbol}",
                parent=parent,
                leftIndent=left,
                bulletIndent=max(0.0, left - 14),
                bulletFontSize=_SYMBOL_BULLET_SIZE if symbol else parent.fontSize,
                keepWithNext=kind.startswith("h"),
            )
        return indented[key]

    for block in blocks:
        if block.kind == "hr":
            flowables.append(
                HRFlowable(
                    width="100%", thickness=0.5, color=colors.HexColor("#999999")
                )
            )
        elif block.kind == "table":
            columns = max(len(row) for row in block.rows)
            if tables and columns <= _MAX_TABLE_COLUMNS:
                flowables += [_table(block, styles, width), Spacer(1, 6)]
            else:
                for row in _flatten(block):
                    style = style_for("p", _indent(row), "")
                    flowables.append(_paragraph(row.markup, row.plain, style))
        else:
            item = block.kind == "li"
            kind = "p" if item else block.kind
            # A list item's continuation paragraphs line up with its text.
            style = style_for(kind, _indent(block), block.bullet or " " * item)
            extra = {"bulletText": block.bullet} if item and block.bullet else {}
            flowables.append(_paragraph(block.markup, block.plain, style, **extra))
    return flowables


def _plain_flowables(blocks: list[Block], styles: dict[str, Any]) -> list[Any]:
    """Last resort: every block's text as a plain paragraph."""
    from xml.sax.saxutils import escape

    from reportlab.platypus import Paragraph

    flowables = []
    for block in blocks:
        texts = [block.plain]
        if block.kind == "table":
            texts = [" | ".join(p for _m, p, _h in row) for row in block.rows]
        for text in texts:
            if text.strip():
                markup = escape(text).replace("\n", "<br/>")
                flowables.append(Paragraph(markup, styles["p"]))
    return flowables


def _canvas_maker(font: str, header: str) -> type:
    from reportlab.lib import colors
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        """Draws the running header and "page x of y" once the count is known."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._page_states: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._page_states.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._page_states)
            for state in self._page_states:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, height = self._pagesize
            self.saveState()
            self.setFillColor(colors.HexColor(_GREY))
            self.setStrokeColor(colors.HexColor("#999999"))
            size = 8.0
            room = width * 0.6
            text = header if len(header) <= 120 else header[:119] + "…"
            while text and stringWidth(text, font, size) > room:
                text = text[:-2] + "…"
            self.setFont(font, size)
            self.drawString(MARGIN_LEFT, height - 15 * _MM, text)
            self.setLineWidth(0.5)
            self.line(
                MARGIN_LEFT,
                height - MARGIN_TOP + 4 * _MM,
                width - MARGIN_RIGHT,
                height - MARGIN_TOP + 4 * _MM,
            )
            page = _("Page %(number)s of %(count)s") % {
                "number": self._pageNumber,
                "count": total,
            }
            self.drawCentredString(width / 2, MARGIN_BOTTOM - 8 * _MM, page)
            self.restoreState()

    return NumberedCanvas


def _build(
    story: Callable[[], list[Any]],
    *,
    font: str,
    number: str,
    title: str,
    label: str,
    department: str,
) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_LEFT,
        rightMargin=MARGIN_RIGHT,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=f"{number} {title}".strip(),
        author=department,
        subject=f"{_p('document', 'Issue')} {label}",
        creator="Shoukong",
    )
    document.build(
        story(), canvasmaker=_canvas_maker(font, f"{number}  {title}".strip())
    )
    return buffer.getvalue()


def render_issue_pdf(
    *,
    number: str,
    title: str,
    label: str,
    department: str,
    publish_date: date,
    effective_date: date,
    body_html: str = "",
    text: str = "",
    source_pdf: bytes | None = None,
) -> bytes:
    """The PDF of one issue, not yet stamped.

    ``source_pdf`` (the issue's uploaded PDF) wins and is returned as read and
    written again by pypdf, without a cover; a damaged or password-protected
    one raises :class:`StampingError`. Otherwise an A4 PDF is drawn: a cover
    block, then ``body_html`` (Wagtail rich text), or ``text`` (plain text, one
    paragraph per line) when the HTML has no text.
    """
    if source_pdf is not None:
        return normalise_pdf(source_pdf)
    font = get_font().name
    styles = _styles(font)
    number, title, label, department = (
        clean_text(value) for value in (number, title, label, department)
    )
    blocks = html_to_blocks(body_html) if body_html and body_html.strip() else []
    if not blocks:  # no rich text, or only empty tags
        blocks = text_to_blocks(text or "")
    width = FRAME_WIDTH

    def cover() -> list[Any]:
        return _cover(
            styles,
            number=number,
            title=title,
            label=label,
            department=department,
            publish_date=publish_date,
            effective_date=effective_date,
        )

    def empty_note() -> list[Any]:
        from xml.sax.saxutils import escape

        note = _("This issue has no text.")
        return [] if blocks else [_paragraph(escape(note), note, styles["note"])]

    attempts: list[Callable[[], list[Any]]] = [
        lambda: cover() + _flowables(blocks, styles, width, tables=True)
    ]
    if any(block.kind == "table" for block in blocks):
        attempts.append(
            lambda: cover() + _flowables(blocks, styles, width, tables=False)
        )
    attempts.append(lambda: cover() + _plain_flowables(blocks, styles))
    for attempt, body in enumerate(attempts):
        try:
            return _build(
                lambda body=body: body() + empty_note(),
                font=font,
                number=number,
                title=title,
                label=label,
                department=department,
            )
        except Exception as exc:  # LayoutError, or a reportlab bug
            logger.warning(
                "Laying out the PDF of %s failed (attempt %s): %.300s",
                number,
                attempt + 1,
                exc,
            )
    raise StampingError(
        _("The document “%(number)s” could not be turned into a PDF.")
        % {"number": number}
    )

"""Stamping every page of a PDF for one copy of a controlled document.

Each page gets, in the top right corner of what a reader sees, a red stamp
with the control mark (受控文件, 非受控 or 作废) and the copy label, and along
the bottom edge a footer line: mark and copy, holder, document number, issue
and effective date. An obsolete copy also gets a large translucent diagonal
作废 across the page.

The stamp is drawn by reportlab on a one-page overlay, one per distinct visible
page size, and merged over each page by pypdf. Rotated pages (``/Rotate``) and
crop boxes that do not start at the origin are handled by transforming the
overlay onto the page, so the page content itself is left as it is. The text
is real text in the embedded (or built-in) CJK font, so it can be searched and
extracted.
"""

from __future__ import annotations

import io
import math
import secrets
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from .errors import StampingError, _, _p, clean_text
from .fonts import get_font
from .pdfio import open_pdf, write_pdf

if TYPE_CHECKING:
    from pypdf import PageObject, Transformation

__all__ = ["MARKS", "footer_text", "stamp_pdf"]

# The fixed Chinese control marks; never translated.
MARKS: Final = {
    "controlled": "受控文件",
    "uncontrolled": "非受控",
    "obsolete": "作废",
}
_MM: Final = 72 / 25.4
_RED: Final = (0.78, 0.05, 0.05)
_SEPARATOR: Final = " · "
# The stamp is drawn smaller on pages smaller than A5 (short side, long side).
_REFERENCE: Final = (420.0, 595.0)
_MIN_FOOTER_SIZE: Final = 4.5


def footer_text(
    *,
    mark: str,
    copy_label: str,
    holder: str,
    number: str,
    label: str,
    effective_date: date | None,
) -> list[str]:
    """The pieces of the footer line, in order (joined with " · " on the page)."""
    first = " ".join(part for part in (MARKS[mark], clean_text(copy_label)) if part)
    pieces = [first.strip()]
    if holder:
        pieces.append(_("Holder: %(holder)s") % {"holder": clean_text(holder)})
    if number:
        pieces.append(clean_text(number))
    if label:
        pieces.append(f"{_p('document', 'Issue')} {clean_text(label)}")
    if effective_date:
        pieces.append(f"{_('Effective date')} {effective_date.isoformat()}")
    return [piece for piece in pieces if piece]


def _footer_lines(
    pieces: list[str], font: str, width: float, size: float
) -> tuple[list[str], float]:
    """``pieces`` on one line, shrunk to fit ``width``, or on several lines."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    line = _SEPARATOR.join(pieces)
    natural = stringWidth(line, font, size)
    if natural <= width:
        return [line], size
    fitted = size * width / natural
    if fitted >= _MIN_FOOTER_SIZE:
        return [line], fitted
    size = _MIN_FOOTER_SIZE
    lines: list[str] = []
    for piece in pieces:
        candidate = f"{lines[-1]}{_SEPARATOR}{piece}" if lines else piece
        if lines and stringWidth(candidate, font, size) <= width:
            lines[-1] = candidate
        else:
            lines.append(piece)
    return lines, size


def _overlay(
    width: float,
    height: float,
    *,
    font: str,
    mark: str,
    copy_label: str,
    footer: list[str],
) -> PageObject:
    """A page of ``width`` × ``height`` with only the stamp on it."""
    from pypdf import PdfReader
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    short, long = sorted((width, height))
    scale = max(0.2, min(1.0, short / _REFERENCE[0], long / _REFERENCE[1]))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    text = MARKS[mark]

    if mark == "obsolete":
        diagonal = math.hypot(width, height)
        size = 0.5 * diagonal / max(stringWidth(text, font, 1), 0.01)
        canvas.saveState()
        canvas.setFillColorRGB(*_RED, alpha=0.16)
        canvas.translate(width / 2, height / 2)
        canvas.rotate(math.degrees(math.atan2(height, width)))
        canvas.setFont(font, size)
        canvas.drawCentredString(0, -0.35 * size, text)
        canvas.restoreState()

    # The stamp box, top right.
    mark_size = 13 * scale
    copy_size = 10 * scale
    pad = 3.5 * scale
    gap = 2.5 * scale
    lines = [(text, mark_size)]
    if copy_label:
        lines.append((clean_text(copy_label), copy_size))
    text_width = max(stringWidth(line, font, size) for line, size in lines)
    room = width * 0.6 - 2 * pad - 4 * scale
    if text_width > room > 0:  # a long copy label: smaller letters, not overflow
        fit = room / text_width
        lines = [(line, size * fit) for line, size in lines]
        text_width = room
    box_width = text_width + 2 * pad + 4 * scale
    box_height = sum(size for _line, size in lines) + gap * (len(lines) - 1)
    box_height += 2 * pad + 2 * scale
    right = width - 8 * _MM * scale
    top = height - 6 * _MM * scale
    left, bottom = right - box_width, top - box_height
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1, alpha=0.8)
    canvas.setStrokeColorRGB(*_RED)
    canvas.setLineWidth(1.6 * scale)
    canvas.roundRect(left, bottom, box_width, box_height, 2.5 * scale, fill=1)
    inset = 2 * scale
    canvas.setLineWidth(0.5 * scale)
    canvas.roundRect(
        left + inset,
        bottom + inset,
        box_width - 2 * inset,
        box_height - 2 * inset,
        1.5 * scale,
        fill=0,
    )
    canvas.setFillColorRGB(*_RED)
    y = top - pad - inset / 2
    for index, (line, size) in enumerate(lines):
        y -= size
        canvas.setFont(font, size)
        if index == 0:
            # Fill and stroke: a bolder mark, still extractable text.
            canvas.setLineWidth(0.3 * scale)
            textobject = canvas.beginText()
            textobject.setTextRenderMode(2)
            textobject.setFont(font, size)
            line_width = stringWidth(line, font, size)
            textobject.setTextOrigin(
                left + (box_width - line_width) / 2, y + 0.12 * size
            )
            textobject.textOut(line)
            canvas.drawText(textobject)
        else:
            canvas.drawCentredString(left + box_width / 2, y + 0.12 * size, line)
        y -= gap
    canvas.restoreState()

    # The footer line(s), bottom left.
    margin = 10 * _MM * scale
    lines_text, size = _footer_lines(footer, font, width - 2 * margin, 7.5 * scale)
    canvas.saveState()
    canvas.setFillColorRGB(*_RED)
    canvas.setFont(font, size)
    y = 5 * _MM * scale + (len(lines_text) - 1) * size * 1.25
    for line in lines_text:
        canvas.drawString(margin, y, line)
        y -= size * 1.25
    canvas.restoreState()

    canvas.showPage()
    canvas.save()
    return PdfReader(io.BytesIO(buffer.getvalue())).pages[0]


def _placement(page: PageObject) -> tuple[float, float, int, Transformation | None]:
    """Visible width, height, rotation and overlay-to-page transformation."""
    from pypdf import Transformation

    box = page.cropbox
    x0, x1 = sorted((float(box.left), float(box.right)))
    y0, y1 = sorted((float(box.bottom), float(box.top)))
    try:
        rotation = int(round(float(page.rotation) / 90.0)) * 90 % 360
    except (TypeError, ValueError):
        rotation = 0
    width, height = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    if rotation == 90:
        ctm = Transformation().rotate(90).translate(x1, y0)
    elif rotation == 180:
        ctm = Transformation().rotate(180).translate(x1, y1)
    elif rotation == 270:
        ctm = Transformation().rotate(270).translate(x0, y1)
    elif x0 or y0:
        ctm = Transformation().translate(x0, y0)
    else:
        ctm = None
    if rotation in (90, 270):
        width, height = height, width
    return width, height, rotation, ctm


def _permissions() -> Any:
    from pypdf.constants import UserAccessPermissions as Permission

    # Print and copy text; no editing, annotating or re-assembling.
    return Permission.all() & ~(
        Permission.MODIFY | Permission.ADD_OR_MODIFY | Permission.ASSEMBLE_DOC
    )


def stamp_pdf(
    pdf: bytes,
    *,
    mark: str,
    copy_label: str,
    holder: str,
    number: str,
    label: str,
    effective_date: date | None,
    password: str | None = None,
) -> bytes:
    """``pdf`` with every page stamped for one copy.

    ``mark`` is ``"controlled"``, ``"uncontrolled"`` or ``"obsolete"``;
    ``copy_label`` is, say, ``"受控02"``. With a ``password`` the result is
    encrypted with AES-256 (that user password; a random owner password;
    printing and copying allowed, editing not). A damaged or password-protected
    ``pdf`` raises :class:`StampingError`.
    """
    if mark not in MARKS:
        raise StampingError(
            _("Unknown control mark “%(mark)s”.") % {"mark": clean_text(mark)}
        )
    writer = open_pdf(pdf)
    font = get_font().name
    footer = footer_text(
        mark=mark,
        copy_label=copy_label,
        holder=holder,
        number=number,
        label=label,
        effective_date=effective_date,
    )
    overlays: dict[tuple[float, float], PageObject] = {}
    try:
        for page in writer.pages:
            width, height, _rotation, ctm = _placement(page)
            key = (round(width, 1), round(height, 1))
            if key not in overlays:
                overlays[key] = _overlay(
                    width,
                    height,
                    font=font,
                    mark=mark,
                    copy_label=copy_label,
                    footer=footer,
                )
            if ctm is None:
                page.merge_page(overlays[key], over=True)
            else:
                page.merge_transformed_page(overlays[key], ctm, over=True)
            page.compress_content_streams()
        writer.compress_identical_objects()
    except StampingError:
        raise
    except Exception as exc:  # a broken page tree or content stream
        raise StampingError(
            _("The PDF file cannot be stamped; it may be damaged.")
        ) from exc
    if password:
        writer.encrypt(
            user_password=password,
            owner_password=secrets.token_urlsafe(32),
            algorithm="AES-256",
            permissions_flag=_permissions(),
        )
    return write_pdf(writer)

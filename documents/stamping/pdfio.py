"""Reading an uploaded PDF with pypdf, turning its failures into StampingError."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from .errors import StampingError, _

if TYPE_CHECKING:
    from pypdf import PdfReader, PdfWriter

__all__ = ["normalise_pdf", "open_pdf", "write_pdf"]


def _unreadable() -> StampingError:
    return StampingError(_("The PDF file cannot be read; it may be damaged."))


def open_pdf(data: bytes) -> PdfWriter:
    """A writer holding a copy of the PDF ``data``, ready to be changed.

    PDFs encrypted with an empty user password (restrictions only) are opened;
    the copy is not encrypted. Raises :class:`StampingError` for anything that
    is not a readable PDF with at least one page.
    """
    from pypdf import PdfReader, PdfWriter

    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"PDF data must be bytes, not {type(data).__name__}")
    if not data:
        raise StampingError(_("The PDF file is empty."))
    try:
        reader: PdfReader = PdfReader(io.BytesIO(bytes(data)), strict=False)
        if reader.is_encrypted:
            try:
                decrypted = reader.decrypt("")
            except Exception:  # unsupported security handler, bad data ...
                decrypted = 0
            if not decrypted:
                raise StampingError(
                    _(
                        "The PDF file is protected by a password; upload a copy "
                        "without a password."
                    )
                )
        page_count = len(reader.pages)
        if page_count == 0:
            raise StampingError(_("The PDF file has no pages."))
        writer = PdfWriter(clone_from=reader)
    except StampingError:
        raise
    except Exception as exc:  # PdfReadError, struct/zlib errors, recursion ...
        raise _unreadable() from exc
    return writer


def write_pdf(writer: PdfWriter) -> bytes:
    """The bytes of ``writer``'s document."""
    buffer = io.BytesIO()
    try:
        writer.write(buffer)
    except Exception as exc:  # a broken object only found while writing
        raise _unreadable() from exc
    return buffer.getvalue()


def normalise_pdf(data: bytes) -> bytes:
    """``data`` read and written again by pypdf (new cross-reference table)."""
    return write_pdf(open_pdf(data))

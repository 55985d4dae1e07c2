"""The PDF of one issue of a controlled document, stamped for one copy.

Pure: no ORM access. Two steps:

* :func:`render_issue_pdf` gives the issue's PDF: the uploaded PDF if there is
  one, otherwise an A4 PDF drawn from the rich text (or plain text) with a
  cover block;
* :func:`stamp_pdf` stamps every page for one copy (受控文件 / 非受控 / 作废,
  the copy label and a footer line) and can encrypt it with AES-256.

Chinese is drawn in the font :func:`font_info` describes (see
:mod:`documents.stamping.fonts`). Unreadable or password-protected input PDFs
raise :class:`StampingError`, whose ``message`` is translated.
"""

from __future__ import annotations

from .errors import StampingError
from .fonts import font_info
from .render import render_issue_pdf
from .stamp import MARKS, stamp_pdf

__all__ = ["MARKS", "StampingError", "font_info", "render_issue_pdf", "stamp_pdf"]

"""The audit's documents as .docx (python-docx): the audit report
(公司管理体系内审报告), the annual programme (年度内部审核实施计划), the
opening and closing meeting records (首次 / 末次会议记录) and the checklist
(内审检查表).

Each function reads the database and returns the bytes; the same files are
downloaded from the pages and the API and filed as records by
:mod:`audits.filing`. They are written in the company's language
(``settings.LANGUAGE_CODE``) whoever asks for them, since the filed copy is the
company's record. Text typed by users is stripped of the characters XML cannot
carry, so a stray control character never breaks a file, and big tables are
written row by row straight into the XML (a checklist of thousands of items
stays fast).
"""

from .fieldwork import checklist_docx, meeting_docx
from .programme import programme_docx
from .report import report_docx
from .writer import DOCX_CONTENT_TYPE, clean

__all__ = [
    "DOCX_CONTENT_TYPE",
    "checklist_docx",
    "clean",
    "meeting_docx",
    "programme_docx",
    "report_docx",
]

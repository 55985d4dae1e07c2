"""The management review's documents as .docx (python-docx): the plan
(管理评审计划), the input material (管理评审输入资料), the meeting minutes
(会议记录), the report (管理评审报告) with its charts, and the improvement plan
(管理评审改进计划).

Each function returns the bytes; the same files are downloaded from the pages
and the API and filed as records by :mod:`reviews.filing` (the report and the
minutes as frozen when the report is approved). They are written in the
company's language (``settings.LANGUAGE_CODE``) whoever asks, with the audits'
writer (:mod:`audits.reports.writer`): the company fonts, text stripped of the
characters XML cannot carry, tables written straight into the XML.
"""

from audits.reports import DOCX_CONTENT_TYPE

from .frozen import FrozenFileAltered, FrozenFileMissing, frozen_bytes
from .papers import actions_docx, inputs_docx, plan_docx
from .report import minutes_docx, report_docx

__all__ = [
    "DOCX_CONTENT_TYPE",
    "FrozenFileAltered",
    "FrozenFileMissing",
    "actions_docx",
    "frozen_bytes",
    "inputs_docx",
    "minutes_docx",
    "plan_docx",
    "report_docx",
]

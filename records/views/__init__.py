"""Staff pages for records: filling forms, the record page and its actions,
the lists and their exports, disposal and retention events.

Split by concern, as Wagtail splits its views: :mod:`.filling`, :mod:`.pages`,
:mod:`.listing`, :mod:`.disposal`; shared helpers in :mod:`.common`.
"""

from .disposal import (
    disposal_approve,
    disposal_detail,
    disposal_execute,
    disposal_queue,
    disposal_reject,
    retention_events,
)
from .filling import fill, fill_index
from .listing import record_list, record_types
from .pages import (
    record_access,
    record_correct,
    record_detail,
    record_file,
    record_hold,
)

__all__ = [
    "disposal_approve",
    "disposal_detail",
    "disposal_execute",
    "disposal_queue",
    "disposal_reject",
    "fill",
    "fill_index",
    "record_access",
    "record_correct",
    "record_detail",
    "record_file",
    "record_hold",
    "record_list",
    "record_types",
    "retention_events",
]
